//! The matrix unit `llmfab_matrix`: `R×C` MAC lanes executing `matmul`
//! (docs/engine.md §5.2) in matrix-matrix (prefill) and matrix-vector
//! (decode) modes on the same DSPs. Port list: docs/rtl.md §4. Cycle counts:
//! `llmfab_isa::timing::matrix` (exact; tested against the emitted Verilog).
//!
//! # Datapath
//!
//! ```text
//!  ABUF word ─► ARow ×R (mask k ≥ K, rows ≥ M) ─┬─► R×R transpose stager (MM) ─┐
//!                                                └──────────────────(MV)────────┴─► row activation a[i]
//!  WBUF tile / KV block ─► BSel ×R·C (layout, sign, mask) ─┬─► B tile shift register (MM: row k of the tile)
//!                                                           └──────────(MV: element [j][i])─┐
//!  lane (i, j): DspPack (2 lanes of a row share a[i]) ──► product ─┬─► MM: P accumulation or LaneAcc, drain chain
//!                                                                  └─► column adder tree (MV)
//!  column j: ColUnit: tree accumulation (MV) / drain row (MM) → dequant rnd(p·s) → + running total + old ACC → ACC word
//! ```
//!
//! * **Matrix-matrix** (output-stationary): for each `R×C` output tile and
//!   each k-tile, one block of `R` cycles: `R` A words (rows `m0..m0+R`)
//!   enter the stager while the previous block leaves it column by column
//!   (the stager alternates horizontal and vertical shifting, so one `R×R`
//!   register array transposes a block per block time); one B tile is read
//!   per block and shifted one k-row per cycle. Every lane accumulates its
//!   output in lockstep — in the DSP's `P` register when the packing's
//!   guard bits cover a group (int8 × int4: `k_max = 2047 ≥ G`), else in a
//!   fabric `LaneAcc`; at the end of a group (dequantisation group, or the
//!   whole K, or `floor(k_max/R)` k-tiles with `P` accumulation) all lanes
//!   capture into a drain chain that delivers one output
//!   row per cycle to the column units (`R ≤ G`, so a drain ends before the
//!   next). The column unit dequantises and read-modify-writes the ACC word
//!   (partial results of earlier groups live in ACC).
//! * **Matrix-vector** (dot-product lanes): per cycle one B tile (`R·C`
//!   weights) and one A word; column `j`'s `R` products go through a
//!   `log2 R`-level registered adder tree; the column unit accumulates
//!   tiles, dequantises at group ends and keeps the running total, and
//!   writes the ACC word once per `(m, n-tile)`. Scale rows are cached (one
//!   WBUF row holds `R·wb/16` scale vectors); a row not cached costs one
//!   stall cycle.
//! * Masking: A elements with `k ≥ K` and rows `m ≥ M` are zeroed, B
//!   elements outside `K×N` are zeroed (KV words outside are not read), and
//!   ACC writes carry byte strobes for `n < N` only.
//!
//! # DSP packing
//!
//! See [`pack`]: two lanes share one 27×18 multiplier (the activation on
//! the 18-bit port, `w1·2^S + w0` on the 27-bit port, WP486), with the sign
//! correction on read-back; `S = 26 − V`. int8 or int4 B with int8
//! activations and int4 B with int16 activations: 2 MACs per DSP48E2;
//! int16 × int8: 1 ([`dsp::Dsp1`]). 2-bit weights share the lanes with the
//! ≥ 4-bit KV elements and pack like int4. Exact guard-bit limit of
//! accumulating in `P` ([`pack::Packing::max_accumulations`]): 7 for
//! int8×int8 (WP486's 7), 2047 for int8×int4, 7 for int16×int4. Matrix-vector
//! reads the products back every cycle; matrix-matrix accumulates in `P`
//! when `k_max ≥ G` ([`top::Shape::dsp_acc`]) and drains before the limit.
//!
//! # Modules
//!
//! | module | leaf (rust-hdl) | per |
//! |---|---|---|
//! | [`ctl`], [`nest`] | `MatCtl` (hdl_gen; four copies of `Nest`: issue, compute, scale, drain) | unit |
//! | [`lane`] | `ARow`, `BSel`, `LaneAcc` (hdl_gen; with `P` accumulation a `StageCell<32>` drain cell instead) | row, element, lane |
//! | [`dsp`] | `DspPack`, `Dsp1` (custom Verilog 27×18, Rust model in `update`) | 2 lanes / lane |
//! | [`cells`] | `AddNode<W>`, `StageCell<W>`, `Reg<W>` (hdl_gen) | tree node, stager/tile cell, scale register |
//! | [`kv`] | `KvAddr` (hdl_gen) | KV bank |
//! | [`col`] | `ColUnit` (hdl_gen) with `MulS32x16` (custom Verilog) | column |
//! | [`top`] | the generated structural `llmfab_matrix` (`generate` loops) | unit |
//! | [`leaves`], [`emit`] | emission under `llmfab_mx_*` names, rust-hdl panics caught | |
//! | [`resources`] | Yosys-measured per-leaf costs × instance counts | |
//!
//! Config values reach `MatCtl` as constant inputs, so one controller
//! module serves every config; only the structural top and the width
//! variants of the small leaves depend on the config. A 64×64 unit emits
//! as ~140 KB of Verilog (the controller is 115 KB of it).

pub mod cells;
pub mod col;
pub mod ctl;
pub mod dsp;
pub mod emit;
pub mod kv;
pub mod lane;
pub mod leaves;
pub mod nest;
pub mod pack;
pub mod resources;
pub mod top;

#[cfg(test)]
mod tests;

/// Errors of matrix-unit generation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatrixError {
    /// rust-hdl refused to emit a leaf (its design checks panicked).
    #[error("matrix-unit leaf '{module}': Verilog generation failed: {message}")]
    Generate {
        /// Leaf module name.
        module: String,
        /// rust-hdl's message.
        message: String,
    },
    /// The configuration is valid but outside what the unit supports.
    #[error("matrix unit: unsupported configuration {config}: {reason}")]
    Unsupported {
        /// Config name.
        config: String,
        /// Why.
        reason: String,
    },
}

pub use leaves::Leaf;
use llmfab_isa::EngineConfig;

/// Verilog of the unit for `cfg`: every leaf module followed by the
/// generated top `llmfab_matrix` (port list: docs/rtl.md §4). No
/// `include`, `timescale`, timestamps or absolute paths.
pub fn verilog(cfg: &EngineConfig) -> Result<String, MatrixError> {
    verilog_with(cfg, &top::Options::default())
}

/// [`verilog`] with generation options (tests use a short `P` drain
/// period to exercise it on small operands; cycle counts do not change).
pub fn verilog_with(cfg: &EngineConfig, opts: &top::Options) -> Result<String, MatrixError> {
    let shape = top::Shape::with(cfg, opts)?;
    let mut v = String::new();
    for leaf in leaves::leaves(&shape)? {
        v += &leaf.verilog;
    }
    v += &top::top_verilog(cfg, &shape);
    Ok(v)
}

/// The unit's distinct leaf modules with their instance counts for `cfg`
/// (for the resource report).
pub fn blocks(cfg: &EngineConfig) -> Result<Vec<Leaf>, MatrixError> {
    leaves::leaves(&top::Shape::new(cfg)?)
}
