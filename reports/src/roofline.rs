//! The analyzer: a model, a quantization scheme and a device in, a
//! per-op roofline, realistic-time and energy [`Report`] out.
//!
//! The pipeline, top to bottom ([`analyze`]):
//! 1. check the scenario (batch, lengths) and shard the model for tensor
//!    parallelism ([`crate::shard`]);
//! 2. build the per-device graph and price every op of each step with the
//!    work model ([`llmfab_models::work`]) and the [`Estimator`];
//! 3. add the collectives tensor parallelism needs;
//! 4. for a request, sum the decode steps exactly (ops whose work does not
//!    depend on the KV length are priced once and multiplied; the others are
//!    priced at every step, once per distinct shape);
//! 5. totals per phase, memory footprint, sources and assumptions.

use crate::memory::footprint;
use crate::pricing::Ctx;
use crate::report::{FactorNote, MemoryReport, OpRow, PhaseTotals, Report, RequestSummary};
use crate::shard::shard;
use crate::totals::{assumptions, figures, totals};
use crate::ReportError;
use llmfab_models::{
    Attention, Bindings, BuildOptions, Calibration, Device, Estimator, Graph, ModelSpec,
    QuantScheme,
};
use std::collections::BTreeMap;

/// Which part of inference to analyze.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The prompt pass: `batch` sequences of `seq` tokens, no earlier context.
    Prefill,
    /// One decode step: `batch` sequences, one new token each, attending to `kv_len` positions.
    Decode,
    /// Prefill of `seq` prompt tokens, then `gen - 1` decode steps (the first
    /// generated token comes from the prefill).
    Request,
}

impl Phase {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prefill => "prefill",
            Phase::Decode => "decode",
            Phase::Request => "request",
        }
    }
    /// Parses [`Phase::as_str`].
    pub fn parse(s: &str) -> Option<Phase> {
        match s.to_ascii_lowercase().as_str() {
            "prefill" => Some(Phase::Prefill),
            "decode" => Some(Phase::Decode),
            "request" => Some(Phase::Request),
            _ => None,
        }
    }
}

/// Sizes of the analyzed step(s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Phase.
    pub phase: Phase,
    /// Sequences processed together.
    pub batch: u64,
    /// Prompt tokens per sequence (prefill, request).
    pub seq: u64,
    /// Attended positions of a decode step, including the new token (decode).
    pub kv_len: u64,
    /// Generated tokens per sequence (request).
    pub gen: u64,
}

/// What to analyze.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// Model hyper-parameters (unsharded).
    pub spec: &'a ModelSpec,
    /// Where the model came from.
    pub model_source: &'a str,
    /// Quantization scheme.
    pub quant: &'a QuantScheme,
    /// Device.
    pub device: &'a Device,
    /// Attention form (`--flash`).
    pub attention: Attention,
    /// Tensor-parallel degree (1: none).
    pub tp: u32,
    /// Link for collectives (default: the device's fastest).
    pub link: Option<&'a str>,
    /// User calibration.
    pub calibration: Option<&'a Calibration>,
}

fn check(sc: &Scenario, input: &Input) -> Result<(), ReportError> {
    let mut p = Vec::new();
    if sc.batch == 0 {
        p.push("--batch must be at least 1".to_string());
    }
    match sc.phase {
        Phase::Prefill | Phase::Request if sc.seq == 0 => p.push("--seq must be at least 1".into()),
        Phase::Decode if sc.kv_len == 0 => {
            p.push("--kv-len must be at least 1 (it counts the new token)".into())
        }
        Phase::Request if sc.gen == 0 => p.push("--gen must be at least 1".into()),
        _ => {}
    }
    if input.tp == 0 {
        p.push("--tp must be at least 1".into());
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(ReportError::Input(p.join("; ")))
    }
}

/// Analyzes `sc` for `input`.
pub fn analyze(input: &Input, sc: &Scenario) -> Result<Report, ReportError> {
    check(sc, input)?;
    input.spec.validate()?;
    let sh = shard(input.spec, input.tp).map_err(|p| ReportError::Input(p.join("; ")))?;
    let dev = input.device;
    let link = if input.tp > 1 {
        let (name, l) = match input.link {
            Some(n) => dev.link(n)?,
            None => dev
                .links
                .iter()
                .max_by(|a, b| {
                    a.1.bandwidth
                        .value
                        .total_cmp(&b.1.bandwidth.value)
                        .then(b.0.cmp(a.0))
                })
                .map(|(k, l)| (k.as_str(), l))
                .ok_or_else(|| {
                    ReportError::Input(format!(
                        "--tp {} needs a link, and {} lists none",
                        input.tp, dev.name
                    ))
                })?,
        };
        Some((name.to_string(), l.clone()))
    } else {
        None
    };
    let graph = Graph::build(
        &sh.spec,
        BuildOptions {
            attention: input.attention,
            ..Default::default()
        },
    );
    let mut ctx = Ctx {
        graph,
        spec: sh.spec.clone(),
        full: input.spec,
        est: Estimator::new(dev, input.quant, input.calibration),
        tp: sh.degree,
        link: link.clone(),
        factors: BTreeMap::new(),
    };
    let b = sc.batch;
    let (rows, act_steps, kv_positions, seq_len, kv_len) = match sc.phase {
        Phase::Prefill => {
            let v = Bindings::prefill(b, sc.seq);
            (
                ctx.step(&v, "prefill", true),
                vec![v],
                sc.seq,
                sc.seq,
                sc.seq,
            )
        }
        Phase::Decode => {
            let v = Bindings::decode(b, sc.kv_len);
            (
                ctx.step(&v, "decode", true),
                vec![v],
                sc.kv_len,
                1,
                sc.kv_len,
            )
        }
        Phase::Request => {
            let pv = Bindings::prefill(b, sc.seq);
            let mut rows = ctx.step(&pv, "prefill", true);
            let last = sc.seq + sc.gen - 1;
            if sc.gen > 1 {
                rows.extend(ctx.decode_steps(b, sc.seq + 1, sc.gen - 1));
            }
            (
                rows,
                vec![pv, Bindings::decode(b, last)],
                last,
                sc.seq,
                last,
            )
        }
    };
    let devices = sh.degree;
    let mut phases = Vec::new();
    for (name, steps, s, l, tokens) in [
        (
            "prefill",
            1,
            sc.seq,
            format!("{}", sc.seq),
            (b * sc.seq) as f64,
        ),
        (
            "decode",
            if sc.phase == Phase::Request {
                sc.gen.saturating_sub(1)
            } else {
                1
            },
            1,
            if sc.phase == Phase::Request {
                format!("{}..{}", sc.seq + 1, sc.seq + sc.gen.saturating_sub(1))
            } else {
                sc.kv_len.to_string()
            },
            (b * if sc.phase == Phase::Request {
                sc.gen.saturating_sub(1)
            } else {
                1
            }) as f64,
        ),
    ] {
        let sel: Vec<&OpRow> = rows.iter().filter(|r| r.phase == name).collect();
        if !sel.is_empty() {
            phases.push(PhaseTotals {
                phase: name.into(),
                steps,
                seq_len: s,
                kv_len: l,
                totals: totals(&sel, devices, tokens),
            });
        }
    }
    let all: Vec<&OpRow> = rows.iter().collect();
    let tokens = match sc.phase {
        Phase::Prefill => (b * sc.seq) as f64,
        Phase::Decode => b as f64,
        Phase::Request => (b * sc.gen) as f64,
    };
    let t = totals(&all, devices, tokens);
    let request = (sc.phase == Phase::Request).then(|| {
        let p = &phases[0].totals;
        let d = phases.get(1).map(|x| x.totals.clone()).unwrap_or_default();
        let steps = sc.gen - 1;
        let per = |x: f64| if steps > 0 { x / steps as f64 } else { 0.0 };
        RequestSummary {
            prompt_tokens: sc.seq,
            gen_tokens: sc.gen,
            decode_steps: steps,
            ttft_s: p.time_estimate_s,
            tpot_s: per(d.time_estimate_s),
            total_s: t.time_estimate_s,
            ttft_roofline_s: p.time_roofline_s,
            tpot_roofline_s: per(d.time_roofline_s),
            total_roofline_s: t.time_roofline_s,
            tokens_per_s: (b * sc.gen) as f64 / t.time_estimate_s,
        }
    });
    let memory: MemoryReport = footprint(
        &ctx.graph,
        &ctx.spec,
        input.quant,
        dev.memory.capacity.value,
        b,
        kv_positions,
        &act_steps,
    );
    let mut notes = sh.notes.clone();
    if !memory.fits {
        notes.push(format!(
            "does not fit: needs {:.2} GB per device (weights {:.2} + KV cache {:.2} + activations {:.2}) of {:.2} GB; largest batch that fits: {}",
            memory.total_bytes / 1e9,
            memory.weights_bytes / 1e9,
            memory.kv_cache_bytes / 1e9,
            memory.activation_bytes / 1e9,
            memory.capacity_bytes / 1e9,
            memory.max_batch
        ));
    }
    if kv_positions > input.spec.max_positions {
        notes.push(format!(
            "context of {kv_positions} positions exceeds the {} the model was trained for",
            input.spec.max_positions
        ));
    }
    let mut assumptions = assumptions();
    if devices > 1 {
        assumptions.push(format!(
            "tensor parallelism {devices} (Megatron-style): rows and totals are per device; collectives are ring algorithms on {}; energy per token counts all {devices} devices",
            link.as_ref().map_or("-", |l| l.0.as_str())
        ));
    }
    if sc.phase == Phase::Request {
        assumptions.push(format!(
            "request: prefill of {} tokens gives the first token (TTFT); {} decode steps follow with the KV cache growing from {} to {} positions, summed step by step",
            sc.seq,
            sc.gen - 1,
            sc.seq + 1,
            sc.seq + sc.gen - 1
        ));
    }
    let factors = ctx
        .factors
        .iter()
        .map(|((name, source), (min, max))| FactorNote {
            name: name.clone(),
            source: source.clone(),
            min: *min,
            max: *max,
        })
        .collect();
    Ok(Report {
        model: input.spec.name.clone(),
        model_source: input.model_source.to_string(),
        device: dev.name.clone(),
        device_display: dev.display.clone(),
        quant: input.quant.name.clone(),
        phase: sc.phase.as_str().into(),
        batch: b,
        seq_len,
        kv_len,
        gen_tokens: (sc.phase == Phase::Request).then_some(sc.gen),
        attention: match input.attention {
            Attention::Flash => "flash".into(),
            Attention::Unfused => "unfused".into(),
        },
        tp: devices,
        link: link.as_ref().map(|l| l.0.clone()),
        totals: t,
        phases,
        request,
        device_figures: figures(dev, &rows, link.as_ref()),
        ops: rows,
        memory,
        factors,
        assumptions,
        notes,
    })
}
