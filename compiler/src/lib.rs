//! llmfab-compiler: chooses an engine for a board (design-space exploration
//! as a mixed-integer program) and lowers a quantized model graph onto it,
//! one program per phase.
//!
//! | module | concept |
//! |---|---|
//! | [`board`] | board facts from the device catalog |
//! | [`explore`] | design-space exploration (MILP) |
//! | [`support`] | what the engine can compute of a quantization scheme |
//! | [`qplan`] | static scales and integer constants (the quantisation recipe) |
//! | [`sfu`] | SFU tables and multipliers |
//! | [`lower`] | the lowering pipeline (one pass per file) |
//! | [`compile`] | the whole compilation in one call |
//! | [`folder`] | the build folder (write, open and check) |
//! | [`report`] | the compile report |
//! | [`memmap`] | the HBM memory map of a build |
//! | [`data`] | integer weights (and seeded random ones) |
//! | [`pack`] | HBM images from weights; reading results back |
//! | [`golden`] | graph-level integer interpreter (the lowering's test oracle) |

pub mod board;
pub mod compile;
pub mod data;
pub mod error;
pub mod explore;
pub mod folder;
pub mod golden;
pub mod lower;
pub mod memmap;
pub mod pack;
pub mod qplan;
pub mod report;
pub mod sfu;
pub mod support;

pub use board::Board;
pub use compile::{compile, Artefacts, CompileRequest};
pub use error::CompileError;
pub use lower::{LowerOptions, Phase};
pub use memmap::MemMap;
pub use qplan::QuantPlan;
pub use support::{engine_quant, EngineQuant};

/// Serde default of the batch fields (phases, manifests, memory maps and
/// estimates written before batched decode existed hold one sequence).
pub(crate) fn one_sequence() -> u64 {
    1
}
