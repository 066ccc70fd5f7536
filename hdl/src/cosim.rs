//! Co-simulation helpers: run programs on the Verilog testbench and
//! compare with the reference interpreter, and record cycle counts in a
//! CSV the simulator's fidelity tests (and people) can compare against.

use crate::design::UnitImpl;
use crate::gen::double::DOUBLE_CYCLES;
use crate::tb::Bench;
use crate::HdlError;
use llmfab_isa::image::{HbmImage, Mismatch};
use llmfab_isa::instr::{Instr, Nop, Op};
use llmfab_isa::{EngineConfig, MemTiming, Program};
use std::fmt::Write as _;
use std::path::Path;

/// `prog` with every compute instruction replaced by a compute-queue `nop`
/// with the same dependency flags: the same token structure and DMA
/// traffic, for co-simulating the core while the compute units are test
/// doubles.
pub fn strip_compute(prog: &Program) -> Program {
    strip(prog, UnitImpl::Double, UnitImpl::Double)
}

/// `prog` with the instructions of every test-double unit replaced by
/// compute `nop`s with the same dependency flags (a double computes
/// nothing, so only the real units' results can be compared).
pub fn strip(prog: &Program, matrix: UnitImpl, sfu: UnitImpl) -> Program {
    let v: Vec<Instr> = prog
        .instrs()
        .iter()
        .map(|i| {
            let doubled = match i.op {
                Op::Matmul(_) => matrix == UnitImpl::Double,
                Op::Load(_) | Op::Store(_) | Op::Nop(_) | Op::Halt(_) => false,
                _ => sfu == UnitImpl::Double,
            };
            if doubled {
                Instr {
                    deps: i.deps,
                    op: Op::Nop(Nop { queue: 1 }),
                }
            } else {
                *i
            }
        })
        .collect();
    Program::from_instrs(v)
}

/// Unit cycles of a compute instruction when some units are test doubles
/// (for the timing model): a double takes `DOUBLE_CYCLES`.
pub fn unit_cycles(i: &Instr, cfg: &EngineConfig, matrix: UnitImpl, sfu: UnitImpl) -> u64 {
    let double = match i.op {
        Op::Matmul(_) => matrix == UnitImpl::Double,
        _ => sfu == UnitImpl::Double,
    };
    if double {
        DOUBLE_CYCLES
    } else {
        llmfab_isa::timing::compute_cycles(i, cfg).unwrap_or(1)
    }
}

/// The units this build can co-simulate: the real one where it delivers
/// its Verilog for `cfg`, the test double otherwise.
pub fn available_units(cfg: &EngineConfig) -> (UnitImpl, UnitImpl) {
    let m = if crate::units::matrix(cfg).is_ok() {
        UnitImpl::Real
    } else {
        UnitImpl::Double
    };
    let s = if crate::units::sfu(cfg).is_ok() {
        UnitImpl::Real
    } else {
        UnitImpl::Double
    };
    (m, s)
}

/// The outcome of one co-simulated program.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Verilog cycle count.
    pub cycles: u64,
    /// Differing bytes (at most 8 listed) and their total.
    pub mismatches: (Vec<Mismatch>, usize),
}

/// Runs `prog` on `bench` and on the reference; compares every buffer and
/// memory byte.
pub fn run(
    bench: &Bench,
    cfg: &EngineConfig,
    prog: &Program,
    img: &HbmImage,
    max_cycles: u64,
) -> Result<Outcome, HdlError> {
    let mut m = img
        .machine(cfg)
        .map_err(|e| HdlError::Config(e.to_string()))?;
    m.run(prog)
        .map_err(|e| HdlError::Config(format!("the reference rejects the program: {e}")))?;
    let r = bench.run(prog.instrs(), img, max_cycles)?;
    Ok(Outcome {
        cycles: r.cycles,
        mismatches: r.dump.compare(&m, 8),
    })
}

/// One row of the cycle CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleRow {
    /// Config name.
    pub config: String,
    /// Program name (file or `random-<seed>`).
    pub program: String,
    /// Memory timing.
    pub mem: MemTiming,
    /// Which compute units ran (`doubles` or `units`).
    pub units: String,
    /// Verilog cycles.
    pub cycles: u64,
}

/// Writes `rows` as CSV (`config,program,read_latency,write_latency,burst_gap,units,cycles`).
pub fn write_csv(path: &Path, rows: &[CycleRow]) -> Result<(), HdlError> {
    let mut s = String::from("config,program,read_latency,write_latency,burst_gap,units,cycles\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{}",
            r.config,
            r.program,
            r.mem.read_latency,
            r.mem.write_latency,
            r.mem.burst_gap,
            r.units,
            r.cycles
        );
    }
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| HdlError::Io {
            path: d.display().to_string(),
            message: e.to_string(),
        })?;
    }
    std::fs::write(path, s).map_err(|e| HdlError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}
