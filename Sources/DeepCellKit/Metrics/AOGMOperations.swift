/// The graph-correction operations that turn a tracking result into the reference
/// (acyclic oriented graph matching, Matula et al. 2015; metrics.md §4), counted as
/// py-ctcmetrics' `count_acyclic_graph_correction_operations` does.
///
/// Vertices are the (label, frame) objects of the masks. Edges: a track link (semantic 0)
/// between the same label in consecutive frames, and a parent link (semantic 1) from the
/// parent's vertex in its last frame to the child's vertex in its first frame for every
/// lineage line with a parent. Edges are compared on the result vertices that match exactly
/// one reference vertex.
public struct AOGMOperations: Sendable, Equatable {
  /// Split vertex operations: Σ over result vertices matching k > 1 references of k − 1.
  public var ns = 0
  /// Reference vertices with no matching result vertex.
  public var fn = 0
  /// Result vertices matching no reference vertex.
  public var fp = 0
  /// Redundant result edges (to delete).
  public var ed = 0
  /// Missing reference edges (to add).
  public var ea = 0
  /// Edges whose semantics differ (track link ↔ parent link).
  public var ec = 0
  /// Reference vertices.
  public var referenceVertices = 0
  /// Reference edges.
  public var referenceEdges = 0
  /// Result vertices.
  public var resultVertices = 0

  /// The standard weights (CTC): NS 5, FN 10, FP 1, ED 1, EA 1.5, EC 1.
  public static let weights = (ns: 5.0, fn: 10.0, fp: 1.0, ed: 1.0, ea: 1.5, ec: 1.0)

  /// AOGM = 5·NS + 10·FN + 1·FP + 1·ED + 1.5·EA + 1·EC.
  public var aogm: Double {
    let w = Self.weights
    return w.ns * Double(ns) + w.fn * Double(fn) + w.fp * Double(fp) + w.ed * Double(ed) + w.ea
      * Double(ea) + w.ec
      * Double(ec)
  }
  /// Cost of building the reference graph from nothing: 10·|V| + 1.5·|E|.
  public var aogm0: Double {
    Self.weights.fn * Double(referenceVertices) + Self.weights.ea * Double(referenceEdges)
  }
  /// DET = 1 − min(AOGM_D, AOGM_D0) / AOGM_D0 with AOGM_D = 5·NS + 10·FN + FP, AOGM_D0 = 10·|V|.
  public var det: Double {
    let w = Self.weights
    let d = w.ns * Double(ns) + w.fn * Double(fn) + w.fp * Double(fp)
    let d0 = w.fn * Double(referenceVertices)
    return 1 - min(d, d0) / d0
  }
  /// TRA = 1 − min(AOGM, AOGM_0) / AOGM_0.
  public var tra: Double { 1 - min(aogm, aogm0) / aogm0 }
  /// LNK = 1 − min(AOGM_A, AOGM_A0) / AOGM_A0 with AOGM_A = ED + 1.5·EA + EC,
  /// AOGM_A0 = 1.5·|E|; NaN without reference edges.
  public var lnk: Double {
    let w = Self.weights
    let a = w.ed * Double(ed) + w.ea * Double(ea) + w.ec * Double(ec)
    let a0 = w.ea * Double(referenceEdges)
    return a0 == 0 ? .nan : 1 - min(a, a0) / a0
  }

  /// Counts the operations.
  ///
  /// - Parameters:
  ///   - frames: the per-frame matches of reference and result (frame order).
  ///   - referenceTracks: the reference lineage.
  ///   - resultTracks: the result lineage.
  ///   - referenceName, resultName: lineage files named in errors.
  /// - Throws: ``DeepCellError`` `badData` when a lineage names a parent that is not in
  ///   the table, or a track whose first or last frame lacks its label in the masks.
  public init(
    frames: [CTCFrameMatch], referenceTracks: [TrackRecord], resultTracks: [TrackRecord],
    referenceName: String = "man_track.txt", resultName: String = "res_track.txt"
  ) throws {
    let refLabels = frames.map(\.referenceLabels)
    let resLabels = frames.map(\.resultLabels)
    var cumR = [0]
    var cumC = [0]
    for f in frames.indices {
      cumR.append(cumR[f] + refLabels[f].count)
      cumC.append(cumC[f] + resLabels[f].count)
    }
    referenceVertices = cumR.last!
    resultVertices = cumC.last!

    // Detection test.
    var refMatched = [Bool](repeating: false, count: referenceVertices)
    var resCount = [Int](repeating: 0, count: resultVertices)
    var resToRef = [Int](repeating: -1, count: resultVertices)
    for (f, frame) in frames.enumerated() {
      for m in frame.matches {
        let r = cumR[f] + m.reference
        let c = cumC[f] + m.result
        refMatched[r] = true
        resCount[c] += 1
        resToRef[c] = r
      }
    }
    let tp = refMatched.reduce(0) { $0 + ($1 ? 1 : 0) }
    fn = referenceVertices - tp
    fp = resCount.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
    ns = resCount.reduce(0) { $0 + max($1 - 1, 0) }

    let refEdges = try Self.edges(referenceTracks, refLabels, cumR, name: referenceName)
    let resEdges = try Self.edges(resultTracks, resLabels, cumC, name: resultName)
    referenceEdges = refEdges.count
    var refSemantics = [Int: Int](minimumCapacity: refEdges.count)
    let key = max(referenceVertices, 1)
    for e in refEdges { refSemantics[e.from * key + e.to] = e.semantic }
    var mappedKeys = Set<Int>()
    for e in resEdges where resCount[e.from] == 1 && resCount[e.to] == 1 {
      let k = resToRef[e.from] * key + resToRef[e.to]
      mappedKeys.insert(k)
      if let s = refSemantics[k] {
        if s != e.semantic { ec += 1 }
      } else {
        ed += 1
      }
    }
    ea = refSemantics.keys.reduce(0) { $0 + (mappedKeys.contains($1) ? 0 : 1) }
  }

  /// A graph edge between global vertex indices.
  struct Edge {
    var from: Int
    var to: Int
    var semantic: Int
  }

  /// Track links from label identity in consecutive frames, parent links from the lineage
  /// (py-ctcmetrics `create_edge_mapping`).
  static func edges(_ tracks: [TrackRecord], _ labels: [[Int]], _ cum: [Int], name: String) throws
    -> [Edge]
  {
    var edges = [Edge]()
    var positions = [[Int: Int]]()
    for frame in labels {
      var p = [Int: Int](minimumCapacity: frame.count)
      for (i, l) in frame.enumerated() { p[l] = i }
      positions.append(p)
    }
    if labels.count > 1 {
      for f in 0..<(labels.count - 1) {
        for (i, l) in labels[f].enumerated() {
          if let j = positions[f + 1][l] {
            edges.append(Edge(from: cum[f] + i, to: cum[f + 1] + j, semantic: 0))
          }
        }
      }
    }
    var firstRecord = [Int: TrackRecord]()
    for t in tracks where firstRecord[t.label] == nil { firstRecord[t.label] = t }
    for child in tracks where child.parent != 0 {
      guard let parent = firstRecord[child.parent] else {
        throw DeepCellError(
          .badData, name,
          "track \(child.label) names parent \(child.parent), which is not in the lineage")
      }
      func vertex(_ label: Int, _ frame: Int, _ role: String) throws -> Int {
        guard frame >= 0, frame < labels.count, let i = positions[frame][label] else {
          throw DeepCellError(
            .badData, name,
            "\(role) \(label) is not in the masks of frame \(frame) (track \(child.label), parent \(parent.label))"
          )
        }
        return cum[frame] + i
      }
      let from = try vertex(parent.label, parent.end, "parent")
      let to = try vertex(child.label, child.begin, "track")
      edges.append(Edge(from: from, to: to, semantic: 1))
    }
    return edges
  }
}
