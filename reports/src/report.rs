//! The analyzer's result: per-op rows, totals per phase, the request
//! summary, the memory footprint and the sources behind the numbers. It
//! serializes to the JSON contract of `llmfab roofline --format json`
//! (top level `model, device, quant, phase, batch, seq_len, kv_len, totals,
//! ops, memory`, plus more fields).

use llmfab_models::estimate::{Bound, OpEnergy};
use serde::Serialize;
use std::collections::BTreeMap;

/// One op (or, for a request's decode phase, one op summed over all steps).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpRow {
    /// Provenance name (`layer3.attn.qk`; collectives `layer3.attn.all_reduce`).
    pub name: String,
    /// Decoder layer, if any.
    pub layer: Option<u32>,
    /// Op kind (`linear`, `attn_qk`, `all_reduce`, ...).
    pub kind: String,
    /// Name with the layer prefix removed (`attn.qk`): what plots and the
    /// terminal table aggregate over.
    pub role: String,
    /// `prefill` or `decode`.
    pub phase: String,
    /// Executions summed into this row (decode steps of a request).
    pub steps: u64,
    /// Arithmetic precision of a matrix product.
    pub precision: Option<String>,
    /// Arithmetic operations.
    pub ops: f64,
    /// Weight bytes read.
    pub weight_bytes: f64,
    /// Activation bytes read.
    pub act_bytes: f64,
    /// KV-cache bytes read.
    pub kv_bytes: f64,
    /// All bytes read (weights + activations + KV).
    pub bytes_read: f64,
    /// Bytes written (activations and KV-cache writes).
    pub bytes_written: f64,
    /// KV-cache bytes written (part of `bytes_written`).
    pub kv_write_bytes: f64,
    /// Bytes sent over the device link (collectives).
    pub link_bytes: f64,
    /// Ops per byte of off-chip traffic.
    pub intensity: f64,
    /// What limits the roofline time.
    pub bound: Bound,
    /// Compute time at the peak.
    pub compute_s: f64,
    /// Memory time at the peak bandwidth.
    pub memory_s: f64,
    /// `max(compute_s, memory_s)` (or the collective's time).
    pub time_roofline_s: f64,
    /// Realistic estimate.
    pub time_estimate_s: f64,
    /// Energy, joules.
    pub energy_j: f64,
    /// Energy breakdown.
    pub energy: OpEnergy,
    /// Values of the realistic-estimate factors (sources in the report's
    /// `factors` list), by name.
    pub factors: BTreeMap<String, f64>,
}

/// Sums over a set of rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Arithmetic operations.
    pub ops: f64,
    /// Off-chip bytes moved (read + written).
    pub bytes: f64,
    /// Bytes read.
    pub bytes_read: f64,
    /// Bytes written.
    pub bytes_written: f64,
    /// Weight bytes read.
    pub weight_bytes: f64,
    /// Activation bytes read.
    pub act_bytes: f64,
    /// KV-cache bytes read and written.
    pub kv_bytes: f64,
    /// KV-cache bytes read.
    pub kv_read_bytes: f64,
    /// KV-cache bytes written.
    pub kv_write_bytes: f64,
    /// Bytes over the device link.
    pub link_bytes: f64,
    /// Sum of per-op roofline times (ops do not overlap).
    pub time_roofline_s: f64,
    /// Sum of per-op realistic estimates.
    pub time_estimate_s: f64,
    /// Energy of one device, joules.
    pub energy_j: f64,
    /// Energy breakdown of one device.
    pub energy: OpEnergy,
    /// Energy of all tensor-parallel devices.
    pub energy_all_devices_j: f64,
    /// What most of the roofline time is bound by.
    pub bound: Bound,
    /// Roofline seconds per bound (`compute`, `memory`, `link`).
    pub time_by_bound_s: BTreeMap<String, f64>,
    /// Tokens the energy is shared by (prompt tokens in prefill, generated
    /// tokens in decode and in a request).
    pub tokens: f64,
    /// Joules per token, all devices.
    pub j_per_token: f64,
    /// Tokens per joule, all devices.
    pub tokens_per_j: f64,
}

/// Totals of one phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseTotals {
    /// `prefill` or `decode`.
    pub phase: String,
    /// Steps (forward passes) in the phase.
    pub steps: u64,
    /// New tokens per sequence per step (`S`).
    pub seq_len: u64,
    /// Attended positions (`L`): of the only step, or the range of a request's decode steps.
    pub kv_len: String,
    /// The sums.
    pub totals: Totals,
}

/// Latency figures of a whole request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestSummary {
    /// Prompt tokens per sequence.
    pub prompt_tokens: u64,
    /// Generated tokens per sequence (the first comes from prefill).
    pub gen_tokens: u64,
    /// Decode steps (`gen_tokens - 1`).
    pub decode_steps: u64,
    /// Time to first token: the prefill (estimate).
    pub ttft_s: f64,
    /// Mean time per output token over the decode steps (estimate; 0 without decode steps).
    pub tpot_s: f64,
    /// Whole request (estimate).
    pub total_s: f64,
    /// Time to first token at the roofline.
    pub ttft_roofline_s: f64,
    /// Mean time per output token at the roofline.
    pub tpot_roofline_s: f64,
    /// Whole request at the roofline.
    pub total_roofline_s: f64,
    /// Generated tokens per second over the request, all sequences (estimate).
    pub tokens_per_s: f64,
}

/// Memory footprint on one device.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryReport {
    /// Device memory capacity.
    pub capacity_bytes: f64,
    /// Weights stored (all experts, embeddings once).
    pub weights_bytes: f64,
    /// KV cache at the longest context of the phase.
    pub kv_cache_bytes: f64,
    /// Positions held in the KV cache per sequence.
    pub kv_cache_len: u64,
    /// Peak live activations.
    pub activation_bytes: f64,
    /// Sum of the three.
    pub total_bytes: f64,
    /// `total_bytes <= capacity_bytes`.
    pub fits: bool,
    /// Largest batch that fits at this context (0 if the weights alone do not).
    pub max_batch: u64,
}

/// A device figure used by the report, with its source.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// What it is.
    pub name: String,
    /// Value (unit in the name).
    pub value: f64,
    /// Where it comes from.
    pub source: String,
}

/// A realistic-estimate factor and the range of values it took.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactorNote {
    /// What it is.
    pub name: String,
    /// Where it comes from.
    pub source: String,
    /// Smallest value taken.
    pub min: f64,
    /// Largest value taken.
    pub max: f64,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Model name.
    pub model: String,
    /// Where the model came from (`zoo:llama-2-7b`, a path).
    pub model_source: String,
    /// Device catalog name.
    pub device: String,
    /// Device full name.
    pub device_display: String,
    /// Quantization scheme.
    pub quant: String,
    /// `prefill`, `decode` or `request`.
    pub phase: String,
    /// Sequences.
    pub batch: u64,
    /// New tokens per sequence: the prompt in prefill and request, 1 in decode.
    pub seq_len: u64,
    /// Attended positions: the prompt in prefill, the context in decode, the
    /// final context (prompt + generated - 1) in a request.
    pub kv_len: u64,
    /// Generated tokens per sequence (request only).
    pub gen_tokens: Option<u64>,
    /// `flash` or `unfused`.
    pub attention: String,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Link the collectives use (tp > 1).
    pub link: Option<String>,
    /// Totals over everything reported.
    pub totals: Totals,
    /// Totals per phase.
    pub phases: Vec<PhaseTotals>,
    /// Latency figures of a request.
    pub request: Option<RequestSummary>,
    /// Per-op rows (prefill rows first, then decode rows).
    pub ops: Vec<OpRow>,
    /// Memory footprint per device.
    pub memory: MemoryReport,
    /// Device figures used, with sources.
    pub device_figures: Vec<Figure>,
    /// Realistic-estimate factors used, with sources (deduplicated).
    pub factors: Vec<FactorNote>,
    /// Modelling conventions the numbers rest on.
    pub assumptions: Vec<String>,
    /// Warnings and remarks (does not fit, KV heads replicated, ...).
    pub notes: Vec<String>,
}
