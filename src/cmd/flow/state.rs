//! What the flow knows: its checked inputs and each step's result. Steps
//! fill it in order; the document is built from it at the end.

use super::FlowArgs;
use crate::cmd::CliError;
use llmfab_compiler::explore::{Exploration, Objective};
use llmfab_compiler::{Artefacts, Board, CompileError};
use llmfab_models::{Device, ModelSpec, QuantScheme};
use std::path::PathBuf;

/// A compile error as a CLI error (bad input → 2, internal → 1).
pub fn compile_err(e: CompileError) -> CliError {
    if e.is_input() {
        CliError::Input(e.to_string())
    } else {
        CliError::Internal(e.to_string())
    }
}

/// A report-crate error as a CLI error.
pub fn report_err(e: llmfab_reports::ReportError) -> CliError {
    match e {
        llmfab_reports::ReportError::Input(m) => CliError::Input(m),
        llmfab_reports::ReportError::Model(m) => m.into(),
        llmfab_reports::ReportError::Output(m) => CliError::Internal(m),
    }
}

/// Simulated figures of one op role (summed over layers).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoleSim {
    /// Matrix-unit and SFU busy cycles.
    pub compute_cycles: u64,
    /// Memory bytes read and written.
    pub hbm_bytes: u64,
    /// Roofline bound of the role's work on this engine.
    pub roofline_cycles: u64,
}

/// One simulated phase.
#[derive(Clone, Debug)]
pub struct PhaseSim {
    /// Program name (`prefill_512`, `decode_640`, `decode_640_b8`).
    pub name: String,
    /// New tokens per sequence.
    pub seq: u64,
    /// Sequences (a batched decode step: more than one).
    pub batch: u64,
    /// Positions the last token attends.
    pub kv_len: u64,
    /// Seconds at the engine clock.
    pub seconds: f64,
    /// The simulator's report (cycles, utilisation, stalls, energy, ops).
    pub report: llmfab_sim::engine::report::Report,
    /// The memory timing simulated.
    pub mem: llmfab_isa::MemTiming,
    /// Per op role, most compute cycles first.
    pub roles: Vec<(String, RoleSim)>,
    /// Utilisation over time: (fraction of the run, compute busy, memory
    /// bandwidth used) per bin.
    pub timeline: Vec<(f64, f64, f64)>,
}

impl PhaseSim {
    /// Tokens the run produces (new tokens of every sequence).
    pub fn tokens(&self) -> u64 {
        self.seq * self.batch
    }
}

/// The Verilog step's result.
#[derive(Clone, Debug)]
pub struct Hdl {
    /// The emitted design and its resource estimate.
    pub emitted: llmfab_hdl::output::Emitted,
    /// What was left out and why (e.g. a unit not yet available).
    pub partial: Option<String>,
}

/// Energy per phase from the simulation: (phase, seconds, breakdown).
pub type EnergyRow = (String, f64, llmfab_sim::engine::energy::Energy);

/// The flow's state.
pub struct Flow {
    /// Model hyper-parameters.
    pub spec: ModelSpec,
    /// Where the model came from.
    pub source: String,
    /// Quantization scheme.
    pub quant: QuantScheme,
    /// The board as a catalog device (datasheet figures with sources).
    pub device: Device,
    /// The board as the compiler sees it.
    pub board: Board,
    /// Exploration objective.
    pub objective: Objective,
    /// Prompt tokens.
    pub prompt: u64,
    /// Generated tokens.
    pub gen: u64,
    /// The temporary output folder.
    pub dir: PathBuf,
    /// Step 1.
    pub roofline: Option<llmfab_reports::Report>,
    /// Step 2.
    pub exploration: Option<Exploration>,
    /// Step 3.
    pub art: Option<Artefacts>,
    /// Step 4: prefill then decode.
    pub sims: Vec<PhaseSim>,
    /// Step 5: the Verilog.
    pub hdl: Option<Hdl>,
    /// Step 5: the board project's files (relative paths), when available.
    pub project: Option<Vec<String>>,
    /// Step 6.
    pub energy: Vec<EnergyRow>,
    /// Steps (or parts) not available in this build, with the reason.
    pub missing: Vec<String>,
    /// Model loader notes.
    pub notes: Vec<String>,
}

/// The FPGA boards of the catalog.
pub fn fpga_boards() -> Vec<&'static str> {
    llmfab_models::catalog::names()
        .filter(|n| {
            llmfab_models::catalog::entry(n).is_some_and(|e| e.toml.contains("kind = \"fpga\""))
        })
        .collect()
}

fn resolve_board(name: &str) -> Result<Device, CliError> {
    let file = name.ends_with(".toml") || std::path::Path::new(name).is_file();
    if !file && llmfab_models::catalog::entry(name).is_none() {
        let boards = fpga_boards();
        let near = llmfab_models::suggest::closest(name, boards.iter().copied());
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!(" (did you mean {}?)", near.join(", "))
        };
        return Err(CliError::Input(format!(
            "--board {name}: unknown board{hint}; FPGA boards: {}",
            boards.join(", ")
        )));
    }
    Ok(llmfab_models::catalog::resolve(name)?)
}

impl Flow {
    /// Loads and checks every input before any work starts.
    pub fn new(a: &FlowArgs, dir: PathBuf) -> Result<Flow, CliError> {
        let device = resolve_board(&a.board)?;
        let board = Board::from_device(&device).map_err(compile_err)?;
        let quant = QuantScheme::parse(&a.quant)?;
        llmfab_compiler::engine_quant(&quant).map_err(compile_err)?;
        let objective = Objective::parse(&a.objective).map_err(compile_err)?;
        let model = llmfab_models::load(&a.model)?;
        model.spec.validate()?;
        if a.prompt == 0 || a.gen == 0 {
            return Err(CliError::Input(
                "--prompt and --gen must be at least 1".into(),
            ));
        }
        let ctx = a.prompt + a.gen;
        if ctx > model.spec.max_positions {
            return Err(CliError::Input(format!(
                "--prompt {} + --gen {} = {ctx} positions exceed the {} of {}",
                a.prompt, a.gen, model.spec.max_positions, model.spec.name
            )));
        }
        Ok(Flow {
            spec: model.spec,
            source: model.source,
            quant,
            device,
            board,
            objective,
            prompt: a.prompt,
            gen: a.gen,
            dir,
            roofline: None,
            exploration: None,
            art: None,
            sims: Vec::new(),
            hdl: None,
            project: None,
            energy: Vec::new(),
            missing: Vec::new(),
            notes: model.notes,
        })
    }

    /// The context of the compiled decode step (prompt + generated).
    pub fn kv_len(&self) -> u64 {
        self.prompt + self.gen
    }

    /// One line for the terminal: the key figures.
    pub fn headline(&self) -> String {
        let mut parts = vec![format!(
            "{} {} on {}",
            self.spec.name, self.quant.name, self.board.name
        )];
        if let Some(d) = self.sims.iter().find(|s| s.name.starts_with("decode")) {
            parts.push(format!(
                "decode {:.1} tokens/s (simulated)",
                1.0 / d.seconds
            ));
        }
        if let Some(p) = self.sims.iter().find(|s| s.name.starts_with("prefill")) {
            parts.push(format!(
                "TTFT {} (simulated)",
                llmfab_reports::units::time(p.seconds)
            ));
        }
        parts.join(", ")
    }
}
