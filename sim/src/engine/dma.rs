//! The DMA engines of one channel, cycle by cycle (the rules of
//! `llmfab_isa::timing`, "DMA engines"; RTL: `llmfab_dma_walk`,
//! `llmfab_dma_rd`, `llmfab_dma_wr`).

use llmfab_isa::timing::{address_rows, burst_beats, port, W_READ_LIMIT};
use llmfab_isa::EngineConfig;
use std::collections::VecDeque;

/// A transfer handed to an engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Xfer {
    /// Rows.
    pub rows: u64,
    /// Bytes per row.
    pub row_bytes: u64,
    /// Channel-local memory address.
    pub hbm_addr: u64,
    /// Memory stride.
    pub hbm_stride: u64,
    /// Shared port it claims (a `port::*` bit, or 0).
    pub need: u8,
    /// Index of the instruction (for traces).
    pub index: usize,
}

#[derive(Clone, Copy, Debug)]
struct Active {
    x: Xfer,
    /// Address rows left ([`address_rows`]).
    rows_left: u64,
    /// Beats of each address row.
    row_beats: u64,
    beats_left: u64,
    mem: u64,
    row_mem: u64,
    acq: bool,
}

/// The address side shared by both engines.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    slot: Option<Xfer>,
    active: Option<Active>,
}

/// A presented burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    /// Beats.
    pub beats: u64,
    /// Last burst of its transfer.
    pub last: bool,
    /// The transfer's shared port.
    pub need: u8,
    /// The transfer claims its port in this cycle.
    pub acq_now: bool,
    /// Instruction index.
    pub index: usize,
}

impl Walk {
    /// The slot is empty (start of cycle).
    pub fn ready(&self) -> bool {
        self.slot.is_none()
    }
    /// The slot's transfer becomes active at the end of this cycle.
    pub fn moving(&self) -> bool {
        self.slot.is_some() && self.active.is_none()
    }
    /// A transfer is in the slot or active.
    pub fn pending(&self) -> bool {
        self.slot.is_some() || self.active.is_some()
    }
    /// The burst presented in this cycle (`out` outstanding, `claim` the
    /// compute executor's claim in this cycle).
    pub fn present(&self, out: u64, claim: u8, cfg: &EngineConfig) -> Option<Burst> {
        let a = self.active.as_ref()?;
        if out >= cfg.max_outstanding as u64 || !(a.acq || a.x.need & claim == 0) {
            return None;
        }
        let n = burst_beats(a.mem, a.beats_left, cfg);
        Some(Burst {
            beats: n,
            last: n == a.beats_left && a.rows_left == 1,
            need: a.x.need,
            acq_now: !a.acq && a.x.need != 0,
            index: a.x.index,
        })
    }
    /// With an empty slot and no active transfer, or an active one at the
    /// outstanding limit, the walk neither presents nor moves in this
    /// cycle: `Some` of its stall code then.
    pub(crate) fn waiting(&self, out: u64, cfg: &EngineConfig) -> Option<u8> {
        match (&self.slot, &self.active) {
            (None, None) => Some(0),
            (None, Some(_)) if out >= cfg.max_outstanding as u64 => {
                Some(super::stall::DMA_OUTSTANDING)
            }
            _ => None,
        }
    }
    /// Why an active transfer presents no burst in this cycle (the
    /// `stall::DMA_*` codes; 0 when it presents one or none is active).
    pub(crate) fn blocked(&self, out: u64, claim: u8, cfg: &EngineConfig) -> u8 {
        match &self.active {
            None => 0,
            Some(_) if out >= cfg.max_outstanding as u64 => super::stall::DMA_OUTSTANDING,
            Some(a) if !(a.acq || a.x.need & claim == 0) => super::stall::DMA_PORT,
            Some(_) => 0,
        }
    }
    /// End of cycle: `fired` the burst presented (always accepted), `cmd`
    /// a transfer handed over.
    pub fn update(&mut self, fired: Option<Burst>, cmd: Option<Xfer>, cfg: &EngineConfig) {
        let moving = self.slot.is_some() && self.active.is_none();
        if let (Some(b), Some(a)) = (fired, self.active.as_mut()) {
            a.acq = true;
            if b.beats == a.beats_left {
                a.rows_left -= 1;
                a.row_mem += a.x.hbm_stride;
                a.mem = a.row_mem;
                a.beats_left = a.row_beats;
            } else {
                a.beats_left -= b.beats;
                a.mem += b.beats * cfg.beat_bytes();
            }
            if b.last {
                self.active = None;
            }
        }
        if let Some(c) = cmd {
            debug_assert!(self.slot.is_none());
            self.slot = Some(c);
        } else if moving {
            let x = self.slot.take().expect("slot checked");
            let (rows, beats) = address_rows(x.rows, x.row_bytes, x.hbm_stride, cfg);
            self.active = Some(Active {
                x,
                rows_left: rows,
                row_beats: beats,
                beats_left: beats,
                mem: x.hbm_addr,
                row_mem: x.hbm_addr,
                acq: false,
            });
        }
    }
}

/// A channel's read engine (loads).
#[derive(Clone, Debug, Default)]
pub struct ReadEngine {
    /// Address side.
    pub walk: Walk,
    /// Outstanding bursts: (beats, last of transfer, port, instruction).
    bursts: VecDeque<(u64, bool, u8, usize)>,
    hold_ab: u64,
    hold_kv: u64,
}

impl ReadEngine {
    /// Slot, active transfer or outstanding bursts (start of cycle).
    pub fn busy(&self) -> bool {
        self.walk.pending() || !self.bursts.is_empty()
    }
    /// Nothing pending: stepping it without a command changes nothing.
    pub fn quiet(&self) -> bool {
        !self.busy()
    }
    /// Shared ports held.
    pub fn hold(&self) -> u8 {
        (if self.hold_ab > 0 { port::ABUF_W } else { 0 })
            | (if self.hold_kv > 0 { port::KV_W } else { 0 })
    }
    /// Outstanding bursts.
    pub fn out(&self) -> u64 {
        self.bursts.len() as u64
    }
    /// End of cycle: `fired` burst, `rlast` the last beat of the oldest
    /// burst arrived; returns the instruction index of a transfer that
    /// completed.
    pub fn update(
        &mut self,
        fired: Option<Burst>,
        rlast: bool,
        cmd: Option<Xfer>,
        cfg: &EngineConfig,
    ) -> Option<usize> {
        let mut done = None;
        if rlast {
            if let Some((_, last, need, index)) = self.bursts.pop_front() {
                if last {
                    done = Some(index);
                    match need {
                        port::ABUF_W => self.hold_ab -= 1,
                        port::KV_W => self.hold_kv -= 1,
                        _ => {}
                    }
                }
            }
        }
        if let Some(b) = fired {
            if b.acq_now {
                match b.need {
                    port::ABUF_W => self.hold_ab += 1,
                    port::KV_W => self.hold_kv += 1,
                    _ => {}
                }
            }
            self.bursts.push_back((b.beats, b.last, b.need, b.index));
        }
        self.walk.update(fired, cmd, cfg);
        done
    }
}

/// A channel's write engine (stores).
#[derive(Clone, Debug, Default)]
pub struct WriteEngine {
    /// Address side.
    pub walk: Walk,
    /// Bursts awaiting B: (last of transfer, port, instruction).
    out: VecDeque<(bool, u8, usize)>,
    /// Bursts queued for the read side (beats).
    desc: VecDeque<u64>,
    /// Beats left in the burst being read (0: none).
    rd_left: u64,
    /// Read in the previous cycle: Some(last beat of burst).
    pushing: Option<bool>,
    /// The W FIFO: last-of-burst flags.
    wfifo: VecDeque<bool>,
    hold_ab: u64,
    hold_kv: u64,
}

impl WriteEngine {
    /// Slot, active transfer or outstanding bursts.
    pub fn busy(&self) -> bool {
        self.walk.pending() || !self.out.is_empty()
    }
    /// Nothing pending on either side (address, data, responses):
    /// stepping it without a command changes nothing.
    pub fn quiet(&self) -> bool {
        !self.busy()
            && self.desc.is_empty()
            && self.rd_left == 0
            && self.pushing.is_none()
            && self.wfifo.is_empty()
    }
    /// Shared ports held.
    pub fn hold(&self) -> u8 {
        (if self.hold_ab > 0 { port::ABUF_R } else { 0 })
            | (if self.hold_kv > 0 { port::KV_R } else { 0 })
    }
    /// Outstanding bursts.
    pub fn out(&self) -> u64 {
        self.out.len() as u64
    }
    /// `wvalid` in this cycle.
    pub fn wvalid(&self) -> bool {
        !self.wfifo.is_empty()
    }
    /// End of cycle: `fired` AW burst, `wmove` a W beat moved, `bvalid` a B
    /// response; returns the instruction index of a completed transfer.
    pub fn update(
        &mut self,
        fired: Option<Burst>,
        wmove: bool,
        bvalid: bool,
        cmd: Option<Xfer>,
        cfg: &EngineConfig,
    ) -> Option<usize> {
        // Read side (start-of-cycle values).
        let space = self.wfifo.len() as u64 + u64::from(self.pushing.is_some()) <= W_READ_LIMIT;
        let mut read: Option<bool> = None;
        let mut pop_desc = false;
        if self.rd_left == 0 {
            if let (Some(&n), true) = (self.desc.front(), space) {
                pop_desc = true;
                read = Some(n == 1);
                self.rd_left = n - 1;
            }
        } else if space {
            self.rd_left -= 1;
            read = Some(self.rd_left == 0);
        }
        if pop_desc {
            self.desc.pop_front();
        }
        if wmove {
            self.wfifo.pop_front();
        }
        if let Some(last) = self.pushing {
            self.wfifo.push_back(last);
        }
        self.pushing = read;
        let mut done = None;
        if bvalid {
            if let Some((last, need, index)) = self.out.pop_front() {
                if last {
                    done = Some(index);
                    match need {
                        port::ABUF_R => self.hold_ab -= 1,
                        port::KV_R => self.hold_kv -= 1,
                        _ => {}
                    }
                }
            }
        }
        if let Some(b) = fired {
            if b.acq_now {
                match b.need {
                    port::ABUF_R => self.hold_ab += 1,
                    port::KV_R => self.hold_kv += 1,
                    _ => {}
                }
            }
            self.out.push_back((b.last, b.need, b.index));
            self.desc.push_back(b.beats);
        }
        self.walk.update(fired, cmd, cfg);
        done
    }
    /// The read side reads or pushes a beat in this cycle (not quiet).
    pub fn streaming(&self) -> bool {
        let space = self.wfifo.len() as u64 + u64::from(self.pushing.is_some()) <= W_READ_LIMIT;
        self.pushing.is_some() || (space && (self.rd_left > 0 || !self.desc.is_empty()))
    }
}
