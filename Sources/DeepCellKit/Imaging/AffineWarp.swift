import Foundation

/// How a warp fills pixels that map outside the input image (Keras `fill_mode`, passed to
/// scipy `ndimage.affine_transform` as `mode`).
public enum FillMode: String, Sendable, CaseIterable {
  /// `kkkk|abcd|kkkk`: outside coordinates take the constant `cval`.
  case constant
  /// `aaaa|abcd|dddd`: coordinates are clamped to the edge (the DeepCell default).
  case nearest
  /// `dcba|abcd|dcba`: half-sample symmetric reflection.
  case reflect
  /// scipy's legacy `wrap` (period `len − 1`, as scipy ≥ 1.6 maps it).
  case wrap
}

/// A 2-D affine resampling with scipy `ndimage.affine_transform` semantics: output pixel
/// p = (row, col) samples the input at `q = M·p + offset` (float64), order 0 (nearest,
/// `floor(q + 0.5)`) or order 1 (bilinear), with the boundary handling of ``FillMode``
/// (augment.md §4.1). Order-1 results are accumulated in float64 and rounded to float32,
/// as scipy does for a float32 image.
///
/// ``keras(theta:tx:ty:shear:zx:zy:height:width:)`` builds the matrix of keras-preprocessing
/// 1.1.2 `apply_affine_transform` (rotation · shift · shear · zoom about the centre
/// `(h/2 + 0.5, w/2 + 0.5)`).
public struct AffineWarp: Sendable, Equatable {
  /// Row-major 2×2 matrix `[m00, m01, m10, m11]` mapping output (row, col) to input.
  public var matrix: [Double]
  /// Offset `(row, col)` added after the matrix.
  public var offset: [Double]

  /// A warp with the given matrix (row-major 2×2) and offset.
  public init(matrix: [Double], offset: [Double]) {
    precondition(
      matrix.count == 4 && offset.count == 2, "affine warp needs a 2×2 matrix and a 2-vector offset"
    )
    self.matrix = matrix
    self.offset = offset
  }

  /// The warp Keras' `apply_affine_transform(x, theta, tx, ty, shear, zx, zy)` applies to
  /// an image of `height`×`width` (θ and shear in degrees; tx shifts rows, ty columns; zx
  /// scales rows, zy columns), or nil when every parameter is the identity and Keras skips
  /// the warp. augment.md §4.1.
  public static func keras(
    theta: Double = 0, tx: Double = 0, ty: Double = 0, shear: Double = 0, zx: Double = 1,
    zy: Double = 1,
    height: Int, width: Int
  ) -> AffineWarp? {
    var t: [Double]? = nil
    func compose(_ m: [Double]) { t = t.map { multiply3x3($0, m) } ?? m }
    if theta != 0 {
      let a = theta * (Double.pi / 180)
      compose([cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1])
    }
    if tx != 0 || ty != 0 { compose([1, 0, tx, 0, 1, ty, 0, 0, 1]) }
    if shear != 0 {
      let s = shear * (Double.pi / 180)
      compose([1, -sin(s), 0, 0, cos(s), 0, 0, 0, 1])
    }
    if zx != 1 || zy != 1 { compose([zx, 0, 0, 0, zy, 0, 0, 0, 1]) }
    guard let transform = t else { return nil }
    let ox = Double(height) / 2 + 0.5
    let oy = Double(width) / 2 + 0.5
    let centred = multiply3x3(
      multiply3x3([1, 0, ox, 0, 1, oy, 0, 0, 1], transform), [1, 0, -ox, 0, 1, -oy, 0, 0, 1])
    return AffineWarp(
      matrix: [centred[0], centred[1], centred[3], centred[4]], offset: [centred[2], centred[5]])
  }

  /// Row-major 3×3 product with numpy's naive summation order.
  static func multiply3x3(_ a: [Double], _ b: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: 9)
    for i in 0..<3 {
      for j in 0..<3 {
        out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j]
      }
    }
    return out
  }

  /// One axis of the sampling: the filter start index, the two neighbour indices after
  /// boundary extension, the bilinear weights, and whether the point is outside (constant).
  struct AxisSample {
    var lo: Int
    var hi: Int
    var w0: Double
    var w1: Double
    var outside: Bool
  }

  /// scipy's `map_coordinate`: folds a coordinate outside `[0, len − 1]` back inside, or
  /// returns -1 (constant mode).
  @inline(__always)
  static func mapCoordinate(_ x: Double, _ len: Int, _ mode: FillMode) -> Double {
    var v = x
    if v < 0 {
      switch mode {
      case .reflect:
        if len <= 1 { return 0 }
        let sz2 = 2 * len
        if v < -Double(sz2) { v = Double(sz2 * Int(-v / Double(sz2))) + v }
        v = v < -Double(len) ? v + Double(sz2) : -v - 1
      case .wrap:
        if len <= 1 { return 0 }
        let sz = len - 1
        v += Double(sz * (Int(-v / Double(sz)) + 1))
      case .nearest:
        v = 0
      case .constant:
        v = -1
      }
    } else if v > Double(len - 1) {
      switch mode {
      case .reflect:
        if len <= 1 { return 0 }
        let sz2 = 2 * len
        v -= Double(sz2 * Int(v / Double(sz2)))
        if v >= Double(len) { v = Double(sz2) - v - 1 }
      case .wrap:
        if len <= 1 { return 0 }
        let sz = len - 1
        v -= Double(sz * Int(v / Double(sz)))
      case .nearest:
        v = Double(len - 1)
      case .constant:
        v = -1
      }
    }
    return v
  }

  /// Index `i` of the interpolation window brought inside `[0, len)`: edge-replicating
  /// for nearest/reflect, mirroring for constant/wrap (scipy's `spline_mode`).
  @inline(__always)
  static func extendIndex(_ i: Int, _ len: Int, _ mode: FillMode) -> Int {
    if i >= 0 && i < len { return i }
    if len <= 1 { return 0 }
    switch mode {
    case .nearest, .reflect:
      let period = 2 * len
      var j = i % period
      if j < 0 { j += period }
      return j < len ? j : period - 1 - j
    case .constant, .wrap:
      let period = 2 * len - 2
      var j = i % period
      if j < 0 { j += period }
      return j < len ? j : period - j
    }
  }

  @inline(__always)
  static func axisSample(_ x: Double, _ len: Int, order: Int, mode: FillMode) -> AxisSample {
    let cc = mapCoordinate(x, len, mode)
    if !(cc > -1.0) { return AxisSample(lo: 0, hi: 0, w0: 0, w1: 0, outside: true) }
    if order == 0 {
      let start = Int((cc + 0.5).rounded(.down))
      let i = extendIndex(start, len, mode)
      return AxisSample(lo: i, hi: i, w0: 1, w1: 0, outside: false)
    }
    let f = cc.rounded(.down)
    let start = Int(f)
    let w0 = 1.0 - (cc - f)
    return AxisSample(
      lo: extendIndex(start, len, mode), hi: extendIndex(start + 1, len, mode), w0: w0,
      w1: 1.0 - w0,
      outside: false)
  }

  /// Calls `body(o, row sample, column sample)` for every output pixel of a `height`×`width`
  /// image with `channels` channels (`o`: the pixel's first element): the input point the
  /// pixel maps to (scipy's `affine_transform` coordinates), sampled along each axis for
  /// interpolation `order` under `fillMode`.
  @inline(__always)
  private func forEachSample(
    height: Int, width: Int, channels: Int, order: Int, fillMode: FillMode,
    _ body: (Int, AxisSample, AxisSample) -> Void
  ) {
    let m00 = matrix[0]
    let m01 = matrix[1]
    let m10 = matrix[2]
    let m11 = matrix[3]
    let o0 = offset[0]
    let o1 = offset[1]
    for r in 0..<height {
      let rd = Double(r)
      for c in 0..<width {
        let cd = Double(c)
        let qr = 0.0 + rd * m00 + cd * m01 + o0
        let qc = 0.0 + rd * m10 + cd * m11 + o1
        body(
          (r * width + c) * channels,
          AffineWarp.axisSample(qr, height, order: order, mode: fillMode),
          AffineWarp.axisSample(qc, width, order: order, mode: fillMode))
      }
    }
  }

  /// Bilinear (order 1) warp of a row-major `height`×`width`×`channels` float image into
  /// `out` of the same size; each channel is warped separately with the same coordinates.
  public func bilinear(
    _ input: UnsafeBufferPointer<Float>, height: Int, width: Int, channels: Int, fillMode: FillMode,
    cval: Double = 0, into out: UnsafeMutableBufferPointer<Float>
  ) {
    forEachSample(height: height, width: width, channels: channels, order: 1, fillMode: fillMode) {
      o, sr, sc in
      if sr.outside || sc.outside {
        for k in 0..<channels { out[o + k] = Float(cval) }
        return
      }
      let i00 = (sr.lo * width + sc.lo) * channels
      let i01 = (sr.lo * width + sc.hi) * channels
      let i10 = (sr.hi * width + sc.lo) * channels
      let i11 = (sr.hi * width + sc.hi) * channels
      for k in 0..<channels {
        var t = 0.0
        t += Double(input[i00 + k]) * sr.w0 * sc.w0
        t += Double(input[i01 + k]) * sr.w0 * sc.w1
        t += Double(input[i10 + k]) * sr.w1 * sc.w0
        t += Double(input[i11 + k]) * sr.w1 * sc.w1
        out[o + k] = Float(t)
      }
    }
  }

  /// Nearest-neighbour (order 0) warp of a row-major `height`×`width`×`channels` image of
  /// any element type into `out`; points outside in constant mode get `fill`.
  public func nearest<T>(
    _ input: UnsafeBufferPointer<T>, height: Int, width: Int, channels: Int, fillMode: FillMode,
    fill: T,
    into out: UnsafeMutableBufferPointer<T>
  ) {
    forEachSample(height: height, width: width, channels: channels, order: 0, fillMode: fillMode) {
      o, sr, sc in
      if sr.outside || sc.outside {
        for k in 0..<channels { out[o + k] = fill }
        return
      }
      let i = (sr.lo * width + sc.lo) * channels
      for k in 0..<channels { out[o + k] = input[i + k] }
    }
  }

  /// Warps an image of shape (H, W) or (H, W, C). Order 1 works in float32 (the input is
  /// converted) and returns float32; order 0 keeps the dtype. `cval` fills outside points
  /// in constant mode (converted like scipy: rounded for integer outputs).
  public func apply(to image: NDArray, order: Int, fillMode: FillMode, cval: Double = 0) throws
    -> NDArray
  {
    guard image.rank == 2 || image.rank == 3 else {
      throw DeepCellError(
        .badData, "image",
        "affine warp expects an (H, W) or (H, W, C) image, got shape \(image.shape)")
    }
    guard order == 0 || order == 1 else {
      throw DeepCellError(.usage, "order", "interpolation order must be 0 or 1, got \(order)")
    }
    let h = image.shape[0]
    let w = image.shape[1]
    let ch = image.rank == 3 ? image.shape[2] : 1
    if order == 1 {
      let input = image.dtype == .float32 ? image : image.converted(to: .float32)
      var out = NDArray(zeros: image.shape, dtype: .float32)
      input.withUnsafeBufferPointer(Float.self) { src in
        out.withUnsafeMutableBufferPointer(Float.self) { dst in
          bilinear(
            src, height: h, width: w, channels: ch, fillMode: fillMode, cval: cval, into: dst)
        }
      }
      return out
    }
    func run<T: NDScalar>(_: T.Type) -> NDArray {
      var out = NDArray(zeros: image.shape, dtype: image.dtype)
      let fill =
        T.dtype.isFloat ? T(fromDouble: cval) : T(fromDouble: (cval > 0 ? cval + 0.5 : cval - 0.5))
      image.withUnsafeBufferPointer(T.self) { src in
        out.withUnsafeMutableBufferPointer(T.self) { dst in
          nearest(src, height: h, width: w, channels: ch, fillMode: fillMode, fill: fill, into: dst)
        }
      }
      return out
    }
    switch image.dtype {
    case .bool: return run(Bool.self)
    case .uint8: return run(UInt8.self)
    case .int8: return run(Int8.self)
    case .uint16: return run(UInt16.self)
    case .int16: return run(Int16.self)
    case .uint32: return run(UInt32.self)
    case .int32: return run(Int32.self)
    case .uint64: return run(UInt64.self)
    case .int64: return run(Int64.self)
    case .float16:
      return try apply(to: image.converted(to: .float32), order: 0, fillMode: fillMode, cval: cval)
    case .float32: return run(Float.self)
    case .float64: return run(Double.self)
    }
  }
}
