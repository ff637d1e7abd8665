import ArgumentParser
import DeepCellKit
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs a tool's root command the way every dc tool behaves (design.md, "Errors"): parse,
/// run, and on failure print exactly one line `TOOL: error: SUBJECT: REASON` to stderr and
/// exit with the sysexits code — 64 usage (ArgumentParser's parse and validation errors
/// too), 65 bad data, 66 no input, 73 cannot create, 74 I/O; 70 for an unexpected error.
/// `--help` and `--version` print to stdout and exit 0. Temporary outputs are removed when
/// the run fails or is interrupted (``InterruptCleanup``).
///
/// A tool's `main.swift` is one line: `ToolRunner.main(DCNormalize.self)`.
public enum ToolRunner {
  /// What a run ends with.
  public enum Outcome: Equatable {
    /// The command ran to the end.
    case success
    /// Help, usage or version text for stdout; exit 0.
    case information(String)
    /// A failure: the exit status and the one line for stderr (without newline).
    case failure(status: Int32, line: String)
  }

  /// Parses `CommandLine.arguments`, runs the command, reports, and exits.
  public static func main<Command: ParsableCommand>(_ command: Command.Type) -> Never {
    ProcessMemory.configure()
    InterruptCleanup.install()
    let outcome = execute(command, arguments: Array(CommandLine.arguments.dropFirst()))
    switch outcome {
    case .success:
      exit(0)
    case .information(let text):
      print(text)
      exit(0)
    case .failure(let status, let line):
      InterruptCleanup.removeTrackedFiles()
      FileHandle.standardError.write(Data((line + "\n").utf8))
      exit(status)
    }
  }

  /// The tool's name in messages: the command's configured name, else argv[0]'s last part.
  public static func toolName<Command: ParsableCommand>(_ command: Command.Type) -> String {
    command.configuration.commandName
      ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "dc-tool").lastPathComponent
  }

  /// Parses `arguments` and runs the command, turning every error into an ``Outcome``.
  public static func execute<Command: ParsableCommand>(_ command: Command.Type, arguments: [String])
    -> Outcome
  {
    let name = toolName(command)
    do {
      var parsed = try command.parseAsRoot(arguments)
      try parsed.run()
      return .success
    } catch let error as DeepCellError {
      return .failure(
        status: error.kind.exitCode, line: "\(name): error: \(oneLine(error.description))")
    } catch let code as ExitCode {
      return code.rawValue == 0
        ? .success
        : .failure(status: code.rawValue, line: "\(name): error: exit status \(code.rawValue)")
    } catch {
      let code = command.exitCode(for: error)
      if code == .success {
        return .information(command.fullMessage(for: error))
      }
      if code == .validationFailure {
        let message = oneLine(command.message(for: error))
        return .failure(
          status: DeepCellError.Kind.usage.exitCode,
          line: "\(name): error: \(message) (see '\(name) --help')")
      }
      if let cocoa = error as? CocoaError {
        let path = (cocoa.userInfo[NSFilePathErrorKey] as? String) ?? "-"
        return .failure(
          status: DeepCellError.Kind.io.exitCode,
          line: "\(name): error: \(path): \(oneLine(cocoa.localizedDescription))")
      }
      return .failure(
        status: 70, line: "\(name): error: internal error: \(oneLine(String(describing: error)))")
    }
  }

  /// `text` on one line: the first non-empty line, trimmed.
  static func oneLine(_ text: String) -> String {
    let lines = text.split(whereSeparator: \.isNewline).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    let first = lines.first { !$0.isEmpty } ?? ""
    return first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
  }
}
