//! Builds the op graph of a model from its hyper-parameters.
//!
//! One decoder block per layer, in the order the model computes it, with
//! provenance names such as `layer3.attn.q_proj`, `layer3.attn.qk`,
//! `layer3.mlp.down_proj`. Shapes use `T = B*S` new tokens.

use crate::dim::{Dim, Shape};
use crate::graph::{Graph, LinearRole, Op, OpId, OpKind};
use crate::spec::{Family, ModelSpec, Positions};
use serde::{Deserialize, Serialize};

/// How attention is expressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Attention {
    /// Separate `attn_qk`, `softmax` and `attn_sv` ops that write the scores.
    #[default]
    Unfused,
    /// One `flash_attn` op that keeps scores on chip.
    Flash,
}

/// Graph construction options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BuildOptions {
    /// Attention form.
    pub attention: Attention,
    /// Fuse q, k and v into one `qkv_proj` (GPT-2 always is).
    pub fuse_qkv: bool,
    /// Fuse gate and up into one `gate_up_proj`.
    pub fuse_gate_up: bool,
}

fn t(n: u64) -> Shape {
    Shape(vec![Dim::TOKENS, Dim::c(n)])
}

struct B<'a> {
    g: Graph,
    spec: &'a ModelSpec,
    opts: BuildOptions,
}

impl B<'_> {
    fn op(
        &mut self,
        name: String,
        layer: Option<u32>,
        kind: OpKind,
        out: Shape,
        ins: &[OpId],
    ) -> OpId {
        self.g.add_op(
            Op {
                name,
                layer,
                kind,
                out,
            },
            ins,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn linear(
        &mut self,
        name: String,
        layer: u32,
        role: LinearRole,
        k: u64,
        n: u64,
        bias: bool,
        x: OpId,
    ) -> OpId {
        self.op(
            name,
            Some(layer),
            OpKind::Linear { role, k, n, bias },
            t(n),
            &[x],
        )
    }

    fn attention(&mut self, l: u32, x: OpId) -> OpId {
        let s = self.spec;
        let p = format!("layer{l}.attn");
        let (h, kvh, d) = (s.heads, s.kv_heads, s.head_dim);
        let fused = self.opts.fuse_qkv || s.family == Family::Gpt2;
        let (q, kv_src): (OpId, Vec<OpId>) = if fused {
            let qkv = self.linear(
                format!("{p}.qkv_proj"),
                l,
                LinearRole::Qkv,
                s.hidden,
                s.q_dim() + 2 * s.kv_dim(),
                s.qkv_bias,
                x,
            );
            (qkv, vec![qkv])
        } else {
            let q = self.linear(
                format!("{p}.q_proj"),
                l,
                LinearRole::Q,
                s.hidden,
                s.q_dim(),
                s.qkv_bias,
                x,
            );
            let k = self.linear(
                format!("{p}.k_proj"),
                l,
                LinearRole::K,
                s.hidden,
                s.kv_dim(),
                s.qkv_bias,
                x,
            );
            let v = self.linear(
                format!("{p}.v_proj"),
                l,
                LinearRole::V,
                s.hidden,
                s.kv_dim(),
                s.qkv_bias,
                x,
            );
            (q, vec![q, k, v])
        };
        // q (and k) after rotary embedding
        let (q_ready, k_src) = match s.positions {
            Positions::Rope { .. } => {
                let ins: Vec<OpId> = if fused {
                    vec![q]
                } else {
                    vec![kv_src[0], kv_src[1]]
                };
                let r = self.op(
                    format!("{p}.rope"),
                    Some(l),
                    OpKind::Rope {
                        heads: h,
                        kv_heads: kvh,
                        head_dim: d,
                    },
                    t((h + kvh) * d),
                    &ins,
                );
                (r, r)
            }
            Positions::Learned => (q, if fused { q } else { kv_src[1] }),
        };
        let v_src = if fused { q } else { kv_src[2] };
        let kvw = self.op(
            format!("{p}.kv_write"),
            Some(l),
            OpKind::KvWrite {
                kv_heads: kvh,
                head_dim: d,
            },
            Shape(vec![Dim::TOKENS, Dim::c(2 * kvh * d)]),
            &[k_src, v_src],
        );
        let attn_out = match self.opts.attention {
            Attention::Flash => self.op(
                format!("{p}.flash"),
                Some(l),
                OpKind::FlashAttn {
                    heads: h,
                    kv_heads: kvh,
                    head_dim: d,
                },
                t(h * d),
                &[q_ready, kvw],
            ),
            Attention::Unfused => {
                let scores = Shape(vec![Dim::B, Dim::c(h), Dim::S, Dim::L]);
                let qk = self.op(
                    format!("{p}.qk"),
                    Some(l),
                    OpKind::AttnQk {
                        heads: h,
                        kv_heads: kvh,
                        head_dim: d,
                    },
                    scores.clone(),
                    &[q_ready, kvw],
                );
                let sm = self.op(
                    format!("{p}.softmax"),
                    Some(l),
                    OpKind::Softmax { heads: h },
                    scores,
                    &[qk],
                );
                self.op(
                    format!("{p}.sv"),
                    Some(l),
                    OpKind::AttnSv {
                        heads: h,
                        kv_heads: kvh,
                        head_dim: d,
                    },
                    t(h * d),
                    &[sm, kvw],
                )
            }
        };
        self.linear(
            format!("{p}.o_proj"),
            l,
            LinearRole::O,
            s.q_dim(),
            s.hidden,
            s.linear_bias,
            attn_out,
        )
    }

    fn mlp(&mut self, l: u32, x: OpId) -> OpId {
        let s = self.spec;
        let (dm, i) = (s.hidden, s.intermediate);
        let bias = s.linear_bias;
        let act = OpKind::Act { func: s.act };
        if let Some(moe) = s.moe {
            let p = format!("layer{l}.moe");
            let router = self.linear(
                format!("{p}.router"),
                l,
                LinearRole::Router,
                dm,
                moe.experts,
                false,
                x,
            );
            let topk = self.op(
                format!("{p}.topk"),
                Some(l),
                OpKind::TopK {
                    experts: moe.experts,
                    top_k: moe.top_k,
                },
                Shape(vec![Dim::TOKENS, Dim::c(moe.top_k)]),
                &[router],
            );
            let routed = |n: u64| Shape(vec![Dim::TOKENS * Dim::c(moe.top_k), Dim::c(n)]);
            let ml = |role, k, n| OpKind::MoeLinear {
                role,
                k,
                n,
                experts: moe.experts,
                top_k: moe.top_k,
            };
            let gated = if self.opts.fuse_gate_up {
                let gu = self.op(
                    format!("{p}.gate_up_proj"),
                    Some(l),
                    ml(LinearRole::GateUp, dm, 2 * i),
                    routed(2 * i),
                    &[x, topk],
                );
                let a = self.op(format!("{p}.act"), Some(l), act, routed(i), &[gu]);
                self.op(
                    format!("{p}.mul"),
                    Some(l),
                    OpKind::Mul,
                    routed(i),
                    &[a, gu],
                )
            } else {
                let g = self.op(
                    format!("{p}.gate_proj"),
                    Some(l),
                    ml(LinearRole::Gate, dm, i),
                    routed(i),
                    &[x, topk],
                );
                let u = self.op(
                    format!("{p}.up_proj"),
                    Some(l),
                    ml(LinearRole::Up, dm, i),
                    routed(i),
                    &[x, topk],
                );
                let a = self.op(format!("{p}.act"), Some(l), act, routed(i), &[g]);
                self.op(format!("{p}.mul"), Some(l), OpKind::Mul, routed(i), &[a, u])
            };
            return self.op(
                format!("{p}.down_proj"),
                Some(l),
                ml(LinearRole::Down, i, dm),
                t(dm),
                &[gated, topk],
            );
        }
        let p = format!("layer{l}.mlp");
        let h = if s.gated_mlp {
            if self.opts.fuse_gate_up {
                let gu = self.linear(
                    format!("{p}.gate_up_proj"),
                    l,
                    LinearRole::GateUp,
                    dm,
                    2 * i,
                    bias,
                    x,
                );
                let a = self.op(format!("{p}.act"), Some(l), act, t(i), &[gu]);
                self.op(format!("{p}.mul"), Some(l), OpKind::Mul, t(i), &[a, gu])
            } else {
                let g = self.linear(
                    format!("{p}.gate_proj"),
                    l,
                    LinearRole::Gate,
                    dm,
                    i,
                    bias,
                    x,
                );
                let u = self.linear(format!("{p}.up_proj"), l, LinearRole::Up, dm, i, bias, x);
                let a = self.op(format!("{p}.act"), Some(l), act, t(i), &[g]);
                self.op(format!("{p}.mul"), Some(l), OpKind::Mul, t(i), &[a, u])
            }
        } else {
            let u = self.linear(format!("{p}.up_proj"), l, LinearRole::Up, dm, i, bias, x);
            self.op(format!("{p}.act"), Some(l), act, t(i), &[u])
        };
        self.linear(
            format!("{p}.down_proj"),
            l,
            LinearRole::Down,
            i,
            dm,
            bias,
            h,
        )
    }
}

impl Graph {
    /// Builds the graph of a (validated) model.
    pub fn build(spec: &ModelSpec, opts: BuildOptions) -> Graph {
        let mut b = B {
            g: Graph::new(),
            spec,
            opts,
        };
        let d = spec.hidden;
        let norm = |dim| OpKind::Norm {
            kind: spec.norm,
            dim,
        };
        let mut x = b.op(
            "embed".into(),
            None,
            OpKind::Embedding {
                vocab: spec.vocab,
                dim: d,
                positions: spec.position_rows(),
                tied: spec.tied_embeddings,
            },
            t(d),
            &[],
        );
        for l in 0..spec.layers as u32 {
            let n1 = b.op(format!("layer{l}.attn_norm"), Some(l), norm(d), t(d), &[x]);
            let a = b.attention(l, n1);
            let r1 = b.op(
                format!("layer{l}.attn_residual"),
                Some(l),
                OpKind::Add,
                t(d),
                &[x, a],
            );
            let n2 = b.op(format!("layer{l}.mlp_norm"), Some(l), norm(d), t(d), &[r1]);
            let m = b.mlp(l, n2);
            x = b.op(
                format!("layer{l}.mlp_residual"),
                Some(l),
                OpKind::Add,
                t(d),
                &[r1, m],
            );
        }
        let f = b.op("final_norm".into(), None, norm(d), t(d), &[x]);
        // Logits only for the last token of each sequence: M = B (not B*S).
        b.op(
            "lm_head".into(),
            None,
            OpKind::Linear {
                role: LinearRole::LmHead,
                k: d,
                n: spec.vocab,
                bias: false,
            },
            Shape(vec![Dim::B, Dim::c(spec.vocab)]),
            &[f],
        );
        b.g
    }
}
