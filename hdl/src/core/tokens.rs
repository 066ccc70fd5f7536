//! `llmfab_tokens`: the four dependency-token counters (engine.md §5.1).
//!
//! Index `i` of every 4-bit vector: 0 = L→C, 1 = C→L, 2 = C→S, 3 = S→C
//! (the order of `llmfab_isa::tokens::Counter`). A token pushed (`inc`) in
//! cycle `t` can be popped from cycle `t+1`; `avail` is registered
//! (`count > 0`). A valid program never pops an empty counter nor pushes a
//! full one (255), so neither is guarded.

use rust_hdl::prelude::*;

/// Four 8-bit token counters.
#[derive(LogicBlock)]
pub struct Tokens {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (all counters to 0).
    pub rst: Signal<In, Bit>,
    /// Push one token on each counter whose bit is set.
    pub inc: Signal<In, Bits<4>>,
    /// Pop one token from each counter whose bit is set.
    pub dec: Signal<In, Bits<4>>,
    /// `count > 0` per counter.
    pub avail: Signal<Out, Bits<4>>,
    c0: DFF<Bits<8>>,
    c1: DFF<Bits<8>>,
    c2: DFF<Bits<8>>,
    c3: DFF<Bits<8>>,
    one: Constant<Bits<8>>,
    zero: Constant<Bits<8>>,
}

impl Default for Tokens {
    fn default() -> Self {
        Tokens {
            clock: Default::default(),
            rst: Default::default(),
            inc: Default::default(),
            dec: Default::default(),
            avail: Default::default(),
            c0: Default::default(),
            c1: Default::default(),
            c2: Default::default(),
            c3: Default::default(),
            one: Constant::new(1u64.to_bits()),
            zero: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for Tokens {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, c0, c1, c2, c3);
        self.avail.next = bit_cast::<4, 1>((self.c0.q.val() != self.zero.val()).into())
            | (bit_cast::<4, 1>((self.c1.q.val() != self.zero.val()).into()) << 1)
            | (bit_cast::<4, 1>((self.c2.q.val() != self.zero.val()).into()) << 2)
            | (bit_cast::<4, 1>((self.c3.q.val() != self.zero.val()).into()) << 3);
        if self.inc.val().get_bit(0) & !self.dec.val().get_bit(0) {
            self.c0.d.next = self.c0.q.val() + self.one.val();
        }
        if self.dec.val().get_bit(0) & !self.inc.val().get_bit(0) {
            self.c0.d.next = self.c0.q.val() - self.one.val();
        }
        if self.inc.val().get_bit(1) & !self.dec.val().get_bit(1) {
            self.c1.d.next = self.c1.q.val() + self.one.val();
        }
        if self.dec.val().get_bit(1) & !self.inc.val().get_bit(1) {
            self.c1.d.next = self.c1.q.val() - self.one.val();
        }
        if self.inc.val().get_bit(2) & !self.dec.val().get_bit(2) {
            self.c2.d.next = self.c2.q.val() + self.one.val();
        }
        if self.dec.val().get_bit(2) & !self.inc.val().get_bit(2) {
            self.c2.d.next = self.c2.q.val() - self.one.val();
        }
        if self.inc.val().get_bit(3) & !self.dec.val().get_bit(3) {
            self.c3.d.next = self.c3.q.val() + self.one.val();
        }
        if self.dec.val().get_bit(3) & !self.inc.val().get_bit(3) {
            self.c3.d.next = self.c3.q.val() - self.one.val();
        }
        if self.rst.val() {
            self.c0.d.next = self.zero.val();
            self.c1.d.next = self.zero.val();
            self.c2.d.next = self.zero.val();
            self.c3.d.next = self.zero.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::{settle, tick};

    #[test]
    fn tokens_count_pushes_and_pops() {
        let mut uut = Tokens::default();
        uut.connect_all();
        let mut model = [0i32; 4];
        let mut seed = 99u64;
        for step in 0..300 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let inc = (seed >> 40) & 0xf;
            let mut dec = (seed >> 50) & 0xf;
            for (i, m) in model.iter().enumerate() {
                if *m == 0 {
                    dec &= !(1 << i);
                }
            }
            uut.inc.next = inc.to_bits();
            uut.dec.next = dec.to_bits();
            uut.rst.next = false;
            settle(&mut uut);
            let avail: u64 = (0..4).map(|i| ((model[i] > 0) as u64) << i).sum();
            assert_eq!(uut.avail.val().to_u64(), avail, "step {step}");
            for (i, m) in model.iter_mut().enumerate() {
                *m += ((inc >> i) & 1) as i32 - ((dec >> i) & 1) as i32;
            }
            tick(&mut uut, |u| &mut u.clock);
        }
    }
}
