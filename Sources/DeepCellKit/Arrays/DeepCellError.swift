/// The one error type the library throws: what went wrong, about which file or
/// parameter, and which sysexits class it belongs to (design.md, "Errors").
///
/// Algorithms and readers throw it; the executables print `dc-tool: error: SUBJECT: REASON`
/// and exit with ``Kind/exitCode``.
public struct DeepCellError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The sysexits class of a failure.
  public enum Kind: Sendable, Equatable {
    /// Bad command-line use or an invalid parameter value (EX_USAGE, 64).
    case usage
    /// Input data is malformed, of the wrong type or shape (EX_DATAERR, 65).
    case badData
    /// An input file does not exist or cannot be opened (EX_NOINPUT, 66).
    case noInput
    /// An output file cannot be created (EX_CANTCREAT, 73).
    case cannotCreate
    /// A read or write failed midway (EX_IOERR, 74).
    case io

    /// The sysexits(3) exit status.
    public var exitCode: Int32 {
      switch self {
      case .usage: return 64
      case .badData: return 65
      case .noInput: return 66
      case .cannotCreate: return 73
      case .io: return 74
      }
    }
  }

  /// The failure class.
  public var kind: Kind
  /// What the error is about: a path (`-` for stdin/stdout), an array name or a parameter.
  public var subject: String
  /// Why, in a few words, lower case, no trailing period.
  public var reason: String

  /// Creates an error about `subject`.
  public init(_ kind: Kind, _ subject: String, _ reason: String) {
    self.kind = kind
    self.subject = subject
    self.reason = reason
  }

  /// `SUBJECT: REASON` (or just the reason when there is no subject).
  public var description: String { subject.isEmpty ? reason : "\(subject): \(reason)" }

  /// The same error about another subject (readers learn the path late).
  public func about(_ newSubject: String) -> DeepCellError {
    DeepCellError(kind, newSubject, reason)
  }
}
