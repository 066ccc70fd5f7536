//! Pass `emit`: kernels → engine instructions, block by block, each with its
//! provenance (the graph op). No dependency flags yet (pass `tokens` adds
//! them from the footprints); program order already places every load one
//! chunk ahead of the compute that needs it (software pipelining over the
//! two weight-buffer slots, the two SBUF parameter slots and the KV windows).
//!
//! ```text
//! before:  linear layer0.attn.q_proj  x=h[0..4096] -> qkv[0..4096]  (2 chunks)
//! after:   load ch=0..31 wbuf <- chunk 0 slices   @ layer0.attn.q_proj
//!          load ch=0..31 wbuf <- chunk 1 slices   @ layer0.attn.q_proj
//!          matmul mode=1 m=1 n=2048 k=4096 ...    @ layer0.attn.q_proj
//!          requant acc -> abuf ...                @ layer0.attn.q_proj
//!          matmul ... (slot 1); requant ...       @ layer0.attn.q_proj
//! ```

mod attention;
mod io;
mod kv;
mod linear;
mod vector;

use crate::lower::alloc::Layout;
use crate::lower::kernels::{KernelKind, Rows, View};
use crate::lower::{Ctx, Phase};
use llmfab_isa::instr::{Instr, Op};
use llmfab_models::OpId;

/// Where a block sits in the phase.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Block {
    /// Rows (tokens) in this block.
    pub rows: u64,
    /// Position of the block's first token (in a batched decode step: of
    /// every row).
    pub p0: u64,
    /// Index of the block's first row among the phase's rows (in a batched
    /// decode step: its first sequence).
    pub t0: u64,
    /// Last block of the phase.
    pub last: bool,
}

/// Instruction sink with the streaming state of the weight and parameter
/// buffers.
pub(crate) struct Emitter<'a> {
    pub cx: &'a Ctx<'a>,
    pub lay: &'a Layout,
    pub ph: &'a Phase,
    pub instrs: Vec<Instr>,
    pub prov: Vec<u32>,
    /// Weight chunks in consumption order: (op, chunk index).
    wseq: Vec<(OpId, usize)>,
    /// Next weight chunk to load / to consume.
    wload: usize,
    wuse: usize,
    /// Parameter blobs in consumption order.
    bseq: Vec<usize>,
    bload: usize,
    buse: usize,
    /// Alternates the KV staging areas.
    pub stage_turn: usize,
}

impl<'a> Emitter<'a> {
    pub(crate) fn push(&mut self, op: Op, prov: OpId) {
        self.instrs.push(Instr::new(op));
        self.prov.push(prov.0);
    }

    pub(crate) fn wseq_at(&self, i: usize) -> (OpId, usize) {
        self.wseq[i]
    }

    pub(crate) fn bseq_at(&self, i: usize) -> usize {
        self.bseq[i]
    }

    /// Matrix mode: matrix-vector for decode steps (one token per
    /// sequence: a batch's rows each take one cycle per tile, where
    /// matrix-matrix mode pays `rows` cycles per tile for any `m ≤ rows`),
    /// else matrix-matrix.
    pub(crate) fn mode(&self) -> u64 {
        u64::from(self.ph.seq == 1)
    }

    /// True in a batched decode step: row `i` of a block is sequence `t0 + i`.
    pub(crate) fn batched(&self) -> bool {
        self.ph.is_batched()
    }

    /// ABUF address of row `row`, column `col` of a view, and its pitch.
    pub(crate) fn at(&self, v: View, row: u64) -> (u64, u64) {
        let p = self.lay.values[v.value as usize];
        (
            p.addr + row * p.pitch + v.col * self.cx.cfg.act_bytes(),
            p.pitch,
        )
    }

    /// Rows of a view's value in `b` (single-row values hold the block's
    /// last token; in a batched decode step, every sequence's).
    pub(crate) fn rows_of(&self, v: View, b: &Block) -> u64 {
        match self.cx.ks.values[v.value as usize].rows {
            Rows::Block => b.rows,
            Rows::One if self.batched() => b.rows,
            Rows::One => 1,
        }
    }

    /// Makes chunk `wuse` resident (loading ahead the one after it) and
    /// returns its weight-buffer row.
    pub(crate) fn next_weights(&mut self) -> u64 {
        let i = self.wuse;
        while self.wload <= (i + 1).min(self.wseq.len().saturating_sub(1))
            && self.wload < self.wseq.len()
        {
            self.load_chunk(self.wload);
            self.wload += 1;
        }
        self.wuse += 1;
        (i as u64 % self.cx.wt.slots) * self.cx.wt.slot_rows
    }

    /// Makes the next parameter blob resident (loading ahead the one after)
    /// and returns its SBUF address.
    pub(crate) fn next_params(&mut self) -> u64 {
        let i = self.buse;
        while self.bload <= (i + 1).min(self.bseq.len().saturating_sub(1))
            && self.bload < self.bseq.len()
        {
            self.load_blob(self.bload);
            self.bload += 1;
        }
        self.buse += 1;
        self.lay.sbuf_params[i % 2]
    }
}

/// Kernels that run in block `b` (every kernel in every block of a batched
/// decode step: each sequence needs its logits).
fn runs(k: &crate::lower::kernels::Kernel, b: &Block, ph: &Phase) -> bool {
    b.last || ph.is_batched() || !k.last_block_only()
}

/// Runs the pass for one phase.
pub(crate) fn run(cx: &Ctx, lay: &Layout, ph: &Phase) -> (Vec<Instr>, Vec<u32>) {
    let blocks: Vec<Block> = (0..lay.blocks)
        .map(|i| {
            let t0 = i * lay.mb;
            Block {
                rows: lay.mb.min(ph.rows() - t0),
                p0: if ph.is_batched() {
                    ph.start()
                } else {
                    ph.start() + t0
                },
                t0,
                last: i + 1 == lay.blocks,
            }
        })
        .collect();
    // Consumption order of weight chunks and parameter blobs.
    let mut wseq = Vec::new();
    let mut bseq = Vec::new();
    for b in &blocks {
        let mut last_blob = None;
        for (i, k) in cx.ks.kernels.iter().enumerate() {
            if !runs(k, b, ph) {
                continue;
            }
            if let KernelKind::Linear { .. } = k.kind {
                let n = cx.wt.of(k.op).chunks.len();
                wseq.extend((0..n).map(|c| (k.op, c)));
            }
            if let Some((bi, _)) = cx.params.of_kernel[i] {
                if last_blob != Some(bi) {
                    bseq.push(bi);
                    last_blob = Some(bi);
                }
            }
        }
    }
    let mut e = Emitter {
        cx,
        lay,
        ph,
        instrs: Vec::new(),
        prov: Vec::new(),
        wseq,
        wload: 0,
        wuse: 0,
        bseq,
        bload: 0,
        buse: 0,
        stage_turn: 0,
    };
    let last_of_layer = last_kernel_of_layers(cx);
    for b in &blocks {
        let mut blob_sbuf = None;
        let mut last_blob = None;
        e.rope_rows(b);
        for (i, k) in cx.ks.kernels.iter().enumerate() {
            if !runs(k, b, ph) {
                continue;
            }
            let item = cx.params.of_kernel[i].map(|(bi, ii)| {
                if last_blob != Some(bi) {
                    blob_sbuf = Some(e.next_params());
                    last_blob = Some(bi);
                }
                blob_sbuf.unwrap_or(0) + cx.params.blobs[bi].items[ii].offset
            });
            match &k.kind {
                KernelKind::Input { out } => e.input(k.op, *out, b),
                KernelKind::Norm {
                    kind,
                    x,
                    out,
                    last_row,
                } => {
                    let last_row = *last_row && !ph.is_batched();
                    e.norm(k.op, *kind, *x, *out, last_row, item.unwrap_or(0), b)
                }
                KernelKind::Linear { x, out, bias, .. } => e.linear(i, k.op, *x, *out, *bias, b),
                KernelKind::Rope { head_dim, x } => e.rope(k.op, *head_dim, *x, b),
                KernelKind::KvWrite {
                    kv_heads,
                    head_dim,
                    k: kk,
                    v,
                } => e.kv_write(k.op, *kv_heads, *head_dim, *kk, *v, b),
                KernelKind::Attention { .. } => e.attention(i, k, b),
                KernelKind::Act { x, out, .. } => e.act(k.op, *x, *out, item.unwrap_or(0), b),
                KernelKind::Add { a, b: bb, out } => e.add(k.op, *a, *bb, *out, b),
                KernelKind::Mul { a, b: bb, out } => e.mul(k.op, *a, *bb, *out, b),
                KernelKind::Output { x } => e.output(k.op, *x, b),
            }
            if let (Some(l), true) = (
                k.layer,
                last_of_layer.get(&k.layer.unwrap_or(0)) == Some(&i),
            ) {
                e.debug_dump(k, l, b);
            }
        }
    }
    e.push(Op::Halt(Default::default()), cx.ks.lm_head);
    (e.instrs, e.prov)
}

/// Index of the last kernel of every layer.
fn last_kernel_of_layers(cx: &Ctx) -> std::collections::BTreeMap<u32, usize> {
    let mut m = std::collections::BTreeMap::new();
    for (i, k) in cx.ks.kernels.iter().enumerate() {
        if let Some(l) = k.layer {
            m.insert(l, i);
        }
    }
    m
}
