/// Sequential relabelling (skimage `segmentation.relabel_sequential`): the distinct non-zero
/// labels, sorted ascending, become `offset, offset+1, …` (order kept, gaps removed);
/// 0 stays background (watershed.md §2 step 10).
public enum Relabel {
  /// The relabelled image and the original label of each new label (`inverse[k]` is the old
  /// value of new label `offset + k`). Negative labels are treated like positive ones.
  @inlinable
  public static func sequential<T: FixedWidthInteger>(
    _ labels: [T], offset: T = 1
  ) -> (labels: [T], inverse: [T]) {
    var lo = T.max
    var hi = T.min
    labels.withUnsafeBufferPointer { b in
      for v in b {
        lo = min(lo, v == 0 ? T.max : v)
        hi = max(hi, v == 0 ? T.min : v)
      }
    }
    if lo > hi { return (labels, []) }
    var out = labels
    if lo >= 0, UInt64(hi) <= UInt64(4 * labels.count + 1024) {
      // Dense lookup over the label range.
      var table = [T](repeating: 0, count: Int(hi) + 1)
      table.withUnsafeMutableBufferPointer { t in
        labels.withUnsafeBufferPointer { b in
          for v in b where v != 0 { t[Int(v)] = 1 }
        }
      }
      var inverse: [T] = []
      for v in 1...Int(hi) where table[v] != 0 {
        table[v] = offset + T(inverse.count)
        inverse.append(T(v))
      }
      // Already 1, 2, …, hi (the usual case after a watershed): nothing to rewrite.
      if lo == 1 && offset == 1 && inverse.count == Int(hi) { return (labels, inverse) }
      out.withUnsafeMutableBufferPointer { o in
        for i in o.indices where o[i] != 0 { o[i] = table[Int(o[i])] }
      }
      return (out, inverse)
    }
    let inverse = Set(labels.lazy.filter { $0 != 0 }).sorted()
    var table = [T: T](minimumCapacity: inverse.count)
    for (k, v) in inverse.enumerated() { table[v] = offset + T(k) }
    for i in out.indices where out[i] != 0 { out[i] = table[out[i]]! }
    return (out, inverse)
  }

  /// Relabels in place (offset 1); returns the number of labels.
  @discardableResult
  @inlinable
  public static func sequentialInPlace<T: FixedWidthInteger>(_ labels: inout [T]) -> Int {
    let (out, inverse) = sequential(labels)
    labels = out
    return inverse.count
  }
}
