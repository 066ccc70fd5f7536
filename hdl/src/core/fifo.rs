//! `llmfab_fifo_ctl`: pointers and occupancy of a first-word-fall-through
//! FIFO of up to 1024 entries whose storage is a generated `llmfab_lutram`
//! (asynchronous read). `llmfab_fifo` (generated Verilog) joins the two.
//!
//! Timing: an entry pushed in cycle `t` is visible at the head (`empty`
//! low, data at `raddr`) from cycle `t+1`; a pop in cycle `t` frees its
//! slot for a push from cycle `t+1` (`full` is registered occupancy).

use rust_hdl::prelude::*;

/// FIFO pointer and count logic.
#[derive(LogicBlock)]
pub struct FifoCtl {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (empties the FIFO).
    pub rst: Signal<In, Bit>,
    /// Capacity in entries, 1..=1024 (a constant).
    pub depth: Signal<In, Bits<11>>,
    /// Write the entry at `waddr` (ignored when full).
    pub push: Signal<In, Bit>,
    /// Drop the head entry (ignored when empty).
    pub pop: Signal<In, Bit>,
    /// Storage address of the next push.
    pub waddr: Signal<Out, Bits<10>>,
    /// Storage address of the head.
    pub raddr: Signal<Out, Bits<10>>,
    /// Entries held.
    pub count: Signal<Out, Bits<11>>,
    /// No entry.
    pub empty: Signal<Out, Bit>,
    /// `count == depth`.
    pub full: Signal<Out, Bit>,
    wp: DFF<Bits<10>>,
    rp: DFF<Bits<10>>,
    cnt: DFF<Bits<11>>,
    do_push: Signal<Local, Bit>,
    do_pop: Signal<Local, Bit>,
    last: Signal<Local, Bits<10>>,
    one10: Constant<Bits<10>>,
    one11: Constant<Bits<11>>,
    zero10: Constant<Bits<10>>,
    zero11: Constant<Bits<11>>,
}

impl Default for FifoCtl {
    fn default() -> Self {
        FifoCtl {
            clock: Default::default(),
            rst: Default::default(),
            depth: Default::default(),
            push: Default::default(),
            pop: Default::default(),
            waddr: Default::default(),
            raddr: Default::default(),
            count: Default::default(),
            empty: Default::default(),
            full: Default::default(),
            wp: Default::default(),
            rp: Default::default(),
            cnt: Default::default(),
            do_push: Default::default(),
            do_pop: Default::default(),
            last: Default::default(),
            one10: Constant::new(1u64.to_bits()),
            one11: Constant::new(1u64.to_bits()),
            zero10: Constant::new(0u64.to_bits()),
            zero11: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for FifoCtl {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wp, rp, cnt);
        self.waddr.next = self.wp.q.val();
        self.raddr.next = self.rp.q.val();
        self.count.next = self.cnt.q.val();
        self.empty.next = self.cnt.q.val() == self.zero11.val();
        self.full.next = self.cnt.q.val() == self.depth.val();
        self.last.next = bit_cast::<10, 11>(self.depth.val() - self.one11.val());
        self.do_push.next = self.push.val() & (self.cnt.q.val() != self.depth.val());
        self.do_pop.next = self.pop.val() & (self.cnt.q.val() != self.zero11.val());
        if self.do_push.val() {
            if self.wp.q.val() == self.last.val() {
                self.wp.d.next = self.zero10.val();
            } else {
                self.wp.d.next = self.wp.q.val() + self.one10.val();
            }
        }
        if self.do_pop.val() {
            if self.rp.q.val() == self.last.val() {
                self.rp.d.next = self.zero10.val();
            } else {
                self.rp.d.next = self.rp.q.val() + self.one10.val();
            }
        }
        if self.do_push.val() & !self.do_pop.val() {
            self.cnt.d.next = self.cnt.q.val() + self.one11.val();
        }
        if self.do_pop.val() & !self.do_push.val() {
            self.cnt.d.next = self.cnt.q.val() - self.one11.val();
        }
        if self.rst.val() {
            self.wp.d.next = self.zero10.val();
            self.rp.d.next = self.zero10.val();
            self.cnt.d.next = self.zero11.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::tick;
    use std::collections::VecDeque;

    #[test]
    fn fifo_ctl_tracks_a_model_queue() {
        let mut uut = FifoCtl::default();
        uut.connect_all();
        let depth = 5u64;
        uut.depth.next = depth.to_bits();
        let mut model: VecDeque<u64> = VecDeque::new();
        let mut slots = vec![u64::MAX; depth as usize];
        let mut seed = 0x1234_5678u64;
        for step in 0..400u64 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let push = !(seed >> 33).is_multiple_of(3);
            let pop = (seed >> 40).is_multiple_of(2);
            uut.push.next = push;
            uut.pop.next = pop;
            uut.rst.next = false;
            crate::core::testing::settle(&mut uut);
            assert_eq!(uut.count.val().to_u64(), model.len() as u64, "step {step}");
            assert_eq!(uut.empty.val(), model.is_empty());
            assert_eq!(uut.full.val(), model.len() as u64 == depth);
            if let Some(&h) = model.front() {
                assert_eq!(
                    slots[uut.raddr.val().to_u64() as usize],
                    h,
                    "head at step {step}"
                );
            }
            let can_push = push && (model.len() as u64) < depth;
            if can_push {
                slots[uut.waddr.val().to_u64() as usize] = step;
            }
            if pop {
                model.pop_front();
            }
            if can_push {
                model.push_back(step);
            }
            tick(&mut uut, |u| &mut u.clock);
        }
    }
}
