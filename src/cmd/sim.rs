//! `llmfab sim DIR --phase prefill|decode`: runs one program of a build
//! folder (`llmfab compile -o DIR`) on the engine's cycle-level timing model
//! (`llmfab_sim::engine`) and reports cycles, time, tokens/s, memory
//! traffic against the roofline bound, unit utilisation, stalls by cause,
//! energy and per-op rows; `--trace` writes a Perfetto / chrome://tracing
//! timeline. A corrupt or mismatched folder, or a phase / length the folder
//! was not compiled for, exits with code 2 and writes nothing.

use super::CliError;
use crate::output::write_atomic;
use clap::{Args, ValueEnum};
use llmfab_compiler::explore::perf::mem_timing;
use llmfab_compiler::folder::{self, Build, PhaseEntry};
use llmfab_compiler::Board;
use llmfab_isa::{MemTiming, Program};
use llmfab_sim::engine::energy::EnergyModel;
use llmfab_sim::engine::report::{self, InstrRow, Report};
use llmfab_sim::engine::{simulate, trace};
use serde::Serialize;
use std::path::PathBuf;

mod text;

/// Which phase to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SimPhase {
    /// The prompt (one of the folder's prefill buckets).
    Prefill,
    /// One generated token.
    Decode,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SimFormat {
    /// A human-readable summary with an assumptions block.
    Text,
    /// Every figure, machine-readable.
    Json,
}

/// Arguments of `llmfab sim`.
#[derive(Args, Debug)]
pub struct SimArgs {
    /// Build folder written by `llmfab compile -o DIR`.
    pub dir: PathBuf,
    /// Phase to simulate.
    #[arg(long, value_enum)]
    pub phase: SimPhase,
    /// Prompt length (prefill): the smallest compiled bucket holding it runs.
    #[arg(long)]
    pub seq: Option<u64>,
    /// Context length of the decode step (must be the one compiled).
    #[arg(long)]
    pub kv_len: Option<u64>,
    /// Sequences decoded together (decode): runs the batched decode program
    /// compiled with `llmfab compile --batch`.
    #[arg(long, default_value_t = 1)]
    pub batch: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SimFormat::Text)]
    pub format: SimFormat,
    /// Write a Chrome trace-event timeline (Perfetto, chrome://tracing) here.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Include one row per instruction in the JSON output.
    #[arg(long)]
    pub instructions: bool,
}

/// The JSON document (and the text output's data).
#[derive(Serialize)]
pub struct SimOutput {
    /// Build folder.
    pub build: String,
    /// Model.
    pub model: String,
    /// Quantization scheme.
    pub quant: String,
    /// Board.
    pub board: String,
    /// Compiled phase simulated.
    pub phase: String,
    /// Its program file.
    pub program: String,
    /// Positions the program computes.
    pub seq: u64,
    /// Positions the last token attends to.
    pub kv_len: u64,
    /// Prompt tokens asked for (prefill) or tokens generated (decode).
    pub tokens: u64,
    /// Sequences.
    pub batch: u64,
    /// `tokens / seconds`.
    pub tokens_per_s: f64,
    /// Prefill: the run's time (the first token's logits come out of it).
    pub time_to_first_token_s: Option<f64>,
    /// HBM-bound tokens/s: tokens over the memory side of the roofline.
    pub hbm_bound_tokens_per_s: f64,
    /// Total energy, J (device constants on simulated activity).
    pub energy_j: Option<f64>,
    /// Energy per token, J.
    pub energy_per_token_j: Option<f64>,
    /// The simulator's report (cycles, seconds, hbm_bytes, bandwidth,
    /// roofline bound, utilisation, stalls, energy breakdown, per-op rows).
    #[serde(flatten)]
    pub report: Report,
    /// Per-instruction rows (with `--instructions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction_rows: Option<Vec<InstrRow>>,
    /// Where each figure comes from.
    pub sources: Vec<(String, String)>,
    /// Assumptions behind the figures.
    pub assumptions: Vec<String>,
    /// The energy model's constants and their sources.
    pub energy_model: Option<EnergyModel>,
}

fn bad(dir: &std::path::Path, msg: impl std::fmt::Display) -> CliError {
    CliError::Input(format!("build folder {}: {msg}", dir.display()))
}

/// Chooses the compiled phase for the arguments.
fn pick<'a>(b: &'a Build, a: &SimArgs) -> Result<(&'a PhaseEntry, u64), CliError> {
    let list = |pre: &str| {
        b.manifest
            .phases
            .iter()
            .filter(|p| p.name.starts_with(pre))
            .map(|p| {
                format!(
                    "{} (seq {}, kv_len {}, batch {})",
                    p.name, p.seq, p.kv_len, p.batch
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if a.batch == 0 {
        return Err(CliError::Input(
            "--batch 0: expected at least 1 sequence".into(),
        ));
    }
    match a.phase {
        SimPhase::Decode => {
            if a.seq.is_some() {
                return Err(CliError::Input(
                    "--seq applies to --phase prefill (a decode step computes one token)".into(),
                ));
            }
            let d = b.decode_batch(a.batch).ok_or_else(|| {
                if a.batch > 1 {
                    bad(
                        &b.dir,
                        format!(
                            "--batch {}: no decode program for a batch of {} sequences ({}); \
                             recompile with `llmfab compile --batch 1,{}`",
                            a.batch,
                            a.batch,
                            list("decode"),
                            a.batch
                        ),
                    )
                } else {
                    bad(&b.dir, "build.json lists no decode phase")
                }
            })?;
            if let Some(l) = a.kv_len.filter(|l| *l != d.kv_len) {
                return Err(bad(
                    &b.dir,
                    format!(
                        "--kv-len {l}: the folder holds decode at kv_len {} only ({}); \
                         recompile with `llmfab compile --kv-len {l}`",
                        d.kv_len,
                        list("decode")
                    ),
                ));
            }
            Ok((d, 1))
        }
        SimPhase::Prefill => {
            if a.kv_len.is_some() {
                return Err(CliError::Input(
                    "--kv-len applies to --phase decode (a prefill attends to its own prompt)"
                        .into(),
                ));
            }
            if a.batch != 1 {
                return Err(CliError::Input(format!(
                    "--batch {}: prefill programs run one prompt; batches are compiled for decode steps",
                    a.batch
                )));
            }
            let largest = b
                .manifest
                .phases
                .iter()
                .filter(|p| p.name.starts_with("prefill"))
                .map(|p| p.seq)
                .max()
                .ok_or_else(|| bad(&b.dir, "build.json lists no prefill phase"))?;
            let seq = a.seq.unwrap_or(largest);
            if seq == 0 {
                return Err(CliError::Input("--seq 0: expected at least 1 token".into()));
            }
            let p = b.prefill_for(seq).ok_or_else(|| {
                bad(
                    &b.dir,
                    format!(
                        "--seq {seq}: longer than every compiled prefill bucket ({}); \
                         recompile with `llmfab compile --buckets ...,{seq}`",
                        list("prefill")
                    ),
                )
            })?;
            Ok((p, seq))
        }
    }
}

/// Runs `llmfab sim`.
pub fn run(a: SimArgs) -> Result<(), CliError> {
    let b = folder::open(&a.dir).map_err(|e| CliError::Input(e.to_string()))?;
    let (entry, tokens) = pick(&b, &a)?;
    let prog: Program = b
        .program(&entry.name)
        .map_err(|e| CliError::Input(e.to_string()))?;
    if prog.len() as u64 != entry.instructions {
        return Err(bad(
            &a.dir,
            format!(
                "{} holds {} instructions, build.json says {}",
                entry.binary,
                prog.len(),
                entry.instructions
            ),
        ));
    }
    llmfab_isa::check_program(&b.config, &prog).map_err(|e| {
        bad(
            &a.dir,
            format!("{} does not fit engine.toml: {e}", entry.binary),
        )
    })?;
    let device = llmfab_models::catalog::resolve(&b.manifest.board).ok();
    let board = device.as_ref().and_then(|d| Board::from_device(d).ok());
    let mem = board
        .as_ref()
        .map_or_else(MemTiming::default, |bd| mem_timing(&b.config, bd));
    let t = simulate(&b.config, &mem, prog.instrs(), None)
        .map_err(|e| bad(&a.dir, format!("{}: {e}", entry.binary)))?;
    let model = device.as_ref().map(EnergyModel::from_device);
    let board_bw = device.as_ref().map(|d| d.memory.bandwidth.value);
    let rep = report::build(&b.config, &prog, &t, board_bw, model.as_ref());
    let trace_text = a
        .trace
        .as_ref()
        .map(|_| trace::chrome_trace(&b.config, &prog, &t));
    let out = output(&a, &b, entry, tokens, rep, &prog, &t, &mem, model, board_bw);
    let text = match a.format {
        SimFormat::Json => {
            let mut s = serde_json::to_string_pretty(&out)
                .map_err(|e| CliError::Internal(format!("JSON: {e}")))?;
            s.push('\n');
            s
        }
        SimFormat::Text => text::render(&out),
    };
    if let (Some(p), Some(tr)) = (&a.trace, &trace_text) {
        write_atomic(p, tr.as_bytes())
            .map_err(|e| CliError::Input(format!("--trace {}: {e}", p.display())))?;
    }
    print!("{text}");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn output(
    a: &SimArgs,
    b: &Build,
    e: &PhaseEntry,
    tokens: u64,
    rep: Report,
    prog: &Program,
    t: &llmfab_sim::engine::Timing,
    mem: &MemTiming,
    model: Option<EnergyModel>,
    board_bw: Option<f64>,
) -> SimOutput {
    let tokens = tokens * a.batch;
    let per = |x: f64| if x > 0.0 { tokens as f64 / x } else { 0.0 };
    let mem_bound_s = rep.hbm_bytes as f64 / rep.hbm_peak_bandwidth;
    let energy_j = rep.energy.map(|e| e.total_j);
    let prefill = a.phase == SimPhase::Prefill;
    let mut assumptions = vec![
        format!(
            "memory timing: read latency {} cycles, write latency {}, burst gap {} (MemTiming::default's HBM-like latencies, burst gap widened to the board's measured channel bandwidth: llmfab_compiler::explore::perf::mem_timing; the Verilog testbench's memory follows the same rules)",
            mem.read_latency, mem.write_latency, mem.burst_gap
        ),
        format!(
            "peak bandwidth {:.1} GB/s: {} channels x {} B per cycle at {} MHz{}",
            rep.hbm_peak_bandwidth / 1e9,
            b.config.channels,
            b.config.beat_bytes(),
            b.config.clock_mhz,
            board_bw.map_or(String::new(), |w| format!(", capped at the board's {:.1} GB/s", w / 1e9))
        ),
        "roofline bound: the program's own memory bytes at that peak, its MACs over rows x cols lanes and SFU elements over its lanes, per cycle".into(),
        if e.batch > 1 {
            format!(
                "batch {}: one program decodes {} sequences at the same context length (kv_len {}), each with its own KV cache; weights stream once per step",
                e.batch, e.batch, e.kv_len
            )
        } else {
            "batch 1: the program runs one sequence".into()
        },
    ];
    if prefill && tokens < e.seq {
        assumptions.push(format!(
            "the {tokens}-token prompt runs the {}-position bucket program {} (padded)",
            e.seq, e.name
        ));
    }
    match &model {
        Some(m) => assumptions.push(format!(
            "energy: device '{}' constants of the roofline analyzer applied to simulated activity ({} pJ/bit DRAM, {} pJ/bit SRAM, {} pJ per SFU op, static {} W); SFU ops per element: 1 (requant, silu, gelu, add, mul), 3 (rope, rmsnorm), 5 (layernorm, softmax); buffer traffic counts each DMA byte once and matrix operands once per tile pass",
            m.device, m.dram_pj_per_bit, m.sram_pj_per_bit, m.pj_per_vector_op, m.static_w
        )),
        None => assumptions.push(format!(
            "energy: not estimated (board '{}' is not in the device catalog)",
            b.manifest.board
        )),
    }
    let sources = vec![
        (
            "cycles, seconds, per-op and per-instruction cycles, stalls, utilisation, hbm_bytes"
                .into(),
            "simulation (llmfab_sim::engine timing model, cycle-exact with the Verilog)".into(),
        ),
        (
            "roofline_bound_s, hbm_bandwidth_utilization".into(),
            "engine config peaks (engine.toml) and the device catalog's memory bandwidth".into(),
        ),
        (
            "energy_j".into(),
            "device catalog energy constants (llmfab-models) on simulated activity".into(),
        ),
        (
            "tokens_per_s, time_to_first_token_s".into(),
            "simulated seconds and the phase's token count".into(),
        ),
    ];
    SimOutput {
        build: a.dir.display().to_string(),
        model: b.manifest.model.clone(),
        quant: b.manifest.quant.clone(),
        board: b.manifest.board.clone(),
        phase: e.name.clone(),
        program: e.binary.clone(),
        seq: e.seq,
        kv_len: e.kv_len,
        tokens,
        batch: a.batch,
        tokens_per_s: per(rep.seconds),
        time_to_first_token_s: prefill.then_some(rep.seconds),
        hbm_bound_tokens_per_s: per(mem_bound_s),
        energy_j,
        energy_per_token_j: energy_j.map(|j| j / tokens.max(1) as f64),
        instruction_rows: a.instructions.then(|| report::instructions(prog, t)),
        report: rep,
        sources,
        assumptions,
        energy_model: model,
    }
}
