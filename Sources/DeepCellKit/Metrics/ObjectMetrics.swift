/// DeepCell's object-level classification of one frame (`ObjectMetrics`, metrics.md §2):
/// IoU matching by linear assignment, then an error graph over what is left, whose connected
/// components become missed, gained, split, merge and catastrophe events.
///
/// Reproduces deepcell-toolbox 0.12.1 including its quirks: a direct match needs
/// IoU > 1 − cutoff1; a lone truth–prediction pair left by the assignment counts as one missed
/// plus one gained; a catastrophe is also counted as a correct detection (the reference's
/// `Detection.is_correct` is true for it); the unmatched predictions are read from the
/// dummy-row index of the bottom-left block.
public struct ObjectMetrics: Sendable {
  /// Matching parameters (`Metrics.__init__` defaults).
  public struct Parameters: Sendable, Equatable {
    /// Cost of leaving an object unmatched; a match needs IoU > 1 − cutoff1.
    public var cutoff1: Double = 0.4
    /// Minimum (modified) IoU of an error-graph edge.
    public var cutoff2: Double = 0.1
    /// Lower the IoU of a big object that swallowed a small one so the event is always a
    /// split or merge (the reference's `force_event_links`).
    public var forceEventLinks: Bool = false
    /// Creates parameters; the defaults are the reference's.
    public init(cutoff1: Double = 0.4, cutoff2: Double = 0.1, forceEventLinks: Bool = false) {
      self.cutoff1 = cutoff1
      self.cutoff2 = cutoff2
      self.forceEventLinks = forceEventLinks
    }
  }

  /// Objects in the prediction.
  public var nPred = 0
  /// Objects in the truth.
  public var nTrue = 0
  /// Direct matches (plus one per catastrophe, as in the reference).
  public var correctDetections = 0
  /// Truth objects left unmatched and not part of an event.
  public var missedDetections = 0
  /// Predicted objects left unmatched and not part of an event.
  public var gainedDetections = 0
  /// Σ over merges of (#truths − 1).
  public var missedDetFromMerge = 0
  /// Σ over splits of (#predictions − 1).
  public var gainedDetFromSplit = 0
  /// Σ over catastrophes of #truths.
  public var trueDetInCatastrophe = 0
  /// Σ over catastrophes of #predictions.
  public var predDetInCatastrophe = 0
  /// Merge events.
  public var merge = 0
  /// Split events.
  public var split = 0
  /// Catastrophe events.
  public var catastrophe = 0
  /// CTC SEG of the frame (§4): mean over truth objects of the IoU with the prediction
  /// covering more than half of it (0 if none); NaN when the truth is empty.
  public var seg = Double.nan
  /// Sum of those IoUs (for pooling SEG over frames).
  public var segSum = 0.0
  /// The reference's own `seg` value (metrics.md §2.2, kept for bug-for-bug comparison).
  public var segDeepcell = Double.nan
  /// Pixel statistics of the frame.
  public var pixels = PixelMetrics(truthPixels: 0, predictedPixels: 0, intersection: 0)
  /// Whether either image had to be renumbered to 1…n.
  public var relabelled = false

  /// correct / n_pred (0 when there are no predictions).
  public var precision: Double { nPred == 0 ? 0 : Double(correctDetections) / Double(nPred) }
  /// correct / n_true (0 when the truth is empty).
  public var recall: Double { nTrue == 0 ? 0 : Double(correctDetections) / Double(nTrue) }
  /// Harmonic mean of recall and precision.
  public var f1: Double { harmonicMean(recall, precision) }
  /// Pixel Jaccard index of the frame.
  public var jaccard: Double { pixels.jaccard }
  /// Pixel Dice coefficient of the frame.
  public var dice: Double { pixels.dice }

  /// An empty result (for building summaries by hand).
  public init() {}

  /// Classifies the objects of one truth/prediction frame.
  public init(_ overlap: LabelOverlap, parameters p: Parameters = Parameters()) throws {
    let nt = overlap.truth.count
    let np = overlap.prediction.count
    nTrue = nt
    nPred = np
    relabelled = !overlap.truth.isSequential || !overlap.prediction.isSequential
    pixels = PixelMetrics(overlap)

    // 1. IoU matrix (dense, truth-major).
    var iou = [Double](repeating: 0, count: nt * np)
    for pair in overlap.pairs {
      iou[pair.truth * np + pair.prediction] = overlap.iou(
        truth: pair.truth, prediction: pair.prediction, intersection: pair.intersection)
    }

    // CTC SEG: the prediction covering > 50 % of a truth object is its match.
    var segSum = 0.0
    for pair in overlap.pairs where 2 * pair.intersection > overlap.truth.areas[pair.truth] {
      segSum += iou[pair.truth * np + pair.prediction]
    }
    self.segSum = segSum
    seg = nt == 0 ? .nan : segSum / Double(nt)

    // 2. Modified IoU for small objects swallowed by big ones (pairs in row-major order).
    var iouMod = iou
    let upper = 1 - p.cutoff1
    for pair in overlap.pairs {
      let t = pair.truth
      let q = pair.prediction
      let value = iou[t * np + q]
      guard value > 0, value < upper else { continue }
      let trueInPred = Double(pair.intersection) / Double(overlap.truth.areas[t])
      let predInTrue = Double(pair.intersection) / Double(overlap.prediction.areas[q])
      if value <= p.cutoff1 && max(trueInPred, predInTrue) > 0.5 {
        iouMod[t * np + q] = p.cutoff2
        if p.forceEventLinks && trueInPred > 0.5 {
          for k in 0..<nt where iou[k * np + q] >= upper { iouMod[k * np + q] = upper - 0.01 }
        }
        if p.forceEventLinks && predInTrue > 0.5 {
          for k in 0..<np where iou[t * np + k] >= upper { iouMod[t * np + k] = upper - 0.01 }
        }
      }
    }

    // 3. Cost matrix and linear assignment.
    let n = nt + np
    var cost = [Double](repeating: 1, count: n * n)
    // The reference builds the dummy blocks as `cutoff1·I + 1 − I`, so its diagonal is
    // (cutoff1 + 1) − 1 = 0.3999999999999999 for 0.4: an IoU of exactly 0.6 is not a match.
    let dummy = (p.cutoff1 + 1) - 1
    for t in 0..<nt {
      for q in 0..<np {
        let c = 1 - iouMod[t * np + q]
        cost[t * n + q] = c  // top-left
        cost[(nt + q) * n + (np + t)] = c  // bottom-right, transposed
      }
      cost[t * n + np + t] = dummy  // top-right diagonal
    }
    for q in 0..<np { cost[(nt + q) * n + q] = dummy }  // bottom-left diagonal
    let assignment = try LinearAssignment.solve(cost: cost, rows: n, columns: n)

    var missed = [Int]()
    var gained = [Int]()
    var correctPairs = [(Int, Int)]()
    for (row, column) in assignment {
      if row < nt {
        if column < np { correctPairs.append((row, column)) } else { missed.append(row) }
      } else if column < np {
        gained.append(row - nt)  // the reference takes the dummy row's index
      }
    }
    correctDetections = correctPairs.count

    // The reference's `seg` (metrics.md §2.2).
    segDeepcell = Self.referenceSeg(overlap, iou: iou, correct: correctPairs)

    // 5.–6. Error graph over the leftovers and its components.
    classify(missed: missed, gained: gained, iouMod: iouMod, np: np, cutoff2: p.cutoff2)
  }

  private mutating func classify(
    missed: [Int], gained: [Int], iouMod: [Double], np: Int, cutoff2: Double
  ) {
    let m = missed.count
    let g = gained.count
    if m + g == 0 { return }
    // Nodes 0..<m are truths, m..<m+g predictions.
    var sets = UnionFind(count: m + g)
    var degree = [Int](repeating: 0, count: m + g)
    for (a, t) in missed.enumerated() {
      for (b, q) in gained.enumerated() where iouMod[t * np + q] >= cutoff2 {
        degree[a] += 1
        degree[m + b] += 1
        let ra = sets.find(a)
        let rb = sets.find(m + b)
        if ra != rb { sets.parent[ra] = rb }
      }
    }
    var maxDegree = [Int: Int]()
    var truths = [Int: Int]()
    var preds = [Int: Int]()
    for node in 0..<(m + g) {
      let root = sets.find(node)
      maxDegree[root] = max(maxDegree[root] ?? 0, degree[node])
      if node < m { truths[root, default: 0] += 1 } else { preds[root, default: 0] += 1 }
    }
    for (root, d) in maxDegree {
      let nTruth = truths[root] ?? 0
      let nPred = preds[root] ?? 0
      if d <= 1 {
        missedDetections += nTruth
        gainedDetections += nPred
      } else if nTruth == 1 {
        split += 1
        gainedDetFromSplit += nPred - 1
      } else if nPred == 1 {
        merge += 1
        missedDetFromMerge += nTruth - 1
      } else {
        catastrophe += 1
        trueDetInCatastrophe += nTruth
        predDetInCatastrophe += nPred
        correctDetections += 1  // Detection.is_correct holds for a catastrophe
      }
    }
  }

  /// The reference's `seg_score`: its "> 50 %" test compares each box-overlapping pair's
  /// intersection with the pixel count of the label equal to the pair's loop counter, then
  /// averages the IoU of the correct matches that failed that test (NaN if none).
  static func referenceSeg(_ overlap: LabelOverlap, iou: [Double], correct: [(Int, Int)]) -> Double
  {
    let truth = overlap.truth
    let pred = overlap.prediction
    let nt = truth.count
    let np = pred.count
    if nt == 0 || np == 0 || correct.isEmpty { return .nan }
    var intersections = [Int: Int]()
    for pair in overlap.pairs {
      intersections[pair.truth * np + pair.prediction] = pair.intersection
    }
    let rank = truth.shape.count
    var passed = Set<Int>()
    var counter = 0
    for t in 0..<nt {
      let bt = t * 2 * rank
      for q in 0..<np {
        let bp = q * 2 * rank
        var overlaps = true
        for a in 0..<rank {
          // compute_overlap on regionprops' half-open boxes: min(max)+1+1 − max(min) > 0.
          let hi = min(truth.boxes[bt + rank + a], pred.boxes[bp + rank + a]) + 1
          let lo = max(truth.boxes[bt + a], pred.boxes[bp + a])
          if hi - lo + 1 <= 0 {
            overlaps = false
            break
          }
        }
        if !overlaps { continue }
        let labelArea: Int
        if counter == 0 {
          labelArea = truth.backgroundArea
        } else if counter <= nt {
          labelArea = truth.areas[counter - 1]
        } else {
          labelArea = 0
        }
        let inter = intersections[t * np + q] ?? 0
        if 2 * inter > labelArea { passed.insert(t * np + q) }
        counter += 1
      }
    }
    // np.nanmean: NaN (passed pairs) summed as 0, divided by the count of the others.
    let values = correct.map {
      passed.contains($0.0 * np + $0.1) ? Double.nan : iou[$0.0 * np + $0.1]
    }
    return NumpySum.nanMean(values)
  }

  /// The reference's `to_dict()` keys in its order (`seg` being the CTC SEG), then
  /// `seg_deepcell`, the reference's own `seg` value.
  public var record: [(String, StatValue)] {
    [
      ("n_pred", .count(nPred)), ("n_true", .count(nTrue)),
      ("correct_detections", .count(correctDetections)),
      ("missed_detections", .count(missedDetections)),
      ("gained_detections", .count(gainedDetections)),
      ("missed_det_from_merge", .count(missedDetFromMerge)),
      ("gained_det_from_split", .count(gainedDetFromSplit)),
      ("true_det_in_catastrophe", .count(trueDetInCatastrophe)),
      ("pred_det_in_catastrophe", .count(predDetInCatastrophe)),
      ("merge", .count(merge)), ("split", .count(split)), ("catastrophe", .count(catastrophe)),
      ("precision", .rate(precision)), ("recall", .rate(recall)), ("f1", .rate(f1)),
      ("seg", .rate(seg)), ("jaccard", .rate(jaccard)), ("dice", .rate(dice)),
      ("seg_deepcell", .rate(segDeepcell)),
    ]
  }
}
