/// Exact minimum-cost perfect assignment on a sparse bipartite graph: the shortest
/// augmenting path method of ``LinearAssignment`` (Jonker–Volgenant dual potentials) with
/// Dijkstra over adjacency lists and a binary heap, so a frame of thousands of cells costs
/// time in proportion to its candidate links, not to the square of its size (spec/track.md §8,
/// "sparse version for large frames"). Ties go to the lower column.
///
/// Why two solvers: ``LinearAssignment`` is scipy's dense solver ported step for step, so
/// that DeepCell's object metrics pick the same one of several optimal matchings the
/// reference picks (its column scan order decides ties); tracking needs no such parity but
/// frames of thousands of cells with a few candidate links each, where a dense n² matrix and
/// scan would dominate the run. They share the method (Jonker–Volgenant potentials,
/// shortest augmenting paths); the tests check the dense one against brute force and the
/// sparse one against the dense one.
enum SparseAssignment {
  /// The column of each row for `edges[row]` = (column, finite cost) lists over `columns`
  /// columns (rows ≤ columns). Throws `badData` when some row cannot be assigned.
  static func solve(edges: [[(column: Int, cost: Double)]], columns: Int) throws -> [Int] {
    let rows = edges.count
    var u = [Double](repeating: 0, count: rows)
    var v = [Double](repeating: 0, count: columns)
    var rowOfColumn = [Int](repeating: -1, count: columns)
    var columnOfRow = [Int](repeating: -1, count: rows)
    var distance = [Double](repeating: .infinity, count: columns)
    var previousRow = [Int](repeating: -1, count: columns)
    var final = [Bool](repeating: false, count: columns)
    var touched: [Int] = []
    var scannedRows: [Int] = []
    var heap = MinHeap()
    for start in 0..<rows {
      for j in touched {
        distance[j] = .infinity
        previousRow[j] = -1
        final[j] = false
      }
      touched.removeAll(keepingCapacity: true)
      scannedRows.removeAll(keepingCapacity: true)
      heap.removeAll()
      var i = start
      var pathLength = 0.0
      var sink = -1
      while true {
        scannedRows.append(i)
        for (j, cost) in edges[i] where !final[j] {
          let reduced = pathLength + cost - u[i] - v[j]
          if reduced < distance[j] {
            if distance[j] == .infinity { touched.append(j) }
            distance[j] = reduced
            previousRow[j] = i
            heap.push(reduced, j)
          }
        }
        // The closest column not yet final; a free one wins a tie.
        var chosen = -1
        while let (d, j) = heap.pop() {
          if final[j] || d > distance[j] { continue }
          chosen = j
          if rowOfColumn[j] >= 0 {
            // Prefer a free column at the same distance.
            var deferred: [(Double, Int)] = []
            while let (d2, j2) = heap.peek(), d2 == d {
              _ = heap.pop()
              if final[j2] || d2 > distance[j2] { continue }
              if rowOfColumn[j2] < 0 {
                deferred.append((d, chosen))
                chosen = j2
                break
              }
              deferred.append((d2, j2))
            }
            for (dd, jj) in deferred { heap.push(dd, jj) }
          }
          break
        }
        guard chosen >= 0 else {
          throw DeepCellError(
            .badData, "assignment", "forbidden pairs leave row \(start) without any column")
        }
        final[chosen] = true
        pathLength = distance[chosen]
        if rowOfColumn[chosen] < 0 {
          sink = chosen
          break
        }
        i = rowOfColumn[chosen]
      }
      // Dual update over the scanned rows and finalised columns, then augment.
      u[start] += pathLength
      for r in scannedRows where r != start { u[r] += pathLength - distance[columnOfRow[r]] }
      for j in touched where final[j] { v[j] -= pathLength - distance[j] }
      var j = sink
      while true {
        let r = previousRow[j]
        rowOfColumn[j] = r
        let next = columnOfRow[r]
        columnOfRow[r] = j
        if r == start { break }
        j = next
      }
    }
    return columnOfRow
  }

  /// A binary min-heap of (key, column), ordered by key then column. The watershed's heaps
  /// (``WatershedHeap``, ``QuaternaryHeap`` in Imaging/) hold packed integer keys and must
  /// follow skimage's sift rules for parity; this one orders floating-point path lengths with
  /// the lower-column tie rule the assignment's determinism needs.
  struct MinHeap {
    private var items: [(Double, Int)] = []

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    func peek() -> (Double, Int)? { items.first }

    private static func less(_ a: (Double, Int), _ b: (Double, Int)) -> Bool {
      a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
    }

    mutating func push(_ key: Double, _ column: Int) {
      items.append((key, column))
      var k = items.count - 1
      while k > 0 {
        let p = (k - 1) / 2
        if !MinHeap.less(items[k], items[p]) { break }
        items.swapAt(k, p)
        k = p
      }
    }

    mutating func pop() -> (Double, Int)? {
      guard !items.isEmpty else { return nil }
      let top = items[0]
      let last = items.removeLast()
      if !items.isEmpty {
        items[0] = last
        var k = 0
        while true {
          let l = 2 * k + 1
          let r = l + 1
          var m = k
          if l < items.count && MinHeap.less(items[l], items[m]) { m = l }
          if r < items.count && MinHeap.less(items[r], items[m]) { m = r }
          if m == k { break }
          items.swapAt(k, m)
          k = m
        }
      }
      return top
    }
  }
}
