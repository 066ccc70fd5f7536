//! Parameters of `requant` and the SFU operations for given real-valued
//! scales: the integer fields and SBUF tables the compiler must emit so that
//! the fixed-point semantics of docs/engine.md §5.3–5.4 approximate the f32
//! operation (owned by the SFU design; the tables the hardware bakes in are
//! in [`crate::tables`]).
//!
//! A quantized tensor holds integers `q` standing for `q · scale`. Every
//! helper here takes the scales of its inputs and output and returns the
//! fields to put in the instruction (and, where the operation reads SBUF,
//! the int16 values to load there).
//!
//! # Numerical error (measured by `sfu_params::numerics`, asserted in tests)
//!
//! Error of the integer op against f32 applied to the *dequantized* integer
//! input (so input quantization is excluded), in output LSBs (`scale_out`)
//! for int8 (`a8`) and int16 (`a16`) activations. Inputs: softmax over
//! attention-like scores (N(0, 2²) logits, 256 columns, causal and not);
//! rmsnorm / layernorm over 4096-wide activation-like rows (N(0, 1) with 1%
//! outliers ×8, γ ∈ [0.5, 1.5], β ∈ [-0.5, 0.5]); silu / gelu over the whole
//! input range of typical scales (int8: ±8, int16: ±16); rope at positions
//! 0..4096 with θ = 10000, head 128; add / mul / requant on random data.
//! The measured table is in docs/rtl.md, "SFU numerics"; the bounds below
//! are the ones the test asserts (measured values sit well inside them).
//!
//! | op | a8 max / mean (LSB) | a16 max / mean (LSB) | dominant source |
//! |---|---|---|---|
//! | softmax (probability, LSB = 2^-f) | ≤ 2 / ≤ 0.5 | ≤ 160 / ≤ 6 | exponent quantized to 1/16 (EXP index): ≤ 3.2 % per term |
//! | rmsnorm (with an RMS hint) | ≤ 2 / ≤ 0.5 | ≤ 327 (1 % of full scale) / ≤ 164 | RSQRT mantissa (6 fractional bits, ≤ 0.8 %) |
//! | layernorm | ≤ 3 / ≤ 0.6 | ≤ 1638 (5 % of full scale) / ≤ 102 | a16: `RSQ >> e` keeps ~3 bits at variance 2^24; a8: μ rounded to an integer |
//! | silu, gelu | ≤ 0.5 / ≤ 0.25 | ≤ 4 / ≤ 0.6 | table rounding (a8), linear interpolation over 256-LSB segments (a16) |
//! | rope | ≤ 1 / ≤ 0.5 | ≤ 1.5 / ≤ 0.5 | Q1.14 cos/sin and output rounding |
//! | add, mul, requant | ≤ 1 / ≤ 0.5 | ≤ 1.5 / ≤ 0.5 | int16 multipliers (2^-15 relative) and output rounding |
//!
use crate::tables::EXP;

#[cfg(test)]
mod numerics;

/// Why parameters cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A scale that is zero, negative, NaN or infinite.
    #[error("{what}: expected a positive finite scale, got {value}")]
    Scale {
        /// Which scale.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// A ratio too large for an int16 multiplier with shift 0.
    #[error("{what}: ratio {value} exceeds the int16 multiplier range (32767 with shift 0)")]
    TooLarge {
        /// Which ratio.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// A row length the operation cannot take.
    #[error("{what}: {message}")]
    Shape {
        /// Which argument.
        what: &'static str,
        /// What is wrong.
        message: String,
    },
}

fn check_scale(what: &'static str, v: f64) -> Result<f64, ParamError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(ParamError::Scale { what, value: v })
    }
}

/// `(mult, shift)` with `mult · 2^-shift ≈ ratio`, `mult` a signed 16-bit
/// value as large as possible (most precise), `shift ≤ 63`. `ratio` may be
/// negative or zero.
pub fn mult_shift(what: &'static str, ratio: f64) -> Result<(i16, u32), ParamError> {
    if !ratio.is_finite() {
        return Err(ParamError::Scale { what, value: ratio });
    }
    if ratio == 0.0 {
        return Ok((0, 0));
    }
    if ratio.abs().round() > 32767.0 {
        return Err(ParamError::TooLarge { what, value: ratio });
    }
    let mut best = (ratio.round() as i16, 0u32);
    for s in 0..=63u32 {
        let m = (ratio * 2f64.powi(s as i32)).round();
        if m.abs() > 32767.0 {
            break;
        }
        best = (m as i16, s);
    }
    Ok(best)
}

/// `(mult, shift)` with `mult · 2^-shift ≈ ratio ≥ 0`, `mult` unsigned 16-bit.
fn umult_shift(what: &'static str, ratio: f64) -> Result<(u16, u32), ParamError> {
    if !(ratio.is_finite() && ratio > 0.0) {
        return Err(ParamError::Scale { what, value: ratio });
    }
    if ratio.round() > 65535.0 {
        return Err(ParamError::TooLarge { what, value: ratio });
    }
    let mut best = (ratio.round() as u16, 0u32);
    for s in 0..=63u32 {
        let m = (ratio * 2f64.powi(s as i32)).round();
        if m > 65535.0 {
            break;
        }
        best = (m as u16, s);
    }
    Ok(best)
}

/// `requant`: `mult` and `shift` so that `y = sat(rnd(x·mult, shift))`
/// approximates `x · scale_in / scale_out`.
pub fn requant(scale_in: f64, scale_out: f64) -> Result<(i16, u32), ParamError> {
    let r = check_scale("scale_in", scale_in)? / check_scale("scale_out", scale_out)?;
    mult_shift("scale_in / scale_out", r)
}

/// `requant` with per-column multipliers (`col_scale = 1`): the int16 values
/// to load at `s_addr` and the common `shift`, for per-column input scales.
pub fn requant_columns(scales_in: &[f64], scale_out: f64) -> Result<(Vec<i16>, u32), ParamError> {
    let so = check_scale("scale_out", scale_out)?;
    let mut ratios = Vec::with_capacity(scales_in.len());
    for &s in scales_in {
        ratios.push(check_scale("scales_in", s)? / so);
    }
    let max = ratios.iter().cloned().fold(0.0f64, f64::max);
    let (_, shift) = mult_shift("max(scales_in) / scale_out", max)?;
    let mults = ratios
        .iter()
        .map(|r| (r * 2f64.powi(shift as i32)).round().min(32767.0) as i16)
        .collect();
    Ok((mults, shift))
}

/// `softmax`: `(imm0, shift)` so that the EXP index `rnd((max - x)·imm0,
/// shift)` approximates `16 · (max - x) · scale_in` (the table holds
/// `exp(-i/16)`); `scale_in` is the real value of one ACC unit (including
/// any `1/√d` folded into it).
pub fn softmax(scale_in: f64) -> Result<(u16, u32), ParamError> {
    umult_shift("16 · scale_in", 16.0 * check_scale("scale_in", scale_in)?)
}

/// `(imm0, imm1)` with `imm0 · 2^-imm1 ≈ 1/n` (the norms' mean), `imm0` as
/// large as fits 16 bits.
pub fn inv_n(n: u64) -> Result<(u16, u32), ParamError> {
    if n == 0 {
        return Err(ParamError::Shape {
            what: "n",
            message: "expected a row length of at least 1".into(),
        });
    }
    umult_shift("1/n", 1.0 / n as f64)
}

/// Fields and SBUF values of `rmsnorm` / `layernorm`.
#[derive(Clone, Debug, PartialEq)]
pub struct NormParams {
    /// Output rounding shift.
    pub shift: u32,
    /// `1/n` multiplier.
    pub imm0: u16,
    /// `1/n` shift.
    pub imm1: u32,
    /// Epsilon in squared input units (26 bits).
    pub imm2: u32,
    /// Values to load at `s_addr`: `n` int16 weights, then (layernorm) `n`
    /// int16 biases in output units.
    pub sbuf: Vec<i16>,
}

/// `rmsnorm` (`beta = None`) or `layernorm` (`beta = Some`): the integer
/// op computes `x·inv·γ_q·2^-shift` with `inv ≈ 2^15/rms` in input units, so
/// `γ_q = round(γ · 2^(shift-15) / scale_out)` with the largest `shift` that
/// keeps every `γ_q` in int16.
///
/// `rms_in` (rmsnorm only; the expected RMS of the input rows in real
/// units, from calibration) lets the mean square be scaled down by `4^k`
/// (`imm1 += 2k`, `shift += k`) so that RSQRT works on `v ≈ 2^7..2^9`
/// where `inv = RSQ[·] >> e` keeps 12 significant bits; without it, int16
/// rows (`v ≈ 2^24`) leave `inv` with 3 bits. Layernorm cannot use it (the
/// same `imm0`/`imm1` produce `μ`), see docs/rtl.md "SFU numerics".
pub fn norm(
    gamma: &[f32],
    beta: Option<&[f32]>,
    eps: f64,
    scale_in: f64,
    scale_out: f64,
    rms_in: Option<f64>,
) -> Result<NormParams, ParamError> {
    let si = check_scale("scale_in", scale_in)?;
    let so = check_scale("scale_out", scale_out)?;
    let n = gamma.len() as u64;
    let (imm0, imm1) = inv_n(n)?;
    if let Some(b) = beta {
        if b.len() != gamma.len() {
            return Err(ParamError::Shape {
                what: "beta",
                message: format!("expected {} biases, got {}", gamma.len(), b.len()),
            });
        }
    }
    if !(eps.is_finite() && eps >= 0.0) {
        return Err(ParamError::Scale {
            what: "eps",
            value: eps,
        });
    }
    // Down-scaling of the mean square by 4^k (rmsnorm with an RMS hint).
    let k = match (beta, rms_in) {
        (None, Some(r)) if r.is_finite() && r > 0.0 => {
            let ms = (r / si) * (r / si);
            ((ms / 256.0).log2() / 2.0)
                .floor()
                .clamp(0.0, ((63 - imm1) / 2) as f64) as u32
        }
        _ => 0,
    };
    let imm1 = imm1 + 2 * k;
    let down = 4f64.powi(k as i32);
    let imm2 = (eps / (si * si) / down)
        .round()
        .clamp(0.0, ((1u64 << 26) - 1) as f64) as u32;
    let gmax = gamma
        .iter()
        .map(|g| (*g as f64).abs())
        .fold(0.0f64, f64::max)
        .max(1e-30);
    // γ_q = γ · 2^(shift-15) / so ≤ 32767.
    let mut shift = 0u32;
    for s in 0..=63u32 {
        if gmax * 2f64.powi(s as i32 - 15) / so > 32767.0 {
            break;
        }
        shift = s;
    }
    // inv is 2^k times larger: γ_q keeps its range, the output shifts k more.
    let g = 2f64.powi(shift as i32 - 15) / so;
    let shift = (shift + k).min(63);
    let k = g;
    let mut sbuf: Vec<i16> = gamma
        .iter()
        .map(|&g| (g as f64 * k).round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    if let Some(b) = beta {
        sbuf.extend(
            b.iter()
                .map(|&v| (v as f64 / so).round().clamp(-32768.0, 32767.0) as i16),
        );
    }
    Ok(NormParams {
        shift,
        imm0,
        imm1,
        imm2,
        sbuf,
    })
}

/// The activations the table path serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `x · sigmoid(x)`.
    Silu,
    /// GELU, tanh approximation (GPT-2's `gelu_new`).
    Gelu,
}

impl Activation {
    /// The real function.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Activation::Silu => x / (1.0 + (-x).exp()),
            Activation::Gelu => {
                0.5 * x
                    * (1.0
                        + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
            }
        }
    }
}

/// The 257-entry int16 table of `silu` / `gelu`: entry `j` holds
/// `f((j - 128) · step · scale_in) / scale_out` rounded, `step` = 1 for int8
/// activations and 256 for int16 ones (which interpolate between entries).
pub fn act_table(
    f: Activation,
    act_bits: u32,
    scale_in: f64,
    scale_out: f64,
) -> Result<Vec<i16>, ParamError> {
    let si = check_scale("scale_in", scale_in)?;
    let so = check_scale("scale_out", scale_out)?;
    let step = if act_bits == 16 { 256.0 } else { 1.0 };
    Ok((0..257)
        .map(|j| {
            let x = (j as f64 - 128.0) * step * si;
            (f.eval(x) / so).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect())
}

/// One RoPE table row for position `pos`: `head/2` pairs `(cos, sin)` in
/// Q1.14 (interleaved, pair `i` at byte `4i`), angle `pos · θ^(-2i/head)`.
pub fn rope_row(pos: u64, head: u64, theta: f64) -> Vec<i16> {
    let mut out = Vec::with_capacity(head as usize);
    for i in 0..head / 2 {
        let a = pos as f64 * theta.powf(-2.0 * i as f64 / head as f64);
        out.push((a.cos() * 16384.0).round() as i16);
        out.push((a.sin() * 16384.0).round() as i16);
    }
    out
}

/// `add`: `(imm0, imm1, shift)` so that `rnd(a·imm0 + b·imm1, shift)`
/// approximates `(a·scale_a + b·scale_b) / scale_out`.
pub fn add(scale_a: f64, scale_b: f64, scale_out: f64) -> Result<(i16, i16, u32), ParamError> {
    let so = check_scale("scale_out", scale_out)?;
    let (ra, rb) = (
        check_scale("scale_a", scale_a)? / so,
        check_scale("scale_b", scale_b)? / so,
    );
    let (_, shift) = mult_shift("max(scale_a, scale_b) / scale_out", ra.max(rb))?;
    let k = 2f64.powi(shift as i32);
    Ok((
        (ra * k).round().min(32767.0) as i16,
        (rb * k).round().min(32767.0) as i16,
        shift,
    ))
}

/// `mul`: `(imm0, shift)` so that `rnd(a·b·imm0, shift)` approximates
/// `a·scale_a · b·scale_b / scale_out`.
pub fn mul(scale_a: f64, scale_b: f64, scale_out: f64) -> Result<(i16, u32), ParamError> {
    let r = check_scale("scale_a", scale_a)? * check_scale("scale_b", scale_b)?
        / check_scale("scale_out", scale_out)?;
    mult_shift("scale_a · scale_b / scale_out", r)
}

/// The real value `exp(-i/16)` that `EXP[i] / 65535` approximates.
pub fn exp_entry_real(i: usize) -> f64 {
    EXP.get(i)
        .map(|_| (-(i as f64) / 16.0).exp())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers_are_precise_and_bounded() {
        for r in [1e-6, 0.001, 0.37, 1.0, 3.5, 1000.0, -0.25] {
            let (m, s) = mult_shift("r", r).unwrap();
            let got = m as f64 / 2f64.powi(s as i32);
            assert!(((got - r) / r).abs() < 1e-4, "{r}: {m}/{s}");
            assert!(
                m.unsigned_abs() >= 16384 || s == 63,
                "{r}: mult {m} uses the int16 range"
            );
        }
        assert!(mult_shift("r", 40000.0).is_err());
        assert!(requant(0.0, 1.0).is_err());
        assert_eq!(mult_shift("r", 0.0).unwrap(), (0, 0));
        let (i0, i1) = inv_n(4096).unwrap();
        assert_eq!((i0, i1), (32768, 27));
        let (i0, i1) = inv_n(11008).unwrap();
        assert!((i0 as f64 / 2f64.powi(i1 as i32) * 11008.0 - 1.0).abs() < 1e-4);
        let (k, s) = softmax(1.0 / 1024.0).unwrap();
        assert_eq!(k as f64 / 2f64.powi(s as i32), 16.0 / 1024.0);
    }

    #[test]
    fn tables() {
        let t = act_table(Activation::Silu, 8, 0.05, 0.05).unwrap();
        assert_eq!((t.len(), t[128]), (257, 0));
        assert_eq!(t[228], (Activation::Silu.eval(5.0) / 0.05).round() as i16);
        assert_eq!(
            rope_row(0, 8, 10000.0),
            vec![16384, 0, 16384, 0, 16384, 0, 16384, 0]
        );
        let p = norm(&[1.0, 0.5], Some(&[0.25, -0.25]), 1e-5, 0.01, 0.02, None).unwrap();
        assert_eq!(p.sbuf.len(), 4);
        assert!(p.sbuf[0] > 16384, "{:?}", p);
        assert_eq!((p.sbuf[2], p.sbuf[3]), (13, -13));
        assert!(norm(&[1.0], Some(&[]), 0.0, 1.0, 1.0, None).is_err());
        let r = norm(&[1.0], None, 0.0, 1.0 / 4096.0, 1.0, Some(1.0)).unwrap();
        assert_eq!(
            r.imm1,
            inv_n(1).unwrap().1 + 16,
            "k = 8 for a mean square of 2^24"
        );
        assert!((exp_entry_real(16) - (-1f64).exp()).abs() < 1e-12);
    }
}
