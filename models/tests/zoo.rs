//! Every zoo entry: imports, matches its published parameter count, builds a
//! graph whose text form parses back identically, and exports to Graphviz.

use llmfab_models::dot::{to_dot, DotOptions};
use llmfab_models::*;

/// Published (or exactly derivable) parameter counts.
const PARAMS: &[(&str, u64)] = &[
    ("llama-2-7b", 6_738_415_616),
    ("llama-2-13b", 13_015_864_320),
    ("llama-2-70b", 68_976_648_192),
    ("llama-3-8b", 8_030_261_248),
    ("llama-3-70b", 70_553_706_496),
    ("llama-3.1-8b", 8_030_261_248),
    ("llama-3.1-70b", 70_553_706_496),
    ("mistral-7b", 7_241_732_096),
    ("mixtral-8x7b", 46_702_792_704),
    ("qwen2.5-7b", 7_615_616_512),
    ("qwen2.5-72b", 72_706_203_648),
    ("opt-6.7b", 6_658_473_984),
    ("opt-66b", 65_719_701_504),
    ("gpt2", 124_439_808),
    ("gpt2-medium", 354_823_168),
    ("gpt2-xl", 1_557_611_200),
];

#[test]
fn every_zoo_entry_has_its_published_parameter_count() {
    assert_eq!(zoo::ZOO.len(), PARAMS.len());
    for (name, want) in PARAMS {
        let spec = zoo::get(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(spec.param_count(), *want, "{name}");
        assert_eq!(spec.name, *name);
        assert!(spec.source.contains("config.json"), "{}", spec.source);
    }
}

/// Every option combination the builder offers.
fn variants() -> Vec<BuildOptions> {
    let mut v = Vec::new();
    for attention in [Attention::Unfused, Attention::Flash] {
        for fuse in [false, true] {
            v.push(BuildOptions {
                attention,
                fuse_qkv: fuse,
                fuse_gate_up: fuse,
            });
        }
    }
    v
}

#[test]
fn every_zoo_graph_round_trips_through_its_text_form() {
    for e in zoo::ZOO {
        let spec = e.spec().unwrap();
        for opts in variants() {
            let g = Graph::build(&spec, opts);
            let text = text::print(&g);
            let back = text::parse(&text, e.name).unwrap_or_else(|err| panic!("{}: {err}", e.name));
            assert!(back == g, "{} {opts:?}: parsed graph differs", e.name);
            assert_eq!(text::print(&back), text, "{}", e.name);
            assert_eq!(back.len(), g.len());
        }
    }
}

#[test]
fn zoo_graphs_have_the_expected_structure() {
    let g = Graph::build(&zoo::get("llama-2-7b").unwrap(), BuildOptions::default());
    let text = text::print(&g);
    let q = text
        .lines()
        .find(|l| l.ends_with("\"layer0.attn.q_proj\""))
        .unwrap();
    assert_eq!(q, "%2 = linear[role=q,k=4096,n=4096,bias=false] (%1) : [B*S,4096] @layer0 \"layer0.attn.q_proj\"");
    assert_eq!(g.layer_count(), 32);
    let mixtral = Graph::build(&zoo::get("mixtral-8x7b").unwrap(), BuildOptions::default());
    assert!(mixtral.find("layer31.moe.down_proj").is_some());
    let gpt2 = Graph::build(&zoo::get("gpt2").unwrap(), BuildOptions::default());
    assert!(gpt2.find("layer0.attn.qkv_proj").is_some());
    assert!(gpt2.tied_embeddings());
    let opt = zoo::get("opt-6.7b").unwrap();
    assert_eq!(opt.position_rows(), 2050);
    let og = Graph::build(&opt, BuildOptions::default());
    assert!(matches!(
        og.op(og.find("embed").unwrap()).kind,
        OpKind::Embedding {
            positions: 2050,
            ..
        }
    ));
}

#[test]
fn zoo_graphs_export_to_graphviz() {
    let g = Graph::build(&zoo::get("gpt2").unwrap(), BuildOptions::default());
    let dot = to_dot(&g, DotOptions::default());
    assert!(dot.starts_with("digraph llmfab {"));
    assert!(dot.trim_end().ends_with('}'));
    assert!(dot.contains("subgraph cluster_layer11 {"));
    assert!(dot.contains("label=\"layer0.attn.qkv_proj\\nlinear 768x2304\""));
    assert!(dot.contains("[label=\"[B*S,768]\"]"));
    let edges = dot.lines().filter(|l| l.contains(" -> ")).count();
    let want: usize = g.ops().map(|(id, _)| g.inputs(id).len()).sum();
    assert_eq!(edges, want);
    let flat = to_dot(&g, DotOptions { clusters: false });
    assert!(!flat.contains("subgraph"));
    // Deterministic.
    assert_eq!(dot, to_dot(&g, DotOptions::default()));
}

#[test]
fn zoo_lookup_is_case_insensitive_and_suggests_names() {
    assert_eq!(zoo::get("Llama-2-7B").unwrap().name, "llama-2-7b");
    assert_eq!(zoo::get("GPT2-small").unwrap().name, "gpt2");
    assert_eq!(zoo::get(" Qwen2.5-72B ").unwrap().hidden, 8192);
    let err = zoo::get("lama-2-7b").unwrap_err();
    match &err {
        ModelError::Unknown { suggestions, .. } => assert_eq!(suggestions[0], "llama-2-7b"),
        other => panic!("{other}"),
    }
    assert!(
        err.to_string().contains("did you mean: llama-2-7b"),
        "{err}"
    );
}

#[test]
fn zoo_hyper_parameters_are_the_official_ones() {
    let s = zoo::get("llama-2-70b").unwrap();
    assert_eq!((s.kv_heads, s.intermediate, s.head_dim), (8, 28672, 128));
    let s = zoo::get("llama-3-8b").unwrap();
    assert_eq!((s.vocab, s.intermediate, s.kv_heads), (128256, 14336, 8));
    assert_eq!(s.positions, Positions::Rope { theta: 500000.0 });
    let s = zoo::get("llama-3.1-70b").unwrap();
    assert_eq!(s.max_positions, 131072);
    let s = zoo::get("qwen2.5-7b").unwrap();
    assert_eq!(
        (
            s.hidden,
            s.layers,
            s.heads,
            s.kv_heads,
            s.intermediate,
            s.vocab
        ),
        (3584, 28, 28, 4, 18944, 152064)
    );
    assert!(s.qkv_bias && !s.tied_embeddings);
    let s = zoo::get("mixtral-8x7b").unwrap();
    assert_eq!(
        s.moe,
        Some(MoeSpec {
            experts: 8,
            top_k: 2
        })
    );
    let s = zoo::get("opt-66b").unwrap();
    assert_eq!(
        (s.hidden, s.layers, s.heads, s.intermediate),
        (9216, 64, 72, 36864)
    );
    let s = zoo::get("gpt2-xl").unwrap();
    assert_eq!(
        (s.hidden, s.layers, s.heads, s.head_dim, s.intermediate),
        (1600, 48, 25, 64, 6400)
    );
    for e in zoo::ZOO {
        assert!(
            e.repo().contains('/'),
            "{} names its Hugging Face repo",
            e.name
        );
    }
}
