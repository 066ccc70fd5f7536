//! safetensors importer on files built byte by byte, each with a config.json
//! beside it.

mod common;

use common::{safetensors as st, scratch};
use llmfab_models::safetensors::{self as sf, Dtype};
use llmfab_models::*;
use serde_json::json;
use std::path::PathBuf;

/// Writes `config.json` and `model.safetensors` into a fresh folder.
fn write(dir: &str, cfg: serde_json::Value, tensors: &[(&str, &str, Vec<u64>)]) -> PathBuf {
    let d = scratch(dir);
    std::fs::write(d.join("config.json"), cfg.to_string()).unwrap();
    let p = d.join("model.safetensors");
    std::fs::write(&p, st(tensors)).unwrap();
    p
}

fn llama_cfg() -> serde_json::Value {
    json!({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
           "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 256})
}

/// Every tensor of the 1-layer llama above, with the weights' dtype.
fn llama_tensors(dtype: &'static str) -> Vec<(&'static str, &'static str, Vec<u64>)> {
    vec![
        ("model.embed_tokens.weight", dtype, vec![100, 64]),
        ("model.layers.0.input_layernorm.weight", dtype, vec![64]),
        (
            "model.layers.0.self_attn.q_proj.weight",
            dtype,
            vec![64, 64],
        ),
        (
            "model.layers.0.self_attn.k_proj.weight",
            dtype,
            vec![32, 64],
        ),
        (
            "model.layers.0.self_attn.v_proj.weight",
            dtype,
            vec![32, 64],
        ),
        (
            "model.layers.0.self_attn.o_proj.weight",
            dtype,
            vec![64, 64],
        ),
        (
            "model.layers.0.post_attention_layernorm.weight",
            dtype,
            vec![64],
        ),
        ("model.layers.0.mlp.gate_proj.weight", dtype, vec![128, 64]),
        ("model.layers.0.mlp.up_proj.weight", dtype, vec![128, 64]),
        ("model.layers.0.mlp.down_proj.weight", dtype, vec![64, 128]),
        ("model.norm.weight", dtype, vec![64]),
        ("lm_head.weight", dtype, vec![100, 64]),
    ]
}

#[test]
fn fp16_bf16_int8_and_fp32_checkpoints() {
    for (dtype, scheme, bits) in [
        ("F16", "fp16", 16),
        ("BF16", "bf16", 16),
        ("I8", "int8", 8),
        ("F32", "fp32", 32),
        ("F8_E4M3", "fp8-e4m3", 8),
    ] {
        let mut t = llama_tensors(dtype);
        t.push((
            "model.layers.0.self_attn.rotary_emb.inv_freq",
            "F32",
            vec![8],
        ));
        let p = write(&format!("st-{dtype}"), llama_cfg(), &t);
        let m = sf::load(&p).unwrap_or_else(|e| panic!("{dtype}: {e}"));
        assert_eq!(m.quant.name, scheme);
        assert_eq!(m.quant.weight_bits, bits);
        assert_eq!((m.checked, m.ignored), (12, 1));
        assert_eq!(m.spec.name, "model");
        // 16-bit embeddings need no override; others are priced exactly.
        let embed = m.quant.override_for("embed");
        assert_eq!(embed.is_some(), bits != 16, "{dtype}");
        let loaded = load(p.to_str().unwrap()).unwrap();
        assert!(
            loaded.notes.iter().any(|n| n.contains("ignored 1 tensors")),
            "{:?}",
            loaded.notes
        );
    }
}

#[test]
fn mixed_dtypes_get_exact_overrides() {
    let mut t = llama_tensors("F16");
    for x in t
        .iter_mut()
        .filter(|x| x.0.contains("down_proj") || x.0 == "model.embed_tokens.weight")
    {
        x.1 = "F32";
    }
    let p = write("st-mixed", llama_cfg(), &t);
    let q = sf::load(&p).unwrap().quant;
    assert_eq!(q.name, "fp16");
    assert_eq!(q.weight_bits_per_weight("layer0.mlp.down_proj", 128), 32.0);
    assert_eq!(q.weight_bits_per_weight("layer0.mlp.up_proj", 64), 16.0);
    assert_eq!(q.override_for("embed").unwrap().bits_per_weight, 32.0);
}

#[test]
fn mismatching_shapes_are_reported_by_tensor_name() {
    let mut t = llama_tensors("F16");
    t[3].2 = vec![64, 64]; // k_proj as if MHA
    t[9].2 = vec![64, 100];
    let p = write("st-mismatch", llama_cfg(), &t);
    let e = sf::load(&p).unwrap_err();
    let ModelError::Invalid { problems, what } = &e else {
        panic!("{e}")
    };
    assert!(what.contains("model.safetensors"));
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("tensor 'model.layers.0.mlp.down_proj.weight': expected shape [64, 128] from config.json, found [64, 100]"), "{}", problems[0]);
    assert!(
        problems[1].contains("'model.layers.0.self_attn.k_proj.weight': expected shape [32, 64]"),
        "{}",
        problems[1]
    );
}

#[test]
fn missing_tensors_are_errors_except_in_shards() {
    let mut t = llama_tensors("F16");
    t.retain(|x| !x.0.contains("o_proj"));
    let p = write("st-missing", llama_cfg(), &t);
    let e = sf::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("missing tensors the config implies: model.layers.0.self_attn.o_proj.weight"),
        "{e}"
    );
    let shard = p.with_file_name("model-00001-of-00002.safetensors");
    std::fs::rename(&p, &shard).unwrap();
    assert_eq!(sf::load(&shard).unwrap().checked, 11);
}

#[test]
fn gptq_packed_weights_give_w4_with_groups() {
    let mut cfg = llama_cfg();
    cfg["quantization_config"] =
        json!({"bits": 4, "group_size": 32, "quant_method": "gptq", "desc_act": false});
    let mut t: Vec<(&str, &str, Vec<u64>)> = llama_tensors("F16")
        .into_iter()
        .filter(|x| !x.0.ends_with("proj.weight"))
        .collect();
    let packed: &[(&str, u64, u64)] = &[
        ("model.layers.0.self_attn.q_proj", 64, 64),
        ("model.layers.0.self_attn.k_proj", 64, 32),
        ("model.layers.0.self_attn.v_proj", 64, 32),
        ("model.layers.0.self_attn.o_proj", 64, 64),
        ("model.layers.0.mlp.gate_proj", 64, 128),
        ("model.layers.0.mlp.up_proj", 64, 128),
        ("model.layers.0.mlp.down_proj", 128, 64),
    ];
    let names: Vec<[String; 4]> = packed
        .iter()
        .map(|(n, _, _)| {
            [
                format!("{n}.qweight"),
                format!("{n}.qzeros"),
                format!("{n}.scales"),
                format!("{n}.g_idx"),
            ]
        })
        .collect();
    for ((_, k, n), nm) in packed.iter().zip(&names) {
        // GPTQ layout: qweight [k/8, n], qzeros [k/g, n/8], scales [k/g, n], g_idx [k]
        t.push((nm[0].as_str(), "I32", vec![k / 8, *n]));
        t.push((nm[1].as_str(), "I32", vec![k / 32, n / 8]));
        t.push((nm[2].as_str(), "F16", vec![k / 32, *n]));
        t.push((nm[3].as_str(), "I32", vec![*k]));
    }
    let p = write("st-gptq", cfg.clone(), &t);
    let m = sf::load(&p).unwrap();
    let q = &m.quant;
    assert_eq!(q.name, "gptq:w4a16g32");
    assert_eq!(
        (q.weight_bits, q.group_size, q.scale_bits, q.zero_point_bits),
        (4, Some(32), 16, 4)
    );
    assert_eq!(
        q.weight_bits_per_weight("layer0.attn.q_proj", 64),
        4.0 + 20.0 / 32.0
    );
    // lm_head stays fp16.
    assert_eq!(q.weight_bits_per_weight("lm_head", 64), 16.0);
    assert_eq!(m.checked, 5 + 28);
    // A wrongly packed qweight is named.
    let mut bad = t.clone();
    bad.iter_mut()
        .find(|x| x.0.ends_with("q_proj.qweight"))
        .unwrap()
        .2 = vec![64, 64];
    let p = write("st-gptq-bad", cfg, &bad);
    let e = sf::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("tensor 'model.layers.0.self_attn.q_proj.qweight': expected 512 elements"),
        "{e}"
    );
    // Without quantization_config the packed tensors cannot be priced.
    let p = write("st-gptq-nocfg", llama_cfg(), &t);
    assert!(sf::load(&p)
        .unwrap_err()
        .to_string()
        .contains("need quantization_config.bits"));
}

#[test]
fn gpt2_opt_and_mixtral_names() {
    let cfg = json!({"model_type": "gpt2", "n_embd": 32, "n_layer": 1, "n_head": 2, "n_positions": 16, "vocab_size": 50});
    let t = vec![
        ("wte.weight", "F32", vec![50, 32]),
        ("wpe.weight", "F32", vec![16, 32]),
        ("h.0.ln_1.weight", "F32", vec![32]),
        ("h.0.ln_1.bias", "F32", vec![32]),
        ("h.0.attn.bias", "F32", vec![1, 1, 16, 16]),
        ("h.0.attn.c_attn.weight", "F32", vec![32, 96]),
        ("h.0.attn.c_attn.bias", "F32", vec![96]),
        ("h.0.attn.c_proj.weight", "F32", vec![32, 32]),
        ("h.0.attn.c_proj.bias", "F32", vec![32]),
        ("h.0.ln_2.weight", "F32", vec![32]),
        ("h.0.ln_2.bias", "F32", vec![32]),
        ("h.0.mlp.c_fc.weight", "F32", vec![32, 128]),
        ("h.0.mlp.c_fc.bias", "F32", vec![128]),
        ("h.0.mlp.c_proj.weight", "F32", vec![128, 32]),
        ("h.0.mlp.c_proj.bias", "F32", vec![32]),
        ("ln_f.weight", "F32", vec![32]),
        ("ln_f.bias", "F32", vec![32]),
    ];
    let m = sf::load(&write("st-gpt2", cfg.clone(), &t)).unwrap();
    assert_eq!((m.checked, m.ignored), (16, 1));
    let prefixed: Vec<(String, &str, Vec<u64>)> = t
        .iter()
        .map(|(n, d, s)| (format!("transformer.{n}"), *d, s.clone()))
        .collect();
    let prefixed: Vec<(&str, &str, Vec<u64>)> = prefixed
        .iter()
        .map(|(n, d, s)| (n.as_str(), *d, s.clone()))
        .collect();
    assert_eq!(
        sf::load(&write("st-gpt2-prefixed", cfg, &prefixed))
            .unwrap()
            .checked,
        16
    );

    let cfg = json!({"model_type": "opt", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "ffn_dim": 64, "vocab_size": 50, "max_position_embeddings": 16, "word_embed_proj_dim": 32});
    let mut t = vec![
        ("decoder.embed_tokens.weight", "F16", vec![50, 32]),
        ("decoder.embed_positions.weight", "F16", vec![18, 32]),
    ];
    let names = [
        "self_attn.q_proj",
        "self_attn.k_proj",
        "self_attn.v_proj",
        "self_attn.out_proj",
    ];
    let owned: Vec<String> = names
        .iter()
        .flat_map(|n| {
            [
                format!("decoder.layers.0.{n}.weight"),
                format!("decoder.layers.0.{n}.bias"),
            ]
        })
        .collect();
    for (i, n) in owned.iter().enumerate() {
        t.push((
            n.as_str(),
            "F16",
            if i % 2 == 0 { vec![32, 32] } else { vec![32] },
        ));
    }
    t.extend([
        ("decoder.layers.0.fc1.weight", "F16", vec![64, 32]),
        ("decoder.layers.0.fc1.bias", "F16", vec![64]),
        ("decoder.layers.0.fc2.weight", "F16", vec![32, 64]),
        ("decoder.layers.0.fc2.bias", "F16", vec![32]),
        (
            "decoder.layers.0.self_attn_layer_norm.weight",
            "F16",
            vec![32],
        ),
        (
            "decoder.layers.0.self_attn_layer_norm.bias",
            "F16",
            vec![32],
        ),
        ("decoder.layers.0.final_layer_norm.weight", "F16", vec![32]),
        ("decoder.layers.0.final_layer_norm.bias", "F16", vec![32]),
        ("decoder.final_layer_norm.weight", "F16", vec![32]),
        ("decoder.final_layer_norm.bias", "F16", vec![32]),
    ]);
    let m = sf::load(&write("st-opt", cfg, &t)).unwrap();
    assert_eq!(
        (m.checked, m.ignored, m.quant.name.as_str()),
        (20, 0, "fp16")
    );

    let mut cfg = llama_cfg();
    cfg["model_type"] = json!("mixtral");
    cfg["num_local_experts"] = json!(2);
    let mut t: Vec<(String, &str, Vec<u64>)> = llama_tensors("BF16")
        .into_iter()
        .filter(|x| !x.0.contains("mlp."))
        .map(|(n, d, s)| (n.to_string(), d, s))
        .collect();
    t.push((
        "model.layers.0.block_sparse_moe.gate.weight".into(),
        "BF16",
        vec![2, 64],
    ));
    for e in 0..2 {
        for (w, shape) in [
            ("w1", vec![128, 64]),
            ("w2", vec![64, 128]),
            ("w3", vec![128, 64]),
        ] {
            t.push((
                format!("model.layers.0.block_sparse_moe.experts.{e}.{w}.weight"),
                "BF16",
                shape,
            ));
        }
    }
    let t: Vec<(&str, &str, Vec<u64>)> = t
        .iter()
        .map(|(n, d, s)| (n.as_str(), *d, s.clone()))
        .collect();
    let m = sf::load(&write("st-mixtral", cfg, &t)).unwrap();
    assert_eq!((m.checked, m.quant.name.as_str()), (16, "bf16"));
}

#[test]
fn corrupt_headers_give_offsets_and_fields() {
    let d = scratch("st-corrupt");
    std::fs::write(d.join("config.json"), llama_cfg().to_string()).unwrap();
    let good = st(&llama_tensors("F16"));
    let p = d.join("model.safetensors");
    let err = |bytes: &[u8]| {
        std::fs::write(&p, bytes).unwrap();
        sf::load(&p).unwrap_err()
    };
    // Header length beyond the file.
    let mut b = good.clone();
    b[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let e = err(&b);
    assert!(matches!(e, ModelError::Binary { offset: 0, .. }), "{e}");
    assert!(
        e.to_string()
            .contains("header length 1099511627776 exceeds"),
        "{e}"
    );
    // Too short for a length.
    assert!(err(&good[..5]).to_string().contains("8-byte header length"));
    // Truncated inside the header, and inside the data.
    let hl = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    assert!(matches!(
        err(&good[..8 + hl / 2]),
        ModelError::Binary { offset: 0, .. }
    ));
    let e = err(&good[..good.len() - 1]).to_string();
    assert!(e.contains("data_offsets") && e.contains("truncated"), "{e}");
    // Malformed JSON names its byte offset.
    let mut b = good.clone();
    b[8 + 1] = b'!';
    let e = err(&b);
    assert!(matches!(e, ModelError::Binary { offset: 9, .. }), "{e}");
    // An unknown dtype and inconsistent offsets name the tensor.
    let text = String::from_utf8(good[8..8 + hl].to_vec()).unwrap();
    for (from, to, want) in [
        (
            "\"dtype\":\"F16\"",
            "\"dtype\":\"F17\"",
            ".dtype': expected one of BOOL",
        ),
        (
            "\"shape\":[100,64]",
            "\"shape\":[100,65]",
            ".data_offsets': expected 13000 bytes for dtype F16 and shape [100, 65], found 12800",
        ),
    ] {
        let patched = text.replacen(from, to, 1);
        let mut b = (patched.len() as u64).to_le_bytes().to_vec();
        b.extend(patched.as_bytes());
        b.extend(&good[8 + hl..]);
        let e = err(&b).to_string();
        assert!(e.contains(want), "{e}");
    }
    assert_eq!(Dtype::parse("F8_E5M2").map(Dtype::bits), Some(8));
}

#[test]
fn config_json_must_sit_beside_the_file() {
    let d = scratch("st-noconfig");
    let p = d.join("model.safetensors");
    std::fs::write(&p, st(&llama_tensors("F16"))).unwrap();
    let e = sf::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("field 'config.json'") && e.contains("looked for"),
        "{e}"
    );
    std::fs::write(d.join("config.json"), "{\"model_type\": \"llama\",").unwrap();
    let e = sf::load(&p).unwrap_err();
    assert!(matches!(e, ModelError::Syntax { line: 1, .. }), "{e}");
    assert!(e.to_string().contains("config.json:1:"), "{e}");
}
