//! Rows summed by op role (`attn.q_proj` over every layer), which is what
//! the terminal table and the plots show so that a 32-layer model stays
//! readable. JSON and CSV keep every op.

use crate::report::{OpRow, Report};
use llmfab_models::estimate::Bound;

/// The rows of one role in one phase, summed.
#[derive(Clone, Debug, PartialEq)]
pub struct RoleRow {
    /// `prefill` or `decode`.
    pub phase: String,
    /// Role (`attn.qk`).
    pub role: String,
    /// Op kind.
    pub kind: String,
    /// Ops summed (layers).
    pub count: usize,
    /// Arithmetic operations.
    pub ops: f64,
    /// Weight bytes read.
    pub weight_bytes: f64,
    /// Activation bytes read.
    pub act_bytes: f64,
    /// KV bytes read.
    pub kv_bytes: f64,
    /// Bytes written.
    pub bytes_written: f64,
    /// Link bytes.
    pub link_bytes: f64,
    /// Compute time at the peak.
    pub compute_s: f64,
    /// Memory time at the peak.
    pub memory_s: f64,
    /// Roofline time.
    pub roofline_s: f64,
    /// Realistic estimate.
    pub estimate_s: f64,
    /// Energy.
    pub energy_j: f64,
}

impl RoleRow {
    /// Off-chip bytes moved.
    pub fn bytes(&self) -> f64 {
        self.weight_bytes + self.act_bytes + self.kv_bytes + self.bytes_written
    }
    /// Ops per off-chip byte.
    pub fn intensity(&self) -> f64 {
        let b = self.bytes();
        if b > 0.0 {
            self.ops / b
        } else {
            0.0
        }
    }
    /// What bounds the summed roofline time.
    pub fn bound(&self) -> Bound {
        if self.link_bytes > 0.0 && self.ops == 0.0 {
            Bound::Link
        } else if self.compute_s > self.memory_s {
            Bound::Compute
        } else {
            Bound::Memory
        }
    }
    fn add(&mut self, r: &OpRow) {
        self.count += 1;
        self.ops += r.ops;
        self.weight_bytes += r.weight_bytes;
        self.act_bytes += r.act_bytes;
        self.kv_bytes += r.kv_bytes;
        self.bytes_written += r.bytes_written;
        self.link_bytes += r.link_bytes;
        self.compute_s += r.compute_s;
        self.memory_s += r.memory_s;
        self.roofline_s += r.time_roofline_s;
        self.estimate_s += r.time_estimate_s;
        self.energy_j += r.energy_j;
    }
}

/// Rows of `phase` (all phases when `None`) summed by role, in order of
/// first appearance.
pub fn by_role(rows: &[OpRow], phase: Option<&str>) -> Vec<RoleRow> {
    let mut out: Vec<RoleRow> = Vec::new();
    for r in rows.iter().filter(|r| phase.is_none_or(|p| r.phase == p)) {
        let i = match out
            .iter()
            .position(|x| x.role == r.role && x.phase == r.phase)
        {
            Some(i) => i,
            None => {
                out.push(RoleRow {
                    phase: r.phase.clone(),
                    role: r.role.clone(),
                    kind: r.kind.clone(),
                    count: 0,
                    ops: 0.0,
                    weight_bytes: 0.0,
                    act_bytes: 0.0,
                    kv_bytes: 0.0,
                    bytes_written: 0.0,
                    link_bytes: 0.0,
                    compute_s: 0.0,
                    memory_s: 0.0,
                    roofline_s: 0.0,
                    estimate_s: 0.0,
                    energy_j: 0.0,
                });
                out.len() - 1
            }
        };
        out[i].add(r);
    }
    out
}

impl Report {
    /// Phases present in the rows, in order (`prefill`, `decode`).
    pub fn phase_names(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for r in &self.ops {
            if !v.contains(&r.phase) {
                v.push(r.phase.clone());
            }
        }
        v
    }
}
