/// Keras's default parameter initialisation (model.md §6).
public enum Initializers {
  /// Glorot (Xavier) uniform for a conv kernel stored OIHW: U(−l, l) with
  /// l = √(6 / (fan_in + fan_out)), fan_in = kh·kw·in, fan_out = kh·kw·out.
  public static func glorotUniform(_ p: Parameter, using rng: inout RandomGenerator) {
    precondition(p.shape.count == 4, "Glorot init expects an OIHW kernel")
    let receptive = p.shape[2] * p.shape[3]
    let fanIn = Float(receptive * p.shape[1])
    let fanOut = Float(receptive * p.shape[0])
    let limit = (6 / (fanIn + fanOut)).squareRoot()
    for k in 0..<p.count { p.value.pointer[k] = rng.uniform(-limit, limit) }
  }

  /// Every element set to `value` (zeros for biases and β, ones for γ and moving variance).
  public static func constant(_ p: Parameter, _ value: Float) {
    for k in 0..<p.count { p.value.pointer[k] = value }
  }
}
