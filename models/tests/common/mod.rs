//! Byte-by-byte builders of GGUF and safetensors files for tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A fresh folder under the target's test scratch directory.
pub fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// GGML type ids and their (block, bytes) used by the builder.
pub fn ggml_size(ty: u32, elements: u64) -> u64 {
    let (block, bytes) = match ty {
        0 => (1, 4),
        1 | 30 => (1, 2),
        2 | 20 => (32, 18),
        3 => (32, 20),
        6 => (32, 22),
        7 => (32, 24),
        8 => (32, 34),
        9 => (32, 36),
        10 => (256, 84),
        11 | 21 => (256, 110),
        12 => (256, 144),
        13 => (256, 176),
        14 => (256, 210),
        15 => (256, 292),
        // Other types from the library's table; unknown ones hold no data.
        _ => llmfab_models::gguf::GgmlType::from_id(ty)
            .map_or((1, 0), |t| (u64::from(t.block), u64::from(t.bytes))),
    };
    elements / block * bytes
}

/// Builds a GGUF file from metadata and tensor infos, with zeroed data.
pub struct Gguf {
    pub version: u32,
    pub kv: Vec<(String, Vec<u8>)>,
    pub tensors: Vec<(String, Vec<u64>, u32)>,
    pub alignment: u64,
}

pub fn gstr(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

impl Gguf {
    pub fn new(version: u32) -> Self {
        Gguf {
            version,
            kv: Vec::new(),
            tensors: Vec::new(),
            alignment: 32,
        }
    }
    /// Adds a key with a raw (type id, value bytes) pair.
    pub fn raw(&mut self, key: &str, ty: u32, value: Vec<u8>) -> &mut Self {
        let mut v = ty.to_le_bytes().to_vec();
        v.extend(value);
        self.kv.push((key.to_string(), v));
        self
    }
    pub fn u32(&mut self, key: &str, x: u32) -> &mut Self {
        self.raw(key, 4, x.to_le_bytes().to_vec())
    }
    pub fn f32(&mut self, key: &str, x: f32) -> &mut Self {
        self.raw(key, 6, x.to_le_bytes().to_vec())
    }
    pub fn str(&mut self, key: &str, s: &str) -> &mut Self {
        self.raw(key, 8, gstr(s))
    }
    pub fn str_array(&mut self, key: &str, items: &[String]) -> &mut Self {
        let mut v = 8u32.to_le_bytes().to_vec();
        v.extend((items.len() as u64).to_le_bytes());
        for s in items {
            v.extend(gstr(s));
        }
        self.raw(key, 9, v)
    }
    pub fn tensor(&mut self, name: &str, dims: &[u64], ty: u32) -> &mut Self {
        self.tensors.push((name.to_string(), dims.to_vec(), ty));
        self
    }
    /// The header alone (up to and including the alignment padding), and
    /// the full file.
    pub fn build(&self) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend(self.version.to_le_bytes());
        b.extend((self.tensors.len() as u64).to_le_bytes());
        b.extend((self.kv.len() as u64).to_le_bytes());
        for (k, v) in &self.kv {
            b.extend(gstr(k));
            b.extend(v);
        }
        let mut offset = 0u64;
        let mut data = 0u64;
        for (name, dims, ty) in &self.tensors {
            b.extend(gstr(name));
            b.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                b.extend(d.to_le_bytes());
            }
            b.extend(ty.to_le_bytes());
            b.extend(offset.to_le_bytes());
            let size = ggml_size(*ty, dims.iter().product());
            data = offset + size;
            offset = (offset + size).div_ceil(self.alignment) * self.alignment;
        }
        let start = (b.len() as u64).div_ceil(self.alignment) * self.alignment;
        b.resize((start + data) as usize, 0);
        b
    }
}

/// A small Llama-architecture model: hidden 256, 2 layers, 4 heads, 2 KV
/// heads, feed-forward 512, vocabulary 32.
pub fn tiny_llama(version: u32) -> Gguf {
    let mut g = Gguf::new(version);
    g.str("general.architecture", "llama")
        .str("general.name", "Tiny Llama")
        .u32("general.file_type", 15)
        .u32("llama.embedding_length", 256)
        .u32("llama.block_count", 2)
        .u32("llama.attention.head_count", 4)
        .u32("llama.attention.head_count_kv", 2)
        .u32("llama.feed_forward_length", 512)
        .u32("llama.context_length", 4096)
        .f32("llama.rope.freq_base", 500000.0);
    let tokens: Vec<String> = (0..32).map(|i| format!("tok{i}")).collect();
    g.str_array("tokenizer.ggml.tokens", &tokens);
    g.tensor("token_embd.weight", &[256, 32], 2); // Q4_0
    for l in 0..2 {
        let b = format!("blk.{l}");
        g.tensor(&format!("{b}.attn_norm.weight"), &[256], 0)
            .tensor(&format!("{b}.attn_q.weight"), &[256, 256], 12) // Q4_K
            .tensor(&format!("{b}.attn_k.weight"), &[256, 128], 12)
            .tensor(
                &format!("{b}.attn_v.weight"),
                &[256, 128],
                if l == 0 { 14 } else { 12 },
            ) // Q6_K / Q4_K
            .tensor(&format!("{b}.attn_output.weight"), &[256, 256], 12)
            .tensor(&format!("{b}.ffn_norm.weight"), &[256], 0)
            .tensor(&format!("{b}.ffn_gate.weight"), &[256, 512], 12)
            .tensor(&format!("{b}.ffn_up.weight"), &[256, 512], 12)
            .tensor(&format!("{b}.ffn_down.weight"), &[512, 256], 14); // Q6_K
    }
    g.tensor("output_norm.weight", &[256], 0)
        .tensor("output.weight", &[256, 32], 8); // Q8_0
    g
}

/// A safetensors file: header entries (name, dtype, shape) and zeroed data.
pub fn safetensors(tensors: &[(&str, &str, Vec<u64>)]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
    let mut offset = 0u64;
    for (name, dtype, shape) in tensors {
        let bytes = match *dtype {
            "F64" | "I64" | "U64" => 8,
            "F32" | "I32" | "U32" => 4,
            "F16" | "BF16" | "I16" | "U16" => 2,
            _ => 1,
        } * shape.iter().product::<u64>();
        header.insert(
            name.to_string(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes]}),
        );
        offset += bytes;
    }
    let text = serde_json::Value::Object(header).to_string();
    let mut b = (text.len() as u64).to_le_bytes().to_vec();
    b.extend(text.as_bytes());
    b.resize(b.len() + offset as usize, 0);
    b
}
