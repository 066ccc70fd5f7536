//! Hugging Face `config.json` importer for the Llama, Mistral, Mixtral,
//! Qwen2, OPT and GPT-2 families (`model_type` llama, mistral, mixtral,
//! qwen2, opt, gpt2).
//!
//! Missing optional fields take the defaults of the `transformers` config
//! class of that family (e.g. `num_key_value_heads` absent means multi-head
//! attention; GPT-2 and OPT tie their embeddings unless told otherwise;
//! GPT-2's `n_inner: null` means `4 · n_embd`). Errors name the file and the
//! field and say what was expected; malformed JSON is reported with its line
//! and column.

use crate::spec::{ActFn, Family, ModelSpec, MoeSpec, NormKind, Positions};
use crate::ModelError;
use serde_json::{Map, Value};
use std::path::Path;

/// `model_type` values this importer understands.
pub const MODEL_TYPES: &[&str] = &["llama", "mistral", "mixtral", "qwen2", "opt", "gpt2"];

/// Reads and imports a `config.json`. The model is named after the folder
/// holding the file (`Llama-2-7b-hf/config.json` → `Llama-2-7b-hf`), or the
/// file stem when the file is not called `config.json`.
pub fn load_config(path: &Path) -> Result<ModelSpec, ModelError> {
    let file = path.display().to_string();
    let text = read_text(path)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = if stem == "config" {
        path.canonicalize()
            .ok()
            .and_then(|p| {
                p.parent()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or(stem)
    } else {
        stem
    };
    let mut spec = parse_config(&text, &file)?;
    spec.name = name;
    Ok(spec)
}

/// Reads a UTF-8 text file; invalid UTF-8 is reported with its byte offset.
pub fn read_text(path: &Path) -> Result<String, ModelError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        file: file.clone(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| ModelError::Binary {
        file,
        offset: e.utf8_error().valid_up_to() as u64,
        message: "expected UTF-8 text".into(),
    })
}

/// Parses JSON text, reporting syntax errors and truncation with the file,
/// line and column.
pub fn parse_json(text: &str, file: &str) -> Result<Value, ModelError> {
    serde_json::from_str(text).map_err(|e| json_error(&e, file))
}

/// Converts a serde_json error into a [`ModelError::Syntax`].
pub fn json_error(e: &serde_json::Error, file: &str) -> ModelError {
    let full = e.to_string();
    let msg = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!("invalid JSON: {msg} (is the file truncated?)"),
        _ => format!("invalid JSON: {msg}"),
    };
    ModelError::Syntax {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Imports the text of a `config.json`; `file` names it in errors and
/// becomes the spec's name and source.
pub fn parse_config(text: &str, file: &str) -> Result<ModelSpec, ModelError> {
    let v = parse_json(text, file)?;
    spec_from_json(&v, file)
}

/// Imports an already parsed `config.json`.
pub fn spec_from_json(v: &Value, file: &str) -> Result<ModelSpec, ModelError> {
    let obj = v.as_object().ok_or_else(|| ModelError::Parse {
        file: file.to_string(),
        field: "(top level)".into(),
        expected: format!("a JSON object, found {}", describe(v)),
    })?;
    let f = Fields { obj, file };
    let supported = MODEL_TYPES.join(", ");
    let model_type = match obj.get("model_type") {
        Some(Value::String(s)) => s.as_str(),
        other => {
            return Err(f.bad(
                "model_type",
                &format!("a string, one of {supported}"),
                other,
            ))
        }
    };
    let family = Family::parse(model_type).ok_or_else(|| ModelError::Parse {
        file: file.to_string(),
        field: "model_type".into(),
        expected: format!("one of {supported} (found \"{model_type}\")"),
    })?;
    let spec = match family {
        Family::Opt => opt(&f)?,
        Family::Gpt2 => gpt2(&f)?,
        _ => llama_like(&f, family)?,
    };
    spec.validate()?;
    Ok(spec)
}

/// Llama, Mistral, Mixtral and Qwen2: RMSNorm, RoPE, gated SiLU MLP.
fn llama_like(f: &Fields, family: Family) -> Result<ModelSpec, ModelError> {
    let hidden = f.u64("hidden_size")?;
    let heads = f.u64("num_attention_heads")?;
    let (default_pos, default_theta) = match family {
        Family::Llama => (2048, 10_000.0),
        Family::Mistral => (4096 * 32, 10_000.0),
        Family::Mixtral => (4096 * 32, 1e6),
        _ => (32768, 10_000.0),
    };
    let moe = if family == Family::Mixtral {
        Some(MoeSpec {
            experts: f.opt_u64("num_local_experts")?.unwrap_or(8),
            top_k: f.opt_u64("num_experts_per_tok")?.unwrap_or(2),
        })
    } else {
        None
    };
    let attention_bias = f.opt_bool("attention_bias")?.unwrap_or(false);
    Ok(ModelSpec {
        name: f.file.to_string(),
        family,
        hidden,
        layers: f.u64("num_hidden_layers")?,
        heads,
        kv_heads: f.opt_u64("num_key_value_heads")?.unwrap_or(heads),
        head_dim: match f.opt_u64("head_dim")? {
            Some(d) => d,
            None => f.divide(hidden, heads, "hidden_size", "num_attention_heads")?,
        },
        intermediate: f.u64("intermediate_size")?,
        vocab: f.u64("vocab_size")?,
        max_positions: f.opt_u64("max_position_embeddings")?.unwrap_or(default_pos),
        norm: NormKind::RmsNorm,
        act: f.act("hidden_act", "silu")?,
        gated_mlp: true,
        // Qwen2 always has q/k/v biases; Llama's `attention_bias` adds them
        // (its o_proj bias, `hidden_size` parameters, follows `mlp_bias` here).
        qkv_bias: family == Family::Qwen2 || attention_bias,
        linear_bias: f.opt_bool("mlp_bias")?.unwrap_or(false),
        tied_embeddings: f.opt_bool("tie_word_embeddings")?.unwrap_or(false),
        positions: Positions::Rope {
            theta: f.opt_f64("rope_theta")?.unwrap_or(default_theta),
        },
        moe,
        source: f.file.to_string(),
    })
}

/// OPT: LayerNorm, learned positions, ReLU MLP of width `ffn_dim`, biases.
fn opt(f: &Fields) -> Result<ModelSpec, ModelError> {
    let hidden = f.u64("hidden_size")?;
    let heads = f.u64("num_attention_heads")?;
    if let Some(p) = f.opt_u64("word_embed_proj_dim")? {
        if p != hidden {
            return Err(ModelError::Parse {
                file: f.file.to_string(),
                field: "word_embed_proj_dim".into(),
                expected: format!(
                    "the same value as hidden_size ({hidden}), found {p}: OPT models with embedding \
                     projections (such as opt-350m) are not supported"
                ),
            });
        }
    }
    if f.opt_bool("do_layer_norm_before")? == Some(false) {
        return Err(ModelError::Parse {
            file: f.file.to_string(),
            field: "do_layer_norm_before".into(),
            expected: "true: post-LayerNorm OPT blocks (as in opt-350m) are not supported".into(),
        });
    }
    let bias = f.opt_bool("enable_bias")?.unwrap_or(true);
    Ok(ModelSpec {
        name: f.file.to_string(),
        family: Family::Opt,
        hidden,
        layers: f.u64("num_hidden_layers")?,
        heads,
        kv_heads: heads,
        head_dim: f.divide(hidden, heads, "hidden_size", "num_attention_heads")?,
        intermediate: f.u64("ffn_dim")?,
        vocab: f.u64("vocab_size")?,
        max_positions: f.opt_u64("max_position_embeddings")?.unwrap_or(2048),
        norm: NormKind::LayerNorm,
        act: f.act("activation_function", "relu")?,
        gated_mlp: false,
        qkv_bias: bias,
        linear_bias: bias,
        tied_embeddings: f.opt_bool("tie_word_embeddings")?.unwrap_or(true),
        positions: Positions::Learned,
        moe: None,
        source: f.file.to_string(),
    })
}

/// GPT-2: LayerNorm, learned positions, GELU MLP, biases, fused QKV.
fn gpt2(f: &Fields) -> Result<ModelSpec, ModelError> {
    let hidden = f.u64("n_embd")?;
    let heads = f.u64("n_head")?;
    Ok(ModelSpec {
        name: f.file.to_string(),
        family: Family::Gpt2,
        hidden,
        layers: f.u64("n_layer")?,
        heads,
        kv_heads: heads,
        head_dim: f.divide(hidden, heads, "n_embd", "n_head")?,
        intermediate: f.opt_u64("n_inner")?.unwrap_or(hidden.saturating_mul(4)),
        vocab: f.opt_u64("vocab_size")?.unwrap_or(50257),
        max_positions: f.opt_u64("n_positions")?.unwrap_or(1024),
        norm: NormKind::LayerNorm,
        act: f.act("activation_function", "gelu_new")?,
        gated_mlp: false,
        qkv_bias: true,
        linear_bias: true,
        tied_embeddings: f.opt_bool("tie_word_embeddings")?.unwrap_or(true),
        positions: Positions::Learned,
        moe: None,
        source: f.file.to_string(),
    })
}

/// Typed access to the fields of a config object, with errors that name them.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    file: &'a str,
}

impl Fields<'_> {
    fn bad(&self, field: &str, expected: &str, found: Option<&Value>) -> ModelError {
        let found = found.map_or("it is missing".to_string(), |v| {
            format!("found {}", describe(v))
        });
        ModelError::Parse {
            file: self.file.to_string(),
            field: field.to_string(),
            expected: format!("{expected}; {found}"),
        }
    }

    /// A present, non-null value.
    fn get(&self, key: &str) -> Option<&Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn u64(&self, key: &str) -> Result<u64, ModelError> {
        self.opt_u64(key)?
            .ok_or_else(|| self.bad(key, "a positive integer", None))
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, ModelError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let n = v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 1e18)
                .map(|x| x as u64)
        });
        n.map(Some)
            .ok_or_else(|| self.bad(key, "a non-negative integer", Some(v)))
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>, ModelError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        v.as_f64()
            .map(Some)
            .ok_or_else(|| self.bad(key, "a number", Some(v)))
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, ModelError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        v.as_bool()
            .map(Some)
            .ok_or_else(|| self.bad(key, "true or false", Some(v)))
    }

    fn act(&self, key: &str, default: &str) -> Result<ActFn, ModelError> {
        let v = self.get(key);
        let name = match v {
            None => default,
            Some(Value::String(s)) => s.as_str(),
            Some(other) => return Err(self.bad(key, "an activation name", Some(other))),
        };
        match name {
            "silu" | "swish" => Ok(ActFn::Silu),
            "gelu" | "gelu_new" | "gelu_fast" | "gelu_pytorch_tanh" | "gelu_python"
            | "gelu_accurate" => Ok(ActFn::Gelu),
            "relu" => Ok(ActFn::Relu),
            _ => Err(self.bad(
                key,
                "one of silu, swish, gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, relu",
                v,
            )),
        }
    }

    /// `a / b`, which must divide exactly (a head width derived from the width).
    fn divide(&self, a: u64, b: u64, a_name: &str, b_name: &str) -> Result<u64, ModelError> {
        if b == 0 || !a.is_multiple_of(b) {
            return Err(ModelError::Parse {
                file: self.file.to_string(),
                field: b_name.to_string(),
                expected: format!("a positive divisor of {a_name} ({a}), found {b}"),
            });
        }
        Ok(a / b)
    }
}

/// Short description of a JSON value for error messages.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 40 => format!(
            "a string (\"{}...\")",
            s.chars().take(40).collect::<String>()
        ),
        Value::String(s) => format!("a string (\"{s}\")"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}
