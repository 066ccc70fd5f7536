//! DSP48E2 packing of the matrix unit: which products share one 27×18
//! multiplier, and the exact arithmetic of the packed multiply (the Rust
//! model that [`super::dsp::DspPack`] implements and the tests prove).
//!
//! Two lanes of one array row share their activation `a` (`U` bits, on the
//! multiplier's 18-bit port) and each has its own `V`-bit weight (`w0`,
//! `w1`). The 27-bit port carries `w1·2^S + w0` (the DSP48E2 pre-adder
//! `D + A` with `D = w1 << S`; `S = 26 − V` so that the sum fits the signed
//! port even for `w1 = −2^(V−1)`, `w0 < 0`), so the 48-bit product is
//! `P = (a·w1)·2^S + a·w0` (AMD WP486). Reading it back:
//!
//! ```text
//! lo = sext(P[S-1:0])                 = a·w0     (exact while |a·w0| < 2^(S-1))
//! hi = (P >>> S) + P[S-1]             = a·w1     (sign correction: a negative
//!                                                 lower field borrowed 1 from hi)
//! ```
//!
//! With the P register accumulating `k` packed products (`P += ...`), the
//! lower field holds `Σ a·w0` and stays exact while
//! `k·2^(U+V-2) ≤ 2^(S-1) − 1` ([`Packing::max_accumulations`], the exact
//! guard-bit limit; WP486's rule of thumb `2V + U + ceil(log2 k) + 1 ≤ 27`
//! is [`Packing::wp_accumulations`], stricter). The array drains (extracts)
//! every cycle, `k = 1`, far inside the limit; the limit is what the
//! exhaustive tests prove for the leaf.
//!
//! | activation | B bits `V = max(weight, kv)` | products / DSP | `S` | exact `k` limit |
//! |---|---|---|---|---|
//! | int8 | 4 | 2 | 22 | 2047 |
//! | int8 | 8 | 2 | 18 | 7 |
//! | int16 | 4 | 2 | 22 | 7 |
//! | int16 | 8 | 1 | — | (no packing) |
//!
//! 2-bit weights are sign-extended to `V = 4` (KV elements are at least 4
//! bits and share the lanes), so they pack like int4.

use llmfab_isa::EngineConfig;

/// Bits of the multiplier's wide (packed) port.
pub const PORT_A: u32 = 27;
/// Bits of the multiplier's narrow (shared activation) port.
pub const PORT_B: u32 = 18;
/// Bits of the DSP48E2 accumulator.
pub const P_BITS: u32 = 48;

/// How one DSP48E2 multiplier serves the lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packing {
    /// Activation bits `U` (8 or 16).
    pub act_bits: u32,
    /// B operand bits `V` (4 or 8): the wider of weights and KV elements.
    pub b_bits: u32,
    /// Products per multiplier (lanes per DSP): 1 or 2.
    pub per_dsp: u32,
    /// Bit offset `S` of the second weight (0 when `per_dsp = 1`).
    pub spacing: u32,
}

impl Packing {
    /// The packing for an activation and a B width.
    pub fn new(act_bits: u32, b_bits: u32) -> Packing {
        // The packed value w1·2^S + w0 must fit the 27-bit signed port for
        // every w0, also w1 = −2^(V−1) with w0 < 0: S + V ≤ 26.
        let s = PORT_A - 1 - b_bits;
        if act_bits + b_bits <= s && act_bits <= PORT_B {
            Packing {
                act_bits,
                b_bits,
                per_dsp: 2,
                spacing: s,
            }
        } else {
            Packing {
                act_bits,
                b_bits,
                per_dsp: 1,
                spacing: 0,
            }
        }
    }

    /// The packing of a configuration (`V = max(weight_bits, kv_bits)`, at least 4).
    pub fn for_config(cfg: &EngineConfig) -> Packing {
        Packing::new(cfg.act_bits, cfg.weight_bits.max(cfg.kv_bits).max(4))
    }

    /// Bits of one lane's product (`U + V`, two's complement).
    pub fn product_bits(&self) -> u32 {
        self.act_bits + self.b_bits
    }

    /// Largest `k` such that `k` accumulated packed products read back
    /// exactly (the lower field never overflows): `(2^(S-1) − 1) / 2^(U+V-2)`.
    /// Unlimited (`u64::MAX`) without packing.
    pub fn max_accumulations(&self) -> u64 {
        if self.per_dsp == 1 {
            return u64::MAX;
        }
        ((1u64 << (self.spacing - 1)) - 1) >> (self.product_bits() - 2)
    }

    /// Largest `k` allowed by WP486's rule `2V + U + ceil(log2 k) + 1 ≤ 27`.
    pub fn wp_accumulations(&self) -> u64 {
        let used = 2 * self.b_bits + self.act_bits + 1;
        if used > PORT_A {
            0
        } else {
            1u64 << (PORT_A - used)
        }
    }

    /// The 27-bit port value `w1·2^S + w0` (signed, wrapped to the port
    /// as the DSP's pre-adder wraps it).
    pub fn pack(&self, w0: i64, w1: i64) -> i64 {
        if self.per_dsp == 1 {
            wrap(w0, PORT_A)
        } else {
            wrap((w1 << self.spacing) + w0, PORT_A)
        }
    }

    /// The 48-bit product of the packed port and the activation.
    pub fn multiply(&self, a: i64, w0: i64, w1: i64) -> i64 {
        wrap(self.pack(w0, w1) * a, P_BITS)
    }

    /// `(lo, hi)` read back from a 48-bit `P` with the sign correction.
    pub fn extract(&self, p: i64) -> (i64, i64) {
        if self.per_dsp == 1 {
            return (p, 0);
        }
        let s = self.spacing;
        let lo = wrap(p, s);
        let borrow = (p >> (s - 1)) & 1;
        let hi = wrap((p >> s) + borrow, P_BITS - s);
        (lo, hi)
    }
}

/// The low `bits` of `x` as a signed value.
pub fn wrap(x: i64, bits: u32) -> i64 {
    if bits >= 64 {
        x
    } else {
        (x << (64 - bits)) >> (64 - bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(bits: u32) -> std::ops::RangeInclusive<i64> {
        -(1i64 << (bits - 1))..=(1i64 << (bits - 1)) - 1
    }

    #[test]
    fn table_of_the_module_docs() {
        let rows: Vec<(u32, u32, u32, u32, u64)> = [(8, 4), (8, 8), (16, 4), (16, 8)]
            .iter()
            .map(|&(u, v)| {
                let p = Packing::new(u, v);
                (u, v, p.per_dsp, p.spacing, p.max_accumulations())
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (8, 4, 2, 22, 2047),
                (8, 8, 2, 18, 7),
                (16, 4, 2, 22, 7),
                (16, 8, 1, 0, u64::MAX)
            ]
        );
        // WP486's rule is the stricter one.
        for (u, v) in [(8, 4), (8, 8), (16, 4)] {
            let p = Packing::new(u, v);
            assert!(p.wp_accumulations() <= p.max_accumulations(), "{p:?}");
        }
    }

    /// Every int8 activation × every pair of B values (int8: 16.7 M
    /// triples; int4: 65536 × 16) reads back exactly.
    #[test]
    fn exhaustive_single_products() {
        for (u, v) in [(8, 8), (8, 4)] {
            let p = Packing::new(u, v);
            for a in range(u) {
                for w0 in range(v) {
                    for w1 in range(v) {
                        let got = p.extract(p.multiply(a, w0, w1));
                        assert_eq!(got, (a * w0, a * w1), "{p:?} a={a} w0={w0} w1={w1}");
                    }
                }
            }
        }
        // int16 × int4: every activation against every pair of weights.
        let p = Packing::new(16, 4);
        for a in range(16) {
            for w0 in range(4) {
                for w1 in [-8, -1, 0, 7] {
                    assert_eq!(p.extract(p.multiply(a, w0, w1)), (a * w0, a * w1));
                }
            }
        }
    }

    /// One bit less of margin (`S = 27 − V`) breaks: the pre-adder sum
    /// overflows the 27-bit port for `w1 = −2^(V−1)`, `w0 < 0`.
    #[test]
    fn spacing_needs_the_sign_bit() {
        let p = Packing {
            act_bits: 8,
            b_bits: 8,
            per_dsp: 2,
            spacing: 19,
        };
        assert_ne!(p.extract(p.multiply(1, -1, -128)), (-1, -128));
        let q = Packing::new(8, 8);
        assert_eq!(q.extract(q.multiply(1, -1, -128)), (-1, -128));
    }

    /// Accumulating `max_accumulations` extreme products stays exact; one
    /// more can overflow the lower field.
    #[test]
    fn guard_bit_limit_is_exact() {
        for (u, v) in [(8, 8), (8, 4), (16, 4)] {
            let p = Packing::new(u, v);
            let k = p.max_accumulations();
            let (amin, wmin) = (-(1i64 << (u - 1)), -(1i64 << (v - 1)));
            let acc = |n: u64, w1: i64| {
                let mut s = 0i64;
                for _ in 0..n {
                    s = wrap(s + p.multiply(amin, wmin, w1), P_BITS);
                }
                s
            };
            for w1 in [wmin, -1, 0, (1 << (v - 1)) - 1] {
                let n = k as i64;
                assert_eq!(
                    p.extract(acc(k, w1)),
                    (n * amin * wmin, n * amin * w1),
                    "{p:?}"
                );
            }
            let n = k as i64 + 1;
            assert_ne!(
                p.extract(acc(k + 1, 0)).0,
                n * amin * wmin,
                "{p:?}: k+1 must overflow"
            );
        }
    }

    /// Random sequences of up to `max_accumulations` products (seeded).
    #[test]
    fn random_accumulations() {
        let mut seed = 0x0DD5_EED5_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (u, v) in [(8, 8), (8, 4), (16, 4)] {
            let p = Packing::new(u, v);
            let k = p.max_accumulations().min(64);
            for _ in 0..2000 {
                let (mut pp, mut lo, mut hi) = (0i64, 0i64, 0i64);
                for _ in 0..1 + next() % k {
                    let a = wrap(next() as i64, u);
                    let w0 = wrap(next() as i64, v);
                    let w1 = wrap(next() as i64, v);
                    pp = wrap(pp + p.multiply(a, w0, w1), P_BITS);
                    lo += a * w0;
                    hi += a * w1;
                }
                assert_eq!(p.extract(pp), (lo, hi), "seed state {seed:#x} {p:?}");
            }
        }
    }
}
