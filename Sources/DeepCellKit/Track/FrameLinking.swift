/// One candidate link of the frame-to-frame assignment: track row → cell column, with its cost.
public struct LinkCandidate: Sendable, Equatable {
  /// Index of the track (row).
  public var row: Int
  /// Index of the cell in the new frame (column).
  public var cell: Int
  /// Finite link cost (``LinkCost``).
  public var cost: Double

  /// A candidate link.
  public init(row: Int, cell: Int, cost: Double) {
    self.row = row
    self.cell = cell
    self.cost = cost
  }
}

/// Frame-to-frame linking as an exact linear assignment problem with birth and death
/// alternatives (spec/track.md §3.3, deepcell's block matrix):
///
/// ```
///            cells (C)        death (T)
/// tracks (T) [ a            | death on diagonal ]
/// birth (C)  [ birth on diag | aᵀ               ]
/// ```
///
/// Entries outside the candidate links (and off the birth/death diagonals) are forbidden, so a
/// link is worth making when `2a < birth + death`. The bipartite graph of candidate links is
/// split into connected components and each component's block matrix is solved exactly with
/// ``LinearAssignment`` (components of more than ``denseLimit`` rows and columns with the
/// sparse solver ``SparseAssignment``); this gives the same optimum as the whole matrix, in
/// far less time.
public enum FrameLinking {
  /// Largest block matrix (rows = tracks + cells) solved densely.
  public static let denseLimit = 64

  /// The cell linked to each of `rowCount` tracks (`-1`: the track ends), among `cellCount`
  /// cells, minimising the total of link, birth and death costs.
  public static func link(
    candidates: [LinkCandidate], rowCount: Int, cellCount: Int, birthCost: Double, deathCost: Double
  ) throws -> [Int] {
    var cellOfRow = [Int](repeating: -1, count: rowCount)
    if candidates.isEmpty { return cellOfRow }
    // Union-find over rows (0..<rowCount) and cells (rowCount...).
    var sets = UnionFind(count: rowCount + cellCount)
    for c in candidates {
      let a = sets.find(c.row)
      let b = sets.find(rowCount + c.cell)
      if a != b { sets.parent[max(a, b)] = min(a, b) }
    }
    var componentCandidates = [Int: [LinkCandidate]]()
    for c in candidates { componentCandidates[sets.find(c.row), default: []].append(c) }
    for root in componentCandidates.keys.sorted() {
      let links = componentCandidates[root]!
      let rows = Array(Set(links.map(\.row))).sorted()
      let cells = Array(Set(links.map(\.cell))).sorted()
      let t = rows.count
      let c = cells.count
      if t == 1 && c == 1 {
        if 2 * links[0].cost < birthCost + deathCost { cellOfRow[links[0].row] = links[0].cell }
        continue
      }
      var rowIndex = [Int: Int]()
      for (i, r) in rows.enumerated() { rowIndex[r] = i }
      var cellIndex = [Int: Int]()
      for (j, cell) in cells.enumerated() { cellIndex[cell] = j }
      let n = t + c
      if n > denseLimit {
        var edges = [[(column: Int, cost: Double)]](repeating: [], count: n)
        var best = [Int: Double]()
        for link in links {
          let key = rowIndex[link.row]! * c + cellIndex[link.cell]!
          best[key] = min(best[key] ?? .infinity, link.cost)
        }
        for (key, cost) in best.sorted(by: { $0.key < $1.key }) {
          let (i, j) = (key / c, key % c)
          edges[i].append((j, cost))
          edges[t + j].append((c + i, cost))
        }
        for i in 0..<t { edges[i].append((c + i, deathCost)) }
        for j in 0..<c { edges[t + j].append((j, birthCost)) }
        let assignment = try SparseAssignment.solve(edges: edges, columns: n)
        for i in 0..<t where assignment[i] < c { cellOfRow[rows[i]] = cells[assignment[i]] }
        continue
      }
      var matrix = [Double](repeating: .infinity, count: n * n)
      for link in links {
        let i = rowIndex[link.row]!
        let j = cellIndex[link.cell]!
        matrix[i * n + j] = min(matrix[i * n + j], link.cost)
        matrix[(t + j) * n + (c + i)] = matrix[i * n + j]
      }
      for i in 0..<t { matrix[i * n + c + i] = deathCost }
      for j in 0..<c { matrix[(t + j) * n + j] = birthCost }
      let assignment = try LinearAssignment.columnForEachRow(matrix, rows: n, columns: n)
      for i in 0..<t where assignment[i] < c { cellOfRow[rows[i]] = cells[assignment[i]] }
    }
    return cellOfRow
  }
}
