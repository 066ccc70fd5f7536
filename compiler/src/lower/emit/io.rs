//! Transfers: block input rows, weight chunks, parameter blobs, RoPE rows,
//! the logits and the optional per-layer debug dumps.

use super::{Block, Emitter};
use crate::lower::kernels::{Kernel, KernelKind, View};
use llmfab_isa::instr::{Buf, Load, Op, Store};
use llmfab_models::OpId;

/// Largest `row_bytes` of one transfer row (24-bit field).
const MAX_ROW: u64 = (1 << 24) - 1;

impl Emitter<'_> {
    /// Loads the block's embedded input rows into `out`.
    pub(crate) fn input(&mut self, op: OpId, out: View, b: &Block) {
        let (addr, pitch) = self.at(out, 0);
        let (base, row, _) = self.cx.map.input;
        self.push(
            Op::Load(Load {
                ch: 0,
                buf: Buf::Abuf as u64,
                rows: b.rows,
                row_bytes: row,
                hbm_addr: base + b.t0 * row,
                hbm_stride: row,
                buf_addr: addr,
                buf_stride: pitch,
            }),
            op,
        );
    }

    /// Loads weight chunk `i` of the stream into its slot, one transfer per channel.
    pub(crate) fn load_chunk(&mut self, i: usize) {
        let (op, ci) = self.wseq_at(i);
        let cfg = self.cx.cfg;
        let t = self.cx.wt.of(op);
        let c = t.chunks[ci];
        let slot_row = (i as u64 % self.cx.wt.slots) * self.cx.wt.slot_rows;
        let slice = cfg.slice_bytes();
        let base = self.cx.map.weights[op.0 as usize].expect("placed") + c.row0 * slice;
        let total = c.rows() * slice;
        // One row when it fits the field, else rows of whole slices.
        let (rows, row_bytes) = if total <= MAX_ROW {
            (1, total)
        } else {
            let per = (1..=c.rows())
                .rev()
                .find(|d| c.rows().is_multiple_of(*d) && d * slice <= MAX_ROW)
                .unwrap_or(1);
            (c.rows() / per, per * slice)
        };
        for ch in 0..cfg.channels as u64 {
            self.push(
                Op::Load(Load {
                    ch,
                    buf: Buf::Wbuf as u64,
                    rows,
                    row_bytes,
                    hbm_addr: base,
                    hbm_stride: row_bytes,
                    buf_addr: slot_row * cfg.tile_bytes() + ch * slice,
                    buf_stride: 0,
                }),
                op,
            );
        }
    }

    /// Loads parameter blob `i` of the stream into its SBUF slot.
    pub(crate) fn load_blob(&mut self, i: usize) {
        let bi = self.bseq_at(i);
        let blob = &self.cx.params.blobs[bi];
        let prov = self.cx.ks.kernels[blob.items[0].kernel].op;
        self.push(
            Op::Load(Load {
                ch: 0,
                buf: Buf::Sbuf as u64,
                rows: 1,
                row_bytes: blob.bytes,
                hbm_addr: self.cx.map.blobs[bi],
                hbm_stride: 0,
                buf_addr: self.lay.sbuf_params[i % 2],
                buf_stride: 0,
            }),
            prov,
        );
    }

    /// Loads the RoPE rows of the block's positions (in a batched decode
    /// step, the one position's row once per sequence).
    pub(crate) fn rope_rows(&mut self, b: &Block) {
        let Some(rope) = self
            .cx
            .ks
            .kernels
            .iter()
            .find(|k| matches!(k.kind, KernelKind::Rope { .. }))
        else {
            return;
        };
        let (base, row) = self.cx.map.rope;
        self.push(
            Op::Load(Load {
                ch: 0,
                buf: Buf::Sbuf as u64,
                rows: b.rows,
                row_bytes: row,
                hbm_addr: base + b.p0 * row,
                hbm_stride: if self.batched() { 0 } else { row },
                buf_addr: self.lay.sbuf_rope,
                buf_stride: row,
            }),
            rope.op,
        );
    }

    /// Stores the logits row (in a batched decode step, one row per
    /// sequence of the block, after the rows of the sequences before it).
    pub(crate) fn output(&mut self, op: OpId, x: View, b: &Block) {
        let (addr, pitch) = self.at(x, 0);
        let (base, bytes) = self.cx.map.logits;
        let (rows, first) = if self.batched() {
            (self.rows_of(x, b), b.t0)
        } else {
            (1, 0)
        };
        self.push(
            Op::Store(Store {
                ch: 0,
                buf: Buf::Abuf as u64,
                rows,
                row_bytes: bytes,
                hbm_addr: base + first * bytes,
                hbm_stride: if rows > 1 { bytes } else { 0 },
                buf_addr: addr,
                buf_stride: if rows > 1 { pitch } else { 0 },
            }),
            op,
        );
    }

    /// Stores the layer's output rows to the debug region (when reserved).
    pub(crate) fn debug_dump(&mut self, k: &Kernel, layer: u32, b: &Block) {
        let Some(base) = self.cx.map.debug_rows(layer as u64) else {
            return;
        };
        let KernelKind::Add { out, .. } = k.kind else {
            return;
        };
        let (addr, pitch) = self.at(out, 0);
        let row = self.cx.map.input.1;
        self.push(
            Op::Store(Store {
                ch: 0,
                buf: Buf::Abuf as u64,
                rows: b.rows,
                row_bytes: row,
                hbm_addr: base + b.t0 * row,
                hbm_stride: row,
                buf_addr: addr,
                buf_stride: pitch,
            }),
            k.op,
        );
    }
}
