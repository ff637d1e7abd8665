/// The ordered, uniquely named parameters of a network: what the optimizer updates and what
/// the model file stores (`[name: array]`, kernels HWIO; design.md, "Model file").
public struct ParameterRegistry {
  /// The parameters in registration order.
  public private(set) var parameters: [Parameter] = []
  private var index: [String: Int] = [:]

  /// An empty registry.
  public init() {}

  /// Adds parameters; throws `.usage` on a duplicate name (two layers sharing a name).
  public mutating func register(_ new: [Parameter]) throws {
    for p in new {
      guard index[p.name] == nil else {
        throw DeepCellError(.usage, p.name, "two parameters share this name")
      }
      index[p.name] = parameters.count
      parameters.append(p)
    }
  }

  /// The parameter called `name`.
  public subscript(name: String) -> Parameter? { index[name].map { parameters[$0] } }

  /// Parameters the optimizer updates.
  public var trainable: [Parameter] { parameters.filter(\.trainable) }

  /// Total number of elements (trainable and not), the Keras `count_params`.
  public var elementCount: Int { parameters.reduce(0) { $0 + $1.count } }

  /// Every parameter as a named float32 array in export order.
  public func exported() -> [String: NDArray] {
    var out: [String: NDArray] = [:]
    for p in parameters { out[p.name] = p.exported() }
    return out
  }

  /// Loads every parameter from `arrays`. Throws `.badData` naming the first parameter the
  /// file lacks or whose shape differs, and (when `strict`) the first array the architecture
  /// has no parameter for. Nothing is modified unless every check passes.
  public func load(_ arrays: [String: NDArray], strict: Bool = true, subject: String = "model")
    throws
  {
    for p in parameters {
      guard let a = arrays[p.name] else {
        throw DeepCellError(.badData, subject, "missing weight '\(p.name)' the architecture needs")
      }
      guard a.shape == p.exportShape else {
        throw DeepCellError(
          .badData, subject,
          "weight '\(p.name)' has shape \(a.shape), the architecture needs \(p.exportShape)")
      }
      guard a.dtype.isFloat else {
        throw DeepCellError(
          .badData, subject, "weight '\(p.name)' has dtype \(a.dtype), expected float")
      }
    }
    if strict, let extra = arrays.keys.sorted().first(where: { index[$0] == nil }) {
      throw DeepCellError(
        .badData, subject, "weight '\(extra)' does not belong to this architecture")
    }
    for p in parameters { try p.load(arrays[p.name]!) }
  }
}
