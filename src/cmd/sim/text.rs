//! The text form of `llmfab sim`: a summary, the top ops and the
//! assumptions behind the figures.

use super::SimOutput;
use std::fmt::Write;

fn si(x: f64, unit: &str) -> String {
    let (v, p) = match x.abs() {
        a if a >= 1e9 => (x / 1e9, "G"),
        a if a >= 1e6 => (x / 1e6, "M"),
        a if a >= 1e3 => (x / 1e3, "k"),
        _ => (x, ""),
    };
    format!("{v:.3} {p}{unit}")
}

fn secs(s: f64) -> String {
    match s {
        s if s >= 1.0 => format!("{s:.3} s"),
        s if s >= 1e-3 => format!("{:.3} ms", s * 1e3),
        s => format!("{:.3} us", s * 1e6),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// Renders `o` as text.
pub fn render(o: &SimOutput) -> String {
    let r = &o.report;
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(
        w,
        "llmfab sim: {} ({}) on engine {} [{}], {} (seq {}, kv_len {}, batch {})",
        o.model, o.quant, r.engine, o.board, o.phase, o.seq, o.kv_len, o.batch
    );
    let _ = writeln!(
        w,
        "program {}: {} instructions\n",
        o.program, r.instructions
    );
    let _ = writeln!(w, "cycles               {} (simulation)", r.cycles);
    let _ = writeln!(
        w,
        "time                 {} at {} MHz",
        secs(r.seconds),
        r.clock_mhz
    );
    let _ = writeln!(
        w,
        "tokens/s             {:.2} ({} token(s) per run); HBM-bound {:.2}",
        o.tokens_per_s, o.tokens, o.hbm_bound_tokens_per_s
    );
    if let Some(t) = o.time_to_first_token_s {
        let _ = writeln!(w, "time to first token  {}", secs(t));
    }
    let _ = writeln!(
        w,
        "memory traffic       {} (read {}, write {}); {} = {} of the {} peak",
        si(r.hbm_bytes as f64, "B"),
        si(r.hbm_read_bytes as f64, "B"),
        si(r.hbm_write_bytes as f64, "B"),
        si(r.hbm_bandwidth, "B/s"),
        pct(r.hbm_bandwidth_utilization),
        si(r.hbm_peak_bandwidth, "B/s")
    );
    let _ = writeln!(
        w,
        "roofline bound       {} ({}-bound): the simulation reaches {} of it",
        secs(r.roofline_bound_s),
        r.roofline_bound,
        pct(r.roofline_fraction)
    );
    if let Some(e) = r.energy {
        let _ = writeln!(
            w,
            "energy               {:.4} J ({:.4} J/token): compute {:.4}, DRAM {:.4}, SRAM {:.4}, static {:.4}",
            e.total_j,
            o.energy_per_token_j.unwrap_or(0.0),
            e.compute_j,
            e.dram_j,
            e.sram_j,
            e.static_j
        );
    }
    let u = &r.units;
    let (lo, hi) = u.channels.iter().fold((f64::MAX, 0.0f64), |(a, b), c| {
        (a.min(c.read_utilization), b.max(c.read_utilization))
    });
    let _ = writeln!(
        w,
        "utilisation          matrix {} busy (MACs {}), SFU {}; channel reads {}..{} of cycles",
        pct(u.matrix_utilization),
        pct(u.mac_utilization),
        pct(u.sfu_utilization),
        pct(if u.channels.is_empty() { 0.0 } else { lo }),
        pct(hi)
    );
    let st = &r.stalls;
    let c = &st.compute;
    let _ = writeln!(
        w,
        "stalls (cycles)      compute: load token {}, store token {}, port claim {}, empty {}",
        c.wait_load_token, c.wait_store_token, c.port_claim, c.queue_empty
    );
    for (name, q) in [("load", &st.load), ("store", &st.store)] {
        let _ = writeln!(
            w,
            "                     {name}: token {}, DMA slot busy {}, drain before push {}, empty {}",
            q.wait_token, q.dma_slot_busy, q.drain_before_push, q.queue_empty
        );
    }
    let sum = |f: &dyn Fn(&llmfab_sim::engine::stall::ChannelStalls) -> u64| {
        st.channels.iter().map(f).sum::<u64>()
    };
    let _ = writeln!(
        w,
        "                     dispatch: queue full {:?} (load, compute, store), fetch empty {}",
        st.dispatch_queue_full, st.dispatch_fetch_empty
    );
    let _ = writeln!(
        w,
        "                     DMA (sum of channels): outstanding limit read {} write {}, port claim read {} write {}",
        sum(&|c| c.read_outstanding_limit),
        sum(&|c| c.write_outstanding_limit),
        sum(&|c| c.read_port_claim),
        sum(&|c| c.write_port_claim)
    );
    let mut ops: Vec<_> = r.ops.iter().collect();
    ops.sort_by(|a, b| b.cycles.cmp(&a.cycles).then(a.op.cmp(&b.op)));
    let _ = writeln!(
        w,
        "\ntop ops by simulated span, first issue to last done of their instructions \
         (prefetched loads stretch it; {} ops, all in --format json):",
        r.ops.len()
    );
    let _ = writeln!(
        w,
        "  {:<32} {:>12} {:>12} {:>8} {:>10} {:>10} {:>12}",
        "op", "span", "roofline", "bound", "matrix", "sfu", "hbm bytes"
    );
    for op in ops.iter().take(12) {
        let _ = writeln!(
            w,
            "  {:<32} {:>12} {:>12} {:>8} {:>10} {:>10} {:>12}",
            op.op,
            op.cycles,
            op.roofline_cycles,
            op.bound,
            op.matrix_cycles,
            op.sfu_cycles,
            op.hbm_bytes
        );
    }
    let _ = writeln!(w, "\nassumptions:");
    for a in &o.assumptions {
        let _ = writeln!(w, "  - {a}");
    }
    s
}
