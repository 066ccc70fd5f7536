//! The SFU's lookup tables and the integer helpers every instruction's
//! semantics is written with (docs/engine.md §3, §5.4).
//!
//! The reference interpreter, the simulator and the hardware generators (which
//! turn these tables into ROMs) all use these definitions, so they agree bit
//! for bit. The tables are written out as literals (computed once with exact
//! decimal arithmetic, no entry is near a rounding tie); a test recomputes them
//! from their definitions.

/// Exponential table of softmax: `EXP[i] = round(65535 · exp(-i/16))`.
pub const EXP: [u16; 256] = [
    65535, 61564, 57834, 54330, 51039, 47946, 45042, 42313, 39749, 37341, 35078, 32953, 30957,
    29081, 27319, 25664, 24109, 22648, 21276, 19987, 18776, 17639, 16570, 15566, 14623, 13737,
    12905, 12123, 11388, 10698, 10050, 9441, 8869, 8332, 7827, 7353, 6907, 6489, 6096, 5726, 5379,
    5054, 4747, 4460, 4190, 3936, 3697, 3473, 3263, 3065, 2879, 2705, 2541, 2387, 2242, 2107, 1979,
    1859, 1746, 1641, 1541, 1448, 1360, 1278, 1200, 1128, 1059, 995, 935, 878, 825, 775, 728, 684,
    642, 604, 567, 533, 500, 470, 442, 415, 390, 366, 344, 323, 303, 285, 268, 252, 236, 222, 209,
    196, 184, 173, 162, 153, 143, 135, 127, 119, 112, 105, 99, 93, 87, 82, 77, 72, 68, 64, 60, 56,
    53, 50, 47, 44, 41, 39, 36, 34, 32, 30, 28, 27, 25, 23, 22, 21, 19, 18, 17, 16, 15, 14, 13, 13,
    12, 11, 10, 10, 9, 9, 8, 8, 7, 7, 6, 6, 6, 5, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2,
    2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// Reciprocal square root mantissa table:
/// `RSQ[j] = min(32767, round(32768 / sqrt((j + 64) / 64)))`, `0 ≤ j < 192`.
pub const RSQ: [u16; 192] = [
    32767, 32515, 32268, 32026, 31790, 31558, 31332, 31111, 30894, 30682, 30474, 30270, 30070,
    29874, 29682, 29494, 29309, 29127, 28949, 28774, 28602, 28434, 28268, 28105, 27945, 27787,
    27632, 27480, 27330, 27183, 27038, 26895, 26755, 26617, 26481, 26346, 26214, 26084, 25956,
    25830, 25705, 25583, 25462, 25342, 25225, 25109, 24994, 24882, 24770, 24660, 24552, 24445,
    24339, 24235, 24132, 24031, 23930, 23831, 23733, 23637, 23541, 23447, 23354, 23262, 23170,
    23080, 22992, 22904, 22817, 22731, 22646, 22562, 22479, 22396, 22315, 22235, 22155, 22077,
    21999, 21922, 21845, 21770, 21695, 21621, 21548, 21476, 21404, 21333, 21263, 21193, 21124,
    21056, 20988, 20921, 20855, 20789, 20724, 20660, 20596, 20533, 20470, 20408, 20346, 20285,
    20225, 20165, 20106, 20047, 19988, 19930, 19873, 19816, 19760, 19704, 19649, 19594, 19539,
    19485, 19431, 19378, 19326, 19273, 19221, 19170, 19119, 19068, 19018, 18968, 18919, 18870,
    18821, 18773, 18725, 18677, 18630, 18583, 18536, 18490, 18444, 18399, 18354, 18309, 18264,
    18220, 18176, 18133, 18090, 18047, 18004, 17962, 17920, 17878, 17837, 17795, 17755, 17714,
    17674, 17634, 17594, 17554, 17515, 17476, 17438, 17399, 17361, 17323, 17285, 17248, 17211,
    17174, 17137, 17100, 17064, 17028, 16992, 16957, 16921, 16886, 16851, 16817, 16782, 16748,
    16714, 16680, 16646, 16613, 16579, 16546, 16514, 16481, 16448, 16416,
];

/// `rnd(x, s)`: `x` if `s = 0`, else `(x + 2^(s-1)) >> s` with an arithmetic
/// shift (rounds half up). 64-bit arithmetic wraps on overflow; `s` is
/// clamped to 63.
pub fn rnd(x: i64, s: u32) -> i64 {
    if s == 0 {
        x
    } else {
        let s = s.min(63);
        x.wrapping_add(1i64 << (s - 1)) >> s
    }
}

/// `sat_b(x)`: `x` clamped to the `bits`-bit two's complement range
/// `[-2^(bits-1), 2^(bits-1) - 1]` (`1 ≤ bits ≤ 63`).
pub fn sat(x: i64, bits: u32) -> i64 {
    let bits = bits.clamp(1, 63);
    let max = (1i64 << (bits - 1)) - 1;
    x.clamp(-max - 1, max)
}

/// `wrap32(x)`: the low 32 bits of `x` as a two's complement int32.
pub fn wrap32(x: i64) -> i64 {
    x as i32 as i64
}

/// `RSQRT(v) ≈ 2^15 / √v` for `1 ≤ v < 2^32` (`v` is clamped into that
/// range): `e = floor(log2 v) div 2`, `mant = (v · 64) >> 2e` (in
/// `[64, 256)`), result `RSQ[mant - 64] >> e`.
pub fn rsqrt(v: u64) -> u32 {
    let v = v.clamp(1, (1 << 32) - 1);
    let e = (63 - v.leading_zeros()) / 2;
    let mant = (v * 64) >> (2 * e);
    (RSQ[(mant - 64) as usize] >> e) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_their_definitions() {
        for (i, &e) in EXP.iter().enumerate() {
            let x = 65535.0 * (-(i as f64) / 16.0).exp();
            assert_eq!(e as f64, x.round(), "EXP[{i}]");
            assert!((x.fract() - 0.5).abs() > 1e-6, "EXP[{i}] is near a tie");
        }
        for (j, &r) in RSQ.iter().enumerate() {
            let x = 32768.0 / ((j as f64 + 64.0) / 64.0).sqrt();
            assert_eq!(r as f64, x.round().min(32767.0), "RSQ[{j}]");
        }
        // Pinned entries.
        assert_eq!(
            (EXP[0], EXP[1], EXP[16], EXP[100], EXP[200], EXP[255]),
            (65535, 61564, 24109, 127, 0, 0)
        );
        assert_eq!(
            (RSQ[0], RSQ[1], RSQ[36], RSQ[191]),
            (32767, 32515, 26214, 16416)
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(rnd(5, 0), 5);
        assert_eq!(rnd(5, 1), 3);
        assert_eq!(rnd(-5, 1), -2);
        assert_eq!(rnd(-6, 2), -1);
        assert_eq!(rnd(i64::MAX, 63), -1, "wraps");
        assert_eq!(sat(200, 8), 127);
        assert_eq!(sat(-200, 8), -128);
        assert_eq!(sat(-7, 4), -7);
        assert_eq!(wrap32(1 << 31), -(1 << 31));
        assert_eq!(wrap32((1 << 32) + 5), 5);
    }

    #[test]
    fn rsqrt_approximates_inverse_square_root() {
        assert_eq!(rsqrt(1), 32767);
        assert_eq!(rsqrt(0), 32767, "clamped to 1");
        assert_eq!(rsqrt(4), 16383);
        assert_eq!(rsqrt(1 << 20), 31);
        assert_eq!(rsqrt(u64::MAX), rsqrt((1 << 32) - 1));
        for v in [2u64, 3, 10, 100, 1000, 65536, 123_456_789, (1 << 32) - 1] {
            let exact = 32768.0 / (v as f64).sqrt();
            let got = rsqrt(v) as f64;
            assert!(
                (got - exact).abs() <= exact * 0.01 + 1.0,
                "rsqrt({v}) = {got}, exact {exact}"
            );
        }
    }
}
