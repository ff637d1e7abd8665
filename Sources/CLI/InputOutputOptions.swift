import ArgumentParser
import DeepCellKit
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension FileFormat: ExpressibleByArgument {
  public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// The input and output options of a file-to-file tool (design.md, "Inputs", "Outputs"):
/// a positional input path (`-` or none: stdin), `-o/--output` (`-` or none: stdout) and
/// `--format`. Include with `@OptionGroup var io: InputOutputOptions`.
public struct InputOutputOptions: ParsableArguments {
  /// The input path; nil or `-` means stdin.
  @Argument(
    help: ArgumentHelp(
      "Input file: TIFF, PNG, NPY or NPZ, found from its first bytes ('-' or none: stdin).",
      valueName: "input"))
  public var input: String?

  /// The output path; nil or `-` means stdout.
  @Option(
    name: [.short, .long],
    help: ArgumentHelp("Output file ('-' or none: stdout).", valueName: "file"))
  public var output: String?

  /// The output format; nil means from the output's extension, else TIFF for one array and
  /// NPZ for several.
  @Option(
    help: ArgumentHelp(
      "Output format (default: from the output's extension, else TIFF for one array, NPZ for several).",
      valueName: "tiff|ome-tiff|png|npy|npz"))
  public var format: FileFormat?

  public init() {}

  /// Options of the tool that send its output elsewhere than `-o` or stdout (dc-normalize's
  /// `--split DIR`): when one is on the command line, stdout may be a terminal.
  public static var optionsWritingElsewhere: [String] = []

  /// Refuses to pour binary data into a terminal.
  public func validate() throws {
    let elsewhere = CommandLine.arguments.dropFirst().contains { argument in
      Self.optionsWritingElsewhere.contains { argument == $0 || argument.hasPrefix($0 + "=") }
    }
    if output == nil || output == "-", isatty(STDOUT_FILENO) != 0, !elsewhere {
      throw ValidationError(
        "refusing to write binary output to a terminal: give -o FILE or redirect stdout")
    }
  }

  /// Opens the input (path or stdin).
  public func openInput() throws -> InputFile { try InputFile(path: input) }

  /// Prepares the output for `arrayCount` arrays; its temporary file is removed if the
  /// tool is interrupted (``InterruptCleanup``).
  public func openOutput(arrayCount: Int = 1) throws -> OutputFile {
    let file = try OutputFile(path: output, format: format, arrayCount: arrayCount)
    InterruptCleanup.track(file.temporaryPath)
    return file
  }
}
