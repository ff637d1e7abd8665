/// The Cell Tracking Challenge's biological measures (Ulman et al., Nature Methods 2017) as
/// py-ctcmetrics 1.3.3 computes them: complete tracks CT, track fractions TF, cell-cycle
/// accuracy CCA, and BIO(i), their mean with BC(i) (metrics.md §4).
///
/// Every reference track is assigned, frame by frame, the result label matched to it (0 when
/// it is unmatched or its match is shared by several reference objects; nothing in frames
/// where the reference track is absent).
/// - CT = 2·T_rc / (T_r + T_c): T_rc reference tracks followed by one result track from the
///   same first to the same last frame, T_r and T_c the track counts.
/// - TF: for each reference track the longest run of consecutive frames one result track
///   follows it, as a fraction of its length, given to the result tracks in label order
///   (py-ctcmetrics' order, including its early stop once a fraction of 1 is given); the mean
///   over reference tracks with a fraction above 0.
/// - CCA = 1 − max |F_r − F_c| of the cumulative distributions of the lengths (last − first
///   frame) of complete cell cycles: tracks that begin with a division and end with one.
///   nil when the reference has no complete cycle, 0 when the result has none.
public struct BiologicalMeasures: Sendable, Equatable {
  /// Complete tracks.
  public var ct: Double
  /// Track fractions.
  public var tf: Double
  /// Cell-cycle accuracy; nil when the reference has no complete cell cycle.
  public var cca: Double?

  /// Measures `resultTracks` against `referenceTracks` with the per-frame matches `frames`.
  public init(frames: [CTCFrameMatch], referenceTracks: [TrackRecord], resultTracks: [TrackRecord])
  {
    let assignments = Self.assignments(frames)
    let reference = Dictionary(
      referenceTracks.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
    let result = Dictionary(resultTracks.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })

    var complete = 0
    // Result label → reference label → fraction.
    var fractions: [Int: [Int: Double]] = [:]
    for (k, v) in assignments.sorted(by: { $0.key < $1.key }) {
      guard let ref = reference[k] else { continue }
      let assigned = Set(v.compactMap { $0 })
      if assigned.count == 1, let only = assigned.first, only != 0, let res = result[only],
        res.begin == ref.begin, res.end == ref.end
      {
        complete += 1
      }
      guard ref.begin >= 0, ref.end >= ref.begin, ref.begin < v.count else { continue }
      let run = v[ref.begin...min(ref.end, v.count - 1)]
      let present = Set(run.map { $0 ?? -1 })
      if present == [0] { continue }
      let length = Double(ref.end - ref.begin + 1)
      var count = 0
      var last: Int? = 0
      for value in run {
        if value != last || value == 0 { count = 0 }
        if let value, value > 0 {
          count += 1
          fractions[value, default: [:]][k] = max(
            fractions[value]?[k] ?? 0, Double(count) / length)
        }
        last = value
      }
    }
    ct = 2 * Double(complete) / Double(max(referenceTracks.count + resultTracks.count, 1))

    var best = Dictionary(referenceTracks.map { ($0.label, 0.0) }, uniquingKeysWith: { a, _ in a })
    for (_, perReference) in fractions.sorted(by: { $0.key < $1.key }) {
      for (k, value) in perReference.sorted(by: { $0.key < $1.key }) {
        if best[k] == 1 { continue }
        if value > best[k] ?? 0 { best[k] = value }
        if value == 1 { break }
      }
    }
    let positive = referenceTracks.map { best[$0.label] ?? 0 }.filter { $0 > 0 }
    tf = positive.isEmpty ? 0 : NumpySum.pairwise(positive) / Double(positive.count)

    cca = Self.cellCycleAccuracy(reference: referenceTracks, result: resultTracks)
  }

  /// BIO(i): the mean of CT, TF, `bc` and CCA over those that exist (NaN `bc` or nil CCA left
  /// out), as py-ctcmetrics' `bio`.
  public func bio(bc: Double) -> Double {
    var values = [ct, tf]
    if !bc.isNaN { values.append(bc) }
    if let cca { values.append(cca) }
    return values.reduce(0, +) / Double(values.count)
  }

  /// For each reference label, per frame: nil where absent, else the matched result label
  /// (0 when unmatched or the match is shared).
  static func assignments(_ frames: [CTCFrameMatch]) -> [Int: [Int?]] {
    var out: [Int: [Int?]] = [:]
    for frame in frames {
      for label in frame.referenceLabels where out[label] == nil {
        out[label] = [Int?](repeating: nil, count: frames.count)
      }
    }
    for (t, frame) in frames.enumerated() {
      let mapped = frame.mappedLabels
      var uses: [Int: Int] = [:]
      for pair in mapped { uses[pair.result, default: 0] += 1 }
      for label in frame.referenceLabels {
        if let pair = mapped.first(where: { $0.reference == label }) {
          out[label]![t] = uses[pair.result]! > 1 ? 0 : pair.result
        } else {
          out[label]![t] = 0
        }
      }
    }
    return out
  }

  /// CCA of the complete cell cycles' lengths.
  static func cellCycleAccuracy(reference: [TrackRecord], result: [TrackRecord]) -> Double? {
    func cycles(_ tracks: [TrackRecord]) -> [Int] {
      var children: [Int: Int] = [:]
      for t in tracks where t.parent > 0 { children[t.parent, default: 0] += 1 }
      let dividing = Set(children.filter { $0.value > 1 }.keys)
      return tracks.filter { dividing.contains($0.label) && dividing.contains($0.parent) }
        .map { $0.end - $0.begin }
    }
    let ref = cycles(reference)
    guard !ref.isEmpty else { return nil }
    let res = cycles(result)
    guard !res.isEmpty else { return 0 }
    let longest = max(ref.max()!, res.max()!)
    func cumulative(_ lengths: [Int]) -> [Double] {
      var hist = [Double](repeating: 0, count: longest + 1)
      for l in lengths where l >= 0 { hist[l] += 1 }
      let total = hist.reduce(0, +)
      var sum = 0.0
      return hist.map {
        sum += $0 / total
        return sum
      }
    }
    let (a, b) = (cumulative(ref), cumulative(res))
    return 1 - zip(a, b).map { abs($0 - $1) }.max()!
  }
}
