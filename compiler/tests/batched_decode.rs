//! A batched decode step — `B` sequences, each with its own prompt and KV
//! cache, one new token each, weights streamed once for all of them — is
//! bit for bit `B` single-sequence decode steps of the graph-level golden
//! model: every sequence's logits, every layer's output row and the KV rows
//! it writes, while the other sequences' caches stay untouched.

mod common;

use common::*;
use llmfab_compiler::golden::{self, KvCache};
use llmfab_compiler::pack::{self, KvRow};
use llmfab_compiler::Phase;
use llmfab_isa::EngineConfig;
use llmfab_models::spec::ModelSpec;
use llmfab_models::BuildOptions;

/// Prefills `batch` different prompts of `prompt` tokens (sequence 0 on the
/// machine with the compiled prefill program, the others written into
/// their cache slots from the golden model), then runs one batched decode
/// step and compares every sequence with its own golden decode step.
fn check(
    spec: ModelSpec,
    quant: &str,
    cfg: impl Fn(&llmfab_compiler::EngineQuant) -> EngineConfig,
    prompt: u64,
    batch: u64,
) -> u64 {
    let step = Phase::decode_batch(prompt + 1, batch);
    let phases = [Phase::prefill(prompt), step.clone()];
    let b = build(spec, quant, cfg, &phases, BuildOptions::default());
    let (layers, kv_heads, d) = (b.spec.layers, b.spec.kv_heads, b.spec.head_dim);
    let mut m = b.machine();
    let mut caches = Vec::new();
    for s in 0..batch {
        let mut cache = KvCache::default();
        let input = b.input(prompt, 100 + s);
        if s == 0 {
            b.run_and_compare(&mut m, &phases[0], &input, &mut cache);
        } else {
            golden::run(
                &b.graph,
                &b.pre.plan,
                &b.weights,
                10000.0,
                &input,
                0,
                &mut cache,
            );
            for l in 0..layers {
                for j in 0..kv_heads {
                    let r = (j * d) as usize..((j + 1) * d) as usize;
                    for p in 0..prompt {
                        let row = |kind| KvRow {
                            seq: s,
                            layer: l,
                            head: j,
                            kind,
                            pos: p,
                        };
                        let (ck, cv) = (&cache.k[l as usize], &cache.v[l as usize]);
                        pack::write_kv(
                            &b.cfg,
                            &b.pre,
                            &mut m.hbm,
                            row(0),
                            &ck[p as usize][r.clone()],
                        );
                        pack::write_kv(
                            &b.cfg,
                            &b.pre,
                            &mut m.hbm,
                            row(1),
                            &cv[p as usize][r.clone()],
                        );
                    }
                }
            }
        }
        caches.push(cache);
    }
    let rows = b.input(batch, 7);
    let cp = b.lower(&step);
    pack::write_input(&b.cfg, &b.pre, &mut m.hbm, &rows);
    m.run(&cp.program(&b.pre.names))
        .unwrap_or_else(|e| panic!("{}: {e}", step.name));
    let mut all_logits = Vec::new();
    for (s, cache) in caches.iter_mut().enumerate() {
        let s64 = s as u64;
        let out = golden::run(
            &b.graph,
            &b.pre.plan,
            &b.weights,
            10000.0,
            &rows[s..s + 1],
            prompt,
            cache,
        );
        let logits = pack::read_logits_of(&b.cfg, &b.pre, &m.hbm, s64);
        assert_eq!(logits, out.logits, "sequence {s}: logits differ");
        for (l, want) in out.layers.iter().enumerate() {
            let got = pack::read_debug(&b.cfg, &b.pre, &m.hbm, l as u64, batch).unwrap();
            assert_eq!(got[s], want[0], "sequence {s}: layer {l} output differs");
        }
        for l in 0..layers {
            for j in 0..kv_heads {
                let r = (j * d) as usize..((j + 1) * d) as usize;
                for kind in 0..2 {
                    let row = KvRow {
                        seq: s64,
                        layer: l,
                        head: j,
                        kind,
                        pos: prompt,
                    };
                    let want = if kind == 0 { &cache.k } else { &cache.v };
                    assert_eq!(
                        pack::read_kv(&b.cfg, &b.pre, &m.hbm, row, d),
                        want[l as usize][prompt as usize][r.clone()].to_vec(),
                        "sequence {s}: layer {l} head {j} kind {kind} at the new position"
                    );
                    // The prompt rows of this sequence are still its own.
                    let old = KvRow {
                        pos: prompt - 1,
                        ..row
                    };
                    assert_eq!(
                        pack::read_kv(&b.cfg, &b.pre, &m.hbm, old, d),
                        want[l as usize][prompt as usize - 1][r.clone()].to_vec(),
                        "sequence {s}: layer {l} head {j} kind {kind}: a prompt row was overwritten"
                    );
                }
            }
        }
        assert!(
            logits.iter().any(|v| *v != 0),
            "sequence {s}: all logits zero"
        );
        all_logits.push(logits);
    }
    for s in 1..all_logits.len() {
        assert_ne!(
            all_logits[s], all_logits[0],
            "sequences 0 and {s} gave the same logits: the test data cannot tell them apart"
        );
    }
    cp.layout.blocks
}

#[test]
fn gqa_batch_of_three_one_block() {
    let blocks = check(tiny_llama(2, 2), "w4a8", |eq| small_engine(eq, 2), 6, 3);
    assert_eq!(blocks, 1);
}

#[test]
fn mha_four_channels_kv4() {
    check(
        tiny_llama(1, 4),
        "w4a8kv4",
        |eq| EngineConfig {
            cols: 32,
            wbuf_bytes: 64 * 128,
            ..small_engine(eq, 4)
        },
        9,
        4,
    );
}

#[test]
fn batch_larger_than_a_block_and_kv_windows() {
    // ABUF for a few rows per block; KV windows of 16 positions over 21.
    let blocks = check(
        tiny_llama(2, 2),
        "w4a8",
        |eq| EngineConfig {
            abuf_bytes: 2048,
            kvbuf_bytes: 32 * (2 * 16 + 4 * 16),
            ..small_engine(eq, 1)
        },
        20,
        7,
    );
    assert!(
        blocks >= 2,
        "{blocks} block(s): the test should span several"
    );
}

#[test]
fn a_batch_of_prefills_is_refused() {
    let b = build(
        tiny_llama(1, 2),
        "w4a8",
        |eq| small_engine(eq, 1),
        &[Phase::prefill(4), Phase::decode_batch(5, 2)],
        BuildOptions::default(),
    );
    let bad = Phase {
        batch: 2,
        ..Phase::prefill(4)
    };
    let e = llmfab_compiler::lower::lower_phase(&b.pre, &b.graph, &b.cfg, &bad, &b.opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("decode steps"), "{e}");
    let too_many = Phase::decode_batch(5, 3);
    let e = llmfab_compiler::lower::lower_phase(&b.pre, &b.graph, &b.cfg, &too_many, &b.opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not among the phases"), "{e}");
}
