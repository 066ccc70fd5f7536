//! The special-function unit: requantisation, softmax, norms, LUT activations, RoPE, add, mul.
