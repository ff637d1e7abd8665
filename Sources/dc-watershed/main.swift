import ArgumentParser
import CLI
import DeepCellKit
import Foundation

/// dc-watershed: DeepCell's deep watershed post-processing (watershed.md §8) as a Unix tool.
struct DCWatershed: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-watershed",
    abstract:
      "Turn predicted inner/outer distance maps into instance labels (DeepCell deep watershed).",
    discussion: """
      Reads the maxima map (inner distance) and the interior map (outer distance) — by default the arrays `inner_distance` and `outer_distance` of the NPZ that dc-predict writes — and writes one label image per frame: markers from h-maxima (or peak_local_max) of the maxima map, watershed of the interior map inside `interior > --interior-threshold`, labels numbered 1…N per frame, exactly as deepcell-toolbox's deep_watershed. Frames are processed in parallel and streamed (bounded memory).

      Settings: dc-predict records in its maps the post-processing its model was tuned with \
      and the scale it predicted at; dc-watershed uses them (pixel sizes converted to the \
      maps' pixels), so `dc-predict img | dc-watershed` needs no flags. A flag given here \
      overrides the recorded value and is in the maps' pixels. Maps from elsewhere get \
      DeepCell's defaults.

      Output: a uint16 label stack (uint32 when a frame has more than 65535 objects) as TIFF (default), NPY or NPZ (array `labels`) on -o PATH or stdout, or 16-bit PNGs, one per frame, with --png-dir. 

      Examples:
        dc-watershed maps.npz -o labels.tif
        dc-predict --model model.npz raw.tif | dc-watershed -o labels.tif
        dc-watershed --maxima inner.tif --interior outer.tif -o labels.tif
        dc-watershed maps.npz --maxima-algorithm peak_local_max --radius 5 -o labels.npy
        dc-watershed maps.npz --png-dir labels/ --overlay qc/ --image raw.tif
        dc-watershed maps.npz --small-objects-threshold 20 --label-erosion 1 > labels.tif
      """)

  @Argument(help: "Input NPZ/TIFF/NPY with the maps (default: stdin).")
  var input: String?

  @Option(name: .shortAndLong, help: "Output label stack (default: stdout).")
  var output: String?

  @Option(help: "Output format: tiff, npy or npz (default: from the extension, else tiff).")
  var format: String?

  @Option(
    help: ArgumentHelp(
      "Maxima map: an array name in the input (default inner_distance), or, without an input, a file.",
      valueName: "name|file"))
  var maxima: String?

  @Option(
    help: ArgumentHelp(
      "Interior map: an array name in the input (default outer_distance), or, without an input, a file.",
      valueName: "name|file"))
  var interior: String?

  @Option(
    help: "Write one 16-bit PNG per frame (frame_0000.png, …) into this folder instead of a stack.")
  var pngDir: String?

  @Option(help: "Write label outlines over --image: a .png for one frame, else a folder of PNGs.")
  var overlay: String?

  @Option(help: "The image the overlay is drawn on (same frames as the maps).")
  var image: String?

  @OptionGroup var settings: WatershedSettingOptions

  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    if overlay != nil && image == nil { throw ValidationError("--overlay needs --image") }
    if pngDir != nil && output != nil {
      throw ValidationError("--png-dir cannot be combined with -o")
    }
    if let format, FileFormat(rawValue: format.lowercased()).map({ $0 == .png }) ?? true {
      throw ValidationError("--format must be tiff, npy or npz, not '\(format)'")
    }
  }

  func run() throws {
    runtime.apply()
    let maps = try DistanceMapStreams.open(input: input, maxima: maxima, interior: interior)
    let parameters = try maps.parameters(base: settings.base, overrides: settings.overrides)
    let imageReader = try image.map { try InputFile(path: $0).stackReader(name: nil) }
    let segmentation = try MapStreamSegmentation(
      maps: maps, parameters: parameters, workers: runtime.workerCount, image: imageReader)
    let progress = ProgressBar(label: "dc-watershed", total: maps.frameCount, quiet: runtime.quiet)
    defer { progress.finish() }
    try segmentation.run(
      makeSink: { wide in
        try LabelStackSink(
          output: output, format: format.flatMap { FileFormat(rawValue: $0.lowercased()) },
          pngDir: pngDir, overlay: overlay, frameCount: maps.frameCount, height: maps.height,
          width: maps.width, wide: wide)
      }, progress: { progress.advance(by: $0) })
  }
}

ToolRunner.main(DCWatershed.self)
