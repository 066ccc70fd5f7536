//! `llmfab flow`: the whole loop from a model name to a board project, with
//! one report a user keeps.
//!
//! The pipeline is a list of steps ([`steps::STEPS`]), run in order over one
//! [`state::Flow`]: roofline of the model on the board, engine exploration,
//! compilation, simulation of prefill and decode, Verilog and board project,
//! energy. [`document::build`] then turns the results into `report.html`
//! (self-contained: CSS and plots inline) and `data/` (the CSV behind every
//! table, the JSON behind every step).
//!
//! Everything is written into a temporary sibling of OUT and renamed into
//! place at the end, so a failure halfway leaves no OUT behind. With no
//! arguments it runs on llama-2-7b, the U280 and w4a8.

mod document;
mod hw;
mod hw_sections;
mod progress;
mod sections;
mod state;
mod steps;

use super::CliError;
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `llmfab flow`.
#[derive(Args, Debug)]
pub struct FlowArgs {
    /// Zoo name, config.json (or its folder), .gguf or .safetensors file.
    #[arg(long, default_value = "llama-2-7b")]
    pub model: String,
    /// FPGA board from the device catalog (u280, u55c, u50, u250, v80) or a device TOML file.
    #[arg(long, default_value = "u280")]
    pub board: String,
    /// Quantization scheme the engine runs (w8a8, w4a8, w4a8kv4, w2a8kv4, w4a16, w{W}a{A}[kv{K}][g{G}]).
    #[arg(long, default_value = "w4a8")]
    pub quant: String,
    /// Prompt tokens of the request (the prefill that is compiled and simulated).
    #[arg(long, default_value_t = 512)]
    pub prompt: u64,
    /// Tokens generated; the decode step is compiled and simulated at the
    /// final context (prompt + gen).
    #[arg(long, default_value_t = 128)]
    pub gen: u64,
    /// What the engine exploration optimises: decode, prefill, energy, mix, or decode=W,prefill=W,energy=W.
    #[arg(long, default_value = "decode")]
    pub objective: String,
    /// Replace OUT if it exists (only an earlier flow output or an empty folder).
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Output folder: report.html, data/, build/, verilog/, project/.
    #[arg(short = 'o', long = "out", default_value = "out/flow")]
    pub out: PathBuf,
}

fn io(p: &Path, e: std::io::Error) -> CliError {
    CliError::Input(format!("{}: {e}", p.display()))
}

/// Refuses an existing OUT unless `--force`, and even then anything that
/// is not an empty folder or an earlier flow output.
fn check_out(out: &Path, force: bool) -> Result<(), CliError> {
    if !out.exists() {
        return Ok(());
    }
    if !force {
        return Err(CliError::Input(format!(
            "{} exists; pass --force to replace it, or choose another -o",
            out.display()
        )));
    }
    let empty = out.is_dir()
        && std::fs::read_dir(out)
            .map_err(|e| io(out, e))?
            .next()
            .is_none();
    if empty || out.join("report.html").is_file() {
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "{} exists and is not an llmfab flow output (no report.html); not replacing it even with --force",
            out.display()
        )))
    }
}

/// Runs `llmfab flow`.
pub fn run(a: FlowArgs) -> Result<(), CliError> {
    let t0 = std::time::Instant::now();
    check_out(&a.out, a.force)?;
    let parent = a
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
    let name = a
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            CliError::Input(format!("-o {}: expected a folder name", a.out.display()))
        })?;
    let tmp = parent.join(format!(".{name}.flow-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    let result = (|| {
        let mut flow = state::Flow::new(&a, tmp.clone())?;
        let mut bar = progress::Progress::new(a.quiet, steps::STEPS.len());
        for step in steps::STEPS {
            bar.start(step.name);
            (step.run)(&mut flow)?;
            bar.done(step.name);
        }
        bar.start("report");
        document::write(&flow)?;
        bar.finish();
        // Swap the finished folder into place.
        let old = parent.join(format!(".{name}.flow-old-{}", std::process::id()));
        if a.out.exists() {
            std::fs::rename(&a.out, &old).map_err(|e| io(&a.out, e))?;
        }
        std::fs::rename(&tmp, &a.out).map_err(|e| io(&a.out, e))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok::<_, CliError>(flow)
    })();
    let flow = match result {
        Ok(f) => f,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if !a.quiet {
        for n in &flow.missing {
            eprintln!("note: {n}");
        }
        println!("{}", flow.headline());
        println!(
            "wrote {} in {:.1} s",
            a.out.join("report.html").display(),
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
