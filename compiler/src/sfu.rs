//! SFU parameters the compiler fills in: activation lookup tables, RoPE
//! cos/sin rows and the `1/n` multipliers of the norms (docs/engine.md §5.4).
//!
//! These follow the instruction semantics exactly; the golden model and the
//! packer use the same functions so tables and programs agree. SiLU/GELU
//! tables and RoPE rows come from the SFU design's helpers
//! (`llmfab_isa::sfu_params`); ReLU (which runs on the same table path) is
//! built here.

use llmfab_models::ActFn;

/// Entries of an activation table (257: the last one serves 16-bit
/// interpolation).
pub const TABLE_LEN: usize = 257;

/// The real-valued activation function.
pub fn act_f64(func: ActFn, x: f64) -> f64 {
    match func {
        ActFn::Silu => x / (1.0 + (-x).exp()),
        // GPT-2's tanh approximation ("gelu_new").
        ActFn::Gelu => {
            0.5 * x
                * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
        }
        ActFn::Relu => x.max(0.0),
    }
}

/// The 257-entry int16 table `T` of `silu`/`gelu` (and of ReLU, which runs
/// on the same table-lookup path) for input scale `s_in` and output scale
/// `s_out` (real value per integer unit).
///
/// 8-bit activations index `T[x + 128]`; 16-bit ones interpolate between
/// `T[(x >> 8) + 128]` and the next entry, so entry `j` holds
/// `f((j - 128) · 256 · s_in) / s_out`.
pub fn act_table(func: ActFn, act_bits: u32, s_in: f64, s_out: f64) -> Vec<i16> {
    use llmfab_isa::sfu_params::{act_table as shared, Activation};
    let shared_f = match func {
        ActFn::Silu => Some(Activation::Silu),
        ActFn::Gelu => Some(Activation::Gelu),
        ActFn::Relu => None,
    };
    if let Some(t) = shared_f.and_then(|f| shared(f, act_bits, s_in, s_out).ok()) {
        return t;
    }
    let step = if act_bits == 16 { 256.0 } else { 1.0 };
    (0..TABLE_LEN)
        .map(|j| {
            let x = (j as f64 - 128.0) * step * s_in;
            let y = (act_f64(func, x) / s_out).round();
            y.clamp(i16::MIN as f64, i16::MAX as f64) as i16
        })
        .collect()
}

/// One RoPE table row for `pos`: `head_dim/2` (cos, sin) pairs in Q1.14,
/// pair `i` at angle `pos · theta^(-2i/head_dim)` (rotate-half pairing).
pub fn rope_row(pos: u64, head_dim: u64, theta: f64) -> Vec<i16> {
    llmfab_isa::sfu_params::rope_row(pos, head_dim, theta)
}

/// `(imm0, imm1)` with `imm0 / 2^imm1 ≈ 1/n` and `imm0 < 2^16`, as the norms use.
pub fn inv_n(n: u64) -> (u32, u32) {
    let n = n.max(1);
    let imm1 = 63 - n.leading_zeros() + 15;
    let imm0 = ((1u128 << imm1) as f64 / n as f64).round() as u32;
    (imm0.min(65535), imm1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_multipliers() {
        let t = act_table(ActFn::Silu, 8, 0.05, 0.05);
        assert_eq!(t.len(), TABLE_LEN);
        assert_eq!(t[128], 0);
        assert_eq!(
            t[128 + 100],
            (act_f64(ActFn::Silu, 5.0) / 0.05).round() as i16
        );
        let r = act_table(ActFn::Relu, 8, 1.0, 1.0);
        assert_eq!((r[0], r[200]), (0, 72));
        let row = rope_row(0, 8, 10000.0);
        assert_eq!(row, vec![16384, 0, 16384, 0, 16384, 0, 16384, 0]);
        for n in [1u64, 7, 64, 4096, 11008] {
            let (a, b) = inv_n(n);
            assert!(a < 65536);
            let approx = a as f64 / (1u64 << b) as f64;
            assert!((approx * n as f64 - 1.0).abs() < 1e-4, "{n}: {a}/{b}");
        }
    }
}
