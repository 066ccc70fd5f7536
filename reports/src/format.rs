//! Report outputs: an aligned terminal table (ops summed by role unless
//! every op is asked for), JSON (the machine-readable contract), CSV (one
//! line per op) and Markdown. Every table ends with the sources of the
//! device figures and estimate factors and the assumptions behind them.

use crate::aggregate::{by_role, RoleRow};
use crate::report::{OpRow, Report, Totals};
use crate::units::{bytes, joules, si, sig3, time};
use crate::ReportError;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned text.
    Table,
    /// Pretty-printed JSON.
    Json,
    /// Comma-separated, one line per op.
    Csv,
    /// Markdown tables and lists.
    Markdown,
}

impl Format {
    /// Parses `table`, `json`, `csv`, `markdown` (or `md`).
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "table" | "text" => Some(Format::Table),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// Renders `r`; `all_ops` lists every op instead of summing by role (table
/// and Markdown; JSON and CSV always hold every op).
pub fn render(r: &Report, f: Format, all_ops: bool) -> Result<String, ReportError> {
    Ok(match f {
        Format::Json => {
            serde_json::to_string_pretty(r).map_err(|e| ReportError::Output(e.to_string()))? + "\n"
        }
        Format::Csv => csv_text(r)?,
        Format::Table => text(r, all_ops, false),
        Format::Markdown => text(r, all_ops, true),
    })
}

const HEAD: [&str; 14] = [
    "op", "n", "kind", "ops", "weights", "acts", "kv read", "written", "op/B", "bound", "roofline",
    "estimate", "energy", "share",
];

fn cells(name: String, n: String, kind: &str, g: &RoleRow, phase_est: f64) -> Vec<String> {
    let share = if phase_est > 0.0 {
        format!("{:.1}%", 100.0 * g.estimate_s / phase_est)
    } else {
        "-".into()
    };
    let link = g.link_bytes > 0.0;
    vec![
        name,
        n,
        kind.to_string(),
        si(g.ops, "OP"),
        bytes(g.weight_bytes),
        bytes(g.act_bytes),
        bytes(g.kv_bytes),
        if link {
            format!("{} link", bytes(g.link_bytes))
        } else {
            bytes(g.bytes_written)
        },
        if link {
            "-".into()
        } else {
            sig3(g.intensity())
        },
        g.bound().as_str().to_string(),
        time(g.roofline_s),
        time(g.estimate_s),
        joules(g.energy_j),
        share,
    ]
}

fn single(r: &OpRow) -> RoleRow {
    let mut g = by_role(std::slice::from_ref(r), None).remove(0);
    g.role = r.name.clone();
    g
}

fn grid(head: &[&str], rows: &[Vec<String>], md: bool) -> String {
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let left = |i: usize| i == 0 || i == 2 || i == 9;
    let line = |r: Vec<String>| {
        let parts: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if left(i) {
                    format!("{c:<width$}", width = w[i])
                } else {
                    format!("{c:>width$}", width = w[i])
                }
            })
            .collect();
        if md {
            format!("| {} |", parts.join(" | "))
        } else {
            parts.join("  ").trim_end().to_string()
        }
    };
    let mut out = vec![line(head.iter().map(|s| s.to_string()).collect())];
    if md {
        out.push(format!(
            "|{}|",
            w.iter()
                .enumerate()
                .map(|(i, n)| if left(i) {
                    format!(":{}-", "-".repeat(*n))
                } else {
                    format!("-{}:", "-".repeat(*n))
                })
                .collect::<Vec<_>>()
                .join("|")
        ));
    } else {
        out.push(
            w.iter()
                .map(|n| "-".repeat(*n))
                .collect::<Vec<_>>()
                .join("  "),
        );
    }
    out.extend(rows.iter().cloned().map(line));
    out.join("\n") + "\n"
}

fn totals_line(t: &Totals) -> String {
    format!(
        "{} · {} moved (weights {}, KV {}) · roofline {} · estimate {} · energy {} ({}-bound)",
        si(t.ops, "OP"),
        bytes(t.bytes),
        bytes(t.weight_bytes),
        bytes(t.kv_bytes),
        time(t.time_roofline_s),
        time(t.time_estimate_s),
        joules(t.energy_j),
        t.bound.as_str()
    )
}

fn text(r: &Report, all_ops: bool, md: bool) -> String {
    let h = |level: usize, s: &str| {
        if md {
            format!("{} {s}\n\n", "#".repeat(level))
        } else {
            format!("{s}\n")
        }
    };
    let mut o = String::new();
    let what = match r.phase.as_str() {
        "prefill" => format!("prefill: batch {}, prompt {}", r.batch, r.seq_len),
        "decode" => format!("decode: batch {}, context {}", r.batch, r.kv_len),
        _ => format!(
            "request: batch {}, prompt {}, {} generated",
            r.batch,
            r.seq_len,
            r.gen_tokens.unwrap_or(0)
        ),
    };
    let tp = if r.tp > 1 {
        format!(" · tp {} over {}", r.tp, r.link.as_deref().unwrap_or("-"))
    } else {
        String::new()
    };
    o += &h(
        1,
        &format!(
            "llmfab roofline: {} on {} · {} · {} · {} attention{tp}",
            r.model, r.device_display, r.quant, what, r.attention
        ),
    );
    if !md {
        o += "\n";
    }
    for n in &r.notes {
        o += &format!("{}note: {n}\n", if md { "> " } else { "" });
    }
    if !r.notes.is_empty() {
        o += "\n";
    }
    for p in &r.phases {
        o += &h(
            2,
            &format!(
                "{} ({} step{}, S={}, L={})",
                p.phase,
                p.steps,
                if p.steps == 1 { "" } else { "s" },
                p.seq_len,
                p.kv_len
            ),
        );
        let est = p.totals.time_estimate_s;
        let rows: Vec<Vec<String>> = if all_ops {
            r.ops
                .iter()
                .filter(|x| x.phase == p.phase)
                .map(|x| {
                    cells(
                        x.name.clone(),
                        x.layer.map_or("-".into(), |l| l.to_string()),
                        &x.kind,
                        &single(x),
                        est,
                    )
                })
                .collect()
        } else {
            by_role(&r.ops, Some(&p.phase))
                .iter()
                .map(|g| cells(g.role.clone(), format!("{}", g.count), &g.kind, g, est))
                .collect()
        };
        let mut head = HEAD;
        if all_ops {
            head[1] = "layer";
        }
        o += &grid(&head, &rows, md);
        o += &format!(
            "{}total: {}\n\n",
            if md { "\n**" } else { "" },
            totals_line(&p.totals)
        );
        if md {
            o = o.trim_end().to_string() + "**\n\n";
        }
    }
    let li = if md { "- " } else { "  " };
    if let Some(q) = &r.request {
        o += &h(2, "request");
        o += &format!(
            "{li}TTFT {} (roofline {}) · TPOT {} (roofline {}) · total {} (roofline {}) · {} tokens/s\n",
            time(q.ttft_s),
            time(q.ttft_roofline_s),
            time(q.tpot_s),
            time(q.tpot_roofline_s),
            time(q.total_s),
            time(q.total_roofline_s),
            sig3(q.tokens_per_s)
        );
        o += "\n";
    }
    let t = &r.totals;
    o += &h(2, "energy and memory");
    o += &format!(
        "{li}energy: {} per device{}, {} per token, {} tokens/J (compute {}, DRAM {}, SRAM {}, static {})\n",
        joules(t.energy_j),
        if r.tp > 1 { format!(" ({} on {} devices)", joules(t.energy_all_devices_j), r.tp) } else { String::new() },
        joules(t.j_per_token),
        sig3(t.tokens_per_j),
        joules(t.energy.compute_j),
        joules(t.energy.dram_j),
        joules(t.energy.sram_j),
        joules(t.energy.static_j)
    );
    let m = &r.memory;
    o += &format!(
        "{li}memory per device: weights {} + KV cache {} ({} positions) + activations {} = {} of {} ({} GiB): {}; largest batch that fits: {}\n\n",
        bytes(m.weights_bytes),
        bytes(m.kv_cache_bytes),
        m.kv_cache_len,
        bytes(m.activation_bytes),
        bytes(m.total_bytes),
        bytes(m.capacity_bytes),
        sig3(m.capacity_bytes / (1u64 << 30) as f64),
        if m.fits { "fits" } else { "DOES NOT FIT" },
        m.max_batch
    );
    o += &h(2, "sources");
    for f in &r.device_figures {
        o += &format!(
            "{li}{}: {} — {}\n",
            f.name,
            with_unit(&f.name, f.value),
            f.source
        );
    }
    o += &format!(
        "{}estimate factors (range over ops):\n{}",
        if md { "\n" } else { "" },
        if md { "\n" } else { "" }
    );
    for f in &r.factors {
        let v = if (f.max - f.min).abs() <= 1e-12 * f.max.abs() {
            with_unit(&f.name, f.min)
        } else {
            format!(
                "{}..{}",
                with_unit(&f.name, f.min),
                with_unit(&f.name, f.max)
            )
        };
        o += &format!("{li}{} {v} — {}\n", f.name, f.source);
    }
    o += &format!("\n{}", h(2, "assumptions"));
    for a in &r.assumptions {
        o += &format!("{li}{a}\n");
    }
    o
}

/// A value formatted by the unit its name ends with (`(bytes/s)`, `(s)`, ...).
fn with_unit(name: &str, x: f64) -> String {
    let unit = name
        .rsplit_once('(')
        .map(|(_, u)| u.trim_end_matches(')'))
        .unwrap_or("");
    match unit {
        "bytes" => bytes(x),
        "bytes/s" => si(x, "B/s"),
        "ops/s" => si(x, "OP/s"),
        "s" => time(x),
        "W" => format!("{} W", sig3(x)),
        "pJ/op" | "pJ/bit" => format!("{} {unit}", sig3_any(x)),
        _ => sig3_any(x),
    }
}

fn sig3_any(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{x:.3e}")
    } else {
        sig3(x)
    }
}

fn csv_text(r: &Report) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = |e: csv::Error| ReportError::Output(e.to_string());
    w.write_record([
        "phase",
        "name",
        "layer",
        "kind",
        "role",
        "steps",
        "precision",
        "ops",
        "weight_bytes",
        "act_bytes",
        "kv_bytes",
        "bytes_read",
        "bytes_written",
        "link_bytes",
        "intensity",
        "bound",
        "time_roofline_s",
        "time_estimate_s",
        "energy_j",
        "compute_j",
        "dram_j",
        "sram_j",
        "static_j",
    ])
    .map_err(e)?;
    for x in &r.ops {
        let n = |v: f64| format!("{v}");
        w.write_record([
            x.phase.clone(),
            x.name.clone(),
            x.layer.map_or(String::new(), |l| l.to_string()),
            x.kind.clone(),
            x.role.clone(),
            x.steps.to_string(),
            x.precision.clone().unwrap_or_default(),
            n(x.ops),
            n(x.weight_bytes),
            n(x.act_bytes),
            n(x.kv_bytes),
            n(x.bytes_read),
            n(x.bytes_written),
            n(x.link_bytes),
            n(x.intensity),
            x.bound.as_str().to_string(),
            n(x.time_roofline_s),
            n(x.time_estimate_s),
            n(x.energy_j),
            n(x.energy.compute_j),
            n(x.energy.dram_j),
            n(x.energy.sram_j),
            n(x.energy.static_j),
        ])
        .map_err(e)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Output(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Output(e.to_string()))
}
