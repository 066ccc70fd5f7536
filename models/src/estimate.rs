//! Time and energy of one op's work ([`OpWork`]) on one [`Device`]: the
//! roofline bound, a realistic estimate and an energy breakdown. The
//! analyzer (`llmfab-reports`), the engine simulator and the cluster planner
//! all price ops through [`Estimator`].
//!
//! **Roofline**: `max(ops / peak, bytes / bandwidth)`; matrix products use the
//! peak at their compute precision (GPUs dequantize sub-8-bit weights and
//! multiply at the activation type, [`QuantScheme::gpu_matmul_precision`];
//! FPGA engines multiply natively, [`QuantScheme::native_precision`]), other
//! ops the vector peak.
//!
//! **Realistic estimate**: `max(compute, memory) + kernel overhead`, where
//! memory time uses the achievable fraction of bandwidth and compute time
//! the matrix (or flash-attention, or vector) efficiency times a shape
//! factor: tile utilisation `m / (⌈m/tm⌉·tm)` with `tm = efficiency.skinny_m`
//! (skinny decode products waste most of a tile), and on GPUs wave
//! quantization of `⌈m/tm⌉·⌈n/128⌉·count` tiles over the compute units, with
//! split-K filling the machine when there are fewer tiles than units. A
//! [`Calibration`] replaces any of these with the user's measurements. Every
//! factor used is returned with its source.
//!
//! **Energy**: ops × pJ/op at the precision, off-chip bytes × DRAM pJ/bit,
//! on-chip bytes × SRAM pJ/bit (off-chip traffic staged through buffers
//! once, plus matrix operands re-read from buffers once per tile), and static
//! power × the estimated time.

use crate::calibration::Calibration;
use crate::collective::CollectiveCost;
use crate::device::{wider_precisions, Device, DeviceKind};
use crate::graph::OpKind;
use crate::quant::{Precision, QuantScheme};
use crate::work::{ComputeClass, OpWork};
use serde::Serialize;

/// Output columns of one tile of a GPU matrix product (assumption: CUTLASS
/// and cuBLAS tiles are 64–256 wide; 128 taken).
pub const TILE_N: u64 = 128;
/// Smallest reduction slice split-K gives one tile (assumption).
pub const SPLIT_K_MIN: u64 = 256;

/// What limits an op.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// Arithmetic throughput.
    Compute,
    /// Off-chip memory bandwidth.
    #[default]
    Memory,
    /// A device-to-device link (collectives).
    Link,
}

impl Bound {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Bound::Compute => "compute",
            Bound::Memory => "memory",
            Bound::Link => "link",
        }
    }
}

/// One factor that entered an estimate, with where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    /// What it is (`bandwidth efficiency`, `peak`, `tile utilisation`).
    pub name: String,
    /// Its value (a fraction, ops/s, bytes/s or seconds, as the name says).
    pub value: f64,
    /// Where it comes from.
    pub source: String,
}

/// Energy of one op, in joules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct OpEnergy {
    /// Arithmetic.
    pub compute_j: f64,
    /// Off-chip memory traffic.
    pub dram_j: f64,
    /// On-chip buffer traffic.
    pub sram_j: f64,
    /// Static power over the estimated time.
    pub static_j: f64,
}

impl OpEnergy {
    /// Sum of the parts.
    pub fn total(&self) -> f64 {
        self.compute_j + self.dram_j + self.sram_j + self.static_j
    }
    /// Adds `k` times `o`.
    pub fn add_scaled(&mut self, o: &OpEnergy, k: f64) {
        self.compute_j += k * o.compute_j;
        self.dram_j += k * o.dram_j;
        self.sram_j += k * o.sram_j;
        self.static_j += k * o.static_j;
    }
}

/// Time and energy of one op on one device.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpEstimate {
    /// Precision of the arithmetic (matrix products: after falling back to
    /// the narrowest precision the device has a peak for).
    pub precision: Option<Precision>,
    /// Peak ops/s used for the roofline.
    pub peak_ops_per_s: f64,
    /// Peak bytes/s used for the roofline.
    pub bandwidth: f64,
    /// `ops / peak`.
    pub compute_s: f64,
    /// `bytes / bandwidth`.
    pub memory_s: f64,
    /// `max(compute_s, memory_s)`.
    pub roofline_s: f64,
    /// Which of the two (or the link) limits the roofline.
    pub bound: Bound,
    /// Realistic estimate.
    pub estimate_s: f64,
    /// Factors of the realistic estimate, with sources (empty unless asked for).
    pub factors: Vec<Factor>,
    /// Energy breakdown.
    pub energy: OpEnergy,
}

/// Prices ops on one device under one quantization scheme.
#[derive(Clone, Copy, Debug)]
pub struct Estimator<'a> {
    /// The device.
    pub device: &'a Device,
    /// The quantization scheme (decides compute precisions).
    pub quant: &'a QuantScheme,
    /// The user's measurements, overriding default factors.
    pub calibration: Option<&'a Calibration>,
}

struct Explain<'e> {
    on: bool,
    out: &'e mut Vec<Factor>,
}

impl Explain<'_> {
    fn add(&mut self, name: &str, value: f64, source: impl FnOnce() -> String) {
        if self.on {
            self.out.push(Factor {
                name: name.to_string(),
                value,
                source: source(),
            });
        }
    }
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}

impl<'a> Estimator<'a> {
    /// An estimator for `device` under `quant`, optionally calibrated.
    pub fn new(
        device: &'a Device,
        quant: &'a QuantScheme,
        calibration: Option<&'a Calibration>,
    ) -> Self {
        Estimator {
            device,
            quant,
            calibration,
        }
    }

    /// Precision a matrix product with this work is asked to run at (before
    /// any fallback to a precision the device has).
    pub fn requested_precision(&self, work: &OpWork) -> Precision {
        match self.device.kind {
            DeviceKind::Gpu => self.quant.gpu_matmul_precision(work.w_bits),
            DeviceKind::Fpga => self.quant.native_precision(work.w_bits),
        }
    }

    /// Tile shape `(rows, cols)` of matrix products: GPUs `skinny_m × 128`,
    /// FPGA engines their default array.
    fn tiles(&self) -> (u64, u64) {
        match &self.device.fpga {
            Some(f) => (f.default_rows.max(1) as u64, f.default_cols.max(1) as u64),
            None => (
                (self.device.efficiency.skinny_m.value.round() as u64).max(1),
                TILE_N,
            ),
        }
    }

    /// Roofline, realistic time and energy of one op.
    pub fn op(&self, kind: &OpKind, work: &OpWork) -> OpEstimate {
        self.run(kind, work, false)
    }

    /// Like [`Estimator::op`], with every factor and its source listed.
    pub fn op_explained(&self, kind: &OpKind, work: &OpWork) -> OpEstimate {
        self.run(kind, work, true)
    }

    fn run(&self, kind: &OpKind, work: &OpWork, explain: bool) -> OpEstimate {
        let dev = self.device;
        let mut factors = Vec::new();
        let mut ex = Explain {
            on: explain,
            out: &mut factors,
        };
        let bytes = work.bytes();
        let bw = dev.memory.bandwidth.value;
        let is_matmul = work.class == ComputeClass::Matmul;
        // --- roofline ---
        let (precision, peak) = if is_matmul {
            let want = self.requested_precision(work);
            match dev.peak_at(want) {
                Some((used, v)) => {
                    ex.add("peak (ops/s)", v.value, || {
                        if used == want {
                            format!("{} peak: {}", used.as_str(), v.source)
                        } else {
                            format!(
                                "{} work runs at {} ({} has no {} peak): {}",
                                want.as_str(),
                                used.as_str(),
                                dev.name,
                                want.as_str(),
                                v.source
                            )
                        }
                    });
                    (Some(used), v.value)
                }
                None => {
                    ex.add("peak (ops/s)", dev.vector_ops.value, || {
                        format!(
                            "no {} or wider matrix peak on {}: vector peak, {}",
                            want.as_str(),
                            dev.name,
                            dev.vector_ops.source
                        )
                    });
                    (Some(want), dev.vector_ops.value)
                }
            }
        } else {
            ex.add("peak (ops/s)", dev.vector_ops.value, || {
                format!("vector peak: {}", dev.vector_ops.source)
            });
            (None, dev.vector_ops.value)
        };
        ex.add("peak bandwidth (bytes/s)", bw, || {
            format!("{} peak: {}", dev.memory.kind, dev.memory.bandwidth.source)
        });
        let compute_s = if work.ops > 0.0 { work.ops / peak } else { 0.0 };
        let memory_s = bytes / bw;
        let roofline_s = compute_s.max(memory_s);
        let bound = if compute_s > memory_s {
            Bound::Compute
        } else {
            Bound::Memory
        };
        // --- realistic ---
        let bw_eff = match self
            .calibration
            .and_then(|c| c.copy_bandwidth.map(|b| (c, b)))
        {
            Some((c, b)) => {
                let e = (b / bw).min(1.0);
                ex.add("bandwidth efficiency", e, || {
                    format!(
                        "{}: copy bandwidth {:.4} GB/s of {:.4} GB/s peak{}",
                        c.source(),
                        b / 1e9,
                        bw / 1e9,
                        if b > bw { " (clamped to 1)" } else { "" }
                    )
                });
                e
            }
            None => {
                let v = &dev.efficiency.bandwidth;
                ex.add("bandwidth efficiency", v.value, || v.source.clone());
                v.value
            }
        };
        let memory_real = bytes / (bw * bw_eff);
        let compute_real = if work.ops <= 0.0 {
            0.0
        } else if is_matmul {
            self.matmul_time(
                kind,
                work,
                precision.unwrap_or(Precision::Fp16),
                peak,
                &mut ex,
            )
        } else {
            let v = &dev.efficiency.vector;
            ex.add("vector efficiency", v.value, || v.source.clone());
            work.ops / (dev.vector_ops.value * v.value)
        };
        let overhead = self.overhead(&mut ex);
        let estimate_s = compute_real.max(memory_real) + overhead;
        let energy = self.energy(work, precision, estimate_s);
        OpEstimate {
            precision,
            peak_ops_per_s: peak,
            bandwidth: bw,
            compute_s,
            memory_s,
            roofline_s,
            bound,
            estimate_s,
            factors,
            energy,
        }
    }

    fn overhead(&self, ex: &mut Explain) -> f64 {
        match self
            .calibration
            .and_then(|c| c.kernel_overhead_s.map(|o| (c, o)))
        {
            Some((c, o)) => {
                ex.add("kernel overhead (s)", o, || c.source());
                o
            }
            None => {
                let v = &self.device.efficiency.kernel_overhead_s;
                ex.add("kernel overhead (s)", v.value, || v.source.clone());
                v.value
            }
        }
    }

    fn matmul_time(
        &self,
        kind: &OpKind,
        work: &OpWork,
        precision: Precision,
        peak: f64,
        ex: &mut Explain,
    ) -> f64 {
        let dev = self.device;
        let flash = matches!(kind, OpKind::FlashAttn { .. });
        if let (Some(c), Some(g)) = (self.calibration, work.gemm) {
            if let Some((thr, src)) = c.matmul_throughput(g.m, g.n, g.k, precision) {
                let thr = thr.min(peak);
                ex.add("matmul throughput (ops/s)", thr, || src);
                return work.ops / thr;
            }
        }
        let base = if flash {
            &dev.efficiency.attention
        } else {
            &dev.efficiency.matmul
        };
        ex.add(
            if flash {
                "attention efficiency"
            } else {
                "matmul efficiency"
            },
            base.value,
            || base.source.clone(),
        );
        let mut eff = base.value;
        if let Some(g) = work.gemm {
            let (tm, tn) = self.tiles();
            if dev.kind == DeviceKind::Gpu {
                let m_tiles = ceil_div(g.m, tm);
                let util = g.m as f64 / (m_tiles * tm) as f64;
                ex.add("tile utilisation", util, || {
                    format!(
                        "m padded to tiles of {tm} rows: m / (ceil(m/{tm}) x {tm}) ({})",
                        dev.efficiency.skinny_m.source
                    )
                });
                eff *= util;
                if let Some(units) = &dev.compute_units {
                    let u = (units.value.round() as u64).max(1);
                    let tiles = m_tiles * ceil_div(g.n, tn) * g.count.max(1);
                    let splits = if tiles < u {
                        (u / tiles).min((g.k / SPLIT_K_MIN).max(1))
                    } else {
                        1
                    };
                    let work_units = tiles * splits;
                    let waves = ceil_div(work_units, u);
                    let wave = work_units as f64 / (waves * u) as f64;
                    ex.add("wave quantization", wave, || {
                        format!(
                            "tiles of {tm}x{tn} (split-K into slices >= {SPLIT_K_MIN} when fewer tiles than units) in whole waves over {u} compute units ({}); tile sizes are an assumption",
                            units.source
                        )
                    });
                    eff *= wave;
                }
            }
        }
        work.ops / (peak * eff)
    }

    fn energy(&self, work: &OpWork, precision: Option<Precision>, time_s: f64) -> OpEnergy {
        let e = &self.device.energy;
        let pj = match (work.class, precision) {
            (ComputeClass::Matmul, Some(p)) => wider_precisions(p)
                .iter()
                .find_map(|q| e.pj_per_op.get(q))
                .map_or(e.pj_per_vector_op.value, |v| v.value),
            _ => e.pj_per_vector_op.value,
        };
        let bytes = work.bytes();
        let mut on_chip = bytes;
        if let (ComputeClass::Matmul, Some(g)) = (work.class, work.gemm) {
            let (tm, tn) = self.tiles();
            let (m, n, k, c) = (g.m as f64, g.n as f64, g.k as f64, g.count.max(1) as f64);
            let operands = c
                * (m * k * ceil_div(g.n, tn) as f64 * work.a_bits as f64 / 8.0
                    + k * n * ceil_div(g.m, tm) as f64 * work.w_bits as f64 / 8.0);
            on_chip += operands;
        }
        OpEnergy {
            compute_j: work.ops * pj * 1e-12,
            dram_j: bytes * 8.0 * e.dram_pj_per_bit.value * 1e-12,
            sram_j: on_chip * 8.0 * e.sram_pj_per_bit.value * 1e-12,
            static_j: e.static_w.value * time_s,
        }
    }

    /// A collective of `bytes` per device costed by `cost` (see
    /// [`crate::collective`]): bound by the link, plus one kernel overhead;
    /// energy counts reading and writing the buffer once in DRAM and static
    /// power (link energy is not modelled).
    pub fn collective(&self, cost: &CollectiveCost, bytes: f64, explain: bool) -> OpEstimate {
        let mut factors = Vec::new();
        let mut ex = Explain {
            on: explain,
            out: &mut factors,
        };
        ex.add("collective (s)", cost.time_s, || cost.source.clone());
        let overhead = self.overhead(&mut ex);
        let estimate_s = cost.time_s + overhead;
        let e = &self.device.energy;
        OpEstimate {
            precision: None,
            peak_ops_per_s: 0.0,
            bandwidth: self.device.memory.bandwidth.value,
            compute_s: 0.0,
            memory_s: 0.0,
            roofline_s: cost.time_s,
            bound: Bound::Link,
            estimate_s,
            factors,
            energy: OpEnergy {
                compute_j: 0.0,
                dram_j: 2.0 * bytes * 8.0 * e.dram_pj_per_bit.value * 1e-12,
                sram_j: 0.0,
                static_j: e.static_w.value * estimate_s,
            },
        }
    }
}
