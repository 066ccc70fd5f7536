//! `KvAddr`: one KV bank's read request for a B block.
//!
//! A block reads `nrows` consecutive KV rows starting at row `r0` (the `R`
//! rows `k` of a k-tile when `btrans = 0`, the `C` rows `n` of an n-tile
//! when `btrans = 1`), one `KW`-byte word from each. Row `r0 + p` lives in
//! bank `(r0 + p) mod NB`, so bank `idx` serves block row
//! `p = (idx − r0) mod NB` (`rot = r0 mod NB`) and reads
//! `base + p·kv_row_bytes`, where `base` is the word of row `r0`. The
//! generated top rotates the banks' words back into block order.

use rust_hdl::prelude::*;

/// Address generator of KV bank `idx`. Combinational.
#[derive(LogicBlock, Default)]
pub struct KvAddr {
    /// Logical KVBUF byte address of block row 0's word.
    pub base: Signal<In, Bits<32>>,
    /// `r0 mod NB`.
    pub rot: Signal<In, Bits<32>>,
    /// `NB − 1`.
    pub nbm1: Signal<In, Bits<32>>,
    /// This bank (constant).
    pub idx: Signal<In, Bits<32>>,
    /// `log2 kv_row_bytes`.
    pub lgkvr: Signal<In, Bits<5>>,
    /// Rows the block needs (the others are not read).
    pub nrows: Signal<In, Bits<32>>,
    /// The block is read this cycle.
    pub en: Signal<In, Bit>,
    /// This bank reads.
    pub ren: Signal<Out, Bit>,
    /// This bank's address.
    pub addr: Signal<Out, Bits<32>>,
    p: Signal<Local, Bits<32>>,
}

impl Logic for KvAddr {
    #[hdl_gen]
    fn update(&mut self) {
        self.p.next = (self.idx.val() - self.rot.val()) & self.nbm1.val();
        self.ren.next = self.en.val() & (self.p.val() < self.nrows.val());
        self.addr.next = self.base.val() + (self.p.val() << self.lgkvr.val());
    }
}
