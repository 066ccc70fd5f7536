//! Execution plans: data × tensor × pipeline parallelism (× expert
//! parallelism for MoE models), a batching policy, and optionally
//! prefill/decode disaggregation.
//!
//! Placement: tensor-parallel ranks are consecutive devices (so a TP group
//! stays inside a node when `tp ≤ per_node`), pipeline stages follow, and
//! data-parallel replicas are outermost: device of (replica `r`, stage `s`,
//! rank `t`) is `r·pp·tp + s·tp + t`. Expert parallelism reuses the TP group:
//! `ep` divides `tp`, each device holds `experts/ep` experts split `tp/ep`
//! ways, and tokens are dispatched to and combined from their experts by two
//! all-to-alls within the group (DeepSpeed-MoE's pattern).

use super::error::ClusterError;
use llmfab_models::ModelSpec;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How requests are batched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Batching {
    /// Iteration-level continuous batching, prefills first and unchunked
    /// (vLLM's default scheduler before chunked prefill).
    Continuous,
    /// Continuous batching with chunked prefill: decodes first, prompt
    /// chunks fill the rest of the token budget (vLLM's chunked prefill).
    Chunked,
    /// Static batching: a batch is formed when the server is free and runs
    /// to its longest output, padded, without admitting new requests.
    Static,
}

impl Batching {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Batching::Continuous => "continuous",
            Batching::Chunked => "chunked",
            Batching::Static => "static",
        }
    }
    /// Parses [`Batching::as_str`].
    pub fn parse(s: &str) -> Option<Batching> {
        Some(match s {
            "continuous" => Batching::Continuous,
            "chunked" => Batching::Chunked,
            "static" => Batching::Static,
            _ => return None,
        })
    }
}

/// One execution plan.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Plan {
    /// Data-parallel replicas.
    pub dp: u32,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Expert-parallel degree (1 for dense models).
    pub ep: u32,
    /// Batching policy.
    pub batching: Batching,
    /// With disaggregation: how many of the `dp` replicas only prefill (the
    /// rest only decode; the KV cache moves between them).
    pub prefill_replicas: Option<u32>,
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dp{}.tp{}.pp{}", self.dp, self.tp, self.pp)?;
        if self.ep > 1 {
            write!(f, ".ep{}", self.ep)?;
        }
        match self.prefill_replicas {
            Some(p) => write!(f, "+disagg{}:{}", p, self.dp - p),
            None => write!(f, "+{}", self.batching.as_str()),
        }
    }
}

impl Plan {
    /// Devices the plan uses.
    pub fn devices(&self) -> u32 {
        self.dp * self.tp * self.pp
    }

    /// Devices of one replica.
    pub fn replica_devices(&self) -> u32 {
        self.tp * self.pp
    }
}

/// Every reason `plan` is not valid for `spec` on `devices` devices
/// (divisibility; memory fit is checked when the plan is costed).
pub fn check(plan: &Plan, spec: &ModelSpec, devices: u32) -> Vec<String> {
    let mut p = Vec::new();
    let (tp, pp, dp, ep) = (
        plan.tp as u64,
        plan.pp as u64,
        plan.dp as u64,
        plan.ep as u64,
    );
    if tp == 0 || pp == 0 || dp == 0 || ep == 0 {
        p.push("every degree must be at least 1".into());
        return p;
    }
    if plan.devices() != devices {
        p.push(format!(
            "dp x tp x pp = {} x {} x {} = {} devices, but the cluster has {devices}",
            dp,
            tp,
            pp,
            plan.devices()
        ));
    }
    if !spec.heads.is_multiple_of(tp) {
        p.push(format!(
            "tp {tp} does not divide the {} attention heads",
            spec.heads
        ));
    }
    if !(spec.kv_heads.is_multiple_of(tp) || tp.is_multiple_of(spec.kv_heads)) {
        p.push(format!(
            "tp {tp} neither divides nor is a multiple of the {} KV heads",
            spec.kv_heads
        ));
    }
    if pp > spec.layers {
        p.push(format!("pp {pp} exceeds the {} layers", spec.layers));
    }
    match spec.moe {
        None if ep > 1 => p.push(format!("ep {ep} needs a mixture-of-experts model")),
        Some(m) if ep > 1 => {
            if !m.experts.is_multiple_of(ep) {
                p.push(format!("ep {ep} does not divide the {} experts", m.experts));
            }
            if !tp.is_multiple_of(ep) {
                p.push(format!(
                    "ep {ep} must divide tp {tp} (experts are spread over the TP group)"
                ));
            }
        }
        _ => {}
    }
    if let Some(pr) = plan.prefill_replicas {
        if pr == 0 || pr >= plan.dp {
            p.push(format!(
                "disaggregation needs 1..{} prefill replicas of {}, got {pr}",
                plan.dp.saturating_sub(1),
                plan.dp
            ));
        }
    }
    p
}

/// [`check`] as a `Result`.
pub fn validate(plan: &Plan, spec: &ModelSpec, devices: u32) -> Result<(), ClusterError> {
    let problems = check(plan, spec, devices);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ClusterError::InvalidPlan {
            plan: plan.to_string(),
            problems,
        })
    }
}

/// Divisors of `n`, ascending.
pub fn divisors(n: u32) -> Vec<u32> {
    (1..=n).filter(|d| n.is_multiple_of(*d)).collect()
}

/// Prefill-replica counts tried for `dp` replicas: 1, a quarter, a half,
/// three quarters and all but one (distinct, between 1 and `dp - 1`), so
/// the space grows with the number of divisors, not with `dp`.
pub fn disagg_splits(dp: u32) -> Vec<u32> {
    let mut v: Vec<u32> = [1, dp / 4, dp / 2, dp * 3 / 4, dp.saturating_sub(1)]
        .into_iter()
        .filter(|&p| p >= 1 && p < dp)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Which degrees and policies the enumeration covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpaceOptions {
    /// Batching policies to try.
    pub batching: Vec<Batching>,
    /// Also try prefill/decode disaggregation (splits from [`disagg_splits`]).
    pub disaggregation: bool,
    /// Fix the degrees the user named (`None`: all).
    pub tp: Option<u32>,
    /// Fixed pipeline degree.
    pub pp: Option<u32>,
    /// Fixed data-parallel degree.
    pub dp: Option<u32>,
}

impl Default for SpaceOptions {
    fn default() -> Self {
        SpaceOptions {
            batching: vec![Batching::Continuous, Batching::Chunked, Batching::Static],
            disaggregation: true,
            tp: None,
            pp: None,
            dp: None,
        }
    }
}

/// Every plan over `devices` devices for `spec`, in a fixed order (the
/// order `--shard` slices), with the reasons the others were rejected.
pub fn enumerate(spec: &ModelSpec, devices: u32, opts: &SpaceOptions) -> (Vec<Plan>, Vec<String>) {
    let mut plans = Vec::new();
    let mut rejected = Vec::new();
    let eps: Vec<u32> = match spec.moe {
        Some(m) => divisors(m.experts.min(u32::MAX as u64) as u32),
        None => vec![1],
    };
    for tp in divisors(devices) {
        for pp in divisors(devices / tp) {
            let dp = devices / tp / pp;
            if opts.tp.is_some_and(|t| t != tp)
                || opts.pp.is_some_and(|p| p != pp)
                || opts.dp.is_some_and(|d| d != dp)
            {
                continue;
            }
            for &ep in &eps {
                let base = Plan {
                    dp,
                    tp,
                    pp,
                    ep,
                    batching: Batching::Continuous,
                    prefill_replicas: None,
                };
                let problems = check(&base, spec, devices);
                if !problems.is_empty() {
                    if ep == 1 {
                        rejected.push(format!("{}: {}", base, problems.join("; ")));
                    }
                    continue;
                }
                for &b in &opts.batching {
                    plans.push(Plan {
                        batching: b,
                        ..base.clone()
                    });
                }
                if opts.disaggregation {
                    for pr in disagg_splits(dp) {
                        plans.push(Plan {
                            prefill_replicas: Some(pr),
                            ..base.clone()
                        });
                    }
                }
            }
        }
    }
    (plans, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisibility_errors_and_enumeration() {
        let spec = llmfab_models::zoo::get("llama-3-70b").unwrap();
        let bad = Plan {
            dp: 1,
            tp: 3,
            pp: 1,
            ep: 1,
            batching: Batching::Continuous,
            prefill_replicas: None,
        };
        let e = validate(&bad, &spec, 3).unwrap_err().to_string();
        assert!(e.contains("does not divide the 64 attention heads"), "{e}");
        let bad = Plan {
            dp: 1,
            tp: 1,
            pp: 81,
            ep: 1,
            batching: Batching::Continuous,
            prefill_replicas: None,
        };
        assert!(validate(&bad, &spec, 81)
            .unwrap_err()
            .to_string()
            .contains("exceeds the 80 layers"));
        let (plans, _) = enumerate(&spec, 8, &SpaceOptions::default());
        // (tp,pp,dp) with tp*pp*dp = 8: 10 triples; 3 policies each + disaggregation splits.
        assert_eq!(
            plans
                .iter()
                .filter(|p| p.prefill_replicas.is_none())
                .count(),
            30
        );
        assert!(plans
            .iter()
            .any(|p| p.to_string() == "dp2.tp4.pp1+disagg1:1"));
        assert_eq!(disagg_splits(8), vec![1, 2, 4, 6, 7]);
        assert_eq!(disagg_splits(2), vec![1]);
        assert!(disagg_splits(1).is_empty());
        let (plans, _) = enumerate(
            &spec,
            8,
            &SpaceOptions {
                tp: Some(8),
                ..Default::default()
            },
        );
        assert!(plans.iter().all(|p| p.tp == 8));
    }

    #[test]
    fn moe_expert_parallelism() {
        let spec = llmfab_models::zoo::get("mixtral-8x7b").unwrap();
        let (plans, _) = enumerate(
            &spec,
            4,
            &SpaceOptions {
                batching: vec![Batching::Continuous],
                disaggregation: false,
                ..Default::default()
            },
        );
        assert!(plans.iter().any(|p| p.ep == 4 && p.tp == 4));
        assert!(plans.iter().all(|p| p.tp % p.ep == 0));
    }
}
