/// A quality-control picture of a segmentation: the image in grey (scaled from its own
/// minimum to maximum, 0…255) with every object's outline drawn in a colour of its own.
///
/// Outline pixels are skimage `find_boundaries(mode='inner')`: non-zero pixels with an
/// in-image 4-neighbour of another value. Colours step the hue by the golden angle per
/// label (full saturation, full value), so neighbouring labels differ clearly.
public enum LabelOverlay {
  /// RGB bytes, row-major `height × width × 3`.
  public static func render(image: [Float], labels: [Int32], height: Int, width: Int) -> [UInt8] {
    precondition(
      image.count == height * width && labels.count == image.count, "planes do not match")
    var lo = Float.infinity
    var hi = -Float.infinity
    for v in image where v.isFinite {
      lo = min(lo, v)
      hi = max(hi, v)
    }
    let scale: Float = hi > lo ? 255 / (hi - lo) : 0
    var rgb = [UInt8](repeating: 0, count: image.count * 3)
    for p in image.indices {
      let v = image[p]
      let g = v.isFinite ? UInt8(max(0, min(255, ((v - lo) * scale).rounded()))) : 0
      rgb[3 * p] = g
      rgb[3 * p + 1] = g
      rgb[3 * p + 2] = g
    }
    for y in 0..<height {
      for x in 0..<width {
        let p = y * width + x
        let v = labels[p]
        if v == 0 { continue }
        let edge =
          (y > 0 && labels[p - width] != v) || (x > 0 && labels[p - 1] != v)
          || (x < width - 1 && labels[p + 1] != v) || (y < height - 1 && labels[p + width] != v)
        if edge {
          let c = colour(for: v)
          rgb[3 * p] = c.red
          rgb[3 * p + 1] = c.green
          rgb[3 * p + 2] = c.blue
        }
      }
    }
    return rgb
  }

  /// The colour of `label`: hue `label · 137.508°` (golden angle), saturation 1, value 1.
  public static func colour(for label: Int32) -> (red: UInt8, green: UInt8, blue: UInt8) {
    var hue = (Double(label) * 137.507_764_050_037_85).truncatingRemainder(dividingBy: 360)
    if hue < 0 { hue += 360 }
    let sector = hue / 60
    let f = sector - sector.rounded(.down)
    let q = UInt8((255 * (1 - f)).rounded())
    let t = UInt8((255 * f).rounded())
    switch Int(sector) % 6 {
    case 0: return (255, t, 0)
    case 1: return (q, 255, 0)
    case 2: return (0, 255, t)
    case 3: return (0, q, 255)
    case 4: return (t, 0, 255)
    default: return (255, 0, q)
    }
  }
}
