//! llmfab-reports: the roofline and energy analyzer over a model graph and a
//! device ([`roofline::analyze`]), and its outputs: terminal tables, JSON,
//! CSV and Markdown ([`format`]) and roofline / time-breakdown plots
//! ([`plot`]).

pub mod aggregate;
pub mod format;
pub mod html;
pub mod memory;
pub mod plan_plot;
pub mod plot;
mod pricing;
pub mod report;
pub mod roofline;
pub mod shard;
pub mod totals;
pub mod units;

pub use report::Report;
pub use roofline::{analyze, Input, Phase, Scenario};

/// Errors of the analyzer and its outputs.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Settings that cannot be analyzed (batch 0, a TP degree that does not
    /// divide the heads, ...).
    #[error("{0}")]
    Input(String),
    /// A model, quantization or device problem.
    #[error(transparent)]
    Model(#[from] llmfab_models::ModelError),
    /// Rendering an output (plot, JSON, CSV) failed.
    #[error("output: {0}")]
    Output(String),
}
