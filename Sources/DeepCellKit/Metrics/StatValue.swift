import Foundation

/// One value of a metrics record: a count or a rate. Records are ordered `(key, value)` lists
/// whose keys are the reference's own names (metrics.md §2.1, §2.3).
public enum StatValue: Sendable, Equatable, CustomStringConvertible {
  /// An integer count.
  case count(Int)
  /// A real-valued rate; NaN where the reference gives NaN (written as `null` in JSON).
  case rate(Double)

  /// The value as a Double.
  public var doubleValue: Double {
    switch self {
    case .count(let n): return Double(n)
    case .rate(let x): return x
    }
  }

  /// Shortest round-tripping text (`nan` for NaN).
  public var description: String {
    switch self {
    case .count(let n): return String(n)
    case .rate(let x): return x.isNaN ? "nan" : (x.isInfinite ? (x > 0 ? "inf" : "-inf") : "\(x)")
    }
  }
}

/// Python's `round(x, digits)`: the double nearest to `x` correctly rounded to `digits`
/// decimals (ties to even on the exact binary value), as the reference rounds its summary.
public func pythonRound(_ x: Double, digits: Int) -> Double {
  if !x.isFinite { return x }
  return Double(String(format: "%.\(digits)f", x)) ?? x
}
