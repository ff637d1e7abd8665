/// A named trainable (or tracked) float32 array of a layer: a conv kernel, a bias, a BN
/// scale or a moving statistic. The name is the model-file key (Keras style,
/// `LAYER/kernel`, `LAYER/bias`, `LAYER/gamma`, `LAYER/beta`, `LAYER/moving_mean`,
/// `LAYER/moving_variance`; model.md: "use them as weight names in the model NPZ").
public final class Parameter {
  /// How the stored order maps to the exported (Keras) order.
  public enum ExportOrder: Sendable {
    /// Stored and exported in the same C order.
    case same
    /// Stored OIHW (the engine's order), exported HWIO (Keras `Conv2D.kernel`).
    case oihwAsHWIO
  }

  /// Model-file key.
  public let name: String
  /// Shape in the engine's storage order (OIHW for conv kernels).
  public let shape: [Int]
  /// Whether the optimizer updates it (false for BN moving statistics).
  public let trainable: Bool
  /// Export order.
  public let exportOrder: ExportOrder
  /// The values.
  public let value: FloatBuffer
  /// The gradient of the loss, allocated on first use (never in inference-only use).
  public private(set) var gradient: FloatBuffer?

  /// Creates a zero parameter.
  ///
  /// - Throws: ``DeepCellError``: `badData` when the shape's element count overflows `Int`,
  ///   `io` when the values cannot be allocated (the shape comes from a model file or
  ///   configuration, so may be impossibly large).
  public init(name: String, shape: [Int], trainable: Bool = true, exportOrder: ExportOrder = .same)
    throws
  {
    self.name = name
    self.shape = shape
    self.trainable = trainable
    self.exportOrder = exportOrder
    var count = 1
    for extent in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      guard !overflow else {
        throw DeepCellError(
          .badData, name, "a weight of shape \(shape) has more elements than Int holds")
      }
      count = product
    }
    value = try FloatBuffer(count: count)
  }

  /// Number of elements.
  public var count: Int { value.count }

  /// The gradient buffer, allocating it (zeroed) when missing.
  ///
  /// - Throws: ``DeepCellError`` (`io`) when it cannot be allocated.
  public func gradientBuffer() throws -> FloatBuffer {
    if let gradient { return gradient }
    let g = try FloatBuffer(count: count)
    gradient = g
    return g
  }

  /// The shape as exported to the model file.
  public var exportShape: [Int] {
    switch exportOrder {
    case .same: return shape
    case .oihwAsHWIO: return [shape[2], shape[3], shape[1], shape[0]]
    }
  }

  /// The values as a float32 NDArray in export order (HWIO for kernels).
  public func exported() -> NDArray {
    switch exportOrder {
    case .same:
      return NDArray(shape: shape, values: value.values)
    case .oihwAsHWIO:
      let (o, i, kh, kw) = (shape[0], shape[1], shape[2], shape[3])
      var out = [Float](repeating: 0, count: count)
      let v = value.pointer
      for a in 0..<o {
        for b in 0..<i {
          for y in 0..<kh {
            for x in 0..<kw {
              out[((y * kw + x) * i + b) * o + a] = v[((a * i + b) * kh + y) * kw + x]
            }
          }
        }
      }
      return NDArray(shape: exportShape, values: out)
    }
  }

  /// Loads values from an array in export order; throws when the shape does not match.
  public func load(_ array: NDArray) throws {
    guard array.shape == exportShape else {
      throw DeepCellError(
        .badData, name, "model file has shape \(array.shape), the architecture needs \(exportShape)"
      )
    }
    guard array.dtype.isFloat else {
      throw DeepCellError(
        .badData, name, "model file has dtype \(array.dtype), expected a float type")
    }
    let values = array.floats()
    switch exportOrder {
    case .same:
      for k in 0..<count { value.pointer[k] = values[k] }
    case .oihwAsHWIO:
      let (o, i, kh, kw) = (shape[0], shape[1], shape[2], shape[3])
      for a in 0..<o {
        for b in 0..<i {
          for y in 0..<kh {
            for x in 0..<kw {
              value.pointer[((a * i + b) * kh + y) * kw + x] =
                values[((y * kw + x) * i + b) * o + a]
            }
          }
        }
      }
    }
  }
}
