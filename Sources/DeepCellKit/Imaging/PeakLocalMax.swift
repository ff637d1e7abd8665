/// skimage `feature.peak_local_max(image, min_distance, threshold_abs, exclude_border)` on a
/// float32 plane, without labels (watershed.md §4), returning peak coordinates.
///
/// 1. `mf` = maximum filter over a `(2·minDistance+1)²` square; candidates are the pixels
///    equal to `mf` and `> f32(threshold)`; if every pixel equals `mf` there are none
///    (`minDistance < 1`: every pixel above the threshold is a candidate).
/// 2. Candidates within `borderWidth` of an edge are dropped.
/// 3. Candidates sorted by value, highest first, in numpy's (unstable) argsort order.
/// 4. Greedy spacing (skimage `ensure_spacing`, p = ∞): a candidate is kept unless a kept
///    peak lies at Chebyshev distance `< minDistance`.
///
/// Border mode of the maximum filter: skimage 0.21 (`nearest`, the golden data's version) by
/// default; `.constantZero` gives 0.19's `constant` mode. The two agree whenever the
/// threshold is ≥ 0.
public enum PeakLocalMax {
  /// How the maximum filter treats pixels beyond the edge.
  public enum BorderMode: Sendable {
    /// skimage ≥ 0.20: outside pixels repeat the edge (ignored by a maximum).
    case nearest
    /// skimage 0.19: outside pixels are 0.
    case constantZero
  }

  /// The peaks `(row, column)` in the order skimage returns them (highest first).
  public static func peaks(
    _ image: [Float], height: Int, width: Int, minDistance: Int, threshold: Double,
    borderWidth: Int = 0, borderMode: BorderMode = .nearest
  ) -> [(y: Int, x: Int)] {
    precondition(image.count == height * width, "image does not match \(height)×\(width)")
    if image.isEmpty { return [] }
    let tf = Float(threshold)
    var candidate = [Bool](repeating: false, count: image.count)
    if minDistance < 1 || image.count == 1 {
      for k in image.indices { candidate[k] = image[k] > tf }
    } else {
      var mf = MaximumFilter.apply(
        image, height: height, width: width,
        footprint: .square(halfWidth: minDistance))
      if borderMode == .constantZero {
        for y in 0..<height {
          for x in 0..<width
          where y < minDistance || y >= height - minDistance || x < minDistance
            || x >= width - minDistance
          {
            mf[y * width + x] = max(mf[y * width + x], 0)
          }
        }
      }
      var trivial = true
      for k in image.indices {
        candidate[k] = image[k] == mf[k]
        if !candidate[k] { trivial = false }
      }
      if trivial { return [] }
      for k in image.indices where candidate[k] && !(image[k] > tf) { candidate[k] = false }
    }
    if borderWidth > 0 {
      for y in 0..<height {
        for x in 0..<width
        where y < borderWidth || y >= height - borderWidth || x < borderWidth
          || x >= width - borderWidth
        {
          candidate[y * width + x] = false
        }
      }
    }
    var coords: [Int] = []
    var negated: [Float] = []
    for k in image.indices where candidate[k] {
      coords.append(k)
      negated.append(-image[k])
    }
    let order = NumpyArgsort.argsort(negated)
    // Greedy spacing over a kept-peak bitmap.
    var kept = [Bool](repeating: false, count: image.count)
    var out: [(y: Int, x: Int)] = []
    let reach = minDistance - 1
    for idx in order {
      let k = coords[idx]
      let y = k / width
      let x = k % width
      var blocked = false
      if reach >= 0 {
        search: for yy in max(0, y - reach)...min(height - 1, y + reach) {
          for xx in max(0, x - reach)...min(width - 1, x + reach) where kept[yy * width + xx] {
            blocked = true
            break search
          }
        }
      }
      if !blocked {
        kept[k] = true
        out.append((y, x))
      }
    }
    return out
  }
}
