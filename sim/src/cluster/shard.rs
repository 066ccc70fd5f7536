//! The per-device shard of one decoder block: the model's repeated layer
//! structure is costed once per shape, not once per layer.
//!
//! Under tensor parallelism of degree `tp` (Megatron-LM's split) each device
//! holds `heads/tp` query heads, `max(1, kv_heads/tp)` KV heads (KV heads
//! are replicated when `tp > kv_heads`, as vLLM does), `intermediate/tp` MLP
//! columns and `vocab/tp` rows of the embedding and lm_head
//! (vocabulary-parallel). Expert parallelism of degree `ep` (dividing `tp`)
//! gives each device `experts/ep` experts, each split `tp/ep` ways.
//!
//! The shard is expressed as a one-layer [`ModelSpec`] and built with the
//! models crate's own graph builder (flash attention, as serving engines
//! run it), so every op's work comes from [`llmfab_models::op_work`].

use llmfab_models::build::Attention;
use llmfab_models::graph::{Graph, OpId, OpKind};
use llmfab_models::{BuildOptions, ModelSpec};

/// Which part of an iteration an op belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// Embedding gather (first pipeline stage).
    Embed,
    /// Per-layer op whose work scales with the iteration's token count.
    Dense,
    /// Per-layer MoE expert op (its tokens are the routed assignments).
    Expert,
    /// The attention core (flash attention), per sequence.
    Attention,
    /// Final norm (last stage), over tokens.
    FinalNorm,
    /// lm_head (last stage), one row per sequence that emits a token.
    Head,
}

/// One device's shard of the model, as a one-layer graph with its ops sorted
/// into [`Part`]s.
#[derive(Clone, Debug)]
pub struct Shard {
    /// The one-layer shard spec.
    pub spec: ModelSpec,
    /// Its graph.
    pub graph: Graph,
    /// Ops of each part.
    pub parts: Vec<(OpId, Part)>,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Expert-parallel degree.
    pub ep: u32,
}

impl Shard {
    /// The shard of `spec` on one device of a `tp`-way group with `ep`-way
    /// expert parallelism. Degrees must already be valid (see
    /// [`super::plan::check`]).
    pub fn new(spec: &ModelSpec, tp: u32, ep: u32) -> Shard {
        let t = tp.max(1) as u64;
        let mut s = spec.clone();
        s.layers = 1;
        s.heads = (spec.heads / t).max(1);
        s.kv_heads = (spec.kv_heads / t).max(1);
        s.vocab = spec.vocab.div_ceil(t);
        match spec.moe {
            Some(mut m) => {
                let e = ep.max(1) as u64;
                m.experts = (m.experts / e).max(1);
                m.top_k = m.top_k.min(m.experts);
                s.moe = Some(m);
                s.intermediate = spec.intermediate.div_ceil((t / e).max(1));
            }
            None => s.intermediate = spec.intermediate.div_ceil(t),
        }
        let graph = Graph::build(
            &s,
            BuildOptions {
                attention: Attention::Flash,
                fuse_qkv: false,
                fuse_gate_up: false,
            },
        );
        let parts = graph
            .ops()
            .map(|(id, op)| {
                let part = match (&op.kind, op.layer) {
                    (OpKind::Embedding { .. }, _) => Part::Embed,
                    (
                        OpKind::Linear {
                            role: llmfab_models::LinearRole::LmHead,
                            ..
                        },
                        _,
                    ) => Part::Head,
                    (_, None) => Part::FinalNorm,
                    (
                        OpKind::FlashAttn { .. }
                        | OpKind::AttnQk { .. }
                        | OpKind::AttnSv { .. }
                        | OpKind::Softmax { .. },
                        _,
                    ) => Part::Attention,
                    _ if is_expert_op(&op.name, &op.kind) => Part::Expert,
                    _ => Part::Dense,
                };
                (id, part)
            })
            .collect();
        Shard {
            spec: s,
            graph,
            parts,
            tp,
            ep,
        }
    }

    /// Ops of one part.
    pub fn ops(&self, part: Part) -> impl Iterator<Item = OpId> + '_ {
        self.parts
            .iter()
            .filter(move |(_, p)| *p == part)
            .map(|(id, _)| *id)
    }

    /// Bytes of one KV-cache token on this device for one layer.
    pub fn kv_bytes_per_token_layer(&self, kv_elem_bytes: f64) -> f64 {
        2.0 * self.spec.kv_dim() as f64 * kv_elem_bytes
    }
}

/// MoE ops whose rows are routed token-expert assignments (everything in
/// `layerN.moe.*` except the router and its top-k).
fn is_expert_op(name: &str, kind: &OpKind) -> bool {
    name.contains(".moe.") && !matches!(kind, OpKind::TopK { .. } | OpKind::Linear { .. })
}

/// Strips the `layerN.` prefix from an op name (`layer0.attn.q_proj` →
/// `attn.q_proj`): the block-relative name profile tables use.
pub fn block_name(name: &str) -> &str {
    match name.strip_prefix("layer") {
        Some(rest) => rest.split_once('.').map_or(name, |(n, tail)| {
            if n.chars().all(|c| c.is_ascii_digit()) {
                tail
            } else {
                name
            }
        }),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_of_llama_70b_tp8() {
        let spec = llmfab_models::zoo::get("llama-3-70b").unwrap();
        let s = Shard::new(&spec, 8, 1);
        assert_eq!(
            (s.spec.heads, s.spec.kv_heads, s.spec.intermediate),
            (8, 1, 3584)
        );
        assert_eq!(s.ops(Part::Attention).count(), 1);
        assert_eq!(s.ops(Part::Head).count(), 1);
        assert_eq!(s.ops(Part::Embed).count(), 1);
        assert!(s.ops(Part::Dense).count() >= 10);
        assert_eq!(block_name("layer12.attn.q_proj"), "attn.q_proj");
        assert_eq!(block_name("lm_head"), "lm_head");
    }

    #[test]
    fn moe_shard_splits_experts() {
        let spec = llmfab_models::zoo::get("mixtral-8x7b").unwrap();
        let s = Shard::new(&spec, 4, 4);
        assert_eq!(s.spec.moe.unwrap().experts, 2);
        assert_eq!(s.spec.intermediate, spec.intermediate);
        assert!(s.ops(Part::Expert).count() >= 3);
    }
}
