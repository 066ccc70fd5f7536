//! `llmfab_dispatch`: sends each fetched instruction to its queue
//! (engine.md §5.1): `load` → load queue, `store` → store queue, `nop` →
//! the queue its `queue` field names, `halt` → stop, everything else →
//! compute queue. It consumes exactly `instr_count` instructions; those
//! after a `halt` are dropped.
//!
//! Timing: at most one instruction per cycle. In cycle `t`, if the FIFO
//! is not empty and the target queue is not full (registered occupancy),
//! the instruction is pushed (visible at the queue head in `t+1`) and the
//! next one is considered in `t+1`. With 512-bit beats a beat holds two
//! instructions, low half first (`sub`).

use rust_hdl::prelude::*;

/// Instruction dispatcher.
#[derive(LogicBlock)]
pub struct Dispatch {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// Start (one-cycle pulse).
    pub start: Signal<In, Bit>,
    /// Instructions in the program.
    pub instr_count: Signal<In, Bits<32>>,
    /// 1 when a beat holds two instructions (512-bit ports; constant).
    pub two_per_beat: Signal<In, Bit>,
    /// The instruction FIFO is empty.
    pub fifo_empty: Signal<In, Bit>,
    /// Opcode of the current instruction (bits `[7:0]` of half `sub`).
    pub opcode: Signal<In, Bits<8>>,
    /// `nop`'s `queue` field (bits `[17:16]`).
    pub nop_queue: Signal<In, Bits<2>>,
    /// Queue full flags: bit 0 load, 1 compute, 2 store.
    pub q_full: Signal<In, Bits<3>>,
    /// Push into queue (one-hot, same bit order).
    pub push: Signal<Out, Bits<3>>,
    /// Drop the FIFO's head beat.
    pub beat_pop: Signal<Out, Bit>,
    /// Which half of the head beat is current.
    pub sub: Signal<Out, Bit>,
    /// Every instruction has been consumed.
    pub done: Signal<Out, Bit>,
    count: DFF<Bits<32>>,
    half: DFF<Bit>,
    halted: DFF<Bit>,
    target: Signal<Local, Bits<3>>,
    go: Signal<Local, Bit>,
    more: Signal<Local, Bit>,
    next_count: Signal<Local, Bits<32>>,
    one32: Constant<Bits<32>>,
    zero32: Constant<Bits<32>>,
    op_nop: Constant<Bits<8>>,
    op_load: Constant<Bits<8>>,
    op_store: Constant<Bits<8>>,
    op_halt: Constant<Bits<8>>,
    q_load: Constant<Bits<3>>,
    q_comp: Constant<Bits<3>>,
    q_store: Constant<Bits<3>>,
    q_none: Constant<Bits<3>>,
    nq_load: Constant<Bits<2>>,
    nq_store: Constant<Bits<2>>,
}

impl Default for Dispatch {
    fn default() -> Self {
        Dispatch {
            clock: Default::default(),
            rst: Default::default(),
            start: Default::default(),
            instr_count: Default::default(),
            two_per_beat: Default::default(),
            fifo_empty: Default::default(),
            opcode: Default::default(),
            nop_queue: Default::default(),
            q_full: Default::default(),
            push: Default::default(),
            beat_pop: Default::default(),
            sub: Default::default(),
            done: Default::default(),
            count: Default::default(),
            half: Default::default(),
            halted: Default::default(),
            target: Default::default(),
            go: Default::default(),
            more: Default::default(),
            next_count: Default::default(),
            one32: Constant::new(1u64.to_bits()),
            zero32: Constant::new(0u64.to_bits()),
            op_nop: Constant::new(0u64.to_bits()),
            op_load: Constant::new(1u64.to_bits()),
            op_store: Constant::new(2u64.to_bits()),
            op_halt: Constant::new(0xffu64.to_bits()),
            q_load: Constant::new(1u64.to_bits()),
            q_comp: Constant::new(2u64.to_bits()),
            q_store: Constant::new(4u64.to_bits()),
            q_none: Constant::new(0u64.to_bits()),
            nq_load: Constant::new(0u64.to_bits()),
            nq_store: Constant::new(2u64.to_bits()),
        }
    }
}

impl Logic for Dispatch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count, half, halted);
        self.sub.next = self.half.q.val();
        self.done.next = self.count.q.val() == self.zero32.val();
        self.more.next = (self.count.q.val() != self.zero32.val()) & !self.fifo_empty.val();
        // Target queue (one-hot; 0 = none).
        if self.halted.q.val() {
            self.target.next = self.q_none.val();
        } else if self.opcode.val() == self.op_load.val() {
            self.target.next = self.q_load.val();
        } else if self.opcode.val() == self.op_store.val() {
            self.target.next = self.q_store.val();
        } else if self.opcode.val() == self.op_halt.val() {
            self.target.next = self.q_none.val();
        } else if self.opcode.val() == self.op_nop.val() {
            if self.nop_queue.val() == self.nq_load.val() {
                self.target.next = self.q_load.val();
            } else if self.nop_queue.val() == self.nq_store.val() {
                self.target.next = self.q_store.val();
            } else {
                self.target.next = self.q_comp.val();
            }
        } else {
            self.target.next = self.q_comp.val();
        }
        self.go.next =
            self.more.val() & ((self.target.val() & self.q_full.val()) == self.q_none.val());
        self.next_count.next = self.count.q.val() - self.one32.val();
        if self.go.val() {
            self.push.next = self.target.val();
        } else {
            self.push.next = self.q_none.val();
        }
        self.beat_pop.next = self.go.val()
            & (self.half.q.val()
                | !self.two_per_beat.val()
                | (self.next_count.val() == self.zero32.val()));
        if self.go.val() {
            self.count.d.next = self.next_count.val();
            if self.opcode.val() == self.op_halt.val() {
                self.halted.d.next = true;
            }
            self.half.d.next = !(self.half.q.val() | !self.two_per_beat.val());
        }
        if self.start.val() {
            self.count.d.next = self.instr_count.val();
            self.half.d.next = false;
            self.halted.d.next = false;
        }
        if self.rst.val() {
            self.count.d.next = self.zero32.val();
            self.half.d.next = false;
            self.halted.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::{settle, tick};

    /// Two instructions per beat, a full compute queue for a while, a halt
    /// in the middle: pushes go to the right queues, in order, and the
    /// instructions after the halt are dropped.
    #[test]
    fn dispatch_routes_and_stops_at_halt() {
        let mut uut = Dispatch::default();
        uut.connect_all();
        // (opcode, nop queue, expected push bits)
        let prog: Vec<(u64, u64, u64)> = vec![
            (0x01, 0, 1),
            (0x03, 0, 2),
            (0x00, 2, 4),
            (0x00, 0, 1),
            (0x00, 1, 2),
            (0x02, 0, 4),
            (0x16, 0, 2),
            (0xff, 0, 0),
            (0x01, 0, 0),
        ];
        uut.two_per_beat.next = true;
        uut.instr_count.next = (prog.len() as u64).to_bits();
        uut.start.next = true;
        tick(&mut uut, |u| &mut u.clock);
        uut.start.next = false;
        let mut i = 0usize;
        let mut pushes = Vec::new();
        let mut beats_popped = 0;
        for cyc in 0..40 {
            let (op, nq, _) = prog.get(i).copied().unwrap_or((0, 0, 0));
            uut.fifo_empty.next = i >= prog.len();
            uut.opcode.next = op.to_bits();
            uut.nop_queue.next = nq.to_bits();
            uut.q_full.next = (if (3..6).contains(&cyc) { 2u64 } else { 0 }).to_bits();
            settle(&mut uut);
            if i < prog.len() {
                assert_eq!(uut.sub.val(), i % 2 == 1, "half of instruction {i}");
            }
            let p = uut.push.val().to_u64();
            let advanced = p != 0 || (i < prog.len() && prog[i].2 == 0 && !uut.done.val());
            if p != 0 {
                pushes.push((i, p));
            }
            if uut.beat_pop.val() {
                beats_popped += 1;
            }
            if advanced {
                i += 1;
            }
            tick(&mut uut, |u| &mut u.clock);
        }
        let want: Vec<(usize, u64)> = prog
            .iter()
            .enumerate()
            .filter(|(_, p)| p.2 != 0)
            .map(|(i, p)| (i, p.2))
            .collect();
        assert_eq!(pushes, want);
        assert_eq!(beats_popped, 5);
        settle(&mut uut);
        assert!(uut.done.val());
    }
}
