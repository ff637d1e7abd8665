/// Exact solver for the linear sum assignment problem (minimum-cost bipartite matching).
///
/// The algorithm is the shortest-augmenting-path method of Jonker–Volgenant in the form of
/// Crouse, "On implementing 2D rectangular assignment algorithms", IEEE TAES 52(4), 2016 — the
/// one scipy's `linear_sum_assignment` runs. It is ported step for step, including the order in
/// which columns are scanned and the tie rule (prefer a free column among equally cheap ones),
/// so that among several optimal assignments it returns the same one scipy does. DeepCell's
/// object metrics (metrics.md §2, step 3) depend on that choice when IoU sits exactly on
/// the `1 − cutoff1` boundary.
public enum LinearAssignment {
  /// Solves `min Σ cost[i, col(i)]` over one-to-one assignments.
  ///
  /// - Parameters:
  ///   - cost: the cost matrix, row-major, `rows × columns` finite values.
  ///   - rows: number of rows.
  ///   - columns: number of columns.
  /// - Returns: the assigned `(row, column)` pairs, `min(rows, columns)` of them, sorted by
  ///   row — what scipy returns as `(row_ind, col_ind)`.
  /// - Throws: ``DeepCellError`` (`badData`) when the matrix has NaN or −∞ entries or no
  ///   finite assignment exists.
  public static func solve(cost: [Double], rows: Int, columns: Int) throws -> [(
    row: Int, column: Int
  )] {
    guard rows >= 0, columns >= 0, cost.count == rows * columns else {
      throw DeepCellError(
        .badData, "cost matrix", "has \(cost.count) entries, not \(rows) × \(columns)")
    }
    if rows == 0 || columns == 0 { return [] }
    for value in cost where value.isNaN || value == -.infinity {
      throw DeepCellError(.badData, "cost matrix", "contains NaN or -inf")
    }
    // A tall matrix is solved transposed, as scipy does.
    if columns < rows {
      var transposed = [Double](repeating: 0, count: rows * columns)
      for i in 0..<rows {
        for j in 0..<columns { transposed[j * rows + i] = cost[i * columns + j] }
      }
      let col4row = try shortestAugmentingPath(cost: transposed, rows: columns, columns: rows)
      // col4row maps each original column to its original row; scipy sorts by row.
      var pairs = col4row.enumerated().map { (row: $0.element, column: $0.offset) }
      pairs.sort { $0.row < $1.row }
      return pairs
    }
    let col4row = try shortestAugmentingPath(cost: cost, rows: rows, columns: columns)
    return col4row.enumerated().map { (row: $0.offset, column: $0.element) }
  }

  /// The column assigned to each row of `cost` (row-major, `rows × columns`), `-1` for the
  /// rows left without one when `rows > columns`. `+infinity` marks a forbidden pair.
  /// Same optimum and tie rule as ``solve(cost:rows:columns:)``.
  public static func columnForEachRow(_ cost: [Double], rows: Int, columns: Int) throws -> [Int] {
    var result = [Int](repeating: -1, count: rows)
    for pair in try solve(cost: cost, rows: rows, columns: columns) {
      result[pair.row] = pair.column
    }
    return result
  }

  /// The total cost of `assignment` (a column per row, `-1` = none) under `cost`.
  public static func totalCost(_ cost: [Double], columns: Int, assignment: [Int]) -> Double {
    var total = 0.0
    for (i, j) in assignment.enumerated() where j >= 0 { total += cost[i * columns + j] }
    return total
  }

  /// Crouse's algorithm for `rows ≤ columns`; returns the column of each row.
  private static func shortestAugmentingPath(cost: [Double], rows nr: Int, columns nc: Int) throws
    -> [Int]
  {
    var u = [Double](repeating: 0, count: nr)
    var v = [Double](repeating: 0, count: nc)
    var shortest = [Double](repeating: .infinity, count: nc)
    var path = [Int](repeating: -1, count: nc)
    var col4row = [Int](repeating: -1, count: nr)
    var row4col = [Int](repeating: -1, count: nc)
    var inRows = [Bool](repeating: false, count: nr)
    var inColumns = [Bool](repeating: false, count: nc)
    var remaining = [Int](repeating: 0, count: nc)
    // Rows reached in this search, so the dual update touches only them.
    var visitedRows = [Int]()
    var visitedColumns = [Int]()

    try cost.withUnsafeBufferPointer { c in
      for currentRow in 0..<nr {
        // Shortest augmenting path from currentRow.
        var minVal = 0.0
        var numRemaining = nc
        for it in 0..<nc { remaining[it] = nc - it - 1 }
        for r in visitedRows { inRows[r] = false }
        for col in visitedColumns { inColumns[col] = false }
        visitedRows.removeAll(keepingCapacity: true)
        visitedColumns.removeAll(keepingCapacity: true)
        for j in 0..<nc { shortest[j] = .infinity }

        var sink = -1
        var i = currentRow
        while sink == -1 {
          var index = -1
          var lowest = Double.infinity
          inRows[i] = true
          visitedRows.append(i)
          let rowBase = i * nc
          let ui = u[i]
          for it in 0..<numRemaining {
            let j = remaining[it]
            let r = minVal + c[rowBase + j] - ui - v[j]
            if r < shortest[j] {
              path[j] = i
              shortest[j] = r
            }
            if shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == -1) {
              lowest = shortest[j]
              index = it
            }
          }
          minVal = lowest
          if minVal == .infinity {
            throw DeepCellError(.badData, "cost matrix", "no finite assignment exists")
          }
          let j = remaining[index]
          if row4col[j] == -1 { sink = j } else { i = row4col[j] }
          inColumns[j] = true
          visitedColumns.append(j)
          numRemaining -= 1
          remaining[index] = remaining[numRemaining]
        }

        // Dual update (scipy loops over all rows/columns in index order; the updates
        // are independent, so visiting only the flagged ones gives the same values).
        u[currentRow] += minVal
        for r in visitedRows where r != currentRow {
          u[r] += minVal - shortest[col4row[r]]
        }
        for col in visitedColumns {
          v[col] -= minVal - shortest[col]
        }

        // Augment along the path.
        var j = sink
        while true {
          let r = path[j]
          row4col[j] = r
          swap(&col4row[r], &j)
          if r == currentRow { break }
        }
      }
    }
    return col4row
  }
}
