import ArgumentParser
import DeepCellKit

/// dc-normalize's conversion flags (``StackConversion``): output dtype and rescaling, frame
/// and hyperstack selection, one file a frame. Include with
/// `@OptionGroup var conversion: ConversionOptions`.
public struct ConversionOptions: ParsableArguments {
  /// The dtypes `--dtype` converts to.
  public enum OutputType: String, ExpressibleByArgument, CaseIterable {
    case uint8, uint16, int32, float32
  }

  @Option(help: "Output dtype with --method none (default: the input's).")
  public var dtype: OutputType?

  @Flag(
    help:
      "Map the stack's min-max (or --percentiles) onto the output dtype's range (0-1 for float32).")
  public var rescale = false

  @Option(
    help: ArgumentHelp(
      "Rescale from the LOW-th to the HIGH-th percentile of the stack instead of min-max.",
      valueName: "low,high"))
  public var percentiles: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Frames to keep, Python slice syntax START:STOP:STEP or one index (e.g. 0:100:2, -1).",
      valueName: "slice"))
  public var frames: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Z slices of a hyperstack to keep (ImageJ slices, OME-TIFF SizeZ), 0-based, comma separated.",
      valueName: "list"))
  public var z: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Time points of a hyperstack to keep, 0-based, comma separated (each with its Z slices).",
      valueName: "list"))
  public var t: String?

  @Option(
    help: ArgumentHelp(
      "Write one file a frame into this folder (named by --pattern) instead of -o.",
      valueName: "dir"))
  public var split: String?

  /// `--pattern`'s default.
  public static let defaultPattern = "t{:03d}.tif"

  @Option(
    help: ArgumentHelp(
      "File names for --split, one {} / {:03d} field for the frame number; the extension picks the format.",
      valueName: "pattern"))
  public var pattern = ConversionOptions.defaultPattern

  public init() {}

  public func validate() throws {
    if percentiles != nil, percentileRange == nil {
      throw ValidationError(
        "--percentiles takes LOW,HIGH with 0 ≤ LOW < HIGH ≤ 100, not '\(percentiles!)'")
    }
    for (name, list) in [("--z", z), ("--t", t)] {
      if let list, HyperstackSelection.parseList(list) == nil {
        throw ValidationError("\(name) takes indices like 0 or 2,0, not '\(list)'")
      }
    }
    if let frames, FrameSlice(parsing: frames) == nil {
      throw ValidationError(
        "--frames takes START:STOP:STEP (each optional, STEP not 0) or one index, not '\(frames)'")
    }
    if split == nil, pattern != Self.defaultPattern {
      throw ValidationError("--pattern names the files of --split")
    }
  }

  /// Whether a flag asks for something only ``StackConversion`` does (dtype, rescaling).
  public var changesType: Bool { dtype != nil || rescale || percentiles != nil }

  /// Whether the flags select frames or split the output.
  public var selects: Bool { frames != nil || split != nil || z != nil || t != nil }

  /// `--percentiles` as (low, high), nil when absent or malformed.
  public var percentileRange: (low: Double, high: Double)? {
    guard
      let parts = percentiles?.split(separator: ",").map({
        Double($0.trimmingCharacters(in: .whitespaces))
      }),
      parts.count == 2, let low = parts[0], let high = parts[1], low >= 0, low < high, high <= 100
    else { return nil }
    return (low, high)
  }

  /// `conversion` with the selection, dtype and rescaling of the flags.
  public func configure(_ conversion: inout StackConversion) {
    conversion.frames = frames.flatMap(FrameSlice.init(parsing:))
    if z != nil || t != nil {
      conversion.hyperstack = HyperstackSelection(
        z: z.flatMap(HyperstackSelection.parseList), t: t.flatMap(HyperstackSelection.parseList))
    }
    conversion.dtype = dtype.flatMap { DType(rawValue: $0.rawValue) }
    if let range = percentileRange {
      conversion.rescale = .percentiles(low: range.low, high: range.high)
    } else if rescale {
      conversion.rescale = .minMax
    }
  }
}
