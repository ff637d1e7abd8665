import ArgumentParser
import CLI
import DeepCellKit
import Foundation

/// dc-normalize: DeepCell's image pre-processing (normalize.md) as a streaming filter.
struct DCNormalize: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-normalize",
    abstract: "Normalize image stacks per frame and channel (DeepCell's CLAHE by default).",
    discussion: """
      Every (frame, channel) plane is normalized on its own and written as float32 with the \
      input's shape. The default method is DeepCell's histogram_normalization: min-max \
      rescaling, then contrast-limited adaptive histogram equalization (CLAHE) as \
      scikit-image computes it, with contextual regions of 1/8 of the frame unless \
      --kernel-size is given; a constant plane becomes zeros. With --transform sqrt each \
      plane is first replaced by √(x − min); the default, auto, does so when the model \
      (--model, else the shipped one) records that its inputs had it. 'zscore' subtracts the mean \
      and divides by the standard deviation plus 1e-7 (deepcell_toolbox.processing.normalize); \
      'percentile' clips values above the given percentile of the nonzero pixels \
      (percentile_threshold).

      The output records the normalization it applied (a dc_tools entry in the TIFF's ImageJ \
      description, a MapAnnotation in an OME-TIFF's OME-XML, a dc_tools.json member in an \
      NPZ), so dc-predict and dc-train do not normalize it again. Conversions carry the \
      input's record on unless --rescale changes the values; a malformed record is an error \
      (exit 65).

      In an NPZ the image array X (or --array NAME, or the only array) is normalized and \
      every other array, e.g. the labels y, is copied unchanged. Frames are processed a \
      few at a time, so memory stays flat however long the stack is. NaN or infinite \
      pixels are an error (exit 65).

      Examples:
        dc-normalize raw.tif -o norm.tif
        dc-normalize train.npz -o train-norm.npz     # y passes through
        cat raw.tif | dc-normalize > norm.tif
        dc-normalize nuclei.png --channel 0 -o norm.tif  # grey of an RGB(A) PNG
        dc-normalize raw.tif --kernel-size 64 -o norm.tif
        dc-normalize raw.tif --kernel-size 32,48 --threads 4 -o norm.npy
        dc-normalize --method percentile --percentile 99.5 raw.tif -o clipped.tif
        dc-normalize --method zscore --array X data.npz -o data-z.npz

      Conversion: '--method none' copies the pixels unchanged (dtype kept unless --dtype), \
      and with any method --frames (or --z and --t of a hyperstack) selects frames, --split \
      writes one file a frame, and a \
      folder or a quoted glob as input reads its files (natural order) as one stack. \
      Narrowing --dtype refuses values that do not fit (exit 65) unless --rescale maps the \
      stack's min-max (or --percentiles) onto the type's range. Pixel size and OME Z slices \
      travel to TIFF, OME-TIFF and NPZ outputs (NPZ: array pixel_size_um, y and x in µm).
        dc-normalize --method none stack.ome.tif -o train.npz
        dc-normalize --method none stack.tif --split frames/ --pattern 't{:03d}.png'
        dc-normalize --method none 01/ -o 01.tif          # t000.tif, t001.tif … as one stack
        dc-normalize --method none 'pngs/*.png' -o stack.ome.tif
        dc-normalize --method none hyper.tif --channel 1 --frames 0:100:2 -o c1.tif
        dc-normalize --method none tzcyx.ome.tif --z 3 --t 0,1 -o z3.tif
        dc-normalize --method none raw16.tif --dtype uint8 --rescale --percentiles 1,99.8 -o view.tif
      """)

  @OptionGroup var io: InputOutputOptions

  @OptionGroup var method: NormalizationOptions

  @Option(
    help: ArgumentHelp(
      "Array of an NPZ input to normalize (default: X, or the only array).", valueName: "name"))
  var array: String?

  @OptionGroup var channel: ChannelOptions

  @Flag(help: "Deflate-compress the output (TIFF and NPZ).")
  var compress = false

  @OptionGroup var conversion: ConversionOptions

  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    if method.method != .none, conversion.changesType {
      throw ValidationError("--dtype, --rescale and --percentiles need --method none")
    }
    if conversion.split != nil, io.output != nil {
      throw ValidationError("--split writes into a folder; leave out -o")
    }
  }

  func run() throws {
    runtime.apply()
    try NormalizeRun.run(
      io: io, method: method, array: array, channels: channel.channels, compress: compress,
      conversion: conversion, runtime: runtime, warn: { if !runtime.quiet { warn($0) } })
  }

  func warn(_ text: String) {
    FileHandle.standardError.write(Data("dc-normalize: warning: \(text)\n".utf8))
  }
}

InputOutputOptions.optionsWritingElsewhere = ["--split"]
ToolRunner.main(DCNormalize.self)
