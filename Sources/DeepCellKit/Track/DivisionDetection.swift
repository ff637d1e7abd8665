import Foundation

/// A detected mitosis: a parent track that ends in the previous frame and two daughter cells
/// that start in the current one.
public struct Division: Sendable, Equatable {
  /// Index of the parent track (a row of the frame's linking problem).
  public var parent: Int
  /// Indices of the two daughter cells in the current frame, ascending.
  public var daughters: [Int]
}

/// Division detection after frame-to-frame linking (spec/track.md §8, "division").
///
/// A track seen in the previous frame and not yet divided is the parent of two cells of the
/// current frame when each lies within `divisionDistance` of its last centroid and has
/// `minDaughterAreaRatio … maxDaughterAreaRatio` of its last area. The two daughters are
/// either two newborn cells (the parent's track ended), or the cell the parent was linked to
/// plus one newborn cell (the parent's continuation becomes the second daughter, §3.6).
/// Among all candidate pairs the best-scoring ones are accepted first, score
/// `(d₁ + d₂) / (2 · divisionDistance) + ½ |ln((A₁ + A₂) / A_parent)|`, each cell used once;
/// ties go to the lower parent index, then the lower cell indices.
public enum DivisionDetection {
  /// Detects divisions.
  ///
  /// - Parameters:
  ///   - parents: last cells of the candidate parent tracks (uncapped, seen in the previous frame).
  ///   - continuation: for each parent, the index of the cell it was linked to, or -1.
  ///   - cells: the cells of the current frame.
  ///   - isNewborn: for each cell, whether linking left it without a track.
  public static func detect(
    parents: [CellFeatures], continuation: [Int], cells: [CellFeatures], isNewborn: [Bool],
    parameters: TrackingParameters
  ) -> [Division] {
    struct Option {
      var score: Double
      var parent: Int
      var first: Int
      var second: Int
    }
    let maxDistance = parameters.divisionDistance
    guard maxDistance > 0 else { return [] }
    var options: [Option] = []
    for (p, parent) in parents.enumerated() {
      func eligible(_ j: Int) -> Double? {
        let cell = cells[j]
        let ratio = Double(cell.area) / Double(parent.area)
        guard ratio >= parameters.minDaughterAreaRatio, ratio <= parameters.maxDaughterAreaRatio
        else { return nil }
        let dr = cell.centroidRow - parent.centroidRow
        let dc = cell.centroidColumn - parent.centroidColumn
        let d = (dr * dr + dc * dc).squareRoot()
        return d <= maxDistance ? d : nil
      }
      let births = cells.indices.compactMap { j -> (Int, Double)? in
        guard isNewborn[j], let d = eligible(j) else { return nil }
        return (j, d)
      }
      func score(_ a: (Int, Double), _ b: (Int, Double)) -> Double {
        let areas = Double(cells[a.0].area + cells[b.0].area) / Double(parent.area)
        return (a.1 + b.1) / (2 * maxDistance) + 0.5 * abs(log(areas))
      }
      let k = continuation[p]
      if k >= 0 {
        guard let dk = eligible(k) else { continue }
        for b in births {
          options.append(
            Option(score: score((k, dk), b), parent: p, first: min(k, b.0), second: max(k, b.0)))
        }
      } else {
        for x in 0..<births.count {
          for y in (x + 1)..<births.count {
            options.append(
              Option(
                score: score(births[x], births[y]), parent: p, first: births[x].0,
                second: births[y].0))
          }
        }
      }
    }
    options.sort {
      ($0.score, $0.parent, $0.first, $0.second) < ($1.score, $1.parent, $1.first, $1.second)
    }
    var usedParent = Set<Int>()
    var usedCell = Set<Int>()
    var divisions: [Division] = []
    for o in options
    where !usedParent.contains(o.parent) && !usedCell.contains(o.first)
      && !usedCell.contains(o.second)
    {
      usedParent.insert(o.parent)
      usedCell.insert(o.first)
      usedCell.insert(o.second)
      divisions.append(Division(parent: o.parent, daughters: [o.first, o.second]))
    }
    return divisions.sorted { $0.parent < $1.parent }
  }
}
