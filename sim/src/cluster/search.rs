//! Plan search: evaluate every plan (in parallel with rayon), rank by an
//! objective, mark the Pareto front, slice the space into shards for array
//! jobs, and search for the highest request rate that meets the SLOs.

use super::error::ClusterError;
use super::evaluate::{evaluate, Evaluation, Setup};
use super::plan::Plan;
use super::request::Request;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// What "best" means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Lowest P90 time to first token.
    Ttft,
    /// Lowest P90 time per output token.
    Tpot,
    /// Highest output tokens per second.
    Throughput,
    /// Lowest joules per token.
    Energy,
    /// Lowest USD per million tokens.
    Cost,
}

impl Objective {
    /// Parses a lower-case name.
    pub fn parse(s: &str) -> Result<Objective, ClusterError> {
        Ok(match s {
            "ttft" => Objective::Ttft,
            "tpot" => Objective::Tpot,
            "throughput" => Objective::Throughput,
            "energy" => Objective::Energy,
            "cost" => Objective::Cost,
            _ => {
                return Err(ClusterError::input(
                    "--objective",
                    format!("expected ttft, tpot, throughput, energy or cost, found '{s}'"),
                ))
            }
        })
    }

    /// The value to minimise.
    pub fn score(self, e: &Evaluation) -> f64 {
        let m = &e.metrics;
        match self {
            Objective::Ttft => m.ttft.p90,
            Objective::Tpot => m.tpot.p90,
            Objective::Throughput => -m.tokens_per_s,
            Objective::Energy => m.j_per_token,
            Objective::Cost => m.usd_per_mtok.unwrap_or(f64::INFINITY),
        }
    }
}

/// A slice of the plan space: plans whose position `p` has `p % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    /// This shard, from 0.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl ShardSpec {
    /// Parses `i/N` (0 ≤ i < N).
    pub fn parse(s: &str) -> Result<ShardSpec, ClusterError> {
        let bad = || {
            ClusterError::input(
                "--shard",
                format!("expected i/N with 0 <= i < N (e.g. 0/4), found '{s}'"),
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(ShardSpec { index, count })
    }

    /// True when plan position `p` belongs to this shard.
    pub fn owns(&self, p: usize) -> bool {
        p % self.count as usize == self.index as usize
    }
}

/// One plan's outcome in a search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the full enumeration (stable across shards).
    pub index: usize,
    /// The plan.
    pub plan: Plan,
    /// Its evaluation, or why it could not be served.
    pub result: Result<Evaluation, String>,
    /// On the Pareto front of (P90 end-to-end latency, tokens/s, J/token).
    pub pareto: bool,
    /// Rank by the objective among evaluated plans (1 = best).
    pub rank: Option<usize>,
}

/// Evaluates `plans` (positions within the full list; only the shard's
/// share when `shard` is given), ranks and marks the front.
pub fn search(
    setup: &Setup,
    plans: &[Plan],
    requests: &[Request],
    objective: Objective,
    attainment: f64,
    shard: Option<ShardSpec>,
) -> Vec<Entry> {
    let mine: Vec<(usize, &Plan)> = plans
        .iter()
        .enumerate()
        .filter(|(i, _)| shard.is_none_or(|s| s.owns(*i)))
        .collect();
    let mut entries: Vec<Entry> = mine
        .par_iter()
        .map(|&(index, plan)| Entry {
            index,
            plan: plan.clone(),
            result: evaluate(setup, plan, requests).map_err(|e| e.to_string()),
            pareto: false,
            rank: None,
        })
        .collect();
    rank(
        &mut entries,
        objective,
        setup.slo.ttft_s.is_some() || setup.slo.tpot_s.is_some(),
        attainment,
    );
    entries
}

/// Ranks evaluated entries (plans meeting the SLO attainment first, then by
/// the objective, then by position) and marks the Pareto front.
pub fn rank(entries: &mut [Entry], objective: Objective, slo_given: bool, attainment: f64) {
    let mut ok: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].result.is_ok())
        .collect();
    let key = |e: &Entry| -> (bool, f64) {
        let ev = e.result.as_ref().ok();
        let miss = slo_given && ev.is_some_and(|v| v.metrics.slo_both < attainment);
        (miss, ev.map_or(f64::INFINITY, |v| objective.score(v)))
    };
    ok.sort_by(|&a, &b| {
        let (ka, kb) = (key(&entries[a]), key(&entries[b]));
        ka.0.cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(entries[a].index.cmp(&entries[b].index))
    });
    for (r, &i) in ok.iter().enumerate() {
        entries[i].rank = Some(r + 1);
    }
    let pts: Vec<(usize, [f64; 3])> = ok
        .iter()
        .filter_map(|&i| {
            entries[i].result.as_ref().ok().map(|v| {
                (
                    i,
                    [
                        v.metrics.e2e.p90,
                        -v.metrics.tokens_per_s,
                        v.metrics.j_per_token,
                    ],
                )
            })
        })
        .collect();
    for &(i, a) in &pts {
        let dominated = pts.iter().any(|&(j, b)| {
            j != i && b.iter().zip(&a).all(|(x, y)| x <= y) && b.iter().zip(&a).any(|(x, y)| x < y)
        });
        entries[i].pareto = !dominated;
    }
}

/// The best entry (rank 1), if any plan could be evaluated.
pub fn best(entries: &[Entry]) -> Option<&Entry> {
    entries.iter().find(|e| e.rank == Some(1))
}

/// Result of a capacity search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// Highest rate found meeting the SLOs, requests/s (0 if none).
    pub rate: f64,
    /// Its evaluation.
    pub evaluation: Option<Evaluation>,
    /// Rates tried, with their SLO attainment.
    pub probes: Vec<(f64, f64)>,
}

/// Highest request rate at which `plan` keeps SLO attainment ≥ `attainment`:
/// doubling (or halving) from `start` to bracket it, then `steps` bisections.
/// `workload(rate)` must give the same requests at a different rate (same seed).
pub fn capacity(
    setup: &Setup,
    plan: &Plan,
    workload: &dyn Fn(f64) -> Vec<Request>,
    start: f64,
    attainment: f64,
    steps: u32,
) -> Result<Capacity, ClusterError> {
    if setup.slo.ttft_s.is_none() && setup.slo.tpot_s.is_none() {
        return Err(ClusterError::input(
            "capacity search",
            "needs --slo-ttft and/or --slo-tpot",
        ));
    }
    let mut probes = Vec::new();
    let mut probe = |rate: f64| -> Result<(bool, Evaluation), ClusterError> {
        let ev = evaluate(setup, plan, &workload(rate))?;
        probes.push((rate, ev.metrics.slo_both));
        Ok((ev.metrics.slo_both >= attainment, ev))
    };
    let (mut lo, mut hi) = (0.0, f64::INFINITY);
    let mut best: Option<Evaluation> = None;
    let mut r = start.max(1e-6);
    for _ in 0..30 {
        let (ok, ev) = probe(r)?;
        if ok {
            lo = r;
            best = Some(ev);
            if hi.is_finite() {
                break;
            }
            r *= 2.0;
        } else {
            hi = r;
            if lo > 0.0 {
                break;
            }
            r /= 2.0;
        }
    }
    if lo > 0.0 && hi.is_finite() {
        for _ in 0..steps {
            let mid = 0.5 * (lo + hi);
            let (ok, ev) = probe(mid)?;
            if ok {
                lo = mid;
                best = Some(ev);
            } else {
                hi = mid;
            }
        }
    }
    Ok(Capacity {
        rate: lo,
        evaluation: best,
        probes,
    })
}
