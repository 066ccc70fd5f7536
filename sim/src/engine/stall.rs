//! Stall cycles by cause, attributed exactly by the timing model: in every
//! simulated cycle each executor, the dispatcher and each DMA engine is
//! either working, idle, or blocked for exactly one of the reasons below
//! (the first failing condition of its issue rule, in the order the rule
//! lists them). Skipped quiet cycles repeat the state of the cycle before
//! them, so they carry its causes.

use serde::Serialize;

/// Why the compute executor did not start its head in a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ComputeCause {
    /// Running an instruction, or started one.
    None,
    /// Its queue is empty.
    Empty,
    /// Waiting for a load→compute token (`pop_prev`).
    LoadToken,
    /// Waiting for a store→compute token (`pop_next`).
    StoreToken,
    /// A DMA transfer holds a buffer port it needs.
    Port,
}

/// Why the load or store executor did not issue its head in a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueCause {
    /// Issued, or nothing to report.
    None,
    /// Its queue is empty.
    Empty,
    /// Waiting for a compute token.
    Token,
    /// The channel's DMA command slot is occupied.
    Slot,
    /// Waiting for every DMA engine of its direction to go idle before
    /// pushing its token.
    Drain,
}

/// Why a DMA engine with an active transfer presented no burst.
pub(crate) const DMA_OUTSTANDING: u8 = 1;
/// The compute unit claims the buffer port the transfer needs.
pub(crate) const DMA_PORT: u8 = 2;

/// The causes of one cycle (see [`Stalls::add`]).
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    pub compute: ComputeCause,
    pub load: QueueCause,
    pub store: QueueCause,
    /// Dispatch blocked by a full queue (0 load, 1 compute, 2 store).
    pub dispatch_full: Option<usize>,
    /// Dispatch has no fetched instruction while some remain.
    pub dispatch_starved: bool,
    /// Per channel: read-engine cause, write-engine cause (`DMA_*` or 0).
    pub dma: Vec<(u8, u8)>,
}

impl Sample {
    pub fn new(channels: usize) -> Self {
        Sample {
            compute: ComputeCause::None,
            load: QueueCause::None,
            store: QueueCause::None,
            dispatch_full: None,
            dispatch_starved: false,
            dma: vec![(0, 0); channels],
        }
    }
}

/// Stall cycles of the load or store executor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueStalls {
    /// Waiting for a token from the compute queue.
    pub wait_token: u64,
    /// The target channel's DMA command slot was occupied.
    pub dma_slot_busy: u64,
    /// Waiting for its DMA engines to finish before pushing a token.
    pub drain_before_push: u64,
    /// Nothing in its queue (not a stall of the program: idle).
    pub queue_empty: u64,
}

/// Stall cycles of the compute executor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ComputeStalls {
    /// Waiting for a load→compute token.
    pub wait_load_token: u64,
    /// Waiting for a store→compute token.
    pub wait_store_token: u64,
    /// A DMA transfer held a buffer port (ABUF/KVBUF) it needs.
    pub port_claim: u64,
    /// Nothing in its queue.
    pub queue_empty: u64,
}

/// Stall cycles of one channel's DMA engines (with a transfer active).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChannelStalls {
    /// Read engine at its limit of outstanding bursts.
    pub read_outstanding_limit: u64,
    /// Read engine waiting for the compute unit to release a port.
    pub read_port_claim: u64,
    /// Write engine at its limit of outstanding bursts.
    pub write_outstanding_limit: u64,
    /// Write engine waiting for the compute unit to release a port.
    pub write_port_claim: u64,
}

/// Stall cycles by unit and cause over a whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stalls {
    /// Compute executor (matrix unit and SFU share it).
    pub compute: ComputeStalls,
    /// Load executor.
    pub load: QueueStalls,
    /// Store executor.
    pub store: QueueStalls,
    /// Dispatch blocked because the load / compute / store queue was full.
    pub dispatch_queue_full: [u64; 3],
    /// Dispatch waiting for instruction fetch.
    pub dispatch_fetch_empty: u64,
    /// Per channel.
    pub channels: Vec<ChannelStalls>,
}

impl Stalls {
    /// Zero counters for `channels` channels.
    pub fn new(channels: usize) -> Self {
        Stalls {
            channels: vec![ChannelStalls::default(); channels],
            ..Default::default()
        }
    }

    /// Adds `s` for `n` cycles, except its per-channel causes
    /// ([`Stalls::add_channel`]).
    pub(crate) fn add(&mut self, s: &Sample, n: u64) {
        let c = &mut self.compute;
        match s.compute {
            ComputeCause::None => {}
            ComputeCause::Empty => c.queue_empty += n,
            ComputeCause::LoadToken => c.wait_load_token += n,
            ComputeCause::StoreToken => c.wait_store_token += n,
            ComputeCause::Port => c.port_claim += n,
        }
        for (q, cause) in [(&mut self.load, s.load), (&mut self.store, s.store)] {
            match cause {
                QueueCause::None => {}
                QueueCause::Empty => q.queue_empty += n,
                QueueCause::Token => q.wait_token += n,
                QueueCause::Slot => q.dma_slot_busy += n,
                QueueCause::Drain => q.drain_before_push += n,
            }
        }
        if let Some(q) = s.dispatch_full {
            self.dispatch_queue_full[q] += n;
        }
        if s.dispatch_starved {
            self.dispatch_fetch_empty += n;
        }
    }

    /// Adds channel `c`'s engine causes `(read, write)` for `n` cycles
    /// (the timing model keeps each channel's cause until it changes and
    /// adds it then, instead of once per cycle in [`Stalls::add`]).
    pub(crate) fn add_channel(&mut self, c: usize, (r, w): (u8, u8), n: u64) {
        let ch = &mut self.channels[c];
        match r {
            DMA_OUTSTANDING => ch.read_outstanding_limit += n,
            DMA_PORT => ch.read_port_claim += n,
            _ => {}
        }
        match w {
            DMA_OUTSTANDING => ch.write_outstanding_limit += n,
            DMA_PORT => ch.write_port_claim += n,
            _ => {}
        }
    }
}

/// The cause of an executor without a head to judge: draining, or empty.
pub(crate) fn queue_cause(wait: bool, empty: bool) -> QueueCause {
    if wait {
        QueueCause::Drain
    } else if empty {
        QueueCause::Empty
    } else {
        QueueCause::None
    }
}

/// The cause of a load/store head that may not issue.
pub(crate) fn blocked(no_token: bool, ch_ready: bool) -> QueueCause {
    if no_token {
        QueueCause::Token
    } else if !ch_ready {
        QueueCause::Slot
    } else {
        QueueCause::None
    }
}
