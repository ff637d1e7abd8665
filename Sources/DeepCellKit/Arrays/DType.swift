/// The element type of an ``NDArray``, named as numpy names it.
///
/// Covers every dtype the dc tools read (spec/io.md §2): bool, signed and unsigned
/// integers of 8–64 bits, float16 (read only), float32 and float64.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
  case bool, uint8, int8, uint16, int16, uint32, int32, uint64, int64, float16, float32, float64

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .bool, .uint8, .int8: return 1
    case .uint16, .int16, .float16: return 2
    case .uint32, .int32, .float32: return 4
    case .uint64, .int64, .float64: return 8
    }
  }

  /// True for the integer types (bool excluded).
  public var isInteger: Bool {
    switch self {
    case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true
    default: return false
    }
  }

  /// True for float16, float32 and float64.
  public var isFloat: Bool { self == .float16 || self == .float32 || self == .float64 }

  /// True for the signed integer types.
  public var isSigned: Bool { self == .int8 || self == .int16 || self == .int32 || self == .int64 }

  /// numpy's array-protocol type string with little-endian byte order, e.g. `<f4`, `|u1`.
  public var numpyDescr: String {
    switch self {
    case .bool: return "|b1"
    case .uint8: return "|u1"
    case .int8: return "|i1"
    case .uint16: return "<u2"
    case .int16: return "<i2"
    case .uint32: return "<u4"
    case .int32: return "<i4"
    case .uint64: return "<u8"
    case .int64: return "<i8"
    case .float16: return "<f2"
    case .float32: return "<f4"
    case .float64: return "<f8"
    }
  }

  public var description: String { rawValue }

  /// The smallest unsigned label dtype that holds `maxLabel` (uint16, else uint32),
  /// as design.md's dtype contract asks for label images.
  public static func labelType(forMax maxLabel: Int) -> DType {
    maxLabel <= Int(UInt16.max) ? .uint16 : .uint32
  }
}

/// A Swift scalar type that can be an ``NDArray`` element.
public protocol NDScalar: Sendable {
  /// The dtype of this Swift type.
  static var dtype: DType { get }
  /// Converts to Double (exact for every type but 64-bit integers above 2^53).
  var doubleValue: Double { get }
  /// Converts from Double the way numpy's `astype` does for in-range values
  /// (truncation toward zero for integers).
  init(fromDouble value: Double)
}

extension Bool: NDScalar {
  public static var dtype: DType { .bool }
  public var doubleValue: Double { self ? 1 : 0 }
  public init(fromDouble value: Double) { self = value != 0 }
}
extension UInt8: NDScalar {
  public static var dtype: DType { .uint8 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) { self = UInt8(truncatingIfNeeded: Int64(value)) }
}
extension Int8: NDScalar {
  public static var dtype: DType { .int8 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) { self = Int8(truncatingIfNeeded: Int64(value)) }
}
extension UInt16: NDScalar {
  public static var dtype: DType { .uint16 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) { self = UInt16(truncatingIfNeeded: Int64(value)) }
}
extension Int16: NDScalar {
  public static var dtype: DType { .int16 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) { self = Int16(truncatingIfNeeded: Int64(value)) }
}
extension UInt32: NDScalar {
  public static var dtype: DType { .uint32 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) { self = UInt32(truncatingIfNeeded: Int64(value)) }
}
extension Int32: NDScalar {
  public static var dtype: DType { .int32 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) { self = Int32(truncatingIfNeeded: Int64(value)) }
}
extension UInt64: NDScalar {
  public static var dtype: DType { .uint64 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) {
    self = value <= 0 ? 0 : (value >= 1.8446744073709552e19 ? .max : UInt64(value))
  }
}
extension Int64: NDScalar {
  public static var dtype: DType { .int64 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) {
    self =
      value.isNaN
      ? 0 : Int64(Swift.max(Swift.min(value, 9.2233720368547748e18), -9.2233720368547758e18))
  }
}
extension Float: NDScalar {
  public static var dtype: DType { .float32 }
  public var doubleValue: Double { Double(self) }
  public init(fromDouble value: Double) { self = Float(value) }
}
extension Double: NDScalar {
  public static var dtype: DType { .float64 }
  public var doubleValue: Double { self }
  public init(fromDouble value: Double) { self = value }
}
