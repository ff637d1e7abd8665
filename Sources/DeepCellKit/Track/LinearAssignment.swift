/// Exact solver of the rectangular linear assignment problem (minimum-cost bipartite matching):
/// for an `rows × columns` cost matrix with `rows ≤ columns`, finds distinct columns
/// `σ(0), …, σ(rows − 1)` minimising `Σ_i cost[i, σ(i)]`.
///
/// The algorithm is the shortest-augmenting-path method with dual potentials of Jonker and
/// Volgenant (1987) — the Hungarian method in its O(rows² · columns) form — as in
/// `scipy.optimize.linear_sum_assignment`. `+infinity` marks a forbidden pair. The result is
/// deterministic: ties are broken toward the lowest column index.
public enum LinearAssignment {
  /// Solves the problem for `cost`, stored row-major (`cost[i * columns + j]`).
  ///
  /// - Returns: for every row the column assigned to it. When `rows > columns` the problem
  ///   is solved on the transpose and rows left without a column get `-1`.
  /// - Throws: ``DeepCellError`` (`badData`) when the matrix does not have `rows * columns`
  ///   entries, holds NaN or `-infinity`, or when forbidden pairs leave no complete assignment.
  public static func solve(_ cost: [Double], rows: Int, columns: Int) throws -> [Int] {
    guard rows >= 0, columns >= 0, cost.count == rows * columns else {
      throw DeepCellError(
        .badData, "assignment", "cost matrix has \(cost.count) entries, not \(rows) × \(columns)")
    }
    if rows == 0 { return [] }
    if columns == 0 { return [Int](repeating: -1, count: rows) }
    for c in cost where c.isNaN || c == -.infinity {
      throw DeepCellError(.badData, "assignment", "cost matrix holds NaN or -infinity")
    }
    if rows <= columns {
      return try solveWide(cost, rows: rows, columns: columns)
    }
    var transposed = [Double](repeating: 0, count: cost.count)
    for i in 0..<rows {
      for j in 0..<columns { transposed[j * rows + i] = cost[i * columns + j] }
    }
    let columnToRow = try solveWide(transposed, rows: columns, columns: rows)
    var result = [Int](repeating: -1, count: rows)
    for (j, i) in columnToRow.enumerated() { result[i] = j }
    return result
  }

  /// The total cost of `assignment` (columns per row, `-1` = none) under `cost`.
  public static func totalCost(_ cost: [Double], columns: Int, assignment: [Int]) -> Double {
    var total = 0.0
    for (i, j) in assignment.enumerated() where j >= 0 { total += cost[i * columns + j] }
    return total
  }

  /// Shortest augmenting paths for `rows ≤ columns`: one Dijkstra-like search per row over
  /// reduced costs `c[i,j] − u[i] − v[j] ≥ 0`, then an augmentation along the path found.
  private static func solveWide(_ cost: [Double], rows: Int, columns: Int) throws -> [Int] {
    var u = [Double](repeating: 0, count: rows)
    var v = [Double](repeating: 0, count: columns)
    var rowOfColumn = [Int](repeating: -1, count: columns)
    var columnOfRow = [Int](repeating: -1, count: rows)
    var shortest = [Double](repeating: .infinity, count: columns)
    var previousRow = [Int](repeating: -1, count: columns)
    var scannedColumn = [Bool](repeating: false, count: columns)
    var scannedRow = [Bool](repeating: false, count: rows)

    try cost.withUnsafeBufferPointer { c in
      for start in 0..<rows {
        for j in 0..<columns {
          shortest[j] = .infinity
          previousRow[j] = -1
          scannedColumn[j] = false
        }
        for i in 0..<rows { scannedRow[i] = false }
        var i = start
        var minPath = 0.0
        var sink = -1
        while sink < 0 {
          scannedRow[i] = true
          var best = Double.infinity
          var bestColumn = -1
          let base = i * columns
          for j in 0..<columns where !scannedColumn[j] {
            let entry = c[base + j]
            if entry < .infinity {
              let reduced = minPath + entry - u[i] - v[j]
              if reduced < shortest[j] {
                previousRow[j] = i
                shortest[j] = reduced
              }
            }
            // Lowest column wins ties, except that a free column beats an assigned one.
            if shortest[j] < best
              || (shortest[j] == best && bestColumn >= 0 && rowOfColumn[j] < 0
                && rowOfColumn[bestColumn] >= 0)
            {
              best = shortest[j]
              bestColumn = j
            }
          }
          guard best < .infinity, bestColumn >= 0 else {
            throw DeepCellError(
              .badData, "assignment", "forbidden pairs leave row \(start) without any column")
          }
          minPath = best
          let j = bestColumn
          scannedColumn[j] = true
          if rowOfColumn[j] < 0 {
            sink = j
          } else {
            i = rowOfColumn[j]
          }
        }
        // Update the dual potentials.
        u[start] += minPath
        for r in 0..<rows where scannedRow[r] && r != start {
          u[r] += minPath - shortest[columnOfRow[r]]
        }
        for j in 0..<columns where scannedColumn[j] {
          v[j] -= minPath - shortest[j]
        }
        // Augment along the alternating path ending at `sink`.
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
    }
    return columnOfRow
  }
}
