//! Work of one op under concrete bindings and a quantization scheme: the
//! arithmetic it does and the bytes it moves. This is device-independent;
//! turning work into time and energy is [`crate::estimate`]'s job.
//!
//! Conventions (each is a choice a reader may want to change, so it is here):
//! - one multiply-accumulate is 2 ops;
//! - KV-cache reads belong to the attention ops (`attn_qk` reads K, `attn_sv`
//!   reads V, `flash_attn` reads both) and use `kv_heads`, not `heads`;
//! - attention scores are written at `max(activation, 16)` bits;
//! - flash attention reads Q, K and V once and writes only its output;
//! - the embedding table stays 16-bit unless an override names `embed`, and
//!   only the gathered rows are read;
//! - lm_head runs for the last token of each sequence only (`2·B·D·V` ops);
//! - MoE layers read the weights of the experts a step touches, expected
//!   under uniform routing: `E·(1-(1-k/E)^T)` experts for `T` tokens.

use crate::dim::Bindings;
use crate::graph::{Graph, LinearRole, OpId, OpKind};
use crate::quant::QuantScheme;
use crate::spec::{ActFn, NormKind};
use serde::{Deserialize, Serialize};

/// Class of compute an op needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputeClass {
    /// Matrix products (tensor cores, the engine's matrix unit).
    Matmul,
    /// Element-wise and reduction work (CUDA cores, the engine's SFU).
    Vector,
    /// Pure data movement.
    Memory,
}

/// Shape of a matrix product, for efficiency models: `count` independent
/// `m × k · k × n` products.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemmShape {
    /// Rows of the activation operand.
    pub m: u64,
    /// Columns of the output.
    pub n: u64,
    /// Reduction length.
    pub k: u64,
    /// Independent products (heads × batch for attention).
    pub count: u64,
}

/// Work of one op.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpWork {
    /// Arithmetic operations (2 per multiply-accumulate).
    pub ops: f64,
    /// Weight bytes read (scales and zero points included).
    pub weight_bytes: f64,
    /// Activation bytes read.
    pub act_bytes: f64,
    /// KV-cache bytes read.
    pub kv_read_bytes: f64,
    /// Bytes written (activations and KV-cache writes).
    pub bytes_written: f64,
    /// KV-cache bytes written (part of `bytes_written`).
    pub kv_write_bytes: f64,
    /// Compute class.
    pub class: ComputeClass,
    /// Matrix-product shape, for matmul ops.
    pub gemm: Option<GemmShape>,
    /// Integer width of the weight-side operand (weights or KV) of a matmul.
    pub w_bits: u32,
    /// Width of the activation-side operand.
    pub a_bits: u32,
}

impl OpWork {
    /// All bytes read.
    pub fn bytes_read(&self) -> f64 {
        self.weight_bytes + self.act_bytes + self.kv_read_bytes
    }
    /// All bytes moved.
    pub fn bytes(&self) -> f64 {
        self.bytes_read() + self.bytes_written
    }
    /// Ops per byte moved.
    pub fn intensity(&self) -> f64 {
        let b = self.bytes();
        if b > 0.0 {
            self.ops / b
        } else {
            0.0
        }
    }
    fn vector(ops: f64, act_bytes: f64, written: f64, bits: u32) -> Self {
        OpWork {
            ops,
            weight_bytes: 0.0,
            act_bytes,
            kv_read_bytes: 0.0,
            bytes_written: written,
            kv_write_bytes: 0.0,
            class: ComputeClass::Vector,
            gemm: None,
            w_bits: bits,
            a_bits: bits,
        }
    }
}

/// Ops per element of element-wise functions (documented constants, as in
/// LLM-Viewer's accounting): SiLU 4 (exp, add, divide, multiply), GELU 8
/// (tanh approximation), ReLU 1, RMSNorm 4, LayerNorm 7, softmax 5, RoPE 3.
pub fn act_ops_per_element(f: ActFn) -> f64 {
    match f {
        ActFn::Silu => 4.0,
        ActFn::Gelu => 8.0,
        ActFn::Relu => 1.0,
    }
}

/// Work of op `id` of `graph` under `v` and `q`.
pub fn op_work(graph: &Graph, id: OpId, v: &Bindings, q: &QuantScheme) -> OpWork {
    let op = graph.op(id);
    let a = q.act_bytes();
    let kvb = q.kv_bytes();
    let score_b = (q.act_bits.max(16) as f64) / 8.0;
    let out_elems = op.out.numel(v) as f64;
    let tokens = (v.batch * v.seq) as f64;
    let (b, s, l) = (v.batch as f64, v.seq as f64, v.kv_len as f64);
    match &op.kind {
        OpKind::Embedding { dim, positions, .. } => {
            let bpw = embedding_bits(q) / 8.0;
            let tables = if *positions > 0 { 2.0 } else { 1.0 };
            let mut w = OpWork::vector(0.0, 0.0, out_elems * a, q.act_bits);
            w.class = ComputeClass::Memory;
            w.weight_bytes = tokens * *dim as f64 * bpw * tables;
            if *positions > 0 {
                w.ops = out_elems;
            }
            w
        }
        OpKind::Norm { kind, dim } => {
            let per = if *kind == NormKind::RmsNorm { 4.0 } else { 7.0 };
            let params = if *kind == NormKind::RmsNorm { 1.0 } else { 2.0 };
            let mut w = OpWork::vector(per * out_elems, out_elems * a, out_elems * a, q.act_bits);
            w.weight_bytes = params * *dim as f64 * 2.0;
            w
        }
        OpKind::Linear { k, n, bias, role } => {
            let (wb, bpw) = linear_bits(graph, q, &op.name, *role, *k);
            let (k, n) = (*k as f64, *n as f64);
            let m = out_elems / n;
            let bpw = bpw / 8.0;
            OpWork {
                ops: 2.0 * m * k * n + if *bias { m * n } else { 0.0 },
                weight_bytes: k * n * bpw + if *bias { n * 2.0 } else { 0.0 },
                act_bytes: m * k * a,
                kv_read_bytes: 0.0,
                bytes_written: m * n * a,
                kv_write_bytes: 0.0,
                class: ComputeClass::Matmul,
                gemm: Some(GemmShape {
                    m: m as u64,
                    n: n as u64,
                    k: k as u64,
                    count: 1,
                }),
                w_bits: wb,
                a_bits: q.act_bits,
            }
        }
        OpKind::MoeLinear {
            k,
            n,
            experts,
            top_k,
            ..
        } => {
            let (kf, nf, e, tk) = (*k as f64, *n as f64, *experts as f64, *top_k as f64);
            let assigned = tokens * tk;
            let touched = e * (1.0 - (1.0 - tk / e).powf(tokens));
            let bpw = q.weight_bits_per_weight(&op.name, *k) / 8.0;
            let per_expert_m = (assigned / touched.max(1.0)).ceil().max(1.0) as u64;
            OpWork {
                ops: 2.0 * assigned * kf * nf,
                weight_bytes: touched * kf * nf * bpw,
                act_bytes: assigned * kf * a,
                kv_read_bytes: 0.0,
                bytes_written: assigned * nf * a,
                kv_write_bytes: 0.0,
                class: ComputeClass::Matmul,
                gemm: Some(GemmShape {
                    m: per_expert_m,
                    n: *n,
                    k: *k,
                    count: touched.round().max(1.0) as u64,
                }),
                w_bits: q.weight_bits_of(&op.name),
                a_bits: q.act_bits,
            }
        }
        OpKind::Rope { head_dim, .. } => {
            let mut w = OpWork::vector(3.0 * out_elems, out_elems * a, out_elems * a, q.act_bits);
            // cos/sin tables for the new positions, fp16
            w.act_bytes += tokens * *head_dim as f64 * 2.0;
            w
        }
        OpKind::KvWrite { .. } => {
            let quant_ops = if q.kv_bits < 16 { 2.0 * out_elems } else { 0.0 };
            let mut w = OpWork::vector(quant_ops, out_elems * a, out_elems * kvb, q.kv_bits);
            w.kv_write_bytes = out_elems * kvb;
            w.class = if quant_ops > 0.0 {
                ComputeClass::Vector
            } else {
                ComputeClass::Memory
            };
            w
        }
        OpKind::AttnQk {
            heads,
            kv_heads,
            head_dim,
        } => {
            let (h, hkv, d) = (*heads as f64, *kv_heads as f64, *head_dim as f64);
            OpWork {
                ops: 2.0 * b * h * s * l * d,
                weight_bytes: 0.0,
                act_bytes: b * s * h * d * a,
                kv_read_bytes: b * l * hkv * d * kvb,
                bytes_written: b * h * s * l * score_b,
                kv_write_bytes: 0.0,
                class: ComputeClass::Matmul,
                gemm: Some(GemmShape {
                    m: v.seq * (heads / kv_heads),
                    n: v.kv_len,
                    k: *head_dim,
                    count: v.batch * kv_heads,
                }),
                w_bits: q.kv_bits,
                a_bits: q.act_bits,
            }
        }
        OpKind::Softmax { .. } => OpWork::vector(
            5.0 * out_elems,
            out_elems * score_b,
            out_elems * score_b,
            16,
        ),
        OpKind::AttnSv {
            heads,
            kv_heads,
            head_dim,
        } => {
            let (h, hkv, d) = (*heads as f64, *kv_heads as f64, *head_dim as f64);
            OpWork {
                ops: 2.0 * b * h * s * l * d,
                weight_bytes: 0.0,
                act_bytes: b * h * s * l * score_b,
                kv_read_bytes: b * l * hkv * d * kvb,
                bytes_written: b * s * h * d * a,
                kv_write_bytes: 0.0,
                class: ComputeClass::Matmul,
                gemm: Some(GemmShape {
                    m: v.seq * (heads / kv_heads),
                    n: *head_dim,
                    k: v.kv_len,
                    count: v.batch * kv_heads,
                }),
                w_bits: q.kv_bits,
                a_bits: q.act_bits,
            }
        }
        OpKind::FlashAttn {
            heads,
            kv_heads,
            head_dim,
        } => {
            let (h, hkv, d) = (*heads as f64, *kv_heads as f64, *head_dim as f64);
            OpWork {
                ops: 4.0 * b * h * s * l * d + 5.0 * b * h * s * l,
                weight_bytes: 0.0,
                act_bytes: b * s * h * d * a,
                kv_read_bytes: 2.0 * b * l * hkv * d * kvb,
                bytes_written: b * s * h * d * a,
                kv_write_bytes: 0.0,
                class: ComputeClass::Matmul,
                gemm: Some(GemmShape {
                    m: v.seq * (heads / kv_heads),
                    n: v.kv_len,
                    k: *head_dim,
                    count: v.batch * kv_heads,
                }),
                w_bits: q.kv_bits,
                a_bits: q.act_bits,
            }
        }
        OpKind::Act { func } => OpWork::vector(
            act_ops_per_element(*func) * out_elems,
            out_elems * a,
            out_elems * a,
            q.act_bits,
        ),
        OpKind::Add | OpKind::Mul => {
            OpWork::vector(out_elems, 2.0 * out_elems * a, out_elems * a, q.act_bits)
        }
        OpKind::TopK { experts, top_k } => {
            let e = *experts as f64;
            OpWork::vector(
                tokens * e * 3.0,
                tokens * e * a,
                tokens * *top_k as f64 * 6.0,
                16,
            )
        }
    }
}

/// Bits per weight of the embedding table: 16 unless an override names `embed`.
pub fn embedding_bits(q: &QuantScheme) -> f64 {
    q.override_for("embed").map_or(16.0, |o| o.bits_per_weight)
}

/// (integer bits, effective bits per weight) of a linear op; a tied lm_head
/// reads the embedding table at the embedding's precision.
fn linear_bits(graph: &Graph, q: &QuantScheme, name: &str, role: LinearRole, k: u64) -> (u32, f64) {
    if role == LinearRole::LmHead && graph.tied_embeddings() && q.override_for(name).is_none() {
        let bits = embedding_bits(q);
        (bits.round() as u32, bits)
    } else {
        (q.weight_bits_of(name), q.weight_bits_per_weight(name, k))
    }
}

/// Bytes of every weight the model stores, at the scheme's precision: all
/// experts, the whole embedding (and learned position) table, and a tied
/// lm_head only once.
pub fn weight_footprint(graph: &Graph, q: &QuantScheme) -> f64 {
    let mut total = 0.0;
    for (_, op) in graph.ops() {
        total += match &op.kind {
            OpKind::Embedding {
                vocab,
                dim,
                positions,
                ..
            } => ((*vocab + *positions) * *dim) as f64 * embedding_bits(q) / 8.0,
            OpKind::Norm { kind, dim } => {
                *dim as f64 * 2.0 * if *kind == NormKind::RmsNorm { 1.0 } else { 2.0 }
            }
            OpKind::Linear {
                role: LinearRole::LmHead,
                ..
            } if graph.tied_embeddings() => 0.0,
            OpKind::Linear { k, n, bias, role } => {
                (*k * *n) as f64 * linear_bits(graph, q, &op.name, *role, *k).1 / 8.0
                    + if *bias { *n as f64 * 2.0 } else { 0.0 }
            }
            OpKind::MoeLinear { k, n, experts, .. } => {
                (*experts * *k * *n) as f64 * q.weight_bits_per_weight(&op.name, *k) / 8.0
            }
            _ => 0.0,
        };
    }
    total
}
