//! The shared timing model of the engine (docs/engine.md §6): the exact
//! cycle behaviour of the core — fetch, dispatch, queues, tokens, port
//! claims, DMA engines — and of the memory behind every AXI port, plus the
//! closed-form cycle counts of the compute units ([`matrix`], [`sfu`]).
//! `llmfab_sim::engine` implements these rules; the Verilog testbench
//! (`llmfab_hdl::tb`) measures the RTL; CI demands equal cycle counts.
//!
//! # Cycles
//!
//! Cycle `t` is the clock period after rising edge `t`. "X in `t`" means a
//! combinational decision made in `t` from the registers' values at the
//! start of `t`; its register effects are visible from `t+1`. Cycle 0 is the
//! cycle of the engine's `start` pulse (the kernel raises it in the cycle
//! after the AXI4-Lite write of `ap_start`); the run's cycle count is the
//! cycle `d` of the engine's `done` pulse, the first cycle `d ≥ 1` in which
//! everything is idle (below). The kernel's cycle counter reads `d`.
//!
//! # Memory (every AXI port: `m_axi_instr`, `m_axi_ch<c>`; [`MemTiming`])
//!
//! - Address channels are always ready. A read burst accepted in `t`
//!   delivers its first beat in `max(t + read_latency, rfree)` and one beat
//!   per cycle after it; after its last beat in `e`, `rfree = e + 1 +
//!   burst_gap`. Bursts are served in acceptance order.
//! - A write burst accepted in `t` can take data from `t+1`. `wready` is
//!   high in `u` when an accepted burst waits and `u ≥ wfree`; a beat moves
//!   when `wvalid` is high too. After a burst's last beat in `e`, its B
//!   response is valid in exactly `e + write_latency` and `wfree = e + 1 +
//!   burst_gap`.
//! - `read_latency` and `write_latency` of 0 count as 1.
//!
//! # Fetch and dispatch
//!
//! - Fetch (from cycle 1): in each cycle in which beats remain (`left`),
//!   fewer than `max_outstanding` fetch bursts are outstanding and the
//!   instruction FIFO ([`fetch_fifo_beats`] deep) has `n` unreserved beats,
//!   it issues a burst of `n = min(max_burst, left, beats to the next 4 KiB
//!   boundary)`; it reserves the `n` beats. A burst stops being outstanding
//!   after the cycle of its last beat; a beat arriving in `t` is in the FIFO
//!   from `t+1`; a beat the dispatcher drops in `t` is unreserved from `t+1`.
//!   `instr_count` instructions are fetched (a beat holds `port_bits/256`).
//! - Dispatch: in `t`, if the FIFO holds a beat and not all instructions
//!   have been dispatched, the current instruction (low half first) goes to
//!   its queue if that queue is not full (occupancy at the start of `t`);
//!   it is at the queue head from `t+1`. One instruction per cycle. `halt`
//!   and everything after it take a dispatch cycle and go nowhere.
//! - Queues hold `queue_depth` instructions; the head leaves in the cycle
//!   its executor issues it.
//!
//! # Tokens and executors
//!
//! - A token pushed in `t` can be popped from `t+1`.
//! - Load (store) executor: in `t` the head *issues* when its pop token is
//!   available and, for a transfer, channel `ch`'s command slot is empty:
//!   it takes the token and hands the transfer to the slot (occupied from
//!   `t+1`). Without a push flag the next head can issue in `t+1`. With one,
//!   the executor waits from `t+1` for the first cycle `u` in which every
//!   DMA engine of its direction is idle, pushes in `u`, and the next head
//!   can issue in `u+1`.
//! - Compute executor: in `t` the head *starts* when its pop tokens are
//!   available and, unless it is a `nop`, no DMA transfer holds one of its
//!   shared ports ([`ports`]). A `nop` pushes in `t` (next head in `t+1`);
//!   another instruction raises its unit's `start` in `t`, the unit's `done`
//!   comes in `d = t + cycles` ([`compute_cycles`]), its pushes happen in
//!   `d`, and the next head can start in `d+1`. The instruction *claims* its
//!   ports in every cycle from `t` to `d`.
//!
//! # DMA engines (one read and one write engine per channel)
//!
//! - Command slot → active: in the first cycle `u` in which the slot is
//!   full and no transfer is active, the transfer becomes active (from
//!   `u+1`) and the slot empties (from `u+1`).
//! - An active transfer presents its next burst in every cycle in which
//!   fewer than `max_outstanding` of the engine's bursts are outstanding
//!   and either it needs no shared port (WBUF, SBUF), or it has already
//!   claimed it, or the compute executor does not claim that port in that
//!   cycle. The address handshake happens in the same cycle (always ready).
//!   The first presentation claims the port. After the last burst's
//!   handshake in `v` the engine has no active transfer from `v+1`.
//! - Bursts: the transfer's memory is walked in *address rows*
//!   ([`address_rows`]): when `hbm_stride = row_bytes` its rows form one
//!   contiguous range, which is one address row of `rows·row_bytes` bytes;
//!   otherwise each row of `row_bytes` is an address row. Each address row
//!   is split into bursts of `min(max_burst, beats left in the address row,
//!   beats to the next 4 KiB boundary of the channel-local address)` beats
//!   (base pointers are 4 KiB aligned). The data side is unaffected: beat
//!   `j` of the transfer is byte `(j mod row_beats)·beat` of row
//!   `j / row_beats`, placed at (read from) that row's buffer address.
//! - Read engine: a read burst is outstanding from its handshake to the
//!   cycle of its last beat inclusive; the transfer's port claim ends after
//!   the cycle of its last beat.
//! - Write engine: each handshake in `t` queues the burst for the read side
//!   (from `t+1`). The read side reads one beat per cycle from the buffer in
//!   every cycle in which `W + r ≤ 2` (`W` = beats in the 4-beat W FIFO at
//!   the start of the cycle, `r` = 1 if it read in the previous cycle); a
//!   burst's first beat needs a queued burst, the others continue the
//!   current one. A beat read in `t` enters the W FIFO at the end of `t+1`
//!   and is offered on W (`wvalid`) from `t+2`. A write burst is outstanding
//!   from its handshake to the cycle of its B response inclusive; the
//!   transfer's claim ends after the B response of its last burst.
//! - An engine is *idle* in `t` when its slot is empty, no transfer is
//!   active and none of its bursts is outstanding (start-of-`t` values).
//!
//! # Done
//!
//! `done` comes in the first cycle `d ≥ 1` in which all instructions have
//! been dispatched, the three queues are empty, no executor waits or runs,
//! every DMA engine is idle and no fetch burst remains or is outstanding.

pub mod matrix;
pub mod sfu;

use crate::config::{EngineConfig, MemTiming};
use crate::instr::{Instr, Op};

/// Shared buffer ports (bits of a port set, [`ports`]).
pub mod port {
    /// ABUF read port.
    pub const ABUF_R: u8 = 1;
    /// ABUF write port.
    pub const ABUF_W: u8 = 2;
    /// KVBUF read port.
    pub const KV_R: u8 = 4;
    /// KVBUF write port.
    pub const KV_W: u8 = 8;
}

/// Entries of each DMA engine's descriptor FIFOs (≥ `max_outstanding`).
pub const DESC_DEPTH: u64 = 16;
/// Beats of each write engine's W FIFO.
pub const W_FIFO_BEATS: u64 = 4;
/// The write engine reads a beat when `W + r ≤ W_READ_LIMIT`.
pub const W_READ_LIMIT: u64 = 2;

/// Beats of the instruction FIFO: `2·max_burst`, in `4..=1024`.
pub fn fetch_fifo_beats(cfg: &EngineConfig) -> u64 {
    (2 * cfg.max_burst as u64).clamp(4, 1024)
}

/// `read_latency`, at least 1.
pub fn read_latency(m: &MemTiming) -> u64 {
    m.read_latency.max(1) as u64
}

/// `write_latency`, at least 1.
pub fn write_latency(m: &MemTiming) -> u64 {
    m.write_latency.max(1) as u64
}

/// The shared ports a compute instruction claims (engine.md §4; `nop`,
/// `load`, `store`, `halt`: none).
pub fn ports(instr: &Instr) -> u8 {
    use port::*;
    match &instr.op {
        Op::Matmul(x) => ABUF_R | if x.bsrc == 1 { KV_R } else { 0 },
        Op::Requant(x) => {
            (if x.src == 0 { ABUF_R } else { 0 })
                | (if x.dst == 0 { ABUF_W } else { 0 })
                | (if x.dst == 2 { KV_W } else { 0 })
        }
        Op::Softmax(_) => ABUF_W,
        Op::Rmsnorm(_)
        | Op::Layernorm(_)
        | Op::Silu(_)
        | Op::Gelu(_)
        | Op::Rope(_)
        | Op::Add(_)
        | Op::Mul(_) => ABUF_R | ABUF_W,
        Op::Nop(_) | Op::Load(_) | Op::Store(_) | Op::Halt(_) => 0,
    }
}

/// Cycles from `start` to `done` of a compute instruction on its unit
/// (`None` for `nop`, `load`, `store`, `halt`).
pub fn compute_cycles(instr: &Instr, cfg: &EngineConfig) -> Option<u64> {
    matrix::cycles(instr, cfg).or_else(|| sfu::cycles(instr, cfg))
}

/// The address rows of a transfer (the "Bursts" rule): `(count, beats
/// each)`. A transfer whose memory rows are contiguous (`hbm_stride =
/// row_bytes`) is one address row of `rows·row_bytes` bytes; any other is
/// `rows` address rows of `row_bytes`.
pub fn address_rows(rows: u64, row_bytes: u64, hbm_stride: u64, cfg: &EngineConfig) -> (u64, u64) {
    let beats = row_bytes / cfg.beat_bytes();
    if hbm_stride == row_bytes && rows > 1 {
        (1, rows * beats)
    } else {
        (rows, beats)
    }
}

/// Beats of one burst starting at channel-local byte `addr` with `left`
/// beats left in the address row ([`address_rows`]).
pub fn burst_beats(addr: u64, left: u64, cfg: &EngineConfig) -> u64 {
    let beat = cfg.beat_bytes();
    let to4k = (4096 - addr % 4096) / beat;
    left.min(cfg.max_burst as u64).min(to4k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instr::{Matmul, Requant, Softmax};

    #[test]
    fn port_sets_follow_the_table() {
        let mm = |bsrc| {
            Instr::new(Op::Matmul(Matmul {
                bsrc,
                ..Default::default()
            }))
        };
        assert_eq!(ports(&mm(0)), port::ABUF_R);
        assert_eq!(ports(&mm(1)), port::ABUF_R | port::KV_R);
        let rq = |src, dst| {
            Instr::new(Op::Requant(Requant {
                src,
                dst,
                ..Default::default()
            }))
        };
        assert_eq!(ports(&rq(4, 2)), port::KV_W);
        assert_eq!(ports(&rq(0, 0)), port::ABUF_R | port::ABUF_W);
        assert_eq!(
            ports(&Instr::new(Op::Softmax(Softmax::default()))),
            port::ABUF_W
        );
        let c = EngineConfig::tiny();
        assert_eq!(burst_beats(4096 - 64, 100, &c), 2);
        assert_eq!(burst_beats(0, 100, &c), 4);
        assert_eq!(burst_beats(0, 3, &c), 3);
        let beat = c.beat_bytes();
        assert_eq!(address_rows(5, 2 * beat, 2 * beat, &c), (1, 10));
        assert_eq!(address_rows(5, 2 * beat, 4 * beat, &c), (5, 2));
        assert_eq!(address_rows(5, 2 * beat, 0, &c), (5, 2));
        assert_eq!(address_rows(1, 2 * beat, 2 * beat, &c), (1, 2));
    }
}
