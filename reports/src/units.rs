//! Human-readable numbers for tables: decimal SI prefixes (GB = 1e9 bytes)
//! and times in s, ms, us or ns.

/// `x` with a decimal SI prefix and `unit` (`13.2 GB`, `989 TOP/s`).
pub fn si(x: f64, unit: &str) -> String {
    if x == 0.0 {
        return format!("0 {unit}");
    }
    if !x.is_finite() {
        return format!("{x} {unit}");
    }
    const P: [(f64, &str); 9] = [
        (1e18, "E"),
        (1e15, "P"),
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "u"),
    ];
    let a = x.abs();
    let (scale, prefix) = P
        .iter()
        .copied()
        .find(|(s, _)| a >= *s * 0.9995)
        .unwrap_or((1e-9, "n"));
    format!("{} {prefix}{unit}", sig3(x / scale))
}

/// Three significant figures without trailing noise (`13.2`, `989`, `0.5`).
pub fn sig3(x: f64) -> String {
    let a = x.abs();
    let s = if a >= 99.95 {
        format!("{x:.0}")
    } else if a >= 9.995 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Seconds as `1.23 s`, `4.5 ms`, `850 us` or `12 ns`.
pub fn time(s: f64) -> String {
    si(s, "s")
}

/// Bytes as `13.2 GB`.
pub fn bytes(b: f64) -> String {
    si(b, "B")
}

/// Joules as `1.2 J`, `45 mJ`.
pub fn joules(j: f64) -> String {
    si(j, "J")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanises() {
        assert_eq!(bytes(13.2e9), "13.2 GB");
        assert_eq!(si(989e12, "OP/s"), "989 TOP/s");
        assert_eq!(time(0.00412), "4.12 ms");
        assert_eq!(time(850e-6), "850 us");
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(si(999.9, "B"), "1 kB");
        assert_eq!(time(2.5e-9), "2.5 ns");
    }
}
