/// The element loops of dtype conversion, typed for each source and target so that a frame
/// is read and written in one pass without a Double copy of it (``DTypeConversion``,
/// ``RescaleRange``). float16 has no Swift element type here and goes through Double.
enum ConversionKernels {
  /// The smallest and largest value of `frame`, and the index of its first NaN if any.
  static func extremes(_ frame: NDArray) -> (low: Double, high: Double, nan: Int?) {
    switch frame.dtype {
    case .uint8: return frame.withUnsafeBufferPointer(UInt8.self, integerExtremes)
    case .int8: return frame.withUnsafeBufferPointer(Int8.self, integerExtremes)
    case .uint16: return frame.withUnsafeBufferPointer(UInt16.self, integerExtremes)
    case .int16: return frame.withUnsafeBufferPointer(Int16.self, integerExtremes)
    case .uint32: return frame.withUnsafeBufferPointer(UInt32.self, integerExtremes)
    case .int32: return frame.withUnsafeBufferPointer(Int32.self, integerExtremes)
    case .uint64: return frame.withUnsafeBufferPointer(UInt64.self, integerExtremes)
    case .int64: return frame.withUnsafeBufferPointer(Int64.self, integerExtremes)
    case .float32: return frame.withUnsafeBufferPointer(Float.self, floatExtremes)
    case .float64: return frame.withUnsafeBufferPointer(Double.self, floatExtremes)
    case .float16, .bool: return frame.doubleValues().withUnsafeBufferPointer(floatExtremes)
    }
  }

  static func integerExtremes<T: NDScalar & FixedWidthInteger>(_ p: UnsafeBufferPointer<T>)
    -> (low: Double, high: Double, nan: Int?)
  {
    guard var low = p.first else { return (.infinity, -.infinity, nil) }
    var high = low
    for v in p {
      low = Swift.min(low, v)
      high = Swift.max(high, v)
    }
    return (low.doubleValue, high.doubleValue, nil)
  }

  static func floatExtremes<T: NDScalar & BinaryFloatingPoint>(_ p: UnsafeBufferPointer<T>)
    -> (low: Double, high: Double, nan: Int?)
  {
    var low = T.infinity
    var high = -T.infinity
    var sawNaN = false
    for v in p {
      low = Swift.min(low, v)
      high = Swift.max(high, v)
      sawNaN = sawNaN || v.isNaN
    }
    return (low.doubleValue, high.doubleValue, sawNaN ? p.firstIndex { $0.isNaN } : nil)
  }

  /// `frame` mapped linearly from `low…high` onto `target`'s limits, clipped, rounded to
  /// nearest (ties to even) for integer targets; nil (and the index) at the first NaN.
  static func rescale(_ frame: NDArray, low: Double, high: Double, target: DType) -> (
    NDArray?, nan: Int?
  ) {
    func from<T: NDScalar>(_ type: T.Type) -> (NDArray?, nan: Int?) {
      frame.withUnsafeBufferPointer(T.self) { src in
        switch target {
        case .uint8: return rescaled(src, UInt8.self, low, high, frame.shape)
        case .uint16: return rescaled(src, UInt16.self, low, high, frame.shape)
        case .int32: return rescaled(src, Int32.self, low, high, frame.shape)
        case .float32: return rescaled(src, Float.self, low, high, frame.shape)
        default: return rescaled(src, Double.self, low, high, frame.shape)
        }
      }
    }
    switch frame.dtype {
    case .uint8: return from(UInt8.self)
    case .int8: return from(Int8.self)
    case .uint16: return from(UInt16.self)
    case .int16: return from(Int16.self)
    case .uint32: return from(UInt32.self)
    case .int32: return from(Int32.self)
    case .uint64: return from(UInt64.self)
    case .int64: return from(Int64.self)
    case .float32: return from(Float.self)
    case .float64: return from(Double.self)
    case .float16, .bool:
      return rescale(
        NDArray(shape: frame.shape, values: frame.doubleValues()), low: low, high: high,
        target: target)
    }
  }

  static func rescaled<T: NDScalar, U: NDScalar>(
    _ src: UnsafeBufferPointer<T>, _ type: U.Type, _ low: Double, _ high: Double, _ shape: [Int]
  ) -> (NDArray?, nan: Int?) {
    let (tmin, tmax) = DTypeConversion.limits(of: U.dtype)
    let integer = U.dtype.isInteger
    let width = high - low
    let span = tmax - tmin
    var out = NDArray(zeros: shape, dtype: U.dtype)
    var nan: Int? = nil
    out.withUnsafeMutableBufferPointer(U.self) { dst in
      for i in 0..<src.count {
        let v = src[i].doubleValue
        if v.isNaN {
          nan = i
          return
        }
        guard width > 0 else {
          dst[i] = U(fromDouble: tmin)
          continue
        }
        var y = (v - low) * span / width + tmin
        y = Swift.min(Swift.max(y, tmin), tmax)
        dst[i] = U(fromDouble: integer ? y.rounded(.toNearestOrEven) : y)
      }
    }
    return nan == nil ? (out, nil) : (nil, nan)
  }
}
