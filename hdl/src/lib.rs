//! llmfab-hdl: the engine in rust-hdl, its Verilog emission and the Vitis
//! RTL-kernel shell (see docs/rtl.md).

pub mod core;
pub mod cosim;
pub mod design;
pub mod emit;
pub mod gen;
pub mod lint;
pub mod matrix;
pub mod output;
pub mod project;
pub mod resources;
pub mod sfu;
pub mod tb;
#[cfg(test)]
mod testing;
pub mod units;

/// Errors of the hardware generator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HdlError {
    /// The config cannot be built (names every reason).
    #[error("{0}")]
    Config(String),
    /// A rust-hdl block failed its design checks.
    #[error(transparent)]
    Emit(#[from] emit::EmitError),
    /// A compute unit failed to generate its Verilog.
    #[error("{unit}: {message}")]
    Unit {
        /// Unit name.
        unit: String,
        /// Its error.
        message: String,
    },
    /// An external tool (Icarus, Verilator, Yosys) failed or is missing.
    #[error("{tool}: {message}")]
    Tool {
        /// Tool name.
        tool: String,
        /// What went wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// Path.
        path: String,
        /// The OS error.
        message: String,
    },
}
