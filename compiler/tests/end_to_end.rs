//! Compiled programs of tiny models run on the reference interpreter and
//! agree bit for bit with the graph-level golden model: every layer's
//! output, every KV row written and the logits — across engine shapes that
//! force each tiling path (channels, K-split weights, several prefill
//! blocks, KV windows shorter than the context), model variants and
//! quantization schemes.

mod common;

use common::*;
use llmfab_compiler::golden::KvCache;
use llmfab_compiler::Phase;
use llmfab_isa::EngineConfig;
use llmfab_models::spec::{ActFn, Family, ModelSpec, NormKind, Positions};
use llmfab_models::{Attention, BuildOptions};

/// Prefill `seq` tokens, then two decode steps, comparing everything.
fn check(
    spec: ModelSpec,
    quant: &str,
    cfg: impl Fn(&llmfab_compiler::EngineQuant) -> EngineConfig,
    seq: u64,
    bo: BuildOptions,
) {
    let phases = [
        Phase::prefill(seq),
        Phase::decode(seq + 1),
        Phase::decode(seq + 2),
    ];
    let b = build(spec, quant, cfg, &phases, bo);
    let mut m = b.machine();
    let mut cache = KvCache::default();
    b.run_and_compare(&mut m, &phases[0], &b.input(seq, 1), &mut cache);
    b.run_and_compare(&mut m, &phases[1], &b.input(1, 2), &mut cache);
    b.run_and_compare(&mut m, &phases[2], &b.input(1, 3), &mut cache);
}

#[test]
fn gqa_one_channel() {
    check(
        tiny_llama(2, 2),
        "w4a8",
        |eq| small_engine(eq, 1),
        8,
        BuildOptions::default(),
    );
}

#[test]
fn mha_four_channels() {
    check(
        tiny_llama(2, 4),
        "w4a8",
        |eq| EngineConfig {
            cols: 32,
            wbuf_bytes: 64 * 128,
            ..small_engine(eq, 4)
        },
        8,
        BuildOptions::default(),
    );
}

#[test]
fn mqa_two_channels_odd_prompt() {
    check(
        tiny_llama(1, 1),
        "w4a8",
        |eq| small_engine(eq, 2),
        7,
        BuildOptions::default(),
    );
}

#[test]
fn k_split_weights() {
    // A weight slot of 4 rows holds a 16-column unit of only 16 of the 64
    // reduction rows: every linear accumulates over K chunks.
    let cfg = |eq: &llmfab_compiler::EngineQuant| EngineConfig {
        wbuf_bytes: 8 * 64,
        ..small_engine(eq, 1)
    };
    let b = build(
        tiny_llama(1, 2),
        "w4a8g8",
        cfg,
        &[Phase::prefill(6)],
        BuildOptions::default(),
    );
    assert!(b
        .pre
        .tiling
        .linears
        .iter()
        .flatten()
        .all(|t| t.k_split && t.chunks.iter().all(|c| c.kc <= 16)));
    check(tiny_llama(1, 2), "w4a8g8", cfg, 6, BuildOptions::default());
}

#[test]
fn several_prefill_blocks_and_kv_windows() {
    // ABUF for 4 tokens per block; KV windows of 16 positions over 21.
    let cfg = |eq: &llmfab_compiler::EngineQuant| EngineConfig {
        abuf_bytes: 4096,
        kvbuf_bytes: 32 * (2 * 16 + 4 * 16),
        ..small_engine(eq, 1)
    };
    let b = build(
        tiny_llama(2, 2),
        "w4a8",
        cfg,
        &[Phase::prefill(19), Phase::decode(21)],
        BuildOptions::default(),
    );
    let pre = b.lower(&Phase::prefill(19));
    assert!(
        pre.layout.blocks >= 3 && pre.layout.kv_chunk == 16,
        "{:?}",
        (pre.layout.mb, pre.layout.kv_chunk)
    );
    assert!(b.lower(&Phase::decode(21)).layout.kv_chunk < 21);
    check(tiny_llama(2, 2), "w4a8", cfg, 19, BuildOptions::default());
}

#[test]
fn odd_sizes_and_tied_embeddings() {
    let spec = ModelSpec {
        intermediate: 84,
        vocab: 90,
        tied_embeddings: true,
        ..tiny_llama(2, 2)
    };
    check(
        spec,
        "w4a8",
        |eq| small_engine(eq, 2),
        5,
        BuildOptions::default(),
    );
}

#[test]
fn int8_weights_kv4() {
    check(
        tiny_llama(2, 2),
        "w8a8kv4",
        |eq| small_engine(eq, 2),
        6,
        BuildOptions::default(),
    );
}

#[test]
fn int2_weights() {
    check(
        tiny_llama(1, 2),
        "w2a8kv4",
        |eq| small_engine(eq, 1),
        4,
        BuildOptions::default(),
    );
}

#[test]
fn int16_activations() {
    check(
        tiny_llama(1, 2),
        "w4a16",
        |eq| EngineConfig {
            kv_row_bytes: 32,
            ..small_engine(eq, 1)
        },
        4,
        BuildOptions::default(),
    );
}

#[test]
fn fused_projections_and_flash_attention() {
    let bo = BuildOptions {
        attention: Attention::Flash,
        fuse_qkv: true,
        fuse_gate_up: true,
    };
    check(tiny_llama(2, 2), "w4a8", |eq| small_engine(eq, 2), 6, bo);
}

#[test]
fn gpt2_style_layernorm_gelu_biases() {
    let spec = ModelSpec {
        family: Family::Gpt2,
        norm: NormKind::LayerNorm,
        act: ActFn::Gelu,
        gated_mlp: false,
        qkv_bias: true,
        linear_bias: true,
        positions: Positions::Learned,
        kv_heads: 4,
        ..tiny_llama(2, 4)
    };
    check(
        spec,
        "w8a8",
        |eq| small_engine(eq, 1),
        5,
        BuildOptions::default(),
    );
}

#[test]
fn opt_style_relu() {
    let spec = ModelSpec {
        family: Family::Opt,
        norm: NormKind::LayerNorm,
        act: ActFn::Relu,
        gated_mlp: false,
        linear_bias: true,
        positions: Positions::Learned,
        ..tiny_llama(1, 4)
    };
    check(
        spec,
        "w8a8",
        |eq| small_engine(eq, 2),
        5,
        BuildOptions::default(),
    );
}
