import ArgumentParser
import DeepCellKit

/// Where and how dc-metrics writes its report (`--format`, `-o`), shared by its subcommands.
/// Include with `@OptionGroup var options: ReportOutputOptions`.
public struct ReportOutputOptions: ParsableArguments {
  @Option(
    name: .customLong("format"),
    help: "Output format: json, yaml or csv (default: from -o's extension, else json).")
  public var format: String?

  @Option(
    name: [.customShort("o"), .customLong("output")],
    help: "Write the report to PATH (default: stdout).")
  public var output: String?

  public init() {}

  /// `--format`, else from `-o`'s extension, else JSON.
  public func resolvedFormat() throws -> MetricsReport.Format {
    if let format {
      guard let f = MetricsReport.Format(rawValue: format.lowercased()) else {
        throw DeepCellError(.usage, "--format", "unknown format '\(format)' (json, yaml, csv)")
      }
      return f
    }
    if let output, output != "-", let f = MetricsReport.Format.fromExtension(output) { return f }
    return .json
  }

  /// Writes the report (``TextOutput``).
  public func write(_ report: MetricsReport) throws {
    try TextOutput.write(report.render(try resolvedFormat()), to: output)
  }
}
