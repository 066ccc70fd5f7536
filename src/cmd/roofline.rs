//! `llmfab roofline`: per-op roofline, realistic-time and energy report of a
//! model on a device, with an optional plot.
//!
//! With no arguments at all it analyzes a whole request of llama-2-7b at
//! fp16 on an H100 SXM (prompt 1024, 128 generated tokens) and writes the
//! plot to `out/roofline.png`. A model that does not fit the device's memory
//! is still analyzed; the report and standard error say so plainly.

use super::models::emit;
use super::CliError;
use crate::output::write_atomic;
use clap::{Args, ValueEnum};
use llmfab_models::{catalog, load, Attention, Calibration, QuantScheme};
use llmfab_reports::format::{render, Format};
use llmfab_reports::plot::{self, PlotFormat};
use llmfab_reports::{analyze, Input, Phase, ReportError, Scenario};
use std::path::{Path, PathBuf};

const DEFAULT_MODEL: &str = "llama-2-7b";
const DEFAULT_DEVICE: &str = "h100-sxm";
const DEFAULT_QUANT: &str = "fp16";
const DEFAULT_SEQ: u64 = 1024;
const DEFAULT_GEN: u64 = 128;
const DEFAULT_PLOT: &str = "out/roofline.png";

/// Phase to analyze.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PhaseArg {
    /// The prompt pass (--batch, --seq).
    Prefill,
    /// One decode step (--batch, --kv-len).
    Decode,
    /// Prefill then --gen tokens, the KV cache growing step by step.
    Request,
}

/// Report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned table with sources and assumptions.
    Table,
    /// One JSON object (the machine-readable contract).
    Json,
    /// One line per op.
    Csv,
    /// Markdown tables and lists.
    Markdown,
}

/// Arguments of `llmfab roofline`.
#[derive(Args, Debug)]
pub struct RooflineArgs {
    /// Zoo name, config.json (or its folder), .gguf or .safetensors file [default: llama-2-7b].
    #[arg(long)]
    pub model: Option<String>,
    /// Catalog device (see `llmfab devices`) or a device TOML file [default: h100-sxm].
    #[arg(long)]
    pub device: Option<String>,
    /// Quantization scheme: a preset (fp16, bf16, w8a8, w8a16, w4a16, w4a8, w4a8kv4,
    /// w2a8kv4, w3a16), w{W}a{A}[kv{K}][g{G}], with +PATTERN=BITS overrides
    /// [default: the file's own precision for GGUF/safetensors, else fp16].
    #[arg(long)]
    pub quant: Option<String>,
    /// Phase to analyze.
    #[arg(long, value_enum, default_value_t = PhaseArg::Request)]
    pub phase: PhaseArg,
    /// Sequences processed together.
    #[arg(long, default_value_t = 1)]
    pub batch: u64,
    /// Prompt tokens per sequence (prefill, request).
    #[arg(long, default_value_t = DEFAULT_SEQ)]
    pub seq: u64,
    /// Decode: positions attended, including the new token [default: --seq].
    #[arg(long)]
    pub kv_len: Option<u64>,
    /// Request: tokens generated per sequence (the first comes from prefill).
    #[arg(long, default_value_t = DEFAULT_GEN)]
    pub gen: u64,
    /// Tensor-parallel degree (Megatron-style; per-device report plus collectives).
    #[arg(long, default_value_t = 1)]
    pub tp: u32,
    /// Link for tensor-parallel collectives (nvlink, pcie4, pcie5, ...) [default: the device's fastest].
    #[arg(long)]
    pub link: Option<String>,
    /// One fused flash-attention op instead of qk / softmax / sv.
    #[arg(long)]
    pub flash: bool,
    /// Your measurements (copy bandwidth, matmul throughput by shape, kernel overhead), TOML.
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Table and Markdown: one row per op instead of per op role.
    #[arg(long)]
    pub all_ops: bool,
    /// Also draw the roofline and time breakdown to FILE.svg or FILE.png.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Write the report to this file (atomically) instead of standard output.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

impl RooflineArgs {
    /// True when nothing was given: the README's main command.
    fn is_bare(&self) -> bool {
        self.model.is_none()
            && self.device.is_none()
            && self.quant.is_none()
            && self.phase == PhaseArg::Request
            && self.batch == 1
            && self.seq == DEFAULT_SEQ
            && self.kv_len.is_none()
            && self.gen == DEFAULT_GEN
            && self.tp == 1
            && self.link.is_none()
            && !self.flash
            && self.calibration.is_none()
            && self.format == ReportFormat::Table
            && !self.all_ops
            && self.plot.is_none()
            && self.output.is_none()
    }
}

fn report_err(e: ReportError) -> CliError {
    match e {
        ReportError::Input(m) => CliError::Input(m),
        ReportError::Model(m) => m.into(),
        ReportError::Output(m) => CliError::Internal(m),
    }
}

fn plot_format(p: &Path) -> Result<PlotFormat, CliError> {
    PlotFormat::from_path(p).ok_or_else(|| {
        CliError::Input(format!(
            "--plot {}: expected a file name ending in .svg or .png",
            p.display()
        ))
    })
}

/// Runs `llmfab roofline`.
pub fn run(args: RooflineArgs) -> Result<(), CliError> {
    let bare = args.is_bare();
    let plot_path = match (&args.plot, bare) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(PathBuf::from(DEFAULT_PLOT)),
        (None, false) => None,
    };
    let plot_fmt = plot_path.as_deref().map(plot_format).transpose()?;
    let model = load(args.model.as_deref().unwrap_or(DEFAULT_MODEL))?;
    let quant = match (&args.quant, &model.quant) {
        (Some(q), _) => QuantScheme::parse(q)?,
        (None, Some(q)) => q.clone(),
        (None, None) => QuantScheme::parse(DEFAULT_QUANT)?,
    };
    let device_arg = args.device.as_deref().unwrap_or(DEFAULT_DEVICE);
    let device = catalog::resolve(device_arg).map_err(|e| match e {
        llmfab_models::ModelError::Parse { .. } | llmfab_models::ModelError::Invalid { .. } => CliError::Input(format!(
            "{e}\n  hint: `llmfab devices h100-sxm --format toml` prints a complete device file to start from"
        )),
        other => other.into(),
    })?;
    let calibration = args
        .calibration
        .as_deref()
        .map(Calibration::load)
        .transpose()?;
    let phase = match args.phase {
        PhaseArg::Prefill => Phase::Prefill,
        PhaseArg::Decode => Phase::Decode,
        PhaseArg::Request => Phase::Request,
    };
    let input = Input {
        spec: &model.spec,
        model_source: &model.source,
        quant: &quant,
        device: &device,
        attention: if args.flash {
            Attention::Flash
        } else {
            Attention::Unfused
        },
        tp: args.tp,
        link: args.link.as_deref(),
        calibration: calibration.as_ref(),
    };
    let sc = Scenario {
        phase,
        batch: args.batch,
        seq: args.seq,
        kv_len: args.kv_len.unwrap_or(args.seq),
        gen: args.gen,
    };
    let report = analyze(&input, &sc).map_err(report_err)?;
    let fmt = match args.format {
        ReportFormat::Table => Format::Table,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Markdown => Format::Markdown,
    };
    let text = render(&report, fmt, args.all_ops).map_err(report_err)?;
    let image = match plot_fmt {
        Some(f) => Some(plot::render(&report, &device, f).map_err(report_err)?),
        None => None,
    };
    // Everything is computed: now write, plot first, then the report.
    for n in &model.notes {
        eprintln!("note: {n}");
    }
    for n in &report.notes {
        eprintln!(
            "{}: {n}",
            if n.starts_with("does not fit") {
                "warning"
            } else {
                "note"
            }
        );
    }
    if let (Some(path), Some(bytes)) = (&plot_path, &image) {
        if bare {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    CliError::Input(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        write_atomic(path, bytes)
            .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))?;
        eprintln!("wrote {}", path.display());
    }
    match &args.output {
        Some(path) => write_atomic(path, text.as_bytes())
            .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display()))),
        None => emit(text.as_bytes()),
    }
}
