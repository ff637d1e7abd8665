import Foundation
import XCTest

@testable import DeepCellKit

/// Loads `Tests/Fixtures/metrics/NAME` as JSON.
func loadMetricsJSON(_ name: String) throws -> Any {
  try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.fixture("metrics/\(name)")))
}

/// A JSON number or null as Double (null = NaN).
func jsonDouble(_ value: Any?) -> Double {
  if let n = value as? NSNumber { return n.doubleValue }
  return .nan
}

/// Asserts `actual` equals `expected` within `tolerance`, NaN matching NaN.
func assertClose(
  _ actual: Double, _ expected: Double, _ tolerance: Double, _ message: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  if expected.isNaN || actual.isNaN {
    XCTAssertTrue(
      expected.isNaN && actual.isNaN, "\(message): \(actual) vs \(expected)", file: file, line: line
    )
  } else {
    XCTAssertLessThanOrEqual(
      abs(actual - expected), tolerance, "\(message): \(actual) vs \(expected)", file: file,
      line: line)
  }
}

/// Compares a record with the reference's dictionary: every reference key must be present
/// and equal (counts exactly, rates within `tolerance`). `rename` maps reference keys to ours.
func assertRecord(
  _ record: [(String, StatValue)], _ reference: [String: Any], tolerance: Double,
  rename: [String: String] = [:],
  skip: Set<String> = [], context: String, file: StaticString = #filePath, line: UInt = #line
) {
  let ours = Dictionary(record.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
  for (key, value) in reference where !skip.contains(key) {
    let mine = rename[key] ?? key
    guard let v = ours[mine] else {
      XCTFail("\(context): key \(mine) missing", file: file, line: line)
      continue
    }
    if case .count(let n) = v {
      XCTAssertEqual(Double(n), jsonDouble(value), "\(context): \(key)", file: file, line: line)
    } else {
      assertClose(
        v.doubleValue, jsonDouble(value), tolerance, "\(context): \(key)", file: file, line: line)
    }
  }
}
