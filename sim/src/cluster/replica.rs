//! Discrete-event simulation of one replica serving its requests.
//!
//! With `pp` pipeline stages the replica runs `pp` virtual engines (as
//! vLLM does): each has its own scheduler, its share of the KV cache and
//! at most one iteration in flight; an iteration passes the stages in order
//! and waits for a stage that is busy with another engine's batch. Pipeline
//! bubbles — stages idle because the batches ahead are shorter, fewer than
//! `pp` engines have work, or stages are unbalanced — follow from that.
//! New requests go to the engine with the fewest requests.

use super::error::ClusterError;
use super::metrics::Histogram;
use super::model::{Cost, ReplicaModel, ServeConfig};
use super::plan::Batching;
use super::scheduler::{schedule, Engine, ReqState, Step};

/// What a replica does with its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Prefill and decode.
    Full,
    /// Prefill only: a request leaves after its first token (disaggregation).
    PrefillOnly,
}

/// One request as a replica receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrival {
    /// Index in the workload.
    pub id: u32,
    /// When it reaches this replica, seconds.
    pub at_s: f64,
    /// Prompt tokens.
    pub prompt: u32,
    /// Output tokens.
    pub output: u32,
    /// Tokens already generated elsewhere (1 after a disaggregated prefill).
    pub generated: u32,
    /// Time of its last token so far (the first token, after a disaggregated prefill).
    pub last_token_s: f64,
}

/// What happened to one request on this replica.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Index in the workload.
    pub id: u32,
    /// First token produced here, if any.
    pub first_token_s: Option<f64>,
    /// When it left (finished, or handed off after prefill).
    pub done_s: f64,
    /// Times it was preempted.
    pub preemptions: u32,
}

/// Totals of one replica's run.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Per-request records, in workload order.
    pub records: Vec<Record>,
    /// Time between tokens.
    pub tbt: Histogram,
    /// Sum over iterations and stages of one device's cost × devices per stage.
    pub busy: Cost,
    /// Device-seconds busy (stage time × TP degree).
    pub busy_device_s: f64,
    /// Iterations run.
    pub iterations: u64,
    /// Largest number of KV tokens in use in one engine at once.
    pub peak_kv_tokens: u64,
    /// Last token (or hand-off) time.
    pub end_s: f64,
}

/// Simulates one replica over its arrivals (sorted by time).
pub fn simulate(
    model: &mut ReplicaModel,
    serve: &ServeConfig,
    batching: Batching,
    mode: Mode,
    arrivals: &[Arrival],
) -> Result<Outcome, ClusterError> {
    let pp = model.stages();
    let engines_n = pp.max(1);
    let per_engine_blocks =
        (model.kv_capacity_tokens / serve.block_size.max(1) as u64 / engines_n as u64) as u32;
    let cap_tokens = per_engine_blocks as u64 * serve.block_size as u64;
    if let Some(a) = arrivals
        .iter()
        .find(|a| (a.prompt + a.output) as u64 > cap_tokens)
    {
        return Err(ClusterError::InvalidPlan {
            plan: "(this plan)".into(),
            problems: vec![format!(
                "request {} needs {} KV tokens but an engine holds {cap_tokens} (KV capacity {} tokens over {engines_n} pipeline engines)",
                a.id,
                a.prompt + a.output,
                model.kv_capacity_tokens
            )],
        });
    }
    let mut states: Vec<ReqState> = arrivals
        .iter()
        .map(|a| {
            ReqState::new(
                a.id,
                a.prompt,
                if mode == Mode::PrefillOnly {
                    1
                } else {
                    a.output
                },
                a.generated,
                a.at_s,
                a.last_token_s,
            )
        })
        .collect();
    let mut engines: Vec<Engine> = (0..engines_n)
        .map(|_| Engine::new(per_engine_blocks))
        .collect();
    let mut stage_free = vec![0.0f64; pp];
    let mut out = Outcome::default();
    let mut next = 0usize;
    loop {
        // Engine with work that can start first, and the next arrival.
        let ready = engines
            .iter()
            .enumerate()
            .filter(|(_, e)| e.has_work())
            .min_by(|a, b| a.1.ready_s.total_cmp(&b.1.ready_s).then(a.0.cmp(&b.0)))
            .map(|(i, e)| (i, e.ready_s));
        let arrival_t = arrivals.get(next).map(|a| a.at_s);
        let dispatch = match (ready, arrival_t) {
            (None, None) => break,
            (None, Some(_)) => true,
            (Some((_, r)), Some(ta)) => ta <= r,
            (Some(_), None) => false,
        };
        if dispatch {
            let ta = arrival_t.unwrap_or(0.0);
            let v = (0..engines_n)
                .min_by_key(|&i| (engines[i].load(), i))
                .unwrap_or(0);
            let e = &mut engines[v];
            if !e.has_work() {
                e.ready_s = e.ready_s.max(ta);
            }
            e.waiting.push_back(next);
            next += 1;
            continue;
        }
        let Some((v, start)) = ready else { break };
        let Some(Step { shape, emit }) = schedule(&mut engines[v], &mut states, serve, batching)?
        else {
            return Err(ClusterError::Internal(
                "scheduler made no progress with work queued".into(),
            ));
        };
        let costs = model.stage_costs(&shape)?;
        let mut t = start;
        for (s, c) in costs.iter().enumerate() {
            let begin = t.max(stage_free[s]);
            let end = begin + c.time_s;
            stage_free[s] = end;
            t = end
                + if s + 1 < pp {
                    model.p2p_time(s, shape.tokens)
                } else {
                    0.0
                };
            out.busy += *c * model.tp as f64;
            out.busy_device_s += c.time_s * model.tp as f64;
        }
        out.iterations += 1;
        let e = &mut engines[v];
        e.ready_s = t;
        out.peak_kv_tokens = out
            .peak_kv_tokens
            .max(e.used_blocks() as u64 * serve.block_size as u64);
        for i in emit {
            let r = &mut states[i];
            if r.generated > 0 {
                out.tbt.add(t - r.last_token_s);
            } else {
                r.first_token_s = Some(t);
            }
            r.generated += 1;
            r.last_token_s = t;
            if r.generated >= r.output {
                r.done_s = Some(t);
                e.finish(i, &mut states);
            }
        }
        out.end_s = out.end_s.max(t);
    }
    out.records = states
        .into_iter()
        .map(|r| Record {
            id: r.id,
            first_token_s: r.first_token_s,
            done_s: r.done_s.unwrap_or(r.last_token_s),
            preemptions: r.preemptions,
        })
        .collect();
    Ok(out)
}
