//! Tensor parallelism (Megatron-LM style) as a per-device model: the shard
//! one device holds is itself a model with fewer heads, a narrower MLP and a
//! slice of the vocabulary, so the ordinary graph builder and work model
//! price it.
//!
//! - q/k/v and gate/up are column-parallel, o and down row-parallel: each
//!   device has `heads/N` query heads and `intermediate/N` MLP columns (per
//!   expert for MoE);
//! - KV heads: `kv_heads/N` per device when `N` divides `kv_heads`; when `N`
//!   exceeds `kv_heads` (and is a multiple of it) each device keeps one KV
//!   head, replicated `N/kv_heads` times (as vLLM does); other degrees are
//!   errors;
//! - the embedding and lm_head are vocabulary-parallel: `⌈vocab/N⌉` rows each
//!   (Megatron pads the vocabulary);
//! - norms, residual adds and learned position tables are replicated;
//! - communication per step: one all-reduce of the embedding output, two per
//!   layer (after o_proj and after down_proj) of `B·S·D` activations, and an
//!   all-gather of the `B·V` logits, all in 16-bit.

use llmfab_models::ModelSpec;

/// A sharded model and what sharding did.
#[derive(Clone, Debug)]
pub struct Shard {
    /// The per-device model.
    pub spec: ModelSpec,
    /// Degree.
    pub degree: u32,
    /// Remarks for the report (KV-head replication).
    pub notes: Vec<String>,
}

/// The per-device shard of `spec` at tensor-parallel degree `n`, or the
/// reasons it cannot be split that way.
pub fn shard(spec: &ModelSpec, n: u32) -> Result<Shard, Vec<String>> {
    let n64 = n as u64;
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    if n == 0 {
        return Err(vec!["--tp must be at least 1".into()]);
    }
    if n == 1 {
        return Ok(Shard {
            spec: spec.clone(),
            degree: 1,
            notes,
        });
    }
    if !spec.heads.is_multiple_of(n64) {
        problems.push(format!(
            "--tp {n} does not divide the {} attention heads of {}",
            spec.heads, spec.name
        ));
    }
    let kv = if spec.kv_heads.is_multiple_of(n64) {
        spec.kv_heads / n64
    } else if spec.kv_heads > 0 && n64.is_multiple_of(spec.kv_heads) {
        notes.push(format!(
            "--tp {n} exceeds the {} KV heads: each device keeps 1 KV head, replicated {}x (KV cache and its traffic grow accordingly)",
            spec.kv_heads,
            n64 / spec.kv_heads
        ));
        1
    } else {
        problems.push(format!(
            "--tp {n} neither divides nor is a multiple of the {} KV heads of {}",
            spec.kv_heads, spec.name
        ));
        1
    };
    if !spec.intermediate.is_multiple_of(n64) {
        problems.push(format!(
            "--tp {n} does not divide the MLP width {} of {}",
            spec.intermediate, spec.name
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut s = spec.clone();
    s.heads = spec.heads / n64;
    s.kv_heads = kv;
    s.intermediate = spec.intermediate / n64;
    s.vocab = spec.vocab.div_ceil(n64);
    s.name = format!("{} (tp {n} shard)", spec.name);
    Ok(Shard {
        spec: s,
        degree: n,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmfab_models::*;

    fn spec(heads: u64, kv: u64) -> ModelSpec {
        ModelSpec {
            name: "t".into(),
            family: Family::Llama,
            hidden: heads * 64,
            layers: 2,
            heads,
            kv_heads: kv,
            head_dim: 64,
            intermediate: 1024,
            vocab: 1001,
            max_positions: 128,
            norm: NormKind::RmsNorm,
            act: ActFn::Silu,
            gated_mlp: true,
            qkv_bias: false,
            linear_bias: false,
            tied_embeddings: false,
            positions: Positions::Rope { theta: 1e4 },
            moe: None,
            source: "t".into(),
        }
    }

    #[test]
    fn divides_heads_or_says_why_not() {
        let s = shard(&spec(32, 8), 4).unwrap();
        assert_eq!(
            (
                s.spec.heads,
                s.spec.kv_heads,
                s.spec.intermediate,
                s.spec.vocab
            ),
            (8, 2, 256, 251)
        );
        let s = shard(&spec(32, 8), 16).unwrap();
        assert_eq!((s.spec.heads, s.spec.kv_heads), (2, 1));
        assert!(s.notes[0].contains("replicated 2x"));
        let e = shard(&spec(32, 8), 3).unwrap_err();
        assert!(e.iter().any(|p| p.contains("32 attention heads")), "{e:?}");
        assert!(shard(&spec(32, 8), 0).is_err());
    }
}
