//! Small registered cells the generated array is built from.
//!
//! | leaf | use | count |
//! |---|---|---|
//! | [`AddNode`] | one node of a column's matrix-vector adder tree | `C·(R−1)` |
//! | [`StageCell`] | a cell of the A transpose stager (`R·R`) and of the B tile shift register (`R·C`) | |
//! | [`Reg`] | the scale registers and delay lines | |

use rust_hdl::prelude::*;

/// `y <= a + b` (`W`-bit two's complement, wrapping), registered.
#[derive(LogicBlock, Default)]
pub struct AddNode<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Left operand.
    pub a: Signal<In, Bits<W>>,
    /// Right operand.
    pub b: Signal<In, Bits<W>>,
    /// Sum, one cycle later.
    pub y: Signal<Out, Bits<W>>,
    r: DFF<Bits<W>>,
}

impl<const W: usize> Logic for AddNode<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        self.y.next = self.r.q.val();
        self.r.d.next = self.a.val() + self.b.val();
    }
}

/// `q <= en ? (sel ? y : x) : q`: a register with a two-way input mux.
///
/// In the A stager `x` is the right neighbour (horizontal shift) and `y`
/// the neighbour below (vertical shift); in the B tile shift register `x`
/// is the next element (shift) and `y` the freshly read tile (load).
#[derive(LogicBlock, Default)]
pub struct StageCell<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Update enable.
    pub en: Signal<In, Bit>,
    /// Input select: 0 takes `x`, 1 takes `y`.
    pub sel: Signal<In, Bit>,
    /// First input.
    pub x: Signal<In, Bits<W>>,
    /// Second input.
    pub y: Signal<In, Bits<W>>,
    /// Register.
    pub q: Signal<Out, Bits<W>>,
    r: DFF<Bits<W>>,
}

impl<const W: usize> Logic for StageCell<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        self.q.next = self.r.q.val();
        if self.en.val() {
            if self.sel.val() {
                self.r.d.next = self.y.val();
            } else {
                self.r.d.next = self.x.val();
            }
        }
    }
}

/// `q <= en ? d : q`.
#[derive(LogicBlock, Default)]
pub struct Reg<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Load enable.
    pub en: Signal<In, Bit>,
    /// Input.
    pub d: Signal<In, Bits<W>>,
    /// Register.
    pub q: Signal<Out, Bits<W>>,
    r: DFF<Bits<W>>,
}

impl<const W: usize> Logic for Reg<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        self.q.next = self.r.q.val();
        if self.en.val() {
            self.r.d.next = self.d.val();
        }
    }
}
