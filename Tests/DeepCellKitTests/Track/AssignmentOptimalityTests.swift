import XCTest

@testable import DeepCellKit

final class AssignmentOptimalityTests: XCTestCase {
  /// Minimum over all injective row → column maps, by enumeration (rows ≤ columns ≤ 7).
  private func bruteForce(_ cost: [Double], rows: Int, columns: Int) -> Double {
    var best = Double.infinity
    var used = [Bool](repeating: false, count: columns)
    func go(_ i: Int, _ total: Double) {
      if total >= best { return }
      if i == rows {
        best = total
        return
      }
      for j in 0..<columns where !used[j] && cost[i * columns + j] < .infinity {
        used[j] = true
        go(i + 1, total + cost[i * columns + j])
        used[j] = false
      }
    }
    go(0, 0)
    return best
  }

  func testMatchesExhaustiveSearchOnRandomMatrices() throws {
    var rng = SplitMix(seed: 20_251_125)
    for trial in 0..<300 {
      let rows = 1 + Int(rng.next() % 6)
      let columns = rows + Int(rng.next() % 3)
      var cost = (0..<(rows * columns)).map { _ in Double(rng.next() % 20) / 4 }  // many ties
      // Forbid some pairs while keeping the identity-ish diagonal feasible.
      for i in 0..<rows {
        for j in 0..<columns where j != i && rng.next() % 4 == 0 {
          cost[i * columns + j] = .infinity
        }
      }
      let assignment = try LinearAssignment.columnForEachRow(cost, rows: rows, columns: columns)
      XCTAssertEqual(Set(assignment).count, rows, "trial \(trial): columns must be distinct")
      let total = LinearAssignment.totalCost(cost, columns: columns, assignment: assignment)
      XCTAssertEqual(
        total, bruteForce(cost, rows: rows, columns: columns), accuracy: 1e-9, "trial \(trial)")
      // Same input, same answer.
      XCTAssertEqual(
        try LinearAssignment.columnForEachRow(cost, rows: rows, columns: columns), assignment)
    }
  }

  func testTallMatrixIsSolvedOnItsTranspose() throws {
    // 3 rows, 2 columns: rows 0 and 2 get the columns, row 1 stays unassigned.
    let cost: [Double] = [1, 9, 5, 5, 9, 1]
    XCTAssertEqual(try LinearAssignment.columnForEachRow(cost, rows: 3, columns: 2), [0, -1, 1])
  }

  func testKnownOptimum() throws {
    // scipy.optimize.linear_sum_assignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]) → [1, 0, 2], total 5.
    let a = try LinearAssignment.columnForEachRow([4, 1, 3, 2, 0, 5, 3, 2, 2], rows: 3, columns: 3)
    XCTAssertEqual(a, [1, 0, 2])
  }

  func testInfeasibleAndMalformedMatricesThrow() {
    XCTAssertThrowsError(
      try LinearAssignment.columnForEachRow([.infinity, .infinity, 1, 2], rows: 2, columns: 2)
    ) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
    XCTAssertThrowsError(
      try LinearAssignment.columnForEachRow([1, .nan, 1, 2], rows: 2, columns: 2))
    XCTAssertThrowsError(try LinearAssignment.columnForEachRow([1, 2, 3], rows: 2, columns: 2))
  }

  func testFrameLinkingWeighsBirthAndDeath() throws {
    // Two tracks, two cells: track 0 ↔ cell 0 is cheap; track 1 ↔ cell 1 costs more than
    // (birth + death) / 2, so track 1 ends and cell 1 is born.
    let links = [
      LinkCandidate(row: 0, cell: 0, cost: 0.1), LinkCandidate(row: 1, cell: 1, cost: 0.995),
      LinkCandidate(row: 1, cell: 0, cost: 0.2),
    ]
    XCTAssertEqual(
      try FrameLinking.link(
        candidates: links, rowCount: 2, cellCount: 2, birthCost: 0.99, deathCost: 0.99), [0, -1])
    // Cheaper second link: both continue (total 1.1 < 0.2 + 0.99 + 0.99).
    let cheaper = [links[0], LinkCandidate(row: 1, cell: 1, cost: 0.9), links[2]]
    XCTAssertEqual(
      try FrameLinking.link(
        candidates: cheaper, rowCount: 2, cellCount: 2, birthCost: 0.99, deathCost: 0.99), [0, 1])
  }
}

/// A small seeded generator (SplitMix64) for reproducible test data.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
