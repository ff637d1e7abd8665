/// DeepCell's outer-distance target (`outer_distance_transform_2d`, augment.md §5.2): erode
/// the labels by `erosionWidth`, take the exact EDT of the union of all cells (float32),
/// and with `normalize` divide it within every 8-connected component by the component's
/// maximum (float32 division). Background is 0; values lie in (0, 1].
public enum OuterDistanceTransform {
  /// Computes the map of one row-major `height`×`width` label frame into `out` (float32).
  public static func compute(
    labels: UnsafeBufferPointer<Int32>, height: Int, width: Int, erosionWidth: Int,
    normalize: Bool = true,
    into out: UnsafeMutableBufferPointer<Float>
  ) {
    let n = height * width
    let mask = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(n, 1))
    defer { mask.deallocate() }
    _ = mask.initialize(from: labels[0..<n])
    EdgeErosion.erode(mask, height: height, width: width, iterations: erosionWidth)
    EuclideanDistanceTransform.distances(
      of: UnsafeBufferPointer(mask), height: height, width: width, into: out)
    guard normalize else { return }
    let components = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(n, 1))
    defer { components.deallocate() }
    let (componentLabels, count) = ConnectedComponents.label(
      count: n, height: height, width: width, connectivity: .eight,
      isForeground: { mask[$0] != 0 }, joins: { mask[$0] == mask[$1] })
    _ = components.initialize(from: componentLabels)
    var maximum = [Float](repeating: 0, count: count + 1)
    for i in 0..<n {
      let k = Int(components[i])
      if k != 0 && out[i] > maximum[k] { maximum[k] = out[i] }
    }
    for i in 0..<n {
      let k = Int(components[i])
      if k != 0 { out[i] = out[i] / maximum[k] }
    }
  }
}
