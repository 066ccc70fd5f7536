//! `llmfab plan`: search the parallel execution plans (data × tensor ×
//! pipeline × expert parallelism, batching policy, prefill/decode
//! disaggregation) of a model on a cluster by simulating a request trace
//! on each; rank them, mark the Pareto front, optionally plot it.
//!
//! Also: `--shard i/N` (one slice of the plan space, for array jobs),
//! `--merge A.csv B.csv ...` (join shard CSVs), `--capacity` (highest
//! request rate meeting the SLOs for the best plan) and `--validate`
//! (predicted against measured latencies for one plan).

#[path = "plan_engine.rs"]
mod engine;

use super::models::emit;
use super::CliError;
use crate::output::write_atomic;
use clap::{Args, ValueEnum};
use llmfab_models::{catalog, load, Calibration, QuantScheme};
use llmfab_sim::cluster::plan::{enumerate, SpaceOptions};
use llmfab_sim::cluster::rng::LengthDist;
use llmfab_sim::cluster::search::{best, capacity, search, Entry, Objective, ShardSpec};
use llmfab_sim::cluster::{
    evaluate, load_trace, report, request, topology, validate, AnalyzerCost, Batching, Cluster,
    ClusterError, EngineCost, OpCostProvider, ProfileCost, Request, ServeConfig, Setup, Slo,
    Synthetic,
};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// The best plans as an aligned table.
    Table,
    /// Every plan with degrees, metrics, rank and Pareto flag; names the best.
    Json,
    /// One row per plan (merge shards with --merge).
    Csv,
}

/// Where op costs come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CostSource {
    /// The analyzer's realistic estimate (or the --profile table when given).
    Analyzer,
    /// The cycle-level engine simulator on compiled one-layer blocks (FPGA boards).
    Engine,
}

/// Arguments of `llmfab plan`.
#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Zoo name, config.json (or its folder), .gguf or .safetensors file.
    #[arg(long)]
    pub model: Option<String>,
    /// COUNTxDEVICE, e.g. 8xh100, 16xu280.
    #[arg(long)]
    pub devices: Option<String>,
    /// Link inside a node (nvlink, pcie5, qsfp, ...) [default: nvlink, or qsfp ring for Alveo boards].
    #[arg(long)]
    pub link: Option<String>,
    /// Link between nodes (infiniband, ethernet, ...) [default: infiniband for GPUs].
    #[arg(long)]
    pub inter_link: Option<String>,
    /// Devices per node [default: 8 GPUs; all boards of a QSFP ring].
    #[arg(long)]
    pub devices_per_node: Option<u32>,
    /// Request trace: APEX JSON lines (.jsonl) or Azure CSV (.csv).
    #[arg(long, conflicts_with = "synthetic")]
    pub trace: Option<PathBuf>,
    /// Synthetic workload RATE,N: N requests, Poisson arrivals at RATE per second.
    #[arg(long)]
    pub synthetic: Option<String>,
    /// Synthetic prompt lengths: fixed:N, uniform:A-B, exp:MEAN, lognormal:MEDIAN,SIGMA or a preset.
    #[arg(long, default_value = "lmsys-prompt")]
    pub prompt_dist: String,
    /// Synthetic output lengths (same forms as --prompt-dist).
    #[arg(long, default_value = "lmsys-output")]
    pub output_dist: String,
    /// Random seed of the synthetic workload.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Quantization scheme [default: the file's precision, else fp16].
    #[arg(long)]
    pub quant: Option<String>,
    /// What the best plan optimises.
    #[arg(long, default_value = "throughput")]
    pub objective: String,
    /// TTFT target in milliseconds.
    #[arg(long)]
    pub slo_ttft: Option<f64>,
    /// TPOT target in milliseconds.
    #[arg(long)]
    pub slo_tpot: Option<f64>,
    /// Fraction of requests that must meet the SLOs.
    #[arg(long, default_value_t = 0.9)]
    pub attainment: f64,
    /// Fix the tensor-parallel degree.
    #[arg(long)]
    pub tp: Option<u32>,
    /// Fix the pipeline degree.
    #[arg(long)]
    pub pp: Option<u32>,
    /// Fix the data-parallel degree.
    #[arg(long)]
    pub dp: Option<u32>,
    /// Batching policies to try (comma-separated: continuous, chunked, static).
    #[arg(long, default_value = "continuous,chunked,static")]
    pub batching: String,
    /// Do not try prefill/decode disaggregation.
    #[arg(long)]
    pub no_disagg: bool,
    /// Maximum sequences per iteration.
    #[arg(long, default_value_t = 256)]
    pub max_seqs: u32,
    /// Maximum tokens per iteration.
    #[arg(long, default_value_t = 8192)]
    pub max_tokens: u32,
    /// Op costs from a measured profile CSV (op,batch,seq,kv_len,time_s[,tp][,energy_j]) instead of the analyzer.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Op costs: analyzer (or --profile), or engine (simulate the compiled engine; FPGA boards).
    #[arg(long, value_enum, default_value_t = CostSource::Analyzer)]
    pub cost: CostSource,
    /// With --cost engine: run this engine (TOML) instead of exploring one for the board.
    #[arg(long)]
    pub engine_config: Option<PathBuf>,
    /// Analyzer calibration file (TOML) for the realistic estimate.
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Device price in USD per hour (for cost per million tokens).
    #[arg(long)]
    pub price: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
    /// Draw the Pareto front and the best plan's latency distribution (.svg or .png).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Evaluate only slice i of N (0-based) of the plan space.
    #[arg(long)]
    pub shard: Option<String>,
    /// Merge shard CSVs into one (no simulation).
    #[arg(long, num_args = 1.., value_name = "CSV")]
    pub merge: Vec<PathBuf>,
    /// Also find the highest request rate at which the best plan meets the SLOs.
    #[arg(long)]
    pub capacity: bool,
    /// Validation: replay the trace on the one plan the degrees pin, print predicted vs measured percentiles.
    #[arg(long)]
    pub validate: bool,
    /// Measured latencies for --validate (vLLM benchmark_serving result JSON, or JSONL/CSV with ttft_s, tpot_s, e2e_s).
    #[arg(long)]
    pub measured: Option<PathBuf>,
    /// Write the output here (atomically) instead of standard output.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

fn cerr(e: ClusterError) -> CliError {
    if e.is_input() {
        CliError::Input(e.to_string())
    } else {
        CliError::Internal(e.to_string())
    }
}

fn input(m: impl Into<String>) -> CliError {
    CliError::Input(m.into())
}

fn write_out(path: &Option<PathBuf>, text: &str) -> Result<(), CliError> {
    match path {
        Some(p) => write_atomic(p, text.as_bytes())
            .map_err(|e| input(format!("cannot write {}: {e}", p.display()))),
        None => emit(text.as_bytes()),
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| input(format!("{}: {e}", path.display())))
}

/// Runs `llmfab plan`.
pub fn run(a: PlanArgs) -> Result<(), CliError> {
    if !a.merge.is_empty() {
        let parts = a
            .merge
            .iter()
            .map(|p| Ok((p.display().to_string(), read(p)?)))
            .collect::<Result<Vec<_>, CliError>>()?;
        return write_out(&a.output, &report::merge_csv(&parts).map_err(cerr)?);
    }
    let model_arg = a
        .model
        .as_deref()
        .ok_or_else(|| input("--model is required (a zoo name or a model file)"))?;
    let devices_arg = a
        .devices
        .as_deref()
        .ok_or_else(|| input("--devices is required (e.g. 8xh100)"))?;
    let plot_ok = a
        .plot
        .as_deref()
        .map(|p| {
            llmfab_reports::plot::PlotFormat::from_path(p)
                .ok_or_else(|| input(format!("--plot {}: expected .svg or .png", p.display())))
        })
        .transpose()?;
    let model = load(model_arg)?;
    let spec = &model.spec;
    let quant = match (&a.quant, &model.quant) {
        (Some(q), _) => QuantScheme::parse(q)?,
        (None, Some(q)) => q.clone(),
        (None, None) => QuantScheme::parse("fp16")?,
    };
    let (n, dev_name) = topology::parse_devices(devices_arg).map_err(cerr)?;
    let device = catalog::resolve(&dev_name)?;
    let cluster = Cluster::new(
        device.clone(),
        n,
        a.link.as_deref(),
        a.devices_per_node,
        a.inter_link.as_deref(),
    )
    .map_err(cerr)?;
    let objective = Objective::parse(&a.objective).map_err(cerr)?;
    let ms = |v: Option<f64>, flag: &str| -> Result<Option<f64>, CliError> {
        match v {
            Some(x) if !(x > 0.0 && x.is_finite()) => Err(input(format!(
                "{flag}: expected a positive number of milliseconds, found {x}"
            ))),
            other => Ok(other.map(|x| x / 1e3)),
        }
    };
    let slo = Slo {
        ttft_s: ms(a.slo_ttft, "--slo-ttft")?,
        tpot_s: ms(a.slo_tpot, "--slo-tpot")?,
    };
    if !(0.0..=1.0).contains(&a.attainment) {
        return Err(input(format!(
            "--attainment: expected a fraction between 0 and 1, found {}",
            a.attainment
        )));
    }
    let max_len = spec.max_positions.min(u32::MAX as u64) as u32;
    let (requests, workload_name, synthetic) = match (&a.trace, &a.synthetic) {
        (Some(t), _) => (load_trace(t).map_err(cerr)?, t.display().to_string(), None),
        (None, Some(s)) => {
            let mut syn = Synthetic::parse(s, a.seed, max_len).map_err(cerr)?;
            syn.prompt = LengthDist::parse(&a.prompt_dist).map_err(cerr)?;
            syn.output = LengthDist::parse(&a.output_dist).map_err(cerr)?;
            (
                syn.generate(),
                format!("synthetic {s} (seed {})", a.seed),
                Some(syn),
            )
        }
        (None, None) => return Err(input("give a workload: --trace FILE or --synthetic RATE,N")),
    };
    let calibration = a
        .calibration
        .as_deref()
        .map(Calibration::load)
        .transpose()?;
    let analyzer = AnalyzerCost::new(device.clone(), quant.clone(), calibration);
    let provider: Box<dyn OpCostProvider> = match (&a.profile, a.cost) {
        (Some(_), CostSource::Engine) => {
            return Err(input("--profile and --cost engine exclude each other"))
        }
        (Some(p), _) => Box::new(ProfileCost::load(p, device.energy.max_w.value).map_err(cerr)?),
        (None, CostSource::Analyzer) => Box::new(analyzer),
        (None, CostSource::Engine) => {
            let config = match &a.engine_config {
                Some(p) => Some(
                    llmfab_isa::EngineConfig::from_toml(&read(p)?, &p.display().to_string())
                        .map_err(|e| input(e.to_string()))?,
                ),
                None => None,
            };
            let src = engine::CompilerBlocks::new(spec, &quant, &device, config)
                .map_err(|e| input(format!("--cost engine: {e}")))?;
            Box::new(EngineCost::new(src, analyzer))
        }
    };
    let batching = a
        .batching
        .split(',')
        .map(|s| {
            Batching::parse(s.trim()).ok_or_else(|| {
                input(format!(
                    "--batching: unknown policy '{s}' (continuous, chunked, static)"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let opts = SpaceOptions {
        batching,
        disaggregation: !a.no_disagg && !a.validate,
        tp: a.tp,
        pp: a.pp,
        dp: a.dp,
    };
    let (plans, rejected) = enumerate(spec, n, &opts);
    if plans.is_empty() {
        return Err(cerr(ClusterError::NoValidPlan {
            what: format!("{} on {}", spec.name, devices_arg),
            reasons: dedup(&rejected),
        }));
    }
    let serve = ServeConfig {
        max_seqs: a.max_seqs.max(1),
        max_tokens: a.max_tokens.max(1),
        ..ServeConfig::default()
    };
    let setup = Setup {
        spec,
        quant: &quant,
        cluster: &cluster,
        provider: provider.as_ref(),
        serve,
        slo,
        price_per_hour: a.price,
        keep_samples: a.validate || a.plot.is_some(),
    };
    let context = json!({
        "model": spec.name, "model_source": model.source, "devices": devices_arg, "device": device.name,
        "link": cluster.intra.name, "inter_link": cluster.inter.name, "devices_per_node": cluster.per_node,
        "quant": quant.name, "op_costs": provider.name(), "workload": workload_name, "requests": requests.len(),
        "objective": a.objective, "slo_ttft_s": slo.ttft_s, "slo_tpot_s": slo.tpot_s, "attainment": a.attainment,
        "shard": a.shard,
    });
    if a.validate {
        return run_validate(&a, &setup, &plans, &requests);
    }
    let shard = a
        .shard
        .as_deref()
        .map(ShardSpec::parse)
        .transpose()
        .map_err(cerr)?;
    let entries = search(&setup, &plans, &requests, objective, a.attainment, shard);
    if shard.is_none() && entries.iter().all(|e| e.result.is_err()) {
        let mut reasons = dedup(
            &entries
                .iter()
                .filter_map(|e| e.result.as_ref().err().cloned())
                .collect::<Vec<_>>(),
        );
        reasons.extend(dedup(&rejected));
        return Err(cerr(ClusterError::NoValidPlan {
            what: format!("{} ({}) on {}", spec.name, quant.name, devices_arg),
            reasons,
        }));
    }
    let mut notes = provider.notes();
    if let (true, Some(b)) = (a.capacity, best(&entries)) {
        let base = request::arrival_rate(&requests);
        let start = if base.is_finite() { base } else { 1.0 };
        let make = |rate: f64| match &synthetic {
            Some(s) => Synthetic { rate, ..s.clone() }.generate(),
            None => request::at_rate(&requests, rate),
        };
        let cap = capacity(&setup, &b.plan, &make, start, a.attainment, 10).map_err(cerr)?;
        notes.push(format!(
            "capacity of {}: {:.4} requests/s meet the SLOs for {:.0}% of requests",
            b.plan,
            cap.rate,
            a.attainment * 100.0
        ));
    }
    if let (Some(path), Some(fmt)) = (&a.plot, plot_ok) {
        let bytes = plot(
            &entries,
            fmt,
            &format!("{} {} on {}", spec.name, quant.name, devices_arg),
        )?;
        write_atomic(path, &bytes)
            .map_err(|e| input(format!("cannot write {}: {e}", path.display())))?;
        eprintln!("wrote {}", path.display());
    }
    for n in model.notes.iter().chain(&notes) {
        eprintln!("note: {n}");
    }
    let text = match a.format {
        PlanFormat::Csv => report::csv(&entries).map_err(cerr)?,
        PlanFormat::Json => {
            let v = report::json(context, &entries, &rejected, &notes);
            serde_json::to_string_pretty(&v).map_err(|e| CliError::Internal(e.to_string()))? + "\n"
        }
        PlanFormat::Table => {
            let mut s = format!(
                "{} ({}) on {} ({} per node, {} / {}), {} requests from {}; op costs: {}\n",
                spec.name,
                quant.name,
                devices_arg,
                cluster.per_node,
                cluster.intra.name,
                cluster.inter.name,
                requests.len(),
                workload_name,
                provider.name()
            );
            s.push_str(&report::table(&entries, 15));
            match best(&entries) {
                Some(b) => s.push_str(&format!(
                    "best by {}: {}   (* = Pareto front of P90 latency, throughput, energy)\n",
                    a.objective, b.plan
                )),
                None => s.push_str("no plan in this shard could serve the workload\n"),
            }
            s
        }
    };
    write_out(&a.output, &text)
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

fn plot(
    entries: &[Entry],
    fmt: llmfab_reports::plot::PlotFormat,
    title: &str,
) -> Result<Vec<u8>, CliError> {
    use llmfab_reports::plan_plot::{render, PlanPoint};
    let points: Vec<PlanPoint> = entries
        .iter()
        .filter_map(|e| {
            e.result.as_ref().ok().map(|ev| PlanPoint {
                label: e.plan.to_string(),
                latency_s: ev.metrics.e2e.p90,
                tokens_per_s: ev.metrics.tokens_per_s,
                j_per_token: ev.metrics.j_per_token,
                pareto: e.pareto,
                best: e.rank == Some(1),
            })
        })
        .collect();
    let b = best(entries).and_then(|e| e.result.as_ref().ok());
    let (ttft, e2e) = b
        .and_then(|ev| ev.samples.as_ref())
        .map_or((Vec::new(), Vec::new()), |s| {
            (s.ttft.clone(), s.e2e.clone())
        });
    let best_label = best(entries).map_or(String::new(), |e| e.plan.to_string());
    render(title, &points, &best_label, &ttft, &e2e, fmt)
        .map_err(|e| CliError::Internal(e.to_string()))
}

fn run_validate(
    a: &PlanArgs,
    setup: &Setup,
    plans: &[llmfab_sim::cluster::Plan],
    requests: &[Request],
) -> Result<(), CliError> {
    let plan = match plans {
        [p] => p,
        _ => {
            let list: Vec<String> = plans.iter().map(|p| p.to_string()).collect();
            return Err(input(format!(
                "--validate needs exactly one plan; --tp/--pp/--dp/--batching leave {}: {} (e.g. add --tp {} --pp 1 --dp {} --batching continuous)",
                plans.len(),
                list.join(", "),
                setup.cluster.devices,
                1
            )));
        }
    };
    let ev = evaluate(setup, plan, requests).map_err(cerr)?;
    let measured = a
        .measured
        .as_deref()
        .map(validate::load_measured)
        .transpose()
        .map_err(cerr)?;
    let samples = ev.samples.clone().unwrap_or_default();
    let rows = validate::compare(&samples, &ev.metrics.tbt, measured.as_ref());
    let mut notes = setup.provider.notes();
    if measured.is_none() {
        notes.push("no --measured latencies given: predicted values only (the repository holds no latency measurements; see sim/src/cluster/README.md)".into());
    }
    for n in &notes {
        eprintln!("note: {n}");
    }
    let text = match a.format {
        PlanFormat::Json => {
            serde_json::to_string_pretty(&json!({ "plan": plan.to_string(), "op_costs": setup.provider.name(), "rows": rows, "notes": notes, "metrics": ev.metrics }))
                .map_err(|e| CliError::Internal(e.to_string()))?
                + "\n"
        }
        _ => format!(
            "validation of {} on {} requests (op costs: {}; measured: {})\n{}",
            plan,
            requests.len(),
            setup.provider.name(),
            measured.as_ref().map_or("none".into(), |m| m.source.clone()),
            validate::render(&rows)
        ),
    };
    write_out(&a.output, &text)
}
