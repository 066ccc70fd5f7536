//! A measured profile table as an op-cost provider.
//!
//! CSV with a header; columns (any order, extra columns ignored):
//!
//! | column | meaning |
//! |---|---|
//! | `op` | block-relative op name (`attn.q_proj`, `attn.flash`, `mlp.down_proj`, `attn_norm`, `embed`, `final_norm`, `lm_head`) or an op kind (`linear`, `flash_attn`, `rmsnorm`, `silu`, `mul`, `add`, `rope`, `kv_write`, ...) matching every op of that kind |
//! | `batch`, `seq`, `kv_len` | the shape bindings the time was measured at |
//! | `time_s` (or `time_us`) | measured time of one call on one device |
//! | `tp` (optional, default 1) | tensor-parallel degree of the shard measured |
//! | `energy_j` (optional) | measured energy of one call |
//!
//! Lookup: exact op name first, then kind. Times are interpolated linearly
//! in one size variable — tokens `batch·seq` for most ops, attended pairs
//! `batch·seq·kv_len` for attention, sequences `batch` for lm_head — and
//! attention uses decode rows (`seq = 1`) for decode queries and prefill
//! rows otherwise when the table has both. Below the smallest measured size
//! the smallest time is used; above the largest the last two points are
//! extrapolated linearly. Both are counted and reported as extrapolation.
//! Without `energy_j`, energy is the device's board power × time (an upper
//! bound, said in the notes).

use super::cost::{OpCost, OpCostProvider, OpQuery};
use super::error::ClusterError;
use llmfab_models::graph::OpKind;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One measured point: size variable, time, energy.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Point {
    x: f64,
    time_s: f64,
    energy_j: Option<f64>,
}

/// Rows of one (op, tp, phase) sorted by size.
type Curve = Vec<Point>;

/// A profile table.
#[derive(Debug)]
pub struct ProfileCost {
    file: String,
    /// (op, tp, decode?) → curve. `decode` is only distinguished for attention.
    curves: BTreeMap<(String, u32, bool), Curve>,
    /// Board power used when a row has no energy.
    power_w: f64,
    extrapolated: AtomicUsize,
    extrapolated_ops: Mutex<BTreeSet<String>>,
}

fn is_attention(kind: &OpKind) -> bool {
    matches!(
        kind,
        OpKind::FlashAttn { .. }
            | OpKind::AttnQk { .. }
            | OpKind::AttnSv { .. }
            | OpKind::Softmax { .. }
    )
}

/// True for attention ops, named by block name or kind.
fn attention_name(op: &str) -> bool {
    matches!(op, "flash_attn" | "attn_qk" | "attn_sv" | "softmax")
        || [".flash", ".qk", ".sv", ".softmax"]
            .iter()
            .any(|x| op.ends_with(x))
}

fn size_of(op: &str, kind: Option<&OpKind>, batch: f64, seq: f64, kv: f64) -> f64 {
    let attention = kind.map_or(attention_name(op), is_attention);
    if attention {
        batch * seq * kv
    } else if op == "lm_head" {
        batch
    } else {
        batch * seq
    }
}

impl ProfileCost {
    /// Reads a profile CSV; `power_w` prices energy for rows without `energy_j`.
    pub fn load(path: &Path, power_w: f64) -> Result<ProfileCost, ClusterError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ClusterError::Io {
            file: file.clone(),
            source,
        })?;
        Self::parse(&text, &file, power_w)
    }

    /// Parses profile CSV text (`file` names it in errors).
    pub fn parse(text: &str, file: &str, power_w: f64) -> Result<ProfileCost, ClusterError> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let err = |line: usize, field: &str, message: String| ClusterError::Trace {
            file: file.to_string(),
            line,
            field: field.to_string(),
            message,
        };
        let headers = rdr
            .headers()
            .map_err(|e| err(1, "(header)", e.to_string()))?
            .clone();
        let col = |n: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(n));
        let need =
            |n: &str| col(n).ok_or_else(|| err(1, "(header)", format!("missing column '{n}'")));
        let (c_op, c_b, c_s, c_l) = (need("op")?, need("batch")?, need("seq")?, need("kv_len")?);
        let (c_t, scale) = match (col("time_s"), col("time_us")) {
            (Some(c), _) => (c, 1.0),
            (None, Some(c)) => (c, 1e-6),
            _ => {
                return Err(err(
                    1,
                    "(header)",
                    "missing column 'time_s' (or 'time_us')".into(),
                ))
            }
        };
        let (c_tp, c_e) = (col("tp"), col("energy_j"));
        let mut raw: BTreeMap<(String, u32, bool), Vec<Point>> = BTreeMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| err(line, "(line)", e.to_string()))?;
            let get = |c: usize, n: &str| {
                rec.get(c)
                    .ok_or_else(|| err(line, n, "missing value".into()))
            };
            let num = |c: usize, n: &str| -> Result<f64, ClusterError> {
                let s = get(c, n)?;
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| {
                        err(
                            line,
                            n,
                            format!("expected a non-negative number, found '{s}'"),
                        )
                    })
            };
            let op = get(c_op, "op")?.to_string();
            let (b, s, l) = (num(c_b, "batch")?, num(c_s, "seq")?, num(c_l, "kv_len")?);
            let t = num(c_t, "time")? * scale;
            if t <= 0.0 {
                return Err(err(line, "time", "expected a positive time".into()));
            }
            let tp = match c_tp {
                Some(c) => num(c, "tp")? as u32,
                None => 1,
            };
            let energy_j = match c_e {
                Some(c) if !get(c, "energy_j")?.is_empty() => Some(num(c, "energy_j")?),
                _ => None,
            };
            let decode = attention_name(&op) && s <= 1.0;
            let x = size_of(&op, None, b, s, l);
            raw.entry((op, tp.max(1), decode)).or_default().push(Point {
                x,
                time_s: t,
                energy_j,
            });
        }
        if raw.is_empty() {
            return Err(ClusterError::input(file, "the profile has no rows"));
        }
        let curves = raw
            .into_iter()
            .map(|(k, mut pts)| {
                pts.sort_by(|a, b| a.x.total_cmp(&b.x));
                // Average repeated sizes.
                let mut out: Vec<(Point, f64)> = Vec::new();
                for p in pts {
                    match out.last_mut() {
                        Some((q, n)) if q.x == p.x => {
                            q.time_s += p.time_s;
                            q.energy_j = q.energy_j.zip(p.energy_j).map(|(a, b)| a + b);
                            *n += 1.0;
                        }
                        _ => out.push((p, 1.0)),
                    }
                }
                let c = out
                    .into_iter()
                    .map(|(p, n)| Point {
                        x: p.x,
                        time_s: p.time_s / n,
                        energy_j: p.energy_j.map(|e| e / n),
                    })
                    .collect();
                (k, c)
            })
            .collect();
        Ok(ProfileCost {
            file: file.to_string(),
            curves,
            power_w,
            extrapolated: AtomicUsize::new(0),
            extrapolated_ops: Mutex::new(BTreeSet::new()),
        })
    }

    /// How many lookups fell outside the measured range.
    pub fn extrapolations(&self) -> usize {
        self.extrapolated.load(Ordering::Relaxed)
    }

    fn curve(&self, name: &str, kind: &str, tp: u32, decode: bool) -> Option<&Curve> {
        for key in [name, kind] {
            for d in [decode, !decode] {
                if let Some(c) = self.curves.get(&(key.to_string(), tp, d)) {
                    return Some(c);
                }
            }
        }
        None
    }
}

/// Piecewise-linear interpolation of a sorted curve at `x`:
/// (time, energy, extrapolated).
fn interpolate(c: &Curve, x: f64) -> (f64, Option<f64>, bool) {
    let first = c[0];
    let last = c[c.len() - 1];
    if x <= first.x {
        return (first.time_s, first.energy_j, x < first.x);
    }
    let (a, b, extrapolated) = if x >= last.x {
        if c.len() == 1 {
            // One point: scale proportionally with size.
            let f = x / last.x.max(f64::MIN_POSITIVE);
            return (last.time_s * f, last.energy_j.map(|e| e * f), x > last.x);
        }
        (c[c.len() - 2], last, x > last.x)
    } else {
        let i = c.partition_point(|p| p.x <= x);
        (c[i - 1], c[i], false)
    };
    let f = (x - a.x) / (b.x - a.x);
    let lerp = |u: f64, v: f64| (u + f * (v - u)).max(0.0);
    (
        lerp(a.time_s, b.time_s).max(f64::MIN_POSITIVE),
        a.energy_j.zip(b.energy_j).map(|(u, v)| lerp(u, v)),
        extrapolated,
    )
}

impl OpCostProvider for ProfileCost {
    fn name(&self) -> String {
        format!("profile {}", self.file)
    }

    fn op_cost(&self, q: &OpQuery) -> Result<OpCost, ClusterError> {
        let name = super::shard::block_name(&q.op.name);
        let kind = q.op.kind.name();
        let decode = is_attention(&q.op.kind) && q.bindings.seq <= 1;
        let curve = self.curve(name, kind, q.tp.max(1), decode).ok_or_else(|| {
            ClusterError::ProfileMissing {
                file: self.file.clone(),
                op: name.to_string(),
                tp: q.tp,
                have: self
                    .curves
                    .keys()
                    .map(|(o, tp, _)| format!("{o}@tp{tp}"))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?;
        let b = &q.bindings;
        let x = size_of(
            name,
            Some(&q.op.kind),
            b.batch as f64,
            b.seq as f64,
            b.kv_len as f64,
        );
        let (t, e, ex) = interpolate(curve, x);
        if ex {
            self.extrapolated.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut s) = self.extrapolated_ops.lock() {
                s.insert(name.to_string());
            }
        }
        Ok(OpCost {
            time_s: t,
            energy_j: e.unwrap_or(self.power_w * t),
            extrapolated: ex,
        })
    }

    /// Remarks: extrapolation and the energy assumption.
    fn notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        let n = self.extrapolations();
        if n > 0 {
            let ops = self
                .extrapolated_ops
                .lock()
                .map(|s| s.iter().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            v.push(format!(
                "profile {}: {n} lookups extrapolated beyond the measured sizes (ops: {ops})",
                self.file
            ));
        }
        if self.curves.values().flatten().any(|p| p.energy_j.is_none()) {
            v.push(format!("profile {}: rows without energy_j are charged {} W board power x time (an upper bound)", self.file, self.power_w));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_flags_extrapolation() {
        let text = "op,batch,seq,kv_len,time_us\nlinear,1,1,1,10\nlinear,1,100,100,20\nflash_attn,1,1,100,5\nflash_attn,1,1,300,7\n";
        let p = ProfileCost::parse(text, "p.csv", 100.0).unwrap();
        let c = p.curve("attn.q_proj", "linear", 1, false).unwrap();
        let (t, _, ex) = interpolate(c, 50.5);
        assert!((t - 15e-6).abs() < 1e-12 && !ex);
        let (t, _, ex) = interpolate(c, 199.0);
        assert!((t - 30e-6).abs() < 1e-12 && ex);
        let a = p.curve("attn.flash", "flash_attn", 1, true).unwrap();
        assert!((interpolate(a, 200.0).0 - 6e-6).abs() < 1e-12);
        assert!(p.curve("attn.q_proj", "linear", 2, false).is_none());
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let e = ProfileCost::parse("op,batch,seq,kv_len,time_s\nlinear,1,x,1,1\n", "p.csv", 1.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("p.csv:2") && e.contains("seq"), "{e}");
        let e = ProfileCost::parse("op,batch,seq\n", "p.csv", 1.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("kv_len"), "{e}");
    }
}
