//! The quantisation plan: one static scale per activation tensor and the
//! integer constants every engine instruction needs (requant multipliers,
//! dequantisation shifts, SFU immediates and tables).
//!
//! # Recipe
//!
//! Every activation tensor `t` holds integers `x` standing for `x · σ_t`,
//! with one static σ per tensor (per-tensor symmetric quantisation). σ comes
//! from a calibration table (op name → absolute maximum, `σ = absmax /
//! qmax`) when given, otherwise from nominal clipping ranges of a
//! normalised transformer: residual stream ±16, norm / projection / MLP
//! outputs ±8, logits ±32. q, k and v of one layer share one σ (they share
//! one buffer row and one RoPE instruction). RoPE keeps its input's σ.
//!
//! Weights are symmetric integers `q` with one int16 mantissa `s` per group
//! of G weights along K and one exponent `e_W` per tensor: `W = q · s ·
//! 2^-e_W`. The nominal `e_W` puts the mantissa of a weight of absolute
//! maximum `3/√K` near `2^14` (the packer quantises real checkpoints with
//! the same exponent). A linear computes, per group, `rnd(Σ x·q · s,
//! dq_shift)` into int32, where `dq_shift` is the smallest shift that
//! provably cannot overflow int32 over K; then `requant` multiplies by
//! `mult / 2^shift ≈ σ_x · 2^(dq_shift - e_W) / σ_y`.
//!
//! The KV cache has its own σ (equal to the input's when the KV and
//! activation widths match, the same clipping range at 4 bits). Softmax
//! turns int32 scores into `EXP` table indices with `imm0 / 2^shift ≈ 16 ·
//! σ_q · σ_k / √d` and returns probabilities in Q0.(8·act_bytes − 1); the
//! probability × V product is requantised with `2^-f · σ_v / σ_out`.
//! Norm constants come from the SFU design's `sfu_params::norm` for |γ| ≤ 4
//! (RMSNorm with an RMS hint of a quarter of the input range, which scales
//! the mean square down for 16-bit rows); γ is stored as int16 `γ ·
//! gamma_one`. Activation functions are 257-entry tables built for the
//! tensor's input and output σ.

use crate::sfu;
use crate::support::EngineQuant;
use llmfab_models::graph::{LinearRole, OpKind};
use llmfab_models::{ActFn, Graph, NormKind, OpId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A fixed-point factor `mult / 2^shift`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixed {
    /// Multiplier.
    pub mult: i64,
    /// Rounding right shift.
    pub shift: u32,
}

impl Fixed {
    /// The closest `mult / 2^shift` to `ratio` with `0 < mult < 2^bits` and
    /// `shift ≤ 62` (`bits` = 15 for int16 fields, 16 for uint16 ones).
    pub fn from_ratio(ratio: f64, bits: u32) -> Fixed {
        let cap = (1i64 << bits) - 1;
        if !(ratio.is_finite() && ratio > 0.0) {
            return Fixed { mult: 0, shift: 0 };
        }
        if ratio >= cap as f64 {
            return Fixed {
                mult: cap,
                shift: 0,
            };
        }
        let mut shift = 0u32;
        while shift < 62 && (ratio * 2f64.powi(shift as i32 + 1)).round() <= cap as f64 {
            shift += 1;
        }
        Fixed {
            mult: ((ratio * 2f64.powi(shift as i32)).round() as i64).max(1),
            shift,
        }
    }
    /// The real value.
    pub fn value(&self) -> f64 {
        self.mult as f64 / 2f64.powi(self.shift as i32)
    }
}

/// Two-input weighted sum `rnd(a·imm0 + b·imm1, shift)` (residual and bias adds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddQ {
    /// Multiplier of the first operand.
    pub imm0: i64,
    /// Multiplier of the second operand.
    pub imm1: i64,
    /// Rounding right shift.
    pub shift: u32,
}

/// Constants of a linear layer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearQ {
    /// Weight exponent `e_W` (`W = q · s · 2^-e_W`).
    pub w_exp: i32,
    /// Nominal int16 scale mantissa (what the packer aims at for `|W| ≤ 3/√K`).
    pub s_nominal: i64,
    /// Right shift after each group's scale multiply.
    pub dq_shift: u32,
    /// Requantisation of the int32 result to the output σ.
    pub out: Fixed,
    /// Bias add (int bias at the output σ), when the layer has a bias.
    pub bias: Option<AddQ>,
}

/// Constants of an RMSNorm / LayerNorm.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormQ {
    /// `1/n` multiplier.
    pub imm0: u32,
    /// `1/n` shift.
    pub imm1: u32,
    /// Epsilon in squared input units.
    pub imm2: u32,
    /// Output shift.
    pub shift: u32,
    /// int16 value of γ = 1 (γ16 = γ · gamma_one).
    pub gamma_one: f64,
    /// int16 value of β = 1 (LayerNorm bias, added after the shift).
    pub beta_one: f64,
}

/// Constants of the KV-cache write.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KvQ {
    /// Keys: activation σ → KV σ.
    pub k: Fixed,
    /// Values: activation σ → KV σ.
    pub v: Fixed,
    /// σ of cached keys.
    pub sigma_k: f64,
    /// σ of cached values.
    pub sigma_v: f64,
}

/// Constants of attention (scores, softmax, probability × V).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttnQ {
    /// Softmax score multiplier.
    pub sm_imm0: u32,
    /// Softmax shift.
    pub sm_shift: u32,
    /// Requantisation of P·V to the output σ.
    pub out: Fixed,
}

/// Per-op constants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OpQuant {
    /// Embedding (host): output σ only.
    Input,
    /// Linear layer.
    Linear(LinearQ),
    /// Norm.
    Norm(NormQ),
    /// RoPE (keeps σ).
    Rope,
    /// KV write.
    KvWrite(KvQ),
    /// Attention (on the `attn_qk` / `flash_attn` op; softmax and sv carry `None`).
    Attention(AttnQ),
    /// Activation table.
    Act {
        /// The 257-entry table.
        table: Vec<i16>,
    },
    /// Residual add.
    Add(AddQ),
    /// Element-wise multiply `rnd(a·b·imm0, shift)`.
    Mul {
        /// Multiplier.
        imm0: i64,
        /// Shift.
        shift: u32,
    },
    /// No constants (softmax and sv: part of the attention constants).
    None,
}

/// Calibration statistics: absolute maximum of each op's output (real units).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Op name → absmax.
    pub absmax: BTreeMap<String, f64>,
}

/// The quantisation plan of a graph on the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantPlan {
    /// Activation bits.
    pub act_bits: u32,
    /// Weight bits.
    pub weight_bits: u32,
    /// KV bits.
    pub kv_bits: u32,
    /// Dequantisation group size.
    pub group_size: u32,
    /// Where the scales come from (`nominal` or `calibration`).
    pub source: String,
    /// σ of each op's output, indexed by op id.
    pub sigma: Vec<f64>,
    /// Constants of each op, indexed by op id.
    pub ops: Vec<OpQuant>,
}

fn nominal_clip(kind: &OpKind) -> f64 {
    match kind {
        OpKind::Embedding { .. } | OpKind::Add => 16.0,
        OpKind::Linear {
            role: LinearRole::LmHead,
            ..
        } => 32.0,
        _ => 8.0,
    }
}

/// Largest symmetric integer of `bits`.
pub fn qmax(bits: u32) -> f64 {
    ((1i64 << (bits - 1)) - 1).max(1) as f64
}

impl QuantPlan {
    /// σ of op `id`'s output.
    pub fn sigma(&self, id: OpId) -> f64 {
        self.sigma[id.0 as usize]
    }
    /// Constants of op `id`.
    pub fn op(&self, id: OpId) -> &OpQuant {
        &self.ops[id.0 as usize]
    }
    /// Linear constants of op `id` (panics on other ops: an internal invariant).
    pub fn linear(&self, id: OpId) -> LinearQ {
        match &self.ops[id.0 as usize] {
            OpQuant::Linear(l) => *l,
            other => panic!("op {id} has no linear constants: {other:?}"),
        }
    }

    /// Builds the plan for `graph` on `eq`, from calibration statistics when
    /// given (ops missing from them use the nominal ranges).
    pub fn new(graph: &Graph, eq: &EngineQuant, calib: Option<&Calibration>) -> QuantPlan {
        let n = graph
            .ops()
            .map(|(id, _)| id.0 as usize + 1)
            .max()
            .unwrap_or(0);
        let qa = qmax(eq.act_bits);
        let mut sigma = vec![1.0; n];
        let clip = |name: &str, kind: &OpKind| {
            calib
                .and_then(|c| c.absmax.get(name).copied())
                .filter(|v| *v > 0.0)
                .unwrap_or(nominal_clip(kind))
        };
        // First pass: σ of every output, with q/k/v of a layer tied and
        // shape-preserving ops (rope) inheriting their input's σ.
        let mut qkv_clip: BTreeMap<u32, f64> = BTreeMap::new();
        for (_, op) in graph.ops() {
            if let (
                OpKind::Linear {
                    role: LinearRole::Q | LinearRole::K | LinearRole::V | LinearRole::Qkv,
                    ..
                },
                Some(l),
            ) = (&op.kind, op.layer)
            {
                let c = clip(&op.name, &op.kind);
                let e = qkv_clip.entry(l).or_insert(c);
                *e = e.max(c);
            }
        }
        for (id, op) in graph.ops() {
            let i = id.0 as usize;
            sigma[i] = match &op.kind {
                OpKind::Linear {
                    role: LinearRole::Q | LinearRole::K | LinearRole::V | LinearRole::Qkv,
                    ..
                } => qkv_clip[&op.layer.unwrap_or(0)] / qa,
                OpKind::Rope { .. }
                | OpKind::KvWrite { .. }
                | OpKind::AttnQk { .. }
                | OpKind::Softmax { .. } => graph
                    .inputs(id)
                    .first()
                    .map_or(1.0, |(p, _)| sigma[p.0 as usize]),
                kind => clip(&op.name, kind) / qa,
            };
        }
        let mut ops = vec![OpQuant::None; n];
        let wq = qmax(eq.weight_bits);
        let amax = (1u128 << (eq.act_bits - 1)) as f64;
        for (id, op) in graph.ops() {
            let i = id.0 as usize;
            let ins = graph.inputs(id);
            let s_in = |slot: usize| ins.get(slot).map_or(1.0, |(p, _)| sigma[p.0 as usize]);
            let s_out = sigma[i];
            ops[i] = match &op.kind {
                OpKind::Embedding { .. } => OpQuant::Input,
                OpKind::Linear { k, bias, .. } => {
                    let w_nom = 3.0 / (*k as f64).sqrt() / wq;
                    let w_exp = (16383.0 / w_nom).log2().floor() as i32;
                    let s_nominal = (w_nom * 2f64.powi(w_exp)).round() as i64;
                    let bound = *k as f64 * amax * (1u64 << (eq.weight_bits - 1)) as f64 * 32767.0;
                    let mut dq_shift = 0u32;
                    while bound / 2f64.powi(dq_shift as i32) + 1.0 > (i32::MAX as f64) {
                        dq_shift += 1;
                    }
                    let ratio = s_in(0) * 2f64.powi(dq_shift as i32 - w_exp) / s_out;
                    OpQuant::Linear(LinearQ {
                        w_exp,
                        s_nominal,
                        dq_shift,
                        out: Fixed::from_ratio(ratio, 15),
                        bias: bias.then_some(AddQ {
                            imm0: 1,
                            imm1: 1,
                            shift: 0,
                        }),
                    })
                }
                OpKind::Norm { kind, dim } => {
                    // The SFU design's helper, for |γ| ≤ 4; RMSNorm gets an
                    // RMS hint (a quarter of the input's clipping range) so
                    // that 16-bit rows keep RSQRT precision.
                    let si = s_in(0);
                    let ln = *kind == NormKind::LayerNorm;
                    let rms = si * qa / 4.0;
                    // The helper takes n from γ's length: a nominal γ of 4
                    // (the largest kept in range) for every column.
                    let gamma = vec![4.0f32; *dim as usize];
                    let beta = vec![0.0f32; *dim as usize];
                    let p = llmfab_isa::sfu_params::norm(
                        &gamma,
                        ln.then_some(&beta[..]),
                        1e-5,
                        si,
                        s_out,
                        (!ln).then_some(rms),
                    );
                    match p {
                        Ok(p) => {
                            let (_, base) = sfu::inv_n(*dim);
                            let k = (p.imm1.saturating_sub(base)) / 2;
                            OpQuant::Norm(NormQ {
                                imm0: p.imm0 as u32,
                                imm1: p.imm1,
                                imm2: p.imm2,
                                shift: p.shift,
                                gamma_one: 2f64.powi(p.shift as i32 - k as i32 - 15) / s_out,
                                beta_one: if ln { 1.0 / s_out } else { 0.0 },
                            })
                        }
                        Err(_) => OpQuant::None,
                    }
                }
                OpKind::Rope { .. } => OpQuant::Rope,
                OpKind::KvWrite { .. } => {
                    let (sk, sv) = (s_in(0), s_in(1));
                    let widen = qa / qmax(eq.kv_bits);
                    let (kk, kv) = if eq.kv_bits == eq.act_bits {
                        (sk, sv)
                    } else {
                        (sk * widen, sv * widen)
                    };
                    OpQuant::KvWrite(KvQ {
                        k: Fixed::from_ratio(sk / kk, 15),
                        v: Fixed::from_ratio(sv / kv, 15),
                        sigma_k: kk,
                        sigma_v: kv,
                    })
                }
                OpKind::AttnQk { head_dim, .. } | OpKind::FlashAttn { head_dim, .. } => {
                    let kv = attention_kv(graph, id).map(|k| match &ops[k.0 as usize] {
                        OpQuant::KvWrite(q) => (q.sigma_k, q.sigma_v),
                        _ => (1.0, 1.0),
                    });
                    let (sk, sv) = kv.unwrap_or((1.0, 1.0));
                    let sm = Fixed::from_ratio(16.0 * s_in(0) * sk / (*head_dim as f64).sqrt(), 16);
                    let f = eq.act_bits - 1;
                    let out_sigma = match &op.kind {
                        OpKind::FlashAttn { .. } => s_out,
                        _ => attention_out(graph, id).map_or(s_out, |o| sigma[o.0 as usize]),
                    };
                    let out = Fixed::from_ratio(sv / 2f64.powi(f as i32) / out_sigma, 15);
                    OpQuant::Attention(AttnQ {
                        sm_imm0: sm.mult as u32,
                        sm_shift: sm.shift,
                        out,
                    })
                }
                OpKind::Act { func } => OpQuant::Act {
                    table: sfu::act_table(*func, eq.act_bits, s_in(0), s_out),
                },
                OpKind::Add => {
                    let (ra, rb) = (s_in(0) / s_out, s_in(1) / s_out);
                    let m = ra.max(rb);
                    let mut shift = 0u32;
                    while shift < 30 && (m * 2f64.powi(shift as i32 + 1)).round() <= 32767.0 {
                        shift += 1;
                    }
                    let p = 2f64.powi(shift as i32);
                    OpQuant::Add(AddQ {
                        imm0: (ra * p).round() as i64,
                        imm1: (rb * p).round() as i64,
                        shift,
                    })
                }
                OpKind::Mul => {
                    let f = Fixed::from_ratio(s_in(0) * s_in(1) / s_out, 15);
                    OpQuant::Mul {
                        imm0: f.mult,
                        shift: f.shift,
                    }
                }
                _ => OpQuant::None,
            };
        }
        QuantPlan {
            act_bits: eq.act_bits,
            weight_bits: eq.weight_bits,
            kv_bits: eq.kv_bits,
            group_size: eq.group_size,
            source: if calib.is_some() {
                "calibration".into()
            } else {
                "nominal".into()
            },
            sigma,
            ops,
        }
    }

    /// The activation table of an `Act` op (ReLU included).
    pub fn table(&self, id: OpId) -> &[i16] {
        match &self.ops[id.0 as usize] {
            OpQuant::Act { table } => table,
            _ => &[],
        }
    }
}

/// The `kv_write` op an attention op reads (its second input).
pub fn attention_kv(graph: &Graph, attn: OpId) -> Option<OpId> {
    graph.inputs(attn).get(1).map(|(p, _)| *p)
}

/// The op whose output is the attention result: `attn_sv` after `attn_qk`
/// → `softmax`, or the `flash_attn` op itself.
pub fn attention_out(graph: &Graph, attn: OpId) -> Option<OpId> {
    if let OpKind::FlashAttn { .. } = graph.op(attn).kind {
        return Some(attn);
    }
    let sm = graph
        .consumers(attn)
        .into_iter()
        .find(|c| matches!(graph.op(*c).kind, OpKind::Softmax { .. }))?;
    graph
        .consumers(sm)
        .into_iter()
        .find(|c| matches!(graph.op(*c).kind, OpKind::AttnSv { .. }))
}

/// ReLU, SiLU and GELU all run on the table path.
pub fn is_table_act(f: ActFn) -> bool {
    matches!(f, ActFn::Silu | ActFn::Gelu | ActFn::Relu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_factors() {
        let f = Fixed::from_ratio(1.0, 15);
        assert_eq!((f.mult, f.shift), (16384, 14));
        let f = Fixed::from_ratio(3.0e-5, 15);
        assert!((f.value() / 3.0e-5 - 1.0).abs() < 1e-4);
        assert!(f.mult < 32768 && f.mult >= 16384);
        assert_eq!(Fixed::from_ratio(1e9, 15).mult, 32767);
    }
}
