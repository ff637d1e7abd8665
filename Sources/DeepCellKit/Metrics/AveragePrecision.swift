/// One-to-one matching at IoU thresholds, the accuracy measure StarDist (`matching`) and
/// Cellpose (`average_precision`) report (metrics.md §2.5, an extension to DeepCell): at
/// threshold τ a truth and a predicted object may be paired when IoU ≥ τ, each object at most
/// once, with as many pairs as possible (ties broken towards the largest total IoU, as
/// StarDist's cost `−[IoU ≥ τ] − IoU / (2 n)` does); TP = pairs, FP = n_pred − TP,
/// FN = n_true − TP, and `AP_τ = TP / (TP + FP + FN)`.
public struct ThresholdMatching: Sendable, Equatable {
  /// The IoU threshold τ.
  public var threshold: Double
  /// Matched pairs.
  public var truePositives: Int
  /// Unmatched predictions.
  public var falsePositives: Int
  /// Unmatched truths.
  public var falseNegatives: Int
  /// Σ IoU over the matched pairs.
  public var matchedIoUSum: Double

  /// The thresholds 0.50, 0.55, …, 0.95.
  public static let standardThresholds: [Double] = (0..<10).map { 0.5 + 0.05 * Double($0) }

  /// TP / (TP + FP + FN) (StarDist's `accuracy`, Cellpose's `ap`); 0 when all are 0.
  public var averagePrecision: Double {
    safeRatio(truePositives, truePositives + falsePositives + falseNegatives)
  }
  /// 2TP / (2TP + FP + FN).
  public var f1: Double {
    safeRatio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives)
  }
  /// TP / (TP + FP).
  public var precision: Double { safeRatio(truePositives, truePositives + falsePositives) }
  /// TP / (TP + FN).
  public var recall: Double { safeRatio(truePositives, truePositives + falseNegatives) }
  /// Mean IoU of the matched pairs (0 if none).
  public var meanMatchedIoU: Double {
    truePositives == 0 ? 0 : matchedIoUSum / Double(truePositives)
  }

  private func safeRatio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

  /// Counts of several frames (or images) pooled, as StarDist's `matching_dataset` does.
  public static func pooled(_ items: [ThresholdMatching]) -> ThresholdMatching {
    var out = ThresholdMatching(
      threshold: items.first?.threshold ?? 0, truePositives: 0, falsePositives: 0,
      falseNegatives: 0,
      matchedIoUSum: 0)
    for m in items {
      out.truePositives += m.truePositives
      out.falsePositives += m.falsePositives
      out.falseNegatives += m.falseNegatives
      out.matchedIoUSum += m.matchedIoUSum
    }
    return out
  }

  /// Matches the objects of one frame at each threshold.
  public static func match(_ overlap: LabelOverlap, thresholds: [Double] = standardThresholds)
    throws
    -> [ThresholdMatching]
  {
    let nt = overlap.truth.count
    let np = overlap.prediction.count
    let pairIoU = overlap.pairs.map {
      overlap.iou(truth: $0.truth, prediction: $0.prediction, intersection: $0.intersection)
    }
    return try thresholds.map { tau in
      var candidates = [(t: Int, p: Int, iou: Double)]()
      for (k, pair) in overlap.pairs.enumerated() where pairIoU[k] >= tau {
        candidates.append((pair.truth, pair.prediction, pairIoU[k]))
      }
      var tp = 0
      var sum = 0.0
      if !candidates.isEmpty {
        var rowDegree = [Int: Int]()
        var columnDegree = [Int: Int]()
        for c in candidates {
          rowDegree[c.t, default: 0] += 1
          columnDegree[c.p, default: 0] += 1
        }
        if rowDegree.values.allSatisfy({ $0 == 1 }) && columnDegree.values.allSatisfy({ $0 == 1 }) {
          // The usual case at τ ≥ 0.5: the candidates already form a matching.
          tp = candidates.count
          sum = candidates.reduce(0) { $0 + $1.iou }
        } else {
          // StarDist's cost on the rows and columns that have candidates.
          let rows = rowDegree.keys.sorted()
          let columns = columnDegree.keys.sorted()
          let rowAt = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
          let columnAt = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
          let nMatched = Double(min(nt, np))
          var cost = [Double](repeating: 0, count: rows.count * columns.count)
          var iouSub = [Double](repeating: 0, count: rows.count * columns.count)
          for (k, pair) in overlap.pairs.enumerated() {
            guard let r = rowAt[pair.truth], let c = columnAt[pair.prediction] else { continue }
            let v = pairIoU[k]
            iouSub[r * columns.count + c] = v
            cost[r * columns.count + c] = -(v >= tau ? 1 : 0) - v / (2 * nMatched)
          }
          for (r, c) in try LinearAssignment.solve(
            cost: cost, rows: rows.count, columns: columns.count)
          {
            let v = iouSub[r * columns.count + c]
            if v >= tau {
              tp += 1
              sum += v
            }
          }
        }
      }
      return ThresholdMatching(
        threshold: tau, truePositives: tp, falsePositives: np - tp, falseNegatives: nt - tp,
        matchedIoUSum: sum)
    }
  }

  /// Key suffix of a threshold, e.g. `0.50`.
  public static func key(_ threshold: Double) -> String { String(format: "%.2f", threshold) }
}
