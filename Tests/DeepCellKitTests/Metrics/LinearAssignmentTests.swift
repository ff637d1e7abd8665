import XCTest

@testable import DeepCellKit

final class LinearAssignmentTests: XCTestCase {
  /// Same assignment as scipy's linear_sum_assignment, ties included.
  func testMatchesScipyOnTiedMatrices() throws {
    let cases = try XCTUnwrap(loadMetricsJSON("reference_lsap.json") as? [[String: Any]])
    XCTAssertEqual(cases.count, 40)
    for (k, c) in cases.enumerated() {
      let rows = c["rows"] as! Int
      let columns = c["columns"] as! Int
      let cost = (c["cost"] as! [NSNumber]).map(\.doubleValue)
      let result = try LinearAssignment.solve(cost: cost, rows: rows, columns: columns)
      XCTAssertEqual(result.map(\.row), c["row_ind"] as! [Int], "case \(k) rows")
      XCTAssertEqual(
        result.map(\.column), c["col_ind"] as! [Int], "case \(k) \(rows)x\(columns) columns")
    }
  }

  /// The optimum of a small matrix checked against brute force over all permutations.
  func testOptimalAgainstBruteForce() throws {
    var state: UInt64 = 12345
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) / Double(1 << 53)
    }
    for _ in 0..<30 {
      let n = 5
      let cost = (0..<(n * n)).map { _ in (next() * 10).rounded() }
      let solved = try LinearAssignment.solve(cost: cost, rows: n, columns: n)
      let best = solved.reduce(0.0) { $0 + cost[$1.row * n + $1.column] }
      var minimum = Double.infinity
      func permute(_ used: [Bool], _ row: Int, _ total: Double) {
        if row == n {
          minimum = min(minimum, total)
          return
        }
        for c in 0..<n where !used[c] {
          var u = used
          u[c] = true
          permute(u, row + 1, total + cost[row * n + c])
        }
      }
      permute([Bool](repeating: false, count: n), 0, 0)
      XCTAssertEqual(best, minimum)
    }
  }

  func testRejectsNaNAndEmpty() throws {
    XCTAssertThrowsError(try LinearAssignment.solve(cost: [1, .nan], rows: 1, columns: 2))
    XCTAssertEqual(try LinearAssignment.solve(cost: [], rows: 0, columns: 3).count, 0)
    XCTAssertThrowsError(try LinearAssignment.solve(cost: [.infinity], rows: 1, columns: 1))
  }
}
