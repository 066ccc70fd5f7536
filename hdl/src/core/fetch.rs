//! `llmfab_fetch`: the instruction fetch unit, an AXI4 read master on
//! `m_axi_instr` (engine.md §7). It reads `instr_count` 32-byte instruction
//! words from `instr_addr` (4 KiB aligned; the low 12 bits are ignored) in
//! bursts into the instruction FIFO, whose beats the dispatcher consumes.
//!
//! Timing (cycle `s` = `start`): from `s+1`, in every cycle in which
//! beats remain, fewer than `max_out` bursts are outstanding and the FIFO
//! has `n` unreserved beats, `ar_valid` is high for a burst of
//! `n = min(max_burst, beats left, beats to the next 4 KiB boundary)`
//! beats. Each R beat is pushed into the FIFO in the cycle it arrives
//! (`r_ready` is always high: space was reserved). A burst stops being
//! outstanding in the cycle after its last beat; a beat the dispatcher
//! pops (`beat_pop` in cycle `t`) is free again from `t+1`.

use rust_hdl::prelude::*;

/// Instruction fetch (control only: R data goes to the FIFO structurally).
#[derive(LogicBlock)]
pub struct Fetch {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// Start fetching (one-cycle pulse).
    pub start: Signal<In, Bit>,
    /// Byte address of instruction 0 (low 12 bits ignored).
    pub instr_addr: Signal<In, Bits<64>>,
    /// Instructions to fetch.
    pub instr_count: Signal<In, Bits<32>>,
    /// log2 of the AXI beat in bytes (5 or 6; constant).
    pub beat_shift: Signal<In, Bits<3>>,
    /// Longest burst in beats, 1..=256 (constant).
    pub max_burst: Signal<In, Bits<32>>,
    /// Most bursts outstanding, 1..=16 (constant).
    pub max_out: Signal<In, Bits<5>>,
    /// Instruction FIFO capacity in beats (constant, ≥ max_burst).
    pub fifo_depth: Signal<In, Bits<32>>,
    /// The dispatcher consumed the FIFO's head beat.
    pub beat_pop: Signal<In, Bit>,
    /// AXI AR valid.
    pub ar_valid: Signal<Out, Bit>,
    /// AXI AR address.
    pub ar_addr: Signal<Out, Bits<64>>,
    /// AXI AR length (beats − 1).
    pub ar_len: Signal<Out, Bits<8>>,
    /// AXI AR ready.
    pub ar_ready: Signal<In, Bit>,
    /// AXI R valid (a beat; pushed into the FIFO).
    pub r_valid: Signal<In, Bit>,
    /// AXI R last.
    pub r_last: Signal<In, Bit>,
    /// Bursts remain to be issued or are outstanding.
    pub busy: Signal<Out, Bit>,
    addr: DFF<Bits<64>>,
    left: DFF<Bits<32>>,
    out: DFF<Bits<5>>,
    credit: DFF<Bits<32>>,
    n: Signal<Local, Bits<32>>,
    n_a: Signal<Local, Bits<32>>,
    nm1: Signal<Local, Bits<32>>,
    to4k: Signal<Local, Bits<32>>,
    low: Signal<Local, Bits<32>>,
    total: Signal<Local, Bits<40>>,
    beats: Signal<Local, Bits<40>>,
    fire: Signal<Local, Bit>,
    credit_after: Signal<Local, Bits<32>>,
    c4096: Constant<Bits<32>>,
    mask12: Constant<Bits<32>>,
    hi_mask: Constant<Bits<64>>,
    one32: Constant<Bits<32>>,
    one5: Constant<Bits<5>>,
    one40: Constant<Bits<40>>,
    zero32: Constant<Bits<32>>,
    zero5: Constant<Bits<5>>,
    five40: Constant<Bits<40>>,
}

impl Default for Fetch {
    fn default() -> Self {
        Fetch {
            clock: Default::default(),
            rst: Default::default(),
            start: Default::default(),
            instr_addr: Default::default(),
            instr_count: Default::default(),
            beat_shift: Default::default(),
            max_burst: Default::default(),
            max_out: Default::default(),
            fifo_depth: Default::default(),
            beat_pop: Default::default(),
            ar_valid: Default::default(),
            ar_addr: Default::default(),
            ar_len: Default::default(),
            ar_ready: Default::default(),
            r_valid: Default::default(),
            r_last: Default::default(),
            busy: Default::default(),
            addr: Default::default(),
            left: Default::default(),
            out: Default::default(),
            credit: Default::default(),
            n: Default::default(),
            n_a: Default::default(),
            nm1: Default::default(),
            to4k: Default::default(),
            low: Default::default(),
            total: Default::default(),
            beats: Default::default(),
            fire: Default::default(),
            credit_after: Default::default(),
            c4096: Constant::new(4096u64.to_bits()),
            mask12: Constant::new(0xfffu64.to_bits()),
            hi_mask: Constant::new((!0xfffu64).to_bits()),
            one32: Constant::new(1u64.to_bits()),
            one5: Constant::new(1u64.to_bits()),
            one40: Constant::new(1u64.to_bits()),
            zero32: Constant::new(0u64.to_bits()),
            zero5: Constant::new(0u64.to_bits()),
            five40: Constant::new(5u64.to_bits()),
        }
    }
}

impl Logic for Fetch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, addr, left, out, credit);
        // Burst length: min(max_burst, left, beats to the 4 KiB boundary).
        self.low.next = self.addr.q.val().get_bits::<32>(0) & self.mask12.val();
        self.to4k.next = (self.c4096.val() - self.low.val()) >> self.beat_shift.val();
        if self.left.q.val() < self.max_burst.val() {
            self.n_a.next = self.left.q.val();
        } else {
            self.n_a.next = self.max_burst.val();
        }
        if self.to4k.val() < self.n_a.val() {
            self.n.next = self.to4k.val();
        } else {
            self.n.next = self.n_a.val();
        }
        self.ar_valid.next = (self.left.q.val() != self.zero32.val())
            & (self.out.q.val() < self.max_out.val())
            & (self.credit.q.val() >= self.n.val());
        self.ar_addr.next = self.addr.q.val();
        self.nm1.next = self.n.val() - self.one32.val();
        self.ar_len.next = self.nm1.val().get_bits::<8>(0);
        self.fire.next = self.ar_valid.val() & self.ar_ready.val();
        self.busy.next =
            (self.left.q.val() != self.zero32.val()) | (self.out.q.val() != self.zero5.val());
        // Credits: reserved at the AR handshake, returned when the dispatcher pops.
        if self.fire.val() {
            self.credit_after.next = self.credit.q.val() - self.n.val();
            self.addr.d.next =
                self.addr.q.val() + bit_cast::<64, 32>(self.n.val() << self.beat_shift.val());
            self.left.d.next = self.left.q.val() - self.n.val();
        } else {
            self.credit_after.next = self.credit.q.val();
        }
        if self.beat_pop.val() {
            self.credit.d.next = self.credit_after.val() + self.one32.val();
        } else {
            self.credit.d.next = self.credit_after.val();
        }
        if self.fire.val() & !(self.r_valid.val() & self.r_last.val()) {
            self.out.d.next = self.out.q.val() + self.one5.val();
        }
        if !self.fire.val() & self.r_valid.val() & self.r_last.val() {
            self.out.d.next = self.out.q.val() - self.one5.val();
        }
        // beats = ceil(count · 32 / beat)
        self.total.next = bit_cast::<40, 32>(self.instr_count.val()) << self.five40.val();
        self.beats.next = (self.total.val() + (self.one40.val() << self.beat_shift.val())
            - self.one40.val())
            >> self.beat_shift.val();
        if self.start.val() {
            self.addr.d.next = self.instr_addr.val() & self.hi_mask.val();
            self.left.d.next = self.beats.val().get_bits::<32>(0);
            self.out.d.next = self.zero5.val();
            self.credit.d.next = self.fifo_depth.val();
        }
        if self.rst.val() {
            self.left.d.next = self.zero32.val();
            self.out.d.next = self.zero5.val();
            self.credit.d.next = self.zero32.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::{settle, tick};

    /// Fetch against an ideal memory (`lat` cycles to the first beat, no
    /// gap) and a consumer popping one beat per cycle: every beat arrives
    /// once, bursts respect max_burst and 4 KiB, the FIFO never overflows.
    #[test]
    fn fetch_reads_every_beat_once() {
        let mut uut = Fetch::default();
        uut.connect_all();
        let (count, depth, max_burst) = (300u64, 8u64, 4u64);
        uut.beat_shift.next = 5u64.to_bits();
        uut.max_burst.next = max_burst.to_bits();
        uut.max_out.next = 2u64.to_bits();
        uut.fifo_depth.next = depth.to_bits();
        uut.instr_addr.next = 0x1_0000_0000u64.to_bits();
        uut.instr_count.next = count.to_bits();
        uut.ar_ready.next = true;
        uut.start.next = true;
        tick(&mut uut, |u| &mut u.clock);
        uut.start.next = false;
        let mut pending: std::collections::VecDeque<(u64, u64, u64)> = Default::default(); // (ready cycle, addr, beats)
        let mut fifo = 0u64;
        let mut got = Vec::new();
        let mut cur: Option<(u64, u64, u64)> = None; // addr, left, index
        for cyc in 0..2000u64 {
            uut.beat_pop.next = fifo > 0;
            // R channel
            if cur.is_none() {
                if let Some(&(rdy, a, n)) = pending.front() {
                    if rdy <= cyc {
                        pending.pop_front();
                        cur = Some((a, n, 0));
                    }
                }
            }
            uut.r_valid.next = cur.is_some();
            uut.r_last.next = matches!(cur, Some((_, n, i)) if i + 1 == n);
            settle(&mut uut);
            if uut.ar_valid.val() {
                let a = uut.ar_addr.val().to_u64();
                let n = uut.ar_len.val().to_u64() + 1;
                assert!(
                    n <= max_burst && (a % 4096) + n * 32 <= 4096,
                    "burst {a:#x} × {n}"
                );
                pending.push_back((cyc + 3, a, n));
            }
            if let Some((a, n, i)) = cur {
                got.push(a + 32 * i);
                cur = if i + 1 == n {
                    None
                } else {
                    Some((a, n, i + 1))
                };
                fifo += 1;
            }
            if uut.beat_pop.val() {
                fifo -= 1;
            }
            assert!(fifo <= depth, "FIFO overflow at cycle {cyc}");
            tick(&mut uut, |u| &mut u.clock);
        }
        let want: Vec<u64> = (0..count).map(|i| 0x1_0000_0000 + 32 * i).collect();
        assert_eq!(got, want);
        settle(&mut uut);
        assert!(!uut.busy.val());
    }
}
