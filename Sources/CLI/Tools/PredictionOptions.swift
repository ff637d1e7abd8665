import ArgumentParser
import DeepCellKit

/// dc-predict's prediction flags (predict.md §2–§4): normalization and intensity transform,
/// tiling, precision, heads and test-time flips, turned into ``MapPredictionSettings`` in one
/// call. Include with `@OptionGroup var prediction: PredictionOptions`.
public struct PredictionOptions: ParsableArguments {
  @Flag(
    inversion: .prefixedNo,
    help:
      "Normalize the input with histogram_normalization (default: unless dc-normalize already did, or the model takes raw input)."
  )
  public var normalize: Bool?

  @Option(help: IntensityTransformChoice.help(automatic: "the default: the one the model records"))
  public var transform: IntensityTransformChoice = .auto

  @Option(help: ArgumentHelp("Tiles per forward pass.", valueName: "n"))
  public var batchSize: Int = 4

  @Option(
    help: ArgumentHelp(
      "Padding of axes longer than a tile: reflect or constant.", valueName: "mode"))
  public var padMode: String = "reflect"

  @Option(help: ArgumentHelp("Tile stride as a fraction of the tile.", valueName: "r"))
  public var strideRatio: Double = 0.75

  @Option(
    help: ArgumentHelp(
      "Convolution arithmetic: auto (bf16 where the CPU has native bfloat16 dot products, AVX512_BF16 or AMX, else fp32), fp32 (exact) or bf16 (bfloat16 inputs and weights, float32 sums; batch norm folded).",
      valueName: "p"))
  public var precision: String = "auto"

  @Flag(help: "Also write the fgbg (foreground/background softmax) head.")
  public var allHeads = false

  @Flag(
    inversion: .prefixedNo,
    help:
      "Test-time augmentation: average the predictions of the frame and its three mirror flips, four times the work (default: as the model recommends)."
  )
  public var augment: Bool?

  public init() {}

  public func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    guard strideRatio > 0, strideRatio <= 1 else {
      throw ValidationError("--stride-ratio must lie in (0, 1]")
    }
    guard precision == "auto" || NNPrecision(rawValue: precision) != nil else {
      throw ValidationError("--precision must be auto, fp32 or bf16")
    }
    guard TilePadMode(rawValue: padMode) != nil else {
      throw ValidationError("--pad-mode must be reflect or constant")
    }
  }

  /// The line dc-predict reports when test-time flips are on because the model recommends them
  /// (nil when --augment or --no-augment chose, or the model does not ask for them).
  public func flipsSummary(description: ModelDescription) -> String? {
    guard augment == nil, description.testTimeFlips == true else { return nil }
    return
      "test-time flips on, as the model recommends (four passes a frame; --no-augment runs one)"
  }

  /// The settings for `network` and its `description` on an input whose normalization record
  /// is `provenance`, and the one-line warning ``MapPredictionJob/prepareInput`` gives (nil
  /// when none).
  public func settings(
    network: PanopticNet, description: ModelDescription, provenance: StackProvenance?
  ) -> (MapPredictionSettings, warning: String?) {
    var settings = MapPredictionSettings()
    settings.heads = allHeads ? Array(network.configuration.semanticClasses.indices) : nil
    settings.batchSize = batchSize
    settings.strideRatio = strideRatio
    settings.padMode = TilePadMode(rawValue: padMode)!
    settings.precision = NNPrecision(rawValue: precision) ?? .native
    settings.testTimeFlips = augment ?? description.testTimeFlips ?? false
    let warning = MapPredictionJob.prepareInput(
      &settings, normalizeFlag: normalize, transformFlag: transform.fixed,
      provenance: provenance, description: description)
    return (settings, warning)
  }
}
