//! Helpers for the rust-hdl simulation tests of the control blocks.

use rust_hdl::prelude::*;

/// One clock cycle: settle the inputs, rising edge, falling edge.
pub fn tick<B: Block>(uut: &mut B, clock: fn(&mut B) -> &mut Signal<In, Clock>) {
    assert!(simulate(uut, 100), "combinational logic did not settle");
    clock(uut).next = Clock::from(true);
    assert!(simulate(uut, 100), "combinational logic did not settle");
    clock(uut).next = Clock::from(false);
    assert!(simulate(uut, 100), "combinational logic did not settle");
}

/// Settles combinational logic without a clock edge.
pub fn settle<B: Block>(uut: &mut B) {
    assert!(simulate(uut, 100), "combinational logic did not settle");
}
