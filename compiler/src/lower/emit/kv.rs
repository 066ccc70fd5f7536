//! The KV cache: writing the block's keys and values (requantised into a
//! KVBUF staging area, then stored row by row to the channel that owns each
//! position, `p mod CH`) and filling KV windows for attention (old positions
//! loaded from HBM by their channels, the block's own positions requantised
//! straight from the activations). In a batched decode step row `i` of the
//! block is sequence `t0 + i`, each with its own cache (`KvMap::row`).

use super::linear::field_i16;
use super::{Block, Emitter};
use crate::lower::kernels::{KernelKind, View};
use crate::qplan::{KvQ, OpQuant};
use llmfab_isa::instr::{Buf, Load, Op, Requant, Store};
use llmfab_models::OpId;

/// One KV window fill: positions `[c0, c0 + len)` of head `head` of
/// sequence `seq`, keys (0) or values (1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fill {
    pub seq: u64,
    pub head: u64,
    pub kind: u64,
    pub c0: u64,
    pub len: u64,
}

impl Emitter<'_> {
    fn kv_q(&self, kv_op: OpId) -> KvQ {
        match self.cx.plan.op(kv_op) {
            OpQuant::KvWrite(q) => *q,
            _ => unreachable!("kv_write constants"),
        }
    }

    /// The (k, v) views of a kv_write op.
    pub(crate) fn kv_views(&self, kv_op: OpId) -> (View, View) {
        let ki = self.cx.kv_kernel[kv_op.0 as usize].expect("kv_write kernel");
        match self.cx.ks.kernels[ki].kind {
            KernelKind::KvWrite { k, v, .. } => (k, v),
            _ => unreachable!("kv_write kernel"),
        }
    }

    /// Requantises rows `[p_s, p_e)` (positions) of head `head`'s keys or
    /// values from the activations into KVBUF rows `row0`, `row0 + step`, ….
    #[allow(clippy::too_many_arguments)]
    fn kv_requant(
        &mut self,
        prov: OpId,
        kv_op: OpId,
        head: u64,
        kind: u64,
        p_s: u64,
        p_e: u64,
        (row0, step): (u64, u64),
        b: &Block,
    ) {
        let cfg = self.cx.cfg;
        let (kview, vview) = self.kv_views(kv_op);
        let view = if kind == 0 { kview } else { vview };
        let d = self.cx.head_dim;
        let q = self.kv_q(kv_op);
        let f = if kind == 0 { q.k } else { q.v };
        let (src, sp) = self.at(
            View {
                value: view.value,
                col: view.col + head * d,
                width: d,
            },
            p_s - b.p0,
        );
        let rb = cfg.kv_row_bytes as u64;
        self.push(
            Op::Requant(Requant {
                src: Buf::Abuf as u64,
                dst: Buf::Kvbuf as u64,
                col_scale: 0,
                shift: f.shift as u64,
                m: p_e - p_s,
                n: d,
                src_addr: src,
                src_pitch: sp,
                dst_addr: row0 * rb,
                dst_pitch: step * rb,
                mult: field_i16(f.mult),
                s_addr: 0,
            }),
            prov,
        );
    }

    /// Writes the block's keys and values of every KV head to the cache.
    pub(crate) fn kv_write(
        &mut self,
        op: OpId,
        kv_heads: u64,
        _head_dim: u64,
        _k: View,
        _v: View,
        b: &Block,
    ) {
        let cfg = self.cx.cfg;
        let ch = cfg.channels as u64;
        let rb = cfg.kv_row_bytes as u64;
        let layer = self.cx.kv_slot[op.0 as usize].expect("kv slot");
        if self.batched() {
            return self.kv_write_batched(op, kv_heads, layer, b);
        }
        for kind in 0..2 {
            for j in 0..kv_heads {
                let st = self.lay.kv_stage[self.stage_turn % 2];
                self.stage_turn += 1;
                let first_row = st + b.p0 % ch;
                self.kv_requant(op, op, j, kind, b.p0, b.p0 + b.rows, (first_row, 1), b);
                for c in 0..ch {
                    let p_f = b.p0 + (c + ch - b.p0 % ch) % ch;
                    if p_f >= b.p0 + b.rows {
                        continue;
                    }
                    let count = (b.p0 + b.rows - p_f).div_ceil(ch);
                    let (chan, addr) = self.cx.map.kv.row(ch, 0, layer, j, kind, p_f);
                    debug_assert_eq!(chan, c);
                    self.push(
                        Op::Store(Store {
                            ch: c,
                            buf: Buf::Kvbuf as u64,
                            rows: count,
                            row_bytes: rb,
                            hbm_addr: addr,
                            hbm_stride: rb,
                            buf_addr: (first_row + p_f - b.p0) * rb,
                            buf_stride: ch * rb,
                        }),
                        op,
                    );
                }
            }
        }
    }

    /// A batched decode step's keys and values: each head's rows (one per
    /// sequence) requantised into a staging area — `CH` rows apart, so that
    /// every row sits in the KVBUF bank of the position's channel — then one
    /// row stored to each sequence's cache at the step's position.
    fn kv_write_batched(&mut self, op: OpId, kv_heads: u64, layer: u64, b: &Block) {
        let cfg = self.cx.cfg;
        let ch = cfg.channels as u64;
        let rb = cfg.kv_row_bytes as u64;
        for kind in 0..2 {
            for j in 0..kv_heads {
                let st = self.lay.kv_stage[self.stage_turn % 2];
                self.stage_turn += 1;
                let first = st + b.p0 % ch;
                self.kv_requant(op, op, j, kind, b.p0, b.p0 + b.rows, (first, ch), b);
                for i in 0..b.rows {
                    let (c, addr) = self.cx.map.kv.row(ch, b.t0 + i, layer, j, kind, b.p0);
                    self.push(
                        Op::Store(Store {
                            ch: c,
                            buf: Buf::Kvbuf as u64,
                            rows: 1,
                            row_bytes: rb,
                            hbm_addr: addr,
                            hbm_stride: rb,
                            buf_addr: (first + i * ch) * rb,
                            buf_stride: rb,
                        }),
                        op,
                    );
                }
            }
        }
    }

    /// Fills KV window rows `win..` with `f`'s positions of layer `kv_op`:
    /// positions before the block from HBM, the block's own from the
    /// activations — except for a one-token block (decode), whose own row
    /// `kv_write` has just stored: it is loaded with the others, so that
    /// attention issues no `requant` into KVBUF while window fills hold
    /// the KVBUF write port (engine.md §4; the store → load order through
    /// memory is derived like every other dependency).
    pub(crate) fn kv_fill(&mut self, prov: OpId, kv_op: OpId, f: Fill, win: u64, b: &Block) {
        let cfg = self.cx.cfg;
        let ch = cfg.channels as u64;
        let rb = cfg.kv_row_bytes as u64;
        let layer = self.cx.kv_slot[kv_op.0 as usize].expect("kv slot");
        let end = f.c0 + f.len;
        let decode = self.ph.seq == 1;
        let old_end = if decode { end } else { end.min(b.p0) };
        // In a prefill block the loads go from the last channel to the
        // first: `kv_write` stored these rows channel by channel in
        // ascending order, so the first load's edge from its store implies
        // the others' (one dependency `nop` per fill instead of one per
        // channel; docs/compiler.md §5).
        let order: Vec<u64> = if !decode {
            (0..ch).rev().collect()
        } else {
            (0..ch).collect()
        };
        for c in order {
            let p_f = f.c0 + c;
            if p_f >= old_end {
                continue;
            }
            let count = (old_end - p_f).div_ceil(ch);
            let (_, addr) = self.cx.map.kv.row(ch, f.seq, layer, f.head, f.kind, p_f);
            self.push(
                Op::Load(Load {
                    ch: c,
                    buf: Buf::Kvbuf as u64,
                    rows: count,
                    row_bytes: rb,
                    hbm_addr: addr,
                    hbm_stride: rb,
                    buf_addr: (win + p_f - f.c0) * rb,
                    buf_stride: ch * rb,
                }),
                prov,
            );
        }
        let new_s = f.c0.max(b.p0);
        if new_s < end && old_end <= b.p0 {
            self.kv_requant(
                prov,
                kv_op,
                f.head,
                f.kind,
                new_s,
                end,
                (win + new_s - f.c0, 1),
                b,
            );
        }
    }
}
