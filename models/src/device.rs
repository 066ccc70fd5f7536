//! Device descriptions (GPUs and FPGA boards) as data. Every figure carries
//! the source it was taken from; the built-in catalog is embedded TOML under
//! `models/devices/`, and users add their own with `--device FILE.toml`.

use crate::quant::Precision;
use crate::ModelError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A number together with where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Val {
    /// The value, in the unit the field's doc names.
    pub value: f64,
    /// Where it comes from: a datasheet, paper, measurement or stated assumption.
    pub source: String,
}

impl Val {
    /// A value with its source.
    pub fn new(value: f64, source: impl Into<String>) -> Self {
        Val {
            value,
            source: source.into(),
        }
    }
}

/// GPU or FPGA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// A GPU: fixed peaks per precision.
    Gpu,
    /// An FPGA board: peaks come from the engine configured on it.
    Fpga,
}

/// Off-chip memory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Capacity in bytes.
    pub capacity: Val,
    /// Peak bandwidth in bytes/s.
    pub bandwidth: Val,
    /// Technology (`HBM3`, `HBM2`, `DDR4`, `GDDR6`).
    pub kind: String,
}

/// Energy parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Energy {
    /// Energy per arithmetic op at each precision, in pJ.
    pub pj_per_op: BTreeMap<Precision, Val>,
    /// Energy per element-wise (vector) op, in pJ.
    pub pj_per_vector_op: Val,
    /// Off-chip memory energy per bit, in pJ.
    pub dram_pj_per_bit: Val,
    /// On-chip SRAM energy per bit, in pJ (each byte moved off chip also
    /// crosses on-chip buffers once).
    pub sram_pj_per_bit: Val,
    /// Static (idle) power in W, charged over an op's time.
    pub static_w: Val,
    /// Board power limit in W (a ceiling for sanity checks).
    pub max_w: Val,
}

/// How close real kernels come to the peaks (the realistic estimate).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Efficiency {
    /// Fraction of peak memory bandwidth large streaming kernels reach.
    pub bandwidth: Val,
    /// Fraction of peak matrix throughput large square GEMMs reach.
    pub matmul: Val,
    /// Fraction of peak matrix throughput a fused (flash) attention kernel
    /// reaches on long sequences.
    pub attention: Val,
    /// Fraction of peak vector throughput element-wise kernels reach.
    pub vector: Val,
    /// Launch/dispatch overhead per kernel in seconds.
    pub kernel_overhead_s: Val,
    /// GEMM dimension (`m`) below which a matmul is "skinny": efficiency falls
    /// linearly in `m` below it, as tile utilisation does (the estimator uses
    /// it as the tile height: `m` is padded to a multiple of it on GPUs).
    pub skinny_m: Val,
}

/// FPGA resources (whole device and what the shell leaves to user logic).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FpgaResources {
    /// LUTs.
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// DSP slices.
    pub dsp: u64,
    /// 36 Kb block RAMs.
    pub bram36: u64,
    /// 288 Kb UltraRAMs.
    pub uram: u64,
}

/// FPGA-specific facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fpga {
    /// FPGA part (`xcu280-fsvh2892-2L-e`).
    pub part: String,
    /// Vitis platform name used by board projects.
    pub platform: String,
    /// Super logic regions.
    pub slrs: u32,
    /// Whole-device resources.
    pub device: FpgaResources,
    /// Resources left to user logic after the platform shell.
    pub user: FpgaResources,
    /// Source of the user-region figures.
    pub user_source: String,
    /// DSP primitive (`DSP48E2`, `DSP58`).
    pub dsp_kind: String,
    /// Memory channels (HBM pseudo-channels or DDR banks) the kernel can use.
    pub mem_channels: u32,
    /// Bytes/s of one channel at peak.
    pub channel_bandwidth: Val,
    /// Default kernel clock in Hz.
    pub clock_hz: Val,
    /// Default engine: matrix-unit rows.
    pub default_rows: u32,
    /// Default engine: matrix-unit columns.
    pub default_cols: u32,
    /// Default engine: SFU lanes (element-wise ops per cycle).
    pub default_sfu_lanes: u32,
    /// Multiply-accumulates one DSP slice performs per cycle at each
    /// precision (operand packing, AMD WP486/WP521).
    pub macs_per_dsp: BTreeMap<Precision, Val>,
}

/// A device in the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Catalog key (`h100-sxm`, `u280`).
    pub name: String,
    /// Full name (`NVIDIA H100 SXM5 80GB`).
    pub display: String,
    /// GPU or FPGA.
    pub kind: DeviceKind,
    /// Off-chip memory.
    pub memory: Memory,
    /// On-chip memory in bytes (L2, or BRAM+URAM).
    pub on_chip_bytes: Val,
    /// Dense peak ops/s per precision (GPUs; for FPGAs filled from the engine).
    pub peak_ops: BTreeMap<Precision, Val>,
    /// Element-wise (vector) peak ops/s.
    pub vector_ops: Val,
    /// Streaming multiprocessors / compute units, for wave quantization of
    /// tiled matrix products (GPUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_units: Option<Val>,
    /// Energy parameters.
    pub energy: Energy,
    /// Realistic-estimate factors.
    pub efficiency: Efficiency,
    /// Device-to-device links this device offers, by name (`nvlink`, `pcie4`),
    /// as (bandwidth bytes/s per direction, latency s).
    pub links: BTreeMap<String, Link>,
    /// Price per device-hour in USD, when known.
    pub price_per_hour: Option<Val>,
    /// FPGA facts, for boards.
    pub fpga: Option<Fpga>,
}

/// A link kind between devices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Bandwidth per direction in bytes/s.
    pub bandwidth: Val,
    /// One-way latency in seconds.
    pub latency: Val,
}

/// Precisions a product at `p` may run at when the device has no peak at
/// `p` itself, narrowest first: a device without int4 units runs int4 work
/// at int8, one without int8 tensor cores (V100) at fp16, and so on.
pub fn wider_precisions(p: Precision) -> &'static [Precision] {
    use Precision::*;
    match p {
        Int2 => &[Int2, Int4, Int8, Fp16, Bf16, Fp32],
        Int4 => &[Int4, Int8, Fp16, Bf16, Fp32],
        Int8 => &[Int8, Fp16, Bf16, Fp32],
        Fp8 => &[Fp8, Fp16, Bf16, Fp32],
        Fp16 => &[Fp16, Bf16, Fp32],
        Bf16 => &[Bf16, Fp16, Fp32],
        Fp32 => &[Fp32],
    }
}

impl Device {
    /// The dense peak for products at `p`: the device's own figure at `p`,
    /// or at the narrowest wider precision it has (see [`wider_precisions`]).
    /// Returns the precision actually used with its peak.
    pub fn peak_at(&self, p: Precision) -> Option<(Precision, &Val)> {
        wider_precisions(p)
            .iter()
            .find_map(|q| self.peak_ops.get(q).map(|v| (*q, v)))
    }

    /// A link by name (case-insensitive), or an error listing the links the
    /// device has.
    pub fn link(&self, name: &str) -> Result<(&str, &Link), ModelError> {
        let lower = name.to_ascii_lowercase();
        self.links
            .iter()
            .find(|(k, _)| k.to_ascii_lowercase() == lower)
            .map(|(k, l)| (k.as_str(), l))
            .ok_or_else(|| ModelError::Unknown {
                what: format!("link of {}", self.name),
                name: name.to_string(),
                suggestions: crate::suggest::closest(name, self.links.keys().map(String::as_str)),
            })
    }

    /// Dense peak ops/s of an engine of `rows × cols` multiply-accumulate
    /// lanes at `clock_hz` on this FPGA board, for products at `precision`.
    ///
    /// Each lane does one multiply-accumulate (2 ops) per cycle. Lanes are
    /// packed into DSP slices at [`Fpga::macs_per_dsp`] for the precision (or
    /// the narrowest wider precision listed); when the engine needs more DSPs
    /// than the user region has, the peak is capped at the lanes the DSP
    /// budget allows, and the source says so.
    pub fn fpga_peak(
        &self,
        precision: Precision,
        rows: u32,
        cols: u32,
        clock_hz: f64,
    ) -> Result<Val, ModelError> {
        let invalid = |p: String| ModelError::Invalid {
            what: format!("engine on {}", self.name),
            problems: vec![p],
        };
        let f = self
            .fpga
            .as_ref()
            .ok_or_else(|| invalid(format!("{} is not an FPGA board", self.name)))?;
        if rows == 0 || cols == 0 || clock_hz.is_nan() || clock_hz <= 0.0 {
            return Err(invalid(format!(
                "rows ({rows}), cols ({cols}) and clock ({clock_hz} Hz) must be positive"
            )));
        }
        let (used, macs) = wider_precisions(precision)
            .iter()
            .find_map(|q| f.macs_per_dsp.get(q).map(|v| (*q, v)))
            .ok_or_else(|| {
                invalid(format!(
                    "no DSP packing listed for {} or wider",
                    precision.as_str()
                ))
            })?;
        let lanes = rows as u64 * cols as u64;
        let needed = (lanes as f64 / macs.value).ceil() as u64;
        let budget = (f.user.dsp as f64 * macs.value).floor() as u64;
        let usable = lanes.min(budget);
        let mhz = clock_hz / 1e6;
        let mut src = format!(
            "engine {rows}x{cols} MAC lanes x 2 ops x {mhz} MHz; {} {} MACs per {} ({}) -> {needed} of {} user-region DSPs",
            macs.value,
            used.as_str(),
            f.dsp_kind,
            macs.source,
            f.user.dsp
        );
        if usable < lanes {
            src.push_str(&format!("; capped at {usable} lanes by the DSP budget"));
        }
        Ok(Val::new(2.0 * usable as f64 * clock_hz, src))
    }

    /// For an FPGA board: fills `peak_ops` (every precision with a DSP
    /// packing) and `vector_ops` (SFU lanes × clock) from the board's default
    /// engine. Does nothing for GPUs.
    pub fn fill_fpga_peaks(&mut self) -> Result<(), ModelError> {
        let Some(f) = self.fpga.clone() else {
            return Ok(());
        };
        let clock = f.clock_hz.value;
        let mut peaks = BTreeMap::new();
        for &p in f.macs_per_dsp.keys() {
            let mut v = self.fpga_peak(p, f.default_rows, f.default_cols, clock)?;
            v.source = format!(
                "default engine (until the compiler picks one): {}",
                v.source
            );
            peaks.insert(p, v);
        }
        self.peak_ops = peaks;
        self.vector_ops = Val::new(
            f.default_sfu_lanes as f64 * clock,
            format!(
                "default engine: {} SFU lanes x 1 op x {} MHz",
                f.default_sfu_lanes,
                clock / 1e6
            ),
        );
        Ok(())
    }
}
