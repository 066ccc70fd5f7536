//! A user's measurements of their own device (`--calibration FILE.toml`),
//! which replace the catalog's default efficiency factors in the realistic
//! estimate. Every factor taken from it names the file as its source.
//!
//! ```toml
//! copy_bandwidth = 3.0e12      # bytes/s: (bytes read + written) / time of a large device-to-device copy
//! kernel_overhead_s = 2.5e-6   # per op: time of an empty kernel, back to back
//!
//! [[matmul]]                   # measured kernel throughput by shape (launch overhead excluded)
//! m = 1
//! n = 4096
//! k = 4096
//! precision = "fp16"           # optional: the point applies to products at this precision only
//! tflops = 1.6                 # or ops_per_s = 1.6e12 (2 ops per multiply-accumulate)
//! ```
//!
//! Matrix-product throughput for a shape between measured ones is
//! interpolated in log space: among the measured `(n, k)` pairs the nearest
//! in `|ln n - ln n'| + |ln k - ln k'|` is taken, and along `m` the logarithm
//! of throughput is interpolated linearly in `ln m` (clamped, not
//! extrapolated, beyond the measured `m`).

use crate::quant::Precision;
use crate::ModelError;
use std::path::Path;
use toml::{Table, Value};

/// One measured matrix-product throughput.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MatmulPoint {
    /// Rows of the activation operand.
    pub m: u64,
    /// Output columns.
    pub n: u64,
    /// Reduction length.
    pub k: u64,
    /// Precision the point applies to (`None`: every precision).
    pub precision: Option<Precision>,
    /// Measured ops/s (2 per multiply-accumulate).
    pub ops_per_s: f64,
}

/// A parsed calibration file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Calibration {
    /// The file it came from (named in every source string).
    pub file: String,
    /// Measured copy bandwidth, bytes/s.
    pub copy_bandwidth: Option<f64>,
    /// Measured per-kernel overhead, seconds.
    pub kernel_overhead_s: Option<f64>,
    /// Measured matrix-product throughputs.
    pub matmul: Vec<MatmulPoint>,
}

fn parse_err(file: &str, field: impl Into<String>, expected: impl Into<String>) -> ModelError {
    ModelError::Parse {
        file: file.to_string(),
        field: field.into(),
        expected: expected.into(),
    }
}

fn positive(v: Option<&Value>) -> Option<f64> {
    let x = match v? {
        Value::Float(f) => *f,
        Value::Integer(i) => *i as f64,
        _ => return None,
    };
    (x.is_finite() && x > 0.0).then_some(x)
}

fn check_keys(file: &str, t: &Table, path: &str, allowed: &[&str]) -> Result<(), ModelError> {
    match t.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(parse_err(
            file,
            format!("{path}{k}"),
            format!("one of the known fields: {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

impl Calibration {
    /// Parses a calibration file's text; `file` names it in errors and sources.
    pub fn parse(text: &str, file: &str) -> Result<Calibration, ModelError> {
        let t: Table = text.parse().map_err(|e: toml::de::Error| {
            let at = e
                .span()
                .map(|s| crate::device_file::line_col(text, s.start))
                .unwrap_or_else(|| "document".into());
            parse_err(file, at, format!("valid TOML ({})", e.message()))
        })?;
        check_keys(
            file,
            &t,
            "",
            &["device", "copy_bandwidth", "kernel_overhead_s", "matmul"],
        )?;
        let mut c = Calibration {
            file: file.to_string(),
            copy_bandwidth: None,
            kernel_overhead_s: None,
            matmul: Vec::new(),
        };
        if let Some(v) = t.get("copy_bandwidth") {
            c.copy_bandwidth = Some(positive(Some(v)).ok_or_else(|| {
                parse_err(file, "copy_bandwidth", "a positive number of bytes/s")
            })?);
        }
        if let Some(v) = t.get("kernel_overhead_s") {
            let x = match v {
                Value::Float(f) if f.is_finite() && *f >= 0.0 => *f,
                Value::Integer(i) if *i >= 0 => *i as f64,
                _ => {
                    return Err(parse_err(
                        file,
                        "kernel_overhead_s",
                        "a number of seconds >= 0",
                    ))
                }
            };
            c.kernel_overhead_s = Some(x);
        }
        if let Some(v) = t.get("matmul") {
            let Value::Array(items) = v else {
                return Err(parse_err(
                    file,
                    "matmul",
                    "an array of tables ([[matmul]] with m, n, k and tflops or ops_per_s)",
                ));
            };
            for (i, item) in items.iter().enumerate() {
                let path = format!("matmul[{i}].");
                let Value::Table(p) = item else {
                    return Err(parse_err(
                        file,
                        format!("matmul[{i}]"),
                        "a table with m, n, k and tflops or ops_per_s",
                    ));
                };
                check_keys(
                    file,
                    p,
                    &path,
                    &["m", "n", "k", "precision", "tflops", "ops_per_s"],
                )?;
                let dim = |k: &str| match p.get(k) {
                    Some(Value::Integer(x)) if *x > 0 => Ok(*x as u64),
                    _ => Err(parse_err(file, format!("{path}{k}"), "a positive integer")),
                };
                let precision = match p.get("precision") {
                    None => None,
                    Some(Value::String(s)) => {
                        Some(Precision::parse(&s.to_ascii_lowercase()).ok_or_else(|| {
                            parse_err(
                                file,
                                format!("{path}precision"),
                                "one of int2, int4, int8, fp8, fp16, bf16, fp32",
                            )
                        })?)
                    }
                    Some(_) => {
                        return Err(parse_err(
                            file,
                            format!("{path}precision"),
                            "a string such as \"fp16\"",
                        ))
                    }
                };
                let ops_per_s =
                    match (positive(p.get("tflops")), positive(p.get("ops_per_s"))) {
                        (Some(t), None) if !p.contains_key("ops_per_s") => t * 1e12,
                        (None, Some(o)) if !p.contains_key("tflops") => o,
                        _ => return Err(parse_err(
                            file,
                            format!("{path}tflops"),
                            "exactly one of tflops (positive, 1e12 ops/s) or ops_per_s (positive)",
                        )),
                    };
                c.matmul.push(MatmulPoint {
                    m: dim("m")?,
                    n: dim("n")?,
                    k: dim("k")?,
                    precision,
                    ops_per_s,
                });
            }
        }
        Ok(c)
    }

    /// Reads a calibration file.
    pub fn load(path: &Path) -> Result<Calibration, ModelError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            file: file.clone(),
            source,
        })?;
        Calibration::parse(&text, &file)
    }

    /// The source string of values taken from this file.
    pub fn source(&self) -> String {
        format!("calibration {}", self.file)
    }

    /// Interpolated throughput (ops/s) of an `m × k · k × n` product at
    /// `precision`, with a source string saying how it was obtained; `None`
    /// when no measured point applies to the precision.
    pub fn matmul_throughput(
        &self,
        m: u64,
        n: u64,
        k: u64,
        precision: Precision,
    ) -> Option<(f64, String)> {
        let exact: Vec<&MatmulPoint> = self
            .matmul
            .iter()
            .filter(|p| p.precision == Some(precision))
            .collect();
        let pts: Vec<&MatmulPoint> = if exact.is_empty() {
            self.matmul
                .iter()
                .filter(|p| p.precision.is_none())
                .collect()
        } else {
            exact
        };
        let ln = |x: u64| (x.max(1) as f64).ln();
        let dist = |p: &MatmulPoint| (ln(n) - ln(p.n)).abs() + (ln(k) - ln(p.k)).abs();
        let best = pts.iter().min_by(|a, b| {
            dist(a)
                .total_cmp(&dist(b))
                .then((a.n, a.k).cmp(&(b.n, b.k)))
        })?;
        let (bn, bk) = (best.n, best.k);
        let mut row: Vec<&MatmulPoint> = pts
            .iter()
            .copied()
            .filter(|p| p.n == bn && p.k == bk)
            .collect();
        row.sort_by_key(|p| p.m);
        let nk = if (bn, bk) == (n, k) {
            format!("(n,k)=({n},{k})")
        } else {
            format!("nearest measured (n,k)=({bn},{bk}) for ({n},{k})")
        };
        let first = row[0];
        let last = row[row.len() - 1];
        let (thr, how) = if m <= first.m {
            (
                first.ops_per_s,
                if m == first.m {
                    format!("measured at m={m}")
                } else {
                    format!("m={m} clamped to the smallest measured m={}", first.m)
                },
            )
        } else if m >= last.m {
            (
                last.ops_per_s,
                if m == last.m {
                    format!("measured at m={m}")
                } else {
                    format!("m={m} clamped to the largest measured m={}", last.m)
                },
            )
        } else {
            let i = row.iter().position(|p| p.m >= m).unwrap_or(row.len() - 1);
            let (a, b) = (row[i - 1], row[i]);
            let t = (ln(m) - ln(a.m)) / (ln(b.m) - ln(a.m));
            let thr = (a.ops_per_s.ln() * (1.0 - t) + b.ops_per_s.ln() * t).exp();
            (
                thr,
                format!(
                    "m={m} interpolated in log space between m={} and m={}",
                    a.m, b.m
                ),
            )
        };
        Some((thr, format!("{}: matmul {nk}, {how}", self.source())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
copy_bandwidth = 3.0e12
kernel_overhead_s = 2e-6
[[matmul]]
m = 1
n = 4096
k = 4096
tflops = 1.0
[[matmul]]
m = 100
n = 4096
k = 4096
tflops = 100.0
"#;

    #[test]
    fn interpolates_in_log_space_and_clamps() {
        let c = Calibration::parse(TEXT, "cal.toml").unwrap();
        let (t, src) = c
            .matmul_throughput(10, 4096, 4096, Precision::Fp16)
            .unwrap();
        assert!((t / 1e12 - 10.0).abs() < 1e-9, "{t}");
        assert!(
            src.contains("calibration cal.toml") && src.contains("interpolated"),
            "{src}"
        );
        let (t, src) = c
            .matmul_throughput(1000, 11008, 4096, Precision::Fp16)
            .unwrap();
        assert_eq!(t, 100e12);
        assert!(src.contains("clamped") && src.contains("nearest"), "{src}");
    }

    #[test]
    fn errors_name_the_field() {
        let e = Calibration::parse("copy_bandwidth = -1", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("copy_bandwidth"), "{e}");
        let e = Calibration::parse("[[matmul]]\nm = 1\nn = 2\nk = 3\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("matmul[0].tflops"), "{e}");
        let e = Calibration::parse("copy_bandwidth = 1e12\nbogus = 1", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bogus"), "{e}");
        let e = Calibration::parse("copy_bandwidth = ", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
    }
}
