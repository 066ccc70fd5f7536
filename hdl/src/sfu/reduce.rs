//! One node of the SFU's cross-lane reduction trees: a registered sum or
//! maximum of two 48-bit signed values. The generated structural Verilog
//! builds a `log2(L)`-level tree of these (one level per cycle).

use rust_hdl::prelude::*;

/// `y <= is_max ? max(a, b) : a + b` (48-bit two's complement), registered.
#[derive(LogicBlock, Default)]
pub struct RedNode {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Select the maximum (1) or the sum (0).
    pub is_max: Signal<In, Bit>,
    /// Left operand.
    pub a: Signal<In, Signed<48>>,
    /// Right operand.
    pub b: Signal<In, Signed<48>>,
    /// Result, one cycle later.
    pub y: Signal<Out, Signed<48>>,
    acc: DFF<Signed<48>>,
}

impl Logic for RedNode {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc);
        self.y.next = self.acc.q.val();
        if self.is_max.val() {
            if self.a.val() > self.b.val() {
                self.acc.d.next = self.a.val();
            } else {
                self.acc.d.next = self.b.val();
            }
        } else {
            self.acc.d.next = self.a.val() + self.b.val();
        }
    }
}
