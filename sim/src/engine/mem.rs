//! The memory behind one AXI port, cycle by cycle, as
//! `llmfab_isa::timing` specifies (and the testbench's `llmfab_tb_mem`
//! implements).

use llmfab_isa::timing::{read_latency, write_latency};
use llmfab_isa::MemTiming;
use std::collections::VecDeque;

/// One port's memory timing state.
#[derive(Clone, Debug, Default)]
pub struct MemPort {
    rlat: u64,
    wlat: u64,
    gap: u64,
    /// Read bursts: (beats, acceptance cycle).
    ar: VecDeque<(u64, u64)>,
    have: bool,
    first: u64,
    rfree: u64,
    /// Wake up for every read beat (the instruction port, whose beats
    /// each enter the instruction FIFO), or only for a burst's last beat.
    per_beat: bool,
    /// Write bursts (beats), accepted before the current cycle.
    aw: VecDeque<u64>,
    widx: u64,
    wfree: u64,
    /// Cycles of pending B responses.
    b: VecDeque<u64>,
}

/// What a port does in one cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemOut {
    /// A read beat.
    pub rbeat: bool,
    /// It is its burst's last.
    pub rlast: bool,
    /// `wready`.
    pub wready: bool,
    /// A B response.
    pub bvalid: bool,
}

impl MemPort {
    /// A port with timing `m`.
    ///
    /// `per_beat`: whether every read beat is an event (the instruction
    /// port) or only the last beat of each burst (channels).
    pub fn new(m: &MemTiming, per_beat: bool) -> Self {
        MemPort {
            rlat: read_latency(m),
            wlat: write_latency(m),
            gap: m.burst_gap as u64,
            per_beat,
            ..Default::default()
        }
    }

    /// Outputs in cycle `t` (from the state at its start).
    pub fn outputs(&self, t: u64) -> MemOut {
        let rbeat = self.have && t >= self.first;
        MemOut {
            rbeat,
            rlast: rbeat
                && self
                    .ar
                    .front()
                    .is_some_and(|&(n, _)| t + 1 == self.first + n),
            wready: !self.aw.is_empty() && t >= self.wfree,
            bvalid: self.b.front().is_some_and(|&bt| t >= bt),
        }
    }

    /// End of cycle `t`: `o` were the outputs, `ar`/`aw` the bursts (beats)
    /// accepted, `wvalid` the master's W valid.
    pub fn update(&mut self, t: u64, o: MemOut, ar: Option<u64>, aw: Option<u64>, wvalid: bool) {
        if o.rlast {
            self.rfree = t + 1 + self.gap;
            self.ar.pop_front();
            self.have = false;
        }
        if let Some(n) = ar {
            self.ar.push_back((n, t));
        }
        if !self.have {
            if let Some(&(_, acc)) = self.ar.front() {
                self.have = true;
                self.first = (acc + self.rlat).max(self.rfree);
            }
        }
        if o.wready && wvalid {
            let n = self.aw.front().copied().unwrap_or(1);
            if self.widx + 1 == n {
                self.b.push_back(t + self.wlat);
                self.wfree = t + 1 + self.gap;
                self.aw.pop_front();
                self.widx = 0;
            } else {
                self.widx += 1;
            }
        }
        if let Some(n) = aw {
            self.aw.push_back(n);
        }
        if o.bvalid {
            self.b.pop_front();
        }
    }

    /// The next cycle after `t` in which this port's outputs can change
    /// without any new input (for skipping quiet cycles).
    pub fn wakeup(&self, t: u64) -> Option<u64> {
        let mut w: Option<u64> = None;
        let mut at = |c: u64| {
            if c > t {
                w = Some(w.map_or(c, |x: u64| x.min(c)));
            }
        };
        if self.have {
            if self.per_beat {
                at(self.first);
            } else if let Some(&(n, _)) = self.ar.front() {
                at(self.first + n - 1);
            }
        }
        if !self.aw.is_empty() {
            at(self.wfree);
        }
        if let Some(&bt) = self.b.front() {
            at(bt);
        }
        w
    }

    /// No read burst accepted or delivering.
    pub fn read_quiet(&self) -> bool {
        self.ar.is_empty() && !self.have
    }

    /// No write burst accepted and no B response pending.
    pub fn write_quiet(&self) -> bool {
        self.aw.is_empty() && self.b.is_empty()
    }

    /// Nothing pending.
    pub fn is_idle(&self) -> bool {
        self.ar.is_empty() && self.aw.is_empty() && self.b.is_empty()
    }
}
