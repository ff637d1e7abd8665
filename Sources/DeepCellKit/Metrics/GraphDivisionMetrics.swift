/// Division precision, recall and F1 as traccuracy 0.4 defines them (`DivisionMetrics` with
/// `max_frame_buffer = 0`, nodes matched by the CTC rule of ``CTCFrameMatch``).
///
/// Each lineage is a graph of nodes (track, frame): an edge joins consecutive frames of a
/// track, and the last node of a parent to the first node of each daughter. A division is a
/// node with at least two outgoing edges. A reference division is a true positive when its
/// node is matched to a result division node and exactly two of its outgoing edges are true
/// positives (both ends matched to the two ends of a result edge); a matched result division
/// whose daughters do not match is a wrong-child error (`WC_DIV`); an unmatched reference
/// division, or one matched to a node that does not divide, is a false negative; a result
/// division not matched to a reference division is a false positive.
/// Recall = TP / reference divisions, precision = TP / result divisions,
/// F1 = 2PR / (P + R), mitotic branching correctness MBC = TP / (FP + reference divisions);
/// each NaN when its denominator is 0 (traccuracy's `np.nan`).
public struct GraphDivisionMetrics: Sendable, Equatable {
  /// Reference divisions.
  public var referenceDivisions: Int
  /// Result divisions.
  public var resultDivisions: Int
  /// Reference divisions matched with both daughters (`TP_DIV`).
  public var truePositives: Int
  /// Reference divisions not matched to a result division (`FN_DIV`).
  public var falseNegatives: Int
  /// Result divisions not matched to a reference division (`FP_DIV`).
  public var falsePositives: Int
  /// Matched divisions with the wrong daughters (`WC_DIV`).
  public var wrongChildren: Int

  /// TP / result divisions.
  public var precision: Double {
    resultDivisions == 0 ? .nan : Double(truePositives) / Double(resultDivisions)
  }
  /// TP / reference divisions.
  public var recall: Double {
    referenceDivisions == 0 ? .nan : Double(truePositives) / Double(referenceDivisions)
  }
  /// 2PR / (P + R).
  public var f1: Double {
    let p = precision
    let r = recall
    if p.isNaN || r.isNaN || p + r == 0 { return .nan }
    return 2 * p * r / (p + r)
  }
  /// TP / (FP + reference divisions).
  public var mitoticBranchingCorrectness: Double {
    let d = falsePositives + referenceDivisions
    return d == 0 ? .nan : Double(truePositives) / Double(d)
  }

  /// Counts divisions from the per-frame matches and the two lineages.
  public init(frames: [CTCFrameMatch], referenceTracks: [TrackRecord], resultTracks: [TrackRecord])
  {
    struct Node: Hashable {
      var label: Int
      var frame: Int
    }
    func successors(_ tracks: [TrackRecord]) -> [Node: [Node]] {
      let byLabel = Dictionary(tracks.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
      var out = [Node: [Node]]()
      for t in tracks where t.end > t.begin {
        for f in t.begin..<t.end {
          out[Node(label: t.label, frame: f), default: []].append(
            Node(label: t.label, frame: f + 1))
        }
      }
      for t in tracks where t.parent > 0 {
        guard let p = byLabel[t.parent] else { continue }
        out[Node(label: p.label, frame: p.end), default: []].append(
          Node(label: t.label, frame: t.begin))
      }
      return out
    }
    let reference = successors(referenceTracks)
    let result = successors(resultTracks)
    var match = [Node: Node]()  // reference node → result node
    for (t, frame) in frames.enumerated() {
      for m in frame.mappedLabels {
        match[Node(label: m.reference, frame: t)] = Node(label: m.result, frame: t)
      }
    }
    let referenceSplits = reference.filter { $0.value.count >= 2 }
    var resultSplits = Set(result.filter { $0.value.count >= 2 }.keys)
    referenceDivisions = referenceSplits.count
    resultDivisions = resultSplits.count
    var tp = 0
    var fn = 0
    var wc = 0
    for (node, daughters) in referenceSplits {
      guard let m = match[node], resultSplits.contains(m) else {
        fn += 1
        continue
      }
      let resultDaughters = Set(result[m] ?? [])
      let correct = daughters.filter { d in match[d].map { resultDaughters.contains($0) } ?? false }
      if correct.count == 2 { tp += 1 } else { wc += 1 }
      resultSplits.remove(m)
    }
    truePositives = tp
    falseNegatives = fn
    wrongChildren = wc
    falsePositives = resultSplits.count
  }
}
