//! The tensors a Hugging Face checkpoint of a model holds: names, shapes
//! (as stored: `[out, in]` for `nn.Linear`, `[in, out]` for GPT-2's
//! `Conv1D`) and the llmfab op each weight matrix feeds.

use crate::spec::{Family, ModelSpec};
use std::collections::BTreeMap;

/// What one tensor should look like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Stored shape.
    pub shape: Vec<u64>,
    /// The llmfab op whose weight this is (`layer0.attn.q_proj`, `embed`,
    /// `lm_head`); `None` for norms and biases.
    pub op: Option<String>,
    /// Input and output features of a weight matrix (for packed formats).
    pub k: u64,
    /// Output features.
    pub n: u64,
    /// May be absent (a tied lm_head).
    pub optional: bool,
}

fn w(shape: Vec<u64>, op: String, k: u64, n: u64) -> Expected {
    Expected {
        shape,
        op: Some(op),
        k,
        n,
        optional: false,
    }
}

fn v(shape: Vec<u64>) -> Expected {
    Expected {
        shape,
        op: None,
        k: 0,
        n: 0,
        optional: false,
    }
}

/// Every tensor of a checkpoint of `s`, by canonical name.
pub fn expected(s: &ModelSpec) -> BTreeMap<String, Expected> {
    let mut m = BTreeMap::new();
    let (d, q, kv, ff, voc) = (s.hidden, s.q_dim(), s.kv_dim(), s.intermediate, s.vocab);
    // nn.Linear weight [out, in] for op `op` of layer `l`.
    let lin = |m: &mut BTreeMap<String, Expected>,
               name: String,
               op: String,
               k: u64,
               n: u64,
               bias: bool| {
        if bias {
            m.insert(format!("{name}.bias"), v(vec![n]));
        }
        m.insert(format!("{name}.weight"), w(vec![n, k], op, k, n));
    };
    let mut lm_head = w(vec![voc, d], "lm_head".into(), d, voc);
    lm_head.optional = s.tied_embeddings;
    m.insert("lm_head.weight".into(), lm_head);
    match s.family {
        Family::Gpt2 => {
            m.insert("wte.weight".into(), w(vec![voc, d], "embed".into(), d, voc));
            m.insert(
                "wpe.weight".into(),
                w(
                    vec![s.position_rows(), d],
                    "embed".into(),
                    d,
                    s.position_rows(),
                ),
            );
            for n in ["ln_f.weight", "ln_f.bias"] {
                m.insert(n.into(), v(vec![d]));
            }
            for l in 0..s.layers {
                let (p, o) = (format!("h.{l}"), format!("layer{l}"));
                for n in ["ln_1.weight", "ln_1.bias", "ln_2.weight", "ln_2.bias"] {
                    m.insert(format!("{p}.{n}"), v(vec![d]));
                }
                // Conv1D stores [in, out].
                let conv =
                    |m: &mut BTreeMap<String, Expected>, name: &str, op: &str, k: u64, n: u64| {
                        m.insert(
                            format!("{p}.{name}.weight"),
                            w(vec![k, n], format!("{o}.{op}"), k, n),
                        );
                        m.insert(format!("{p}.{name}.bias"), v(vec![n]));
                    };
                conv(&mut m, "attn.c_attn", "attn.qkv_proj", d, q + 2 * kv);
                conv(&mut m, "attn.c_proj", "attn.o_proj", q, d);
                conv(&mut m, "mlp.c_fc", "mlp.up_proj", d, ff);
                conv(&mut m, "mlp.c_proj", "mlp.down_proj", ff, d);
            }
        }
        Family::Opt => {
            let g = "model.decoder";
            m.insert(
                format!("{g}.embed_tokens.weight"),
                w(vec![voc, d], "embed".into(), d, voc),
            );
            m.insert(
                format!("{g}.embed_positions.weight"),
                w(
                    vec![s.position_rows(), d],
                    "embed".into(),
                    d,
                    s.position_rows(),
                ),
            );
            for n in ["final_layer_norm.weight", "final_layer_norm.bias"] {
                m.insert(format!("{g}.{n}"), v(vec![d]));
            }
            for l in 0..s.layers {
                let (p, o) = (format!("{g}.layers.{l}"), format!("layer{l}"));
                for n in ["self_attn_layer_norm", "final_layer_norm"] {
                    m.insert(format!("{p}.{n}.weight"), v(vec![d]));
                    m.insert(format!("{p}.{n}.bias"), v(vec![d]));
                }
                lin(
                    &mut m,
                    format!("{p}.self_attn.q_proj"),
                    format!("{o}.attn.q_proj"),
                    d,
                    q,
                    s.qkv_bias,
                );
                lin(
                    &mut m,
                    format!("{p}.self_attn.k_proj"),
                    format!("{o}.attn.k_proj"),
                    d,
                    kv,
                    s.qkv_bias,
                );
                lin(
                    &mut m,
                    format!("{p}.self_attn.v_proj"),
                    format!("{o}.attn.v_proj"),
                    d,
                    kv,
                    s.qkv_bias,
                );
                lin(
                    &mut m,
                    format!("{p}.self_attn.out_proj"),
                    format!("{o}.attn.o_proj"),
                    q,
                    d,
                    s.linear_bias,
                );
                lin(
                    &mut m,
                    format!("{p}.fc1"),
                    format!("{o}.mlp.up_proj"),
                    d,
                    ff,
                    s.linear_bias,
                );
                lin(
                    &mut m,
                    format!("{p}.fc2"),
                    format!("{o}.mlp.down_proj"),
                    ff,
                    d,
                    s.linear_bias,
                );
            }
        }
        _ => {
            m.insert(
                "model.embed_tokens.weight".into(),
                w(vec![voc, d], "embed".into(), d, voc),
            );
            m.insert("model.norm.weight".into(), v(vec![d]));
            for l in 0..s.layers {
                let (p, o) = (format!("model.layers.{l}"), format!("layer{l}"));
                for n in ["input_layernorm", "post_attention_layernorm"] {
                    m.insert(format!("{p}.{n}.weight"), v(vec![d]));
                }
                let a = format!("{p}.self_attn");
                lin(
                    &mut m,
                    format!("{a}.q_proj"),
                    format!("{o}.attn.q_proj"),
                    d,
                    q,
                    s.qkv_bias,
                );
                lin(
                    &mut m,
                    format!("{a}.k_proj"),
                    format!("{o}.attn.k_proj"),
                    d,
                    kv,
                    s.qkv_bias,
                );
                lin(
                    &mut m,
                    format!("{a}.v_proj"),
                    format!("{o}.attn.v_proj"),
                    d,
                    kv,
                    s.qkv_bias,
                );
                lin(
                    &mut m,
                    format!("{a}.o_proj"),
                    format!("{o}.attn.o_proj"),
                    q,
                    d,
                    s.linear_bias,
                );
                match s.moe {
                    Some(moe) => {
                        let b = format!("{p}.block_sparse_moe");
                        lin(
                            &mut m,
                            format!("{b}.gate"),
                            format!("{o}.moe.router"),
                            d,
                            moe.experts,
                            false,
                        );
                        for e in 0..moe.experts {
                            let x = format!("{b}.experts.{e}");
                            lin(
                                &mut m,
                                format!("{x}.w1"),
                                format!("{o}.moe.gate_proj"),
                                d,
                                ff,
                                false,
                            );
                            lin(
                                &mut m,
                                format!("{x}.w3"),
                                format!("{o}.moe.up_proj"),
                                d,
                                ff,
                                false,
                            );
                            lin(
                                &mut m,
                                format!("{x}.w2"),
                                format!("{o}.moe.down_proj"),
                                ff,
                                d,
                                false,
                            );
                        }
                    }
                    None => {
                        let b = format!("{p}.mlp");
                        lin(
                            &mut m,
                            format!("{b}.gate_proj"),
                            format!("{o}.mlp.gate_proj"),
                            d,
                            ff,
                            s.linear_bias,
                        );
                        lin(
                            &mut m,
                            format!("{b}.up_proj"),
                            format!("{o}.mlp.up_proj"),
                            d,
                            ff,
                            s.linear_bias,
                        );
                        lin(
                            &mut m,
                            format!("{b}.down_proj"),
                            format!("{o}.mlp.down_proj"),
                            ff,
                            d,
                            s.linear_bias,
                        );
                    }
                }
            }
        }
    }
    m
}

/// The canonical name of a stored tensor name: checkpoints of the same
/// family differ in prefixes (`decoder.` vs `model.decoder.` for OPT,
/// `transformer.h.0` vs `h.0` for GPT-2).
pub fn canonical(name: &str, family: Family) -> String {
    match family {
        Family::Gpt2 => name
            .strip_prefix("transformer.")
            .unwrap_or(name)
            .to_string(),
        Family::Opt if name.starts_with("decoder.") => format!("model.{name}"),
        _ => name.to_string(),
    }
}
