/// How the inner-distance transform scales the squared distance to a cell's centre.
public enum InnerDistanceAlpha: Sendable, Equatable, CustomStringConvertible {
  /// α = 1/√area, per cell (DeepCell's `alpha='auto'`).
  case auto
  /// A fixed α for every cell.
  case fixed(Double)

  public var description: String {
    switch self {
    case .auto: return "auto"
    case .fixed(let a): return "\(a)"
    }
  }
}

/// DeepCell's inner-distance target (`inner_distance_transform_2d`, augment.md §5.1): erode
/// the labels by `erosionWidth`, take the exact EDT of the union of all cells (float32),
/// then for every 8-connected component K with EDT-weighted centroid c and
/// α = 1/√area(K) (auto) or the given α, each pixel p of K gets
/// `1 / (1 + β·α·|p − c|²)` — the squared distance, no root. Background is 0.
public enum InnerDistanceTransform {
  /// Computes the map of one row-major `height`×`width` label frame into `out` (float32).
  public static func compute(
    labels: UnsafeBufferPointer<Int32>, height: Int, width: Int, alpha: InnerDistanceAlpha,
    beta: Double,
    erosionWidth: Int, into out: UnsafeMutableBufferPointer<Float>
  ) {
    let n = height * width
    let mask = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(n, 1))
    let components = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(n, 1))
    let distance = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
    defer {
      mask.deallocate()
      components.deallocate()
      distance.deallocate()
    }
    _ = mask.initialize(from: labels[0..<n])
    EdgeErosion.erode(mask, height: height, width: width, iterations: erosionWidth)
    EuclideanDistanceTransform.distances(
      of: UnsafeBufferPointer(mask), height: height, width: width, into: distance)
    let (componentLabels, count) = ConnectedComponents.label(
      count: n, height: height, width: width, connectivity: .eight,
      isForeground: { mask[$0] != 0 }, joins: { mask[$0] == mask[$1] })
    _ = components.initialize(from: componentLabels)
    let props = LabelProperties(
      labels: UnsafeBufferPointer(components), height: height, width: width, maxLabel: count,
      intensity: UnsafeBufferPointer(distance))
    // β·α per component, as Python evaluates `beta * _alpha * d`.
    var scale = [Double](repeating: 0, count: count + 1)
    for k in 1..<(count + 1) {
      let a: Double
      switch alpha {
      case .auto: a = 1 / Double(props.area[k]).squareRoot()
      case .fixed(let v): a = v
      }
      scale[k] = beta * a
    }
    for r in 0..<height {
      for c in 0..<width {
        let i = r * width + c
        let k = Int(components[i])
        if k == 0 {
          out[i] = 0
          continue
        }
        let dr = Double(r) - props.weightedCentroidRow[k]
        let dc = Double(c) - props.weightedCentroidCol[k]
        let d2 = dr * dr + dc * dc
        out[i] = Float(1 / (1 + scale[k] * d2))
      }
    }
  }
}
