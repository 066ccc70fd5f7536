//! Memory footprint on one device: weights, KV cache, peak activations, and
//! the largest batch that fits.
//!
//! - weights: [`llmfab_models::work::weight_footprint`] of the (sharded) graph;
//! - KV cache: `B · layers · 2 · kv_heads · head_dim · positions · kv bytes`
//!   (with the scales of sub-8-bit caches, [`QuantScheme::kv_bytes`]);
//! - activations: the largest live set of any single op (its activation
//!   inputs plus its outputs, KV writes excluded) plus the residual stream
//!   `B·S·D`, assuming buffers are freed after their last use;
//! - fits: the sum is at most the device capacity (nothing reserved for the
//!   runtime; frameworks keep a few percent);
//! - largest batch: every term but the weights is proportional to `B`, so it
//!   is `⌊(capacity − weights) / per-sequence bytes⌋`.

use crate::report::MemoryReport;
use llmfab_models::work::{op_work, weight_footprint};
use llmfab_models::{Bindings, Graph, ModelSpec, QuantScheme};

/// Peak live activation bytes of one step under `v`.
pub fn peak_activations(graph: &Graph, spec: &ModelSpec, v: &Bindings, q: &QuantScheme) -> f64 {
    let live = graph
        .ops()
        .map(|(id, _)| {
            let w = op_work(graph, id, v, q);
            w.act_bytes + (w.bytes_written - w.kv_write_bytes)
        })
        .fold(0.0, f64::max);
    let residual = (v.batch * v.seq * spec.hidden) as f64 * q.act_bytes();
    live + residual
}

/// KV-cache bytes of `batch` sequences holding `positions` each.
pub fn kv_cache_bytes(spec: &ModelSpec, q: &QuantScheme, batch: u64, positions: u64) -> f64 {
    (batch * spec.layers * 2 * spec.kv_heads * spec.head_dim * positions) as f64 * q.kv_bytes()
}

/// The footprint of `batch` sequences with `positions` cached each, whose
/// largest step is `steps` (activations are the maximum over them).
pub fn footprint(
    graph: &Graph,
    spec: &ModelSpec,
    q: &QuantScheme,
    capacity: f64,
    batch: u64,
    positions: u64,
    steps: &[Bindings],
) -> MemoryReport {
    let weights = weight_footprint(graph, q);
    let act = |b: u64| {
        steps
            .iter()
            .map(|s| peak_activations(graph, spec, &Bindings { batch: b, ..*s }, q))
            .fold(0.0, f64::max)
    };
    let kv = kv_cache_bytes(spec, q, batch, positions);
    let activations = act(batch);
    let total = weights + kv + activations;
    let per_seq = kv_cache_bytes(spec, q, 1, positions) + act(1);
    let max_batch = if weights >= capacity || per_seq <= 0.0 {
        0
    } else {
        ((capacity - weights) / per_seq).floor() as u64
    };
    MemoryReport {
        capacity_bytes: capacity,
        weights_bytes: weights,
        kv_cache_bytes: kv,
        kv_cache_len: positions,
        activation_bytes: activations,
        total_bytes: total,
        fits: total <= capacity,
        max_batch,
    }
}
