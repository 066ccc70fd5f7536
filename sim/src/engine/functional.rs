//! Functional mode: the timing run, plus the data. Every instruction up to
//! the first `halt` takes effect on a [`Machine`] (the reference
//! interpreter's semantics, [`Machine::execute`]) in the order the timing
//! model completes them — by `done` cycle, ties in program order — so a
//! race-free program ends in exactly the reference interpreter's state.
//! The token counters are the timing model's business: the machine's stay
//! untouched.
//!
//! Tokens order every dependent pair: the consumer starts only after the
//! producer's `done` (a load's last beat, a compute unit's `done`), so
//! completion order respects every dependency the program declares. A
//! program whose result depends on an order the tokens leave open has a
//! race (`llmfab_isa::schedule` finds those); its functional result is the
//! one this engine's timing produces.

use super::{simulate, EngineSimError, Timing};
use llmfab_isa::instr::Op;
use llmfab_isa::{IsaError, Machine, MemTiming, Program};

/// Errors of a functional run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FunctionalError {
    /// The timing model failed (invalid program, deadlock).
    #[error(transparent)]
    Timing(#[from] EngineSimError),
    /// An instruction's effect failed on the reference semantics.
    #[error("instruction {index}{}: {source}", provenance.as_deref().map(|p| format!(" ({p})")).unwrap_or_default())]
    Exec {
        /// Instruction index.
        index: usize,
        /// Its provenance.
        provenance: Option<String>,
        /// The reference interpreter's error.
        source: IsaError,
    },
}

/// Runs `prog` on `m` (its config and memory): times it and applies every
/// instruction's effect in completion order. Returns the timing.
pub fn run(m: &mut Machine, mem: &MemTiming, prog: &Program) -> Result<Timing, FunctionalError> {
    let cfg = m.cfg.clone();
    let t = simulate(&cfg, mem, prog.instrs(), None)?;
    apply(m, prog, &t)?;
    Ok(t)
}

/// The completion order of a timed run: indices of the instructions before
/// the first `halt`, by `done` cycle, ties in program order.
pub fn completion_order(prog: &Program, t: &Timing) -> Vec<usize> {
    let end = prog
        .instrs()
        .iter()
        .position(|i| matches!(i.op, Op::Halt(_)))
        .unwrap_or(prog.len());
    let mut order: Vec<usize> = (0..end).collect();
    order.sort_by_key(|&i| (t.instrs[i].done, i));
    order
}

/// Applies the effects of `prog`'s instructions to `m` in the completion
/// order of `t`.
pub fn apply(m: &mut Machine, prog: &Program, t: &Timing) -> Result<(), FunctionalError> {
    let order = completion_order(prog, t);
    for &i in &order {
        m.execute(i, &prog.instrs()[i])
            .map_err(|source| FunctionalError::Exec {
                index: i,
                provenance: prog.provenance(i).map(str::to_string),
                source,
            })?;
    }
    m.executed = order.len();
    m.halted = order.len() < prog.len();
    Ok(())
}
