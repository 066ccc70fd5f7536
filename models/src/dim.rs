//! Symbolic dimensions: every shape in the graph is a list of monomials in
//! batch `B`, new tokens per sequence `S` and attended KV length `L`.
//!
//! A [`Dim`] prints and parses as `4096`, `B`, `B*S`, `2*L`, `B*S*4096`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Concrete values for the three shape symbols of a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bindings {
    /// Sequences processed together (`B`).
    pub batch: u64,
    /// New tokens per sequence in this step (`S`): the prompt length in
    /// prefill, 1 in decode.
    pub seq: u64,
    /// Positions each new token attends to (`L`), including itself.
    pub kv_len: u64,
}

impl Bindings {
    /// Prefill of `seq` prompt tokens for `batch` sequences with no earlier context.
    pub fn prefill(batch: u64, seq: u64) -> Self {
        Bindings {
            batch,
            seq,
            kv_len: seq,
        }
    }
    /// One decode step for `batch` sequences whose context (including the new
    /// token) is `kv_len` long.
    pub fn decode(batch: u64, kv_len: u64) -> Self {
        Bindings {
            batch,
            seq: 1,
            kv_len,
        }
    }
}

/// One symbolic dimension: `coeff · B^b · S^s · L^l`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dim {
    /// Constant factor.
    pub coeff: u64,
    /// Power of the batch symbol `B`.
    pub b: u8,
    /// Power of the sequence symbol `S`.
    pub s: u8,
    /// Power of the KV-length symbol `L`.
    pub l: u8,
}

impl Dim {
    /// A constant dimension.
    pub const fn c(coeff: u64) -> Self {
        Dim {
            coeff,
            b: 0,
            s: 0,
            l: 0,
        }
    }
    /// The batch symbol `B`.
    pub const B: Dim = Dim {
        coeff: 1,
        b: 1,
        s: 0,
        l: 0,
    };
    /// The new-token symbol `S`.
    pub const S: Dim = Dim {
        coeff: 1,
        b: 0,
        s: 1,
        l: 0,
    };
    /// The KV-length symbol `L`.
    pub const L: Dim = Dim {
        coeff: 1,
        b: 0,
        s: 0,
        l: 1,
    };
    /// `B*S`: all new tokens of the step.
    pub const TOKENS: Dim = Dim {
        coeff: 1,
        b: 1,
        s: 1,
        l: 0,
    };

    /// Value under concrete bindings (saturating on overflow).
    pub fn eval(self, v: &Bindings) -> u64 {
        let mut x = self.coeff;
        for _ in 0..self.b {
            x = x.saturating_mul(v.batch);
        }
        for _ in 0..self.s {
            x = x.saturating_mul(v.seq);
        }
        for _ in 0..self.l {
            x = x.saturating_mul(v.kv_len);
        }
        x
    }

    /// Parses the text form (`B*S*4096`).
    pub fn parse(text: &str) -> Option<Dim> {
        let mut d = Dim::c(1);
        let mut any = false;
        for factor in text.split('*') {
            let f = factor.trim();
            any = true;
            d = match f {
                "B" => d * Dim::B,
                "S" => d * Dim::S,
                "L" => d * Dim::L,
                _ => d * Dim::c(f.parse().ok()?),
            };
        }
        any.then_some(d)
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        for (sym, n) in [("B", self.b), ("S", self.s), ("L", self.l)] {
            for _ in 0..n {
                parts.push(sym.to_string());
            }
        }
        if self.coeff != 1 || parts.is_empty() {
            parts.push(self.coeff.to_string());
        }
        write!(f, "{}", parts.join("*"))
    }
}

/// A tensor shape: a list of symbolic dimensions.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shape(pub Vec<Dim>);

impl Shape {
    /// Number of elements under concrete bindings.
    pub fn numel(&self, v: &Bindings) -> u64 {
        self.0
            .iter()
            .fold(1u64, |acc, d| acc.saturating_mul(d.eval(v)))
    }
    /// Concrete dimensions under bindings.
    pub fn eval(&self, v: &Bindings) -> Vec<u64> {
        self.0.iter().map(|d| d.eval(v)).collect()
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
        write!(f, "[{}]", parts.join(","))
    }
}

impl std::ops::Mul for Dim {
    type Output = Dim;

    /// Product of two monomials.
    fn mul(self, o: Dim) -> Dim {
        Dim {
            coeff: self.coeff.saturating_mul(o.coeff),
            b: self.b + o.b,
            s: self.s + o.s,
            l: self.l + o.l,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_print_parse_and_evaluate() {
        for text in ["4096", "B", "B*S", "B*S*4096", "L*32", "B*L*8"] {
            let d = Dim::parse(text).unwrap();
            assert_eq!(Dim::parse(&d.to_string()), Some(d), "{text}");
        }
        let d = Dim::parse("B*S*4096").unwrap();
        assert_eq!(d.eval(&Bindings::prefill(2, 10)), 81920);
        assert_eq!(Dim::parse("B*x"), None);
    }
}
