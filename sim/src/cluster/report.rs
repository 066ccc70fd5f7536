//! Search results as a terminal table, CSV and JSON.
//!
//! The CSV has one row per plan with only that plan's own fields (no rank,
//! no Pareto flag, which depend on the other plans), sorted by the plan's
//! position in the full enumeration: the CSVs of `--shard i/N` runs merged
//! with [`merge_csv`] are byte for byte the unsharded CSV.

use super::error::ClusterError;
use super::metrics::Stats;
use super::search::Entry;
use serde_json::{json, Value};

const STATS: &[&str] = &["ttft", "tpot", "tbt", "e2e"];

fn header() -> Vec<String> {
    let mut h: Vec<String> = [
        "index",
        "plan",
        "dp",
        "tp",
        "pp",
        "ep",
        "batching",
        "prefill_replicas",
        "stage_layers",
        "status",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in STATS {
        for q in ["mean", "p50", "p90", "p99"] {
            h.push(format!("{s}_{q}_s"));
        }
    }
    h.extend(
        [
            "tokens_per_s",
            "requests_per_s",
            "slo_ttft",
            "slo_tpot",
            "slo_both",
            "mfu",
            "bandwidth_util",
            "weight_bytes_per_device",
            "kv_bytes_per_device",
            "energy_j",
            "j_per_token",
            "usd_per_mtok",
            "preempted",
            "iterations",
            "makespan_s",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    h
}

fn stats_cells(s: &Stats) -> [String; 4] {
    [
        s.mean.to_string(),
        s.p50.to_string(),
        s.p90.to_string(),
        s.p99.to_string(),
    ]
}

fn row(e: &Entry) -> Vec<String> {
    let p = &e.plan;
    let mut r = vec![
        e.index.to_string(),
        p.to_string(),
        p.dp.to_string(),
        p.tp.to_string(),
        p.pp.to_string(),
        p.ep.to_string(),
        p.batching.as_str().to_string(),
        p.prefill_replicas.map_or(String::new(), |x| x.to_string()),
    ];
    match &e.result {
        Err(msg) => {
            r.push(String::new());
            r.push(format!("invalid: {msg}"));
            r.resize(header().len(), String::new());
        }
        Ok(ev) => {
            let m = &ev.metrics;
            r.push(
                ev.stage_layers
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join("+"),
            );
            r.push("ok".into());
            for s in [&m.ttft, &m.tpot, &m.tbt, &m.e2e] {
                r.extend(stats_cells(s));
            }
            for v in [
                m.tokens_per_s,
                m.requests_per_s,
                m.slo_ttft,
                m.slo_tpot,
                m.slo_both,
                m.mfu,
                m.bandwidth_util,
                m.weight_bytes_per_device,
                m.kv_bytes_per_device,
                m.energy_j,
                m.j_per_token,
            ] {
                r.push(v.to_string());
            }
            r.push(m.usd_per_mtok.map_or(String::new(), |v| v.to_string()));
            r.push(m.preempted.to_string());
            r.push(m.iterations.to_string());
            r.push(m.makespan_s.to_string());
        }
    }
    r
}

/// CSV of the entries, sorted by plan position.
pub fn csv(entries: &[Entry]) -> Result<String, ClusterError> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.index);
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ClusterError::Internal(format!("writing CSV: {e}"));
    w.write_record(header()).map_err(io)?;
    for e in sorted {
        w.write_record(row(e)).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ClusterError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ClusterError::Internal(e.to_string()))
}

/// Merges shard CSVs (same header) into one, rows sorted by `index`.
pub fn merge_csv(parts: &[(String, String)]) -> Result<String, ClusterError> {
    let mut head: Option<csv::StringRecord> = None;
    let mut rows: Vec<(usize, csv::StringRecord)> = Vec::new();
    for (file, text) in parts {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let h = rdr
            .headers()
            .map_err(|e| ClusterError::input(file.clone(), format!("not a plan CSV: {e}")))?
            .clone();
        if h.get(0) != Some("index") {
            return Err(ClusterError::input(
                file.clone(),
                "not a plan CSV (first column must be 'index')",
            ));
        }
        match &head {
            Some(prev) if *prev != h => {
                return Err(ClusterError::input(
                    file.clone(),
                    "header differs from the first file's",
                ))
            }
            _ => head = Some(h),
        }
        for (i, rec) in rdr.records().enumerate() {
            let rec =
                rec.map_err(|e| ClusterError::input(format!("{file}:{}", i + 2), e.to_string()))?;
            let idx = rec
                .get(0)
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| {
                    ClusterError::input(
                        format!("{file}:{}", i + 2),
                        "field 'index': expected an integer",
                    )
                })?;
            rows.push((idx, rec));
        }
    }
    rows.sort_by_key(|(i, _)| *i);
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(ClusterError::input(
            "merge",
            format!("plan {} appears in more than one shard", w[0].0),
        ));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ClusterError::Internal(format!("writing CSV: {e}"));
    if let Some(h) = head {
        w.write_record(&h).map_err(io)?;
    }
    for (_, r) in rows {
        w.write_record(&r).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ClusterError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ClusterError::Internal(e.to_string()))
}

/// JSON: `context` (model, devices, ...) merged with `plans` (every plan
/// with degrees, metrics, rank, Pareto flag or error) and `best`.
pub fn json(context: Value, entries: &[Entry], rejected: &[String], notes: &[String]) -> Value {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.index);
    let plans: Vec<Value> = sorted
        .iter()
        .map(|e| {
            let p = &e.plan;
            let mut v = json!({
                "index": e.index, "plan": p.to_string(), "dp": p.dp, "tp": p.tp, "pp": p.pp, "ep": p.ep,
                "batching": p.batching.as_str(), "prefill_replicas": p.prefill_replicas,
                "rank": e.rank, "pareto": e.pareto,
            });
            match &e.result {
                Ok(ev) => {
                    v["stage_layers"] = json!(ev.stage_layers);
                    v["kv_capacity_tokens"] = json!(ev.kv_capacity_tokens);
                    v["metrics"] = serde_json::to_value(&ev.metrics).unwrap_or(Value::Null);
                }
                Err(msg) => v["error"] = json!(msg),
            }
            v
        })
        .collect();
    let best = super::search::best(entries).map(|e| e.plan.to_string());
    let mut out = context;
    out["plans"] = json!(plans);
    out["best"] = json!(best);
    out["rejected"] = json!(rejected);
    out["notes"] = json!(notes);
    out
}

fn ms(s: f64) -> String {
    format!("{:.1}", s * 1e3)
}

/// A readable table of the `top` best plans (and how many others there were).
pub fn table(entries: &[Entry], top: usize) -> String {
    let mut ranked: Vec<&Entry> = entries.iter().filter(|e| e.rank.is_some()).collect();
    ranked.sort_by_key(|e| e.rank);
    let mut s = format!(
        "{:>4}  {:<28} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>6} {:>8} {:>6}\n",
        "rank",
        "plan",
        "stages",
        "TTFT p50",
        "TTFT p90",
        "TPOT p50",
        "TPOT p90",
        "tok/s",
        "SLO",
        "MFU",
        "J/tok",
        "front"
    );
    s.push_str(&format!(
        "{:>4}  {:<28} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>6} {:>8} {:>6}\n",
        "", "", "", "ms", "ms", "ms", "ms", "", "%", "%", "", ""
    ));
    for e in ranked.iter().take(top) {
        let Ok(ev) = &e.result else { continue };
        let m = &ev.metrics;
        let stages = ev
            .stage_layers
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("+");
        s.push_str(&format!(
            "{:>4}  {:<28} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9.1} {:>6.1} {:>6.2} {:>8.3} {:>6}\n",
            e.rank.unwrap_or(0),
            e.plan.to_string(),
            if stages.len() > 7 {
                format!("{}st", ev.stage_layers.len())
            } else {
                stages
            },
            ms(m.ttft.p50),
            ms(m.ttft.p90),
            ms(m.tpot.p50),
            ms(m.tpot.p90),
            m.tokens_per_s,
            m.slo_both * 100.0,
            m.mfu * 100.0,
            m.j_per_token,
            if e.pareto { "*" } else { "" }
        ));
    }
    let failed = entries.iter().filter(|e| e.result.is_err()).count();
    if ranked.len() > top {
        s.push_str(&format!(
            "... {} more plans (use --format csv or json for all)\n",
            ranked.len() - top
        ));
    }
    if failed > 0 {
        s.push_str(&format!(
            "{failed} plans could not serve the workload (memory); see --format csv/json\n"
        ));
    }
    s
}
