import ArgumentParser
import CLI
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
      --division-gap: the parent may be missed for a frame; --division-join: daughters that \
      are still one blob cut in two stay their parent for up to 2 frames); a cell missing \
      for up to --max-gap frames keeps its track, and the missing frames get its interpolated \
      mask (--no-fill-gaps to leave them empty), or, where a neighbour's mask covered it (two \
      nuclei merged into one mask, then split), their share of that mask (--no-split-merges to \
      leave them empty). --min-track-length drops short tracks with no lineage (segmentation \
      flicker).

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

  @OptionGroup var tracking: TrackingParameterOptions

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
    let p = tracking.parameters
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
