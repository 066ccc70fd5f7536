//! Cost of collective communication between devices over a named link, as
//! an alpha-beta model of ring algorithms (what NCCL's ring uses):
//!
//! - all-reduce of `S` bytes over `N` devices: `2(N-1)/N · S / bw + 2(N-1) · latency`
//!   (reduce-scatter then all-gather, `N-1` steps each);
//! - all-gather producing `S` bytes on every device: `(N-1)/N · S / bw + (N-1) · latency`.
//!
//! `bw` is the link's bandwidth per direction and `latency` its per-hop
//! latency, both from the device catalog with their sources.

use crate::device::Link;
use serde::Serialize;

/// Time of one collective, split into its bandwidth and latency terms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CollectiveCost {
    /// Total seconds.
    pub time_s: f64,
    /// Seconds spent moving bytes.
    pub bandwidth_s: f64,
    /// Seconds of per-hop latency.
    pub latency_s: f64,
    /// How it was computed, with the link's sources.
    pub source: String,
}

/// Ring all-reduce of `bytes` over `n` devices on `link` (named `link_name`).
pub fn ring_all_reduce(bytes: f64, n: u32, link_name: &str, link: &Link) -> CollectiveCost {
    ring(bytes, n, 2.0, link_name, link, "all-reduce")
}

/// Ring all-gather leaving `bytes` on every device, over `n` devices.
pub fn ring_all_gather(bytes: f64, n: u32, link_name: &str, link: &Link) -> CollectiveCost {
    ring(bytes, n, 1.0, link_name, link, "all-gather")
}

fn ring(
    bytes: f64,
    n: u32,
    phases: f64,
    link_name: &str,
    link: &Link,
    what: &str,
) -> CollectiveCost {
    if n <= 1 {
        return CollectiveCost {
            time_s: 0.0,
            bandwidth_s: 0.0,
            latency_s: 0.0,
            source: format!("no {what} on one device"),
        };
    }
    let nf = n as f64;
    let bandwidth_s = phases * (nf - 1.0) / nf * bytes / link.bandwidth.value;
    let latency_s = phases * (nf - 1.0) * link.latency.value;
    let k = if phases == 2.0 { "2" } else { "" };
    CollectiveCost {
        time_s: bandwidth_s + latency_s,
        bandwidth_s,
        latency_s,
        source: format!(
            "ring {what} over {n} devices on {link_name}: {k}(N-1)/N x bytes / {} GB/s ({}) + {k}(N-1) x {} us ({})",
            round6(link.bandwidth.value / 1e9),
            link.bandwidth.source,
            round6(link.latency.value * 1e6),
            link.latency.source
        ),
    }
}

/// Rounds to 6 decimals for display (`0.39999999999999997` prints as `0.4`).
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Val;

    #[test]
    fn ring_formulas() {
        let l = Link {
            bandwidth: Val::new(100e9, "t"),
            latency: Val::new(1e-6, "t"),
        };
        let c = ring_all_reduce(1e9, 4, "x", &l);
        assert!((c.bandwidth_s - 2.0 * 0.75 * 0.01).abs() < 1e-12);
        assert!((c.latency_s - 6e-6).abs() < 1e-15);
        let g = ring_all_gather(1e9, 4, "x", &l);
        assert!((g.time_s - (0.0075 + 3e-6)).abs() < 1e-12);
        assert_eq!(ring_all_reduce(1e9, 1, "x", &l).time_s, 0.0);
    }
}
