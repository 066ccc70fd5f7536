//! The special-function unit: requantisation, softmax, norms, LUT
//! activations, RoPE, add, mul (docs/engine.md §5.3–5.4).
//!
//! # Architecture (the contract of `llmfab_isa::timing::sfu`)
//!
//! `L = sfu_lanes` lanes, one element each per cycle. A controller turns the
//! instruction into *slots*: in each cycle at most one read per buffer port
//! (ACC or ABUF, and SBUF). Every lane is the same fixed pipeline (stages
//! A–F: operand capture, multiply, multiply/subtract, round, saturate), so a
//! vector's write is issued exactly `WRITE_LAT = 7` cycles after the slot
//! that completed its operands; the write address travels with the slot.
//! Two-operand vectors (`add`, `mul`: `a` then `b`; `rope`: `x1`+`(c,s)` low
//! half then `x2`+`(c,s)` high half; layernorm's second pass: `x`+`γ` then
//! `β`) take two slots because ABUF and SBUF each have one read port.
//!
//! Rows that need a statistic (softmax max and sum, Σx², Σx) send lane values
//! into `log2 L`-level registered trees of [`reduce::RedNode`]s and a 64-bit
//! accumulator; the controller waits `red_wait = 4 + log2 L` cycles after the
//! last reduction slot, runs the row's scalar step ([`recip::Recip`]'s 17
//! iterations for softmax, [`tables::Rsqrt`] and a few 64-bit multiplies for
//! the norms) and starts the row's output pass. The next row's first pass
//! starts in the cycle after the previous row's last slot (the write port
//! drains while the read ports are already busy again).
//!
//! LUT activations: each lane holds a private copy of the 257-entry table,
//! banked as `ceil(257/L)` rows × `L` int16 columns so that the `ceil(257/L)`
//! SBUF words of the table are written into every lane's copy at one word
//! per cycle at the start of the instruction; a lane reads row `i div L` and
//! the next row and picks `T[i]`, `T[i+1]`.
//!
//! # The unit (`llmfab_sfu`: generated Verilog around rust-hdl lanes)
//!
//! What is built (this supersedes the slot plan above where they differ;
//! `llmfab_isa::timing::sfu` is exact for it):
//!
//! - [`ctrl`]: `llmfab_sfu_ctrl` — decode (field slices from
//!   `llmfab_isa::LAYOUTS`), slot sequencer, address counters, per-row
//!   scalar steps (softmax maximum and 17-step reciprocal, norm statistics
//!   and `llmfab_sfu_rsqrt`).
//! - [`lane`]: `llmfab_sfu_lane` — the 4-stage lane pipeline, the rust-hdl
//!   block [`lane::SfuLane`] (one module with its `llmfab_sfu_lane_*`
//!   submodules, `L` instances; 8 DSP48E2: products sized to their operands
//!   and shared between the operations, see [`lane`]).
//! - [`top`]: `llmfab_sfu` — capture registers of two-slot vectors, the
//!   shared activation table (`ceil(257/L)` rows of `L` entries), per-lane
//!   operand selection, the two registered reduction trees and the write
//!   pipeline, all in `generate` loops.
//!
//! A slot's reads return in the next cycle (`c0`), where the lanes take
//! the operands; results are written in `c0 + 4`; reduction values reach the
//! row accumulators in `c0 + 4 + log2 L`.
//!
//! # Modules
//!
//! | module | block | tested by |
//! |---|---|---|
//! | [`arith`] | `MulS<A,B,P>` (signed multiplier), `Ext<M,N>` (sign/zero extension), `RndSat` (rnd, bias, sat): rust-hdl leaves with custom Verilog | rust-hdl sim + Icarus vs `mul_wrap`/`sext`/`rnd_sat` |
//! | [`tables`] | `ExpRom`, `Rsqrt` from `llmfab_isa::tables` | rust-hdl sim + Icarus vs `EXP`/`rsqrt` |
//! | [`recip`] | `Recip`: `floor(2^32/sum)`, 18-cycle step | rust-hdl sim + Icarus |
//! | [`reduce`] | `RedNode`: registered max / sum | rust-hdl sim + Icarus |
//! | [`lane`] | `SfuLane<TW,AB>`: rust-hdl (`#[hdl_gen]` logic, DFFs; `MulS`, `Ext`, `ExpRom` leaves) | rust-hdl sim + Icarus vs a cycle model of the lane (`tests::lane`) |
//! | [`emit`] | block → named Verilog module, rust-hdl panics caught | all of the above |
//! | [`ctrl`], [`top`] | the unit: generated Verilog text | unit co-simulation (Icarus) vs `llmfab_isa::reference`, engine co-simulation |

pub mod arith;
pub mod ctrl;
pub mod emit;
pub mod lane;
pub mod recip;
pub mod reduce;
pub mod tables;
pub mod top;

use crate::emit::BlockUse;
use llmfab_isa::EngineConfig;

/// Operation codes of the controller and the lanes.
pub mod ops {
    /// `requant`.
    pub const REQ: u32 = 0;
    /// `softmax`.
    pub const SMX: u32 = 1;
    /// `rmsnorm`.
    pub const RMS: u32 = 2;
    /// `layernorm`.
    pub const LN: u32 = 3;
    /// `silu`, `gelu`.
    pub const ACT: u32 = 4;
    /// `rope`.
    pub const ROPE: u32 = 5;
    /// `add`.
    pub const ADD: u32 = 6;
    /// `mul`.
    pub const MUL: u32 = 7;
}

/// Rows of the shared activation table: `ceil(257/L)` SBUF words.
pub fn table_rows(cfg: &EngineConfig) -> u64 {
    llmfab_isa::timing::sfu::table_slots(cfg)
}

/// Entries of the activation table (`L · table_rows`, at least 257).
pub fn table_entries(cfg: &EngineConfig) -> u64 {
    table_rows(cfg) * cfg.sfu_lanes as u64
}

/// Bits of a table-row index (at least 1).
pub fn trow_bits(cfg: &EngineConfig) -> u64 {
    let k = table_rows(cfg);
    (64 - (k - 1).leading_zeros() as u64).max(1)
}

#[cfg(test)]
mod tests;

/// Errors of SFU generation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SfuError {
    /// rust-hdl refused to emit a leaf (its design checks panicked).
    #[error("SFU leaf '{module}': Verilog generation failed: {message}")]
    Generate {
        /// Leaf module name.
        module: String,
        /// rust-hdl's message.
        message: String,
    },
    /// A configuration the unit cannot be built for.
    #[error("SFU: unsupported configuration: {0}")]
    Unsupported(String),
}

/// Name of the rust-hdl leaf the controller instantiates (the lane's
/// leaves are its submodules `llmfab_sfu_lane_*`).
const RSQRT: &str = "llmfab_sfu_rsqrt";

fn check(cfg: &EngineConfig) -> Result<(), SfuError> {
    cfg.validate()
        .map_err(|e| SfuError::Unsupported(e.to_string()))?;
    Ok(())
}

/// Verilog of the SFU for `cfg`: the rust-hdl leaves it uses, the lane,
/// the controller and the top `llmfab_sfu` (ports of docs/rtl.md §5).
pub fn verilog(cfg: &EngineConfig) -> Result<String, SfuError> {
    check(cfg)?;
    let mut v = String::new();
    v += &emit::leaf_verilog(RSQRT, tables::Rsqrt::default())?;
    v += &lane::verilog(cfg)?;
    v += &ctrl::verilog(cfg);
    v += &top::verilog(cfg);
    Ok(v)
}

/// The SFU's blocks for the resource report: each distinct module
/// (synthesisable alone, with the leaves it instantiates) and its count.
pub fn blocks(cfg: &EngineConfig) -> Result<Vec<BlockUse>, SfuError> {
    check(cfg)?;
    let rsq = emit::leaf_verilog(RSQRT, tables::Rsqrt::default())?;
    let l = cfg.sfu_lanes as u64;
    Ok(vec![
        BlockUse {
            module: "llmfab_sfu_lane".into(),
            verilog: lane::verilog(cfg)?,
            count: l,
        },
        BlockUse {
            module: "llmfab_sfu_ctrl".into(),
            verilog: rsq + &ctrl::verilog(cfg),
            count: 1,
        },
    ])
}

/// Verilog of every SFU leaf module, each under its `sfu_*` name.
pub fn leaves_verilog() -> Result<String, SfuError> {
    let mut v = String::new();
    v += &emit::leaf_verilog("sfu_mul_33x18", arith::MulS::<33, 18, 51>::default())?;
    v += &emit::leaf_verilog("sfu_mul_16x16", arith::MulS::<16, 16, 32>::default())?;
    v += &emit::leaf_verilog("sfu_mul_64x17", arith::MulS::<64, 17, 64>::default())?;
    v += &emit::leaf_verilog("sfu_ext_16x17", arith::Ext::<16, 17>::default())?;
    v += &emit::leaf_verilog("sfu_rnd_sat", arith::RndSat::default())?;
    v += &emit::leaf_verilog("sfu_exp_rom", tables::ExpRom::default())?;
    v += &emit::leaf_verilog("sfu_rsqrt", tables::Rsqrt::default())?;
    v += &emit::leaf_verilog("sfu_recip", recip::Recip::default())?;
    v += &emit::leaf_verilog("sfu_red_node", reduce::RedNode::default())?;
    Ok(v)
}
