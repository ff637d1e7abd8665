import XCTest

@testable import DeepCellKit

final class SparseAssignmentTests: XCTestCase {
  /// Total link + birth + death cost of a linking result.
  private func objective(
    _ cellOfRow: [Int], _ candidates: [LinkCandidate], cells: Int, birth: Double, death: Double
  ) -> Double {
    var cost = [String: Double]()
    for c in candidates {
      cost["\(c.row),\(c.cell)"] = min(cost["\(c.row),\(c.cell)"] ?? .infinity, c.cost)
    }
    var total = 0.0
    var linked = Set<Int>()
    for (r, j) in cellOfRow.enumerated() {
      if j >= 0 {
        total += 2 * cost["\(r),\(j)"]!
        linked.insert(j)
      } else {
        total += death
      }
    }
    return total + Double(cells - linked.count) * birth
  }

  func testSparseSolverMatchesTheDenseBlockMatrix() throws {
    var rng = SplitMix(seed: 77)
    for trial in 0..<40 {
      let rows = 40 + Int(rng.next() % 60)
      let cells = 40 + Int(rng.next() % 60)
      var candidates: [LinkCandidate] = []
      for r in 0..<rows {
        for j in 0..<cells where rng.next() % 5 == 0 {
          candidates.append(LinkCandidate(row: r, cell: j, cost: Double(rng.next() % 1000) / 1000))
        }
      }
      let birth = 0.99
      let death = 0.99
      let sparse = try FrameLinking.link(
        candidates: candidates, rowCount: rows, cellCount: cells, birthCost: birth, deathCost: death
      )
      XCTAssertGreaterThan(rows + cells, FrameLinking.denseLimit)
      // The whole block matrix, solved densely.
      let n = rows + cells
      var matrix = [Double](repeating: .infinity, count: n * n)
      for c in candidates {
        matrix[c.row * n + c.cell] = min(matrix[c.row * n + c.cell], c.cost)
        matrix[(rows + c.cell) * n + cells + c.row] = matrix[c.row * n + c.cell]
      }
      for i in 0..<rows { matrix[i * n + cells + i] = death }
      for j in 0..<cells { matrix[(rows + j) * n + j] = birth }
      let dense = try LinearAssignment.columnForEachRow(matrix, rows: n, columns: n)
      let denseLinks = (0..<rows).map { dense[$0] < cells ? dense[$0] : -1 }
      XCTAssertEqual(
        objective(sparse, candidates, cells: cells, birth: birth, death: death),
        objective(denseLinks, candidates, cells: cells, birth: birth, death: death), accuracy: 1e-9,
        "trial \(trial)")
      XCTAssertEqual(
        Set(sparse.filter { $0 >= 0 }).count, sparse.filter { $0 >= 0 }.count, "a cell linked twice"
      )
    }
  }
}
