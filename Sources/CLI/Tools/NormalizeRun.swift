import DeepCellKit
import Foundation

/// dc-normalize's one entry point (normalize.md §2, convert.md): the normalizing filter
/// (``NormalizingFilter``), or the conversion (``StackConversion``) for `--method none`, a
/// frame selection, a split, or a folder or glob as input; progress on stderr, the output
/// committed, warnings passed to `warn`.
public enum NormalizeRun {
  /// Whether these options make a conversion rather than the normalizing filter.
  static func converts(
    io: InputOutputOptions, method: NormalizationOptions, conversion: ConversionOptions
  ) -> Bool {
    method.method == .none || conversion.selects
      || (io.input.map(FileSequenceReader.isSequence) ?? false)
  }

  /// Runs dc-normalize on the parsed options.
  public static func run(
    io: InputOutputOptions, method: NormalizationOptions, array: String?, channels: [Int]?,
    compress: Bool, conversion: ConversionOptions, runtime: RuntimeOptions,
    warn: (String) -> Void
  ) throws {
    var progress: ProgressBar?
    let output: OutputFile?
    if converts(io: io, method: method, conversion: conversion) {
      var run = StackConversion()
      run.arrayName = array
      run.channels = channels
      conversion.configure(&run)
      run.normalization = method.normalization
      run.normalizationName = method.normalization == nil ? nil : method.method.rawValue
      run.transform = method.normalization == nil ? .none : try method.resolvedTransform()
      run.compressed = compress
      run.threads = runtime.workerCount
      let destination: ConversionDestination
      if let split = conversion.split {
        destination = .split(directory: split, pattern: try SplitPattern(conversion.pattern))
        output = nil
      } else {
        output = try io.openOutput()
        destination = .file(output!)
      }
      var shown = 0
      try run.run(
        input: io.input, to: destination, warn: warn,
        progress: { done, total in
          if progress == nil {
            progress = ProgressBar(label: "dc-normalize", total: total, quiet: runtime.quiet)
          }
          progress!.advance(by: done - shown)
          shown = done
        })
    } else {
      let input = try io.openInput()
      input.warnings.forEach(warn)
      var filter = NormalizingFilter(
        normalization: method.normalization!, methodName: method.method.rawValue)
      filter.transform = try method.resolvedTransform()
      filter.arrayName = array
      filter.channels = channels
      filter.compressed = compress
      filter.threads = runtime.workerCount
      output = try filter.run(
        input: input, output: { try io.openOutput(arrayCount: $0) },
        start: { progress = ProgressBar(label: "dc-normalize", total: $0, quiet: runtime.quiet) },
        progress: { progress?.advance(by: $0) })
    }
    progress?.finish()
    if let output { InterruptCleanup.untrack(output.temporaryPath) }
  }
}
