import CDNNL

/// Arithmetic precision of the network's convolutions (issue 15).
///
/// `fp32`: every layer in float32, the engine as it has always run (bit-identical results).
/// `bf16`: at inference, convolutions read bfloat16 activations and weights (8-bit mantissa,
/// float32's exponent range) and accumulate in float32 on oneDNN's AVX512_BF16 kernels; each
/// batch normalization is folded into the convolution before it (W' = s·W, b' = s·b + t with
/// s = γ/√(σ² + ε), t = β − μ·s) and the ReLU after it runs as the convolution's post-op. The
/// first and last layers (`conv_channels`, the heads' `conv_1_semantic_*`) stay float32.
/// In training (``PanopticNet/trainingPrecision``, dc-train `--precision`) the same
/// convolutions read bfloat16 inputs, kernels and output gradients and write float32 outputs
/// and gradients; nothing is folded, and batch normalization, losses and Adam stay float32.
public enum NNPrecision: String, Sendable, CaseIterable {
  case fp32
  case bf16

  /// bf16 where oneDNN runs bfloat16 dot products natively (AVX512_BF16 or AMX), else fp32:
  /// dc-predict's default (`--precision auto`). On the held-out split bf16 moved the plain
  /// pipe's F1 and the CTC movies' TRA by at most 0.003 (bench/results/precision-accuracy.md).
  public static var native: NNPrecision {
    DNNLEngine.dispatches(dnnl_cpu_isa_avx512_core_bf16) ? .bf16 : .fp32
  }
}
