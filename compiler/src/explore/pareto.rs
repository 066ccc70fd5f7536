//! The Pareto front of evaluated designs over decode tokens/s (higher is
//! better), prefill latency, energy per token and DSP use (lower is better).

use super::Design;

fn dominates(a: &Design, b: &Design) -> bool {
    let ka = [
        -a.estimate.decode_tokens_per_s,
        a.estimate.prefill_s,
        a.estimate.energy_per_token_j,
        a.dsp,
    ];
    let kb = [
        -b.estimate.decode_tokens_per_s,
        b.estimate.prefill_s,
        b.estimate.energy_per_token_j,
        b.dsp,
    ];
    ka.iter().zip(&kb).all(|(x, y)| x <= y) && ka.iter().zip(&kb).any(|(x, y)| x < y)
}

/// The designs no other design dominates, in input order.
pub fn front(designs: &[Design]) -> Vec<Design> {
    designs
        .iter()
        .filter(|d| !designs.iter().any(|o| dominates(o, d)))
        .cloned()
        .collect()
}
