//! Validation: replay a trace with pinned output lengths (e.g. the
//! `*_vllm_actual.jsonl` traces, whose lengths a real vLLM server produced)
//! against op costs from a measured profile, and compare the predicted
//! latency distribution with measured latencies percentile by percentile.
//!
//! "Measured" means per-request latencies recorded on real hardware serving
//! the same trace, in one of two forms:
//!
//! - vLLM's `benchmarks/benchmark_serving.py --save-result` JSON: arrays
//!   `ttfts` (s) and `itls` (per request, the gaps between tokens, s);
//!   end-to-end latency is `ttft + Σ itls`, TPOT `Σ itls / len(itls)`;
//! - JSON lines or CSV with per-request `ttft_s`, and `tpot_s` and/or
//!   `e2e_s`.
//!
//! The repository holds no such measurements (the bundled traces carry
//! lengths only), so without `--measured` only the prediction is printed.

use super::error::ClusterError;
use super::evaluate::Samples;
use super::metrics::{percentile, Stats};
use serde::Serialize;
use std::path::Path;

/// Measured latencies, seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Measured {
    /// Where they come from.
    pub source: String,
    /// Time to first token per request.
    pub ttft: Vec<f64>,
    /// Time per output token per request.
    pub tpot: Vec<f64>,
    /// End-to-end latency per request.
    pub e2e: Vec<f64>,
    /// Every gap between tokens.
    pub tbt: Vec<f64>,
}

fn nums(v: &serde_json::Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(|x| x.as_f64()).collect()
}

/// Reads measured latencies (format chosen by content; see the module docs).
pub fn load_measured(path: &Path) -> Result<Measured, ClusterError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ClusterError::Io {
        file: file.clone(),
        source,
    })?;
    let bad = |line: usize, field: &str, message: &str| ClusterError::Trace {
        file: file.clone(),
        line,
        field: field.into(),
        message: message.into(),
    };
    let mut m = Measured {
        source: file.clone(),
        ..Default::default()
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(t) = v.get("ttfts") {
                m.ttft = nums(t).ok_or_else(|| bad(1, "ttfts", "expected an array of seconds"))?;
                let itls = v
                    .get("itls")
                    .and_then(|x| x.as_array())
                    .ok_or_else(|| bad(1, "itls", "expected an array of arrays of seconds"))?;
                for (i, row) in itls.iter().enumerate() {
                    let gaps =
                        nums(row).ok_or_else(|| bad(1, "itls", "expected arrays of seconds"))?;
                    let sum: f64 = gaps.iter().sum();
                    if let Some(ttft) = m.ttft.get(i) {
                        m.e2e.push(ttft + sum);
                    }
                    if !gaps.is_empty() {
                        m.tpot.push(sum / gaps.len() as f64);
                    }
                    m.tbt.extend(gaps);
                }
                return Ok(m);
            }
        }
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| bad(i + 1, "(line)", &format!("expected a JSON object: {e}")))?;
            let get = |k: &str| v.get(k).and_then(|x| x.as_f64());
            m.ttft.push(
                get("ttft_s").ok_or_else(|| bad(i + 1, "ttft_s", "missing (expected seconds)"))?,
            );
            if let Some(x) = get("tpot_s") {
                m.tpot.push(x);
            }
            if let Some(x) = get("e2e_s") {
                m.e2e.push(x);
            }
        }
    } else {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let h = rdr
            .headers()
            .map_err(|e| bad(1, "(header)", &e.to_string()))?
            .clone();
        let col = |n: &str| h.iter().position(|x| x == n);
        let ct = col("ttft_s").ok_or_else(|| bad(1, "(header)", "missing column 'ttft_s'"))?;
        let (cp, ce) = (col("tpot_s"), col("e2e_s"));
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| bad(i + 2, "(line)", &e.to_string()))?;
            let f = |c: usize, n: &str| {
                rec.get(c)
                    .and_then(|s| s.parse::<f64>().ok())
                    .ok_or_else(|| bad(i + 2, n, "expected seconds"))
            };
            m.ttft.push(f(ct, "ttft_s")?);
            if let Some(c) = cp {
                m.tpot.push(f(c, "tpot_s")?);
            }
            if let Some(c) = ce {
                m.e2e.push(f(c, "e2e_s")?);
            }
        }
    }
    if m.ttft.is_empty() {
        return Err(ClusterError::EmptyTrace { file });
    }
    Ok(m)
}

/// One line of the comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// `ttft`, `tpot`, `e2e` or `tbt`.
    pub metric: String,
    /// Percentile (0–100).
    pub percentile: f64,
    /// Predicted, seconds.
    pub predicted: f64,
    /// Measured, seconds.
    pub measured: Option<f64>,
}

/// Percentiles compared.
pub const PERCENTILES: &[f64] = &[10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0];

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Predicted against measured, percentile by percentile.
pub fn compare(pred: &Samples, pred_tbt: &Stats, measured: Option<&Measured>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (name, p, m) in [
        ("ttft", &pred.ttft, measured.map(|m| &m.ttft)),
        ("tpot", &pred.tpot, measured.map(|m| &m.tpot)),
        ("e2e", &pred.e2e, measured.map(|m| &m.e2e)),
    ] {
        let (ps, ms) = (sorted(p), m.filter(|m| !m.is_empty()).map(|m| sorted(m)));
        for &q in PERCENTILES {
            rows.push(Row {
                metric: name.into(),
                percentile: q,
                predicted: percentile(&ps, q),
                measured: ms.as_ref().map(|m| percentile(m, q)),
            });
        }
    }
    let mt = measured
        .filter(|m| !m.tbt.is_empty())
        .map(|m| sorted(&m.tbt));
    for (q, v) in [
        (50.0, pred_tbt.p50),
        (90.0, pred_tbt.p90),
        (99.0, pred_tbt.p99),
    ] {
        rows.push(Row {
            metric: "tbt".into(),
            percentile: q,
            predicted: v,
            measured: mt.as_ref().map(|m| percentile(m, q)),
        });
    }
    rows
}

/// The comparison as a table (milliseconds, error in percent of measured).
pub fn render(rows: &[Row]) -> String {
    let mut s = format!(
        "{:<6} {:>5} {:>12} {:>12} {:>8}\n",
        "metric", "pct", "predicted ms", "measured ms", "error %"
    );
    for r in rows {
        let (m, err) = match r.measured {
            Some(m) if m > 0.0 => (
                format!("{:.2}", m * 1e3),
                format!("{:+.1}", (r.predicted - m) / m * 100.0),
            ),
            Some(m) => (format!("{:.2}", m * 1e3), "-".into()),
            None => ("-".into(), "-".into()),
        };
        s.push_str(&format!(
            "{:<6} {:>5} {:>12.2} {:>12} {:>8}\n",
            r.metric,
            format!("p{}", r.percentile),
            r.predicted * 1e3,
            m,
            err
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vllm_result_json_and_csv() {
        let dir = std::env::temp_dir().join(format!("llmfab-validate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let j = dir.join("r.json");
        std::fs::write(
            &j,
            r#"{"ttfts": [0.1, 0.2], "itls": [[0.01, 0.03], []], "output_lens": [3, 1]}"#,
        )
        .unwrap();
        let m = load_measured(&j).unwrap();
        assert_eq!(m.e2e, vec![0.14, 0.2]);
        assert_eq!(m.tpot, vec![0.02]);
        let c = dir.join("r.csv");
        std::fs::write(&c, "ttft_s,e2e_s\n0.1,1.0\nx,2\n").unwrap();
        let e = load_measured(&c).unwrap_err().to_string();
        assert!(e.contains(":3") && e.contains("ttft_s"), "{e}");
        let pred = Samples {
            ttft: vec![0.1, 0.3],
            tpot: vec![0.02],
            e2e: vec![0.2, 0.4],
        };
        let rows = compare(&pred, &Stats::default(), Some(&m));
        let r = rows
            .iter()
            .find(|r| r.metric == "ttft" && r.percentile == 50.0)
            .unwrap();
        assert!((r.predicted - 0.2).abs() < 1e-12 && (r.measured.unwrap() - 0.15).abs() < 1e-12);
        assert!(render(&rows).contains("ttft"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
