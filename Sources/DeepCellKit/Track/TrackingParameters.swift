/// The settings of the classical tracker (spec/track.md §8): link-cost scale, birth and death
/// costs, gap closing and division thresholds. Distances are in pixels, areas in pixels².
public struct TrackingParameters: Sendable, Equatable {
  /// Largest centroid displacement (from the track's predicted position) a link may span;
  /// also the scale of the distance cost `(d / maxDistance)²`. deepcell's `distance_threshold`.
  public var maxDistance: Double = 64
  /// Cost of starting a new track for a cell (deepcell `birth`, §1).
  public var birthCost: Double = 0.99
  /// Cost of ending a track (deepcell `death`, §1).
  public var deathCost: Double = 0.99
  /// Weight of the area-change term `|ln(area_j / area_i)|` in the link cost.
  public var areaWeight: Double = 0.1
  /// Weight of the mean-intensity term `|I_j − I_i| / (I_j + I_i)` (used only with a raw stack).
  public var intensityWeight: Double = 0.1
  /// Most frames a cell may be missing and still be reconnected to its track (0 disables gap closing).
  public var maxGap: Int = 3
  /// Extra cost per missing frame of a gap-closing link, so a track ending one frame ago
  /// wins over an older one.
  public var gapCost: Double = 0.1
  /// Largest distance from the parent's last centroid to a daughter's centroid.
  public var divisionDistance: Double = 48
  /// Smallest daughter area as a fraction of the parent's last area.
  public var minDaughterAreaRatio: Double = 0.2
  /// Largest daughter area as a fraction of the parent's last area.
  public var maxDaughterAreaRatio: Double = 1.3
  /// Largest ``DivisionCost`` (daughters' midpoint offset in parent radii plus
  /// `|ln(daughters' area / parent area)|`) of a division whose new daughters do not overlap
  /// the parent's last mask.
  public var maxDivisionCost: Double = 1.0
  /// Most frames a parent may be missing before its daughters appear (segmentation often
  /// loses the mitotic cell); at most `maxGap` takes effect, as only tracks kept for gap
  /// closing can divide late.
  public var divisionGap: Int = 1
  /// Most consecutive frames a dividing cell whose two daughters are still one blob cut in
  /// two (a mitotic nucleus split by the watershed in ana- and telophase) is kept as its
  /// parent, the two masks one cell, before the division is reported; it is reported as soon
  /// as they no longer are (``DivisionJoin``; 0: at once).
  public var divisionJoin: Int = 2
  /// Shortest shared boundary of two daughters that are one blob cut in two, as a fraction
  /// of the smaller one's equivalent diameter (``DivisionJoin``).
  public var divisionJoinContact: Double = 0.5
  /// Smallest area of two such daughters together, as a fraction of their parent's last area
  /// before it was joined (``DivisionJoin``): the halves of one nucleus keep its whole area,
  /// while a finished division's daughters often hold less.
  public var divisionJoinArea: Double = 0.9
  /// Most frames a second daughter may appear after the first, when segmentation misses it
  /// at first (``LateDaughter``; `dc-track` output only, not ``CellTracker``). Off (0) by
  /// default: on the noisy synthetic movies it finds a few more divisions, but dates some a
  /// frame early, which costs an edge each (bench/track_results.md, session 20); 3, as
  /// `maxGap`, lets a daughter stay unseen as long as any cell may.
  public var lateDaughterGap: Int = 0
  /// Largest area of the first daughter in its first frame, as a fraction of the parent's
  /// area the frame before, for a daughter that appears late to be dated there
  /// (``LateDaughter``): a daughter holds about half its parent.
  public var lateDaughterArea: Double = 0.7
  /// Tracks present in fewer frames, with no parent and no daughters, are removed from the
  /// output (``ShortTrackFilter``; 1 keeps every track).
  public var minTrackLength: Int = 1
  /// Whether the frames of closed gaps get the cell's interpolated mask, so that its track
  /// stays one unbroken run (``GapFilling``; `dc-track` output only, not ``CellTracker``).
  public var fillGaps: Bool = true
  /// Whether a closed gap spent inside another track's mask, grown to hold both (two
  /// neighbours merged into one mask, then split again), is filled by cutting that mask
  /// between the two tracks (``MergeSplit``; with `fillGaps` only).
  public var splitMerges: Bool = true
  /// Whether the link distance is measured from the position extrapolated with the track's
  /// last velocity (constant-velocity model) rather than its last centroid.
  public var predictMotion: Bool = true

  /// The default settings.
  public init() {}

  /// Throws ``DeepCellError`` (`usage`) naming the first parameter out of range.
  public func validate() throws {
    func check(_ ok: Bool, _ name: String, _ why: String) throws {
      if !ok { throw DeepCellError(.usage, name, why) }
    }
    func nonNegative(_ value: Double, _ name: String) throws {
      try check(value.isFinite && value >= 0, name, "must be zero or positive")
    }
    func frames(_ value: Int, _ name: String) throws {
      try check(value >= 0 && value <= 1000, name, "must be between 0 and 1000 frames")
    }
    try check(
      maxDistance.isFinite && maxDistance > 0, "--max-distance",
      "must be a positive number of pixels")
    try check(birthCost.isFinite && birthCost > 0, "--birth-cost", "must be positive")
    try check(deathCost.isFinite && deathCost > 0, "--death-cost", "must be positive")
    try nonNegative(areaWeight, "--area-weight")
    try nonNegative(intensityWeight, "--intensity-weight")
    try frames(maxGap, "--max-gap")
    try nonNegative(gapCost, "--gap-cost")
    try nonNegative(divisionDistance, "--division-distance")
    try nonNegative(minDaughterAreaRatio, "--min-daughter-area-ratio")
    try check(
      maxDaughterAreaRatio.isFinite && maxDaughterAreaRatio >= minDaughterAreaRatio,
      "--max-daughter-area-ratio",
      "must be at least --min-daughter-area-ratio")
    try nonNegative(maxDivisionCost, "--division-cost")
    try check(
      minTrackLength >= 1 && minTrackLength <= 1_000_000, "--min-track-length",
      "must be 1 or more frames")
    try frames(divisionGap, "--division-gap")
    try frames(divisionJoin, "--division-join")
    try nonNegative(divisionJoinContact, "--division-join-contact")
    try frames(lateDaughterGap, "--late-daughter-gap")
    try nonNegative(lateDaughterArea, "--late-daughter-area")
    try nonNegative(divisionJoinArea, "--division-join-area")
  }
}
