//! Architecture hyper-parameters of a transformer decoder (what a Hugging Face
//! `config.json` or a GGUF header describes), independent of quantization.

use crate::ModelError;
use serde::{Deserialize, Serialize};

/// Model family; decides the block structure the graph builder emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Llama 1/2/3: RMSNorm, RoPE, gated SiLU MLP, optional GQA.
    Llama,
    /// Mistral: Llama structure with GQA (sliding window ignored for costs
    /// unless `sliding_window` is set).
    Mistral,
    /// Mixtral: Mistral with a top-k mixture-of-experts MLP.
    Mixtral,
    /// Qwen2 / Qwen2.5: Llama structure with q/k/v biases.
    Qwen2,
    /// OPT: LayerNorm, learned positions, ReLU MLP, biases.
    Opt,
    /// GPT-2: LayerNorm, learned positions, GELU MLP, biases, fused QKV.
    Gpt2,
}

impl Family {
    /// Lower-case name as used in text forms and `config.json` `model_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Llama => "llama",
            Family::Mistral => "mistral",
            Family::Mixtral => "mixtral",
            Family::Qwen2 => "qwen2",
            Family::Opt => "opt",
            Family::Gpt2 => "gpt2",
        }
    }
    /// Parses a family name (as printed by [`Family::as_str`]).
    pub fn parse(s: &str) -> Option<Family> {
        Some(match s {
            "llama" => Family::Llama,
            "mistral" => Family::Mistral,
            "mixtral" => Family::Mixtral,
            "qwen2" => Family::Qwen2,
            "opt" => Family::Opt,
            "gpt2" => Family::Gpt2,
            _ => return None,
        })
    }
}

/// Normalisation layer kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormKind {
    /// Root-mean-square norm with a learned scale.
    RmsNorm,
    /// Layer norm with learned scale and bias.
    LayerNorm,
}

/// Element-wise activation function of the MLP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActFn {
    /// x·sigmoid(x) (gated MLPs: Llama, Mistral, Qwen).
    Silu,
    /// Gaussian error linear unit (GPT-2).
    Gelu,
    /// Rectified linear unit (OPT).
    Relu,
}

/// How positions enter the model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Positions {
    /// Rotary embeddings applied to q and k in every layer.
    Rope {
        /// RoPE base frequency.
        theta: f64,
    },
    /// A learned position-embedding table added after the token embedding.
    Learned,
}

/// Mixture-of-experts MLP parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoeSpec {
    /// Experts per layer (`E`).
    pub experts: u64,
    /// Experts each token is routed to (`k`).
    pub top_k: u64,
}

/// Hyper-parameters of a decoder-only transformer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Display name (zoo name or file stem).
    pub name: String,
    /// Family, which fixes the block structure.
    pub family: Family,
    /// Model width `D`.
    pub hidden: u64,
    /// Decoder layers.
    pub layers: u64,
    /// Query heads.
    pub heads: u64,
    /// Key/value heads (`heads` for MHA, fewer for GQA, 1 for MQA).
    pub kv_heads: u64,
    /// Width of one head.
    pub head_dim: u64,
    /// MLP intermediate width (per expert for MoE).
    pub intermediate: u64,
    /// Vocabulary size.
    pub vocab: u64,
    /// Maximum context length the model was trained for.
    pub max_positions: u64,
    /// Normalisation kind.
    pub norm: NormKind,
    /// MLP activation.
    pub act: ActFn,
    /// Gated MLP (gate and up projections multiplied) versus a plain two-layer MLP.
    pub gated_mlp: bool,
    /// Bias on q, k and v projections.
    pub qkv_bias: bool,
    /// Bias on the output projection and the MLP linears.
    pub linear_bias: bool,
    /// lm_head shares the token-embedding matrix.
    pub tied_embeddings: bool,
    /// Position encoding.
    pub positions: Positions,
    /// Mixture of experts, if any.
    pub moe: Option<MoeSpec>,
    /// Where these numbers come from (zoo entry, file path).
    pub source: String,
}

impl ModelSpec {
    /// Checks the invariants the graph builder relies on, collecting every
    /// violation (named by field) instead of stopping at the first.
    pub fn validate(&self) -> Result<(), ModelError> {
        let mut errs = Vec::new();
        for (field, v) in [
            ("hidden_size", self.hidden),
            ("num_hidden_layers", self.layers),
            ("num_attention_heads", self.heads),
            ("num_key_value_heads", self.kv_heads),
            ("head_dim", self.head_dim),
            ("intermediate_size", self.intermediate),
            ("vocab_size", self.vocab),
        ] {
            if v == 0 {
                errs.push(format!("{field} must be positive, got 0"));
            }
        }
        // Bounds far above any real model that keep every count the graph
        // builder and `param_count` compute within u64.
        let experts = self.moe.map_or(0, |m| m.experts);
        for (field, v, max) in [
            ("hidden_size", self.hidden, 1 << 17),
            ("num_hidden_layers", self.layers, 1 << 12),
            ("num_attention_heads", self.heads, 1 << 12),
            ("num_key_value_heads", self.kv_heads, 1 << 12),
            ("head_dim", self.head_dim, 1 << 17),
            ("intermediate_size", self.intermediate, 1 << 17),
            ("vocab_size", self.vocab, 1 << 22),
            ("max_position_embeddings", self.max_positions, 1 << 27),
            ("num_local_experts", experts, 1 << 10),
        ] {
            if v > max {
                errs.push(format!("{field} ({v}) exceeds the supported maximum {max}"));
            }
        }
        if self.kv_heads > 0 && !self.heads.is_multiple_of(self.kv_heads) {
            errs.push(format!(
                "num_key_value_heads ({}) must divide num_attention_heads ({})",
                self.kv_heads, self.heads
            ));
        }
        if let Some(m) = self.moe {
            if m.experts == 0 || m.top_k == 0 || m.top_k > m.experts {
                errs.push(format!(
                    "num_experts_per_tok ({}) must be between 1 and num_local_experts ({})",
                    m.top_k, m.experts
                ));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ModelError::Invalid {
                what: self.source.clone(),
                problems: errs,
            })
        }
    }

    /// Query width `heads · head_dim` (equals `hidden` for most models).
    pub fn q_dim(&self) -> u64 {
        self.heads * self.head_dim
    }
    /// Key (or value) width `kv_heads · head_dim`.
    pub fn kv_dim(&self) -> u64 {
        self.kv_heads * self.head_dim
    }

    /// Rows of the learned position table (0 with rotary positions). OPT's
    /// table has two extra rows: its positions start at offset 2
    /// (`OPTLearnedPositionalEmbedding`), so `facebook/opt-6.7b` stores
    /// 2050 × 4096 position weights.
    pub fn position_rows(&self) -> u64 {
        match (self.positions, self.family) {
            (Positions::Rope { .. }, _) => 0,
            (Positions::Learned, Family::Opt) => self.max_positions.saturating_add(2),
            (Positions::Learned, _) => self.max_positions,
        }
    }

    /// Parameters per weight matrix class, counted from the shapes the graph
    /// builder uses: (embedding incl. positions, per-layer linears, lm_head if untied,
    /// norms and biases).
    pub fn param_count(&self) -> u64 {
        let d = self.hidden;
        let attn = d * self.q_dim() + 2 * d * self.kv_dim() + self.q_dim() * d;
        let mlp_one = if self.gated_mlp { 3 } else { 2 } * d * self.intermediate;
        let mlp = match self.moe {
            Some(m) => m.experts * mlp_one + d * m.experts,
            None => mlp_one,
        };
        let norms = if self.norm == NormKind::LayerNorm {
            4 * d
        } else {
            2 * d
        };
        let biases = if self.qkv_bias {
            self.q_dim() + 2 * self.kv_dim()
        } else {
            0
        } + if self.linear_bias {
            d + match self.moe {
                Some(m) => m.experts,
                None => 1,
            } * (if self.gated_mlp { 2 } else { 1 } * self.intermediate + d)
        } else {
            0
        };
        let per_layer = attn + mlp + norms + biases;
        let pos = self.position_rows() * d;
        let emb = self.vocab * d + pos;
        let head = if self.tied_embeddings {
            0
        } else {
            self.vocab * d
        };
        let final_norm = if self.norm == NormKind::LayerNorm {
            2 * d
        } else {
            d
        };
        emb + self.layers * per_layer + head + final_norm
    }
}
