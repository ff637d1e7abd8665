/// The exact Euclidean distance transform of a 2-D mask: for every nonzero pixel, the
/// distance to the nearest zero pixel; zero pixels get 0 (scipy's
/// `ndimage.distance_transform_edt` with unit spacing, augment.md §5 "EDT").
///
/// Linear time: a 1-D pass along each row (distance to the nearest zero in the row), then
/// Felzenszwalb–Huttenlocher's lower envelope of parabolas along each column
/// (P. F. Felzenszwalb, D. P. Huttenlocher, "Distance Transforms of Sampled Functions",
/// Theory of Computing 8, 2012). Squared distances are exact integers; the distance is
/// their float64 square root, as scipy computes it, then rounded to float32 as DeepCell's
/// transforms do (`distance.astype('float32')`).
///
/// Quirk reproduced: when the mask has no zero pixel at all, scipy's feature transform
/// points every pixel at the virtual background pixel (-1, 0), so pixel (r, c) gets
/// `sqrt((r + 1)² + c²)`.
public enum EuclideanDistanceTransform {
  /// Exact squared distances of a row-major `height`×`width` mask (nonzero = foreground)
  /// into `out` (`height * width` elements). Returns false, leaving `out` unspecified,
  /// when the mask has no zero pixel.
  public static func squaredDistances<T: BinaryInteger>(
    of mask: UnsafeBufferPointer<T>, height: Int, width: Int,
    into out: UnsafeMutableBufferPointer<Int64>
  ) -> Bool {
    precondition(
      mask.count >= height * width && out.count >= height * width, "buffer smaller than image")
    if height == 0 || width == 0 { return true }
    let infinity = Int64.max
    var anyZero = false
    // Pass 1: squared horizontal distance to the nearest zero of the same row.
    for r in 0..<height {
      let row = r * width
      var last = -1
      for c in 0..<width {
        if mask[row + c] == 0 {
          last = c
          out[row + c] = 0
        } else {
          out[row + c] = last < 0 ? infinity : Int64(c - last)
        }
      }
      if last < 0 { continue }
      anyZero = true
      var next = -1
      for c in stride(from: width - 1, through: 0, by: -1) {
        if mask[row + c] == 0 {
          next = c
        } else if next >= 0 {
          let d = Int64(next - c)
          if d < out[row + c] { out[row + c] = d }
        }
      }
      for c in 0..<width where out[row + c] != infinity {
        out[row + c] *= out[row + c]
      }
    }
    if !anyZero { return false }
    // Pass 2: lower envelope of parabolas along each column.
    var f = [Int64](repeating: 0, count: height)
    var v = [Int](repeating: 0, count: height)
    var z = [Double](repeating: 0, count: height + 1)
    f.withUnsafeMutableBufferPointer { f in
      v.withUnsafeMutableBufferPointer { v in
        z.withUnsafeMutableBufferPointer { z in
          for c in 0..<width {
            for r in 0..<height { f[r] = out[r * width + c] }
            lowerEnvelope(f, count: height, v: v, z: z) { r, d in out[r * width + c] = d }
          }
        }
      }
    }
    return true
  }

  /// One column of Felzenszwalb–Huttenlocher: `result(q, min_p (q − p)² + f(p))` for every
  /// q, skipping infinite (Int64.max) samples; at least one sample is finite.
  @inline(__always)
  static func lowerEnvelope(
    _ f: UnsafeMutableBufferPointer<Int64>, count n: Int, v: UnsafeMutableBufferPointer<Int>,
    z: UnsafeMutableBufferPointer<Double>, result: (Int, Int64) -> Void
  ) {
    var first = 0
    while first < n && f[first] == Int64.max { first += 1 }
    var k = 0
    v[0] = first
    z[0] = -Double.infinity
    z[1] = Double.infinity
    if first + 1 < n {
      for q in (first + 1)..<n where f[q] != Int64.max {
        let fq = f[q] + Int64(q * q)
        var p = v[k]
        var s = Double(fq - (f[p] + Int64(p * p))) / Double(2 * (q - p))
        while s <= z[k] {  // z[0] = -inf ends the loop
          k -= 1
          p = v[k]
          s = Double(fq - (f[p] + Int64(p * p))) / Double(2 * (q - p))
        }
        k += 1
        v[k] = q
        z[k] = s
        z[k + 1] = Double.infinity
      }
    }
    k = 0
    for q in 0..<n {
      while z[k + 1] < Double(q) { k += 1 }
      let d = Int64(q - v[k])
      result(q, d * d + f[v[k]])
    }
  }

  /// Distances as float32 (float64 square root of the exact squared distance, then
  /// rounded) of a row-major `height`×`width` mask into `out`.
  public static func distances<T: BinaryInteger>(
    of mask: UnsafeBufferPointer<T>, height: Int, width: Int,
    into out: UnsafeMutableBufferPointer<Float>
  ) {
    let n = height * width
    let squared = UnsafeMutableBufferPointer<Int64>.allocate(capacity: max(n, 1))
    defer { squared.deallocate() }
    if squaredDistances(of: mask, height: height, width: width, into: squared) {
      for i in 0..<n { out[i] = Float(Double(squared[i]).squareRoot()) }
    } else {
      for r in 0..<height {
        for c in 0..<width {
          let d2 = Double((r + 1) * (r + 1) + c * c)
          out[r * width + c] = Float(d2.squareRoot())
        }
      }
    }
  }

  /// Distances as float32 of a row-major `height`×`width` mask.
  public static func distances<T: BinaryInteger>(of mask: [T], height: Int, width: Int) -> [Float] {
    var out = [Float](repeating: 0, count: height * width)
    mask.withUnsafeBufferPointer { m in
      out.withUnsafeMutableBufferPointer { o in
        distances(of: m, height: height, width: width, into: o)
      }
    }
    return out
  }
}
