/// A dense, C-ordered n-dimensional array with a runtime dtype: the in-memory form of
/// every image, label stack and map the tools exchange.
///
/// Stacks follow design.md's axis contract: frames × height × width × channels. The
/// elements live in native (little-endian) byte order in `bytes`; typed access goes
/// through ``values(_:)``, ``withUnsafeBufferPointer(_:_:)`` or the conversion helpers.
public struct NDArray: Sendable, Equatable {
  /// The extent of each axis, outermost first.
  public private(set) var shape: [Int]
  /// The element type.
  public private(set) var dtype: DType
  /// The raw elements, `count * dtype.size` bytes, C order, native byte order.
  public var bytes: [UInt8]

  /// Number of elements (the product of `shape`; 1 for a scalar).
  public var count: Int { shape.reduce(1, *) }
  /// Number of axes.
  public var rank: Int { shape.count }

  /// An array of zeros.
  public init(zeros shape: [Int], dtype: DType) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
    self.shape = shape
    self.dtype = dtype
    self.bytes = [UInt8](repeating: 0, count: shape.reduce(1, *) * dtype.size)
  }

  /// Wraps raw native-order bytes; `bytes.count` must equal `prod(shape) * dtype.size`.
  public init(shape: [Int], dtype: DType, bytes: [UInt8]) {
    precondition(
      bytes.count == shape.reduce(1, *) * dtype.size,
      "byte count does not match shape \(shape) of \(dtype)")
    self.shape = shape
    self.dtype = dtype
    self.bytes = bytes
  }

  /// Wraps typed values; `values.count` must equal `prod(shape)`.
  public init<T: NDScalar>(shape: [Int], values: [T]) {
    precondition(
      values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
    self.shape = shape
    self.dtype = T.dtype
    self.bytes = values.withUnsafeBytes { [UInt8]($0) }
  }

  /// The elements as `T`, converted with numpy `astype` semantics when the dtype differs
  /// (integers truncate toward zero; bool is 0/1).
  public func values<T: NDScalar>(_ type: T.Type = T.self) -> [T] {
    if dtype == T.dtype {
      return bytes.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
    }
    if dtype.isInteger, T.dtype.isInteger || T.dtype == .bool {
      return integerValues().map { T(fromDouble: Double($0)) }
    }
    return doubleValues().map { T(fromDouble: $0) }
  }

  /// The elements as Float (float32), the working type of the image algorithms.
  public func floats() -> [Float] { values(Float.self) }

  /// The elements as Double.
  public func doubleValues() -> [Double] {
    bytes.withUnsafeBytes { raw -> [Double] in
      switch dtype {
      case .bool: return raw.bindMemory(to: UInt8.self).map { $0 != 0 ? 1 : 0 }
      case .uint8: return raw.bindMemory(to: UInt8.self).map { Double($0) }
      case .int8: return raw.bindMemory(to: Int8.self).map { Double($0) }
      case .uint16: return raw.bindMemory(to: UInt16.self).map { Double($0) }
      case .int16: return raw.bindMemory(to: Int16.self).map { Double($0) }
      case .uint32: return raw.bindMemory(to: UInt32.self).map { Double($0) }
      case .int32: return raw.bindMemory(to: Int32.self).map { Double($0) }
      case .uint64: return raw.bindMemory(to: UInt64.self).map { Double($0) }
      case .int64: return raw.bindMemory(to: Int64.self).map { Double($0) }
      case .float16: return raw.bindMemory(to: UInt16.self).map { Double(halfToFloat($0)) }
      case .float32: return raw.bindMemory(to: Float.self).map { Double($0) }
      case .float64: return Array(raw.bindMemory(to: Double.self))
      }
    }
  }

  /// The elements as Int64: exact for every integer dtype, truncation toward zero for
  /// floats (NaN becomes 0), 0/1 for bool.
  public func integerValues() -> [Int64] {
    bytes.withUnsafeBytes { raw -> [Int64] in
      switch dtype {
      case .bool: return raw.bindMemory(to: UInt8.self).map { $0 != 0 ? 1 : 0 }
      case .uint8: return raw.bindMemory(to: UInt8.self).map { Int64($0) }
      case .int8: return raw.bindMemory(to: Int8.self).map { Int64($0) }
      case .uint16: return raw.bindMemory(to: UInt16.self).map { Int64($0) }
      case .int16: return raw.bindMemory(to: Int16.self).map { Int64($0) }
      case .uint32: return raw.bindMemory(to: UInt32.self).map { Int64($0) }
      case .int32: return raw.bindMemory(to: Int32.self).map { Int64($0) }
      case .uint64: return raw.bindMemory(to: UInt64.self).map { Int64(truncatingIfNeeded: $0) }
      case .int64: return Array(raw.bindMemory(to: Int64.self))
      default: return doubleValues().map { Int64(fromDouble: $0) }
      }
    }
  }

  /// A copy converted to `dtype` (numpy `astype`).
  public func converted(to newType: DType) -> NDArray {
    if newType == dtype { return self }
    switch newType {
    case .bool: return NDArray(shape: shape, values: values(Bool.self))
    case .uint8: return NDArray(shape: shape, values: values(UInt8.self))
    case .int8: return NDArray(shape: shape, values: values(Int8.self))
    case .uint16: return NDArray(shape: shape, values: values(UInt16.self))
    case .int16: return NDArray(shape: shape, values: values(Int16.self))
    case .uint32: return NDArray(shape: shape, values: values(UInt32.self))
    case .int32: return NDArray(shape: shape, values: values(Int32.self))
    case .uint64: return NDArray(shape: shape, values: values(UInt64.self))
    case .int64: return NDArray(shape: shape, values: values(Int64.self))
    case .float16:
      let halves = values(Float.self).map { floatToHalf($0) }
      return NDArray(shape: shape, dtype: .float16, bytes: halves.withUnsafeBytes { [UInt8]($0) })
    case .float32: return NDArray(shape: shape, values: values(Float.self))
    case .float64: return NDArray(shape: shape, values: values(Double.self))
    }
  }

  /// Calls `body` with the elements typed as `T`; `T.dtype` must equal `dtype`.
  public func withUnsafeBufferPointer<T: NDScalar, R>(
    _ type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
  ) rethrows -> R {
    precondition(T.dtype == dtype, "array is \(dtype), not \(T.dtype)")
    return try bytes.withUnsafeBytes { try body($0.bindMemory(to: T.self)) }
  }

  /// Calls `body` with the elements typed as `T` for writing; `T.dtype` must equal `dtype`.
  public mutating func withUnsafeMutableBufferPointer<T: NDScalar, R>(
    _ type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
  ) rethrows -> R {
    precondition(T.dtype == dtype, "array is \(dtype), not \(T.dtype)")
    return try bytes.withUnsafeMutableBytes { try body($0.bindMemory(to: T.self)) }
  }

  /// The same elements under another shape of equal element count.
  public func reshaped(_ newShape: [Int]) -> NDArray {
    precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
    var copy = self
    copy.shape = newShape
    return copy
  }

  /// The array as a rank-4 stack (frames, height, width, channels): a 2-D image becomes
  /// (1, H, W, 1), a 3-D array (N, H, W, 1); rank 4 is returned as is.
  /// Returns nil for rank 0, 1 or above 4.
  public func asStack() -> NDArray? {
    switch rank {
    case 2: return reshaped([1, shape[0], shape[1], 1])
    case 3: return reshaped([shape[0], shape[1], shape[2], 1])
    case 4: return self
    default: return nil
    }
  }

  /// Sub-array `index` along the first axis (a frame of a stack).
  public func frame(_ index: Int) -> NDArray {
    precondition(
      rank >= 1 && index >= 0 && index < shape[0], "frame \(index) out of range for shape \(shape)")
    let inner = Array(shape.dropFirst())
    let stride = inner.reduce(1, *) * dtype.size
    return NDArray(
      shape: inner, dtype: dtype, bytes: Array(bytes[(index * stride)..<((index + 1) * stride)]))
  }

  /// Stacks equally shaped, equally typed arrays along a new first axis.
  public static func stacking(_ frames: [NDArray]) -> NDArray? {
    guard let first = frames.first,
      frames.allSatisfy({ $0.shape == first.shape && $0.dtype == first.dtype })
    else { return nil }
    var bytes = [UInt8]()
    bytes.reserveCapacity(first.bytes.count * frames.count)
    for f in frames { bytes.append(contentsOf: f.bytes) }
    return NDArray(shape: [frames.count] + first.shape, dtype: first.dtype, bytes: bytes)
  }
}

/// IEEE 754 binary16 bits → Float.
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
  let sign = UInt32(h & 0x8000) << 16
  let exp = Int((h >> 10) & 0x1F)
  let mant = UInt32(h & 0x3FF)
  if exp == 0 {
    let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
    return sign != 0 ? -v : v
  }
  if exp == 31 {
    return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13))
  }
  return Float(bitPattern: sign | (UInt32(exp + 112) << 23) | (mant << 13))
}

/// Float → IEEE 754 binary16 bits, rounding to nearest even.
@inline(__always)
func floatToHalf(_ f: Float) -> UInt16 {
  let bits = f.bitPattern
  let sign = UInt16((bits >> 16) & 0x8000)
  if f.isNaN { return sign | 0x7E00 }
  let a = abs(f)
  if a >= 65520 { return sign | 0x7C00 }
  if a < Float(sign: .plus, exponent: -25, significand: 1) { return sign }
  if a < Float(sign: .plus, exponent: -14, significand: 1) {
    return sign
      | UInt16((a * Float(sign: .plus, exponent: 24, significand: 1)).rounded(.toNearestOrEven))
  }
  let e = Int((a.bitPattern >> 23) & 0xFF) - 127
  let m = a.bitPattern & 0x7F_FFFF
  var half = UInt32(e + 15) << 10 | (m >> 13)
  let rest = m & 0x1FFF
  if rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1) { half += 1 }
  return sign | UInt16(half)
}
