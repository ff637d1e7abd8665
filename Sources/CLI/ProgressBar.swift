import DeepCellKit
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A one-line progress bar on stderr for long work (design.md, "People"): items done of the
/// total, a bar, the rate and the remaining time, redrawn at most ten times a second and
/// only when stderr is a terminal and the run is not `--quiet`. Thread-safe.
///
///     dc-normalize  [##########..........]  120/240 frames  35.2 frames/s  ETA 0:03
public final class ProgressBar: @unchecked Sendable {
  /// Whether anything is drawn.
  public let isEnabled: Bool
  private let label: String
  private let unit: String
  private let total: Int
  private let lock = NSLock()
  private var done = 0
  private let start = Date()
  private var lastDraw = Date.distantPast
  private var drewSomething = false
  private var drawnDone = -1
  private var detail = ""

  /// A bar for `total` items named `unit`, labelled `label` (the tool name). Drawn only
  /// when `enabled` (default: stderr is a terminal) and not `quiet`.
  public init(
    label: String, total: Int, unit: String = "frames", quiet: Bool = false,
    enabled: Bool = isatty(STDERR_FILENO) != 0
  ) {
    self.label = label
    self.total = max(0, total)
    self.unit = unit
    isEnabled = enabled && !quiet
  }

  /// Records `count` more items done and redraws if due.
  public func advance(by count: Int = 1) {
    guard isEnabled else { return }
    lock.withLock {
      done += count
      let now = Date()
      if now.timeIntervalSince(lastDraw) >= 0.1 || done >= total {
        lastDraw = now
        draw(now: now)
      }
    }
  }

  /// Sets text shown after the counts (e.g. `loss 0.0412  lr 1e-04`), redrawn with the next
  /// ``advance(by:)``.
  public func setDetail(_ text: String) {
    guard isEnabled else { return }
    lock.withLock { detail = text }
  }

  /// Draws the final state and ends the line.
  public func finish() {
    guard isEnabled else { return }
    lock.withLock {
      draw(now: Date())
      if drewSomething { FileHandle.standardError.write(Data("\n".utf8)) }
      drewSomething = false
    }
  }

  /// The bar's text for `done` of `total` after `elapsed` seconds (no carriage return).
  static func render(
    label: String, done: Int, total: Int, unit: String, elapsed: Double, detail: String = ""
  ) -> String {
    let width = 20
    let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
    let filled = Int((fraction * Double(width)).rounded(.down))
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    var text = "\(label)  [\(bar)]  \(done)/\(total) \(unit)"
    text += "  " + String(format: "%.1f", rate) + " \(unit)/s"
    if !detail.isEmpty { text += "  " + detail }
    if rate > 0, done < total {
      text += "  ETA " + clock(Double(total - done) / rate)
    } else if done >= total {
      text += "  " + clock(elapsed)
    }
    return text
  }

  /// `m:ss` or `h:mm:ss` (``clockText(_:)``).
  public static func clock(_ seconds: Double) -> String { clockText(seconds) }

  private func draw(now: Date) {
    let text = ProgressBar.render(
      label: label, done: done, total: total, unit: unit, elapsed: now.timeIntervalSince(start),
      detail: detail)
    FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
    drewSomething = true
    drawnDone = done
  }
}
