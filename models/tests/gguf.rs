//! GGUF importer on files built byte by byte: versions 2 and 3, every value
//! and tensor type, the derived scheme, and corrupt or truncated files.

mod common;

use common::{gstr, tiny_llama, Gguf};
use llmfab_models::gguf::{self, GgufValue};
use llmfab_models::*;

fn import(bytes: &[u8]) -> Result<gguf::GgufModel, ModelError> {
    gguf::import_bytes(bytes, "tiny", "tiny.gguf")
}

#[test]
fn v2_and_v3_llama_import_with_exact_bits_per_weight() {
    for version in [2, 3] {
        let bytes = tiny_llama(version).build();
        let m = import(&bytes).unwrap();
        let s = &m.spec;
        assert_eq!(
            (s.family, s.hidden, s.layers, s.heads, s.kv_heads, s.head_dim),
            (Family::Llama, 256, 2, 4, 2, 64)
        );
        assert_eq!((s.intermediate, s.vocab, s.max_positions), (512, 32, 4096));
        assert_eq!(s.positions, Positions::Rope { theta: 500000.0 });
        assert!(!s.tied_embeddings);
        assert_eq!(m.ignored_tensors, 0);
        let q = &m.quant;
        assert_eq!(q.name, "gguf:Q4_K_M");
        // Base is Q4_K: 4 bits + 128 bits of scales per 256 weights = 4.5.
        assert_eq!(
            (q.weight_bits, q.group_size, q.scale_bits),
            (4, Some(256), 128)
        );
        assert_eq!(q.weight_bits_per_weight("layer1.attn.q_proj", 256), 4.5);
        assert_eq!(q.weight_bits_per_weight("layer0.attn.v_proj", 256), 6.5625);
        assert_eq!(q.weight_bits_per_weight("layer1.attn.v_proj", 256), 4.5);
        assert_eq!(
            q.weight_bits_per_weight("layer1.mlp.down_proj", 512),
            6.5625
        );
        assert_eq!(q.weight_bits_of("layer1.mlp.down_proj"), 6);
        assert_eq!(q.weight_bits_per_weight("lm_head", 256), 8.5);
        assert_eq!(q.override_for("embed").unwrap().bits_per_weight, 4.5);
        assert!(q
            .overrides
            .iter()
            .any(|o| o.pattern == "layer*.mlp.down_proj"));
        assert!(q
            .overrides
            .iter()
            .any(|o| o.pattern == "layer0.attn.v_proj"));
        // The scheme prices the graph's weights at exactly the file's bytes.
        let f = gguf::parse(&bytes[..], bytes.len() as u64, "t").unwrap();
        let file_bytes: u64 = f
            .tensors
            .iter()
            .filter(|t| !t.name.contains("norm"))
            .map(|t| t.bytes())
            .sum();
        let g = Graph::build(s, BuildOptions::default());
        let norms = (2 * 2 + 1) as f64 * 256.0 * 2.0;
        let priced = work::weight_footprint(&g, q) - norms;
        assert!(
            (priced - file_bytes as f64).abs() < 1e-6,
            "{priced} vs {file_bytes}"
        );
    }
}

#[test]
fn every_metadata_value_type_parses() {
    let mut g = tiny_llama(2);
    g.raw("t.u8", 0, vec![200])
        .raw("t.i8", 1, vec![0xff])
        .raw("t.u16", 2, 60000u16.to_le_bytes().to_vec())
        .raw("t.i16", 3, (-3i16).to_le_bytes().to_vec())
        .raw("t.i32", 5, (-5i32).to_le_bytes().to_vec())
        .raw("t.bool", 7, vec![1])
        .raw("t.u64", 10, (1u64 << 40).to_le_bytes().to_vec())
        .raw("t.i64", 11, (-7i64).to_le_bytes().to_vec())
        .raw("t.f64", 12, 2.5f64.to_le_bytes().to_vec());
    // An array of two arrays of u32.
    let mut nested = 9u32.to_le_bytes().to_vec();
    nested.extend(2u64.to_le_bytes());
    for n in [1u32, 2] {
        nested.extend(4u32.to_le_bytes());
        nested.extend(u64::from(n).to_le_bytes());
        for i in 0..n {
            nested.extend(i.to_le_bytes());
        }
    }
    g.raw("t.nested", 9, nested);
    let bytes = g.build();
    let f = gguf::parse(&bytes[..], bytes.len() as u64, "t.gguf").unwrap();
    let m = &f.metadata;
    assert_eq!(f.version, 2);
    assert_eq!(m["t.u8"], GgufValue::U8(200));
    assert_eq!(m["t.i8"], GgufValue::I8(-1));
    assert_eq!(m["t.u16"], GgufValue::U16(60000));
    assert_eq!(m["t.i16"], GgufValue::I16(-3));
    assert_eq!(m["t.i32"], GgufValue::I32(-5));
    assert_eq!(m["t.bool"], GgufValue::Bool(true));
    assert_eq!(m["t.u64"], GgufValue::U64(1 << 40));
    assert_eq!(m["t.i64"], GgufValue::I64(-7));
    assert_eq!(m["t.f64"], GgufValue::F64(2.5));
    assert_eq!(m["llama.rope.freq_base"], GgufValue::F32(500000.0));
    assert_eq!(m["general.name"].as_str(), Some("Tiny Llama"));
    assert_eq!(
        m["t.nested"],
        GgufValue::Array(
            9,
            vec![
                GgufValue::Array(4, vec![GgufValue::U32(0)]),
                GgufValue::Array(4, vec![GgufValue::U32(0), GgufValue::U32(1)])
            ]
        )
    );
    assert!(matches!(&m["tokenizer.ggml.tokens"], GgufValue::Array(8, t) if t.len() == 32));
    assert_eq!(f.data_offset % 32, 0);
}

#[test]
fn every_ggml_type_has_its_size_and_bits() {
    let mut g = tiny_llama(3);
    for t in gguf::TYPES {
        g.tensor(&format!("extra.{}", t.name), &[256, 2], t.id);
    }
    let bytes = g.build();
    let f = gguf::parse(&bytes[..], bytes.len() as u64, "t").unwrap();
    for t in gguf::TYPES {
        let info = f
            .tensors
            .iter()
            .find(|i| i.name == format!("extra.{}", t.name))
            .unwrap();
        assert_eq!(info.ggml_type, *t);
        assert_eq!(
            info.bytes() as f64 * 8.0,
            512.0 * t.bits_per_weight(),
            "{}",
            t.name
        );
    }
    let m = gguf::import(&f, "tiny", "t").unwrap();
    assert_eq!(m.ignored_tensors, gguf::TYPES.len());
}

#[test]
fn every_truncation_of_the_header_is_an_error_with_its_offset() {
    let bytes = tiny_llama(3).build();
    let full = gguf::parse(&bytes[..], bytes.len() as u64, "t").unwrap();
    let header_end = full.data_offset as usize;
    for cut in (0..header_end).chain([header_end + 1, bytes.len() - 1]) {
        let part = &bytes[..cut];
        match gguf::parse(part, cut as u64, "cut.gguf") {
            Err(ModelError::Binary {
                file,
                offset,
                message,
            }) => {
                assert_eq!(file, "cut.gguf");
                assert!(offset <= cut as u64, "cut {cut}: offset {offset}");
                assert!(
                    message.contains("truncated")
                        || message.contains("impossible")
                        || message.contains("exceeds"),
                    "cut {cut}: {message}"
                );
            }
            Err(other) => panic!("cut {cut}: {other}"),
            Ok(_) if cut >= header_end => {
                panic!("cut {cut}: tensor data beyond the end was not noticed")
            }
            Ok(_) => panic!("cut {cut}: parsed a truncated header"),
        }
    }
    let e = gguf::parse(&bytes[..10], 10, "cut.gguf")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "cut.gguf: at byte offset 8: expected the tensor count (8 bytes), but the file ends at byte 10; is it truncated?");
}

/// Overwrites 8 bytes at `at` with `v`.
fn patch(bytes: &[u8], at: usize, v: u64) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    b
}

fn binary_err(bytes: &[u8]) -> (u64, String) {
    match gguf::parse(bytes, bytes.len() as u64, "bad.gguf") {
        Err(ModelError::Binary {
            offset, message, ..
        }) => (offset, message),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("parsed"),
    }
}

#[test]
fn corrupt_counts_and_lengths_are_errors_not_allocations() {
    let bytes = tiny_llama(3).build();
    let (off, msg) = binary_err(&patch(&bytes, 8, u64::MAX));
    assert_eq!(off, 8);
    assert!(msg.contains("tensor count"), "{msg}");
    let (off, msg) = binary_err(&patch(&bytes, 16, 1 << 60));
    assert_eq!(off, 16);
    assert!(msg.contains("metadata count"), "{msg}");
    // The first key's length.
    let (off, msg) = binary_err(&patch(&bytes, 24, u64::MAX - 3));
    assert_eq!(off, 24);
    assert!(msg.contains("metadata key"), "{msg}");
    // The token array's length: find it after its key.
    let key = gstr("tokenizer.ggml.tokens");
    let at = bytes
        .windows(key.len())
        .position(|w| w == key.as_slice())
        .unwrap()
        + key.len()
        + 8;
    let (off, msg) = binary_err(&patch(&bytes, at, 1 << 50));
    assert_eq!(off, at as u64);
    assert!(
        msg.contains("array length of 'tokenizer.ggml.tokens'"),
        "{msg}"
    );
}

#[test]
fn bad_magic_versions_and_types() {
    let bytes = tiny_llama(3).build();
    let mut b = bytes.clone();
    b[0] = b'X';
    assert!(binary_err(&b).1.contains("magic"));
    for (v, want) in [
        (1u32, "version 1 is not supported"),
        (3u32.swap_bytes(), "big-endian"),
        (7, "version 2 or 3, found 7"),
    ] {
        let mut b = bytes.clone();
        b[4..8].copy_from_slice(&v.to_le_bytes());
        let (off, msg) = binary_err(&b);
        assert_eq!(off, 4);
        assert!(msg.contains(want), "{msg}");
    }
    let mut g = tiny_llama(3);
    g.tensor("extra", &[32], 4);
    let (_, msg) = binary_err(&g.build());
    assert!(msg.contains("Q4_2") && msg.contains("removed"), "{msg}");
    let mut g = tiny_llama(3);
    g.tensor("extra", &[32], 99);
    assert!(binary_err(&g.build()).1.contains("found 99"));
    let mut g = tiny_llama(3);
    g.tensor("extra", &[100], 12);
    assert!(binary_err(&g.build())
        .1
        .contains("whole number of Q4_K blocks"));
    let mut g = tiny_llama(3);
    g.raw("bad.bool", 7, vec![2]);
    assert!(binary_err(&g.build()).1.contains("expected a bool"));
    let mut g = tiny_llama(3);
    g.raw("bad.type", 13, vec![]);
    assert!(binary_err(&g.build())
        .1
        .contains("value type 0-12, found 13"));
}

#[test]
fn shape_mismatches_and_missing_tensors_are_named() {
    let mut g = tiny_llama(3);
    g.tensors.retain(|(n, _, _)| n != "blk.1.ffn_up.weight");
    for t in g
        .tensors
        .iter_mut()
        .filter(|t| t.0 == "blk.0.attn_k.weight")
    {
        t.1 = vec![256, 256];
    }
    g.tensor("blk.7.attn_q.weight", &[256, 256], 1);
    let e = import(&g.build()).unwrap_err();
    let ModelError::Invalid { problems, .. } = &e else {
        panic!("{e}")
    };
    let all = problems.join("\n");
    assert!(all.contains("tensor 'blk.0.attn_k.weight': expected shape [256, 128] from the hyper-parameters, found [256, 256]"), "{all}");
    assert!(
        all.contains("tensor 'blk.7.attn_q.weight': layer 7 is beyond block_count 2"),
        "{all}"
    );
    assert!(
        all.contains("missing weight tensors: blk.1.ffn_up.weight"),
        "{all}"
    );
}

#[test]
fn unknown_architecture_and_missing_keys() {
    let mut g = tiny_llama(3);
    g.kv.retain(|(k, _)| k != "general.architecture");
    g.str("general.architecture", "phi3");
    let e = import(&g.build()).unwrap_err().to_string();
    assert!(
        e.contains(
            "field 'general.architecture': expected one of llama, qwen2, gpt2 (found \"phi3\")"
        ),
        "{e}"
    );
    let mut g = tiny_llama(3);
    g.kv.retain(|(k, _)| k != "llama.feed_forward_length");
    let e = import(&g.build()).unwrap_err().to_string();
    assert!(
        e.contains("field 'llama.feed_forward_length'") && e.contains("missing"),
        "{e}"
    );
    let mut g = tiny_llama(3);
    g.kv.retain(|(k, _)| k != "llama.block_count");
    g.str("llama.block_count", "two");
    assert!(import(&g.build())
        .unwrap_err()
        .to_string()
        .contains("found string"));
}

#[test]
fn tied_output_vocab_from_tensor_and_mistral_name() {
    let mut g = tiny_llama(3);
    g.tensors.retain(|(n, _, _)| n != "output.weight");
    g.kv.retain(|(k, _)| k != "tokenizer.ggml.tokens" && k != "general.name");
    g.str("general.name", "Mistral 7B v0.1");
    let m = import(&g.build()).unwrap();
    assert!(m.spec.tied_embeddings);
    assert_eq!(m.spec.vocab, 32);
    assert_eq!(m.spec.family, Family::Mistral);
    assert!(m.quant.override_for("lm_head").is_none());
}

#[test]
fn mixtral_qwen2_and_gpt2_architectures() {
    // Mixtral: llama with experts, merged expert tensors.
    let mut g = Gguf::new(3);
    g.str("general.architecture", "llama")
        .u32("llama.embedding_length", 256)
        .u32("llama.block_count", 1)
        .u32("llama.attention.head_count", 4)
        .u32("llama.attention.head_count_kv", 1)
        .u32("llama.feed_forward_length", 256)
        .u32("llama.context_length", 1024)
        .u32("llama.expert_count", 4)
        .u32("llama.expert_used_count", 2)
        .u32("llama.vocab_size", 32);
    g.tensor("token_embd.weight", &[256, 32], 1)
        .tensor("blk.0.attn_q.weight", &[256, 256], 8)
        .tensor("blk.0.attn_k.weight", &[256, 64], 8)
        .tensor("blk.0.attn_v.weight", &[256, 64], 8)
        .tensor("blk.0.attn_output.weight", &[256, 256], 8)
        .tensor("blk.0.ffn_gate_inp.weight", &[256, 4], 0)
        .tensor("blk.0.ffn_gate_exps.weight", &[256, 256, 4], 10)
        .tensor("blk.0.ffn_up_exps.weight", &[256, 256, 4], 10)
        .tensor("blk.0.ffn_down_exps.weight", &[256, 256, 4], 11);
    let m = import(&g.build()).unwrap();
    assert_eq!(m.spec.family, Family::Mixtral);
    assert_eq!(
        m.spec.moe,
        Some(MoeSpec {
            experts: 4,
            top_k: 2
        })
    );
    assert_eq!(m.spec.kv_heads, 1);
    assert_eq!(m.quant.name, "gguf:Q2_K");
    assert_eq!(
        m.quant.weight_bits_per_weight("layer0.moe.gate_proj", 256),
        2.625
    );
    assert_eq!(
        m.quant.weight_bits_per_weight("layer0.moe.down_proj", 256),
        3.4375
    );
    assert_eq!(
        m.quant.weight_bits_per_weight("layer0.moe.router", 256),
        32.0
    );
    assert_eq!(
        m.quant.weight_bits_per_weight("layer0.attn.q_proj", 256),
        8.5
    );

    // Qwen2 with q/k/v biases.
    let mut g = Gguf::new(3);
    g.str("general.architecture", "qwen2")
        .u32("qwen2.embedding_length", 64)
        .u32("qwen2.block_count", 1)
        .u32("qwen2.attention.head_count", 4)
        .u32("qwen2.attention.head_count_kv", 2)
        .u32("qwen2.feed_forward_length", 128)
        .u32("qwen2.context_length", 1024)
        .u32("qwen2.vocab_size", 16)
        .f32("qwen2.rope.freq_base", 1e6);
    g.tensor("token_embd.weight", &[64, 16], 30)
        .tensor("blk.0.attn_q.weight", &[64, 64], 30)
        .tensor("blk.0.attn_q.bias", &[64], 0)
        .tensor("blk.0.attn_k.weight", &[64, 32], 30)
        .tensor("blk.0.attn_k.bias", &[32], 0)
        .tensor("blk.0.attn_v.weight", &[64, 32], 30)
        .tensor("blk.0.attn_v.bias", &[32], 0)
        .tensor("blk.0.attn_output.weight", &[64, 64], 30)
        .tensor("blk.0.ffn_gate.weight", &[64, 128], 30)
        .tensor("blk.0.ffn_up.weight", &[64, 128], 30)
        .tensor("blk.0.ffn_down.weight", &[128, 64], 30);
    let m = import(&g.build()).unwrap();
    assert_eq!(m.spec.family, Family::Qwen2);
    assert!(m.spec.qkv_bias && m.spec.tied_embeddings);
    assert_eq!(m.quant.name, "gguf:BF16");
    assert_eq!(m.quant.float, quant::FloatFormat::Bf16);
    assert_eq!(m.quant.weight_bits, 16);

    // GPT-2: fused qkv, learned positions, biases.
    let mut g = Gguf::new(2);
    g.str("general.architecture", "gpt2")
        .u32("gpt2.embedding_length", 64)
        .u32("gpt2.block_count", 1)
        .u32("gpt2.attention.head_count", 2)
        .u32("gpt2.feed_forward_length", 256)
        .u32("gpt2.context_length", 128)
        .u32("general.file_type", 1);
    g.str_array(
        "tokenizer.ggml.tokens",
        &(0..50).map(|i| i.to_string()).collect::<Vec<_>>(),
    );
    g.tensor("token_embd.weight", &[64, 50], 1)
        .tensor("position_embd.weight", &[64, 128], 0)
        .tensor("blk.0.attn_norm.weight", &[64], 0)
        .tensor("blk.0.attn_norm.bias", &[64], 0)
        .tensor("blk.0.attn_qkv.weight", &[64, 192], 1)
        .tensor("blk.0.attn_qkv.bias", &[192], 0)
        .tensor("blk.0.attn_output.weight", &[64, 64], 1)
        .tensor("blk.0.ffn_up.weight", &[64, 256], 1)
        .tensor("blk.0.ffn_down.weight", &[256, 64], 1)
        .tensor("output_norm.bias", &[64], 0);
    let m = import(&g.build()).unwrap();
    let s = &m.spec;
    assert_eq!(
        (s.family, s.norm, s.positions, s.vocab, s.intermediate),
        (
            Family::Gpt2,
            NormKind::LayerNorm,
            Positions::Learned,
            50,
            256
        )
    );
    assert!(s.qkv_bias && s.linear_bias && !s.gated_mlp && s.tied_embeddings);
    assert_eq!(m.quant.name, "gguf:F16");
    // token_embd F16 (50x64) and position_embd F32 (128x64), weighted.
    let want = (50.0 * 16.0 + 128.0 * 32.0) / 178.0;
    assert!((m.quant.override_for("embed").unwrap().bits_per_weight - want).abs() < 1e-12);
    let g = Graph::build(s, BuildOptions::default());
    assert!(g.find("layer0.attn.qkv_proj").is_some());
}

#[test]
fn files_on_disk_load_by_path() {
    let dir = common::scratch("gguf-disk");
    let path = dir.join("tiny-q4.gguf");
    std::fs::write(&path, tiny_llama(3).build()).unwrap();
    let m = gguf::load(&path).unwrap();
    assert_eq!(m.spec.name, "tiny-q4");
    let loaded = load(path.to_str().unwrap()).unwrap();
    assert_eq!(loaded.quant.unwrap().name, "gguf:Q4_K_M");
    // A GGUF without the extension is recognised by its magic.
    let other = dir.join("model.bin");
    std::fs::copy(&path, &other).unwrap();
    assert_eq!(load(other.to_str().unwrap()).unwrap().spec.layers, 2);
    let truncated = dir.join("cut.gguf");
    std::fs::write(&truncated, &tiny_llama(3).build()[..100]).unwrap();
    let e = load(truncated.to_str().unwrap()).unwrap_err().to_string();
    assert!(e.contains("cut.gguf: at byte offset"), "{e}");
}
