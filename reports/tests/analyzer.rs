//! Golden figures of the analyzer on cases that can be checked by hand, and
//! the places where LLM-Viewer is known to be wrong.

mod common;

use common::*;
use llmfab_models::estimate::Bound;
use llmfab_models::*;
use llmfab_reports::{analyze, Input, Phase, ReportError, Scenario};

#[test]
fn llama2_7b_fp16_decode_reads_13_2_gb_of_weights() {
    let r = run(&llama2_7b(), "fp16", "h100-sxm", false, 1, decode(1, 1024));
    // per layer: q,k,v,o 4*4096^2*2 + gate,up,down 3*4096*11008*2 + 2 norms;
    // plus lm_head 32000*4096*2, final norm, and one gathered embedding row
    assert_eq!(r.totals.weight_bytes, 13_214_695_424.0);
    // it is memory-bound: 13.2 GB at 3.35 TB/s is about 3.9 ms
    assert_eq!(r.totals.bound, Bound::Memory);
    assert!(
        close(r.totals.time_roofline_s, 0.00413, 0.02),
        "{}",
        r.totals.time_roofline_s
    );
    assert!(r.totals.time_estimate_s > r.totals.time_roofline_s);
    // the memory footprint stores the whole embedding table
    assert_eq!(
        r.memory.weights_bytes,
        13_214_695_424.0 - 8192.0 + 32000.0 * 4096.0 * 2.0
    );
}

#[test]
fn gqa_kv_bytes_count_kv_heads() {
    // Llama-3-8B: 32 layers, 8 KV heads of 128, fp16 cache, 8192 positions: exactly 1 GiB
    for flash in [false, true] {
        let r = run(&llama3_8b(), "fp16", "h100-sxm", flash, 1, decode(1, 8192));
        assert_eq!(r.totals.kv_read_bytes, 1_073_741_824.0, "flash={flash}");
        assert_eq!(r.memory.kv_cache_bytes, 1_073_741_824.0);
        // one new position written per layer: K and V of 8 heads
        assert_eq!(r.totals.kv_write_bytes, 32.0 * 2.0 * 8.0 * 128.0 * 2.0);
    }
    // a 4-bit cache carries one fp16 scale per 128 elements
    let r = run(
        &llama3_8b(),
        "w4a8kv4",
        "h100-sxm",
        true,
        1,
        decode(1, 8192),
    );
    assert_eq!(
        r.totals.kv_read_bytes,
        1_073_741_824.0 / 4.0 * (4.0 + 16.0 / 128.0) / 4.0
    );
}

#[test]
fn flash_and_unfused_read_the_kv_cache_once_and_differ_by_the_scores() {
    let s = llama3_8b();
    let u = run(&s, "fp16", "h100-sxm", false, 1, decode(1, 8192));
    let f = run(&s, "fp16", "h100-sxm", true, 1, decode(1, 8192));
    assert_eq!(u.totals.kv_read_bytes, f.totals.kv_read_bytes);
    // unfused: qk writes B*H*S*L scores at 16 bits, softmax reads and writes
    // them, sv reads them: 4 passes per layer
    let scores = 32.0 * 8192.0 * 2.0;
    assert_eq!(u.totals.bytes - f.totals.bytes, 4.0 * scores * 32.0);
    assert_eq!(op(&u, "decode", "layer0.attn.qk").bytes_written, scores);
}

#[test]
fn flash_attention_writes_its_output_not_the_scores_in_prefill() {
    let r = run(&llama2_7b(), "fp16", "h100-sxm", true, 1, prefill(2, 2048));
    let fl = op(&r, "prefill", "layer0.attn.flash");
    assert_eq!(fl.bytes_written, 2.0 * 2048.0 * 4096.0 * 2.0);
    assert_eq!(fl.act_bytes, 2.0 * 2048.0 * 4096.0 * 2.0, "reads Q once");
    assert_eq!(
        fl.kv_bytes,
        2.0 * 2.0 * 2048.0 * 4096.0 * 2.0,
        "reads K and V once"
    );
    // scores never leave the chip: intensity ~S/2 = 1024 ops/B, compute-bound
    assert_eq!(fl.bound, Bound::Compute);
}

#[test]
fn activation_ops_run_over_the_intermediate_width() {
    let r = run(&llama2_7b(), "fp16", "h100-sxm", false, 1, prefill(2, 512));
    let tokens = 2.0 * 512.0;
    assert_eq!(
        op(&r, "prefill", "layer0.mlp.act").ops,
        4.0 * tokens * 11008.0,
        "SiLU: 4 ops per element"
    );
    assert_eq!(op(&r, "prefill", "layer0.mlp.mul").ops, tokens * 11008.0);
    assert_eq!(
        op(&r, "prefill", "layer0.mlp.act").act_bytes,
        tokens * 11008.0 * 2.0
    );
}

#[test]
fn qk_reads_q_and_k_and_writes_the_scores() {
    let r = run(&llama3_8b(), "fp16", "h100-sxm", false, 1, prefill(1, 512));
    let qk = op(&r, "prefill", "layer0.attn.qk");
    assert_eq!(
        qk.act_bytes,
        512.0 * 32.0 * 128.0 * 2.0,
        "Q of all 32 query heads"
    );
    assert_eq!(
        qk.kv_bytes,
        512.0 * 8.0 * 128.0 * 2.0,
        "K of the 8 KV heads"
    );
    assert_eq!(qk.bytes_written, 32.0 * 512.0 * 512.0 * 2.0);
    assert_eq!(qk.ops, 2.0 * 32.0 * 512.0 * 512.0 * 128.0);
}

#[test]
fn lm_head_runs_for_the_last_prompt_token_only() {
    for seq in [128, 512] {
        let r = run(&llama2_7b(), "fp16", "h100-sxm", false, 1, prefill(2, seq));
        let h = op(&r, "prefill", "lm_head");
        assert_eq!(h.ops, 2.0 * 2.0 * 4096.0 * 32000.0, "2*b*D*V at seq {seq}");
        assert_eq!(h.bytes_written, 2.0 * 32000.0 * 2.0);
    }
}

#[test]
fn gpus_dequantize_and_fpgas_compute_natively() {
    let gpu = run(&llama2_7b(), "w4a16", "h100-sxm", false, 1, decode(1, 1024));
    let q = op(&gpu, "decode", "layer0.attn.q_proj");
    assert_eq!(q.precision.as_deref(), Some("fp16"));
    assert_eq!(q.weight_bytes, 4096.0 * 4096.0 * (4.0 + 20.0 / 128.0) / 8.0);
    let fpga = run(&llama2_7b(), "w4a8", "u280", false, 1, decode(1, 1024));
    let q = op(&fpga, "decode", "layer0.attn.q_proj");
    assert_eq!(q.precision.as_deref(), Some("int8"));
    assert_eq!(q.weight_bytes, 4096.0 * 4096.0 * (4.0 + 16.0 / 128.0) / 8.0);
    // V100 has no int8 tensor cores: w8a8 runs at fp16, and the source says so
    let v = run(&llama2_7b(), "w8a8", "v100", false, 1, decode(1, 1024));
    assert_eq!(
        op(&v, "decode", "layer0.attn.q_proj").precision.as_deref(),
        Some("fp16")
    );
    assert!(
        v.factors
            .iter()
            .any(|f| f.source.contains("int8 work runs at fp16")),
        "{:?}",
        v.factors
    );
}

#[test]
fn no_estimate_beats_the_roofline_and_every_factor_has_a_source() {
    for dev in ["h100-sxm", "v100", "mi300x", "rtx4090", "u280", "v80"] {
        for quant in ["fp16", "w4a16", "w8a8", "w4a8kv4"] {
            for sc in [prefill(2, 256), decode(8, 700), request(1, 64, 4)] {
                let r = run(&llama3_8b(), quant, dev, dev.starts_with('h'), 1, sc);
                for o in &r.ops {
                    assert!(
                        o.time_estimate_s >= o.time_roofline_s,
                        "{dev} {quant} {}: {o:?}",
                        o.name
                    );
                    assert!(o.energy_j > 0.0, "{dev} {quant} {}", o.name);
                }
                assert!(r.factors.iter().all(|f| !f.source.trim().is_empty()));
                assert!(r.device_figures.iter().all(|f| !f.source.trim().is_empty()));
            }
        }
    }
}

#[test]
fn a_request_sums_its_decode_steps_exactly() {
    let s = llama3_8b();
    let (p, g) = (100, 9);
    let r = run(&s, "w4a16", "a100-80gb", false, 1, request(4, p, g));
    let pre = run(&s, "w4a16", "a100-80gb", false, 1, prefill(4, p));
    let (mut roof, mut est, mut energy, mut kv) = (0.0, 0.0, 0.0, 0.0);
    for l in p + 1..p + g {
        let d = run(&s, "w4a16", "a100-80gb", false, 1, decode(4, l));
        roof += d.totals.time_roofline_s;
        est += d.totals.time_estimate_s;
        energy += d.totals.energy_j;
        kv += d.totals.kv_read_bytes;
    }
    let dec = &r.phases[1].totals;
    assert_eq!(r.phases[1].steps, g - 1);
    assert!(
        close(dec.time_roofline_s, roof, 1e-12),
        "{} vs {roof}",
        dec.time_roofline_s
    );
    assert!(close(dec.time_estimate_s, est, 1e-12));
    assert!(close(dec.energy_j, energy, 1e-12));
    assert!(close(dec.kv_read_bytes, kv, 1e-12));
    let q = r.request.as_ref().unwrap();
    assert!(close(q.ttft_s, pre.totals.time_estimate_s, 1e-12));
    assert!(close(q.tpot_s, est / (g - 1) as f64, 1e-12));
    assert!(close(q.total_s, q.ttft_s + est, 1e-12));
    assert_eq!(r.kv_len, p + g - 1);
    assert_eq!(r.memory.kv_cache_len, p + g - 1);
}

#[test]
fn tensor_parallel_shards_sum_back_to_the_whole_model() {
    let s = llama2_7b();
    let n = 4u32;
    for sc in [prefill(2, 256), decode(2, 512)] {
        let full = run(&s, "fp16", "h100-sxm", false, 1, sc);
        let shard = run(&s, "fp16", "h100-sxm", false, n, sc);
        let phase = full.phase.clone();
        for o in full.ops.iter() {
            let t = op(&shard, &phase, &o.name);
            // heads and MLP columns are split; norms, residual adds and the embedding lookup are replicated
            let split = matches!(
                o.kind.as_str(),
                "linear" | "attn_qk" | "softmax" | "attn_sv" | "rope" | "kv_write" | "silu" | "mul"
            );
            let k = if split { n as f64 } else { 1.0 };
            assert!(close(t.ops * k, o.ops, 1e-12), "{} ops", o.name);
            assert!(
                close(
                    (t.weight_bytes + t.kv_bytes) * k,
                    o.weight_bytes + o.kv_bytes,
                    1e-12
                ),
                "{} bytes",
                o.name
            );
        }
        // two all-reduces per layer, one after the embedding, an all-gather of the logits
        let coll: Vec<_> = shard
            .ops
            .iter()
            .filter(|o| o.kind.starts_with("all_"))
            .collect();
        assert_eq!(coll.len(), 2 * 32 + 2);
        let ar = op(&shard, &phase, "layer5.attn.all_reduce");
        let bytes = (sc.batch
            * if sc.phase == Phase::Prefill {
                sc.seq
            } else {
                1
            }) as f64
            * 4096.0
            * 2.0;
        assert_eq!(ar.link_bytes, bytes);
        // ring: 2(N-1)/N * bytes / 450 GB/s + 2(N-1) * 0.4 us
        assert!(close(
            ar.time_roofline_s,
            1.5 * bytes / 450e9 + 6.0 * 0.4e-6,
            1e-12
        ));
        assert_eq!(ar.bound, Bound::Link);
        assert_eq!(shard.link.as_deref(), Some("nvlink"));
        assert!(shard.totals.time_roofline_s < full.totals.time_roofline_s);
    }
    // weights: each device holds a quarter of the split matrices plus the replicated norms
    let full = run(&s, "fp16", "h100-sxm", false, 1, decode(1, 64));
    let shard = run(&s, "fp16", "h100-sxm", false, n, decode(1, 64));
    let norms = (2.0 * 32.0 + 1.0) * 4096.0 * 2.0;
    assert!(close(
        n as f64 * shard.memory.weights_bytes - (n as f64 - 1.0) * norms,
        full.memory.weights_bytes,
        1e-12
    ));
}

#[test]
fn tensor_parallel_degrees_that_do_not_divide_heads_are_refused_and_kv_heads_replicate() {
    let q = QuantScheme::parse("fp16").unwrap();
    let d = catalog::lookup("h100-sxm").unwrap();
    let s = llama2_7b();
    let input = Input {
        spec: &s,
        model_source: "t",
        quant: &q,
        device: &d,
        attention: Attention::Unfused,
        tp: 3,
        link: None,
        calibration: None,
    };
    match analyze(&input, &decode(1, 16)) {
        Err(ReportError::Input(m)) => assert!(m.contains("32 attention heads"), "{m}"),
        other => panic!("{other:?}"),
    }
    // more devices than KV heads: one KV head each, replicated
    let r = run(&llama3_8b(), "fp16", "h100-sxm", false, 16, decode(1, 1024));
    assert!(
        r.notes.iter().any(|n| n.contains("replicated 2x")),
        "{:?}",
        r.notes
    );
    assert_eq!(r.memory.kv_cache_bytes, 32.0 * 2.0 * 128.0 * 1024.0 * 2.0);
    // an unknown link names the ones the device has
    let input = Input {
        tp: 2,
        link: Some("infiniband"),
        ..input
    };
    let e = analyze(&input, &decode(1, 16)).unwrap_err().to_string();
    assert!(e.contains("nvlink") && e.contains("pcie5"), "{e}");
}

#[test]
fn impossible_settings_are_input_errors() {
    let q = QuantScheme::parse("fp16").unwrap();
    let d = catalog::lookup("h100-sxm").unwrap();
    let s = llama2_7b();
    let input = Input {
        spec: &s,
        model_source: "t",
        quant: &q,
        device: &d,
        attention: Attention::Unfused,
        tp: 1,
        link: None,
        calibration: None,
    };
    for sc in [
        decode(0, 16),
        decode(1, 0),
        prefill(1, 0),
        Scenario {
            gen: 0,
            ..request(1, 8, 1)
        },
    ] {
        assert!(
            matches!(analyze(&input, &sc), Err(ReportError::Input(_))),
            "{sc:?}"
        );
    }
}

#[test]
fn memory_fits_and_the_largest_batch_is_consistent() {
    let s = llama2_7b();
    let r = run(&s, "fp16", "h100-sxm", true, 1, request(1, 2048, 256));
    assert!(r.memory.fits);
    let m = r.memory.max_batch;
    assert!(m > 1);
    let at = |b: u64| run(&s, "fp16", "h100-sxm", true, 1, request(b, 2048, 256)).memory;
    assert!(at(m).fits, "max batch {m} must fit");
    assert!(!at(m + 1).fits, "max batch {m} + 1 must not fit");
    // 70B at fp16 does not fit a 24 GB card: reported, not refused
    let big = ModelSpec {
        name: "llama-2-70b".into(),
        hidden: 8192,
        layers: 80,
        heads: 64,
        kv_heads: 8,
        intermediate: 28672,
        ..s
    };
    let r = run(&big, "fp16", "rtx4090", true, 1, decode(1, 128));
    assert!(!r.memory.fits);
    assert_eq!(r.memory.max_batch, 0);
    assert!(
        r.notes.iter().any(|n| n.starts_with("does not fit")),
        "{:?}",
        r.notes
    );
}

#[test]
fn calibration_replaces_the_default_factors() {
    let text = "copy_bandwidth = 2.5e12\nkernel_overhead_s = 2e-6\n[[matmul]]\nm = 1\nn = 4096\nk = 4096\ntflops = 2.0\n[[matmul]]\nm = 256\nn = 4096\nk = 4096\ntflops = 500.0\n";
    let cal = Calibration::parse(text, "cal.toml").unwrap();
    let q = QuantScheme::parse("fp16").unwrap();
    let d = catalog::lookup("h100-sxm").unwrap();
    let s = llama2_7b();
    let input = Input {
        spec: &s,
        model_source: "t",
        quant: &q,
        device: &d,
        attention: Attention::Unfused,
        tp: 1,
        link: None,
        calibration: Some(&cal),
    };
    let r = analyze(&input, &decode(1, 1024)).unwrap();
    let names: Vec<&str> = r
        .factors
        .iter()
        .filter(|f| f.source.starts_with("calibration cal.toml"))
        .map(|f| f.name.as_str())
        .collect();
    for want in [
        "bandwidth efficiency",
        "kernel overhead (s)",
        "matmul throughput (ops/s)",
    ] {
        assert!(
            names.contains(&want),
            "{want} not from the calibration: {names:?}"
        );
    }
    // q_proj at m=1 runs at the measured 2 TFLOP/s: 33.5 MOP take 16.8 us, slower than its 2.5 TB/s memory time
    let qp = op(&r, "decode", "layer0.attn.q_proj");
    assert!(
        close(
            qp.time_estimate_s,
            2.0 * 4096.0 * 4096.0 / 2e12 + 2e-6,
            1e-9
        ),
        "{}",
        qp.time_estimate_s
    );
}

#[test]
fn moe_and_learned_position_models_analyze() {
    let mixtral = ModelSpec {
        name: "mixtral".into(),
        family: Family::Mixtral,
        intermediate: 14336,
        kv_heads: 8,
        moe: Some(MoeSpec {
            experts: 8,
            top_k: 2,
        }),
        ..llama2_7b()
    };
    let r = run(&mixtral, "w4a16", "h100-sxm", true, 2, request(2, 128, 8));
    assert!(r.ops.iter().any(|o| o.kind == "moe_linear"));
    assert!(r.ops.iter().any(|o| o.name == "layer0.moe.all_reduce"));
    let gpt2 = ModelSpec {
        name: "gpt2".into(),
        family: Family::Gpt2,
        hidden: 768,
        layers: 12,
        heads: 12,
        kv_heads: 12,
        head_dim: 64,
        intermediate: 3072,
        vocab: 50257,
        max_positions: 1024,
        norm: NormKind::LayerNorm,
        act: ActFn::Gelu,
        gated_mlp: false,
        qkv_bias: true,
        linear_bias: true,
        tied_embeddings: true,
        positions: Positions::Learned,
        moe: None,
        source: "t".into(),
    };
    let r = run(&gpt2, "fp16", "u55c", false, 1, request(1, 64, 16));
    assert!(r.totals.time_estimate_s > 0.0);
    assert_eq!(
        op(&r, "prefill", "layer0.mlp.act").ops,
        8.0 * 64.0 * 3072.0,
        "GELU over the intermediate width"
    );
}
