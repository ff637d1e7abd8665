/// Division (mitosis) detection accuracy, the branching correctness BC(i) of Ulman et al.,
/// Nat. Methods 2017, counted as py-ctcmetrics' `raw_division_metrics` does: a result
/// division matches a reference division when the parents end within `tolerance` frames of
/// each other and are matched to each other (uniquely) in the last common frame, and every
/// reference daughter is matched by a result daughter that starts within `tolerance` frames.
public struct DivisionMetrics: Sendable, Equatable {
  /// Matched divisions.
  public var truePositives: Int
  /// Result divisions with no match.
  public var falsePositives: Int
  /// Reference divisions with no match.
  public var falseNegatives: Int
  /// Allowed temporal offset i.
  public var tolerance: Int

  /// TP / max(TP + FP, 1).
  public var precision: Double {
    Double(truePositives) / Double(max(truePositives + falsePositives, 1))
  }
  /// TP / max(TP + FN, 1).
  public var recall: Double {
    Double(truePositives) / Double(max(truePositives + falseNegatives, 1))
  }
  /// BC(i): 2PR / max(P + R, 1e-4); NaN when the reference has no division (py-ctcmetrics: None).
  public var f1: Double {
    if truePositives + falseNegatives == 0 { return .nan }
    return 2 * (precision * recall) / max(precision + recall, 0.0001)
  }

  /// Counts divisions.
  ///
  /// - Parameters:
  ///   - frames: per-frame matches (frame order).
  ///   - referenceTracks, resultTracks: the lineages.
  ///   - tolerance: allowed temporal offset i of BC(i).
  public init(
    frames: [CTCFrameMatch], referenceTracks: [TrackRecord], resultTracks: [TrackRecord],
    tolerance: Int = 0
  ) {
    self.tolerance = tolerance
    let mappedRef = frames.map { $0.mappedLabels.map(\.reference) }
    let mappedRes = frames.map { $0.mappedLabels.map(\.result) }
    let refSplits = Self.dividingParents(referenceTracks)
    let resSplits = Self.dividingParents(resultTracks)
    if refSplits.isEmpty {
      (truePositives, falsePositives, falseNegatives) = (0, resSplits.count, 0)
      return
    }
    if resSplits.isEmpty {
      (truePositives, falsePositives, falseNegatives) = (0, 0, refSplits.count)
      return
    }
    func end(_ tracks: [TrackRecord], _ label: Int) -> Int {
      tracks.first { $0.label == label }!.end
    }
    func children(_ tracks: [TrackRecord], _ parent: Int) -> [(label: Int, begin: Int)] {
      tracks.filter { $0.parent == parent }.map { child in
        (child.label, tracks.first { $0.label == child.label }!.begin)
      }
    }
    func frame<T>(_ list: [[T]], _ t: Int) -> [T] { t >= 0 && t < list.count ? list[t] : [] }
    var matches = 0
    for comp in resSplits {
      let tComp = end(resultTracks, comp)
      let compChildren = children(resultTracks, comp)
      for ref in refSplits where abs(end(referenceTracks, ref) - tComp) <= tolerance {
        let tRef = end(referenceTracks, ref)
        let refChildren = children(referenceTracks, ref)
        if compChildren.count != refChildren.count { continue }
        let tLast = min(tRef, tComp)
        let mr = frame(mappedRef, tLast)
        let mc = frame(mappedRes, tLast)
        guard mc.contains(comp), mr.filter({ $0 == ref }).count == 1,
          let ind = mr.firstIndex(of: ref),
          mc[ind] == comp, mc.filter({ $0 == mc[ind] }).count == 1
        else { continue }
        var matchedChildren = [Int]()
        for rc in refChildren {
          for cc in compChildren {
            if abs(rc.begin - cc.begin) > tolerance { continue }
            let tMax = max(rc.begin, cc.begin)
            let mrt = frame(mappedRef, tMax)
            let mct = frame(mappedRes, tMax)
            if mct.filter({ $0 == cc.label }).count != 1 { continue }
            if let i = mrt.firstIndex(of: rc.label), mct.contains(cc.label), mct[i] == cc.label {
              if !matchedChildren.contains(cc.label) { matchedChildren.append(cc.label) }
              break
            }
          }
        }
        if matchedChildren.count == refChildren.count { matches += 1 }
      }
    }
    truePositives = matches
    falsePositives = resSplits.count - matches
    falseNegatives = refSplits.count - matches
  }

  /// Labels of tracks that are the parent of more than one track, ascending.
  static func dividingParents(_ tracks: [TrackRecord]) -> [Int] {
    var counts = [Int: Int]()
    for t in tracks where t.parent > 0 { counts[t.parent, default: 0] += 1 }
    return counts.filter { $0.value > 1 }.keys.sorted()
  }
}
