//! Requests: read from an APEX JSON-lines trace or an Azure LLM inference
//! trace CSV, or generated (Poisson arrivals, lengths from named
//! distributions, seeded).
//!
//! - APEX (`*.jsonl`): one JSON object per line with `StartTimeOffset`
//!   (nanoseconds), `ContextTokens`, `GeneratedTokens` (`RequestID` optional).
//! - Azure (`*.csv`): header with `TIMESTAMP`, `ContextTokens`,
//!   `GeneratedTokens`; timestamps are `YYYY-MM-DD HH:MM:SS[.fffffff]` or
//!   plain seconds, taken relative to the first request.

use super::error::ClusterError;
use super::rng::{LengthDist, Rng};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Position in the workload (0-based, after sorting by arrival).
    pub id: u32,
    /// Arrival time in seconds from the start of the workload.
    pub arrival_s: f64,
    /// Prompt tokens.
    pub prompt: u32,
    /// Output tokens to generate (at least 1).
    pub output: u32,
    /// Identifier from the trace, if it had one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// Reads a trace file: `.csv` is the Azure format, anything else APEX JSON lines.
pub fn load_trace(path: &Path) -> Result<Vec<Request>, ClusterError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ClusterError::Io {
        file: file.clone(),
        source,
    })?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        parse_azure(&text, &file)
    } else {
        parse_apex(&text, &file)
    }
}

fn finish(mut reqs: Vec<Request>, file: &str) -> Result<Vec<Request>, ClusterError> {
    if reqs.is_empty() {
        return Err(ClusterError::EmptyTrace {
            file: file.to_string(),
        });
    }
    reqs.sort_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s));
    let t0 = reqs[0].arrival_s.min(0.0);
    for (i, r) in reqs.iter_mut().enumerate() {
        r.id = i as u32;
        r.arrival_s -= t0;
    }
    Ok(reqs)
}

/// Parses APEX JSON lines (blank lines are skipped).
pub fn parse_apex(text: &str, file: &str) -> Result<Vec<Request>, ClusterError> {
    let mut reqs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let err = |field: &str, message: String| ClusterError::Trace {
            file: file.to_string(),
            line: line_no,
            field: field.to_string(),
            message,
        };
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| err("(line)", format!("expected a JSON object: {e}")))?;
        let int = |field: &str| -> Result<u64, ClusterError> {
            match v.get(field) {
                None => Err(err(
                    field,
                    "missing (expected a non-negative integer)".into(),
                )),
                Some(x) => x.as_u64().ok_or_else(|| {
                    err(field, format!("expected a non-negative integer, found {x}"))
                }),
            }
        };
        let start = int("StartTimeOffset")?;
        let prompt = int("ContextTokens")?;
        let output = int("GeneratedTokens")?;
        let prompt = u32::try_from(prompt)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| {
                err(
                    "ContextTokens",
                    format!("expected between 1 and {}, found {prompt}", u32::MAX),
                )
            })?;
        let output = u32::try_from(output)
            .map_err(|_| err("GeneratedTokens", format!("too large: {output}")))?;
        let name = v
            .get("RequestID")
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string();
        reqs.push(Request {
            id: 0,
            arrival_s: start as f64 * 1e-9,
            prompt,
            output: output.max(1),
            name,
        });
    }
    finish(reqs, file)
}

/// Parses an Azure LLM inference trace CSV.
pub fn parse_azure(text: &str, file: &str) -> Result<Vec<Request>, ClusterError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header_err = |message: String| ClusterError::Trace {
        file: file.into(),
        line: 1,
        field: "(header)".into(),
        message,
    };
    let headers = rdr
        .headers()
        .map_err(|e| header_err(e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                header_err(format!(
                    "missing column '{name}' (have: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ))
            })
    };
    let (ct, cc, cg) = (
        col("TIMESTAMP")?,
        col("ContextTokens")?,
        col("GeneratedTokens")?,
    );
    let mut reqs = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 2, |p| p.line() as usize);
        let err = |field: &str, message: String| ClusterError::Trace {
            file: file.into(),
            line,
            field: field.into(),
            message,
        };
        let rec = rec.map_err(|e| err("(line)", e.to_string()))?;
        let get =
            |c: usize, name: &str| rec.get(c).ok_or_else(|| err(name, "missing value".into()));
        let ts = get(ct, "TIMESTAMP")?;
        let t = parse_timestamp(ts).ok_or_else(|| {
            err(
                "TIMESTAMP",
                format!("expected 'YYYY-MM-DD HH:MM:SS[.fraction]' or seconds, found '{ts}'"),
            )
        })?;
        let num = |c: usize, name: &str| -> Result<u32, ClusterError> {
            let s = get(c, name)?;
            s.parse::<u32>().map_err(|_| {
                err(
                    name,
                    format!("expected a non-negative integer, found '{s}'"),
                )
            })
        };
        let prompt = num(cc, "ContextTokens")?;
        if prompt == 0 {
            return Err(err("ContextTokens", "expected at least 1, found 0".into()));
        }
        let output = num(cg, "GeneratedTokens")?.max(1);
        reqs.push(Request {
            id: 0,
            arrival_s: t,
            prompt,
            output,
            name: String::new(),
        });
    }
    if let Some(t0) = reqs.iter().map(|r| r.arrival_s).min_by(f64::total_cmp) {
        for r in &mut reqs {
            r.arrival_s -= t0;
        }
    }
    finish(reqs, file)
}

/// Seconds since 1970-01-01 of `YYYY-MM-DD HH:MM:SS[.fff]` (or a plain number of seconds).
fn parse_timestamp(s: &str) -> Option<f64> {
    if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    let (date, time) = s.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let mut t = time.split(':');
    let (hh, mm, ss) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    if !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || hh > 23
        || mm > 59
        || !(0.0..61.0).contains(&ss)
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some((days * 86400 + hh * 3600 + mm * 60) as f64 + ss)
}

/// A synthetic workload: Poisson arrivals and lengths from distributions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Synthetic {
    /// Mean arrival rate in requests per second.
    pub rate: f64,
    /// Number of requests.
    pub count: u32,
    /// Prompt lengths.
    pub prompt: LengthDist,
    /// Output lengths.
    pub output: LengthDist,
    /// Random seed.
    pub seed: u64,
    /// Largest prompt + output length (the model's context).
    pub max_len: u32,
}

impl Synthetic {
    /// Parses `--synthetic RATE,N`, with the default LMSYS-like lengths.
    pub fn parse(text: &str, seed: u64, max_len: u32) -> Result<Synthetic, ClusterError> {
        let bad = || {
            ClusterError::input(
                "--synthetic",
                format!("expected RATE,N (e.g. 2.5,1000), found '{text}'"),
            )
        };
        let (r, n) = text.split_once(',').ok_or_else(bad)?;
        let rate: f64 = r
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .ok_or_else(bad)?;
        let count: u32 = n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        Ok(Synthetic {
            rate,
            count,
            prompt: LengthDist::parse("lmsys-prompt")?,
            output: LengthDist::parse("lmsys-output")?,
            seed,
            max_len,
        })
    }

    /// Generates the requests (same seed, same requests).
    pub fn generate(&self) -> Vec<Request> {
        let mut rng = Rng::new(self.seed);
        let mut t = 0.0;
        let cap = self.max_len.max(2);
        (0..self.count)
            .map(|i| {
                if i > 0 {
                    t += rng.exponential(1.0 / self.rate);
                }
                let prompt = self.prompt.sample(&mut rng, cap - 1);
                let output = self.output.sample(&mut rng, cap - prompt);
                Request {
                    id: i,
                    arrival_s: t,
                    prompt,
                    output,
                    name: String::new(),
                }
            })
            .collect()
    }
}

/// Mean arrival rate of a workload (requests per second over its span).
pub fn arrival_rate(reqs: &[Request]) -> f64 {
    let span = reqs.last().map_or(0.0, |r| r.arrival_s) - reqs.first().map_or(0.0, |r| r.arrival_s);
    if span > 0.0 {
        (reqs.len() - 1) as f64 / span
    } else {
        f64::INFINITY
    }
}

/// The same requests replayed at another mean rate (arrival times scaled).
pub fn at_rate(reqs: &[Request], rate: f64) -> Vec<Request> {
    let scale = arrival_rate(reqs) / rate;
    reqs.iter()
        .map(|r| Request {
            arrival_s: r.arrival_s * scale,
            ..r.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apex_lines_and_errors() {
        let ok = "{\"RequestID\": \"a\", \"StartTimeOffset\": 2000000000, \"ContextTokens\": 5, \"GeneratedTokens\": 0}\n\n\
                  {\"StartTimeOffset\": 1000000000, \"ContextTokens\": 7, \"GeneratedTokens\": 3}\n";
        let r = parse_apex(ok, "t.jsonl").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].prompt, r[0].output, r[0].arrival_s), (7, 3, 1.0));
        assert_eq!(r[1].output, 1, "zero outputs are served as one token");
        let bad = "{\"StartTimeOffset\": 1, \"ContextTokens\": 7, \"GeneratedTokens\": 3}\n{\"StartTimeOffset\": 1, \"ContextTokens\": \"x\", \"GeneratedTokens\": 3}";
        let e = parse_apex(bad, "t.jsonl").unwrap_err().to_string();
        assert!(
            e.contains("t.jsonl:2") && e.contains("ContextTokens"),
            "{e}"
        );
        let e = parse_apex("{not json\n", "t.jsonl")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.jsonl:1"), "{e}");
        assert!(matches!(
            parse_apex("\n\n", "e.jsonl"),
            Err(ClusterError::EmptyTrace { .. })
        ));
    }

    #[test]
    fn azure_csv() {
        let text = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n";
        let r = parse_azure(text, "a.csv").unwrap();
        assert_eq!(r.len(), 2);
        assert!((r[1].arrival_s - 4.314579).abs() < 1e-6);
        let bad = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,374,44\n2023-11-16 18:15:47,x,44\n";
        let e = parse_azure(bad, "a.csv").unwrap_err().to_string();
        assert!(e.contains("a.csv:3") && e.contains("ContextTokens"), "{e}");
        let e = parse_azure("TIME,ContextTokens\n", "a.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("TIMESTAMP"), "{e}");
    }

    #[test]
    fn synthetic_is_seeded_and_rate_scaling_works() {
        let s = Synthetic::parse("4,500", 3, 4096).unwrap();
        let a = s.generate();
        assert_eq!(a, s.generate());
        assert!((arrival_rate(&a) - 4.0).abs() < 0.5);
        let b = at_rate(&a, 8.0);
        assert!((arrival_rate(&b) - 8.0).abs() < 1e-9);
        assert!(Synthetic::parse("4", 0, 10).is_err());
        assert!(Synthetic::parse("0,3", 0, 10).is_err());
    }
}
