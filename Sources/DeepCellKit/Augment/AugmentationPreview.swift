/// A quality-control montage of augmented samples, the picture the seed notebook draws with
/// matplotlib: one row per sample, one panel per array — the image (channel 0), then each
/// target (a 1-channel map as is, a one-hot map as its class index, e.g. fgbg's foreground)
/// — each scaled to its own min…max and coloured with a viridis look-up table, panels
/// separated by a 2-pixel white gap. Returns an (H, W, 3) uint8 RGB image.
public enum AugmentationPreview {
  /// Gap between panels, in pixels.
  public static let gap = 2

  /// The montage of the first `maxSamples` samples of `batch`.
  public static func montage(_ batch: AugmentedBatch, maxSamples: Int = 4) -> NDArray {
    let rows = min(max(maxSamples, 1), batch.count)
    let h = batch.images.shape[1]
    let w = batch.images.shape[2]
    let panels = [batch.images] + batch.targets.map(\.array)
    let outH = rows * h + (rows - 1) * gap
    let outW = panels.count * w + (panels.count - 1) * gap
    var rgb = [UInt8](repeating: 255, count: max(outH * outW * 3, 0))
    for (p, array) in panels.enumerated() {
      let ch = array.shape[3]
      let values = array.floats()
      for s in 0..<rows {
        // The panel's scalar field: channel 0, or the class index of a one-hot map.
        var field = [Float](repeating: 0, count: h * w)
        for i in 0..<(h * w) {
          let base = (s * h * w + i) * ch
          if p == 0 || ch == 1 {
            field[i] = values[base]
          } else {
            var best = 0
            for k in 1..<ch where values[base + k] > values[base + best] { best = k }
            field[i] = Float(best)
          }
        }
        var lo = field.first ?? 0
        var hi = lo
        for v in field where v.isFinite {
          lo = min(lo, v)
          hi = max(hi, v)
        }
        if p > 0 && ch > 1 {
          lo = 0
          hi = Float(ch - 1)
        }
        let scale = hi > lo ? 1 / (hi - lo) : 0
        for r in 0..<h {
          for c in 0..<w {
            let t = field[r * w + c].isFinite ? (field[r * w + c] - lo) * scale : 0
            let color = viridis(Double(t))
            let o = ((s * (h + gap) + r) * outW + p * (w + gap) + c) * 3
            rgb[o] = color.0
            rgb[o + 1] = color.1
            rgb[o + 2] = color.2
          }
        }
      }
    }
    return NDArray(shape: [outH, outW, 3], values: rgb)
  }

  /// matplotlib's viridis (van der Walt & Smith, CC0) sampled at entries 0, 8, …, 248, 255
  /// of its 256-entry table.
  static let anchors: [(Double, Double, Double)] = [
    (68, 1, 84), (71, 13, 96), (72, 24, 106), (72, 35, 116), (71, 45, 123), (69, 55, 129),
    (66, 64, 134), (62, 73, 137), (59, 82, 139), (55, 91, 141), (51, 99, 141), (47, 107, 142),
    (44, 114, 142), (41, 122, 142), (38, 130, 142), (35, 137, 142), (33, 145, 140), (31, 152, 139),
    (31, 160, 136), (34, 167, 133), (40, 174, 128), (50, 182, 122), (63, 188, 115), (78, 195, 107),
    (94, 201, 98), (112, 207, 87), (132, 212, 75), (152, 216, 62), (173, 220, 48), (194, 223, 35),
    (216, 226, 25), (236, 229, 27), (253, 231, 37),
  ]

  /// The viridis colour of `t` in [0, 1] (clamped), linearly interpolated between anchors.
  public static func viridis(_ t: Double) -> (UInt8, UInt8, UInt8) {
    let x = min(max(t, 0), 1) * 255
    let i = min(Int(x / 8), anchors.count - 2)
    let x0 = Double(i * 8)
    let x1 = i + 1 == anchors.count - 1 ? 255.0 : Double((i + 1) * 8)
    let f = (x - x0) / (x1 - x0)
    let a = anchors[i]
    let b = anchors[i + 1]
    func mix(_ u: Double, _ v: Double) -> UInt8 { UInt8((u + (v - u) * f).rounded()) }
    return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
  }
}
