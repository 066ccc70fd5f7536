//! Resource model of an engine: DSP slices from the operand packing, LUTs
//! and flip-flops from per-lane, per-column and per-channel costs, and the
//! block memories of each buffer (URAM or BRAM36 columns of its read width).
//!
//! Every figure is the Yosys 0.23 (`synth_xilinx -family xcup -flatten`)
//! estimate that `llmfab hdl` reports for the same block (resources.md of
//! its output; docs/rtl.md), so that the explorer and the RTL's report agree
//! on what fits: per MAC lane (matrix unit leaves: stagers, B selects, the
//! packed DSP leaf's fabric share, the lane accumulator or drain cell, the
//! adder trees) measured on 64×64 W4A8KV8 and 64×128 W4A8KV4 engines, the
//! column units, the controllers, one SFU lane, the DMA engines and FIFOs of
//! a channel, and the port muxes per column. They are estimates of Yosys's
//! mapping (which keeps the DSP pre-adders in fabric), not of Vivado's.

use crate::board::Board;
use llmfab_isa::EngineConfig;
use serde::{Deserialize, Serialize};

/// LUTs per MAC lane when the DSPs accumulate in their `P` register (4-bit
/// weights and KV cache, 8-bit activations): 64×128 W4A8KV4, 922 k LUT of
/// matrix-unit leaves besides column units and controller over 8,192 lanes.
pub const LUT_PER_LANE_PACC: f64 = 112.5;
/// Flip-flops per MAC lane with `P` accumulation.
pub const FF_PER_LANE_PACC: f64 = 90.5;
/// LUTs per MAC lane with fabric accumulators (8-bit weights or KV cache):
/// 64×64 W4A8KV8, 564 k LUT over 4,096 lanes.
pub const LUT_PER_LANE: f64 = 138.0;
/// Flip-flops per MAC lane with fabric accumulators.
pub const FF_PER_LANE: f64 = 133.0;
/// LUTs of one column unit of the matrix unit (`llmfab_mx_col`).
pub const LUT_PER_COL: f64 = 969.0;
/// Flip-flops of one column unit.
pub const FF_PER_COL: f64 = 144.0;
/// DSP slices of one column unit (dequantisation multiplies).
pub const DSP_PER_COL: f64 = 2.0;
/// LUTs and flip-flops of the matrix unit's controller (`llmfab_mx_ctl`).
pub const MX_CTL: (f64, f64) = (4731.0, 2447.0);
/// LUTs of one SFU lane (`llmfab_sfu_lane`, 8-bit activations; 16-bit
/// activations are taken as the same).
pub const LUT_PER_SFU_LANE: f64 = 4052.0;
/// Flip-flops of one SFU lane.
pub const FF_PER_SFU_LANE: f64 = 457.0;
/// DSP slices of one SFU lane.
pub const DSP_PER_SFU_LANE: f64 = 8.0;
/// LUTs, flip-flops and DSPs of the SFU controller (`llmfab_sfu_ctrl`).
pub const SFU_CTL: (f64, f64, f64) = (3613.0, 1121.0, 18.0);
/// LUTs per memory channel: its read and write DMA engines (2,384) and its
/// share of the FIFO controllers and LUT-RAM storage (760).
pub const LUT_PER_CHANNEL: f64 = 3144.0;
/// Flip-flops per memory channel (DMA engines and FIFO pointers).
pub const FF_PER_CHANNEL: f64 = 1300.0;
/// DSP slices per memory channel (address arithmetic of the DMA engines).
pub const DSP_PER_CHANNEL: f64 = 4.0;
/// LUTs of the buffer port muxes per matrix column (the report's formula:
/// 16.8 k at 64 columns, 39.1 k at 128).
pub const LUT_MUX_PER_COL: f64 = 300.0;
/// LUTs of fetch, dispatch, tokens, executors and the AXI4-Lite control.
pub const LUT_CONTROL: f64 = 1100.0;
/// Flip-flops of the same blocks (the core leaf table: 202 + 133 + 34 +
/// 32 + 2·1 + 8).
pub const FF_CONTROL: f64 = 411.0;
/// BRAM36 of the instruction queues and the SBUF.
pub const BRAM_FIXED: u64 = 16;
/// Words of one URAM (72 bits wide).
pub const URAM_WORDS: u64 = 4096;
/// Words of one BRAM36 in 72-bit mode.
pub const BRAM_WORDS: u64 = 512;

/// Logic of a design.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logic {
    /// DSP slices.
    pub dsp: f64,
    /// LUTs.
    pub lut: f64,
    /// Flip-flops.
    pub ff: f64,
}

/// True when the matrix unit accumulates in the DSPs' `P` registers
/// (docs/rtl.md: 4-bit weight and KV operands packed two per DSP with
/// 8-bit activations leave room for a dequantisation group of products).
pub fn dsp_accumulates(cfg: &EngineConfig) -> bool {
    cfg.weight_bits.max(cfg.kv_bits) <= 4 && cfg.act_bits == 8
}

/// The logic of `cfg` on `board`.
pub fn logic(cfg: &EngineConfig, board: &Board) -> Logic {
    let lanes = cfg.mac_lanes() as f64;
    let cols = cfg.cols as f64;
    let sfu = cfg.sfu_lanes as f64;
    let ch = cfg.channels as f64;
    let (lane_lut, lane_ff) = if dsp_accumulates(cfg) {
        (LUT_PER_LANE_PACC, FF_PER_LANE_PACC)
    } else {
        (LUT_PER_LANE, FF_PER_LANE)
    };
    let dsp = (lanes / board.macs_per_dsp(cfg.weight_bits, cfg.act_bits)).ceil()
        + DSP_PER_COL * cols
        + DSP_PER_SFU_LANE * sfu
        + SFU_CTL.2
        + DSP_PER_CHANNEL * ch;
    let lut = lanes * lane_lut
        + cols * (LUT_PER_COL + LUT_MUX_PER_COL)
        + MX_CTL.0
        + sfu * LUT_PER_SFU_LANE
        + SFU_CTL.0
        + ch * LUT_PER_CHANNEL
        + LUT_CONTROL;
    let ff = lanes * lane_ff
        + cols * FF_PER_COL
        + MX_CTL.1
        + sfu * FF_PER_SFU_LANE
        + SFU_CTL.1
        + ch * FF_PER_CHANNEL
        + FF_CONTROL;
    Logic { dsp, lut, ff }
}

/// The buffers the explorer sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Buffer {
    /// Weights.
    Wbuf,
    /// Activations.
    Abuf,
    /// KV windows.
    Kvbuf,
    /// Accumulators.
    Acc,
}

impl Buffer {
    /// All sized buffers.
    pub const ALL: [Buffer; 4] = [Buffer::Wbuf, Buffer::Abuf, Buffer::Kvbuf, Buffer::Acc];
    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            Buffer::Wbuf => "wbuf",
            Buffer::Abuf => "abuf",
            Buffer::Kvbuf => "kvbuf",
            Buffer::Acc => "acc",
        }
    }
}

/// Physical banks of a buffer and bytes per bank word (docs/rtl.md §6):
/// ABUF one bank of `max(BEAT, R·ab, L·ab)`; WBUF `CH` banks of a slice;
/// KVBUF `max(R, C, CH)` banks of `max(max(R, C)·kv_bits/8, BEAT, KVW/8)`;
/// ACC one bank of `max(4C, 4L)`.
pub fn banks(cfg: &EngineConfig, b: Buffer) -> (u64, u64) {
    let beat = cfg.beat_bytes();
    let l = cfg.sfu_lanes as u64;
    match b {
        Buffer::Wbuf => (cfg.channels as u64, cfg.slice_bytes()),
        Buffer::Abuf => (1, beat.max(cfg.a_word_bytes()).max(l * cfg.act_bytes())),
        Buffer::Kvbuf => {
            let kw = cfg.rows.max(cfg.cols) as u64 * cfg.kv_bits as u64 / 8;
            let kvw = (8u64.max(cfg.kv_bits as u64 * l)) / 8;
            (cfg.kv_banks(), kw.max(beat).max(kvw))
        }
        Buffer::Acc => (1, cfg.acc_word_bytes().max(4 * l)),
    }
}

/// Block memories side by side for one word of every bank (72-bit columns).
pub fn columns(cfg: &EngineConfig, b: Buffer) -> u64 {
    let (n, w) = banks(cfg, b);
    n * (w * 8).div_ceil(72)
}

/// Data bytes of one word (all banks).
pub fn word_bytes(cfg: &EngineConfig, b: Buffer) -> u64 {
    let (n, w) = banks(cfg, b);
    n * w
}
