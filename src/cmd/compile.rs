//! `llmfab compile`: choose an engine for a board (unless `--config` fixes
//! one), lower the model onto it and write a build folder (see
//! `llmfab_compiler::folder`): engine.toml, programs (binary and assembly
//! with provenance), the HBM memory map, the quantisation plan, the compile
//! report and a manifest. Bad input (a model that does not fit, a scheme
//! the engine cannot run, an unknown board) exits with code 2 and writes
//! nothing.

use super::CliError;
use clap::Args;
use llmfab_compiler::explore::Objective;
use llmfab_compiler::{compile, folder, Board, CompileError, CompileRequest};
use llmfab_isa::EngineConfig;
use llmfab_models::{load, QuantScheme};
use std::path::PathBuf;

/// Arguments of `llmfab compile`.
#[derive(Args, Debug)]
pub struct CompileArgs {
    /// Zoo name, config.json (or its folder), .gguf or .safetensors file.
    #[arg(long, default_value = "llama-2-7b")]
    pub model: String,
    /// FPGA board from the device catalog (u280, u55c, u50, u250, v80) or a device TOML file.
    #[arg(long, default_value = "u280")]
    pub board: String,
    /// Quantization scheme the engine runs (w8a8, w4a8, w4a8kv4, w2a8kv4, w4a16, w{W}a{A}[kv{K}][g{G}]).
    #[arg(long, default_value = "w4a8")]
    pub quant: String,
    /// What the engine exploration optimises: decode, prefill, energy, mix, or decode=W,prefill=W,energy=W.
    #[arg(long, default_value = "decode")]
    pub objective: String,
    /// Context (positions attended, new token included) of the decode program.
    #[arg(long, default_value_t = 4096)]
    pub kv_len: u64,
    /// Prompt lengths of the prefill programs, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "128,512,2048")]
    pub buckets: Vec<u64>,
    /// Sequences per decode step, comma-separated: one decode program per
    /// batch size (each sequence its own KV cache of --kv-len positions);
    /// the engine exploration optimises steps of the largest.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub batch: Vec<u64>,
    /// Use this engine (TOML) instead of exploring.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Calibration statistics: a JSON object {"absmax": {"op name": absmax, ...}}
    /// (nominal scales for ops it leaves out).
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Skip the verifiers (bounds, tokens, races, static check) on large programs.
    #[arg(long)]
    pub no_verify: bool,
    /// Replace DIR even when it is not an llmfab build folder.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Output build folder.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
}

fn err(e: CompileError) -> CliError {
    if e.is_input() {
        CliError::Input(e.to_string())
    } else {
        CliError::Internal(e.to_string())
    }
}

/// Runs `llmfab compile`.
pub fn run(a: CompileArgs) -> Result<(), CliError> {
    let model = load::load(&a.model)?;
    let quant = QuantScheme::parse(&a.quant)?;
    let device = llmfab_models::catalog::resolve(&a.board)?;
    let board = Board::from_device(&device).map_err(err)?;
    let objective = Objective::parse(&a.objective).map_err(err)?;
    let config = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?;
            Some(
                EngineConfig::from_toml(&text, &p.display().to_string())
                    .map_err(|e| CliError::Input(e.to_string()))?,
            )
        }
        None => None,
    };
    let calibration = match &a.calibration {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?,
            )
        }
        None => None,
    };
    let req = CompileRequest {
        spec: model.spec,
        source: model.source,
        quant,
        board,
        objective,
        kv_len: a.kv_len,
        buckets: a.buckets,
        batches: a.batch,
        config,
        verify: !a.no_verify,
        calibration,
    };
    let t = std::time::Instant::now();
    let art = compile(&req).map_err(err)?;
    folder::write(&a.out, &art, a.force).map_err(err)?;
    if !a.quiet {
        print!("{}", art.report.render());
        println!(
            "wrote {} in {:.1} s",
            a.out.display(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
