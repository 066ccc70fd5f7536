//! Totals over rows, the device figures a report cites, and the modelling
//! conventions printed in every report's footer.

use crate::report::{Figure, OpRow, Totals};
use llmfab_models::device::Link;
use llmfab_models::estimate::Bound;
use llmfab_models::Device;
use std::collections::BTreeMap;

/// Sums rows; `devices` multiplies energy for the all-device figures and
/// `tokens` shares it.
pub fn totals(rows: &[&OpRow], devices: u32, tokens: f64) -> Totals {
    let mut t = Totals {
        tokens,
        ..Default::default()
    };
    let mut by_bound: BTreeMap<String, f64> = BTreeMap::new();
    for r in rows {
        t.ops += r.ops;
        t.bytes_read += r.bytes_read;
        t.bytes_written += r.bytes_written;
        t.weight_bytes += r.weight_bytes;
        t.act_bytes += r.act_bytes;
        t.kv_read_bytes += r.kv_bytes;
        t.kv_write_bytes += r.kv_write_bytes;
        t.link_bytes += r.link_bytes;
        t.time_roofline_s += r.time_roofline_s;
        t.time_estimate_s += r.time_estimate_s;
        t.energy_j += r.energy_j;
        t.energy.add_scaled(&r.energy, 1.0);
        *by_bound.entry(r.bound.as_str().to_string()).or_default() += r.time_roofline_s;
    }
    t.bytes = t.bytes_read + t.bytes_written;
    t.kv_bytes = t.kv_read_bytes + t.kv_write_bytes;
    t.energy_all_devices_j = t.energy_j * devices as f64;
    t.bound = [Bound::Memory, Bound::Compute, Bound::Link]
        .into_iter()
        .max_by(|a, b| {
            let ta = by_bound.get(a.as_str()).copied().unwrap_or(0.0);
            let tb = by_bound.get(b.as_str()).copied().unwrap_or(0.0);
            ta.total_cmp(&tb)
        })
        .unwrap_or_default();
    t.time_by_bound_s = by_bound;
    if tokens > 0.0 && t.energy_all_devices_j > 0.0 {
        t.j_per_token = t.energy_all_devices_j / tokens;
        t.tokens_per_j = tokens / t.energy_all_devices_j;
    }
    t
}

/// Conventions the numbers rest on, printed in every report's footer.
pub fn assumptions() -> Vec<String> {
    [
        "one multiply-accumulate = 2 ops; GB = 1e9 bytes, TB/s = 1e12 bytes/s",
        "each op is one kernel: its roofline time is max(ops/peak, bytes/bandwidth); totals add op times (no overlap between ops, no fusion beyond --flash)",
        "realistic estimate = max(ops/(peak x efficiency x shape factors), bytes/(bandwidth x bandwidth efficiency)) + kernel overhead",
        "GPUs dequantize sub-8-bit weights and multiply at the activation type; FPGA engines multiply natively at max(weight, activation) bits",
        "KV-cache reads belong to the attention ops and count KV heads (GQA), not query heads; attention scores are stored at max(activation, 16) bits",
        "flash attention reads Q, K and V once and writes only its B*S*H*d output; unfused attention writes and re-reads the B*H*S*L scores",
        "lm_head runs for the last token of each sequence only: 2*B*D*V ops",
        "activation functions run over the MLP intermediate width; MoE layers read the weights of the experts a step is expected to touch under uniform routing",
        "energy = ops x pJ/op at the precision + off-chip bytes x DRAM pJ/bit + on-chip bytes x SRAM pJ/bit + static power x estimated time",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

pub(crate) fn figures(dev: &Device, rows: &[OpRow], link: Option<&(String, Link)>) -> Vec<Figure> {
    let f = |name: String, v: &llmfab_models::Val| Figure {
        name,
        value: v.value,
        source: v.source.clone(),
    };
    let mut out = vec![
        f("memory capacity (bytes)".into(), &dev.memory.capacity),
        f(
            format!("{} bandwidth (bytes/s)", dev.memory.kind),
            &dev.memory.bandwidth,
        ),
    ];
    for (p, v) in &dev.peak_ops {
        out.push(f(format!("{} peak (ops/s)", p.as_str()), v));
    }
    out.push(f("vector peak (ops/s)".into(), &dev.vector_ops));
    let used: std::collections::BTreeSet<String> =
        rows.iter().filter_map(|r| r.precision.clone()).collect();
    for (p, v) in &dev.energy.pj_per_op {
        if used.contains(p.as_str()) {
            out.push(f(format!("{} energy (pJ/op)", p.as_str()), v));
        }
    }
    let e = &dev.energy;
    out.push(f("vector energy (pJ/op)".into(), &e.pj_per_vector_op));
    out.push(f(
        format!("{} energy (pJ/bit)", dev.memory.kind),
        &e.dram_pj_per_bit,
    ));
    out.push(f("on-chip SRAM energy (pJ/bit)".into(), &e.sram_pj_per_bit));
    out.push(f("static power (W)".into(), &e.static_w));
    if let Some((name, l)) = link {
        out.push(f(
            format!("{name} bandwidth per direction (bytes/s)"),
            &l.bandwidth,
        ));
        out.push(f(format!("{name} latency per hop (s)"), &l.latency));
    }
    out
}
