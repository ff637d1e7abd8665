import Foundation

/// The ImageJ hyperstack description stored in the first page's ImageDescription tag
/// (spec/io.md §4): `key=value` lines starting with `ImageJ=`, giving the plane counts of a
/// TZCYX stack (`images` = total planes, `channels`, `slices`, `frames`, each omitted when 1).
public struct ImageJMetadata: Sendable, Equatable {
  /// The `ImageJ=` version text (tifffile writes `1.11a`).
  public var version: String
  /// Total number of 2-D planes (`images=`); equals channels · slices · frames.
  public var images: Int
  /// Channels (C), 1 when absent.
  public var channels: Int
  /// Z slices, 1 when absent.
  public var slices: Int
  /// Time points (T), 1 when absent.
  public var frames: Int
  /// Every `key=value` pair in file order (including `hyperstack`, `mode`, `unit`, `spacing` …).
  public var entries: [(key: String, value: String)]

  /// Parses an ImageJ description; nil when `text` does not start with `ImageJ=`.
  /// Accepts `\n` or `\r\n` line ends and a trailing newline or NUL.
  public init?(description text: String) {
    guard text.hasPrefix("ImageJ=") else { return nil }
    var entries: [(key: String, value: String)] = []
    for line in text.split(whereSeparator: { $0.isNewline || $0 == "\0" }) {
      guard let eq = line.firstIndex(of: "=") else { continue }
      let key = line[..<eq].trimmingCharacters(in: .whitespaces)
      let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
      entries.append((key, value))
    }
    func count(_ key: String) -> Int? {
      guard let text = entries.first(where: { $0.key == key })?.value, let n = Int(text), n >= 1
      else { return nil }
      return n
    }
    self.entries = entries
    version = entries.first { $0.key == "ImageJ" }?.value ?? ""
    channels = count("channels") ?? 1
    slices = count("slices") ?? 1
    frames = count("frames") ?? 1
    images = count("images") ?? channels * slices * frames
  }

  /// Metadata for a grayscale hyperstack of `frames` time points of `channels` planes each.
  public init(channels: Int, frames: Int) {
    version = "1.11a"
    self.channels = channels
    self.slices = 1
    self.frames = frames
    images = channels * frames
    var entries: [(key: String, value: String)] = [("ImageJ", version), ("images", String(images))]
    if channels > 1 { entries.append(("channels", String(channels))) }
    if frames > 1 { entries.append(("frames", String(frames))) }
    entries += [("hyperstack", "true"), ("mode", "grayscale"), ("loop", "false")]
    self.entries = entries
  }

  /// The value of `key`, or nil.
  public subscript(key: String) -> String? { entries.first { $0.key == key }?.value }

  /// The description text: one `key=value` line per entry, each ending in `\n`, e.g.
  /// `ImageJ=1.11a\nimages=8\nchannels=2\nframes=4\nhyperstack=true\nmode=grayscale\nloop=false\n`.
  public var text: String { entries.map { "\($0.key)=\($0.value)\n" }.joined() }

  public static func == (a: ImageJMetadata, b: ImageJMetadata) -> Bool {
    a.version == b.version && a.images == b.images && a.channels == b.channels
      && a.slices == b.slices
      && a.frames == b.frames
      && a.entries.elementsEqual(b.entries) { $0.key == $1.key && $0.value == $1.value }
  }
}
