//! Evaluating one plan on one workload: build the replicas' cost models,
//! spread requests over data-parallel replicas (round robin in arrival
//! order), simulate every replica, and turn the records into [`Metrics`].
//!
//! With disaggregation the first `prefill_replicas` replicas only prefill;
//! a request's KV cache then travels to a decode replica (each of the
//! `tp·pp` ranks sends its share over the link between the two replicas'
//! devices) before it decodes there. The first token counts at the end of
//! the prefill; the second waits for the transfer. Back-pressure from full
//! decode replicas onto prefill replicas is not modelled.

use super::collective::p2p;
use super::cost::OpCostProvider;
use super::error::ClusterError;
use super::metrics::{Histogram, Metrics, Stats};
use super::model::{Cost, ReplicaModel, ServeConfig};
use super::plan::{validate, Plan};
use super::replica::{simulate, Arrival, Mode, Outcome, Record};
use super::request::Request;
use super::topology::Cluster;
use llmfab_models::device::DeviceKind;
use llmfab_models::{ModelSpec, QuantScheme};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Latency targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// Time to first token, seconds.
    pub ttft_s: Option<f64>,
    /// Time per output token, seconds.
    pub tpot_s: Option<f64>,
}

/// Everything fixed across the plans of one search.
pub struct Setup<'a> {
    /// The model.
    pub spec: &'a ModelSpec,
    /// Its quantization.
    pub quant: &'a QuantScheme,
    /// The cluster.
    pub cluster: &'a Cluster,
    /// Where op costs come from.
    pub provider: &'a dyn OpCostProvider,
    /// Serving-engine settings.
    pub serve: ServeConfig,
    /// Latency targets.
    pub slo: Slo,
    /// USD per device-hour (overrides the catalog's price).
    pub price_per_hour: Option<f64>,
    /// Keep per-request latencies in the result (for plots and validation).
    pub keep_samples: bool,
}

/// Per-request latencies of one evaluation, seconds, in workload order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    /// Time to first token.
    pub ttft: Vec<f64>,
    /// Time per output token (requests with more than one token).
    pub tpot: Vec<f64>,
    /// End-to-end latency.
    pub e2e: Vec<f64>,
}

/// The result of evaluating one plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The plan.
    pub plan: Plan,
    /// Layers of each pipeline stage.
    pub stage_layers: Vec<u32>,
    /// KV-cache capacity of one replica, tokens.
    pub kv_capacity_tokens: u64,
    /// Metrics.
    pub metrics: Metrics,
    /// Per-request latencies (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<Samples>,
}

/// Peak ops/s of one device for the model's matrix products.
fn matmul_peak(cluster: &Cluster, quant: &QuantScheme) -> f64 {
    let d = &cluster.device;
    let p = match d.kind {
        DeviceKind::Gpu => quant.gpu_matmul_precision(quant.weight_bits),
        DeviceKind::Fpga => quant.native_precision(quant.weight_bits),
    };
    d.peak_at(p).map_or(d.vector_ops.value, |(_, v)| v.value)
}

/// Simulates `plan` on `requests` (sorted by arrival).
pub fn evaluate(
    setup: &Setup,
    plan: &Plan,
    requests: &[Request],
) -> Result<Evaluation, ClusterError> {
    if requests.is_empty() {
        return Err(ClusterError::EmptyTrace {
            file: "(workload)".into(),
        });
    }
    let cluster = setup.cluster;
    validate(plan, setup.spec, cluster.devices)?;
    let per = plan.replica_devices();
    // Replicas with the same link layout share one cost model (and its cache).
    let mut models: HashMap<Vec<String>, ReplicaModel> = HashMap::new();
    let mut layout_of = Vec::with_capacity(plan.dp as usize);
    for r in 0..plan.dp {
        let first = r * per;
        let mut key = vec![cluster.group_link(first, plan.tp, 1).name.clone()];
        key.extend((0..plan.pp.saturating_sub(1)).map(|s| {
            cluster
                .link_between(first + s * plan.tp, first + (s + 1) * plan.tp)
                .name
                .clone()
        }));
        if !models.contains_key(&key) {
            let m = ReplicaModel::new(
                setup.spec,
                setup.quant,
                plan,
                cluster,
                setup.provider,
                &setup.serve,
                first,
            )
            .map_err(|e| rename_plan(e, plan))?;
            models.insert(key.clone(), m);
        }
        layout_of.push(key);
    }
    let n = requests.len();
    let mut first_token = vec![None; n];
    let mut done = vec![0.0; n];
    let mut preempted = vec![false; n];
    let mut tbt = Histogram::default();
    let mut busy = Cost::default();
    let mut busy_device_s = 0.0;
    let mut iterations = 0;
    let mut peak_kv = 0u64;
    let mut end = 0.0f64;
    let mut absorb = |o: Outcome, first_token: &mut Vec<Option<f64>>, done: &mut Vec<f64>| {
        for Record {
            id,
            first_token_s,
            done_s,
            preemptions,
        } in o.records
        {
            let i = id as usize;
            if first_token[i].is_none() {
                first_token[i] = first_token_s;
            }
            done[i] = done_s;
            preempted[i] |= preemptions > 0;
        }
        tbt.merge(&o.tbt);
        busy += o.busy;
        busy_device_s += o.busy_device_s;
        iterations += o.iterations;
        peak_kv = peak_kv.max(o.peak_kv_tokens);
        end = end.max(o.end_s);
    };
    let arrival = |r: &Request| Arrival {
        id: r.id,
        at_s: r.arrival_s,
        prompt: r.prompt,
        output: r.output,
        generated: 0,
        last_token_s: r.arrival_s,
    };
    let run = |models: &mut HashMap<Vec<String>, ReplicaModel>,
               replica: u32,
               mode: Mode,
               arrivals: &[Arrival]|
     -> Result<Outcome, ClusterError> {
        let m = models
            .get_mut(&layout_of[replica as usize])
            .ok_or_else(|| ClusterError::Internal("missing replica model".into()))?;
        simulate(m, &setup.serve, plan.batching, mode, arrivals).map_err(|e| rename_plan(e, plan))
    };
    match plan.prefill_replicas {
        None => {
            for r in 0..plan.dp {
                let arrivals: Vec<Arrival> = requests
                    .iter()
                    .skip(r as usize)
                    .step_by(plan.dp as usize)
                    .map(arrival)
                    .collect();
                let o = run(&mut models, r, Mode::Full, &arrivals)?;
                absorb(o, &mut first_token, &mut done);
            }
        }
        Some(pf) => {
            for r in 0..pf {
                let arrivals: Vec<Arrival> = requests
                    .iter()
                    .skip(r as usize)
                    .step_by(pf as usize)
                    .map(arrival)
                    .collect();
                let o = run(&mut models, r, Mode::PrefillOnly, &arrivals)?;
                absorb(o, &mut first_token, &mut done);
            }
            // Hand-offs, in time order, round robin over the decode replicas.
            let model = models
                .values()
                .next()
                .ok_or_else(|| ClusterError::Internal("no replica model".into()))?;
            let link = cluster.link_between(0, pf * per);
            let mut handoffs: Vec<(f64, usize)> = requests
                .iter()
                .filter(|r| r.output > 1)
                .map(|r| {
                    let i = r.id as usize;
                    let bytes = model.kv_bytes_replica(r.prompt as u64) / per as f64;
                    (done[i] + p2p(bytes, link), i)
                })
                .collect();
            handoffs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let decoders = plan.dp - pf;
            for d in 0..decoders {
                let arrivals: Vec<Arrival> = handoffs
                    .iter()
                    .skip(d as usize)
                    .step_by(decoders as usize)
                    .map(|&(t, i)| {
                        let r = &requests[i];
                        Arrival {
                            id: r.id,
                            at_s: t,
                            prompt: r.prompt,
                            output: r.output,
                            generated: 1,
                            last_token_s: first_token[i].unwrap_or(t),
                        }
                    })
                    .collect();
                let o = run(&mut models, pf + d, Mode::Full, &arrivals)?;
                absorb(o, &mut first_token, &mut done);
            }
        }
    }
    let any_model = models
        .values()
        .next()
        .ok_or_else(|| ClusterError::Internal("no replica model".into()))?;
    let stage_layers = any_model.stage_layers.clone();
    let kv_capacity_tokens = any_model.kv_capacity_tokens;
    let weight_max = any_model.weight_bytes.iter().copied().fold(0.0, f64::max);
    let kv_tok_max = any_model
        .kv_bytes_per_token
        .iter()
        .copied()
        .fold(0.0, f64::max);
    let activation = any_model.activation_bytes;
    // Per-request latencies.
    let mut s = Samples::default();
    let (mut ok_ttft, mut ok_tpot, mut ok_both) = (0u32, 0u32, 0u32);
    let mut tokens = 0u64;
    for (i, r) in requests.iter().enumerate() {
        let ft = first_token[i].unwrap_or(done[i]);
        let ttft = ft - r.arrival_s;
        let tpot = if r.output > 1 {
            (done[i] - ft) / (r.output - 1) as f64
        } else {
            0.0
        };
        s.ttft.push(ttft);
        if r.output > 1 {
            s.tpot.push(tpot);
        }
        s.e2e.push(done[i] - r.arrival_s);
        tokens += r.output as u64;
        let a = setup.slo.ttft_s.is_none_or(|t| ttft <= t);
        let b = setup.slo.tpot_s.is_none_or(|t| tpot <= t);
        ok_ttft += a as u32;
        ok_tpot += b as u32;
        ok_both += (a && b) as u32;
    }
    let devices = cluster.devices as f64;
    let makespan = (end - requests[0].arrival_s).max(f64::MIN_POSITIVE);
    let idle = (devices * makespan - busy_device_s).max(0.0);
    let energy = busy.energy_j + idle * any_model.static_w();
    let price = setup
        .price_per_hour
        .or(cluster.device.price_per_hour.as_ref().map(|v| v.value));
    let nreq = n as f64;
    let metrics = Metrics {
        requests: n as u32,
        output_tokens: tokens,
        ttft: Stats::of(&s.ttft),
        tpot: Stats::of(&s.tpot),
        tbt: tbt.stats(),
        e2e: Stats::of(&s.e2e),
        makespan_s: makespan,
        tokens_per_s: tokens as f64 / makespan,
        requests_per_s: nreq / makespan,
        slo_ttft: ok_ttft as f64 / nreq,
        slo_tpot: ok_tpot as f64 / nreq,
        slo_both: ok_both as f64 / nreq,
        mfu: busy.flops / (devices * matmul_peak(cluster, setup.quant) * makespan),
        bandwidth_util: busy.bytes / (devices * cluster.device.memory.bandwidth.value * makespan),
        weight_bytes_per_device: weight_max,
        kv_bytes_per_device: ((peak_kv * plan.pp as u64).min(kv_capacity_tokens)) as f64
            * kv_tok_max,
        activation_bytes_per_device: activation,
        energy_j: energy,
        j_per_token: energy / tokens.max(1) as f64,
        usd_per_mtok: price.map(|p| p * devices * makespan / 3600.0 / tokens.max(1) as f64 * 1e6),
        preempted: preempted.iter().filter(|p| **p).count() as u32,
        iterations,
    };
    Ok(Evaluation {
        plan: plan.clone(),
        stage_layers,
        kv_capacity_tokens,
        metrics,
        samples: setup.keep_samples.then_some(s),
    })
}

/// Names the plan in an invalid-plan error raised below it.
fn rename_plan(e: ClusterError, plan: &Plan) -> ClusterError {
    match e {
        ClusterError::InvalidPlan { problems, .. } => ClusterError::InvalidPlan {
            plan: plan.to_string(),
            problems,
        },
        other => other,
    }
}
