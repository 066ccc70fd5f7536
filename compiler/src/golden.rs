//! The graph-level integer interpreter: runs a quantised graph op by op
//! with the plan's constants, in plain loops over whole tensors — no
//! blocks, tiles, buffers or tokens. It is written from the instruction
//! semantics of docs/engine.md, independently of the lowering, so running a
//! compiled program on the reference interpreter and this model on the same
//! data tests the lowering end to end.

use crate::data::Weights;
use crate::qplan::{OpQuant, QuantPlan};
use crate::sfu;
use llmfab_isa::tables::{rnd, rsqrt, sat, wrap32, EXP};
use llmfab_models::graph::{LinearRole, OpKind};
use llmfab_models::{ActFn, Graph, NormKind, OpId};

type T = Vec<Vec<i64>>;

/// The KV cache of every layer (in kv_write order): rows by position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KvCache {
    /// Per layer: keys, `[position][kv_heads · head_dim]`.
    pub k: Vec<T>,
    /// Per layer: values.
    pub v: Vec<T>,
}

/// Results of one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Outputs {
    /// Logits of the last token.
    pub logits: Vec<i64>,
    /// Output rows of every layer (the residual stream after it).
    pub layers: Vec<T>,
}

/// Runs `seq = input.len()` new tokens at positions `start..` through `graph`.
pub fn run(
    graph: &Graph,
    plan: &QuantPlan,
    w: &Weights,
    rope_theta: f64,
    input: &[Vec<i64>],
    start: u64,
    cache: &mut KvCache,
) -> Outputs {
    let n = plan.ops.len();
    let ab = plan.act_bits;
    let kvb = plan.kv_bits;
    let g = plan.group_size as usize;
    let mut val: Vec<Option<T>> = vec![None; n];
    let mut probs: Vec<Option<Vec<T>>> = vec![None; n];
    let mut layers: Vec<T> = Vec::new();
    let mut kv_index = 0usize;
    let mut kv_of: Vec<Option<usize>> = vec![None; n];
    let rows = input.len();
    let get = |val: &Vec<Option<T>>, id: OpId| val[id.0 as usize].clone().expect("input computed");
    for (id, op) in graph.ops() {
        let ins: Vec<OpId> = graph.inputs(id).iter().map(|(p, _)| *p).collect();
        let i = id.0 as usize;
        let out: Option<T> = match (&op.kind, plan.op(id)) {
            (OpKind::Embedding { .. }, _) => Some(input.to_vec()),
            (OpKind::Norm { kind, dim }, OpQuant::Norm(q)) => {
                let x = get(&val, ins[0]);
                let last_only = graph.consumers(id).iter().all(|c| {
                    matches!(
                        graph.op(*c).kind,
                        OpKind::Linear {
                            role: LinearRole::LmHead,
                            ..
                        }
                    )
                });
                let xs: T = if last_only {
                    vec![x[rows - 1].clone()]
                } else {
                    x
                };
                let nw = w.norm(id);
                Some(
                    xs.iter()
                        .map(|r| {
                            let d = *dim as usize;
                            if *kind == NormKind::RmsNorm {
                                let ss: i64 = r.iter().map(|v| v * v).sum();
                                let ms = rnd(ss * q.imm0 as i64, q.imm1);
                                let v = (ms + q.imm2 as i64).clamp(1, (1i64 << 32) - 1);
                                let inv = rsqrt(v as u64) as i64;
                                (0..d)
                                    .map(|j| sat(rnd(r[j] * inv * nw.gamma[j] as i64, q.shift), ab))
                                    .collect()
                            } else {
                                let s1: i64 = r.iter().sum();
                                let s2: i64 = r.iter().map(|v| v * v).sum();
                                let mu = rnd(s1 * q.imm0 as i64, q.imm1);
                                let e2 = rnd(s2 * q.imm0 as i64, q.imm1);
                                let v = ((e2 - mu * mu).max(0) + q.imm2 as i64)
                                    .clamp(1, (1i64 << 32) - 1);
                                let inv = rsqrt(v as u64) as i64;
                                (0..d)
                                    .map(|j| {
                                        sat(
                                            rnd((r[j] - mu) * inv * nw.gamma[j] as i64, q.shift)
                                                + nw.beta[j] as i64,
                                            ab,
                                        )
                                    })
                                    .collect()
                            }
                        })
                        .collect(),
                )
            }
            (OpKind::Linear { role, .. }, OpQuant::Linear(q)) => {
                let mut x = get(&val, ins[0]);
                if *role == LinearRole::LmHead && x.len() > 1 {
                    x = vec![x[x.len() - 1].clone()];
                }
                let lw = w.linear(id);
                let (k, nn) = (lw.k as usize, lw.n as usize);
                let ng = k.div_ceil(g);
                Some(
                    x.iter()
                        .map(|r| {
                            (0..nn)
                                .map(|c| {
                                    let mut acc = 0i64;
                                    for gi in 0..ng {
                                        let mut p = 0i64;
                                        for (kk, x) in r
                                            .iter()
                                            .enumerate()
                                            .take(((gi + 1) * g).min(k))
                                            .skip(gi * g)
                                        {
                                            p += x * lw.q[kk * nn + c] as i64;
                                        }
                                        let p = wrap32(p);
                                        acc = wrap32(
                                            acc + wrap32(rnd(
                                                p * lw.s[gi * nn + c] as i64,
                                                q.dq_shift,
                                            )),
                                        );
                                    }
                                    let y = sat(rnd(acc * q.out.mult, q.out.shift), ab);
                                    match (&lw.bias, q.bias) {
                                        (Some(b), Some(bq)) => {
                                            sat(rnd(y * bq.imm0 + b[c] * bq.imm1, bq.shift), ab)
                                        }
                                        _ => y,
                                    }
                                })
                                .collect()
                        })
                        .collect(),
                )
            }
            (
                OpKind::Rope {
                    heads,
                    kv_heads,
                    head_dim,
                },
                _,
            ) => {
                let cols = ((heads + kv_heads) * head_dim) as usize;
                let x: T = if ins.len() == 2 {
                    let (a, b) = (get(&val, ins[0]), get(&val, ins[1]));
                    a.iter()
                        .zip(&b)
                        .map(|(ra, rb)| ra.iter().chain(rb).copied().collect())
                        .collect()
                } else {
                    get(&val, ins[0])
                        .into_iter()
                        .map(|r| r[..cols].to_vec())
                        .collect()
                };
                let h = *head_dim as usize;
                Some(
                    x.iter()
                        .enumerate()
                        .map(|(m, r)| {
                            let t = sfu::rope_row(start + m as u64, *head_dim, rope_theta);
                            let mut y = r.clone();
                            for j in 0..cols / h {
                                for ii in 0..h / 2 {
                                    let (x1, x2) = (r[j * h + ii], r[j * h + ii + h / 2]);
                                    let (c, s) = (t[2 * ii] as i64, t[2 * ii + 1] as i64);
                                    y[j * h + ii] = sat(rnd(x1 * c - x2 * s, 14), ab);
                                    y[j * h + ii + h / 2] = sat(rnd(x2 * c + x1 * s, 14), ab);
                                }
                            }
                            y
                        })
                        .collect(),
                )
            }
            (OpKind::KvWrite { kv_heads, head_dim }, OpQuant::KvWrite(q)) => {
                let kvd = (kv_heads * head_dim) as usize;
                let ks = key_cols(graph, ins[0], get(&val, ins[0]), kvd);
                let vs = value_cols(graph, ins[1], get(&val, ins[1]), kvd);
                if cache.k.len() <= kv_index {
                    cache.k.push(Vec::new());
                    cache.v.push(Vec::new());
                }
                let (ck, cv) = (&mut cache.k[kv_index], &mut cache.v[kv_index]);
                for m in 0..rows {
                    let p = start as usize + m;
                    if ck.len() <= p {
                        ck.resize(p + 1, vec![0; kvd]);
                        cv.resize(p + 1, vec![0; kvd]);
                    }
                    ck[p] = ks[m]
                        .iter()
                        .map(|x| sat(rnd(x * q.k.mult, q.k.shift), kvb))
                        .collect();
                    cv[p] = vs[m]
                        .iter()
                        .map(|x| sat(rnd(x * q.v.mult, q.v.shift), kvb))
                        .collect();
                }
                kv_of[i] = Some(kv_index);
                kv_index += 1;
                None
            }
            (
                OpKind::AttnQk {
                    heads,
                    kv_heads,
                    head_dim,
                }
                | OpKind::FlashAttn {
                    heads,
                    kv_heads,
                    head_dim,
                },
                OpQuant::Attention(q),
            ) => {
                let li = kv_of[ins[1].0 as usize].expect("kv_write before attention");
                let qv = get(&val, ins[0]);
                let (h, d, grp) = (
                    *heads as usize,
                    *head_dim as usize,
                    (heads / kv_heads) as usize,
                );
                let f = ab - 1;
                let mut p_all: Vec<T> = vec![Vec::new(); h];
                let mut out: T = vec![vec![0; h * d]; rows];
                for hh in 0..h {
                    let j = hh / grp;
                    for m in 0..rows {
                        let pos = start as usize + m;
                        let scores: Vec<i64> = (0..=pos)
                            .map(|l| {
                                wrap32(
                                    (0..d)
                                        .map(|dd| qv[m][hh * d + dd] * cache.k[li][l][j * d + dd])
                                        .sum::<i64>(),
                                )
                            })
                            .collect();
                        let mx = *scores.iter().max().expect("one position");
                        let e: Vec<i64> = scores
                            .iter()
                            .map(|x| {
                                EXP[rnd((mx - x) * q.sm_imm0 as i64, q.sm_shift).min(255) as usize]
                                    as i64
                            })
                            .collect();
                        let sum: i64 = e.iter().sum();
                        let r = (1i64 << 32) / sum;
                        let p: Vec<i64> = e
                            .iter()
                            .map(|ei| {
                                ((ei * r + (1i64 << (31 - f))) >> (32 - f)).min((1i64 << f) - 1)
                            })
                            .collect();
                        for n2 in 0..d {
                            let acc = wrap32(
                                (0..=pos)
                                    .map(|l| p[l] * cache.v[li][l][j * d + n2])
                                    .sum::<i64>(),
                            );
                            out[m][hh * d + n2] = sat(rnd(acc * q.out.mult, q.out.shift), ab);
                        }
                        p_all[hh].push(p);
                    }
                }
                probs[i] = Some(p_all);
                if let OpKind::FlashAttn { .. } = op.kind {
                    Some(out)
                } else {
                    let sv = crate::qplan::attention_out(graph, id).expect("attn_sv");
                    val[sv.0 as usize] = Some(out);
                    None
                }
            }
            (OpKind::Softmax { .. } | OpKind::AttnSv { .. }, _) => None,
            (OpKind::Act { func }, OpQuant::Act { table }) => {
                let x = get(&val, ins[0]);
                let width = op.out.0.last().map_or(0, |d| d.coeff) as usize;
                Some(
                    x.iter()
                        .map(|r| {
                            r[..width]
                                .iter()
                                .map(|v| act(*func, table, *v, ab))
                                .collect()
                        })
                        .collect(),
                )
            }
            (OpKind::Add, OpQuant::Add(q)) => {
                let (a, b) = (get(&val, ins[0]), get(&val, ins[1]));
                let w0 = a[0].len();
                let b = halves(b, w0);
                let y: T = a
                    .iter()
                    .zip(&b)
                    .map(|(ra, rb)| {
                        ra.iter()
                            .zip(rb)
                            .map(|(x, y)| sat(rnd(x * q.imm0 + y * q.imm1, q.shift), ab))
                            .collect()
                    })
                    .collect();
                if op.layer.is_some()
                    && graph
                        .consumers(id)
                        .iter()
                        .all(|c| graph.op(*c).layer != op.layer)
                {
                    layers.push(y.clone());
                }
                Some(y)
            }
            (OpKind::Mul, OpQuant::Mul { imm0, shift }) => {
                let (a, b) = (get(&val, ins[0]), get(&val, ins[1]));
                let w0 = a[0].len();
                let b = halves(b, w0);
                Some(
                    a.iter()
                        .zip(&b)
                        .map(|(ra, rb)| {
                            ra.iter()
                                .zip(rb)
                                .map(|(x, y)| sat(rnd(x * y * imm0, *shift), ab))
                                .collect()
                        })
                        .collect(),
                )
            }
            _ => None,
        };
        if let Some(o) = out {
            val[i] = Some(o);
        }
    }
    let lm = graph
        .ops()
        .find(|(_, o)| {
            matches!(
                o.kind,
                OpKind::Linear {
                    role: LinearRole::LmHead,
                    ..
                }
            )
        })
        .map(|(id, _)| id);
    let logits = lm
        .and_then(|id| val[id.0 as usize].clone())
        .map(|t| t[0].clone())
        .unwrap_or_default();
    Outputs { logits, layers }
}

/// The up half of a fused gate|up value (when `b` is twice as wide as the other operand).
fn halves(b: T, w0: usize) -> T {
    if b.first().is_some_and(|r| r.len() == 2 * w0) {
        b.into_iter().map(|r| r[w0..].to_vec()).collect()
    } else {
        b
    }
}

fn key_cols(graph: &Graph, producer: OpId, x: T, kvd: usize) -> T {
    let off = match graph.op(producer).kind {
        OpKind::Rope {
            heads, head_dim, ..
        } => (heads * head_dim) as usize,
        OpKind::Linear {
            role: LinearRole::Qkv,
            n,
            ..
        } => n as usize - 2 * kvd,
        _ => 0,
    };
    x.into_iter().map(|r| r[off..off + kvd].to_vec()).collect()
}

fn value_cols(graph: &Graph, producer: OpId, x: T, kvd: usize) -> T {
    let off = match graph.op(producer).kind {
        OpKind::Linear {
            role: LinearRole::Qkv,
            n,
            ..
        } => n as usize - kvd,
        _ => 0,
    };
    x.into_iter().map(|r| r[off..off + kvd].to_vec()).collect()
}

/// One activation-table lookup (interpolated at 16 bits).
fn act(_f: ActFn, t: &[i16], x: i64, ab: u32) -> i64 {
    if ab == 8 {
        sat(t[(x + 128) as usize] as i64, ab)
    } else {
        let i = ((x >> 8) + 128) as usize;
        let fr = x & 255;
        let (a, b) = (t[i] as i64, t[i + 1] as i64);
        sat(a + rnd((b - a) * fr, 8), ab)
    }
}
