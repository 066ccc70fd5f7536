//! `llmfab hdl`: emit the engine's Verilog for a config (a TOML file or a
//! board's default, `bitstreams/<board>/engine.toml`) with a resource
//! estimate against the board's user region.

use super::CliError;
use clap::Args;
use llmfab_hdl::design::Parts;
use llmfab_hdl::resources::cells::Cells;
use llmfab_hdl::resources::Capacity;
use llmfab_hdl::HdlError;
use llmfab_isa::EngineConfig;
use std::path::PathBuf;

/// Boards with a default engine in `bitstreams/<board>/engine.toml`.
const BOARDS: &[(&str, &str)] = &[
    ("u280", include_str!("../../bitstreams/u280/engine.toml")),
    ("u55c", include_str!("../../bitstreams/u55c/engine.toml")),
    ("u50", include_str!("../../bitstreams/u50/engine.toml")),
    ("u250", include_str!("../../bitstreams/u250/engine.toml")),
    ("v80", include_str!("../../bitstreams/v80/engine.toml")),
];

/// Arguments of `llmfab hdl`.
#[derive(Args, Debug)]
pub struct HdlArgs {
    /// Engine configuration (TOML).
    #[arg(long, conflicts_with = "board", required_unless_present = "board")]
    pub config: Option<PathBuf>,
    /// A board's default engine (u280, u55c, u50, u250, v80); also the
    /// board whose user region the estimate is checked against.
    #[arg(long)]
    pub board: Option<String>,
    /// Check the estimate against this board's user region (with --config).
    #[arg(long, conflicts_with = "board")]
    pub fit: Option<String>,
    /// Emit the core only (without the matrix unit and the SFU).
    #[arg(long)]
    pub core_only: bool,
    /// Output folder (replaced as a whole).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
}

fn capacity(board: &str) -> Option<Capacity> {
    let d = llmfab_models::catalog::lookup(board).ok()?;
    let u = d.fpga?.user;
    Some(Capacity {
        board: board.to_string(),
        cells: Cells {
            lut: u.lut,
            ff: u.ff,
            dsp: u.dsp,
            bram36: u.bram36 as f64,
            uram: u.uram,
        },
    })
}

/// Runs `llmfab hdl`.
pub fn run(a: HdlArgs) -> Result<(), CliError> {
    let (cfg, board) = match (&a.config, &a.board) {
        (Some(p), _) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| CliError::Input(format!("cannot read {}: {e}", p.display())))?;
            let cfg = EngineConfig::from_toml(&text, &p.display().to_string())
                .map_err(|e| CliError::Input(e.to_string()))?;
            (cfg, a.fit.clone())
        }
        (None, Some(b)) => {
            let text = BOARDS
                .iter()
                .find(|(n, _)| n == b)
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    let names: Vec<&str> = BOARDS.iter().map(|(n, _)| *n).collect();
                    CliError::Input(format!(
                        "unknown board '{b}'; boards with a default engine: {}",
                        names.join(", ")
                    ))
                })?;
            let cfg = EngineConfig::from_toml(text, &format!("bitstreams/{b}/engine.toml"))
                .map_err(|e| CliError::Internal(e.to_string()))?;
            (cfg, Some(b.clone()))
        }
        (None, None) => {
            return Err(CliError::Input(
                "give --config FILE.toml or --board NAME".into(),
            ))
        }
    };
    let cap = match &board {
        Some(b) => Some(capacity(b).ok_or_else(|| {
            CliError::Input(format!("no FPGA board '{b}' in the device catalog"))
        })?),
        None => None,
    };
    let parts = if a.core_only {
        Parts::CoreOnly
    } else {
        Parts::Full
    };
    let out = llmfab_hdl::output::emit(&cfg, parts, cap).map_err(|e| match e {
        HdlError::Config(m) => CliError::Input(m),
        other => CliError::Internal(other.to_string()),
    })?;
    out.write(&a.output)
        .map_err(|e| CliError::Input(e.to_string()))?;
    println!("{}\nwritten to {}", out.summary(), a.output.display());
    Ok(())
}
