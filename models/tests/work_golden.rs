//! Golden figures of the work model on hand-checkable cases.

use llmfab_models::*;

fn llama2_7b() -> ModelSpec {
    ModelSpec {
        name: "llama-2-7b".into(),
        family: Family::Llama,
        hidden: 4096,
        layers: 32,
        heads: 32,
        kv_heads: 32,
        head_dim: 128,
        intermediate: 11008,
        vocab: 32000,
        max_positions: 4096,
        norm: NormKind::RmsNorm,
        act: ActFn::Silu,
        gated_mlp: true,
        qkv_bias: false,
        linear_bias: false,
        tied_embeddings: false,
        positions: Positions::Rope { theta: 10000.0 },
        moe: None,
        source: "test".into(),
    }
}

#[test]
fn llama2_7b_fp16_decode_reads_13_2_gb_of_weights() {
    let spec = llama2_7b();
    assert_eq!(spec.param_count(), 6_738_415_616);
    let g = Graph::build(&spec, BuildOptions::default());
    let q = QuantScheme::parse("fp16").unwrap();
    let v = Bindings::decode(1, 1024);
    let w: f64 = g
        .ops()
        .map(|(id, _)| op_work(&g, id, &v, &q).weight_bytes)
        .sum();
    assert!((w / 1e9 - 13.215).abs() < 0.01, "{w}");
}
