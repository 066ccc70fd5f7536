//! Attention of the block's queries over the KV cache, per KV head: scores
//! `Q·Kᵀ` into ACC one KV window at a time, a (causal) softmax into ABUF,
//! then `P·V` accumulated window by window and requantised into the output
//! columns. Decode runs the query heads of a GQA group as the rows of one
//! pass (in a batched step, one such pass per sequence over its own cache);
//! prefill runs each head over row sub-blocks of the block.
//!
//! KV windows (two for keys, two for values) are assigned least-recently
//! used in consumption order and filled one request ahead.

use super::kv::Fill;
use super::linear::field_i16;
use super::{Block, Emitter};
use crate::lower::kernels::{Kernel, KernelKind};
use crate::qplan::OpQuant;
use llmfab_isa::instr::{Buf, Matmul, Op, Requant, Softmax};

/// One pass: `rows` query rows against one KV head.
#[derive(Clone, Copy, Debug)]
struct Pass {
    seq: u64,
    head: u64,
    a_addr: u64,
    a_pitch: u64,
    rows: u64,
    /// Positions attended (`[0, lend)`).
    lend: u64,
    /// Causal offset: row `i` sees positions `≤ i + off`.
    causal: Option<u64>,
    dst: u64,
    dst_pitch: u64,
}

impl Emitter<'_> {
    /// Emits attention kernel `ki`.
    pub(crate) fn attention(&mut self, ki: usize, k: &Kernel, b: &Block) {
        let KernelKind::Attention {
            heads,
            kv_heads,
            head_dim: d,
            q,
            out,
            qk,
            softmax,
            sv,
            kv,
        } = k.kind
        else {
            return;
        };
        let OpQuant::Attention(aq) = self.cx.plan.op(qk).clone() else {
            unreachable!("attention constants")
        };
        let cfg = self.cx.cfg;
        let ab = cfg.act_bytes();
        let rb = cfg.kv_row_bytes as u64;
        let g = heads / kv_heads;
        let lay = self.lay;
        let lc = lay.kv_chunk;
        let decode = self.ph.seq == 1;
        let l_total = if decode {
            self.ph.kv_len
        } else {
            b.p0 + b.rows
        };
        let probs = lay.scratch[ki].expect("attention scratch");
        let mut passes = Vec::new();
        let seqs = if decode { b.rows } else { 0 };
        for s in 0..seqs {
            for j in 0..kv_heads {
                let mut h0 = 0;
                while h0 < g {
                    let hp = lay.attn_rows.min(g - h0);
                    let (qa, _) = self.at(q, s);
                    let (oa, _) = self.at(out, s);
                    let off = (j * g + h0) * d * ab;
                    passes.push(Pass {
                        seq: b.t0 + s,
                        head: j,
                        a_addr: qa + off,
                        a_pitch: d * ab,
                        rows: hp,
                        lend: l_total,
                        causal: None,
                        dst: oa + off,
                        dst_pitch: d * ab,
                    });
                    h0 += hp;
                }
            }
        }
        if !decode {
            for j in 0..kv_heads {
                for hh in 0..g {
                    let h = j * g + hh;
                    let mut r0 = 0;
                    while r0 < b.rows {
                        let rows = lay.attn_rows.min(b.rows - r0);
                        let (qa, qp) = self.at(q, r0);
                        let (oa, op) = self.at(out, r0);
                        passes.push(Pass {
                            seq: 0,
                            head: j,
                            a_addr: qa + h * d * ab,
                            a_pitch: qp,
                            rows,
                            lend: b.p0 + r0 + rows,
                            causal: Some(b.p0 + r0),
                            dst: oa + h * d * ab,
                            dst_pitch: op,
                        });
                        r0 += rows;
                    }
                }
            }
        }
        // Fill requests in consumption order, then window assignment (LRU per kind).
        let mut reqs: Vec<Fill> = Vec::new();
        for p in &passes {
            for kind in 0..2 {
                let mut c0 = 0;
                while c0 < p.lend {
                    reqs.push(Fill {
                        seq: p.seq,
                        head: p.head,
                        kind,
                        c0,
                        len: lc.min(l_total - c0),
                    });
                    c0 += lc;
                }
            }
        }
        let mut held: [Option<Fill>; 4] = [None; 4];
        let mut lru = [0usize, 2usize]; // least recently used window per kind
        let mut assign: Vec<(usize, bool)> = Vec::with_capacity(reqs.len());
        for r in &reqs {
            let base = 2 * r.kind as usize;
            if let Some(w) = (base..base + 2).find(|&w| held[w] == Some(*r)) {
                lru[r.kind as usize] = if w == base { base + 1 } else { base };
                assign.push((w, false));
            } else {
                let w = lru[r.kind as usize];
                held[w] = Some(*r);
                lru[r.kind as usize] = if w == base { base + 1 } else { base };
                assign.push((w, true));
            }
        }
        let mut filled = 0usize;
        let mut next = 0usize;
        let mode = u64::from(decode);
        for p in &passes {
            for kind in 0..2 {
                let prov = if kind == 0 { qk } else { sv };
                let mut c0 = 0;
                while c0 < p.lend {
                    let r = next;
                    next += 1;
                    while filled <= (r + 1).min(reqs.len() - 1) {
                        let (w, miss) = assign[filled];
                        if miss {
                            let fp = if reqs[filled].kind == 0 { qk } else { sv };
                            self.kv_fill(fp, kv, reqs[filled], lay.kv_win[w], b);
                        }
                        filled += 1;
                    }
                    let win = lay.kv_win[assign[r].0];
                    let len = lc.min(p.lend - c0);
                    let mm = if kind == 0 {
                        Matmul {
                            mode,
                            bsrc: 1,
                            btrans: 1,
                            m: p.rows,
                            n: len,
                            k: d,
                            a_addr: p.a_addr,
                            a_pitch: p.a_pitch,
                            b_addr: win * rb,
                            acc_addr: c0 * 4,
                            acc_pitch: lay.score_pitch,
                            bbits: cfg.kv_bits as u64,
                            abits: cfg.act_bits as u64,
                            ..Default::default()
                        }
                    } else {
                        Matmul {
                            mode,
                            bsrc: 1,
                            accumulate: u64::from(c0 > 0),
                            m: p.rows,
                            n: d,
                            k: len,
                            a_addr: probs.addr + c0 * ab,
                            a_pitch: probs.pitch,
                            b_addr: win * rb,
                            acc_addr: lay.attn_out_acc,
                            acc_pitch: lay.attn_out_pitch,
                            bbits: cfg.kv_bits as u64,
                            abits: cfg.act_bits as u64,
                            ..Default::default()
                        }
                    };
                    self.push(Op::Matmul(mm), prov);
                    c0 += lc;
                }
                if kind == 0 {
                    self.push(
                        Op::Softmax(Softmax {
                            flags: u64::from(p.causal.is_some()),
                            shift: aq.sm_shift as u64,
                            m: p.rows,
                            n: p.lend,
                            src: 0,
                            src_pitch: lay.score_pitch,
                            dst: probs.addr,
                            dst_pitch: probs.pitch,
                            imm0: aq.sm_imm0 as u64,
                            imm2: p.causal.unwrap_or(0),
                        }),
                        softmax,
                    );
                }
            }
            self.push(
                Op::Requant(Requant {
                    src: Buf::Acc as u64,
                    dst: Buf::Abuf as u64,
                    col_scale: 0,
                    shift: aq.out.shift as u64,
                    m: p.rows,
                    n: d,
                    src_addr: lay.attn_out_acc,
                    src_pitch: lay.attn_out_pitch,
                    dst_addr: p.dst,
                    dst_pitch: p.dst_pitch,
                    mult: field_i16(aq.out.mult),
                    s_addr: 0,
                }),
                sv,
            );
        }
    }
}
