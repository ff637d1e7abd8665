/// skimage `morphology.remove_small_objects(labels, min_size)` on a label image
/// (watershed.md §2 step 8): every label whose total pixel count is below `minSize` is set to
/// 0. Counted per label value, not per connected piece, as skimage does for integer input.
public enum RemoveSmallObjects {
  /// The label plane with every label of fewer than `minSize` pixels removed.
  /// Throws for negative labels (skimage: "Negative value labels are not supported").
  @inlinable
  public static func apply<T: FixedWidthInteger>(_ labels: [T], minSize: Int) throws -> [T] {
    if minSize <= 0 || labels.isEmpty { return labels }
    var counts: [T: Int] = [:]
    var dense = [Int](repeating: 0, count: 0)
    let maxLabel = labels.max()!
    if labels.contains(where: { $0 < 0 }) {
      throw DeepCellError(.badData, "labels", "negative label values are not supported")
    }
    let useDense = UInt64(maxLabel) <= UInt64(4 * labels.count + 1024)
    if useDense {
      dense = [Int](repeating: 0, count: Int(maxLabel) + 1)
      for v in labels { dense[Int(v)] += 1 }
    } else {
      for v in labels { counts[v, default: 0] += 1 }
    }
    var out = labels
    for i in out.indices where out[i] != 0 {
      let c = useDense ? dense[Int(out[i])] : counts[out[i]]!
      if c < minSize { out[i] = 0 }
    }
    return out
  }
}
