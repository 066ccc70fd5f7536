//! The cost model of one replica (a TP × PP group of devices): memory per
//! device, KV-cache capacity, layers per stage, and the time, energy, FLOPs
//! and bytes of each pipeline stage for an iteration's batch.
//!
//! An iteration's cost per stage is
//!
//! ```text
//! layers_s · ( dense(T) + attn_decode(b, L̄) + Σ_chunks attn_prefill(c, L) + comm(T) )
//!   + embed(T)             (first stage)
//!   + final_norm(T) + lm_head(n)   (last stage)
//! ```
//!
//! where `T` is the iteration's tokens, `b` the decoding sequences with
//! mean context `L̄`, `c` a prompt chunk attending to `L` positions, `n` the
//! sequences emitting a token, and `comm` two ring all-reduces of the
//! `T × hidden` activations over the TP group (plus two all-to-alls over the
//! EP group for MoE). One decoder block is costed once per shape — never
//! once per layer — and every component is evaluated at grid points
//! ([`super::grid`]) and cached, so a simulation prices each distinct
//! shape once.

use super::balance::{balance, StageProblem};
use super::collective::{all_reduce, all_to_all, p2p};
pub use super::cost::Cost;
use super::cost::{BlockQuery, Component, OpCostProvider, OpQuery};
use super::error::ClusterError;
use super::grid::{bracket, weight};
use super::plan::Plan;
use super::shard::{Part, Shard};
use super::topology::{Cluster, LinkSpec};
use llmfab_models::graph::OpKind;
use llmfab_models::work::embedding_bits;
use llmfab_models::{op_work, Bindings, ModelSpec, OpId, QuantScheme};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Serving-engine settings (defaults follow vLLM's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServeConfig {
    /// Most sequences in one iteration (vLLM `max_num_seqs`, 256).
    pub max_seqs: u32,
    /// Most tokens in one iteration (vLLM `max_num_batched_tokens`; 8192).
    /// Without chunking a longer prompt still runs alone.
    pub max_tokens: u32,
    /// KV-cache block size in tokens (vLLM: 16).
    pub block_size: u32,
    /// Fraction of device memory the engine may use (vLLM
    /// `gpu_memory_utilization`, 0.9).
    pub mem_util: f64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_seqs: 256,
            max_tokens: 8192,
            block_size: 16,
            mem_util: 0.9,
        }
    }
}

/// The work of one iteration of one replica, as the cost model needs it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchShape {
    /// New tokens (decodes + prompt chunks).
    pub tokens: u64,
    /// Sequences decoding one token.
    pub decodes: u64,
    /// Sum of their context lengths (including the new token).
    pub decode_kv: u64,
    /// Prompt chunks: (tokens in the chunk, positions attended by its last token).
    /// They share one attention kernel, priced at their mean chunk and
    /// token-weighted mean context, which keeps the total `Σ chunk·context`.
    pub prefills: Vec<(u64, u64)>,
    /// Sequences that emit a token (lm_head rows).
    pub logits: u64,
}

/// Cached component kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Comp {
    Dense,
    Embed,
    FinalNorm,
    Head,
    AttnDecode,
    AttnPrefill,
}

/// The cost model of one replica.
pub struct ReplicaModel<'p> {
    shard: Shard,
    quant: QuantScheme,
    provider: &'p dyn OpCostProvider,
    /// Tensor-parallel degree.
    pub tp: u32,
    ep: u32,
    top_k: u64,
    /// Layers of each pipeline stage.
    pub stage_layers: Vec<u32>,
    tp_link: LinkSpec,
    stage_links: Vec<LinkSpec>,
    static_w: f64,
    hidden: f64,
    act_bytes: f64,
    cache: HashMap<(Comp, u64, u64, u64), Cost>,
    /// Weight bytes on one device of each stage.
    pub weight_bytes: Vec<f64>,
    /// Activation reserve per device.
    pub activation_bytes: f64,
    /// KV-cache bytes per token on one device of each stage.
    pub kv_bytes_per_token: Vec<f64>,
    /// KV-cache capacity of the replica in tokens (the smallest stage's).
    pub kv_capacity_tokens: u64,
    /// Device memory in bytes.
    pub device_memory: f64,
}

fn op_weight_bytes(shard: &Shard, id: OpId, q: &QuantScheme) -> f64 {
    let op = shard.graph.op(id);
    match &op.kind {
        OpKind::Embedding {
            vocab,
            dim,
            positions,
            ..
        } => ((vocab + positions) * dim) as f64 * embedding_bits(q) / 8.0,
        OpKind::MoeLinear { k, n, experts, .. } => {
            (experts * k * n) as f64 * q.weight_bits_per_weight(&op.name, *k) / 8.0
        }
        _ => op_work(&shard.graph, id, &Bindings::decode(1, 1), q).weight_bytes,
    }
}

impl<'p> ReplicaModel<'p> {
    /// Builds the model of one replica of `plan` (the replica's devices start
    /// at `first_device`), balancing layers over stages and checking that
    /// weights and one longest request's KV cache fit.
    pub fn new(
        spec: &ModelSpec,
        quant: &QuantScheme,
        plan: &Plan,
        cluster: &Cluster,
        provider: &'p dyn OpCostProvider,
        serve: &ServeConfig,
        first_device: u32,
    ) -> Result<ReplicaModel<'p>, ClusterError> {
        let shard = Shard::new(spec, plan.tp, plan.ep);
        let tp_link = cluster.group_link(first_device, plan.tp, 1).clone();
        let stage_links = (0..plan.pp.saturating_sub(1))
            .map(|s| {
                cluster
                    .link_between(first_device + s * plan.tp, first_device + (s + 1) * plan.tp)
                    .clone()
            })
            .collect();
        let mut m = ReplicaModel {
            quant: quant.clone(),
            provider,
            tp: plan.tp,
            ep: plan.ep,
            top_k: spec.moe.map_or(1, |m| m.top_k),
            stage_layers: Vec::new(),
            tp_link,
            stage_links,
            static_w: cluster.device.energy.static_w.value,
            hidden: spec.hidden as f64,
            act_bytes: quant.act_bytes(),
            cache: HashMap::new(),
            weight_bytes: Vec::new(),
            activation_bytes: 0.0,
            kv_bytes_per_token: Vec::new(),
            kv_capacity_tokens: 0,
            device_memory: cluster.device.memory.capacity.value,
            shard,
        };
        let w = |part: Part, m: &ReplicaModel| {
            m.shard
                .ops(part)
                .map(|id| op_weight_bytes(&m.shard, id, quant))
                .sum::<f64>()
        };
        let layer_w = w(Part::Dense, &m) + w(Part::Expert, &m) + w(Part::Attention, &m);
        let embed_w = w(Part::Embed, &m);
        let tied = spec.tied_embeddings;
        let head_w = w(Part::FinalNorm, &m)
            + if tied && plan.pp == 1 {
                0.0
            } else {
                w(Part::Head, &m)
            };
        let pp = plan.pp as usize;
        let mut extra_bytes = vec![0.0; pp];
        extra_bytes[0] += embed_w;
        extra_bytes[pp - 1] += head_w;
        // Activation reserve: one forward pass at the token budget (hidden,
        // q/k/v, two MLP intermediates) plus fp32 logits for every sequence
        // (assumption, in the spirit of vLLM's profiling run).
        let s = &m.shard.spec;
        m.activation_bytes = serve.max_tokens as f64
            * (2 * s.hidden + s.q_dim() + 2 * s.kv_dim() + 2 * s.intermediate) as f64
            * m.act_bytes
            + serve.max_seqs as f64 * s.vocab as f64 * 4.0;
        let budget = m.device_memory * serve.mem_util - m.activation_bytes;
        // Balance on a representative decode iteration (64 sequences at 1024 positions).
        let rep = BatchShape {
            tokens: 64,
            decodes: 64,
            decode_kv: 64 * 1024,
            prefills: Vec::new(),
            logits: 64,
        };
        let layer_t = m.layer_cost(&rep)?.time_s;
        let mut extra_time = vec![0.0; pp];
        extra_time[0] += m.interp1(Comp::Embed, rep.tokens)?.time_s;
        extra_time[pp - 1] += m.interp1(Comp::FinalNorm, rep.tokens)?.time_s
            + m.interp1(Comp::Head, rep.logits)?.time_s;
        m.stage_layers = balance(&StageProblem {
            layers: spec.layers as u32,
            stages: plan.pp,
            layer_time: layer_t,
            extra_time,
            layer_bytes: layer_w,
            extra_bytes: extra_bytes.clone(),
            capacity: budget,
        })?;
        let kv_layer = m.shard.kv_bytes_per_token_layer(quant.kv_bytes());
        let mut cap = u64::MAX;
        let mut problems = Vec::new();
        for (i, &n) in m.stage_layers.iter().enumerate() {
            let wb = n as f64 * layer_w + extra_bytes[i];
            m.weight_bytes.push(wb);
            let per_tok = n as f64 * kv_layer;
            m.kv_bytes_per_token.push(per_tok);
            let room = budget - wb;
            if room <= 0.0 {
                problems.push(format!(
                    "stage {i}: weights {:.1} GB + activations {:.1} GB exceed {:.0}% of {:.1} GB per device",
                    wb / 1e9,
                    m.activation_bytes / 1e9,
                    serve.mem_util * 100.0,
                    m.device_memory / 1e9
                ));
                cap = 0;
            } else {
                cap = cap.min((room / per_tok.max(1.0)) as u64);
            }
        }
        if !problems.is_empty() {
            return Err(ClusterError::InvalidPlan {
                plan: plan.to_string(),
                problems,
            });
        }
        let bs = serve.block_size.max(1) as u64;
        m.kv_capacity_tokens = cap / bs * bs;
        Ok(m)
    }

    /// Pipeline stages.
    pub fn stages(&self) -> usize {
        self.stage_layers.len()
    }

    fn op_sum(&self, part: Part, b: Bindings) -> Result<Cost, ClusterError> {
        let mut c = Cost::default();
        for id in self.shard.ops(part) {
            let work = op_work(&self.shard.graph, id, &b, &self.quant);
            let q = OpQuery {
                op: self.shard.graph.op(id),
                bindings: b,
                work: &work,
                tp: self.tp,
            };
            let oc = self.provider.op_cost(&q)?;
            c += Cost {
                time_s: oc.time_s,
                energy_j: oc.energy_j,
                flops: work.ops,
                bytes: work.bytes(),
            };
        }
        Ok(c)
    }

    /// A component at a grid point (cached); `k` is the number of prompt
    /// chunks sharing a prefill attention kernel (1 otherwise).
    fn exact(&mut self, comp: Comp, x: u64, y: u64, k: u64) -> Result<Cost, ClusterError> {
        if let Some(c) = self.cache.get(&(comp, x, y, k)) {
            return Ok(*c);
        }
        let tokens = |t: u64| Bindings {
            batch: 1,
            seq: t,
            kv_len: t,
        };
        let c = match comp {
            Comp::Dense => {
                let mut c = self.op_sum(Part::Dense, tokens(x))?;
                if self.shard.ops(Part::Expert).next().is_some() {
                    // Routed assignments on this device: T·k/ep, as T' tokens of top-k' each.
                    let k_local = self.shard.spec.moe.map_or(1, |m| m.top_k).max(1);
                    let assigned = (x * self.top_k).div_ceil(self.ep.max(1) as u64);
                    c += self.op_sum(Part::Expert, tokens(assigned.div_ceil(k_local).max(1)))?;
                }
                c
            }
            Comp::Embed => self.op_sum(Part::Embed, tokens(x))?,
            Comp::FinalNorm => self.op_sum(Part::FinalNorm, tokens(x))?,
            Comp::Head => self.op_sum(
                Part::Head,
                Bindings {
                    batch: x,
                    seq: 1,
                    kv_len: 1,
                },
            )?,
            Comp::AttnDecode => self.op_sum(Part::Attention, Bindings::decode(x, y))?,
            Comp::AttnPrefill => self.op_sum(
                Part::Attention,
                Bindings {
                    batch: k,
                    seq: x,
                    kv_len: y,
                },
            )?,
        };
        let c = self.block_override(comp, x, y, k, c)?;
        self.cache.insert((comp, x, y, k), c);
        Ok(c)
    }

    /// Lets a block-level provider (the engine simulator) replace the time
    /// of a per-layer component; dynamic energy stays the ops' own, static
    /// power is charged over the new time.
    fn block_override(
        &self,
        comp: Comp,
        x: u64,
        y: u64,
        k: u64,
        mut c: Cost,
    ) -> Result<Cost, ClusterError> {
        let component = match comp {
            Comp::Dense => Component::Dense { tokens: x },
            Comp::AttnDecode => Component::AttnDecode { seqs: x, kv_len: y },
            Comp::AttnPrefill => Component::AttnPrefill {
                chunks: k,
                chunk: x,
                kv_len: y,
            },
            Comp::Embed | Comp::FinalNorm | Comp::Head => return Ok(c),
        };
        let q = BlockQuery {
            shard: &self.shard.spec,
            tp: self.tp,
            ep: self.ep,
            component,
        };
        if let Some(t) = self.provider.block_time(&q) {
            let t = t?;
            c.energy_j = (c.energy_j + self.static_w * (t - c.time_s)).max(0.0);
            c.time_s = t;
        }
        Ok(c)
    }

    fn interp1(&mut self, comp: Comp, x: u64) -> Result<Cost, ClusterError> {
        if x == 0 {
            return Ok(Cost::default());
        }
        let (lo, hi) = bracket(x);
        let a = self.exact(comp, lo, 0, 1)?;
        if lo == hi {
            return Ok(a);
        }
        let b = self.exact(comp, hi, 0, 1)?;
        let f = weight(x, lo, hi);
        Ok(a * (1.0 - f) + b * f)
    }

    fn interp2(&mut self, comp: Comp, x: u64, y: u64, k: u64) -> Result<Cost, ClusterError> {
        if x == 0 {
            return Ok(Cost::default());
        }
        let (xl, xh) = bracket(x);
        let (yl, yh) = bracket(y.max(1));
        let fx = weight(x, xl, xh);
        let fy = weight(y.max(1), yl, yh);
        let mut c = self.exact(comp, xl, yl, k)? * ((1.0 - fx) * (1.0 - fy));
        if fy > 0.0 {
            c += self.exact(comp, xl, yh, k)? * ((1.0 - fx) * fy);
        }
        if fx > 0.0 {
            c += self.exact(comp, xh, yl, k)? * (fx * (1.0 - fy));
            if fy > 0.0 {
                c += self.exact(comp, xh, yh, k)? * (fx * fy);
            }
        }
        Ok(c)
    }

    /// Communication of one layer for `tokens` tokens: two TP all-reduces
    /// (after attention and after the MLP) and, for MoE with `ep > 1`, a
    /// dispatch and a combine all-to-all. Energy is static power meanwhile.
    fn comm_layer(&self, tokens: u64) -> Cost {
        let bytes = tokens as f64 * self.hidden * self.act_bytes;
        let mut t = 2.0 * all_reduce(bytes, self.tp, &self.tp_link);
        if self.ep > 1 {
            t += 2.0 * all_to_all(bytes * self.top_k as f64, self.ep, &self.tp_link);
        }
        Cost {
            time_s: t,
            energy_j: t * self.static_w,
            flops: 0.0,
            bytes: 0.0,
        }
    }

    /// Cost of one decoder layer (compute and communication) for a batch.
    pub fn layer_cost(&mut self, b: &BatchShape) -> Result<Cost, ClusterError> {
        let mut c = self.interp1(Comp::Dense, b.tokens)?;
        if b.decodes > 0 {
            c += self.interp2(
                Comp::AttnDecode,
                b.decodes,
                b.decode_kv.div_ceil(b.decodes),
                1,
            )?;
        }
        if !b.prefills.is_empty() {
            let k = b.prefills.len() as u64;
            let tokens: u64 = b.prefills.iter().map(|p| p.0).sum();
            let pairs: u64 = b.prefills.iter().map(|p| p.0 * p.1).sum();
            c += self.interp2(
                Comp::AttnPrefill,
                tokens.div_ceil(k),
                pairs.div_ceil(tokens.max(1)),
                k,
            )?;
        }
        Ok(c + self.comm_layer(b.tokens))
    }

    /// Cost of each stage (one device of it) for a batch.
    pub fn stage_costs(&mut self, b: &BatchShape) -> Result<Vec<Cost>, ClusterError> {
        let layer = self.layer_cost(b)?;
        let n = self.stages();
        let mut out = Vec::with_capacity(n);
        for s in 0..n {
            let mut c = layer * self.stage_layers[s] as f64;
            if s == 0 {
                c += self.interp1(Comp::Embed, b.tokens)?;
            }
            if s == n - 1 {
                c += self.interp1(Comp::FinalNorm, b.tokens)?
                    + self.interp1(Comp::Head, b.logits)?;
            }
            out.push(c);
        }
        Ok(out)
    }

    /// Time to pass `tokens` activations from stage `s` to stage `s + 1`.
    pub fn p2p_time(&self, s: usize, tokens: u64) -> f64 {
        self.stage_links.get(s).map_or(0.0, |l| {
            p2p(tokens as f64 * self.hidden * self.act_bytes, l)
        })
    }

    /// KV-cache bytes of `tokens` tokens across the whole replica (all stages and TP ranks).
    pub fn kv_bytes_replica(&self, tokens: u64) -> f64 {
        tokens as f64 * self.kv_bytes_per_token.iter().sum::<f64>() * self.tp as f64
    }

    /// Static power of one device in W.
    pub fn static_w(&self) -> f64 {
        self.static_w
    }

    /// Distinct shapes priced so far (for reports and benchmarks).
    pub fn cached_shapes(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::cost::AnalyzerCost;
    use crate::cluster::plan::Batching;

    #[test]
    fn llama_3_8b_pp4_moves_layers_off_the_head_stage() {
        // lm_head (128256 x 4096) weighs as much as ~2.4 layers: the last
        // stage gets fewer layers than an even split's 8.
        let spec = llmfab_models::zoo::get("llama-3-8b").unwrap();
        let q = QuantScheme::parse("fp16").unwrap();
        let dev = llmfab_models::catalog::lookup("h100-sxm").unwrap();
        let cluster = Cluster::new(dev.clone(), 4, None, None, None).unwrap();
        let prov = AnalyzerCost::new(dev, q.clone(), None);
        let plan = Plan {
            dp: 1,
            tp: 1,
            pp: 4,
            ep: 1,
            batching: Batching::Continuous,
            prefill_replicas: None,
        };
        let m = ReplicaModel::new(
            &spec,
            &q,
            &plan,
            &cluster,
            &prov,
            &ServeConfig::default(),
            0,
        )
        .unwrap();
        assert_eq!(m.stage_layers.iter().sum::<u32>(), 32);
        assert!(
            m.stage_layers[3] < 8 && m.stage_layers[0] >= 8,
            "{:?}",
            m.stage_layers
        );
    }
}
