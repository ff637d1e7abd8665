// Shared inner loops of the engine's Swift kernels. In both layouts the elements of one
// (image n, channel block cb) pair form one contiguous run of H·W·b floats ("channel run"),
// so per-channel operations work run by run on SIMD16 vectors: lane k of a vector at a run
// offset that is a multiple of 16 always holds channel cb·b + (k mod b) — for nChw16c one
// pixel's 16 channels, for nChw8c two pixels' 8 channels, for nchw 16 pixels of one channel.
// Scalar tails (run lengths not a multiple of 16) use lane (i mod 16) the same way.

typealias Vec16 = SIMD16<Float>

/// A pixel's channel values: one Float (nchw) or a SIMD16 of 16 channels (nChw16c).
protocol PixelValue {
  static var lanes: Int { get }
  static var zero: Self { get }
  static func load(_ p: UnsafePointer<Float>) -> Self
  func store(_ p: UnsafeMutablePointer<Float>)
  static func + (a: Self, b: Self) -> Self
  static func scaled(_ a: Self, _ s: Float) -> Self
  static func maximum(_ a: Self, _ b: Self) -> Self
  /// Where a equals m: `value`, else zero (first-maximum routing is done by the caller).
  static func select(_ a: Self, equals m: Self, _ value: Self, taken: inout Self) -> Self
}

extension Float: PixelValue {
  @inline(__always) static var lanes: Int { 1 }
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
  @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
  @inline(__always) static func scaled(_ a: Float, _ s: Float) -> Float { a * s }
  @inline(__always) static func maximum(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) }
  @inline(__always) static func select(
    _ a: Float, equals m: Float, _ value: Float, taken: inout Float
  ) -> Float {
    if taken == 0 && a == m {
      taken = 1
      return value
    }
    return 0
  }
}

extension SIMD16: PixelValue where Scalar == Float {
  @inline(__always) static var lanes: Int { 16 }
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
  }
  @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD16<Float>.self)
  }
  @inline(__always) static func scaled(_ a: SIMD16<Float>, _ s: Float) -> SIMD16<Float> { a * s }
  @inline(__always) static func maximum(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    a.replacing(with: b, where: b .> a)
  }
  @inline(__always) static func select(
    _ a: SIMD16<Float>, equals m: SIMD16<Float>, _ value: SIMD16<Float>, taken: inout SIMD16<Float>
  ) -> SIMD16<Float> {
    let hit = (a .== m) .& (taken .== 0)
    taken.replace(with: 1, where: hit)
    return SIMD16<Float>(repeating: 0).replacing(with: value, where: hit)
  }
}

extension SIMD8: PixelValue where Scalar == Float {
  @inline(__always) static var lanes: Int { 8 }
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
  }
  @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self)
  }
  @inline(__always) static func scaled(_ a: SIMD8<Float>, _ s: Float) -> SIMD8<Float> { a * s }
  @inline(__always) static func maximum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    a.replacing(with: b, where: b .> a)
  }
  @inline(__always) static func select(
    _ a: SIMD8<Float>, equals m: SIMD8<Float>, _ value: SIMD8<Float>, taken: inout SIMD8<Float>
  ) -> SIMD8<Float> {
    let hit = (a .== m) .& (taken .== 0)
    taken.replace(with: 1, where: hit)
    return SIMD8<Float>(repeating: 0).replacing(with: value, where: hit)
  }
}

extension SIMD4: PixelValue where Scalar == Float {
  @inline(__always) static var lanes: Int { 4 }
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
  }
  @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD4<Float>.self)
  }
  @inline(__always) static func scaled(_ a: SIMD4<Float>, _ s: Float) -> SIMD4<Float> { a * s }
  @inline(__always) static func maximum(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
    a.replacing(with: b, where: b .> a)
  }
  @inline(__always) static func select(
    _ a: SIMD4<Float>, equals m: SIMD4<Float>, _ value: SIMD4<Float>, taken: inout SIMD4<Float>
  ) -> SIMD4<Float> {
    let hit = (a .== m) .& (taken .== 0)
    taken.replace(with: 1, where: hit)
    return SIMD4<Float>(repeating: 0).replacing(with: value, where: hit)
  }
}

/// Runs `body(run, offset, length)` for every channel run of `t` on the OpenMP pool.
@inline(__always)
func forEachChannelRun(_ t: Tensor, _ body: (_ run: Int, _ offset: Int, _ length: Int) -> Void) {
  let length = t.shape.h * t.shape.w * t.blockSize
  NNThreads.parallelFor(t.shape.n * t.channelBlocks) { r in body(r, r * length, length) }
}

/// Σ f(x) over a run, per SIMD lane, accumulated in float within chunks of 64 vectors and in
/// double across chunks (fixed order: the same bits for any thread count). For a run whose
/// length is not a multiple of 16, the tail element i is added to lane i mod 16 with `scalar`.
@inline(__always)
func runSum(
  _ p: UnsafePointer<Float>, _ length: Int, _ vector: (Vec16, Int) -> Vec16,
  _ scalar: (Float, Int) -> Float
) -> SIMD16<Double> {
  var total = SIMD16<Double>(repeating: 0)
  let vectors = length / 16
  var k = 0
  while k < vectors {
    let end = min(k + 64, vectors)
    var acc = Vec16(repeating: 0)
    while k < end {
      acc += vector(Vec16.load(p + 16 * k), 16 * k)
      k += 1
    }
    total += SIMD16<Double>(acc)
  }
  var i = vectors * 16
  while i < length {
    total[i & 15] += Double(scalar(p[i], i))
    i += 1
  }
  return total
}

/// Per-channel totals from per-run partial sums: channel c = Σ_n Σ_{k ≡ c mod b}
/// partial[n·CB + c/b][k], in a fixed order.
func channelTotals(_ partial: [SIMD16<Double>], _ t: Tensor) -> [Double] {
  let b = t.blockSize
  let cb = t.channelBlocks
  var out = [Double](repeating: 0, count: t.shape.c)
  for c in 0..<t.shape.c {
    var s: Double = 0
    for n in 0..<t.shape.n {
      let v = partial[n * cb + c / b]
      var k = c % b
      while k < 16 {
        s += v[k]
        k += b
      }
    }
    out[c] = s
  }
  return out
}

/// The SIMD16 coefficient for channel block `cb`: lane k holds channel cb·b + (k mod b)'s
/// value (zero for padding channels); for nchw that is channel cb's value broadcast.
@inline(__always)
func laneCoefficients(
  _ values: UnsafePointer<Float>, channels: Int, block cb: Int, blockSize b: Int
) -> Vec16 {
  if b == 1 { return Vec16(repeating: values[cb]) }
  var v = Vec16(repeating: 0)
  for k in 0..<16 where cb * b + k % b < channels { v[k] = values[cb * b + k % b] }
  return v
}

/// Applies y = f(x, coefficientIndexInRun) over one run, 16 floats at a time, then the scalar tail.
@inline(__always)
func runMap(
  _ length: Int, _ vector: (Int) -> Void, _ scalar: (Int) -> Void
) {
  let vectors = length / 16
  var k = 0
  while k < vectors {
    vector(16 * k)
    k += 1
  }
  var i = vectors * 16
  while i < length {
    scalar(i)
    i += 1
  }
}
