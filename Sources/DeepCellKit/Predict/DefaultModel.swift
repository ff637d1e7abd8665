import Foundation

/// Where the shipped nuclear model (models/nuclear.npz, trained by `make model`) is found when
/// a tool gets no `--model`: `$DC_MODEL` if set, else `share/dc-tools/models/nuclear.npz` of
/// the install prefix (`make install`), else `models/nuclear.npz` in a folder above the
/// executable (the source checkout the tool was built in).
public enum DefaultModel {
  /// The file name of the shipped model.
  public static let fileName = "nuclear.npz"

  /// The candidate paths, in search order, for an executable at `executable`.
  public static func candidates(executable: String, environment: [String: String]) -> [String] {
    if let env = environment["DC_MODEL"], !env.isEmpty { return [env] }
    var paths: [String] = []
    var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
    paths.append(
      dir.deletingLastPathComponent().appendingPathComponent("share/dc-tools/models/\(fileName)")
        .path)
    for _ in 0..<6 {
      paths.append(dir.appendingPathComponent("models/\(fileName)").path)
      dir = dir.deletingLastPathComponent()
    }
    return paths
  }

  /// The running executable's path: `/proc/self/exe` where there is one, since argv[0] is only
  /// the bare name when the tool was found through PATH; else argv[0].
  public static func runningExecutable() -> String {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      return path
    }
    return CommandLine.arguments.first ?? ""
  }

  /// The path of the shipped model. Throws `.noInput` listing where it looked when none exists.
  public static func locate(
    executable: String = runningExecutable(),
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> String {
    let paths = candidates(executable: executable, environment: environment)
    if let found = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) {
      return found
    }
    throw DeepCellError(
      .noInput, "model",
      "no --model given and the shipped model is not at \(paths.first ?? "?") nor beside the tool (set DC_MODEL or give --model)"
    )
  }

  /// The intensity transform that the model at `model`, or else the shipped model, records
  /// (``ModelDescription/inputTransform``): what dc-normalize applies by default so that its
  /// output is what dc-predict would make of the raw stack. `.none` when no model is given and
  /// none is installed. Throws as ``ModelFile/readDescription(_:)`` for a given or found file
  /// that is not a model.
  public static func inputTransform(
    model: String?, executable: String = runningExecutable(),
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> IntensityTransform {
    let path =
      model
      ?? candidates(executable: executable, environment: environment).first {
        FileManager.default.fileExists(atPath: $0)
      }
    guard let path else { return .none }
    return try ModelFile.readDescription(path).inputTransform ?? .none
  }
}
