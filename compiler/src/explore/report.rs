//! Terminal rendering of an exploration: the chosen engine, the constraints
//! that bind, and the runner-ups on the Pareto front.

use super::{Design, Exploration};
use std::fmt::Write;

fn mib(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    } else {
        format!("{} KiB", b / 1024)
    }
}

fn row(d: &Design) -> String {
    format!(
        "{:<28} {:>8.1} tok/s {:>9.3} s prefill {:>7.3} J/tok  DSP {:>5.0} URAM {:>4} BRAM {:>5}  block {} KV window {}",
        d.label,
        d.estimate.decode_tokens_per_s,
        d.estimate.prefill_s,
        d.estimate.energy_per_token_j,
        d.dsp,
        d.uram,
        d.bram,
        d.prefill_block,
        d.kv_window
    )
}

/// Renders the exploration as plain text.
pub fn render(x: &Exploration) -> String {
    let mut s = String::new();
    let c = &x.chosen.config;
    let e = &x.chosen.estimate;
    let _ = writeln!(
        s,
        "engine exploration on {} (objective: {})",
        x.board, x.objective
    );
    let _ = writeln!(
        s,
        "  {} candidates, {} in the MILP ({} variables, {} constraints), solved in {:.2} s",
        x.candidates, x.milp.0, x.milp.1, x.milp.2, x.solve_s
    );
    let _ = writeln!(s, "chosen: {} — {}", x.chosen.label, c.name);
    let _ = writeln!(
        s,
        "  array {}x{} ({} MAC lanes), w{} a{} kv{}, group {}, {} MHz, {} channels × {}-bit ports, {} SFU lanes",
        c.rows,
        c.cols,
        c.mac_lanes(),
        c.weight_bits,
        c.act_bits,
        c.kv_bits,
        c.group_size,
        c.clock_mhz,
        c.channels,
        c.port_bits,
        c.sfu_lanes
    );
    let _ = writeln!(
        s,
        "  buffers: wbuf {} ({} tile rows), abuf {}, kvbuf {}, acc {}, sbuf {}",
        mib(c.wbuf_bytes),
        c.wbuf_rows(),
        mib(c.abuf_bytes),
        mib(c.kvbuf_bytes),
        mib(c.acc_bytes),
        mib(c.sbuf_bytes)
    );
    let _ = writeln!(
        s,
        "  decode (context {}{}): {:.1} tokens/s ({:.1} % of the {:.1} tokens/s HBM roofline; {:.0} % memory-bound), effective bandwidth {:.0} GB/s",
        x.options.kv_len,
        if x.options.batch > 1 {
            format!(", {} sequences", x.options.batch)
        } else {
            String::new()
        },
        e.decode_tokens_per_s,
        100.0 * e.decode_tokens_per_s / x.roofline_tokens_per_s,
        x.roofline_tokens_per_s,
        100.0 * e.memory_bound_share,
        e.bandwidth / 1e9
    );
    let _ = writeln!(
        s,
        "  prefill ({} tokens, blocks of {}): {:.3} s; energy {:.3} J/token; KV windows of {} positions; URAM {}, BRAM36 {}",
        x.options.prompt, x.chosen.prefill_block, e.prefill_s, e.energy_per_token_j, x.chosen.kv_window, x.chosen.uram, x.chosen.bram
    );
    let _ = writeln!(s, "constraints (used / limit):");
    for sl in &x.slacks {
        let _ = writeln!(
            s,
            "  {:<32} {:>14.0} / {:<14.0} {}",
            sl.name,
            sl.used,
            sl.limit,
            if sl.binding { "BINDING" } else { "" }
        );
    }
    let _ = writeln!(s, "Pareto front: {} designs; runner-ups:", x.pareto_size);
    for d in &x.runners_up {
        let _ = writeln!(s, "  {}", row(d));
    }
    s
}
