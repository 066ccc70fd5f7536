//! `llmfab_comp_exec`: the compute queue's executor (engine.md §5.1, §4).
//!
//! Port bits (`need`, `dma_hold`, `claim`): 0 ABUF read, 1 ABUF write,
//! 2 KVBUF read, 3 KVBUF write. Token bits (`tok_dec`, `tok_inc`): as
//! `llmfab_tokens` (0 L→C, 1 C→L, 2 C→S, 3 S→C).
//!
//! Timing: in cycle `t` the head instruction *starts* when its pop tokens
//! are available (registered counters) and, unless it is a `nop`, no DMA
//! transfer holds a port it needs (`dma_hold`, registered). It pops its
//! tokens and leaves the queue in `t`. A `nop` pushes its tokens in `t`;
//! any other instruction raises its unit's `start` in `t`, claims its ports
//! from `t` (combinationally, so a DMA engine cannot take them in `t`: the
//! compute unit wins) to the unit's `done` cycle `d` inclusive, and pushes
//! its tokens in `d`. The next instruction can start in `t+1` after a
//! `nop` and in `d+1` otherwise.

use rust_hdl::prelude::*;

/// Compute queue executor.
#[derive(LogicBlock)]
pub struct CompExec {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// The queue is empty.
    pub q_empty: Signal<In, Bit>,
    /// The head is a `nop`.
    pub is_nop: Signal<In, Bit>,
    /// The head runs on the SFU (otherwise the matrix unit).
    pub is_sfu: Signal<In, Bit>,
    /// The head's dependency flags `[3:0]` = pop_prev, pop_next, push_prev, push_next.
    pub deps: Signal<In, Bits<4>>,
    /// Shared ports the head needs.
    pub need: Signal<In, Bits<4>>,
    /// Token counters holding a token (`llmfab_tokens.avail`).
    pub tok_avail: Signal<In, Bits<4>>,
    /// Shared ports held by DMA transfers.
    pub dma_hold: Signal<In, Bits<4>>,
    /// The matrix unit's `done`.
    pub mx_done: Signal<In, Bit>,
    /// The SFU's `done`.
    pub sfu_done: Signal<In, Bit>,
    /// Drop the queue head.
    pub q_pop: Signal<Out, Bit>,
    /// Tokens popped.
    pub tok_dec: Signal<Out, Bits<4>>,
    /// Tokens pushed.
    pub tok_inc: Signal<Out, Bits<4>>,
    /// Start the matrix unit (head word is the instruction).
    pub mx_start: Signal<Out, Bit>,
    /// Start the SFU.
    pub sfu_start: Signal<Out, Bit>,
    /// Ports claimed by the compute unit (DMA engines must not take them).
    pub claim: Signal<Out, Bits<4>>,
    /// The running (or last) instruction is on the SFU (mux select).
    pub sel_sfu: Signal<Out, Bit>,
    /// A unit is running.
    pub busy: Signal<Out, Bit>,
    run: DFF<Bit>,
    on_sfu: DFF<Bit>,
    held: DFF<Bits<4>>,
    pushes: DFF<Bits<4>>,
    go: Signal<Local, Bit>,
    pops: Signal<Local, Bits<4>>,
    push_now: Signal<Local, Bits<4>>,
    fin: Signal<Local, Bit>,
    zero4: Constant<Bits<4>>,
}

impl Default for CompExec {
    fn default() -> Self {
        CompExec {
            clock: Default::default(),
            rst: Default::default(),
            q_empty: Default::default(),
            is_nop: Default::default(),
            is_sfu: Default::default(),
            deps: Default::default(),
            need: Default::default(),
            tok_avail: Default::default(),
            dma_hold: Default::default(),
            mx_done: Default::default(),
            sfu_done: Default::default(),
            q_pop: Default::default(),
            tok_dec: Default::default(),
            tok_inc: Default::default(),
            mx_start: Default::default(),
            sfu_start: Default::default(),
            claim: Default::default(),
            sel_sfu: Default::default(),
            busy: Default::default(),
            run: Default::default(),
            on_sfu: Default::default(),
            held: Default::default(),
            pushes: Default::default(),
            go: Default::default(),
            pops: Default::default(),
            push_now: Default::default(),
            fin: Default::default(),
            zero4: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for CompExec {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, run, on_sfu, held, pushes);
        // pop_prev takes L→C (bit 0), pop_next takes S→C (bit 3).
        self.pops.next = bit_cast::<4, 1>(self.deps.val().get_bit(0).into())
            | (bit_cast::<4, 1>(self.deps.val().get_bit(1).into()) << 3);
        // push_prev gives C→L (bit 1), push_next gives C→S (bit 2).
        self.push_now.next = (bit_cast::<4, 1>(self.deps.val().get_bit(2).into()) << 1)
            | (bit_cast::<4, 1>(self.deps.val().get_bit(3).into()) << 2);
        self.go.next = !self.run.q.val()
            & !self.q_empty.val()
            & ((self.pops.val() & !self.tok_avail.val()) == self.zero4.val())
            & (self.is_nop.val() | ((self.need.val() & self.dma_hold.val()) == self.zero4.val()));
        self.fin.next = self.run.q.val()
            & ((self.on_sfu.q.val() & self.sfu_done.val())
                | (!self.on_sfu.q.val() & self.mx_done.val()));
        self.q_pop.next = self.go.val();
        if self.go.val() {
            self.tok_dec.next = self.pops.val();
        } else {
            self.tok_dec.next = self.zero4.val();
        }
        self.mx_start.next = self.go.val() & !self.is_nop.val() & !self.is_sfu.val();
        self.sfu_start.next = self.go.val() & !self.is_nop.val() & self.is_sfu.val();
        self.tok_inc.next = self.zero4.val();
        if self.go.val() & self.is_nop.val() {
            self.tok_inc.next = self.push_now.val();
        }
        if self.fin.val() {
            self.tok_inc.next = self.pushes.q.val();
        }
        self.claim.next = self.held.q.val();
        if self.go.val() & !self.is_nop.val() {
            self.claim.next = self.need.val();
        }
        self.sel_sfu.next = self.on_sfu.q.val();
        self.busy.next = self.run.q.val();
        if self.go.val() & !self.is_nop.val() {
            self.run.d.next = true;
            self.on_sfu.d.next = self.is_sfu.val();
            self.held.d.next = self.need.val();
            self.pushes.d.next = self.push_now.val();
        }
        if self.fin.val() {
            self.run.d.next = false;
            self.held.d.next = self.zero4.val();
        }
        if self.rst.val() {
            self.run.d.next = false;
            self.held.d.next = self.zero4.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::{settle, tick};

    #[test]
    fn comp_exec_tokens_ports_and_handshake() {
        let mut uut = CompExec::default();
        uut.connect_all();
        uut.q_empty.next = false;
        uut.is_nop.next = false;
        uut.is_sfu.next = true;
        uut.deps.next = 0b1111u64.to_bits(); // pops L→C and S→C, pushes C→L and C→S
        uut.need.next = 0b0011u64.to_bits();
        uut.tok_avail.next = 0b0001u64.to_bits();
        uut.dma_hold.next = 0u64.to_bits();
        settle(&mut uut);
        assert!(!uut.q_pop.val(), "S→C token missing");
        uut.tok_avail.next = 0b1001u64.to_bits();
        uut.dma_hold.next = 0b0010u64.to_bits();
        settle(&mut uut);
        assert!(!uut.q_pop.val(), "ABUF write held by DMA");
        uut.dma_hold.next = 0b1100u64.to_bits();
        settle(&mut uut);
        assert!(uut.q_pop.val() && uut.sfu_start.val() && !uut.mx_start.val());
        assert_eq!(uut.tok_dec.val().to_u64(), 0b1001);
        assert_eq!(uut.claim.val().to_u64(), 0b0011);
        tick(&mut uut, |u| &mut u.clock);
        uut.need.next = 0u64.to_bits();
        settle(&mut uut);
        assert!(uut.busy.val() && !uut.q_pop.val() && uut.sel_sfu.val());
        assert_eq!(uut.claim.val().to_u64(), 0b0011);
        uut.mx_done.next = true; // the other unit's done is ignored
        settle(&mut uut);
        assert_eq!(uut.tok_inc.val().to_u64(), 0);
        uut.mx_done.next = false;
        uut.sfu_done.next = true;
        settle(&mut uut);
        assert_eq!(uut.tok_inc.val().to_u64(), 0b0110);
        assert_eq!(uut.claim.val().to_u64(), 0b0011, "held through done");
        tick(&mut uut, |u| &mut u.clock);
        uut.sfu_done.next = false;
        uut.is_nop.next = true;
        uut.deps.next = 0b0100u64.to_bits();
        uut.dma_hold.next = 0b1111u64.to_bits();
        settle(&mut uut);
        assert!(uut.q_pop.val() && !uut.sfu_start.val() && !uut.busy.val());
        assert_eq!(uut.tok_inc.val().to_u64(), 0b0010);
        assert_eq!(uut.claim.val().to_u64(), 0);
    }
}
