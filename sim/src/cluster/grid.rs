//! Bucketed sizes for caching iteration costs: exact at small sizes, 16
//! points per octave above 32, with linear interpolation between grid
//! points. Costs are evaluated only at grid points, so a cached value never
//! depends on which batch asked first (results are order-independent and
//! reproducible), and the number of distinct evaluations grows with the
//! logarithm of the sizes seen.

/// Sizes up to this are exact grid points.
pub const EXACT_UP_TO: u64 = 32;
/// Grid points per octave above [`EXACT_UP_TO`].
pub const PER_OCTAVE: u64 = 16;

/// Grid points `(lo, hi)` around `x` with `lo ≤ x ≤ hi` (`lo == hi` when
/// `x` is a grid point).
pub fn bracket(x: u64) -> (u64, u64) {
    if x <= EXACT_UP_TO {
        return (x, x);
    }
    let octave = 63 - x.leading_zeros() as u64; // 2^octave ≤ x
    let step = (1u64 << octave) / PER_OCTAVE;
    let lo = x / step * step;
    if lo == x {
        (x, x)
    } else {
        (lo, lo + step)
    }
}

/// Interpolation weight of `hi` for `x` in `(lo, hi)`.
pub fn weight(x: u64, lo: u64, hi: u64) -> f64 {
    if hi == lo {
        0.0
    } else {
        (x - lo) as f64 / (hi - lo) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets() {
        assert_eq!(bracket(7), (7, 7));
        assert_eq!(bracket(32), (32, 32));
        assert_eq!(bracket(33), (32, 34));
        assert_eq!(bracket(1000), (992, 1024));
        assert_eq!(bracket(1024), (1024, 1024));
        for x in [33u64, 100, 5000, 123_456] {
            let (lo, hi) = bracket(x);
            assert!(
                lo <= x && x <= hi && (hi - lo) as f64 <= x as f64 / 15.0,
                "{x}"
            );
        }
        assert_eq!(weight(1000, 992, 1024), 0.25);
    }
}
