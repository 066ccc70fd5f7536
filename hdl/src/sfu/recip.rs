//! The softmax reciprocal `r = floor(2^32 / sum)`: a restoring divider, one
//! quotient bit per cycle.
//!
//! Because the row maximum always contributes `EXP[0] = 65535`, a valid
//! softmax row has `sum ≥ 65535`, so `r ≤ 65537 < 2^17` and 17 iterations
//! (quotient bits 16..0) are exact. Latency: `start` in cycle `s`, the
//! iterations run in cycles `s+1 ..= s+17`, `r` is valid (and `ready` high)
//! from cycle `s+18` until the next `start` — the `DIV_STEP = 18` of
//! `llmfab_isa::timing::sfu`.

use rust_hdl::prelude::*;

/// Sequential `floor(2^32 / sum)` for `2^15 ≤ sum < 2^41`.
#[derive(LogicBlock)]
pub struct Recip {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Loads `sum` and starts (one cycle).
    pub start: Signal<In, Bit>,
    /// Divisor (unsigned, `2^15 ≤ sum < 2^41`; the top 17 bits must be 0).
    pub sum: Signal<In, Bits<58>>,
    /// Quotient.
    pub r: Signal<Out, Bits<18>>,
    /// High when `r` is valid.
    pub ready: Signal<Out, Bit>,
    rem: DFF<Bits<58>>,
    div: DFF<Bits<58>>,
    quo: DFF<Bits<18>>,
    count: DFF<Bits<5>>,
    busy: DFF<Bit>,
    two32: Constant<Bits<58>>,
    one18: Constant<Bits<18>>,
    zero18: Constant<Bits<18>>,
    one5: Constant<Bits<5>>,
    iters: Constant<Bits<5>>,
}

impl Default for Recip {
    fn default() -> Self {
        Recip {
            clock: Default::default(),
            start: Default::default(),
            sum: Default::default(),
            r: Default::default(),
            ready: Default::default(),
            rem: Default::default(),
            div: Default::default(),
            quo: Default::default(),
            count: Default::default(),
            busy: Default::default(),
            two32: Constant::new(Bits::<58>::from(1u64 << 32)),
            one18: Constant::new(Bits::<18>::from(1u64)),
            zero18: Constant::new(Bits::<18>::from(0u64)),
            one5: Constant::new(Bits::<5>::from(1u64)),
            iters: Constant::new(Bits::<5>::from(17u64)),
        }
    }
}

impl Logic for Recip {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, rem, div, quo, count, busy);
        self.r.next = self.quo.q.val();
        self.ready.next = !self.busy.q.val();
        if self.busy.q.val() {
            if self.rem.q.val() >= self.div.q.val() {
                self.rem.d.next = self.rem.q.val() - self.div.q.val();
                self.quo.d.next = (self.quo.q.val() << self.one18.val()) | self.one18.val();
            } else {
                self.quo.d.next = self.quo.q.val() << self.one18.val();
            }
            self.div.d.next = self.div.q.val() >> self.one18.val();
            self.count.d.next = self.count.q.val() - self.one5.val();
            if self.count.q.val() == self.one5.val() {
                self.busy.d.next = false;
            }
        }
        if self.start.val() {
            self.rem.d.next = self.two32.val();
            self.div.d.next = self.sum.val() << (self.iters.val() - self.one5.val());
            self.quo.d.next = self.zero18.val();
            self.count.d.next = self.iters.val();
            self.busy.d.next = true;
        }
    }
}
