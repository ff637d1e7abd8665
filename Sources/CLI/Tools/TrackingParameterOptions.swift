import ArgumentParser
import DeepCellKit

/// dc-track's linking, gap and division flags (track.md), defaulting to
/// ``TrackingParameters``'. Include with `@OptionGroup var tracking: TrackingParameterOptions`.
public struct TrackingParameterOptions: ParsableArguments {
  @Option(
    name: .customLong("max-distance"),
    help: ArgumentHelp("Largest centroid displacement of a link, pixels.", valueName: "px"))
  public var maxDistance: Double = TrackingParameters().maxDistance

  @Option(
    name: .customLong("max-gap"),
    help: ArgumentHelp(
      "Most frames a cell may be missing and keep its track (0: off).", valueName: "frames"))
  public var maxGap: Int = TrackingParameters().maxGap

  @Option(
    name: .customLong("birth-cost"),
    help: ArgumentHelp("Cost of starting a track.", valueName: "cost"))
  public var birthCost: Double = TrackingParameters().birthCost

  @Option(
    name: .customLong("death-cost"),
    help: ArgumentHelp("Cost of ending a track.", valueName: "cost"))
  public var deathCost: Double = TrackingParameters().deathCost

  @Option(
    name: .customLong("area-weight"),
    help: ArgumentHelp("Weight of the area change |ln(A'/A)| in the link cost.", valueName: "w")
  )
  public var areaWeight: Double = TrackingParameters().areaWeight

  @Option(
    name: .customLong("intensity-weight"),
    help: ArgumentHelp("Weight of the mean-intensity change (with --raw).", valueName: "w")
  )
  public var intensityWeight: Double = TrackingParameters().intensityWeight

  @Option(
    name: .customLong("gap-cost"),
    help: ArgumentHelp("Extra link cost per missing frame of a closed gap.", valueName: "cost"))
  public var gapCost: Double = TrackingParameters().gapCost

  @Option(
    name: .customLong("division-distance"),
    help: ArgumentHelp("Largest parent-to-daughter centroid distance, pixels.", valueName: "px"))
  public var divisionDistance: Double = TrackingParameters().divisionDistance

  @Option(
    name: .customLong("min-daughter-area-ratio"),
    help: ArgumentHelp("Smallest daughter area / parent area.", valueName: "ratio"))
  public var minDaughterAreaRatio: Double = TrackingParameters().minDaughterAreaRatio

  @Option(
    name: .customLong("max-daughter-area-ratio"),
    help: ArgumentHelp("Largest daughter area / parent area.", valueName: "ratio"))
  public var maxDaughterAreaRatio: Double = TrackingParameters().maxDaughterAreaRatio

  @Option(
    name: .customLong("division-cost"),
    help: ArgumentHelp(
      "Largest division cost (daughters' midpoint offset in parent radii + |ln(area sum / parent area)|) of daughters off the parent's mask.",
      valueName: "cost"))
  public var maxDivisionCost: Double = TrackingParameters().maxDivisionCost

  @Option(
    name: .customLong("division-gap"),
    help: ArgumentHelp(
      "Most frames a dividing parent may be missing before its daughters appear.",
      valueName: "frames"))
  public var divisionGap: Int = TrackingParameters().divisionGap

  @Option(
    name: .customLong("division-join"),
    help: ArgumentHelp(
      "Most frames two daughters that are still one blob cut in two (a mitotic nucleus split by the watershed) stay their parent before the division is reported (0: report at once).",
      valueName: "frames"))
  public var divisionJoin: Int = TrackingParameters().divisionJoin

  @Option(
    name: .customLong("division-join-contact"),
    help: ArgumentHelp(
      "Shortest boundary two such daughters share, in diameters of the smaller one.",
      valueName: "ratio"))
  public var divisionJoinContact: Double = TrackingParameters().divisionJoinContact

  @Option(
    name: .customLong("division-join-area"),
    help: ArgumentHelp(
      "Smallest area of two such daughters together, as a fraction of their parent's.",
      valueName: "ratio"))
  public var divisionJoinArea: Double = TrackingParameters().divisionJoinArea

  @Option(
    name: .customLong("late-daughter-gap"),
    help: ArgumentHelp(
      "Most frames a second daughter that segmentation missed at first may appear after the first; the division is dated where the parent's mask shrank to the first daughter's (0: off; e.g. 3).",
      valueName: "frames"))
  public var lateDaughterGap: Int = TrackingParameters().lateDaughterGap

  @Option(
    name: .customLong("late-daughter-area"),
    help: ArgumentHelp(
      "Largest area of that first daughter in its first frame, as a fraction of the parent's the frame before.",
      valueName: "ratio"))
  public var lateDaughterArea: Double = TrackingParameters().lateDaughterArea

  @Option(
    name: .customLong("min-track-length"),
    help: ArgumentHelp(
      "Remove tracks of fewer frames that have no parent and no daughters (1: keep all).",
      valueName: "frames"))
  public var minTrackLength: Int = TrackingParameters().minTrackLength

  @Flag(
    name: .customLong("no-fill-gaps"),
    help:
      "Leave the frames of a closed gap empty (a CTC track per run) instead of filling them with the cell's interpolated mask."
  )
  public var noFillGaps = false

  @Flag(
    name: .customLong("no-split-merges"),
    help:
      "Leave a closed gap that a neighbour's mask covered (two nuclei merged into one mask, then split) empty instead of cutting that mask between the two tracks."
  )
  public var noSplitMerges = false

  @Flag(
    name: .customLong("no-motion"),
    help: "Measure link distances from the last centroid, not the extrapolated one.")
  public var noMotion = false

  public init() {}

  /// The parameters the flags give (not yet validated: ``TrackingParameters/validate()``).
  public var parameters: TrackingParameters {
    var p = TrackingParameters()
    p.maxDistance = maxDistance
    p.maxGap = maxGap
    p.birthCost = birthCost
    p.deathCost = deathCost
    p.areaWeight = areaWeight
    p.intensityWeight = intensityWeight
    p.gapCost = gapCost
    p.divisionDistance = divisionDistance
    p.minDaughterAreaRatio = minDaughterAreaRatio
    p.maxDaughterAreaRatio = maxDaughterAreaRatio
    p.maxDivisionCost = maxDivisionCost
    p.divisionGap = divisionGap
    p.divisionJoin = divisionJoin
    p.divisionJoinContact = divisionJoinContact
    p.divisionJoinArea = divisionJoinArea
    p.lateDaughterGap = lateDaughterGap
    p.lateDaughterArea = lateDaughterArea
    p.minTrackLength = minTrackLength
    p.fillGaps = !noFillGaps
    p.splitMerges = !noSplitMerges
    p.predictMotion = !noMotion
    return p
  }
}
