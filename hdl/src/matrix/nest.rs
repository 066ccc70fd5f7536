//! `Nest`: the loop nest of a `matmul` with its address generators.
//!
//! ```text
//! for mb in 0..ceil(M/rb)          row blocks (rb = R matrix-matrix, 1 matrix-vector)
//!   for nt in 0..ceil(N/C)         n-tiles
//!     for t in 0..ceil(K/R)        k-tiles (groups of gt = G/R tiles when dequantising)
//!       for slot in 0..=slm1       slots of a block (R matrix-matrix, 1 matrix-vector)
//! ```
//!
//! One position per cycle while `adv` is high, from the cycle after `go`.
//! Addresses are kept incrementally (no multipliers): the A word of row
//! `mb·rb + slot` and k-tile `t`, the weight-buffer tile row, the KV block
//! base, the ACC word of row `mb·rb + slot` and n-tile `nt`, and the scale
//! vector index `v = nt·NG + g`. The controller runs several copies of
//! this nest, each started at its own cycle (issue, compute, scale, drain).

use rust_hdl::prelude::*;

/// Loop nest and address generators (see the module docs).
#[derive(LogicBlock, Default)]
pub struct Nest {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// Start at the first position in the next cycle.
    pub go: Signal<In, Bit>,
    /// Advance to the next position at the end of this cycle.
    pub adv: Signal<In, Bit>,
    /// Slots per block − 1.
    pub slm1: Signal<In, Bits<32>>,
    /// Rows per block.
    pub rb: Signal<In, Bits<32>>,
    /// `M`, `N`, `K`.
    pub m: Signal<In, Bits<32>>,
    /// Columns.
    pub n: Signal<In, Bits<32>>,
    /// Reduction length.
    pub k: Signal<In, Bits<32>>,
    /// `R` (k per tile).
    pub cr: Signal<In, Bits<32>>,
    /// `C` (n per tile).
    pub cc: Signal<In, Bits<32>>,
    /// Tiles per group − 1 (all ones: one group per pass).
    pub gtm1: Signal<In, Bits<32>>,
    /// A address of row 0, k-tile 0.
    pub a0: Signal<In, Bits<32>>,
    /// Bytes between A rows.
    pub apitch: Signal<In, Bits<32>>,
    /// Bytes between A row blocks (`rb·a_pitch`).
    pub ablk: Signal<In, Bits<32>>,
    /// Bytes per k-tile of an A row (`R·ab`).
    pub rab: Signal<In, Bits<32>>,
    /// Weight tile row of `b_addr`.
    pub trow0: Signal<In, Bits<32>>,
    /// KV byte address of the first block.
    pub kv0: Signal<In, Bits<32>>,
    /// KV address step per n-tile.
    pub kvns: Signal<In, Bits<32>>,
    /// KV address step per k-tile.
    pub kvts: Signal<In, Bits<32>>,
    /// ACC address of row 0, n-tile 0.
    pub acc0: Signal<In, Bits<32>>,
    /// Bytes between ACC rows.
    pub accpitch: Signal<In, Bits<32>>,
    /// Bytes between ACC row blocks.
    pub accblk: Signal<In, Bits<32>>,
    /// Bytes per n-tile of an ACC row (`4C`).
    pub accns: Signal<In, Bits<32>>,
    /// A position is current.
    pub act: Signal<Out, Bit>,
    /// Slot in the block.
    pub slot: Signal<Out, Bits<32>>,
    /// First k-tile of a group.
    pub gfirst: Signal<Out, Bit>,
    /// Last k-tile of a group.
    pub glast: Signal<Out, Bit>,
    /// An earlier group of this pass (row block, n-tile) has finished.
    pub gnz: Signal<Out, Bit>,
    /// Last k-tile.
    pub klast: Signal<Out, Bit>,
    /// High for one cycle after the last position.
    pub fin: Signal<Out, Bit>,
    /// Rows of A left from this row block (`M − mb·rb`).
    pub mrem: Signal<Out, Bits<32>>,
    /// Columns left from this n-tile.
    pub nrem: Signal<Out, Bits<32>>,
    /// Reduction indices left from this k-tile.
    pub krem: Signal<Out, Bits<32>>,
    /// Scale vector index `nt·NG + g`.
    pub v: Signal<Out, Bits<32>>,
    /// A word address.
    pub aaddr: Signal<Out, Bits<32>>,
    /// Weight tile row.
    pub trow: Signal<Out, Bits<32>>,
    /// KV block address.
    pub kvaddr: Signal<Out, Bits<32>>,
    /// ACC word address.
    pub accaddr: Signal<Out, Bits<32>>,
    actr: DFF<Bit>,
    finr: DFF<Bit>,
    slotr: DFF<Bits<32>>,
    mremr: DFF<Bits<32>>,
    nremr: DFF<Bits<32>>,
    kremr: DFF<Bits<32>>,
    gcnt: DFF<Bits<32>>,
    gnzr: DFF<Bit>,
    vr: DFF<Bits<32>>,
    arow: DFF<Bits<32>>,
    at: DFF<Bits<32>>,
    aslot: DFF<Bits<32>>,
    trowr: DFF<Bits<32>>,
    kvn: DFF<Bits<32>>,
    kvt: DFF<Bits<32>>,
    accrow: DFF<Bits<32>>,
    accn: DFF<Bits<32>>,
    accslot: DFF<Bits<32>>,
    slast: Signal<Local, Bit>,
    kl: Signal<Local, Bit>,
    gl: Signal<Local, Bit>,
    nl: Signal<Local, Bit>,
    ml: Signal<Local, Bit>,
}

impl Logic for Nest {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, actr, finr, slotr, mremr, nremr, kremr, gcnt, gnzr, vr, arow, at, aslot,
            trowr, kvn, kvt, accrow, accn, accslot
        );
        self.slast.next = self.slotr.q.val() == self.slm1.val();
        self.kl.next = self.kremr.q.val() <= self.cr.val();
        self.gl.next = (self.gcnt.q.val() == self.gtm1.val()) | self.kl.val();
        self.nl.next = self.nremr.q.val() <= self.cc.val();
        self.ml.next = self.mremr.q.val() <= self.rb.val();
        self.act.next = self.actr.q.val();
        self.fin.next = self.finr.q.val();
        self.slot.next = self.slotr.q.val();
        self.gfirst.next = self.gcnt.q.val() == 0u32.to_bits::<32>();
        self.glast.next = self.gl.val();
        self.gnz.next = self.gnzr.q.val();
        self.klast.next = self.kl.val();
        self.mrem.next = self.mremr.q.val();
        self.nrem.next = self.nremr.q.val();
        self.krem.next = self.kremr.q.val();
        self.v.next = self.vr.q.val();
        self.aaddr.next = self.arow.q.val() + self.at.q.val() + self.aslot.q.val();
        self.trow.next = self.trowr.q.val();
        self.kvaddr.next = self.kvn.q.val() + self.kvt.q.val();
        self.accaddr.next = self.accrow.q.val() + self.accn.q.val() + self.accslot.q.val();
        self.finr.d.next = false;
        if self.actr.q.val() & self.adv.val() {
            if !self.slast.val() {
                self.slotr.d.next = self.slotr.q.val() + 1u32.to_bits::<32>();
                self.aslot.d.next = self.aslot.q.val() + self.apitch.val();
                self.accslot.d.next = self.accslot.q.val() + self.accpitch.val();
            } else {
                self.slotr.d.next = 0u32.to_bits::<32>();
                self.aslot.d.next = 0u32.to_bits::<32>();
                self.accslot.d.next = 0u32.to_bits::<32>();
                self.trowr.d.next = self.trowr.q.val() + 1u32.to_bits::<32>();
                if self.gl.val() {
                    self.gcnt.d.next = 0u32.to_bits::<32>();
                    self.vr.d.next = self.vr.q.val() + 1u32.to_bits::<32>();
                    self.gnzr.d.next = true;
                } else {
                    self.gcnt.d.next = self.gcnt.q.val() + 1u32.to_bits::<32>();
                }
                if !self.kl.val() {
                    self.kremr.d.next = self.kremr.q.val() - self.cr.val();
                    self.at.d.next = self.at.q.val() + self.rab.val();
                    self.kvt.d.next = self.kvt.q.val() + self.kvts.val();
                } else {
                    self.kremr.d.next = self.k.val();
                    self.at.d.next = 0u32.to_bits::<32>();
                    self.kvt.d.next = 0u32.to_bits::<32>();
                    self.gnzr.d.next = false;
                    if !self.nl.val() {
                        self.nremr.d.next = self.nremr.q.val() - self.cc.val();
                        self.accn.d.next = self.accn.q.val() + self.accns.val();
                        self.kvn.d.next = self.kvn.q.val() + self.kvns.val();
                    } else {
                        self.nremr.d.next = self.n.val();
                        self.accn.d.next = 0u32.to_bits::<32>();
                        self.kvn.d.next = self.kv0.val();
                        self.trowr.d.next = self.trow0.val();
                        self.vr.d.next = 0u32.to_bits::<32>();
                        if !self.ml.val() {
                            self.mremr.d.next = self.mremr.q.val() - self.rb.val();
                            self.arow.d.next = self.arow.q.val() + self.ablk.val();
                            self.accrow.d.next = self.accrow.q.val() + self.accblk.val();
                        } else {
                            self.actr.d.next = false;
                            self.finr.d.next = true;
                        }
                    }
                }
            }
        }
        if self.go.val() {
            self.actr.d.next = true;
            self.slotr.d.next = 0u32.to_bits::<32>();
            self.mremr.d.next = self.m.val();
            self.nremr.d.next = self.n.val();
            self.kremr.d.next = self.k.val();
            self.gcnt.d.next = 0u32.to_bits::<32>();
            self.gnzr.d.next = false;
            self.vr.d.next = 0u32.to_bits::<32>();
            self.arow.d.next = self.a0.val();
            self.at.d.next = 0u32.to_bits::<32>();
            self.aslot.d.next = 0u32.to_bits::<32>();
            self.trowr.d.next = self.trow0.val();
            self.kvn.d.next = self.kv0.val();
            self.kvt.d.next = 0u32.to_bits::<32>();
            self.accrow.d.next = self.acc0.val();
            self.accn.d.next = 0u32.to_bits::<32>();
            self.accslot.d.next = 0u32.to_bits::<32>();
        }
        if self.rst.val() {
            self.actr.d.next = false;
            self.finr.d.next = false;
        }
    }
}
