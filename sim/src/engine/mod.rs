//! The cycle-level timing model of one engine (docs/engine.md §6): the
//! exact rules of `llmfab_isa::timing`, cycle by cycle, skipping quiet
//! cycles. Its cycle count equals the Verilog testbench's on the same
//! program, config and [`MemTiming`] (CI compares them). See docs/sim.md.
//!
//! | module | concept |
//! |---|---|
//! | [`simulate`] | timing-only mode: cycles, per-instruction times, stalls |
//! | [`functional`] | functional mode: the same timing, data moved with the reference semantics |
//! | [`stall`] | stall cycles by cause, attributed exactly |
//! | [`work`] | the work of instructions and ops, and their roofline bound on the engine |
//! | [`report`] | the report of a run: utilisation, bandwidth, per-op rows |
//! | [`energy`] | the analyzer's device energy model on simulated activity |
//! | [`trace`] | a Chrome trace-event timeline (Perfetto) |
//!
//! ```no_run
//! # use llmfab_isa::{EngineConfig, MemTiming, Program};
//! # let (cfg, prog) = (EngineConfig::tiny(), Program::new());
//! let t = llmfab_sim::engine::simulate(&cfg, &MemTiming::default(), prog.instrs(), None).unwrap();
//! println!("{} cycles", t.cycles);
//! ```

mod core;
pub mod dma;
pub mod energy;
pub mod functional;
pub mod mem;
pub mod report;
pub mod stall;
pub mod trace;
pub mod work;

#[cfg(test)]
mod tests;

use llmfab_isa::instr::Instr;
use llmfab_isa::{EngineConfig, MemTiming};
pub use stall::Stalls;

/// When one instruction ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstrTime {
    /// Cycle its executor issued it (0 if never).
    pub issue: u64,
    /// Cycle it finished: a compute unit's `done`; a transfer's last beat
    /// (load) or last write response (store); a `nop`'s issue cycle.
    pub done: u64,
}

/// The result of a timing run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Cycles from `start` to `done` (the kernel's cycle counter).
    pub cycles: u64,
    /// Per instruction, in program order.
    pub instrs: Vec<InstrTime>,
    /// Quiet cycles skipped (a measure of the model's speed-up).
    pub skipped: u64,
    /// AXI beats read per channel (loads).
    pub read_beats: Vec<u64>,
    /// AXI beats written per channel (stores).
    pub write_beats: Vec<u64>,
    /// Cycles the compute units were busy (sum of `start`→`done`).
    pub compute_busy: u64,
    /// Stall cycles by unit and cause.
    pub stalls: stall::Stalls,
}

/// Errors of the engine timing model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineSimError {
    /// A transfer names a channel the config does not have.
    #[error("cycle {cycle}: a transfer names a channel outside the config")]
    Channel {
        /// Cycle.
        cycle: u64,
    },
    /// A token counter went below zero (the program is invalid).
    #[error("cycle {cycle}: token counter {counter} underflows (run llmfab_isa::check first)")]
    Token {
        /// Cycle.
        cycle: u64,
        /// Counter (0 L→C, 1 C→L, 2 C→S, 3 S→C).
        counter: usize,
    },
    /// Nothing can move any more (a token that never comes).
    #[error("cycle {cycle}: deadlock (an instruction waits for a token no one pushes)")]
    Deadlock {
        /// Cycle.
        cycle: u64,
    },
    /// The run did not finish in time.
    #[error("no done after {cycles} cycles")]
    Timeout {
        /// The limit.
        cycles: u64,
    },
}

/// Simulates `prog` on `cfg` with memory timing `mem`. `compute` gives
/// each compute instruction's unit cycles (default:
/// `llmfab_isa::timing::compute_cycles`).
pub fn simulate(
    cfg: &EngineConfig,
    mem: &MemTiming,
    prog: &[Instr],
    compute: Option<&dyn Fn(&Instr) -> u64>,
) -> Result<Timing, EngineSimError> {
    let default = |i: &Instr| llmfab_isa::timing::compute_cycles(i, cfg).unwrap_or(1);
    let f: &dyn Fn(&Instr) -> u64 = match compute {
        Some(f) => f,
        None => &default,
    };
    core::run(cfg, mem, prog, f, u64::MAX / 4)
}
