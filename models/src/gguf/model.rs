//! From a GGUF header to a [`ModelSpec`] and a [`QuantScheme`]: the
//! architecture's hyper-parameters (`<arch>.embedding_length`, ...), tensor
//! shapes checked against them, and the exact bits per weight of every
//! weight tensor mapped onto llmfab op names.

use super::ggml_type::{file_type_name, GgmlType};
use super::reader::{GgufFile, GgufValue, TensorInfo};
use crate::quant::{FloatFormat, QuantOverride, QuantScheme};
use crate::spec::{ActFn, Family, ModelSpec, MoeSpec, NormKind, Positions};
use crate::ModelError;
use std::collections::BTreeMap;

/// `general.architecture` values this importer understands (`llama` also
/// covers Mistral and Mixtral GGUF files).
pub const ARCHITECTURES: &[&str] = &["llama", "qwen2", "gpt2"];

/// Typed access to metadata, with errors naming the key.
struct Meta<'a> {
    f: &'a GgufFile,
    file: &'a str,
}

impl Meta<'_> {
    fn bad(&self, key: &str, expected: &str, found: Option<&GgufValue>) -> ModelError {
        let found = match found {
            None => "it is missing".to_string(),
            Some(GgufValue::Array(_, items)) => format!("found an array of {} values", items.len()),
            Some(v) => format!("found {} {v:?}", v.type_name()),
        };
        ModelError::Parse {
            file: self.file.to_string(),
            field: key.to_string(),
            expected: format!("{expected}; {found}"),
        }
    }
    fn opt_u64(&self, key: &str) -> Result<Option<u64>, ModelError> {
        match self.f.metadata.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.bad(key, "a single non-negative integer", Some(v))),
        }
    }
    fn u64(&self, key: &str) -> Result<u64, ModelError> {
        self.opt_u64(key)?
            .ok_or_else(|| self.bad(key, "a non-negative integer", None))
    }
    fn opt_f64(&self, key: &str) -> Result<Option<f64>, ModelError> {
        match self.f.metadata.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.bad(key, "a number", Some(v))),
        }
    }
    fn str(&self, key: &str) -> Option<&str> {
        self.f.metadata.get(key).and_then(GgufValue::as_str)
    }
}

/// The tensor with this name, if present.
fn tensor<'a>(f: &'a GgufFile, name: &str) -> Option<&'a TensorInfo> {
    f.tensors.iter().find(|t| t.name == name)
}

/// Reads the hyper-parameters of a GGUF file. `name` becomes the spec's name.
pub fn spec_from_gguf(f: &GgufFile, name: &str, file: &str) -> Result<ModelSpec, ModelError> {
    let m = Meta { f, file };
    let arch = match m.f.metadata.get("general.architecture") {
        Some(GgufValue::String(s)) => s.clone(),
        other => {
            return Err(m.bad(
                "general.architecture",
                &format!("a string, one of {}", ARCHITECTURES.join(", ")),
                other,
            ))
        }
    };
    if !ARCHITECTURES.contains(&arch.as_str()) {
        return Err(ModelError::Parse {
            file: file.to_string(),
            field: "general.architecture".into(),
            expected: format!("one of {} (found \"{arch}\")", ARCHITECTURES.join(", ")),
        });
    }
    let k = |s: &str| format!("{arch}.{s}");
    let hidden = m.u64(&k("embedding_length"))?;
    let heads = m.u64(&k("attention.head_count"))?;
    let experts = m.opt_u64(&k("expert_count"))?.unwrap_or(0);
    let moe = if experts > 0 {
        Some(MoeSpec {
            experts,
            top_k: m.u64(&k("expert_used_count"))?,
        })
    } else {
        None
    };
    let head_dim = match m.opt_u64(&k("attention.key_length"))? {
        Some(d) => d,
        None if heads > 0 && hidden % heads == 0 => hidden / heads,
        None => {
            return Err(m.bad(
                &k("attention.head_count"),
                &format!("a divisor of {} ({hidden})", k("embedding_length")),
                f.metadata.get(&k("attention.head_count")),
            ))
        }
    };
    let vocab = match f.metadata.get("tokenizer.ggml.tokens") {
        Some(GgufValue::Array(_, items)) => items.len() as u64,
        Some(other) => {
            return Err(m.bad("tokenizer.ggml.tokens", "an array of strings", Some(other)))
        }
        None => match m.opt_u64(&k("vocab_size"))? {
            Some(v) => v,
            None => tensor(f, "token_embd.weight")
                .and_then(|t| t.dims.get(1).copied())
                .ok_or_else(|| {
                    m.bad(
                        "tokenizer.ggml.tokens",
                        "the vocabulary (or a token_embd.weight tensor)",
                        None,
                    )
                })?,
        },
    };
    let general_name = m.str("general.name").unwrap_or("").to_ascii_lowercase();
    let family = match arch.as_str() {
        "qwen2" => Family::Qwen2,
        "gpt2" => Family::Gpt2,
        _ if moe.is_some() => Family::Mixtral,
        _ if general_name.contains("mistral") => Family::Mistral,
        _ => Family::Llama,
    };
    let has = |n: &str| tensor(f, n).is_some();
    let gpt2 = family == Family::Gpt2;
    let spec = ModelSpec {
        name: name.to_string(),
        family,
        hidden,
        layers: m.u64(&k("block_count"))?,
        heads,
        kv_heads: m.opt_u64(&k("attention.head_count_kv"))?.unwrap_or(heads),
        head_dim,
        intermediate: m.u64(&k("feed_forward_length"))?,
        vocab,
        max_positions: m.u64(&k("context_length"))?,
        norm: if gpt2 {
            NormKind::LayerNorm
        } else {
            NormKind::RmsNorm
        },
        act: if gpt2 { ActFn::Gelu } else { ActFn::Silu },
        gated_mlp: !gpt2,
        qkv_bias: gpt2
            || family == Family::Qwen2
            || has("blk.0.attn_q.bias")
            || has("blk.0.attn_qkv.bias"),
        linear_bias: gpt2 || has("blk.0.attn_output.bias") || has("blk.0.ffn_down.bias"),
        tied_embeddings: !has("output.weight"),
        positions: if gpt2 {
            Positions::Learned
        } else {
            Positions::Rope {
                theta: m.opt_f64(&k("rope.freq_base"))?.unwrap_or(10_000.0),
            }
        },
        moe,
        source: file.to_string(),
    };
    spec.validate()?;
    Ok(spec)
}

/// What a GGUF tensor name means: the llmfab op it feeds (if any) and its
/// expected shape in ggml order (`None` for tensors llmfab does not model).
fn classify(name: &str, s: &ModelSpec) -> Result<Option<(String, Vec<u64>)>, String> {
    let (d, q, kv, ff, v) = (s.hidden, s.q_dim(), s.kv_dim(), s.intermediate, s.vocab);
    let e = s.moe.map_or(0, |m| m.experts);
    let global = match name {
        "token_embd.weight" => Some(("embed", vec![d, v])),
        "position_embd.weight" => Some(("embed", vec![d, s.position_rows()])),
        "output.weight" => Some(("lm_head", vec![d, v])),
        "output_norm.weight" | "output_norm.bias" => Some(("", vec![d])),
        _ => None,
    };
    if let Some((op, shape)) = global {
        return Ok(Some((op.to_string(), shape)));
    }
    let Some(rest) = name.strip_prefix("blk.") else {
        return Ok(None);
    };
    let Some((layer, rest)) = rest.split_once('.') else {
        return Ok(None);
    };
    let Ok(layer) = layer.parse::<u64>() else {
        return Ok(None);
    };
    if layer >= s.layers {
        return Err(format!("layer {layer} is beyond block_count {}", s.layers));
    }
    let mlp = if s.moe.is_some() { "moe" } else { "mlp" };
    let (base, suffix) = rest.rsplit_once('.').unwrap_or((rest, ""));
    // Old Mixtral files store experts one by one: ffn_gate.3.weight.
    let (base, split_expert) = match base.rsplit_once('.') {
        Some((b, idx)) if idx.parse::<u64>().is_ok() && s.moe.is_some() => (b, true),
        _ => (base, false),
    };
    let (op, shape): (&str, Vec<u64>) = match base {
        "attn_norm" | "ffn_norm" => ("", vec![d]),
        "attn_q" => ("attn.q_proj", vec![d, q]),
        "attn_k" => ("attn.k_proj", vec![d, kv]),
        "attn_v" => ("attn.v_proj", vec![d, kv]),
        "attn_qkv" => ("attn.qkv_proj", vec![d, q + 2 * kv]),
        "attn_output" => ("attn.o_proj", vec![q, d]),
        "ffn_gate" if split_expert => ("moe.gate_proj", vec![d, ff]),
        "ffn_up" if split_expert => ("moe.up_proj", vec![d, ff]),
        "ffn_down" if split_expert => ("moe.down_proj", vec![ff, d]),
        "ffn_gate" => ("mlp.gate_proj", vec![d, ff]),
        "ffn_up" => ("mlp.up_proj", vec![d, ff]),
        "ffn_down" => ("mlp.down_proj", vec![ff, d]),
        "ffn_gate_inp" => ("moe.router", vec![d, e]),
        "ffn_gate_exps" => ("moe.gate_proj", vec![d, ff, e]),
        "ffn_up_exps" => ("moe.up_proj", vec![d, ff, e]),
        "ffn_down_exps" => ("moe.down_proj", vec![ff, d, e]),
        _ => return Ok(None),
    };
    if (op.starts_with("mlp.") && mlp == "moe") || (op.starts_with("moe.") && mlp == "mlp") {
        return Err(format!(
            "{base} does not fit a {} model",
            if mlp == "moe" {
                "mixture-of-experts"
            } else {
                "dense"
            }
        ));
    }
    match suffix {
        "weight" => Ok(Some((
            if op.is_empty() {
                String::new()
            } else {
                format!("layer{layer}.{op}")
            },
            shape,
        ))),
        // A bias is as long as the output (ggml dimension 1), per expert for experts.
        "bias" => Ok(Some((
            String::new(),
            shape[1.min(shape.len() - 1)..].to_vec(),
        ))),
        _ => Ok(None),
    }
}

/// Checks every known tensor's shape against the hyper-parameters and that
/// the weights the graph needs are present; collects every problem.
/// Returns the number of tensors llmfab does not model (ignored).
pub fn check_tensors(f: &GgufFile, spec: &ModelSpec, file: &str) -> Result<usize, ModelError> {
    let mut problems = Vec::new();
    let mut ignored = 0;
    for t in &f.tensors {
        match classify(&t.name, spec) {
            Err(why) => problems.push(format!("tensor '{}': {why}", t.name)),
            Ok(None) => ignored += 1,
            Ok(Some((_, want))) if want != t.dims => problems.push(format!(
                "tensor '{}': expected shape {want:?} from the hyper-parameters, found {:?}",
                t.name, t.dims
            )),
            Ok(Some(_)) => {}
        }
    }
    let mut needed = vec!["token_embd.weight".to_string()];
    if !spec.tied_embeddings {
        needed.push("output.weight".into());
    }
    for l in 0..spec.layers {
        let b = format!("blk.{l}");
        let has = |n: &str| tensor(f, &format!("{b}.{n}.weight")).is_some();
        let attn: &[&str] = if has("attn_qkv") {
            &["attn_qkv", "attn_output"]
        } else {
            &["attn_q", "attn_k", "attn_v", "attn_output"]
        };
        let ffn: Vec<&str> = match (spec.moe, spec.gated_mlp) {
            (Some(_), _) if has("ffn_gate.0") => {
                vec!["ffn_gate_inp", "ffn_gate.0", "ffn_up.0", "ffn_down.0"]
            }
            (Some(_), _) => vec![
                "ffn_gate_inp",
                "ffn_gate_exps",
                "ffn_up_exps",
                "ffn_down_exps",
            ],
            (None, true) => vec!["ffn_gate", "ffn_up", "ffn_down"],
            (None, false) => vec!["ffn_up", "ffn_down"],
        };
        needed.extend(
            attn.iter()
                .chain(ffn.iter())
                .filter(|n| !has(n))
                .map(|n| format!("{b}.{n}.weight")),
        );
    }
    needed.retain(|n| tensor(f, n).is_none());
    if !needed.is_empty() {
        let shown: Vec<&str> = needed.iter().take(8).map(String::as_str).collect();
        let more = if needed.len() > 8 {
            format!(" and {} more", needed.len() - 8)
        } else {
            String::new()
        };
        problems.push(format!(
            "missing weight tensors: {}{more}",
            shown.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(ignored)
    } else {
        Err(ModelError::Invalid {
            what: format!("{file}: tensors do not match the hyper-parameters"),
            problems,
        })
    }
}

/// Bits of the weights feeding one op: total bits, total elements, types.
#[derive(Default)]
struct OpBits {
    bits: f64,
    elements: u64,
    int_bits: u32,
    types: Vec<&'static str>,
}

impl OpBits {
    fn add(&mut self, t: &TensorInfo) {
        let n = t.elements();
        self.bits += n as f64 * t.ggml_type.bits_per_weight();
        self.elements += n;
        self.int_bits = self.int_bits.max(t.ggml_type.bits);
        if !self.types.contains(&t.ggml_type.name) {
            self.types.push(t.ggml_type.name);
        }
    }
    fn bpw(&self) -> f64 {
        self.bits / self.elements.max(1) as f64
    }
    fn same(&self, o: &OpBits) -> bool {
        self.bpw() == o.bpw() && self.int_bits == o.int_bits && self.types == o.types
    }
    fn label(&self, what: &str) -> String {
        format!("gguf {} ({what})", self.types.join("+"))
    }
}

/// Derives the quantization scheme from the tensor types: the base is the
/// type holding most decoder-layer weights (so unmatched ops cost exactly
/// that type), and overrides give every weight's exact bits per weight —
/// one `layer*.<op>` pattern when all layers agree, one per layer otherwise,
/// plus `embed` and `lm_head`. Named `gguf:<file type>`.
pub fn quant_from_gguf(f: &GgufFile, spec: &ModelSpec) -> QuantScheme {
    let mut ops: BTreeMap<String, OpBits> = BTreeMap::new();
    let mut by_type: BTreeMap<u32, (u64, GgmlType)> = BTreeMap::new();
    for t in &f.tensors {
        if let Ok(Some((op, _))) = classify(&t.name, spec) {
            if op.is_empty() {
                continue;
            }
            if op.starts_with("layer") {
                by_type.entry(t.ggml_type.id).or_insert((0, t.ggml_type)).0 += t.elements();
            }
            ops.entry(op).or_default().add(t);
        }
    }
    let base = by_type
        .values()
        .max_by_key(|(n, t)| (*n, std::cmp::Reverse(t.id)))
        .map_or(
            GgmlType {
                id: 1,
                name: "F16",
                block: 1,
                bytes: 2,
                bits: 16,
            },
            |(_, t)| *t,
        );
    let ftype = f
        .metadata
        .get("general.file_type")
        .and_then(GgufValue::as_u64);
    let name = match ftype.and_then(file_type_name) {
        Some(n) => format!("gguf:{n}"),
        None => format!("gguf:{}", base.name),
    };
    let mut overrides = Vec::new();
    for global in ["embed", "lm_head"] {
        if let Some(b) = ops.get(global) {
            let what = if global == "embed" {
                "token_embd"
            } else {
                "output"
            };
            overrides.push(QuantOverride {
                pattern: global.into(),
                bits_per_weight: b.bpw(),
                weight_bits: b.int_bits,
                label: b.label(what),
            });
        }
    }
    // Group per-layer ops by their suffix (attn.q_proj) and layer number.
    let mut by_suffix: BTreeMap<String, BTreeMap<u64, &OpBits>> = BTreeMap::new();
    for (op, b) in &ops {
        if let Some((layer, suffix)) = op.strip_prefix("layer").and_then(|r| r.split_once('.')) {
            if let Ok(l) = layer.parse::<u64>() {
                by_suffix
                    .entry(suffix.to_string())
                    .or_default()
                    .insert(l, b);
            }
        }
    }
    let mut per_layer = Vec::new();
    let mut uniform = Vec::new();
    for (suffix, layers) in &by_suffix {
        let first = layers.values().next().copied();
        match first {
            Some(b0)
                if layers.len() as u64 == spec.layers && layers.values().all(|b| b.same(b0)) =>
            {
                uniform.push(QuantOverride {
                    pattern: format!("layer*.{suffix}"),
                    bits_per_weight: b0.bpw(),
                    weight_bits: b0.int_bits,
                    label: b0.label(&format!("every layer's {suffix}")),
                });
            }
            _ => {
                for (l, b) in layers {
                    per_layer.push((
                        *l,
                        QuantOverride {
                            pattern: format!("layer{l}.{suffix}"),
                            bits_per_weight: b.bpw(),
                            weight_bits: b.int_bits,
                            label: b.label(&format!("blk.{l}")),
                        },
                    ));
                }
            }
        }
    }
    per_layer.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.pattern.cmp(&b.1.pattern)));
    overrides.extend(per_layer.into_iter().map(|(_, o)| o));
    overrides.extend(uniform);
    let quantized = base.block > 1;
    QuantScheme {
        name,
        weight_bits: base.bits,
        act_bits: 16,
        kv_bits: 16,
        group_size: quantized.then_some(base.block),
        scale_bits: if quantized {
            base.meta_bits_per_block()
        } else {
            0
        },
        zero_point_bits: 0,
        float: if base.name == "BF16" {
            FloatFormat::Bf16
        } else {
            FloatFormat::Fp16
        },
        overrides,
    }
}
