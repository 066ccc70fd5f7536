//! Per-lane and per-row leaves of the array.
//!
//! | leaf | per | does |
//! |---|---|---|
//! | [`LaneAcc`] | lane | matrix-matrix accumulator and its drain (shadow) register |
//! | [`ARow`] | array row | masks the A word element (`k ≥ K`, rows `m ≥ M`) and picks the row's activation |
//! | [`BSel`] | B element | picks the B element from the weight tile or a KV block, sign-extends it, masks it |

use rust_hdl::prelude::*;

/// Matrix-matrix lane accumulator: `acc <= (clr ? 0 : acc) + p` (int32,
/// wrapping; the same as `clr ? p : acc + p`, written so that the clear
/// folds into the adder's propagate LUTs: 64 LUT per lane instead of 96 in
/// Yosys) every cycle; `sh <= cap ? acc : sh_in` drains the finished group
/// towards array row 0, one row per cycle.
#[derive(LogicBlock, Default)]
pub struct LaneAcc {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The lane's product (sign-extended to 32 bits).
    pub p: Signal<In, Bits<32>>,
    /// Start a new group with this product.
    pub clr: Signal<In, Bit>,
    /// Capture the accumulator into the drain register.
    pub cap: Signal<In, Bit>,
    /// Drain register of the lane one row below (0 for the last row).
    pub sh_in: Signal<In, Bits<32>>,
    /// Drain register.
    pub sh: Signal<Out, Bits<32>>,
    acc: DFF<Bits<32>>,
    shr: DFF<Bits<32>>,
    gated: Signal<Local, Bits<32>>,
}

impl Logic for LaneAcc {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc, shr);
        self.sh.next = self.shr.q.val();
        if self.clr.val() {
            self.gated.next = 0.into();
        } else {
            self.gated.next = self.acc.q.val();
        }
        self.acc.d.next = self.gated.val() + self.p.val();
        if self.cap.val() {
            self.shr.d.next = self.acc.q.val();
        } else {
            self.shr.d.next = self.sh_in.val();
        }
    }
}

/// One array row's activation: `ain = (av && idx < kcnt) ? rd : 0` is the
/// masked A word element `idx` (stager input, matrix-vector operand);
/// `a = mode ? ain : (phase ? v : h)` is what the row's DSPs multiply (the
/// stager's left-column cell `h` or top-row cell `v`).
#[derive(LogicBlock)]
pub struct ARow<const W: usize> {
    /// Element `idx` of the A word read last cycle.
    pub rd: Signal<In, Bits<W>>,
    /// This row's index (constant).
    pub idx: Signal<In, Bits<32>>,
    /// Valid elements of the word (`min(R, K − k0)`); 0 for an unread row.
    pub kcnt: Signal<In, Bits<32>>,
    /// The word was read.
    pub av: Signal<In, Bit>,
    /// Stager cell `[idx][0]` (horizontal phase output).
    pub h: Signal<In, Bits<W>>,
    /// Stager cell `[0][idx]` (vertical phase output).
    pub v: Signal<In, Bits<W>>,
    /// 1: matrix-vector.
    pub mode: Signal<In, Bit>,
    /// Stager phase: 1 vertical.
    pub phase: Signal<In, Bit>,
    /// Masked element.
    pub ain: Signal<Out, Bits<W>>,
    /// The row's activation.
    pub a: Signal<Out, Bits<W>>,
    zero: Constant<Bits<W>>,
    m: Signal<Local, Bits<W>>,
}

impl<const W: usize> Default for ARow<W> {
    fn default() -> Self {
        ARow {
            rd: Default::default(),
            idx: Default::default(),
            kcnt: Default::default(),
            av: Default::default(),
            h: Default::default(),
            v: Default::default(),
            mode: Default::default(),
            phase: Default::default(),
            ain: Default::default(),
            a: Default::default(),
            zero: Constant::new(0u64.to_bits()),
            m: Default::default(),
        }
    }
}

impl<const W: usize> Logic for ARow<W> {
    #[hdl_gen]
    fn update(&mut self) {
        self.m.next = self.zero.val();
        if self.av.val() & (self.idx.val() < self.kcnt.val()) {
            self.m.next = self.rd.val();
        }
        self.ain.next = self.m.val();
        if self.mode.val() {
            self.a.next = self.m.val();
        } else if self.phase.val() {
            self.a.next = self.v.val();
        } else {
            self.a.next = self.h.val();
        }
    }
}

/// One B element of the `R×C` tile: `src` 0 takes the weight `w`, 1 the KV
/// element `k0` (`btrans = 0`), 2 the KV element `k1` (`btrans = 1`), all
/// already sign-extended to `V` bits by the generated top; 0 unless `ok`
/// (rows/columns past the operand, whose KV words are not read).
#[derive(LogicBlock)]
pub struct BSel<const V: usize> {
    /// Weight element.
    pub w: Signal<In, Bits<V>>,
    /// KV element (`btrans = 0` layout).
    pub k0: Signal<In, Bits<V>>,
    /// KV element (`btrans = 1` layout).
    pub k1: Signal<In, Bits<V>>,
    /// Source: 0 weights, 1 KV, 2 KV transposed.
    pub src: Signal<In, Bits<8>>,
    /// Element inside the operand.
    pub ok: Signal<In, Bit>,
    /// The element.
    pub b: Signal<Out, Bits<V>>,
    zero: Constant<Bits<V>>,
}

impl<const V: usize> Default for BSel<V> {
    fn default() -> Self {
        BSel {
            w: Default::default(),
            k0: Default::default(),
            k1: Default::default(),
            src: Default::default(),
            ok: Default::default(),
            b: Default::default(),
            zero: Constant::new(0u64.to_bits()),
        }
    }
}

impl<const V: usize> Logic for BSel<V> {
    #[hdl_gen]
    fn update(&mut self) {
        self.b.next = self.zero.val();
        if self.ok.val() {
            if self.src.val() == 1u8.to_bits::<8>() {
                self.b.next = self.k0.val();
            } else if self.src.val() == 2u8.to_bits::<8>() {
                self.b.next = self.k1.val();
            } else {
                self.b.next = self.w.val();
            }
        }
    }
}
