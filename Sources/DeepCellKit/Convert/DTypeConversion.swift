import Foundation

/// Converts frames to another dtype without changing what the pixels mean, or rescales an
/// intensity range onto the target type's range.
///
/// Without a range, every value must be representable in the target type: integer targets
/// take integral values within their limits, float32 takes integers it holds exactly
/// (below 2²⁴ in magnitude) and floats of its finite range, rounded to nearest (float64
/// data). A value that does not fit is an error naming the frame, the pixel and the value:
/// nothing is wrapped, clipped or truncated silently (numpy's `astype` would).
///
/// With a range (`low`, `high`), values map linearly so that `low` becomes the target's
/// minimum and `high` its maximum, clipped at both ends and rounded to nearest for
/// integer targets: the full range of uint8 (0…255), uint16, int32; 0…1 for float32.
/// A range of zero width maps everything to the minimum. NaN cannot be mapped (an error).
public struct DTypeConversion: Sendable {
  /// The dtype frames are converted to.
  public var target: DType
  /// The input values mapped onto the target's minimum and maximum; nil: values kept.
  public var range: (low: Double, high: Double)?

  /// A conversion to `target`, rescaling `range` onto its limits when given.
  public init(target: DType, range: (low: Double, high: Double)? = nil) {
    self.target = target
    self.range = range
  }

  /// The dtypes ``target`` may be: those `dc-normalize --dtype` offers.
  public static let targets: [DType] = [.uint8, .uint16, .int32, .float32]

  /// The limits values are rescaled onto: the integer type's range, 0…1 for floats.
  public static func limits(of dtype: DType) -> (min: Double, max: Double) {
    switch dtype {
    case .uint8: return (0, 255)
    case .int8: return (-128, 127)
    case .uint16: return (0, 65535)
    case .int16: return (-32768, 32767)
    case .uint32: return (0, 4_294_967_295)
    case .int32: return (-2_147_483_648, 2_147_483_647)
    case .bool: return (0, 1)
    default: return (0, 1)
    }
  }

  /// `frame` in the ``target`` dtype. `frameIndex` and `subject` (the input) name the frame
  /// in errors. Throws `badData` for a value that does not fit (no range) or NaN (range).
  public func convert(_ frame: NDArray, frameIndex: Int, subject: String) throws -> NDArray {
    if range == nil && frame.dtype == target { return frame }
    if let range, [.uint8, .uint16, .int32, .float32, .float64].contains(target) {
      let (out, nan) = ConversionKernels.rescale(
        frame, low: range.low, high: range.high, target: target)
      if let out { return out }
      throw failure(
        frame, index: nan!, value: .nan, frameIndex: frameIndex, subject: subject,
        why: "and NaN cannot be rescaled")
    }
    let values = frame.doubleValues()
    let out: [Double]
    if let range {
      out = try rescaled(
        values, range: range, frame: frame, frameIndex: frameIndex, subject: subject)
    } else {
      try checkFits(values, frame: frame, frameIndex: frameIndex, subject: subject)
      out = values
    }
    return NDArray(shape: frame.shape, values: out).converted(to: target)
  }

  /// The values mapped from `range` onto the target's limits.
  private func rescaled(
    _ values: [Double], range: (low: Double, high: Double), frame: NDArray, frameIndex: Int,
    subject: String
  ) throws -> [Double] {
    let (tmin, tmax) = Self.limits(of: target)
    let integer = target.isInteger
    let width = range.high - range.low
    let span = tmax - tmin
    var out = [Double](repeating: tmin, count: values.count)
    for (i, v) in values.enumerated() {
      guard !v.isNaN else {
        throw failure(
          frame, index: i, value: v, frameIndex: frameIndex, subject: subject,
          why: "and NaN cannot be rescaled")
      }
      guard width > 0 else { continue }
      var y = (v - range.low) * span / width + tmin
      y = min(max(y, tmin), tmax)
      out[i] = integer ? y.rounded(.toNearestOrEven) : y
    }
    return out
  }

  /// Throws for the first value the target cannot hold as it is.
  private func checkFits(_ values: [Double], frame: NDArray, frameIndex: Int, subject: String)
    throws
  {
    let (tmin, tmax) = Self.limits(of: target)
    let exactFloat = Double(1 << 24)
    for (i, v) in values.enumerated() {
      let fits: Bool
      switch target {
      case .float32:
        fits =
          frame.dtype.isFloat
          ? (!v.isFinite || abs(v) <= Double(Float.greatestFiniteMagnitude))
          : abs(v) <= exactFloat || Double(Float(v)) == v
      case .float64:
        fits = true
      default:
        fits = v.isFinite && v == v.rounded() && v >= tmin && v <= tmax
      }
      if !fits {
        let limits =
          target.isInteger
          ? "integers \(Int64(tmin))…\(Int64(tmax))" : "not exactly"
        throw failure(
          frame, index: i, value: v, frameIndex: frameIndex, subject: subject,
          why:
            "which does not fit \(target) (\(limits)): rescale with --rescale or choose a wider --dtype"
        )
      }
    }
  }

  /// A `badData` error about element `index` of `frame`.
  private func failure(
    _ frame: NDArray, index: Int, value: Double, frameIndex: Int, subject: String, why: String
  ) -> DeepCellError {
    let shape = frame.shape.count == 2 ? frame.shape + [1] : frame.shape
    let channels = shape.count >= 3 ? shape[2] : 1
    let pixel = index / channels
    let (y, x, c) = (pixel / shape[1], pixel % shape[1], index % channels)
    let text = frame.dtype.isInteger ? String(format: "%.0f", value) : "\(value)"
    return DeepCellError(
      .badData, subject, "frame \(frameIndex) holds \(text) at y=\(y), x=\(x), channel \(c), \(why)"
    )
  }
}
