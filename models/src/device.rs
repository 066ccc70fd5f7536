//! Device descriptions (GPUs and FPGA boards) as data. Every figure carries
//! the source it was taken from; the built-in catalog is embedded TOML under
//! `models/devices/`, and users add their own with `--device FILE.toml`.

use crate::quant::Precision;
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
        Val { value, source: source.into() }
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
    /// Fraction of peak vector throughput element-wise kernels reach.
    pub vector: Val,
    /// Launch/dispatch overhead per kernel in seconds.
    pub kernel_overhead_s: Val,
    /// GEMM dimension (`m`) below which a matmul is "skinny": efficiency falls
    /// linearly in `m` below it, as tile utilisation does.
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
