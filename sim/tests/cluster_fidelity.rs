//! Fidelity of the cluster simulator on cases worked out by hand, with a
//! test op-cost provider whose numbers are easy to add up: every op costs
//! 1 µs, and a matrix product 10 ns more per row (`m`).
//!
//! GPT-2 small has 12 layers of 11 ops (attn_norm, qkv_proj, kv_write,
//! flash, o_proj, attn_residual, mlp_norm, up_proj, gelu, down_proj,
//! mlp_residual; 4 of them linear), plus embed, final_norm and lm_head. So
//! one layer over `T` tokens costs `11 + 4·0.01·T` µs, and an iteration
//! `12·(11 + 0.04·T) + 1 + 1 + (1 + 0.01·n)` µs for `n` sequences emitting.

use llmfab_models::graph::OpKind;
use llmfab_models::{ModelSpec, QuantScheme};
use llmfab_sim::cluster::request::Request;
use llmfab_sim::cluster::search::{search, Objective, ShardSpec};
use llmfab_sim::cluster::{
    evaluate, report, Batching, Cluster, ClusterError, LinkSpec, OpCost, OpCostProvider, OpQuery,
    Plan, ServeConfig, Setup, Slo,
};

struct UnitCost;

impl OpCostProvider for UnitCost {
    fn name(&self) -> String {
        "unit".into()
    }
    fn op_cost(&self, q: &OpQuery) -> Result<OpCost, ClusterError> {
        let m = match (&q.op.kind, q.work.gemm) {
            (OpKind::Linear { .. }, Some(g)) => g.m as f64,
            _ => 0.0,
        };
        Ok(OpCost {
            time_s: 1e-6 + 1e-8 * m,
            energy_j: 0.0,
            extrapolated: false,
        })
    }
}

fn gpt2() -> ModelSpec {
    llmfab_models::zoo::get("gpt2").unwrap()
}

fn cluster(n: u32, link: Option<LinkSpec>) -> Cluster {
    let dev = llmfab_models::catalog::lookup("h100-sxm").unwrap();
    let mut c = Cluster::new(dev, n, None, None, None).unwrap();
    if let Some(l) = link {
        c.intra = l.clone();
        c.inter = l;
    }
    c
}

fn free_link() -> LinkSpec {
    LinkSpec {
        name: "ideal".into(),
        bandwidth: f64::INFINITY,
        latency: 0.0,
        source: "test".into(),
    }
}

fn req(id: u32, at: f64, prompt: u32, output: u32) -> Request {
    Request {
        id,
        arrival_s: at,
        prompt,
        output,
        name: String::new(),
    }
}

fn plan(dp: u32, tp: u32, pp: u32) -> Plan {
    Plan {
        dp,
        tp,
        pp,
        ep: 1,
        batching: Batching::Continuous,
        prefill_replicas: None,
    }
}

fn setup<'a>(
    spec: &'a ModelSpec,
    q: &'a QuantScheme,
    c: &'a Cluster,
    p: &'a dyn OpCostProvider,
) -> Setup<'a> {
    Setup {
        spec,
        quant: q,
        cluster: c,
        provider: p,
        serve: ServeConfig::default(),
        slo: Slo::default(),
        price_per_hour: None,
        keep_samples: true,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-6)
}

#[test]
fn one_request_on_one_device() {
    let (spec, q) = (gpt2(), QuantScheme::parse("fp16").unwrap());
    let c = cluster(1, None);
    let s = setup(&spec, &q, &c, &UnitCost);
    let ev = evaluate(&s, &plan(1, 1, 1), &[req(0, 0.0, 100, 10)]).unwrap();
    let m = &ev.metrics;
    // Prefill of 100 tokens: 12·(11 + 4) + 1 + 1 + 1.01 = 183.01 µs.
    assert!(close(m.ttft.p50, 183.01e-6), "{}", m.ttft.p50);
    // Each decode: 12·(11 + 0.04) + 3.01 = 135.49 µs.
    assert!(close(m.tpot.p50, 135.49e-6), "{}", m.tpot.p50);
    assert!(close(m.tbt.p99, 135.49e-6), "{}", m.tbt.p99);
    assert!(close(m.e2e.p50, 183.01e-6 + 9.0 * 135.49e-6));
    assert_eq!((m.output_tokens, m.iterations, m.preempted), (10, 10, 0));
}

#[test]
fn pure_decode_at_fixed_batch() {
    let (spec, q) = (gpt2(), QuantScheme::parse("fp16").unwrap());
    let c = cluster(1, None);
    let s = setup(&spec, &q, &c, &UnitCost);
    let reqs: Vec<Request> = (0..8).map(|i| req(i, 0.0, 16, 20)).collect();
    let ev = evaluate(&s, &plan(1, 1, 1), &reqs).unwrap();
    let m = &ev.metrics;
    // One prefill of 128 tokens (one attention kernel for the 8 prompts):
    // 12·(11 + 5.12) + 2 + 1.08 = 196.52 µs; then
    // 19 decodes of batch 8: 12·(11 + 0.32) + 2 + 1.08 = 138.92 µs each.
    let (prefill, decode) = (196.52e-6, 138.92e-6);
    assert!(close(m.ttft.max, prefill), "{}", m.ttft.max);
    for v in [m.tpot.mean, m.tpot.p99, m.tbt.p50, m.tbt.p99] {
        assert!(close(v, decode), "{v}");
    }
    assert!(close(m.makespan_s, prefill + 19.0 * decode));
    assert!(close(m.tokens_per_s, 160.0 / (prefill + 19.0 * decode)));
}

#[test]
fn pipeline_with_known_bubbles() {
    let (spec, q) = (gpt2(), QuantScheme::parse("fp16").unwrap());
    let c = cluster(2, Some(free_link()));
    let s = setup(&spec, &q, &c, &UnitCost);
    let ev = evaluate(
        &s,
        &plan(1, 1, 2),
        &[req(0, 0.0, 100, 1), req(1, 0.0, 100, 1)],
    )
    .unwrap();
    assert_eq!(ev.stage_layers, vec![6, 6]);
    // Stage 0: 6·15 + 1 (embed) = 91 µs; stage 1: 6·15 + 2.01 = 92.01 µs.
    // Engine 0: stage 0 [0, 91], stage 1 [91, 183.01].
    // Engine 1 waits for stage 0: [91, 182]; stage 1 is busy until 183.01:
    // [183.01, 275.02]. Sequential would end at 366.02.
    let s = ev.samples.unwrap();
    assert!(close(s.ttft[0], 183.01e-6), "{:?}", s.ttft);
    assert!(close(s.ttft[1], 275.02e-6), "{:?}", s.ttft);
    assert!(close(ev.metrics.makespan_s, 275.02e-6));
}

#[test]
fn tensor_parallel_all_reduce_by_formula() {
    let (spec, q) = (gpt2(), QuantScheme::parse("fp16").unwrap());
    let link = LinkSpec {
        name: "t".into(),
        bandwidth: 1e9,
        latency: 1e-6,
        source: "test".into(),
    };
    let c = cluster(2, Some(link));
    let s = setup(&spec, &q, &c, &UnitCost);
    let ev = evaluate(&s, &plan(1, 2, 1), &[req(0, 0.0, 100, 1)]).unwrap();
    // Two ring all-reduces of 100 x 768 fp16 activations over 2 ranks per layer:
    // 2 · (2·(1/2)·153600 B / 1 GB/s + 2·1·1 µs) = 311.2 µs.
    let expect = 12.0 * (15.0 + 311.2) * 1e-6 + 3.01e-6;
    assert!(
        close(ev.metrics.ttft.p50, expect),
        "{} vs {expect}",
        ev.metrics.ttft.p50
    );
}

#[test]
fn bad_plans_and_workloads_are_clear_errors() {
    let spec = llmfab_models::zoo::get("llama-3-70b").unwrap();
    let q = QuantScheme::parse("fp16").unwrap();
    let c = cluster(1, None);
    let s = setup(&spec, &q, &c, &UnitCost);
    let e = evaluate(&s, &plan(1, 1, 1), &[req(0, 0.0, 10, 10)]).unwrap_err();
    assert!(
        matches!(e, ClusterError::InvalidPlan { .. }) && e.to_string().contains("exceed"),
        "{e}"
    );
    let c3 = cluster(3, None);
    let s = setup(&spec, &q, &c3, &UnitCost);
    let e = evaluate(&s, &plan(1, 3, 1), &[req(0, 0.0, 10, 10)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not divide the 64 attention heads"), "{e}");
    let e = evaluate(&s, &plan(1, 1, 3), &[]).unwrap_err();
    assert!(matches!(e, ClusterError::EmptyTrace { .. }));
    // A request longer than the KV cache can hold.
    let (g, c1) = (gpt2(), cluster(1, None));
    let mut st = setup(&g, &q, &c1, &UnitCost);
    st.serve.mem_util = 0.0065; // ~560 MB: weights and activations leave room for ~2,500 tokens
    let e = evaluate(&st, &plan(1, 1, 1), &[req(0, 0.0, 100_000, 10)]).unwrap_err();
    assert!(e.to_string().contains("KV tokens"), "{e}");
}

#[test]
fn preemption_by_recompute_when_the_cache_fills() {
    let (spec, q) = (gpt2(), QuantScheme::parse("fp16").unwrap());
    let c = cluster(1, None);
    let mut s = setup(&spec, &q, &c, &UnitCost);
    s.serve.mem_util = 0.0065;
    let reqs: Vec<Request> = (0..40).map(|i| req(i, 0.0, 200, 400)).collect();
    let ev = evaluate(&s, &plan(1, 1, 1), &reqs).unwrap();
    assert!(
        ev.kv_capacity_tokens < 40 * 600,
        "{}",
        ev.kv_capacity_tokens
    );
    assert!(ev.metrics.preempted > 0, "{:?}", ev.metrics);
    assert_eq!(ev.metrics.output_tokens, 40 * 400);
}

#[test]
fn shards_merge_to_the_unsharded_csv() {
    let (spec, q) = (gpt2(), QuantScheme::parse("fp16").unwrap());
    let dev = llmfab_models::catalog::lookup("h100-sxm").unwrap();
    let c = cluster(4, None);
    let prov = llmfab_sim::cluster::AnalyzerCost::new(dev, q.clone(), None);
    let mut s = setup(&spec, &q, &c, &prov);
    s.keep_samples = false;
    let reqs = llmfab_sim::cluster::Synthetic::parse("20,60", 1, 1024)
        .unwrap()
        .generate();
    let (plans, _) = llmfab_sim::cluster::plan::enumerate(&spec, 4, &Default::default());
    let all = report::csv(&search(&s, &plans, &reqs, Objective::Throughput, 0.9, None)).unwrap();
    let parts: Vec<(String, String)> = (0..3)
        .map(|i| {
            let sh = ShardSpec { index: i, count: 3 };
            (
                format!("s{i}"),
                report::csv(&search(
                    &s,
                    &plans,
                    &reqs,
                    Objective::Throughput,
                    0.9,
                    Some(sh),
                ))
                .unwrap(),
            )
        })
        .collect();
    assert_eq!(report::merge_csv(&parts).unwrap(), all);
    assert!(all.lines().count() > 10);
}

#[test]
fn moe_and_fpga_clusters_simulate() {
    let q = QuantScheme::parse("fp16").unwrap();
    let spec = llmfab_models::zoo::get("mixtral-8x7b").unwrap();
    let c = cluster(4, None);
    let s = setup(&spec, &q, &c, &UnitCost);
    let p = Plan {
        ep: 4,
        ..plan(1, 4, 1)
    };
    let ev = evaluate(&s, &p, &[req(0, 0.0, 50, 5), req(1, 0.001, 70, 5)]).unwrap();
    assert_eq!(ev.metrics.output_tokens, 10);
    // Llama-2-7B at w4a8 on a ring of 4 U280 boards, analyzer costs.
    let spec = llmfab_models::zoo::get("llama-2-7b").unwrap();
    let q = QuantScheme::parse("w4a8").unwrap();
    let mut dev = llmfab_models::catalog::lookup("u280").unwrap();
    dev.fill_fpga_peaks().unwrap();
    let c = Cluster::new(dev.clone(), 4, None, None, None).unwrap();
    assert_eq!((c.intra.name.as_str(), c.per_node), ("qsfp", 4));
    let prov = llmfab_sim::cluster::AnalyzerCost::new(dev, q.clone(), None);
    let s = setup(&spec, &q, &c, &prov);
    let ev = evaluate(&s, &plan(1, 4, 1), &[req(0, 0.0, 128, 16)]).unwrap();
    assert!(
        ev.metrics.tpot.p50 > 0.0 && ev.metrics.tpot.p50 < 1.0,
        "{:?}",
        ev.metrics.tpot
    );
}
