extension PanopticTrainer {
  /// Recomputes every batch-normalization layer's moving statistics from the network as it is
  /// ("precise BN", Wu & Johnson 2021, §3): `batches` batches of `source` run forward in
  /// training mode (weights untouched), and each layer's moving mean becomes the average of its
  /// batch means, its moving variance the average of its Bessel-corrected batch variances.
  ///
  /// Keras' moving averages (momentum 0.99) start at mean 0 and variance 1 and forget that start
  /// only after several hundred steps; on a short CPU training run they still lag the weights,
  /// and inference with them fails although the training-mode outputs are right. This repairs
  /// the inference statistics of such a model without changing a trained weight.
  public func recalibrateBatchNormalization<Source: TrainingBatchSource>(
    _ source: inout Source, batches: Int, batchSize: Int
  ) throws {
    guard batches >= 1 else { return }
    let layers = network.batchNormalizationLayers
    var means = layers.map { [Double](repeating: 0, count: $0.channels) }
    var variances = means
    var counts = [Int](repeating: 0, count: layers.count)
    for _ in 0..<batches {
      let (x, _) = try tensors(try source.nextBatch(size: batchSize))
      for layer in layers { layer.batchStatistics = nil }
      _ = try network.forward(x, training: true)
      for (k, layer) in layers.enumerated() {
        guard let stats = layer.batchStatistics else { continue }  // a block the graph skips
        counts[k] += 1
        let bessel = stats.count > 1 ? Double(stats.count) / Double(stats.count - 1) : 1
        for c in 0..<layer.channels {
          means[k][c] += stats.mean[c]
          variances[k][c] += stats.variance[c] * bessel
        }
      }
    }
    for (k, layer) in layers.enumerated() where counts[k] > 0 {
      for c in 0..<layer.channels {
        layer.movingMean.value.pointer[c] = Float(means[k][c] / Double(counts[k]))
        layer.movingVariance.value.pointer[c] = Float(variances[k][c] / Double(counts[k]))
      }
    }
  }
}
