//! `llmfab_xfer_exec`: the load (or store) queue's executor (engine.md
//! §5.1). One instance per queue; the structural top wires the token
//! counter it pops and the one it pushes, and the DMA engines of its
//! direction.
//!
//! Timing: in cycle `t` the head instruction (visible since the cycle
//! after it was pushed) *issues* when its pop token is available
//! (`tok_avail`, registered) and, for a transfer, channel `ch`'s command
//! slot is empty (`ch_ready`, registered): it pops the token, hands the
//! transfer over (`cmd_valid`) and leaves the queue in `t`. Without a push
//! flag the next instruction can issue in `t+1`. With one, the executor
//! waits from `t+1` for the first cycle `u` in which every engine of its
//! direction is idle (`all_idle`, registered), pushes the token in `u`
//! (poppable from `u+1`) and the next instruction can issue in `u+1`.

use rust_hdl::prelude::*;

/// Load or store queue executor.
#[derive(LogicBlock, Default)]
pub struct XferExec {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// The queue is empty.
    pub q_empty: Signal<In, Bit>,
    /// The head is a transfer (`load`/`store`), not a `nop`.
    pub is_xfer: Signal<In, Bit>,
    /// The head pops a token (load: `pop_next`; store: `pop_prev`).
    pub pop_flag: Signal<In, Bit>,
    /// The head pushes a token (load: `push_next`; store: `push_prev`).
    pub push_flag: Signal<In, Bit>,
    /// The popped counter holds a token.
    pub tok_avail: Signal<In, Bit>,
    /// Channel `ch` of the head can take a transfer.
    pub ch_ready: Signal<In, Bit>,
    /// Every DMA engine of this direction is idle.
    pub all_idle: Signal<In, Bit>,
    /// Drop the queue head.
    pub q_pop: Signal<Out, Bit>,
    /// Pop a token.
    pub tok_dec: Signal<Out, Bit>,
    /// Push a token.
    pub tok_inc: Signal<Out, Bit>,
    /// Hand the head's transfer to channel `ch`.
    pub cmd_valid: Signal<Out, Bit>,
    /// Waiting to push (not idle).
    pub busy: Signal<Out, Bit>,
    waiting: DFF<Bit>,
    go: Signal<Local, Bit>,
}

impl Logic for XferExec {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, waiting);
        self.go.next = !self.waiting.q.val()
            & !self.q_empty.val()
            & (!self.pop_flag.val() | self.tok_avail.val())
            & (!self.is_xfer.val() | self.ch_ready.val());
        self.q_pop.next = self.go.val();
        self.tok_dec.next = self.go.val() & self.pop_flag.val();
        self.cmd_valid.next = self.go.val() & self.is_xfer.val();
        self.tok_inc.next = self.waiting.q.val() & self.all_idle.val();
        self.busy.next = self.waiting.q.val();
        if self.go.val() & self.push_flag.val() {
            self.waiting.d.next = true;
        }
        if self.waiting.q.val() & self.all_idle.val() {
            self.waiting.d.next = false;
        }
        if self.rst.val() {
            self.waiting.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::{settle, tick};

    #[test]
    fn xfer_exec_waits_for_tokens_channels_and_idle() {
        let mut uut = XferExec::default();
        uut.connect_all();
        // head: a transfer that pops and pushes
        uut.q_empty.next = false;
        uut.is_xfer.next = true;
        uut.pop_flag.next = true;
        uut.push_flag.next = true;
        uut.tok_avail.next = false;
        uut.ch_ready.next = true;
        uut.all_idle.next = true;
        settle(&mut uut);
        assert!(!uut.q_pop.val(), "no token yet");
        uut.tok_avail.next = true;
        uut.ch_ready.next = false;
        settle(&mut uut);
        assert!(!uut.q_pop.val(), "channel busy");
        uut.ch_ready.next = true;
        settle(&mut uut);
        assert!(uut.q_pop.val() && uut.tok_dec.val() && uut.cmd_valid.val() && !uut.tok_inc.val());
        tick(&mut uut, |u| &mut u.clock);
        uut.all_idle.next = false;
        settle(&mut uut);
        assert!(uut.busy.val() && !uut.q_pop.val() && !uut.tok_inc.val());
        tick(&mut uut, |u| &mut u.clock);
        uut.all_idle.next = true;
        settle(&mut uut);
        assert!(uut.tok_inc.val() && !uut.q_pop.val());
        tick(&mut uut, |u| &mut u.clock);
        // a nop without flags goes at once
        uut.is_xfer.next = false;
        uut.pop_flag.next = false;
        uut.push_flag.next = false;
        uut.ch_ready.next = false;
        settle(&mut uut);
        assert!(uut.q_pop.val() && !uut.cmd_valid.val() && !uut.busy.val());
    }
}
