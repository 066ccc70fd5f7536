//! The whole compilation in one call: quantisation support, (optional)
//! design-space exploration, the build-level passes and one program per
//! phase, plus the report. The CLI and `llmfab flow` call [`compile`].

use crate::board::Board;
use crate::explore::{explore, ExploreOptions, Objective};
use crate::lower::{lower_phase, prepare, CompiledPhase, LowerOptions, Phase, Prepared};
use crate::report::CompileReport;
use crate::support::{engine_quant, EngineQuant};
use crate::CompileError;
use llmfab_isa::EngineConfig;
use llmfab_models::{BuildOptions, Graph, ModelSpec, Positions, QuantScheme};

/// What to compile.
#[derive(Clone, Debug)]
pub struct CompileRequest {
    /// The model.
    pub spec: ModelSpec,
    /// Where it came from (`zoo:llama-2-7b`, a path).
    pub source: String,
    /// Quantization scheme.
    pub quant: QuantScheme,
    /// Board.
    pub board: Board,
    /// Objective of the exploration.
    pub objective: Objective,
    /// Context of the decode program.
    pub kv_len: u64,
    /// Prompt lengths of the prefill programs.
    pub buckets: Vec<u64>,
    /// Sequences per decode step: one decode program per batch size.
    pub batches: Vec<u64>,
    /// A fixed engine (no exploration).
    pub config: Option<EngineConfig>,
    /// Run the verifiers on every program.
    pub verify: bool,
    /// Calibration statistics (nominal scales when `None`).
    pub calibration: Option<crate::qplan::Calibration>,
}

/// Everything a build folder holds.
#[derive(Clone, Debug)]
pub struct Artefacts {
    /// The request's model name, source, scheme and board.
    pub model: String,
    /// Model source.
    pub source: String,
    /// Scheme name.
    pub quant: String,
    /// Board name.
    pub board: String,
    /// The engine.
    pub config: EngineConfig,
    /// The engine's view of the scheme.
    pub eq: EngineQuant,
    /// Build-level results (memory map, quantisation plan, provenance names).
    pub prepared: Prepared,
    /// One program per phase.
    pub phases: Vec<CompiledPhase>,
    /// The report.
    pub report: CompileReport,
    /// Calibration statistics used (`None`: nominal scales).
    pub calibration: Option<crate::qplan::Calibration>,
    /// RoPE base frequency (10000 for models without RoPE).
    pub rope_theta: f64,
}

/// Largest batch of one decode program (the memory map holds a KV cache
/// per sequence; a board runs out of memory long before).
pub const MAX_BATCH: u64 = 4096;

/// Checks the phase lengths and batch sizes against the model.
fn phases(
    spec: &ModelSpec,
    kv_len: u64,
    buckets: &[u64],
    batches: &[u64],
) -> Result<Vec<Phase>, CompileError> {
    let arg = |what: &str, message: String| CompileError::Arg {
        what: what.into(),
        message,
    };
    if buckets.is_empty() {
        return Err(arg(
            "--buckets",
            "expected at least one prompt length".into(),
        ));
    }
    let mut b: Vec<u64> = buckets.to_vec();
    b.sort_unstable();
    b.dedup();
    let limit = spec.max_positions.max(1);
    if let Some(x) = b.iter().find(|x| **x == 0 || **x > limit) {
        return Err(arg(
            "--buckets",
            format!("prompt length {x}: expected 1..={limit} (the model's context)"),
        ));
    }
    if kv_len == 0 || kv_len > limit {
        return Err(arg(
            "--kv-len",
            format!("{kv_len}: expected 1..={limit} (the model's context)"),
        ));
    }
    let mut bs: Vec<u64> = batches.to_vec();
    bs.push(1);
    bs.sort_unstable();
    bs.dedup();
    if let Some(x) = bs.iter().find(|x| **x == 0 || **x > MAX_BATCH) {
        return Err(arg(
            "--batch",
            format!("{x} sequences: expected 1..={MAX_BATCH}"),
        ));
    }
    let mut out: Vec<Phase> = b.into_iter().map(Phase::prefill).collect();
    out.extend(bs.into_iter().map(|n| Phase::decode_batch(kv_len, n)));
    Ok(out)
}

/// Compiles `req`.
pub fn compile(req: &CompileRequest) -> Result<Artefacts, CompileError> {
    let eq = engine_quant(&req.quant)?;
    req.spec.validate()?;
    let graph = Graph::build(&req.spec, BuildOptions::default());
    let phases = phases(&req.spec, req.kv_len, &req.buckets, &req.batches)?;
    let (config, exploration) = match &req.config {
        Some(c) => (c.clone(), None),
        None => {
            let opts = ExploreOptions {
                objective: req.objective,
                kv_len: req.kv_len,
                batch: req.batches.iter().copied().max().unwrap_or(1).max(1),
                prompt: *req.buckets.iter().max().unwrap_or(&512),
                ..Default::default()
            };
            let x = explore(&req.board, &graph, &eq, &opts, &req.spec.name)?;
            (x.chosen.config.clone(), Some(x))
        }
    };
    let theta = match req.spec.positions {
        Positions::Rope { theta } => theta,
        Positions::Learned => 10000.0,
    };
    let opts = LowerOptions {
        verify: req.verify,
        channel_bytes: req.board.channel_bytes,
        rope_theta: theta,
        ..Default::default()
    };
    let pre = prepare(&graph, &config, &eq, &phases, &opts, &req.spec.name)?;
    let compiled = phases
        .iter()
        .map(|p| lower_phase(&pre, &graph, &config, p, &opts))
        .collect::<Result<Vec<_>, _>>()?;
    let report = CompileReport::new(
        (req.spec.name.clone(), req.source.clone()),
        &req.quant.name,
        &req.board.name,
        &config,
        &pre,
        &compiled,
        eq.substitutions.clone(),
        exploration,
    );
    Ok(Artefacts {
        model: req.spec.name.clone(),
        source: req.source.clone(),
        quant: req.quant.name.clone(),
        board: req.board.name.clone(),
        config,
        eq,
        prepared: pre,
        phases: compiled,
        report,
        calibration: req.calibration.clone(),
        rope_theta: theta,
    })
}
