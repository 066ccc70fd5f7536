//! The facts about a board the explorer and the lowering need, taken from
//! the models crate's device catalog (`models/devices/*.toml`): the
//! user-region resources, memory channels and their bandwidth, the default
//! kernel clock, DSP packing and the energy figures.

use crate::CompileError;
use llmfab_models::device::{Device, DeviceKind, FpgaResources};
use llmfab_models::quant::Precision;
use serde::{Deserialize, Serialize};

/// An FPGA board as the compiler sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Board {
    /// Catalog name (`u280`).
    pub name: String,
    /// Full name.
    pub display: String,
    /// Resources left to user logic.
    pub user: FpgaResources,
    /// Memory channels the kernel can use.
    pub mem_channels: u32,
    /// Peak bytes/s of one channel.
    pub channel_bandwidth: f64,
    /// Fraction of peak bandwidth streaming reaches (measured).
    pub bandwidth_efficiency: f64,
    /// Bytes of one channel.
    pub channel_bytes: u64,
    /// Default kernel clock in MHz.
    pub clock_mhz: f64,
    /// Multiply-accumulates per DSP per cycle: (int8, int4, 16-bit).
    pub macs_per_dsp: (f64, f64, f64),
    /// Off-chip memory energy, pJ per bit.
    pub dram_pj_per_bit: f64,
    /// On-chip SRAM energy, pJ per bit.
    pub sram_pj_per_bit: f64,
    /// pJ per arithmetic op: (int8, int4, 16-bit).
    pub pj_per_op: (f64, f64, f64),
    /// pJ per element-wise op.
    pub pj_per_vector_op: f64,
    /// Static power in W.
    pub static_w: f64,
}

impl Board {
    /// The board named `name` in the device catalog; unknown names get the
    /// closest names, GPUs a clear error.
    pub fn lookup(name: &str) -> Result<Board, CompileError> {
        let d = llmfab_models::catalog::lookup(name)?;
        Board::from_device(&d)
    }

    /// Board facts from a device description.
    pub fn from_device(d: &Device) -> Result<Board, CompileError> {
        let bad = |problem: String| CompileError::Board {
            name: d.name.clone(),
            problem,
        };
        if d.kind != DeviceKind::Fpga {
            let fpgas: Vec<&str> = llmfab_models::catalog::names()
                .filter(|n| {
                    llmfab_models::catalog::entry(n)
                        .is_some_and(|e| e.toml.contains("kind = \"fpga\""))
                })
                .collect();
            return Err(bad(format!(
                "is a GPU; the engine runs on FPGA boards ({})",
                fpgas.join(", ")
            )));
        }
        let f = d
            .fpga
            .as_ref()
            .ok_or_else(|| bad("has no [fpga] section".into()))?;
        if f.mem_channels == 0 {
            return Err(bad("fpga.mem_channels is 0".into()));
        }
        let mpd = |p: Precision| f.macs_per_dsp.get(&p).map(|v| v.value);
        let int8 = mpd(Precision::Int8).unwrap_or(1.0);
        let pj = |p: Precision| d.energy.pj_per_op.get(&p).map(|v| v.value);
        let pj8 = pj(Precision::Int8).unwrap_or(0.3);
        Ok(Board {
            name: d.name.clone(),
            display: d.display.clone(),
            user: f.user.clone(),
            mem_channels: f.mem_channels,
            channel_bandwidth: f.channel_bandwidth.value,
            bandwidth_efficiency: d.efficiency.bandwidth.value,
            channel_bytes: (d.memory.capacity.value / f.mem_channels as f64) as u64,
            clock_mhz: f.clock_hz.value / 1e6,
            macs_per_dsp: (
                int8,
                mpd(Precision::Int4).unwrap_or(int8),
                mpd(Precision::Fp16).unwrap_or(1.0),
            ),
            dram_pj_per_bit: d.energy.dram_pj_per_bit.value,
            sram_pj_per_bit: d.energy.sram_pj_per_bit.value,
            pj_per_op: (
                pj8,
                pj(Precision::Int4).unwrap_or(pj8 / 2.0),
                pj(Precision::Fp16).unwrap_or(pj8 * 4.0),
            ),
            pj_per_vector_op: d.energy.pj_per_vector_op.value,
            static_w: d.energy.static_w.value,
        })
    }

    /// Peak bytes/s of all channels.
    pub fn peak_bandwidth(&self) -> f64 {
        self.channel_bandwidth * self.mem_channels as f64
    }

    /// MACs per DSP for `weight_bits × act_bits` products: int8 packing for
    /// 8-bit operands (the wider operand decides), int4 packing when both
    /// fit in 4 bits, one product for 16-bit activations.
    pub fn macs_per_dsp(&self, weight_bits: u32, act_bits: u32) -> f64 {
        match weight_bits.max(act_bits) {
            0..=4 => self.macs_per_dsp.1,
            5..=8 => self.macs_per_dsp.0,
            _ => self.macs_per_dsp.2,
        }
    }

    /// pJ per op of `weight_bits × act_bits` products.
    pub fn pj_per_op(&self, weight_bits: u32, act_bits: u32) -> f64 {
        match weight_bits.max(act_bits) {
            0..=4 => self.pj_per_op.1,
            5..=8 => self.pj_per_op.0,
            _ => self.pj_per_op.2,
        }
    }
}
