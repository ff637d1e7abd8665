import ArgumentParser
import DeepCellKit

/// `--channel LIST`: which channels of the input a tool reads (0-based, comma separated), e.g.
/// `--channel 0` for the grey value of an RGB(A) PNG whose channels are equal. Include with
/// `@OptionGroup var channel: ChannelOptions`.
public struct ChannelOptions: ParsableArguments {
  /// The channel list as given.
  @Option(
    name: .customLong("channel"),
    help: ArgumentHelp(
      "Channels of the input to use, 0-based and comma separated (default: all), e.g. 0 for the grey value of an RGB(A) PNG.",
      valueName: "list"))
  public var list: String?

  public init() {}

  /// The parsed channel indices, nil when not given.
  public var channels: [Int]? {
    list.map {
      $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
  }

  public func validate() throws {
    guard let list else { return }
    let parts = list.split(separator: ",", omittingEmptySubsequences: false)
    guard !parts.isEmpty,
      parts.allSatisfy({ Int($0.trimmingCharacters(in: .whitespaces)).map { $0 >= 0 } ?? false })
    else {
      throw ValidationError("--channel takes 0-based channel indices like 0 or 0,2, not '\(list)'")
    }
  }

  /// `reader` with only the selected channels (itself when none were selected).
  public func apply(to reader: any StackReader, subject: String) throws -> any StackReader {
    guard let channels else { return reader }
    return try ChannelSelectingReader(reader, channels: channels, subject: subject)
  }
}
