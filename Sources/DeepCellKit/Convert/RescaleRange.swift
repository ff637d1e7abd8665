import Foundation

/// The intensity range `--rescale` maps onto the target dtype's range: the stack's minimum
/// and maximum, or two of its percentiles.
public enum RescaleRange: Sendable, Equatable {
  /// The smallest and largest value of the stack.
  case minMax
  /// The `low` and `high` percentiles (0–100) of all values of the stack, linearly
  /// interpolated between order statistics as numpy's `percentile` does by default.
  case percentiles(low: Double, high: Double)

  /// Measures the range over every frame of `reader`, reading the stack two or three
  /// times in bounded memory instead of holding it: pass 1 finds the minimum and maximum;
  /// for percentiles pass 2 counts values into 65,536 equal bins between them (keeping
  /// each bin's extremes), which settles every order statistic that falls in a bin of one
  /// value (always, for 8- and 16-bit data); pass 3 collects the values of any other bin
  /// needed and sorts them. `progress` is told each frame read. Throws `badData` naming
  /// `subject` for NaN.
  public func measure(
    _ reader: any StackReader, subject: String, progress: (Int) -> Void = { _ in }
  ) throws -> (low: Double, high: Double) {
    var low = Double.infinity
    var high = -Double.infinity
    var count = 0
    for f in 0..<reader.frameCount {
      let frame = try reader.readFrame(f)
      let extremes = ConversionKernels.extremes(frame)
      if extremes.nan != nil {
        throw DeepCellError(.badData, subject, "frame \(f) holds NaN, which cannot be rescaled")
      }
      low = min(low, extremes.low)
      high = max(high, extremes.high)
      count += frame.count
      progress(1)
    }
    guard case .percentiles(let p, let q) = self, count > 0, low < high else {
      return (low, high)
    }
    // Order statistics needed: floor and ceil of each rank (p / 100 · (n − 1)).
    let ranks = [p, q].map { $0 / 100 * Double(count - 1) }
    let wanted = Set(ranks.flatMap { [Int($0.rounded(.down)), Int($0.rounded(.up))] })
    let bins = 1 << 16
    let scale = Double(bins) / (high - low)
    func bin(_ v: Double) -> Int { min(bins - 1, Int((v - low) * scale)) }
    var counts = [Int](repeating: 0, count: bins)
    var binLow = [Double](repeating: .infinity, count: bins)
    var binHigh = [Double](repeating: -.infinity, count: bins)
    for f in 0..<reader.frameCount {
      for v in try reader.readFrame(f).doubleValues() {
        let b = bin(v)
        counts[b] += 1
        binLow[b] = min(binLow[b], v)
        binHigh[b] = max(binHigh[b], v)
      }
      progress(1)
    }
    // The bin of each wanted order statistic and its place in that bin.
    var statistic: [Int: Double] = [:]
    var pending: [Int: [Int]] = [:]  // bin → wanted ranks inside it, as offsets
    var before = 0
    for b in 0..<bins where counts[b] > 0 {
      for k in wanted where k >= before && k < before + counts[b] {
        if binLow[b] == binHigh[b] {
          statistic[k] = binLow[b]
        } else {
          pending[b, default: []].append(k - before)
        }
      }
      before += counts[b]
    }
    if !pending.isEmpty {
      var members: [Int: [Double]] = [:]
      for f in 0..<reader.frameCount {
        for v in try reader.readFrame(f).doubleValues() where pending[bin(v)] != nil {
          members[bin(v), default: []].append(v)
        }
      }
      for (b, offsets) in pending {
        let sorted = members[b, default: []].sorted()
        for offset in offsets { statistic[valuesBefore(b, counts) + offset] = sorted[offset] }
      }
    }
    func value(_ rank: Double) -> Double {
      let a = statistic[Int(rank.rounded(.down))]!
      let b = statistic[Int(rank.rounded(.up))]!
      return a + (b - a) * (rank - rank.rounded(.down))
    }
    return (value(ranks[0]), value(ranks[1]))
  }
}

/// Number of values in the bins before `bin`.
private func valuesBefore(_ bin: Int, _ counts: [Int]) -> Int { counts[..<bin].reduce(0, +) }
