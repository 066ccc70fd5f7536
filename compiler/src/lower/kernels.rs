//! Pass `kernels` (legalize): graph ops → engine kernels over ABUF values.
//!
//! Each kernel is one unit of engine work with the graph op it comes from
//! (its provenance); tensors become *views* (a column range) of ABUF
//! *values*. q, k and v of a layer share one value `[q | k | v]` (so RoPE
//! rotates q and k in one instruction); element-wise ops run in place when
//! no later op reads the old data and the other operand lives in another
//! value (the engine's overlap rule compares whole row spans).
//! Attention (`attn_qk` → `softmax` → `attn_sv`, or `flash_attn`) becomes one
//! kernel. The embedding gather runs on the host (its output is the
//! program's input) and learned position embeddings are added there too.
//! Ops the engine cannot run are collected into one error.
//!
//! ```text
//! before:  %3 = linear q_proj(%2)   %4 = linear k_proj(%2)   %6 = rope(%3, %4)
//! after:   linear q_proj  h[0..4096] -> qkv[0..4096]
//!          linear k_proj  h[0..4096] -> qkv[4096..5120]
//!          rope           qkv[0..5120] (in place)
//! ```

use crate::CompileError;
use llmfab_models::graph::{LinearRole, OpKind};
use llmfab_models::{ActFn, Graph, NormKind, OpId};

/// Index of an ABUF value.
pub type ValueId = u32;

/// Columns `[col, col + width)` of a value, all of its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// The value.
    pub value: ValueId,
    /// First column.
    pub col: u64,
    /// Columns.
    pub width: u64,
}

impl View {
    fn sub(self, col: u64, width: u64) -> View {
        View {
            value: self.value,
            col: self.col + col,
            width,
        }
    }
}

/// How many rows a value has in a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// One per token of the block.
    Block,
    /// One (the block's last token: final norm, lm_head).
    One,
}

/// An activation value living in ABUF.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// Name (the op that first writes it).
    pub name: String,
    /// Columns.
    pub width: u64,
    /// Rows per block.
    pub rows: Rows,
}

/// What a kernel computes.
#[derive(Clone, Debug, PartialEq)]
pub enum KernelKind {
    /// The block's input rows (embedded by the host) are loaded into `out`.
    Input {
        /// Destination.
        out: View,
    },
    /// RMSNorm / LayerNorm; `last_row` normalises only the block's last row.
    Norm {
        /// Which norm.
        kind: NormKind,
        /// Input.
        x: View,
        /// Output.
        out: View,
        /// Only the last row (final norm before lm_head).
        last_row: bool,
    },
    /// `out = x · W (+ b)`.
    Linear {
        /// Role.
        role: LinearRole,
        /// Input features.
        k: u64,
        /// Output features.
        n: u64,
        /// Has a bias.
        bias: bool,
        /// Input.
        x: View,
        /// Output.
        out: View,
    },
    /// RoPE over the q|k columns, in place.
    Rope {
        /// Head width.
        head_dim: u64,
        /// The q|k columns.
        x: View,
    },
    /// Quantise the block's keys and values into the KV cache.
    KvWrite {
        /// KV heads.
        kv_heads: u64,
        /// Head width.
        head_dim: u64,
        /// Keys (after RoPE).
        k: View,
        /// Values.
        v: View,
    },
    /// Causal attention of the block's queries over the cache.
    Attention {
        /// Query heads.
        heads: u64,
        /// KV heads.
        kv_heads: u64,
        /// Head width.
        head_dim: u64,
        /// Queries.
        q: View,
        /// Output.
        out: View,
        /// Op of the scores (`attn_qk` or `flash_attn`), provenance of QKᵀ.
        qk: OpId,
        /// Op of the softmax (provenance).
        softmax: OpId,
        /// Op of P·V (provenance; its σ is the output's).
        sv: OpId,
        /// The kv_write op whose cache is read.
        kv: OpId,
    },
    /// Element-wise activation through a table (ReLU, SiLU, GELU).
    Act {
        /// Function.
        func: ActFn,
        /// Input.
        x: View,
        /// Output (may equal the input).
        out: View,
    },
    /// `out = a·imm0 + b·imm1` (residual).
    Add {
        /// First operand.
        a: View,
        /// Second operand.
        b: View,
        /// Output (may equal an input).
        out: View,
    },
    /// `out = a·b`.
    Mul {
        /// First operand.
        a: View,
        /// Second operand.
        b: View,
        /// Output (may equal an input).
        out: View,
    },
    /// Store the logits (the last row of `x`) to the output region.
    Output {
        /// The logits.
        x: View,
    },
}

/// One kernel with its provenance.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// The graph op (provenance).
    pub op: OpId,
    /// Decoder layer, if any.
    pub layer: Option<u32>,
    /// What it computes.
    pub kind: KernelKind,
}

impl Kernel {
    /// Runs only in the last block of a phase (final norm, lm_head, output).
    pub fn last_block_only(&self) -> bool {
        match &self.kind {
            KernelKind::Norm { last_row, .. } => *last_row,
            KernelKind::Linear { role, .. } => *role == LinearRole::LmHead,
            KernelKind::Output { .. } => true,
            _ => false,
        }
    }
    /// Views read and written (for liveness).
    pub fn views(&self) -> Vec<View> {
        use KernelKind::*;
        match &self.kind {
            Input { out } => vec![*out],
            Norm { x, out, .. } | Linear { x, out, .. } | Act { x, out, .. } => vec![*x, *out],
            Rope { x, .. } => vec![*x],
            KvWrite { k, v, .. } => vec![*k, *v],
            Attention { q, out, .. } => vec![*q, *out],
            Add { a, b, out } | Mul { a, b, out } => vec![*a, *b, *out],
            Output { x } => vec![*x],
        }
    }
}

/// The kernel program of one model: kernels in execution order and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernels {
    /// Kernels in order.
    pub kernels: Vec<Kernel>,
    /// ABUF values.
    pub values: Vec<Value>,
    /// The embedding op (host), whose σ is the input's.
    pub embed: OpId,
    /// The lm_head op.
    pub lm_head: OpId,
    /// Hidden width.
    pub hidden: u64,
    /// Vocabulary.
    pub vocab: u64,
    /// Remarks for the compile report (host fallbacks).
    pub notes: Vec<String>,
}

struct Legalize<'a> {
    g: &'a Graph,
    values: Vec<Value>,
    view_of: Vec<Option<View>>,
    kernels: Vec<Kernel>,
    errors: Vec<(String, String)>,
    /// Position of each op in graph order.
    pos: Vec<usize>,
}

impl Legalize<'_> {
    fn value(&mut self, name: &str, width: u64, rows: Rows) -> View {
        self.values.push(Value {
            name: name.to_string(),
            width,
            rows,
        });
        View {
            value: self.values.len() as u32 - 1,
            col: 0,
            width,
        }
    }
    fn input(&self, id: OpId, slot: usize) -> Option<(OpId, View)> {
        let (p, _) = *self.g.inputs(id).get(slot)?;
        Some((p, self.view_of[p.0 as usize]?))
    }
    /// True when op `at` may overwrite `view` (the output of `producer`):
    /// no later consumer of `producer` reads overlapping columns of it.
    fn may_overwrite(&self, at: OpId, producer: OpId, view: View) -> bool {
        let pos = |id: OpId| self.pos[id.0 as usize];
        let here = pos(at);
        self.g
            .consumers(producer)
            .into_iter()
            .filter(|c| *c != at && pos(*c) > here)
            .all(|c| {
                let read = self.consumer_view(c, producer);
                read.is_none_or(|r| {
                    r.value != view.value
                        || r.col + r.width <= view.col
                        || view.col + view.width <= r.col
                })
            })
    }
    /// The view a later consumer reads of `producer`'s output (None: all of it).
    fn consumer_view(&self, consumer: OpId, producer: OpId) -> Option<View> {
        let v = self.view_of[producer.0 as usize]?;
        let op = self.g.op(consumer);
        match &op.kind {
            OpKind::KvWrite {
                kv_heads, head_dim, ..
            } => {
                let kvd = kv_heads * head_dim;
                let slot = self
                    .g
                    .inputs(consumer)
                    .iter()
                    .position(|(p, _)| *p == producer)?;
                Some(if slot == 0 {
                    k_part(self.g, producer, v, kvd)
                } else {
                    v_part(self.g, producer, v, kvd)
                })
            }
            OpKind::Add | OpKind::Mul => {
                let slot = self
                    .g
                    .inputs(consumer)
                    .iter()
                    .position(|(p, _)| *p == producer)?;
                let w = op.out.0.last().map_or(v.width, |d| d.coeff);
                Some(if slot == 1 && v.width == 2 * w {
                    v.sub(w, w)
                } else {
                    v
                })
            }
            _ => Some(v),
        }
    }
}

/// The key columns of `v`, the output of `producer`: all of a `k_proj`,
/// the k after q in a RoPE output (q|k) or a fused q|k|v.
fn k_part(g: &Graph, producer: OpId, v: View, kvd: u64) -> View {
    match &g.op(producer).kind {
        OpKind::Rope {
            heads, head_dim, ..
        } => v.sub(heads * head_dim, kvd),
        OpKind::Linear {
            role: LinearRole::Qkv,
            n,
            ..
        } => v.sub(n - 2 * kvd, kvd),
        _ => v.sub(0, kvd),
    }
}

/// The value columns of `v`, the output of `producer` (a `v_proj` or a fused q|k|v).
fn v_part(g: &Graph, producer: OpId, v: View, kvd: u64) -> View {
    match &g.op(producer).kind {
        OpKind::Linear {
            role: LinearRole::Qkv,
            n,
            ..
        } => v.sub(n - kvd, kvd),
        _ => v.sub(0, kvd),
    }
}

/// Runs the pass.
pub fn run(g: &Graph) -> Result<Kernels, CompileError> {
    let n = g.ops().map(|(id, _)| id.0 as usize + 1).max().unwrap_or(0);
    let mut pos = vec![0; n];
    for (i, (id, _)) in g.ops().enumerate() {
        pos[id.0 as usize] = i;
    }
    let mut lz = Legalize {
        g,
        values: Vec::new(),
        view_of: vec![None; n],
        kernels: Vec::new(),
        errors: Vec::new(),
        pos,
    };
    let mut notes = Vec::new();
    let (mut embed, mut lm_head, mut hidden, mut vocab) = (None, None, 0, 0);
    // Per-layer shared values: [q|k|v] and [gate|up], sized from the layer's linears.
    let mut qkv_width: std::collections::BTreeMap<u32, (u64, u64, u64)> = Default::default();
    for (_, op) in g.ops() {
        if let (OpKind::Linear { role, n, .. }, Some(l)) = (&op.kind, op.layer) {
            let e = qkv_width.entry(l).or_default();
            match role {
                LinearRole::Q => e.0 = *n,
                LinearRole::K => e.1 = *n,
                LinearRole::V => e.2 = *n,
                _ => {}
            }
        }
    }
    let mut shared: std::collections::BTreeMap<(u32, u8), View> = Default::default();
    let mut consumed = vec![false; n];
    let ids: Vec<OpId> = g.ops().map(|(id, _)| id).collect();
    for &id in &ids {
        if consumed[id.0 as usize] {
            continue;
        }
        let op = g.op(id);
        let layer = op.layer;
        let l = layer.unwrap_or(0);
        let push = |lz: &mut Legalize, kind: KernelKind| {
            lz.kernels.push(Kernel {
                op: id,
                layer,
                kind,
            })
        };
        match &op.kind {
            OpKind::Embedding {
                dim,
                positions,
                vocab: v,
                ..
            } => {
                let out = lz.value("x", *dim, Rows::Block);
                lz.view_of[id.0 as usize] = Some(out);
                push(&mut lz, KernelKind::Input { out });
                notes.push(format!("{}: the embedding gather runs on the host; the program's input is the embedded hidden state", op.name));
                if *positions > 0 {
                    notes.push(format!(
                        "{}: learned position embeddings are added on the host with the gather",
                        op.name
                    ));
                }
                embed = Some(id);
                hidden = *dim;
                vocab = *v;
            }
            OpKind::Norm { kind, dim } => {
                let Some((_, x)) = lz.input(id, 0) else {
                    continue;
                };
                let last_row = g.consumers(id).iter().all(|c| {
                    matches!(
                        g.op(*c).kind,
                        OpKind::Linear {
                            role: LinearRole::LmHead,
                            ..
                        }
                    )
                });
                let out = lz.value(
                    &op.name,
                    *dim,
                    if last_row { Rows::One } else { Rows::Block },
                );
                lz.view_of[id.0 as usize] = Some(out);
                push(
                    &mut lz,
                    KernelKind::Norm {
                        kind: *kind,
                        x,
                        out,
                        last_row,
                    },
                );
            }
            OpKind::Linear {
                role,
                k,
                n: nn,
                bias,
            } => {
                let Some((_, x)) = lz.input(id, 0) else {
                    continue;
                };
                let out = match role {
                    LinearRole::Q | LinearRole::K | LinearRole::V => {
                        let (q, kk, v) = qkv_width[&l];
                        let base = *shared.entry((l, 0)).or_insert_with(|| {
                            lz.value(&format!("layer{l}.attn.qkv"), q + kk + v, Rows::Block)
                        });
                        match role {
                            LinearRole::Q => base.sub(0, *nn),
                            LinearRole::K => base.sub(q, *nn),
                            _ => base.sub(q + kk, *nn),
                        }
                    }
                    LinearRole::Router => {
                        lz.errors.push((
                            op.name.clone(),
                            "MoE routing needs data-dependent control flow the engine lacks".into(),
                        ));
                        continue;
                    }
                    LinearRole::LmHead => {
                        lm_head = Some(id);
                        lz.value(&op.name, *nn, Rows::One)
                    }
                    _ => lz.value(&op.name, *nn, Rows::Block),
                };
                lz.view_of[id.0 as usize] = Some(out);
                push(
                    &mut lz,
                    KernelKind::Linear {
                        role: *role,
                        k: *k,
                        n: *nn,
                        bias: *bias,
                        x,
                        out,
                    },
                );
            }
            OpKind::Rope {
                heads,
                kv_heads,
                head_dim,
            } => {
                let Some((p0, first)) = lz.input(id, 0) else {
                    continue;
                };
                let width = (heads + kv_heads) * head_dim;
                let x = View {
                    value: first.value,
                    col: first.col,
                    width,
                };
                let ok = lz.may_overwrite(id, p0, x)
                    && lz
                        .input(id, 1)
                        .is_none_or(|(p1, _)| lz.may_overwrite(id, p1, x));
                if !ok || first.col != 0 || lz.values[first.value as usize].width < width {
                    lz.errors.push((
                        op.name.clone(),
                        "RoPE inputs are not laid out as adjacent q|k columns".into(),
                    ));
                    continue;
                }
                lz.view_of[id.0 as usize] = Some(x);
                push(
                    &mut lz,
                    KernelKind::Rope {
                        head_dim: *head_dim,
                        x,
                    },
                );
            }
            OpKind::KvWrite { kv_heads, head_dim } => {
                let kvd = kv_heads * head_dim;
                let (Some((pk, k)), Some((pv, v))) = (lz.input(id, 0), lz.input(id, 1)) else {
                    continue;
                };
                let (k, v) = (k_part(g, pk, k, kvd), v_part(g, pv, v, kvd));
                push(
                    &mut lz,
                    KernelKind::KvWrite {
                        kv_heads: *kv_heads,
                        head_dim: *head_dim,
                        k,
                        v,
                    },
                );
            }
            OpKind::AttnQk {
                heads,
                kv_heads,
                head_dim,
            }
            | OpKind::FlashAttn {
                heads,
                kv_heads,
                head_dim,
            } => {
                let Some((_, qv)) = lz.input(id, 0) else {
                    continue;
                };
                let Some((kv, _)) = g.inputs(id).get(1).copied() else {
                    continue;
                };
                let q = qv.sub(0, heads * head_dim);
                let (softmax, sv) = if let OpKind::FlashAttn { .. } = op.kind {
                    (id, id)
                } else {
                    let sv = crate::qplan::attention_out(g, id);
                    let sm = g
                        .consumers(id)
                        .into_iter()
                        .find(|c| matches!(g.op(*c).kind, OpKind::Softmax { .. }));
                    match (sm, sv) {
                        (Some(sm), Some(sv)) => (sm, sv),
                        _ => {
                            lz.errors.push((
                                op.name.clone(),
                                "attention scores must feed one softmax and one attn_sv".into(),
                            ));
                            continue;
                        }
                    }
                };
                consumed[softmax.0 as usize] = true;
                consumed[sv.0 as usize] = true;
                let out = lz.value(&g.op(sv).name, heads * head_dim, Rows::Block);
                lz.view_of[sv.0 as usize] = Some(out);
                push(
                    &mut lz,
                    KernelKind::Attention {
                        heads: *heads,
                        kv_heads: *kv_heads,
                        head_dim: *head_dim,
                        q,
                        out,
                        qk: id,
                        softmax,
                        sv,
                        kv,
                    },
                );
            }
            OpKind::Softmax { .. } | OpKind::AttnSv { .. } => {
                lz.errors.push((
                    op.name.clone(),
                    "softmax / attn_sv outside an attn_qk → softmax → attn_sv chain".into(),
                ));
            }
            OpKind::Act { func } => {
                let Some((p, x)) = lz.input(id, 0) else {
                    continue;
                };
                let x = x.sub(0, op.out.0.last().map_or(x.width, |d| d.coeff.min(x.width)));
                let out = if lz.may_overwrite(id, p, x) {
                    x
                } else {
                    lz.value(&op.name, x.width, Rows::Block)
                };
                lz.view_of[id.0 as usize] = Some(out);
                push(
                    &mut lz,
                    KernelKind::Act {
                        func: *func,
                        x,
                        out,
                    },
                );
            }
            OpKind::Add | OpKind::Mul => {
                let (Some((pa, a)), Some((_, b0))) = (lz.input(id, 0), lz.input(id, 1)) else {
                    continue;
                };
                // gate_up fused: the second operand is the up half.
                let b = if b0.width == 2 * a.width && b0.value == a.value {
                    b0.sub(a.width, a.width)
                } else {
                    b0
                };
                // In place only when the other operand lives elsewhere (the
                // engine's overlap rule compares whole row spans).
                let apart = b.value != a.value;
                let out = if apart && lz.may_overwrite(id, pa, a) {
                    a
                } else {
                    lz.value(&op.name, a.width, Rows::Block)
                };
                lz.view_of[id.0 as usize] = Some(out);
                let kind = if op.kind == OpKind::Add {
                    KernelKind::Add { a, b, out }
                } else {
                    KernelKind::Mul { a, b, out }
                };
                push(&mut lz, kind);
            }
            OpKind::MoeLinear { .. } | OpKind::TopK { .. } => {
                lz.errors.push((op.name.clone(), "mixture-of-experts routing needs data-dependent control flow the engine lacks (no host fallback)".into()));
            }
        }
    }
    if !lz.errors.is_empty() {
        return Err(CompileError::Unsupported { ops: lz.errors });
    }
    let (Some(embed), Some(lm_head)) = (embed, lm_head) else {
        return Err(CompileError::Unsupported {
            ops: vec![(
                "graph".into(),
                "expected an embedding and an lm_head".into(),
            )],
        });
    };
    let logits = lz.view_of[lm_head.0 as usize].expect("lm_head lowered");
    lz.kernels.push(Kernel {
        op: lm_head,
        layer: None,
        kind: KernelKind::Output { x: logits },
    });
    Ok(Kernels {
        kernels: lz.kernels,
        values: lz.values,
        embed,
        lm_head,
        hidden,
        vocab,
        notes,
    })
}
