import ArgumentParser
import DeepCellKit
import Foundation

/// dc-track: links the cells of a label movie across frames into tracks with divisions,
/// and writes them as a relabelled stack, a CTC result folder, a DeepCell .trk and/or a
/// lineage JSON (spec/track.md). Also converts between those formats.
struct DCTrack: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-track",
    abstract:
      "Track labelled nuclei over time: divisions, gap closing, lineage in CTC, .trk and JSON.",
    discussion: """
      INPUT is a label movie (T, H, W): a multi-page TIFF from dc-watershed, an NPY, or an NPZ \
      whose `y` is used; or a Cell Tracking Challenge folder of masks, or a DeepCell .trk. \
      Labels need not agree between frames. Each frame is linked to the tracks of the previous \
      one by an exact linear assignment on IoU, centroid distance and area change, with birth \
      and death costs; a track that ends next to two new cells of about half its area divides \
      (--division-cost: their midpoint near the parent, their areas adding up to its area; \
      --division-gap: the parent may be missed for a frame); a cell missing for up to --max-gap \
      frames keeps its track, and the missing frames get its interpolated mask \
      (--no-fill-gaps to leave them empty). --min-track-length drops short tracks with no \
      lineage (segmentation flicker).

      A CTC folder with res_track.txt/man_track.txt and a .trk already hold tracks: they are \
      converted as they are, unless --retrack.

      Examples:
        dc-track labels.tif --ctc 01_RES
        dc-track labels.tif --raw raw.tif -o tracked.tif --trk m.trk --lineage l.json
        dc-track data.npz --max-distance 40 --max-gap 2 -o tracked.tif
        dc-track movie.trk --ctc 01_RES                    # .trk to CTC
        dc-track 01_RES --raw raw.tif --trk movie.trk       # CTC to .trk
        dc-watershed pred.npz -o - | dc-track - --lineage lineage.json
      """)

  @Argument(help: "Label movie (TIFF/NPY/NPZ/PNG, '-' = stdin), CTC mask folder, or .trk.")
  var input: String = "-"

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp(
      "Write the relabelled stack (each track one id) here ('-' = stdout).", valueName: "file")
  )
  var output: String?

  @Option(
    name: .customLong("ctc"),
    help: ArgumentHelp(
      "Write a CTC result folder (maskTTT.tif + res_track.txt) here.", valueName: "dir"))
  var ctc: String?

  @Option(
    name: .customLong("trk"),
    help: ArgumentHelp("Write a DeepCell .trk (needs the raw movie).", valueName: "file"))
  var trk: String?

  @Option(
    name: .customLong("lineage"),
    help: ArgumentHelp("Write the lineage JSON here ('-' = stdout).", valueName: "file"))
  var lineage: String?

  @Option(
    name: .customLong("raw"),
    help: ArgumentHelp("Raw movie (T, H, W[, C]) for intensities and the .trk.", valueName: "file"))
  var raw: String?

  @Option(
    name: .customLong("name"),
    help: ArgumentHelp("Array of an NPZ input holding the labels (default: y).", valueName: "name"))
  var labelName: String?

  @Option(
    name: .customLong("raw-name"),
    help: ArgumentHelp("Array of the raw NPZ (default: X).", valueName: "name"))
  var rawName: String?

  @Option(
    name: .customLong("max-distance"),
    help: ArgumentHelp("Largest centroid displacement of a link, pixels.", valueName: "px"))
  var maxDistance: Double = TrackingParameters().maxDistance

  @Option(
    name: .customLong("max-gap"),
    help: ArgumentHelp(
      "Most frames a cell may be missing and keep its track (0: off).", valueName: "frames"))
  var maxGap: Int = TrackingParameters().maxGap

  @Option(
    name: .customLong("birth-cost"),
    help: ArgumentHelp("Cost of starting a track.", valueName: "cost"))
  var birthCost: Double = TrackingParameters().birthCost

  @Option(
    name: .customLong("death-cost"),
    help: ArgumentHelp("Cost of ending a track.", valueName: "cost"))
  var deathCost: Double = TrackingParameters().deathCost

  @Option(
    name: .customLong("area-weight"),
    help: ArgumentHelp("Weight of the area change |ln(A'/A)| in the link cost.", valueName: "w")
  )
  var areaWeight: Double = TrackingParameters().areaWeight

  @Option(
    name: .customLong("intensity-weight"),
    help: ArgumentHelp("Weight of the mean-intensity change (with --raw).", valueName: "w")
  )
  var intensityWeight: Double = TrackingParameters().intensityWeight

  @Option(
    name: .customLong("gap-cost"),
    help: ArgumentHelp("Extra link cost per missing frame of a closed gap.", valueName: "cost"))
  var gapCost: Double = TrackingParameters().gapCost

  @Option(
    name: .customLong("division-distance"),
    help: ArgumentHelp("Largest parent-to-daughter centroid distance, pixels.", valueName: "px"))
  var divisionDistance: Double = TrackingParameters().divisionDistance

  @Option(
    name: .customLong("min-daughter-area-ratio"),
    help: ArgumentHelp("Smallest daughter area / parent area.", valueName: "ratio"))
  var minDaughterAreaRatio: Double = TrackingParameters().minDaughterAreaRatio

  @Option(
    name: .customLong("max-daughter-area-ratio"),
    help: ArgumentHelp("Largest daughter area / parent area.", valueName: "ratio"))
  var maxDaughterAreaRatio: Double = TrackingParameters().maxDaughterAreaRatio

  @Option(
    name: .customLong("division-cost"),
    help: ArgumentHelp(
      "Largest division cost (daughters' midpoint offset in parent radii + |ln(area sum / parent area)|) of daughters off the parent's mask.",
      valueName: "cost"))
  var maxDivisionCost: Double = TrackingParameters().maxDivisionCost

  @Option(
    name: .customLong("division-gap"),
    help: ArgumentHelp(
      "Most frames a dividing parent may be missing before its daughters appear.",
      valueName: "frames"))
  var divisionGap: Int = TrackingParameters().divisionGap

  @Option(
    name: .customLong("min-track-length"),
    help: ArgumentHelp(
      "Remove tracks of fewer frames that have no parent and no daughters (1: keep all).",
      valueName: "frames"))
  var minTrackLength: Int = TrackingParameters().minTrackLength

  @Flag(
    name: .customLong("no-fill-gaps"),
    help:
      "Leave the frames of a closed gap empty (a CTC track per run) instead of filling them with the cell's interpolated mask."
  )
  var noFillGaps = false

  @Flag(
    name: .customLong("no-motion"),
    help: "Measure link distances from the last centroid, not the extrapolated one.")
  var noMotion = false

  @Flag(
    name: .customLong("retrack"),
    help: "Track a CTC folder or .trk anew instead of converting its tracks.")
  var retrack = false

  @Flag(
    name: .customLong("drop-gap-links"),
    help: "CTC: give a track's run after a gap no parent (deepcell's behaviour).")
  var dropGapLinks = false

  @OptionGroup var runtime: RuntimeOptions

  func run() throws {
    runtime.apply()
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
    p.minTrackLength = minTrackLength
    p.fillGaps = !noFillGaps
    p.predictMotion = !noMotion
    let outputs = TrackingOutputs(
      tracked: output, ctcFolder: ctc, trk: trk, lineage: lineage, keepGapLinks: !dropGapLinks)
    if outputs.isEmpty {
      throw DeepCellError(
        .usage, "outputs", "nothing to write: give -o, --ctc, --trk and/or --lineage")
    }
    try p.validate()
    let start = Date()
    let job = try TrackingJob(
      input: input, labelName: labelName, raw: raw, rawName: rawName, retrack: retrack)
    let summary = try job.run(parameters: p, outputs: outputs)
    if !runtime.quiet {
      let seconds = Date().timeIntervalSince(start)
      let what = summary.converted ? "converted" : "tracked"
      FileHandle.standardError.write(
        Data(
          String(
            format:
              "dc-track: %@ %d frames, %d cells: %d tracks, %d divisions, %d gaps closed (%.2f s, %.1f ms/frame)\n",
            what, summary.frames, summary.cells, summary.tracks, summary.divisions,
            summary.gapsClosed, seconds,
            1000 * seconds / Double(max(1, summary.frames))
          ).utf8))
    }
  }
}

ToolRunner.main(DCTrack.self)
