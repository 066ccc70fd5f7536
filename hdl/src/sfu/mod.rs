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
//! accumulator; the controller waits `red_lat = 6 + log2 L` cycles after the
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
//! # Modules
//!
//! | module | leaf | tested by |
//! |---|---|---|
//! | [`arith`] | `MulS<A,B,P>` (signed multiplier), `RndSat` (rnd, bias, sat) | rust-hdl sim + Icarus vs `mul_wrap`/`rnd_sat` |
//! | [`tables`] | `ExpRom`, `Rsqrt` from `llmfab_isa::tables` | rust-hdl sim + Icarus vs `EXP`/`rsqrt` |
//! | [`recip`] | `Recip`: `floor(2^32/sum)`, 18-cycle step | rust-hdl sim + Icarus |
//! | [`reduce`] | `RedNode`: registered max / sum | rust-hdl sim + Icarus |
//! | [`emit`] | leaf → named Verilog module, rust-hdl panics caught | all of the above |
//!
//! # Status
//!
//! Done: cycle formulas (`llmfab_isa::timing::sfu`), compiler parameter
//! helpers and numerics (`llmfab_isa::sfu_params`), the arithmetic, table,
//! divider and reduction leaves with rust-hdl and Icarus tests. Next: the
//! lane pipeline, the controller, the generated structural top
//! (`sfu_verilog(cfg)`), co-simulation against `llmfab_isa::reference` on
//! L = 1, 4, 8, act 8/16, kv 4/8, measured cycles against the formulas,
//! Verilator lint and Yosys estimates (see docs/rtl.md, "SFU").

pub mod arith;
pub mod emit;
pub mod recip;
pub mod reduce;
pub mod tables;

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
}

/// Verilog of every SFU leaf module, each under its `sfu_*` name.
pub fn leaves_verilog() -> Result<String, SfuError> {
    let mut v = String::new();
    v += &emit::leaf_verilog("sfu_mul_33x18", arith::MulS::<33, 18, 51>::default())?;
    v += &emit::leaf_verilog("sfu_mul_16x16", arith::MulS::<16, 16, 32>::default())?;
    v += &emit::leaf_verilog("sfu_mul_64x17", arith::MulS::<64, 17, 64>::default())?;
    v += &emit::leaf_verilog("sfu_rnd_sat", arith::RndSat::default())?;
    v += &emit::leaf_verilog("sfu_exp_rom", tables::ExpRom::default())?;
    v += &emit::leaf_verilog("sfu_rsqrt", tables::Rsqrt::default())?;
    v += &emit::leaf_verilog("sfu_recip", recip::Recip::default())?;
    v += &emit::leaf_verilog("sfu_red_node", reduce::RedNode::default())?;
    Ok(v)
}
