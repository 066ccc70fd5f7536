//! Collective communication times from message size, link bandwidth and
//! latency (the alpha-beta model of Thakur, Rabenseifner and Gropp, IJHPCA
//! 2005, with NCCL's ring algorithms):
//!
//! | collective | time for `n` ranks, `M` bytes |
//! |---|---|
//! | ring all-reduce | `2(n-1)/n · M/B + 2(n-1)·α` |
//! | ring all-gather / reduce-scatter (`M` = gathered size) | `(n-1)/n · M/B + (n-1)·α` |
//! | all-to-all (pairwise, `M` = bytes each rank holds) | `(n-1)/n · M/B + (n-1)·α` |
//! | point-to-point | `M/B + α` |
//!
//! `B` is the per-direction bandwidth of the slowest hop of the ring and
//! `α` its one-way latency. One rank (or an empty message) costs nothing.

use super::topology::LinkSpec;

/// Ring all-reduce of `bytes` (each rank's buffer) over `n` ranks.
pub fn all_reduce(bytes: f64, n: u32, link: &LinkSpec) -> f64 {
    if n <= 1 || bytes <= 0.0 {
        return 0.0;
    }
    let n = n as f64;
    2.0 * (n - 1.0) / n * bytes / link.bandwidth + 2.0 * (n - 1.0) * link.latency
}

/// Ring all-gather producing `bytes` on every rank (each contributes `bytes/n`).
pub fn all_gather(bytes: f64, n: u32, link: &LinkSpec) -> f64 {
    if n <= 1 || bytes <= 0.0 {
        return 0.0;
    }
    let n = n as f64;
    (n - 1.0) / n * bytes / link.bandwidth + (n - 1.0) * link.latency
}

/// Ring reduce-scatter of a `bytes` buffer (the mirror of [`all_gather`]).
pub fn reduce_scatter(bytes: f64, n: u32, link: &LinkSpec) -> f64 {
    all_gather(bytes, n, link)
}

/// All-to-all where each rank holds `bytes` and keeps `1/n` of them.
pub fn all_to_all(bytes: f64, n: u32, link: &LinkSpec) -> f64 {
    if n <= 1 || bytes <= 0.0 {
        return 0.0;
    }
    let n = n as f64;
    (n - 1.0) / n * bytes / link.bandwidth + (n - 1.0) * link.latency
}

/// One message of `bytes` from one device to another.
pub fn p2p(bytes: f64, link: &LinkSpec) -> f64 {
    if bytes <= 0.0 {
        return 0.0;
    }
    bytes / link.bandwidth + link.latency
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> LinkSpec {
        LinkSpec {
            name: "t".into(),
            bandwidth: 100e9,
            latency: 1e-6,
            source: String::new(),
        }
    }

    #[test]
    fn formulas_by_hand() {
        let l = link();
        // 8 ranks, 1 GB: 2*7/8 * 1e9/1e11 = 0.0175 s, + 14 us.
        assert!((all_reduce(1e9, 8, &l) - (0.0175 + 14e-6)).abs() < 1e-12);
        // all-gather of 1 GB over 4 ranks: 3/4 * 0.01 + 3 us.
        assert!((all_gather(1e9, 4, &l) - (0.0075 + 3e-6)).abs() < 1e-12);
        assert_eq!(reduce_scatter(1e9, 4, &l), all_gather(1e9, 4, &l));
        assert!((all_to_all(4e8, 2, &l) - (0.002 + 1e-6)).abs() < 1e-12);
        assert!((p2p(1e6, &l) - (1e-5 + 1e-6)).abs() < 1e-15);
        assert_eq!(all_reduce(1e9, 1, &l), 0.0);
        assert_eq!(p2p(0.0, &l), 0.0);
        // All-reduce = reduce-scatter + all-gather.
        assert!((all_reduce(1e9, 8, &l) - 2.0 * all_gather(1e9, 8, &l)).abs() < 1e-12);
    }
}
