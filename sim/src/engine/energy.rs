//! Energy of a simulated run: the roofline analyzer's device energy model
//! (`llmfab_models::estimate`, per device in the catalog) applied to the
//! activity the simulator counted instead of to a graph's nominal work.
//!
//! - compute: matrix ops (2 per MAC) × `pj_per_op` at the product's
//!   precision (the narrowest the device lists that holds both operands, as
//!   the analyzer falls back), SFU ops × `pj_per_vector_op`;
//! - DRAM: simulated memory bytes × 8 × `dram_pj_per_bit`;
//! - SRAM: simulated buffer bytes ([`super::work::Work::buffer_bytes`]) × 8 ×
//!   `sram_pj_per_bit`;
//! - static: `static_w` × simulated seconds.

use super::work::Work;
use llmfab_models::device::{wider_precisions, Device};
use llmfab_models::Precision;
use serde::Serialize;

/// The device constants used, with their sources.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnergyModel {
    /// Device the constants come from.
    pub device: String,
    /// pJ per op by precision.
    pub pj_per_op: Vec<(String, f64)>,
    /// pJ per SFU (vector) op.
    pub pj_per_vector_op: f64,
    /// pJ per DRAM bit.
    pub dram_pj_per_bit: f64,
    /// pJ per SRAM bit.
    pub sram_pj_per_bit: f64,
    /// Static power, W.
    pub static_w: f64,
    /// Sources of the constants (`name: source`).
    pub sources: Vec<String>,
    #[serde(skip)]
    table: Vec<(Precision, f64)>,
}

/// Energy of a run, in joules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Energy {
    /// Arithmetic.
    pub compute_j: f64,
    /// Memory traffic.
    pub dram_j: f64,
    /// Buffer traffic.
    pub sram_j: f64,
    /// Static power over the run.
    pub static_j: f64,
    /// Sum.
    pub total_j: f64,
}

/// The precision of a product of `a`- and `b`-bit integers.
fn precision(a: u64, b: u64) -> Precision {
    match a.max(b) {
        0..=2 => Precision::Int2,
        3..=4 => Precision::Int4,
        5..=8 => Precision::Int8,
        _ => Precision::Fp16,
    }
}

impl EnergyModel {
    /// The constants of `d`.
    pub fn from_device(d: &Device) -> Self {
        let e = &d.energy;
        let mut sources = vec![
            format!("dram_pj_per_bit: {}", e.dram_pj_per_bit.source),
            format!("sram_pj_per_bit: {}", e.sram_pj_per_bit.source),
            format!("pj_per_vector_op: {}", e.pj_per_vector_op.source),
            format!("static_w: {}", e.static_w.source),
        ];
        for (p, v) in &e.pj_per_op {
            sources.push(format!("pj_per_op.{}: {}", p.as_str(), v.source));
        }
        EnergyModel {
            device: d.name.clone(),
            pj_per_op: e
                .pj_per_op
                .iter()
                .map(|(p, v)| (p.as_str().to_string(), v.value))
                .collect(),
            pj_per_vector_op: e.pj_per_vector_op.value,
            dram_pj_per_bit: e.dram_pj_per_bit.value,
            sram_pj_per_bit: e.sram_pj_per_bit.value,
            static_w: e.static_w.value,
            sources,
            table: e.pj_per_op.iter().map(|(p, v)| (*p, v.value)).collect(),
        }
    }

    /// pJ per matrix op of an `a`×`b`-bit product.
    pub fn pj_matmul(&self, a: u64, b: u64) -> f64 {
        wider_precisions(precision(a, b))
            .iter()
            .find_map(|q| self.table.iter().find(|(p, _)| p == q).map(|(_, v)| *v))
            .unwrap_or(self.pj_per_vector_op)
    }

    /// Energy of `w` done in `seconds`.
    pub fn energy(&self, w: &Work, seconds: f64) -> Energy {
        let mm: f64 = w
            .matmul_ops
            .iter()
            .map(|((a, b), ops)| ops * self.pj_matmul(*a, *b))
            .sum();
        let compute_j = (mm + w.sfu_ops * self.pj_per_vector_op) * 1e-12;
        let dram_j = w.hbm_bytes() as f64 * 8.0 * self.dram_pj_per_bit * 1e-12;
        let sram_j = w.buffer_bytes * 8.0 * self.sram_pj_per_bit * 1e-12;
        let static_j = self.static_w * seconds;
        Energy {
            compute_j,
            dram_j,
            sram_j,
            static_j,
            total_j: compute_j + dram_j + sram_j + static_j,
        }
    }
}
