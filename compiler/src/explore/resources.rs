//! Resource model of an engine: DSP slices from the operand packing, LUTs
//! and flip-flops from per-lane and per-port costs, and the block memories
//! of each buffer (URAM or BRAM36 columns of its read width).
//!
//! The matrix unit's figures are the Yosys 0.23 per-leaf estimates of
//! docs/rtl.md ("Matrix unit", "Resources": 64×64 W4A8KV4, `P`
//! accumulation): per MAC lane ~135 LUT and ~97 FF, per column unit 969 LUT,
//! 144 FF and 2 DSP, the unit's controller 4731 LUT and 2447 FF. The SFU,
//! DMA and control figures remain assumptions until the RTL publishes them;
//! the compile report says so.

use crate::board::Board;
use llmfab_isa::EngineConfig;
use serde::{Deserialize, Serialize};

/// LUTs per MAC lane (docs/rtl.md, matrix unit: packed DSP leaf, drain
/// cell, stagers, adder tree; Yosys keeps the DSP's pre-adders in fabric).
pub const LUT_PER_LANE: f64 = 135.0;
/// Flip-flops per MAC lane (docs/rtl.md, matrix unit).
pub const FF_PER_LANE: f64 = 97.0;
/// LUTs of one column unit of the matrix unit (`llmfab_mx_col`).
pub const LUT_PER_COL: f64 = 969.0;
/// Flip-flops of one column unit.
pub const FF_PER_COL: f64 = 144.0;
/// DSP slices of one column unit (dequantisation multiplies).
pub const DSP_PER_COL: f64 = 2.0;
/// LUTs and flip-flops of the matrix unit's controller (`llmfab_mx_ctl`).
pub const MX_CTL: (f64, f64) = (4731.0, 2447.0);
/// LUTs per SFU lane (table lookup, reductions, rounding).
pub const LUT_PER_SFU_LANE: f64 = 400.0;
/// LUTs per 256 bits of memory port (AXI master and DMA engine).
pub const LUT_PER_PORT256: f64 = 1500.0;
/// LUTs of fetch, decode, queues and control.
pub const LUT_CONTROL: f64 = 15000.0;
/// Flip-flops per LUT of the blocks without published figures (SFU, DMA,
/// control: pipelined datapath).
pub const FF_PER_LUT: f64 = 1.5;
/// DSP slices per SFU lane (16×16 multipliers of norms, RoPE, requant).
pub const DSP_PER_SFU_LANE: f64 = 2.0;
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

/// The logic of `cfg` on `board`.
pub fn logic(cfg: &EngineConfig, board: &Board) -> Logic {
    let lanes = cfg.mac_lanes() as f64;
    let cols = cfg.cols as f64;
    let dsp = (lanes / board.macs_per_dsp(cfg.weight_bits, cfg.act_bits)).ceil()
        + DSP_PER_COL * cols
        + DSP_PER_SFU_LANE * cfg.sfu_lanes as f64;
    let other = cfg.sfu_lanes as f64 * LUT_PER_SFU_LANE
        + cfg.channels as f64 * cfg.port_bits as f64 / 256.0 * LUT_PER_PORT256
        + LUT_CONTROL;
    let lut = lanes * LUT_PER_LANE + cols * LUT_PER_COL + MX_CTL.0 + other;
    let ff = lanes * FF_PER_LANE + cols * FF_PER_COL + MX_CTL.1 + other * FF_PER_LUT;
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
