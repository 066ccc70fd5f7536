//! llmfab-models: the LLM graph IR, quantization schemes, importers (Hugging
//! Face `config.json`, GGUF, safetensors), the built-in model zoo and the
//! device catalog.
//!
//! Everything downstream (analyzer, compiler, simulators) starts from a
//! [`Graph`] built from a [`ModelSpec`] and priced with a [`QuantScheme`].

pub mod build;
pub mod calibration;
pub mod catalog;
pub mod collective;
pub mod device;
pub mod device_file;
pub mod dim;
pub mod dot;
pub mod estimate;
pub mod gguf;
pub mod graph;
pub mod hf;
pub mod load;
pub mod quant;
pub mod safetensors;
pub mod spec;
pub mod suggest;
pub mod text;
pub mod work;
pub mod zoo;

pub use build::{Attention, BuildOptions};
pub use calibration::Calibration;
pub use device::{Device, DeviceKind, Val};
pub use dim::{Bindings, Dim, Shape};
pub use estimate::{Bound, Estimator, OpEstimate};
pub use graph::{Graph, LinearRole, Op, OpId, OpKind};
pub use load::{load, LoadedModel};
pub use quant::{Precision, QuantScheme};
pub use spec::{ActFn, Family, ModelSpec, MoeSpec, NormKind, Positions};
pub use work::{op_work, ComputeClass, GemmShape, OpWork};

/// Errors from model, quantization and device handling. Every variant names
/// the file (or argument) and what was expected, so the CLI can print it as is.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A name that is not in a catalog.
    #[error("unknown {what} '{name}'{}", fmt_suggestions(suggestions))]
    Unknown {
        /// What kind of thing (model, device, quantization scheme).
        what: String,
        /// The name given.
        name: String,
        /// Closest known names.
        suggestions: Vec<String>,
    },
    /// A field that is missing or malformed.
    #[error("{file}: field '{field}': expected {expected}")]
    Parse {
        /// File (or argument) being read.
        file: String,
        /// Field, key or byte offset.
        field: String,
        /// What was expected there.
        expected: String,
    },
    /// A consistent-looking input that violates the model's invariants.
    #[error("{what}: {}", problems.join("; "))]
    Invalid {
        /// What was checked.
        what: String,
        /// Every violation found.
        problems: Vec<String>,
    },
    /// A syntax error in a text file (JSON, the graph text form) at a
    /// 1-based line and column.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// File (or argument) being read.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What was expected there (and what was found).
        message: String,
    },
    /// A malformed or truncated binary file (GGUF, safetensors).
    #[error("{file}: at byte offset {offset}: {message}")]
    Binary {
        /// The file.
        file: String,
        /// Byte offset of the offending field.
        offset: u64,
        /// What was expected there (and what was found).
        message: String,
    },
    /// An I/O failure on a named file.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

fn fmt_suggestions(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(" (did you mean: {}?)", s.join(", "))
    }
}
