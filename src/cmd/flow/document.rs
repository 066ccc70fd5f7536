//! The flow's report: the summary at the top, one section per step, and
//! the files behind it (`report.html`, `data/*.csv` for every table,
//! `data/*.json` for every step's full result). Byte-identical for the same
//! inputs: no timestamps unless `SOURCE_DATE_EPOCH` names one.

use super::hw_sections;
use super::sections::{self, num, pct};
use super::state::Flow;
use crate::cmd::CliError;
use llmfab_reports::html::{Document, Source, SourceKind, SummaryItem};
use serde::Serialize;
use std::path::Path;

fn item(label: &str, value: String, kind: SourceKind, detail: String) -> SummaryItem {
    SummaryItem {
        label: label.into(),
        value,
        source: Source::new(kind, detail),
    }
}

/// The key figures.
fn summary(f: &Flow) -> Vec<SummaryItem> {
    let mut v = Vec::new();
    let sim = |decode: bool| {
        f.sims
            .iter()
            .find(|s| s.name.starts_with("decode") == decode)
    };
    if let Some(d) = sim(true) {
        v.push(item(
            "decode (batch 1)",
            format!("{} tokens/s", num(1.0 / d.seconds)),
            SourceKind::Simulation,
            format!("one decode step at context {}", d.kv_len),
        ));
    }
    if let Some(p) = sim(false) {
        v.push(item(
            "time to first token",
            llmfab_reports::units::time(p.seconds),
            SourceKind::Simulation,
            format!("prefill of {} prompt tokens", p.seq),
        ));
    }
    if let Some(e) = f.energy.iter().find(|e| e.0.starts_with("decode")) {
        v.push(item(
            "energy per token",
            format!("{} J", num(e.2.total_j)),
            SourceKind::Simulation,
            "decode step: simulated activity × datasheet energy figures".into(),
        ));
    }
    if let Some(x) = &f.exploration {
        let c = &x.chosen.config;
        v.push(item(
            "engine",
            format!(
                "{}x{} @ {} MHz, {} ch",
                c.rows,
                c.cols,
                num(c.clock_mhz),
                c.channels
            ),
            SourceKind::Model,
            format!("explorer's choice for {}: {}", x.objective, x.chosen.label),
        ));
    }
    if let Some(h) = &f.hdl {
        let over = h.emitted.report.overflows();
        let t = &h.emitted.report.total;
        let worst = f.device.fpga.as_ref().map(|x| {
            let u = &x.user;
            [
                ("LUT", t.lut as f64 / u.lut.max(1) as f64),
                ("FF", t.ff as f64 / u.ff.max(1) as f64),
                ("DSP", t.dsp as f64 / u.dsp.max(1) as f64),
                ("BRAM36", t.bram36 / u.bram36.max(1) as f64),
                ("URAM", t.uram as f64 / u.uram.max(1) as f64),
            ]
            .into_iter()
            .fold(("LUT", 0.0), |a, b| if b.1 > a.1 { b } else { a })
        });
        let (name, share) = worst.unwrap_or(("-", 0.0));
        v.push(item(
            "resource fit",
            format!(
                "{} (max {} {})",
                if over.is_empty() {
                    "fits"
                } else {
                    "does not fit"
                },
                pct(share),
                name
            ),
            SourceKind::Yosys,
            {
                let missing = h
                    .emitted
                    .report
                    .lines
                    .iter()
                    .filter(|l| l.source == llmfab_hdl::resources::Source::Missing)
                    .count();
                format!(
                    "Yosys + size formulas vs the user region{}{}",
                    if h.partial.is_some() {
                        "; SFU not included"
                    } else {
                        ""
                    },
                    if missing > 0 {
                        format!("; {missing} blocks not estimated (see section 5)")
                    } else {
                        String::new()
                    }
                )
            },
        ));
    }
    if let Some(d) = sim(true) {
        let busy = d.report.units.matrix_utilization;
        let bw = d.report.hbm_bandwidth_utilization;
        let what = if bw >= busy {
            "memory bandwidth"
        } else {
            "compute"
        };
        v.push(item(
            "decode bottleneck",
            what.into(),
            SourceKind::Simulation,
            format!(
                "memory at {} of peak bandwidth, matrix unit busy {}",
                pct(bw),
                pct(busy)
            ),
        ));
    }
    if let Some(q) = f.roofline.as_ref().and_then(|r| r.request.as_ref()) {
        v.push(item(
            "roofline bound (decode)",
            format!("{} tokens/s", num(1.0 / q.tpot_roofline_s.max(1e-30))),
            SourceKind::Model,
            "datasheet peak bandwidth and compute, mean step".into(),
        ));
    }
    v
}

/// The whole document.
pub fn build(f: &Flow) -> Result<Document, CliError> {
    let sections = vec![
        sections::roofline(f)?,
        sections::exploration(f)?,
        sections::compilation(f)?,
        hw_sections::simulation(f)?,
        hw_sections::hardware(f)?,
        hw_sections::energy(f)?,
    ];
    let when = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| format!(" · SOURCE_DATE_EPOCH {s}"))
        .unwrap_or_default();
    Ok(Document {
        title: format!("llmfab flow: {} on {}", f.spec.name, f.board.display),
        subtitle: format!(
            "{} ({}) at {}, prompt {} tokens, {} generated, batch 1 · engine objective: {}",
            f.spec.name,
            f.source,
            f.quant.name,
            f.prompt,
            f.gen,
            f.objective.name()
        ),
        summary: summary(f),
        sections,
        footer: format!(
            "llmfab {} · `llmfab flow --model {} --board {} --quant {} --prompt {} --gen {}` · CSV behind every table and JSON behind every step in data/ · build/, verilog/ next to this file{when}",
            env!("CARGO_PKG_VERSION"),
            f.source.strip_prefix("zoo:").unwrap_or(&f.source),
            f.board.name,
            f.quant.name,
            f.prompt,
            f.gen
        ),
    })
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, CliError> {
    let mut s = serde_json::to_vec_pretty(v).map_err(|e| CliError::Internal(e.to_string()))?;
    s.push(b'\n');
    Ok(s)
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), CliError> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).map_err(|e| CliError::Input(format!("{}: {e}", p.display())))
}

/// Writes `report.html` and `data/` into the flow's folder.
pub fn write(f: &Flow) -> Result<(), CliError> {
    let doc = build(f)?;
    let data = f.dir.join("data");
    std::fs::create_dir_all(&data)
        .map_err(|e| CliError::Input(format!("{}: {e}", data.display())))?;
    let csvs = doc
        .csv_files()
        .map_err(|e| CliError::Internal(e.to_string()))?;
    for (name, text) in &csvs {
        put(&data, name, text.as_bytes())?;
    }
    if let Some(r) = &f.roofline {
        put(&data, "roofline.json", &json(r)?)?;
    }
    if let Some(x) = &f.exploration {
        put(&data, "exploration.json", &json(x)?)?;
    }
    if let Some(a) = &f.art {
        put(&data, "compile.json", &json(&a.report)?)?;
    }
    let sims: Vec<_> = f.sims.iter().map(|s| (&s.name, &s.report)).collect();
    put(&data, "simulation.json", &json(&sims)?)?;
    let summary: Vec<_> = doc
        .summary
        .iter()
        .map(|i| {
            (
                i.label.as_str(),
                i.value.as_str(),
                i.source.kind.label(),
                i.source.detail.as_str(),
            )
        })
        .collect();
    put(&data, "summary.json", &json(&summary)?)?;
    put(&f.dir, "report.html", doc.html().as_bytes())
}
