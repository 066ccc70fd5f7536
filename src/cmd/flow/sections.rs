//! Report sections of the analysis steps: the roofline, the engine
//! exploration and the compilation. Every table and plot names its source.

use super::state::{report_err, Flow};
use crate::cmd::CliError;
use llmfab_reports::aggregate::by_role;
use llmfab_reports::html::chart::{self, Bar, Series};
use llmfab_reports::html::{Block, Figure, Section, Source, SourceKind, Table};
use llmfab_reports::plot::{self, PlotFormat};

/// A number with at most 4 significant digits, no exponent for ordinary
/// magnitudes (`0.001234`, `12.35`, `123457`).
pub fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    let dec = (3 - mag).clamp(0, 9) as usize;
    let s = format!("{x:.dec$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A percentage with one decimal.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// Section 1: the roofline of the model on the board.
pub fn roofline(f: &Flow) -> Result<Section, CliError> {
    let r = f
        .roofline
        .as_ref()
        .ok_or_else(|| CliError::Internal("no roofline result".into()))?;
    let src = Source::new(
        SourceKind::Model,
        format!(
            "roofline analyzer (docs/roofline.md) on the {} datasheet figures in the device catalog; realistic estimate = roofline × efficiency factors listed below",
            r.device_display
        ),
    );
    let mut phases = Table::new("roofline_phases", "Totals per phase", src.clone());
    phases.columns(&[
        "phase",
        "steps",
        "context",
        "ops (GOP)",
        "bytes (GB)",
        "roofline time (s)",
        "estimate (s)",
        "energy (J)",
        "energy per token (J)",
        "bound",
    ]);
    for p in &r.phases {
        let t = &p.totals;
        phases.row(vec![
            p.phase.clone(),
            p.steps.to_string(),
            p.kv_len.clone(),
            num(t.ops / 1e9),
            num(t.bytes / 1e9),
            num(t.time_roofline_s),
            num(t.time_estimate_s),
            num(t.energy_j),
            num(t.j_per_token),
            t.bound.as_str().into(),
        ]);
    }
    let mut roles = Table::new(
        "roofline_roles",
        "Time by op role (summed over layers; decode summed over all steps)",
        src.clone(),
    );
    roles.columns(&[
        "phase",
        "role",
        "ops (GOP)",
        "bytes (MB)",
        "intensity (op/B)",
        "bound",
        "roofline (ms)",
        "estimate (ms)",
        "share of phase",
    ]);
    let mut decode_bars = Vec::new();
    for phase in r.phase_names() {
        let rows = by_role(&r.ops, Some(&phase));
        let total: f64 = rows.iter().map(|g| g.estimate_s).sum();
        let mut sorted: Vec<_> = rows.iter().collect();
        sorted.sort_by(|a, b| {
            b.estimate_s
                .total_cmp(&a.estimate_s)
                .then(a.role.cmp(&b.role))
        });
        for g in &sorted {
            roles.row(vec![
                phase.clone(),
                g.role.clone(),
                num(g.ops / 1e9),
                num(g.bytes() / 1e6),
                num(g.intensity()),
                g.bound().as_str().into(),
                num(g.roofline_s * 1e3),
                num(g.estimate_s * 1e3),
                pct(g.estimate_s / total.max(1e-30)),
            ]);
        }
        if phase == "decode" {
            let steps = r.request.as_ref().map_or(1, |q| q.decode_steps.max(1)) as f64;
            decode_bars = sorted
                .iter()
                .take(12)
                .enumerate()
                .map(|(i, g)| Bar {
                    label: g.role.clone(),
                    value: g.estimate_s * 1e3 / steps,
                    color: i,
                })
                .collect();
        }
    }
    let mut figs = Table::new(
        "device_figures",
        "Board figures used",
        Source::new(
            SourceKind::Datasheet,
            "device catalog (models/devices); each row names its source",
        ),
    );
    figs.columns(&["figure", "value", "source"]);
    for d in &r.device_figures {
        figs.row(vec![d.name.clone(), num(d.value), d.source.clone()]);
    }
    let svg = plot::render(r, &f.device, PlotFormat::Svg).map_err(report_err)?;
    let mut blocks = vec![
        Block::Para(format!(
            "{} ({}) at {} on {}: a request of {} prompt tokens and {} generated tokens, batch 1. The roofline is the upper bound of the board's datasheet figures; the compiled engine (below) is bound by it too.",
            r.model, r.model_source, r.quant, r.device_display, f.prompt, f.gen
        )),
        Block::Figure(Figure {
            id: "roofline".into(),
            caption: "Roofline per phase (hollow: roofline, filled: realistic estimate) and time breakdown by op role".into(),
            svg: String::from_utf8_lossy(&svg).into_owned(),
            source: src.clone(),
        }),
        Block::Table(phases),
    ];
    if !decode_bars.is_empty() {
        blocks.push(Block::Figure(Figure {
            id: "decode_breakdown".into(),
            caption: "Per-op time of one decode step (mean over the request), largest 12 roles"
                .into(),
            svg: chart::bars(
                "decode step: estimated time by op role",
                "ms per step",
                &decode_bars,
                None,
            )
            .map_err(report_err)?,
            source: src.clone(),
        }));
    }
    blocks.push(Block::Table(roles));
    blocks.push(Block::Table(figs));
    let mut assume = r.assumptions.clone();
    assume.extend(
        r.factors
            .iter()
            .map(|x| format!("{} = {}..{} ({})", x.name, num(x.min), num(x.max), x.source)),
    );
    blocks.push(Block::List(
        "Assumptions and estimate factors:".into(),
        assume,
    ));
    let notes: Vec<String> = f.notes.iter().chain(&r.notes).cloned().collect();
    if !notes.is_empty() {
        blocks.push(Block::List("Notes:".into(), notes));
    }
    Ok(Section::new("roofline", "1. Roofline", blocks))
}

/// Section 2: the engine exploration.
pub fn exploration(f: &Flow) -> Result<Section, CliError> {
    let x = f
        .exploration
        .as_ref()
        .ok_or_else(|| CliError::Internal("no exploration result".into()))?;
    let src = Source::new(
        SourceKind::Model,
        format!(
            "design-space exploration (compiler/src/explore): analytic engine performance and energy model, resource model; MILP over {} candidates ({} in the MILP); objective {}",
            x.candidates, x.milp.0, x.objective
        ),
    );
    let c = &x.chosen;
    let cfg = &c.config;
    let mut chosen = Table::new("engine_config", "The chosen engine", src.clone());
    chosen.columns(&["parameter", "value"]);
    for (k, v) in [
        ("engine", cfg.name.clone()),
        ("array (rows x cols)", format!("{}x{}", cfg.rows, cfg.cols)),
        (
            "weight / activation / KV bits",
            format!("{} / {} / {}", cfg.weight_bits, cfg.act_bits, cfg.kv_bits),
        ),
        ("group size", cfg.group_size.to_string()),
        ("clock (MHz)", num(cfg.clock_mhz)),
        ("memory channels", cfg.channels.to_string()),
        ("port width (bits)", cfg.port_bits.to_string()),
        ("weight buffer (KiB)", num(cfg.wbuf_bytes as f64 / 1024.0)),
        (
            "activation buffer (KiB)",
            num(cfg.abuf_bytes as f64 / 1024.0),
        ),
        ("KV buffer (KiB)", num(cfg.kvbuf_bytes as f64 / 1024.0)),
        ("accumulator (KiB)", num(cfg.acc_bytes as f64 / 1024.0)),
        ("SFU lanes", cfg.sfu_lanes.to_string()),
        (
            "estimated decode (tokens/s)",
            num(c.estimate.decode_tokens_per_s),
        ),
        ("estimated prefill (s)", num(c.estimate.prefill_s)),
        (
            "estimated energy per token (J)",
            num(c.estimate.energy_per_token_j),
        ),
        (
            "roofline decode at peak bandwidth (tokens/s)",
            num(x.roofline_tokens_per_s),
        ),
    ] {
        chosen.row(vec![k.into(), v]);
    }
    let mut front = Table::new(
        "pareto_front",
        "Pareto front (chosen design first)",
        src.clone(),
    );
    front.columns(&[
        "design",
        "decode (tokens/s)",
        "prefill (s)",
        "energy per token (J)",
        "DSP",
        "LUT",
        "URAM",
        "BRAM36",
        "chosen",
    ]);
    let designs: Vec<_> = std::iter::once(c).chain(x.runners_up.iter()).collect();
    for (i, d) in designs.iter().enumerate() {
        front.row(vec![
            d.label.clone(),
            num(d.estimate.decode_tokens_per_s),
            num(d.estimate.prefill_s),
            num(d.estimate.energy_per_token_j),
            num(d.dsp),
            num(d.lut),
            d.uram.to_string(),
            d.bram.to_string(),
            if i == 0 { "yes" } else { "" }.into(),
        ]);
    }
    let pts = |ds: &[&&llmfab_compiler::explore::Design]| {
        ds.iter()
            .map(|d| (d.estimate.decode_tokens_per_s, d.estimate.prefill_s))
            .collect()
    };
    let svg = chart::scatter(
        "Pareto front: decode throughput vs prefill latency",
        ("decode tokens/s (batch 1)", "prefill latency (s)"),
        &[
            Series {
                name: "Pareto front".into(),
                points: pts(&designs[1..].iter().collect::<Vec<_>>()),
                color: 0,
                size: 5,
            },
            Series {
                name: format!("chosen: {}", c.label),
                points: pts(&[&designs[0]]),
                color: 3,
                size: 8,
            },
        ],
        false,
    )
    .map_err(report_err)?;
    let mut slack = Table::new(
        "milp_constraints",
        "Constraints of the chosen design (resource model vs the board's user region)",
        Source::new(SourceKind::Model, "explorer resource model (compiler/src/explore/resources.rs) against datasheet user-region sizes"),
    );
    slack.columns(&["constraint", "used", "limit", "use", "binding"]);
    for s in &x.slacks {
        slack.row(vec![
            s.name.clone(),
            num(s.used),
            num(s.limit),
            pct(s.used / s.limit.max(1e-30)),
            if s.binding { "yes" } else { "" }.into(),
        ]);
    }
    Ok(Section::new(
        "exploration",
        "2. Engine exploration",
        vec![
            Block::Para(format!(
                "{} candidate engines for the {} were evaluated with the analytic model; {} are on the Pareto front (decode tokens/s, prefill latency, energy per token, DSPs). The MILP ({} variables, {} constraints) chose {}.",
                x.candidates, f.board.display, x.pareto_size, x.milp.1, x.milp.2, c.label
            )),
            Block::Table(chosen),
            Block::Figure(Figure {
                id: "pareto".into(),
                caption: "Explorer Pareto front".into(),
                svg,
                source: src.clone(),
            }),
            Block::Table(front),
            Block::Table(slack),
        ],
    ))
}

/// Section 3: the compilation.
pub fn compilation(f: &Flow) -> Result<Section, CliError> {
    let art = f
        .art
        .as_ref()
        .ok_or_else(|| CliError::Internal("no compilation result".into()))?;
    let rep = &art.report;
    let src = Source::new(
        SourceKind::Compiler,
        "counted on the compiled programs (build/programs, build/compile.json)",
    );
    let mut phases = Table::new("compiled_programs", "Compiled programs", src.clone());
    phases.columns(&[
        "program",
        "new tokens",
        "context",
        "instructions",
        "loads",
        "matmuls",
        "stores",
        "token flags",
        "block (tokens x blocks)",
        "ABUF peak (KiB)",
        "loaded (MB)",
        "stored (MB)",
        "MACs (G)",
    ]);
    for p in &rep.phases {
        let n = |k: &str| p.by_mnemonic.get(k).copied().unwrap_or(0).to_string();
        phases.row(vec![
            p.name.clone(),
            p.seq.to_string(),
            p.kv_len.to_string(),
            p.instructions.to_string(),
            n("load"),
            n("matmul"),
            n("store"),
            p.token_flags.to_string(),
            format!("{} x {}", p.block.0, p.block.1),
            num(p.peaks.0 as f64 / 1024.0),
            num(p.hbm_bytes.0 as f64 / 1e6),
            num(p.hbm_bytes.1 as f64 / 1e6),
            num(p.macs as f64 / 1e9),
        ]);
    }
    let m = &rep.memory;
    let mib = |b: u64| num(b as f64 / (1u64 << 20) as f64);
    let mut mem = Table::new("memory_map", "Memory map (per channel)", src.clone());
    mem.columns(&["item", "MiB"]);
    for (k, v) in [
        ("weights", m.weights),
        ("KV cache", m.kv_cache),
        ("channel 0 extra (tables, I/O)", m.channel0_extra),
        ("highest channel use", m.max_used),
        ("channel capacity", m.channel_bytes),
    ] {
        mem.row(vec![k.into(), mib(v)]);
    }
    let mut notes = rep.substitutions.clone();
    notes.extend(rep.notes.iter().cloned());
    notes.push(format!("quantisation scales: {}", rep.scales));
    Ok(Section::new(
        "compilation",
        "3. Compilation",
        vec![
            Block::Para(format!(
                "{} lowered onto {} over {} memory channels: the prefill of the {}-token prompt and one decode step at the final context ({} positions). The build folder is build/ (engine.toml, programs as binary and assembly with provenance, memmap.json).",
                art.model, rep.engine, m.channels, f.prompt, f.kv_len()
            )),
            Block::Table(phases),
            Block::Table(mem),
            Block::List("Substitutions and host fallbacks:".into(), notes),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(num(0.00123456), "0.001235");
        assert_eq!(num(12.3456), "12.35");
        assert_eq!(num(123456.7), "123457");
        assert_eq!(num(2.0), "2");
        assert_eq!(pct(0.4567), "45.7%");
    }
}
