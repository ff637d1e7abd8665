/// The exact Euclidean distance transform of a 2-D mask: for every nonzero pixel, the
/// distance to the nearest zero pixel; zero pixels get 0 (scipy's
/// `ndimage.distance_transform_edt` with unit spacing, augment.md §5 "EDT").
///
/// Linear time: a 1-D pass down the columns (distance to the nearest zero in the column,
/// swept row by row so it vectorizes), then Felzenszwalb–Huttenlocher's lower envelope of
/// parabolas along each row (P. F. Felzenszwalb, D. P. Huttenlocher, "Distance Transforms
/// of Sampled Functions", Theory of Computing 8, 2012). Squared distances are exact
/// integers; the distance is their float64 square root, as scipy computes it, then rounded
/// to float32 as DeepCell's transforms do (`distance.astype('float32')`).
///
/// Quirk reproduced: when the mask has no zero pixel at all, scipy's feature transform
/// points every pixel at the virtual background pixel (-1, 0), so pixel (r, c) gets
/// `sqrt((r + 1)² + c²)`.
public enum EuclideanDistanceTransform {
  /// Column distances at or above this are "no zero in this column".
  static let infinity = Int32.max

  /// Exact squared distances of a row-major `height`×`width` mask (nonzero = foreground)
  /// into `out` (`height * width` elements). Returns false, leaving `out` unspecified,
  /// when the mask has no zero pixel.
  public static func squaredDistances<T: BinaryInteger>(
    of mask: UnsafeBufferPointer<T>, height: Int, width: Int,
    into out: UnsafeMutableBufferPointer<Int64>
  ) -> Bool {
    transform(mask, height: height, width: width) { i, d2 in out[i] = d2 }
  }

  /// Distances as float32 (float64 square root of the exact squared distance, then
  /// rounded) of a row-major `height`×`width` mask into `out`.
  public static func distances<T: BinaryInteger>(
    of mask: UnsafeBufferPointer<T>, height: Int, width: Int,
    into out: UnsafeMutableBufferPointer<Float>
  ) {
    let found = transform(mask, height: height, width: width) { i, d2 in
      out[i] = d2 == 0 ? 0 : Float(Double(d2).squareRoot())
    }
    if found { return }
    for r in 0..<height {
      for c in 0..<width {
        out[r * width + c] = Float(Double((r + 1) * (r + 1) + c * c).squareRoot())
      }
    }
  }

  /// Distances as float32 of a row-major `height`×`width` mask.
  public static func distances<T: BinaryInteger>(of mask: [T], height: Int, width: Int)
    -> [Float]
  {
    var out = [Float](repeating: 0, count: height * width)
    mask.withUnsafeBufferPointer { m in
      out.withUnsafeMutableBufferPointer { o in
        distances(of: m, height: height, width: width, into: o)
      }
    }
    return out
  }

  /// The two passes; `store(index, squaredDistance)` receives every pixel once. Returns
  /// false (storing nothing) when the mask has no zero pixel.
  @inline(__always)
  static func transform<T: BinaryInteger>(
    _ mask: UnsafeBufferPointer<T>, height: Int, width: Int, store: (Int, Int64) -> Void
  ) -> Bool {
    precondition(mask.count >= height * width, "mask smaller than image")
    if height == 0 || width == 0 { return true }
    let n = height * width
    // Pass 1: vertical distance to the nearest zero of the same column.
    let g = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
    defer { g.deallocate() }
    for c in 0..<width { g[c] = mask[c] == 0 ? 0 : infinity }
    for r in 1..<max(height, 1) {
      let row = r * width
      let above = row - width
      for c in 0..<width {
        let up = g[above + c]
        g[row + c] = mask[row + c] == 0 ? 0 : (up == infinity ? infinity : up + 1)
      }
    }
    var anyZero = false
    for c in 0..<width where g[(height - 1) * width + c] != infinity {
      anyZero = true
      break
    }
    if !anyZero { return false }
    if height > 1 {
      for r in stride(from: height - 2, through: 0, by: -1) {
        let row = r * width
        let below = row + width
        for c in 0..<width {
          let down = g[below + c]
          if down != infinity && down + 1 < g[row + c] { g[row + c] = down + 1 }
        }
      }
    }
    // Pass 2: lower envelope of the parabolas (q − p)² + g(p)² along each row. The
    // breakpoints z[k] are kept as exact fractions zNum/zDen (zDen > 0, or zDen = 0 with
    // zNum = ∓1 for ∓∞) and compared by cross-multiplication: no rounding, no division.
    let v = UnsafeMutableBufferPointer<Int>.allocate(capacity: width)
    let zNum = UnsafeMutableBufferPointer<Int64>.allocate(capacity: width + 1)
    let zDen = UnsafeMutableBufferPointer<Int64>.allocate(capacity: width + 1)
    let f = UnsafeMutableBufferPointer<Int64>.allocate(capacity: width)
    defer {
      v.deallocate()
      zNum.deallocate()
      zDen.deallocate()
      f.deallocate()
    }
    for r in 0..<height {
      let row = r * width
      var first = -1
      for c in 0..<width {
        let d = g[row + c]
        if d == infinity {
          f[c] = Int64.max
        } else {
          f[c] = Int64(d) * Int64(d)
          if first < 0 { first = c }
        }
      }
      var k = 0
      v[0] = first
      zNum[0] = -1
      zDen[0] = 0
      zNum[1] = 1
      zDen[1] = 0
      if first + 1 < width {
        for q in (first + 1)..<width where f[q] != Int64.max {
          let fq = f[q] + Int64(q * q)
          var p = v[k]
          // s = num / den with den > 0: the abscissa where parabola q overtakes parabola p.
          var num = fq - (f[p] + Int64(p * p))
          var den = Int64(2 * (q - p))
          // while s <= z[k] (z[0] = −∞ ends the loop)
          while zDen[k] != 0 ? num * zDen[k] <= zNum[k] * den : zNum[k] > 0 {
            k -= 1
            p = v[k]
            num = fq - (f[p] + Int64(p * p))
            den = Int64(2 * (q - p))
          }
          k += 1
          v[k] = q
          zNum[k] = num
          zDen[k] = den
          zNum[k + 1] = 1
          zDen[k + 1] = 0
        }
      }
      k = 0
      for q in 0..<width {
        // while z[k + 1] < q
        while zDen[k + 1] != 0 && zNum[k + 1] < Int64(q) * zDen[k + 1] { k += 1 }
        let d = Int64(q - v[k])
        store(row + q, d * d + f[v[k]])
      }
    }
    return true
  }
}
