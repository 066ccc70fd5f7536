//! Latency statistics and the metrics reported for a plan.
//!
//! Per-request quantities (TTFT, TPOT, end-to-end latency) keep every value
//! and use linear interpolation between order statistics (numpy's default
//! percentile). Time between tokens has one value per generated token, so
//! it goes into a log-spaced histogram with bins 0.1% wide, reported at the
//! bin's centre and clamped to the exact minimum and maximum (identical
//! values come out exact).

use serde::{Deserialize, Serialize};

/// Mean and percentiles of one latency, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

/// Percentile `p` (0–100) of sorted values, interpolating linearly.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let r = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = r.floor() as usize;
    let hi = r.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo as f64)
}

impl Stats {
    /// Statistics of a set of values (any order).
    pub fn of(values: &[f64]) -> Stats {
        if values.is_empty() {
            return Stats::default();
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Stats {
            mean: v.iter().sum::<f64>() / v.len() as f64,
            p50: percentile(&v, 50.0),
            p90: percentile(&v, 90.0),
            p99: percentile(&v, 99.0),
            max: v[v.len() - 1],
        }
    }
}

const MIN_S: f64 = 1e-7;
const GROWTH: f64 = 1.001;

/// A log-spaced histogram of positive durations.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    counts: Vec<u64>,
    n: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Histogram {
    fn bin(x: f64) -> usize {
        if x <= MIN_S {
            0
        } else {
            ((x / MIN_S).ln() / GROWTH.ln()) as usize + 1
        }
    }

    /// Adds one value.
    pub fn add(&mut self, x: f64) {
        self.add_n(x, 1);
    }

    /// Adds a value `n` times.
    pub fn add_n(&mut self, x: f64, n: u64) {
        if n == 0 {
            return;
        }
        let b = Self::bin(x);
        if b >= self.counts.len() {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += n;
        if self.n == 0 {
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.n += n;
        self.sum += x * n as f64;
    }

    /// Merges another histogram into this one.
    pub fn merge(&mut self, o: &Histogram) {
        if o.n == 0 {
            return;
        }
        if self.counts.len() < o.counts.len() {
            self.counts.resize(o.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
        self.min = if self.n == 0 {
            o.min
        } else {
            self.min.min(o.min)
        };
        self.max = if self.n == 0 {
            o.max
        } else {
            self.max.max(o.max)
        };
        self.n += o.n;
        self.sum += o.sum;
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Percentile `p` (0–100), nearest rank.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let rank = ((p / 100.0).clamp(0.0, 1.0) * (self.n - 1) as f64).round() as u64;
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                let centre = if b == 0 {
                    MIN_S
                } else {
                    MIN_S * GROWTH.powf(b as f64 - 0.5)
                };
                return centre.clamp(self.min, self.max);
            }
        }
        self.max
    }

    /// Mean and percentiles.
    pub fn stats(&self) -> Stats {
        if self.n == 0 {
            return Stats::default();
        }
        Stats {
            mean: self.sum / self.n as f64,
            p50: self.percentile(50.0),
            p90: self.percentile(90.0),
            p99: self.percentile(99.0),
            max: self.max,
        }
    }
}

/// Everything reported for one plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Requests served.
    pub requests: u32,
    /// Output tokens generated.
    pub output_tokens: u64,
    /// Time to first token.
    pub ttft: Stats,
    /// Time per output token after the first, per request.
    pub tpot: Stats,
    /// Time between consecutive tokens of a request, per token.
    pub tbt: Stats,
    /// End-to-end latency.
    pub e2e: Stats,
    /// From the first arrival to the last token, seconds.
    pub makespan_s: f64,
    /// Output tokens per second over the makespan.
    pub tokens_per_s: f64,
    /// Requests per second over the makespan.
    pub requests_per_s: f64,
    /// Fraction of requests meeting the TTFT target (1 when none given).
    pub slo_ttft: f64,
    /// Fraction meeting the TPOT target (1 when none given).
    pub slo_tpot: f64,
    /// Fraction meeting both.
    pub slo_both: f64,
    /// Model FLOP utilisation: useful ops / (devices × peak × makespan).
    pub mfu: f64,
    /// Memory-bandwidth utilisation: bytes / (devices × bandwidth × makespan).
    pub bandwidth_util: f64,
    /// Weights on the most loaded device, bytes.
    pub weight_bytes_per_device: f64,
    /// Largest KV cache in use on one device, bytes.
    pub kv_bytes_per_device: f64,
    /// Activation reserve per device, bytes.
    pub activation_bytes_per_device: f64,
    /// Total energy (busy and idle devices), joules.
    pub energy_j: f64,
    /// Joules per output token.
    pub j_per_token: f64,
    /// USD per million output tokens (when a device price is known).
    pub usd_per_mtok: Option<f64>,
    /// Requests preempted (recomputed) at least once.
    pub preempted: u32,
    /// Iterations run (all replicas).
    pub iterations: u64,
}
