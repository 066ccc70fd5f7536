//! Hugging Face config.json importer: every family, the optional fields and
//! their defaults, and every kind of bad input.

use llmfab_models::*;
use serde_json::json;

fn import(v: serde_json::Value) -> Result<ModelSpec, ModelError> {
    hf::parse_config(&v.to_string(), "config.json")
}

fn llama_cfg() -> serde_json::Value {
    json!({
        "model_type": "llama", "hidden_size": 256, "num_hidden_layers": 2,
        "num_attention_heads": 8, "intermediate_size": 688, "vocab_size": 1000,
        "max_position_embeddings": 512
    })
}

#[test]
fn llama_defaults_mha_and_untied() {
    let s = import(llama_cfg()).unwrap();
    assert_eq!((s.family, s.kv_heads, s.head_dim), (Family::Llama, 8, 32));
    assert!(!s.tied_embeddings && !s.qkv_bias && s.gated_mlp);
    assert_eq!(s.positions, Positions::Rope { theta: 10000.0 });
    assert_eq!((s.norm, s.act), (NormKind::RmsNorm, ActFn::Silu));
}

#[test]
fn gqa_mqa_head_dim_and_ties() {
    let mut c = llama_cfg();
    c["num_key_value_heads"] = json!(2);
    c["head_dim"] = json!(64);
    c["tie_word_embeddings"] = json!(true);
    c["rope_theta"] = json!(500000.0);
    let s = import(c.clone()).unwrap();
    assert_eq!(
        (s.kv_heads, s.head_dim, s.q_dim(), s.kv_dim()),
        (2, 64, 512, 128)
    );
    assert!(s.tied_embeddings);
    assert_eq!(s.positions, Positions::Rope { theta: 500000.0 });
    c["num_key_value_heads"] = json!(1);
    assert_eq!(import(c.clone()).unwrap().kv_heads, 1);
    c["num_key_value_heads"] = serde_json::Value::Null;
    assert_eq!(import(c).unwrap().kv_heads, 8);
}

#[test]
fn mistral_mixtral_qwen2() {
    let mut c = llama_cfg();
    c["model_type"] = json!("mistral");
    c["sliding_window"] = json!(4096);
    assert_eq!(import(c.clone()).unwrap().family, Family::Mistral);
    c["model_type"] = json!("mixtral");
    assert_eq!(
        import(c.clone()).unwrap().moe,
        Some(MoeSpec {
            experts: 8,
            top_k: 2
        })
    );
    c["num_local_experts"] = json!(4);
    c["num_experts_per_tok"] = json!(1);
    let s = import(c.clone()).unwrap();
    assert_eq!(
        s.moe,
        Some(MoeSpec {
            experts: 4,
            top_k: 1
        })
    );
    assert_eq!(s.positions, Positions::Rope { theta: 1e6 });
    c["num_experts_per_tok"] = json!(5);
    let e = import(c).unwrap_err().to_string();
    assert!(e.contains("num_experts_per_tok (5)"), "{e}");
    let mut q = llama_cfg();
    q["model_type"] = json!("qwen2");
    let s = import(q).unwrap();
    assert!(s.qkv_bias && !s.linear_bias);
}

#[test]
fn opt_and_its_rejections() {
    let c = json!({
        "model_type": "opt", "hidden_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
        "ffn_dim": 1024, "vocab_size": 1000, "max_position_embeddings": 128, "word_embed_proj_dim": 256,
        "do_layer_norm_before": true
    });
    let s = import(c.clone()).unwrap();
    assert_eq!(
        (s.family, s.act, s.norm),
        (Family::Opt, ActFn::Relu, NormKind::LayerNorm)
    );
    assert!(s.tied_embeddings && s.qkv_bias && s.linear_bias && !s.gated_mlp);
    assert_eq!(s.position_rows(), 130);
    let mut bad = c.clone();
    bad["word_embed_proj_dim"] = json!(128);
    let e = import(bad).unwrap_err().to_string();
    assert!(
        e.contains("field 'word_embed_proj_dim'")
            && e.contains("hidden_size (256)")
            && e.contains("128"),
        "{e}"
    );
    let mut post = c;
    post["do_layer_norm_before"] = json!(false);
    assert!(import(post)
        .unwrap_err()
        .to_string()
        .contains("do_layer_norm_before"));
}

#[test]
fn gpt2_fields_and_defaults() {
    let c = json!({"model_type": "gpt2", "n_embd": 128, "n_layer": 2, "n_head": 4, "n_inner": null, "n_positions": 64, "vocab_size": 500});
    let s = import(c.clone()).unwrap();
    assert_eq!(
        (s.hidden, s.layers, s.heads, s.head_dim, s.intermediate),
        (128, 2, 4, 32, 512)
    );
    assert_eq!((s.max_positions, s.vocab, s.act), (64, 500, ActFn::Gelu));
    assert!(s.tied_embeddings && s.qkv_bias && s.linear_bias);
    let mut c2 = c;
    c2["n_inner"] = json!(300);
    c2["tie_word_embeddings"] = json!(false);
    let s = import(c2).unwrap();
    assert_eq!(s.intermediate, 300);
    assert!(!s.tied_embeddings);
}

#[test]
fn missing_and_mistyped_fields_are_named() {
    let mut c = llama_cfg();
    c.as_object_mut().unwrap().remove("hidden_size");
    let e = import(c).unwrap_err().to_string();
    assert_eq!(
        e,
        "config.json: field 'hidden_size': expected a positive integer; it is missing"
    );
    let mut c = llama_cfg();
    c["num_attention_heads"] = json!("eight");
    let e = import(c).unwrap_err().to_string();
    assert!(e.contains("field 'num_attention_heads': expected a non-negative integer; found a string (\"eight\")"), "{e}");
    let mut c = llama_cfg();
    c["tie_word_embeddings"] = json!(1);
    assert!(import(c)
        .unwrap_err()
        .to_string()
        .contains("field 'tie_word_embeddings': expected true or false; found 1"));
    let mut c = llama_cfg();
    c["hidden_act"] = json!("tanh");
    assert!(import(c)
        .unwrap_err()
        .to_string()
        .contains("field 'hidden_act'"));
    let mut c = llama_cfg();
    c["num_attention_heads"] = json!(7);
    assert!(import(c)
        .unwrap_err()
        .to_string()
        .contains("field 'num_attention_heads': expected a positive divisor of hidden_size (256)"));
    let mut c = llama_cfg();
    c["num_key_value_heads"] = json!(3);
    assert!(import(c)
        .unwrap_err()
        .to_string()
        .contains("num_key_value_heads (3) must divide num_attention_heads (8)"));
    let mut c = llama_cfg();
    c["vocab_size"] = json!(0);
    assert!(import(c)
        .unwrap_err()
        .to_string()
        .contains("vocab_size must be positive"));
}

#[test]
fn unknown_model_type_lists_supported_ones() {
    let mut c = llama_cfg();
    c["model_type"] = json!("bert");
    let e = import(c).unwrap_err().to_string();
    assert!(e.contains("field 'model_type': expected one of llama, mistral, mixtral, qwen2, opt, gpt2 (found \"bert\")"), "{e}");
    let e = import(json!({"hidden_size": 4})).unwrap_err().to_string();
    assert!(
        e.contains("field 'model_type'") && e.contains("it is missing"),
        "{e}"
    );
    let e = import(json!([1, 2])).unwrap_err().to_string();
    assert!(e.contains("a JSON object"), "{e}");
}

#[test]
fn malformed_and_truncated_json_give_file_line_and_column() {
    let text = "{\n  \"model_type\": \"llama\",\n  \"hidden_size\": 4096,,\n}";
    match hf::parse_config(text, "cfg/config.json").unwrap_err() {
        ModelError::Syntax {
            file,
            line,
            column,
            message,
        } => {
            assert_eq!((file.as_str(), line), ("cfg/config.json", 3));
            assert_eq!(column, 23);
            assert!(message.starts_with("invalid JSON"), "{message}");
        }
        other => panic!("{other}"),
    }
    let full = llama_cfg().to_string();
    let truncated = &full[..full.len() / 2];
    let e = hf::parse_config(truncated, "t.json").unwrap_err();
    assert!(matches!(e, ModelError::Syntax { line: 1, .. }), "{e}");
    assert!(
        e.to_string().starts_with("t.json:1:") && e.to_string().contains("truncated"),
        "{e}"
    );
}

#[test]
fn config_files_on_disk_are_named_after_their_folder() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hf-test/My-Model");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.json");
    std::fs::write(&path, llama_cfg().to_string()).unwrap();
    let s = hf::load_config(&path).unwrap();
    assert_eq!(s.name, "My-Model");
    let bad = dir.join("other.json");
    std::fs::write(&bad, b"{\"model_type\": \"llama\", \xff}").unwrap();
    let e = hf::load_config(&bad).unwrap_err().to_string();
    assert!(
        e.contains("other.json") && e.contains("byte offset 24") && e.contains("UTF-8"),
        "{e}"
    );
    let e = hf::load_config(&dir.join("missing.json")).unwrap_err();
    assert!(matches!(e, ModelError::Io { .. }));
}

#[test]
fn absurd_sizes_are_rejected_before_any_arithmetic() {
    let mut c = llama_cfg();
    c["hidden_size"] = json!(u64::MAX);
    c["num_hidden_layers"] = json!(1u64 << 40);
    c["head_dim"] = json!(64);
    let e = import(c).unwrap_err().to_string();
    assert!(
        e.contains("hidden_size (18446744073709551615) exceeds the supported maximum 131072"),
        "{e}"
    );
    assert!(
        e.contains("num_hidden_layers (1099511627776) exceeds"),
        "{e}"
    );
}
