import Foundation

/// A detected mitosis: a parent track that ended in an earlier frame and two daughter cells
/// that start in the current one.
public struct Division: Sendable, Equatable {
  /// Index of the parent track (a row of the frame's linking problem).
  public var parent: Int
  /// Indices of the two daughter cells in the current frame, ascending.
  public var daughters: [Int]
}

/// Division detection after frame-to-frame linking (spec/track.md §8, "division"; issue 18).
///
/// A track not yet divided and last seen 1…`divisionGap + 1` frames earlier (the parent may
/// vanish while it divides, as segmentation often loses the rounded mitotic cell) is the
/// parent of two cells of the current frame when each lies within `divisionDistance` of its
/// last centroid and has `minDaughterAreaRatio … maxDaughterAreaRatio` of its last area,
/// and either the pair's ``DivisionCost`` is at most `maxDivisionCost` or every daughter that
/// linking left without a track overlaps the parent's last mask (a daughter that appears on
/// the parent's footprint). The two daughters are either two newborn cells (the parent's
/// track ended), or the cell the parent was linked to plus one newborn cell (the parent's
/// continuation becomes the second daughter, §3.6). Among all candidate pairs the cheapest
/// are accepted first, each parent and cell used once; ties go to the lower parent index,
/// then the lower cell indices.
///
/// A parent's cell of the frame before its last (`earlier`) is a second reference for the
/// area ratios, distances and cost: when segmentation misses one daughter in its first frame,
/// the parent's track carries on into the other daughter (half its area) and the missing
/// one appears a frame late, a division only when measured against the parent's last whole
/// mask.
public enum DivisionDetection {
  /// Detects divisions.
  ///
  /// - Parameters:
  ///   - parents: last cells of the candidate parent tracks.
  ///   - earlier: for each parent, its track's cell in the frame before the last, if any
  ///     (empty: none).
  ///   - continuation: for each parent, the index of the cell it was linked to, or -1.
  ///   - cells: the cells of the current frame.
  ///   - isNewborn: for each cell, whether linking left it without a track.
  ///   - overlaps: for each parent, pixels its last mask shares with each cell (by cell index);
  ///     empty: no overlaps known.
  public static func detect(
    parents: [CellFeatures], earlier: [CellFeatures?] = [], continuation: [Int],
    cells: [CellFeatures], isNewborn: [Bool],
    overlaps: [[Int: Int]] = [], parameters: TrackingParameters
  ) -> [Division] {
    struct Option {
      var cost: Double
      var parent: Int
      var first: Int
      var second: Int
    }
    let maxDistance = parameters.divisionDistance
    guard maxDistance > 0 else { return [] }
    var options: [Option] = []
    for (p, parent) in parents.enumerated() {
      var references = [parent]
      if p < earlier.count, let e = earlier[p] { references.append(e) }
      func eligible(_ j: Int, _ reference: CellFeatures) -> Bool {
        let cell = cells[j]
        let ratio = Double(cell.area) / Double(reference.area)
        guard ratio >= parameters.minDaughterAreaRatio, ratio <= parameters.maxDaughterAreaRatio
        else { return false }
        let dr = cell.centroidRow - reference.centroidRow
        let dc = cell.centroidColumn - reference.centroidColumn
        return dr * dr + dc * dc <= maxDistance * maxDistance
      }
      func eligible(_ j: Int) -> Bool { references.contains { eligible(j, $0) } }
      let overlapping = p < overlaps.count ? overlaps[p] : [:]
      func consider(_ a: Int, _ b: Int) {
        var cost = Double.infinity
        for r in references where eligible(a, r) && eligible(b, r) {
          cost = min(cost, DivisionCost.cost(parent: r, first: cells[a], second: cells[b]))
        }
        guard cost < .infinity else { return }
        let onFootprint = [a, b].allSatisfy { !isNewborn[$0] || (overlapping[$0] ?? 0) > 0 }
        guard cost <= parameters.maxDivisionCost || onFootprint else { return }
        options.append(Option(cost: cost, parent: p, first: min(a, b), second: max(a, b)))
      }
      let births = cells.indices.filter { isNewborn[$0] && eligible($0) }
      let k = continuation[p]
      if k >= 0 {
        guard eligible(k) else { continue }
        for b in births { consider(k, b) }
      } else {
        for x in 0..<births.count {
          for y in (x + 1)..<births.count { consider(births[x], births[y]) }
        }
      }
    }
    options.sort {
      ($0.cost, $0.parent, $0.first, $0.second) < ($1.cost, $1.parent, $1.first, $1.second)
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
