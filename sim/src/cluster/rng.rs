//! A small seeded random number generator (SplitMix64) and the length
//! distributions synthetic workloads draw from. No external crate: the
//! sequence is fixed by this file, so a seed gives the same workload on every
//! machine and every version of the dependencies.

use super::error::ClusterError;
use serde::{Deserialize, Serialize};

/// SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): 64-bit state, passes
/// BigCrush, and is what `java.util.SplittableRandom` uses.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponential with the given mean (inverse transform).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }

    /// Standard normal (Box–Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// A distribution of token counts (prompt or output lengths).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum LengthDist {
    /// Always `n`.
    Fixed {
        /// The length.
        n: u32,
    },
    /// Uniform over `lo..=hi`.
    Uniform {
        /// Smallest length.
        lo: u32,
        /// Largest length.
        hi: u32,
    },
    /// Exponential with the given mean, rounded up to at least 1.
    Exponential {
        /// Mean length.
        mean: f64,
    },
    /// Log-normal with the given median and shape `sigma` (of the log).
    LogNormal {
        /// Median length.
        median: f64,
        /// Standard deviation of ln(length).
        sigma: f64,
    },
}

impl LengthDist {
    /// Parses `fixed:N`, `uniform:LO-HI`, `exp:MEAN`, `lognormal:MEDIAN,SIGMA`
    /// or a named preset: `lmsys-prompt`, `lmsys-output`, `creation-prompt`,
    /// `creation-output` (log-normal fits of the bundled APEX traces'
    /// medians and spreads).
    pub fn parse(text: &str) -> Result<LengthDist, ClusterError> {
        let bad = || {
            ClusterError::input(
                format!("length distribution '{text}'"),
                "expected fixed:N, uniform:LO-HI, exp:MEAN, lognormal:MEDIAN,SIGMA or a preset \
                 (lmsys-prompt, lmsys-output, creation-prompt, creation-output)",
            )
        };
        let t = text.trim().to_ascii_lowercase();
        let preset = match t.as_str() {
            // Medians of sim/traces/apex_llama_lmsys_05.jsonl (17 and 117 tokens);
            // sigma chosen so the means come out near the trace's (62 and 162).
            "lmsys-prompt" => Some(LengthDist::LogNormal {
                median: 17.0,
                sigma: 1.6,
            }),
            "lmsys-output" => Some(LengthDist::LogNormal {
                median: 117.0,
                sigma: 0.8,
            }),
            // sim/traces/apex_llama_creation_05.jsonl: medians 309 and 1106.
            "creation-prompt" => Some(LengthDist::LogNormal {
                median: 309.0,
                sigma: 0.3,
            }),
            "creation-output" => Some(LengthDist::LogNormal {
                median: 1106.0,
                sigma: 0.35,
            }),
            _ => None,
        };
        if let Some(p) = preset {
            return Ok(p);
        }
        let (kind, args) = t.split_once(':').ok_or_else(bad)?;
        let num = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
        };
        let d = match kind {
            "fixed" => LengthDist::Fixed {
                n: args
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(bad)?,
            },
            "uniform" => {
                let (a, b) = args.split_once('-').ok_or_else(bad)?;
                let lo: u32 = a.trim().parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
                let hi: u32 = b.trim().parse().ok().filter(|n| *n >= lo).ok_or_else(bad)?;
                LengthDist::Uniform { lo, hi }
            }
            "exp" | "exponential" => LengthDist::Exponential {
                mean: num(args).ok_or_else(bad)?,
            },
            "lognormal" => {
                let (m, s) = args.split_once(',').ok_or_else(bad)?;
                LengthDist::LogNormal {
                    median: num(m).ok_or_else(bad)?,
                    sigma: num(s).ok_or_else(bad)?,
                }
            }
            _ => return Err(bad()),
        };
        Ok(d)
    }

    /// Draws one length (at least 1), capped at `cap`.
    pub fn sample(&self, rng: &mut Rng, cap: u32) -> u32 {
        let v = match *self {
            LengthDist::Fixed { n } => n as f64,
            LengthDist::Uniform { lo, hi } => {
                lo as f64 + (rng.uniform() * (hi - lo + 1) as f64).floor()
            }
            LengthDist::Exponential { mean } => rng.exponential(mean).ceil(),
            LengthDist::LogNormal { median, sigma } => {
                (median * (sigma * rng.normal()).exp()).round()
            }
        };
        (v.max(1.0).min(cap.max(1) as f64)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_in_range() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
            let u = a.uniform();
            assert!((0.0..1.0).contains(&u));
            b.uniform();
        }
        let d = LengthDist::parse("uniform:3-5").unwrap();
        for _ in 0..100 {
            assert!((3..=5).contains(&d.sample(&mut a, 1000)));
        }
        assert_eq!(LengthDist::parse("fixed:9").unwrap().sample(&mut a, 4), 4);
        assert!(LengthDist::parse("uniform:5-3").is_err());
        assert!(LengthDist::parse("gauss:3").is_err());
        assert!(LengthDist::parse("lmsys-output").is_ok());
    }

    #[test]
    fn exponential_mean_is_close() {
        let mut r = Rng::new(1);
        let n = 20000;
        let m: f64 = (0..n).map(|_| r.exponential(2.0)).sum::<f64>() / n as f64;
        assert!((m - 2.0).abs() < 0.06, "{m}");
    }
}
