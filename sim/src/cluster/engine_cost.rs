//! The third op-cost provider: the cycle-level engine simulator
//! ([`crate::engine::simulate`]) for clusters of FPGA boards running
//! llmfab's own engine.
//!
//! `sim` may not depend on the compiler, so programs come from a
//! [`BlockProgramSource`] the caller supplies (the `llmfab` CLI wires the
//! compiler's lowering in `src/cmd/plan_engine.rs`). The repeated layer
//! structure is exploited: the source compiles **one decoder block** of the
//! device's shard for one sequence (`seq` new tokens whose last attends to
//! `kv_len` positions); its simulated time is split by the provenance of
//! each instruction into the dense ops and the attention core (see
//! [`time_block`]), cached per `(tp, ep, seq, kv_len)`, and the cluster
//! model multiplies by the layers of a stage.
//!
//! How components map onto block programs:
//!
//! - dense part of `T` tokens = the cheapest of `T` one-token
//!   (matrix-vector) blocks, the dense time of a batched decode block of
//!   `T` sequences (matrix-vector rows, weights streamed once: what the
//!   compiler emits for `--batch T`) and that of a block for a prompt of
//!   `T` tokens (matrix-matrix; the engine streams a block's weights once
//!   per row block, whichever sequence a row belongs to). Above
//!   [`SEQ_CAP`] tokens, linear in `T`.
//! - decode attention of `b` sequences at `L` positions = `b` × the
//!   attention time of a one-token block at `L` (attention is per sequence).
//! - prefill attention of `k` chunks = `k` × that of one chunk; above
//!   [`SEQ_CAP`] tokens per chunk, linear in the chunk.
//! - embedding, final norm and lm_head (once per model, not per layer) stay
//!   with the analyzer fallback on the same board.
//!
//! Token counts and KV lengths are bucketed on a coarse grid ([`bracket2`]:
//! exact up to 4, then 2 points per octave) with linear interpolation in
//! between, so a whole plan search simulates a few dozen blocks. Attention
//! time is close to linear in the KV length (window loads), so the
//! interpolation error is that of the window rounding; see the README for
//! the measured figure.

use super::cost::{AnalyzerCost, BlockQuery, Component, OpCost, OpCostProvider, OpQuery};
use super::error::ClusterError;
use crate::engine::simulate;
use llmfab_isa::instr::Instr;
use llmfab_isa::{EngineConfig, MemTiming};
use llmfab_models::ModelSpec;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// Tokens per program above which dense and prefill-attention times are
/// extrapolated linearly (the compiler's largest prefill row block).
pub const SEQ_CAP: u64 = 512;

/// What part of a block an instruction's time is charged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Per-layer ops other than the attention core (projections, MLP,
    /// norms, RoPE, KV writes, residuals).
    Dense,
    /// The attention core (`Q·Kᵀ`, softmax, `P·V` and their KV-window loads).
    Attention,
    /// Outside the layer (embedding, final norm, lm_head): not used.
    Other,
}

impl Region {
    /// The region of an instruction from its provenance (`layer0.attn.qk`).
    pub fn of(provenance: &str) -> Region {
        if !provenance.starts_with("layer") {
            return Region::Other;
        }
        let core = [".attn.qk", ".attn.sv", ".attn.softmax", ".attn.flash"];
        if core.iter().any(|c| provenance.ends_with(c)) {
            Region::Attention
        } else {
            Region::Dense
        }
    }
}

/// One compiled decoder block of a device's shard.
#[derive(Clone, Debug)]
pub struct BlockProgram {
    /// The engine it runs on.
    pub config: EngineConfig,
    /// Memory timing of the board.
    pub mem: MemTiming,
    /// Instructions in program order.
    pub instrs: Vec<Instr>,
    /// Region of each instruction.
    pub regions: Vec<Region>,
}

/// A generator of block programs (the compiler, in the CLI).
pub trait BlockProgramSource: Send + Sync {
    /// Short description for reports (`compiler: u280-w4a8-64x64`).
    fn name(&self) -> String;
    /// The one-layer program of `shard` for `batch` sequences of `seq` new
    /// tokens each whose last attends to `kv_len` positions (`kv_len ≥
    /// seq`; `batch > 1` only with `seq = 1`, a batched decode step). An
    /// error says why the engine cannot run it.
    fn block(
        &self,
        shard: &ModelSpec,
        seq: u64,
        kv_len: u64,
        batch: u64,
    ) -> Result<BlockProgram, String>;
}

/// Simulated seconds of one block program, by region.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BlockTiming {
    /// Dense ops.
    pub dense_s: f64,
    /// Attention core.
    pub attention_s: f64,
    /// Outside the layer.
    pub other_s: f64,
    /// Cycles of the whole program.
    pub cycles: u64,
}

/// Simulates `p` and splits its time by region: instructions are taken in
/// the order they finish and each is charged the cycles since the previous
/// one finished (the regions add up to the program's cycles exactly; with
/// overlapped queues this charges a stretch to whatever ends it, e.g. a
/// weight load's stall to the matmul that waited for it).
pub fn time_block(p: &BlockProgram) -> Result<BlockTiming, String> {
    let t = simulate(&p.config, &p.mem, &p.instrs, None).map_err(|e| e.to_string())?;
    let mut order: Vec<usize> = (0..t.instrs.len())
        .filter(|&i| t.instrs[i].done > 0)
        .collect();
    order.sort_by_key(|&i| (t.instrs[i].done, i));
    let mut cyc = [0u64; 3];
    let slot = |r: Region| match r {
        Region::Dense => 0,
        Region::Attention => 1,
        Region::Other => 2,
    };
    let mut prev = 0u64;
    for &i in &order {
        let done = t.instrs[i].done.min(t.cycles);
        let r = p.regions.get(i).copied().unwrap_or(Region::Other);
        cyc[slot(r)] += done.saturating_sub(prev);
        prev = prev.max(done);
    }
    cyc[2] += t.cycles.saturating_sub(prev);
    let s = p.config.cycle_s();
    Ok(BlockTiming {
        dense_s: cyc[0] as f64 * s,
        attention_s: cyc[1] as f64 * s,
        other_s: cyc[2] as f64 * s,
        cycles: t.cycles,
    })
}

/// Grid points `(lo, hi)` around `x ≥ 1`: exact up to 4, then 2 per
/// octave (`4, 6, 8, 12, 16, 24, …`).
pub fn bracket2(x: u64) -> (u64, u64) {
    if x <= 4 {
        return (x.max(1), x.max(1));
    }
    let step = (1u64 << (63 - x.leading_zeros())) / 2;
    let lo = x / step * step;
    if lo == x {
        (x, x)
    } else {
        (lo, lo + step)
    }
}

type Key = (u32, u32, u64, u64, u64);
type Slot = Arc<OnceLock<Result<BlockTiming, String>>>;

/// The engine-simulator provider: block programs from a source, simulated
/// once per shape (thread-safe; concurrent plans wait for one simulation).
pub struct EngineCost<S> {
    source: S,
    fallback: AnalyzerCost,
    cache: Mutex<HashMap<Key, Slot>>,
    stats: Mutex<(usize, f64)>,
}

impl<S: BlockProgramSource> EngineCost<S> {
    /// A provider simulating `source`'s programs; ops outside the layers
    /// (embedding, final norm, lm_head) and all energy come from `fallback`.
    pub fn new(source: S, fallback: AnalyzerCost) -> Self {
        EngineCost {
            source,
            fallback,
            cache: Mutex::new(HashMap::new()),
            stats: Mutex::new((0, 0.0)),
        }
    }

    /// Block programs simulated so far and the wall time spent on them
    /// (compiling included), in seconds.
    pub fn simulated(&self) -> (usize, f64) {
        self.stats.lock().map_or((0, 0.0), |s| *s)
    }

    /// The timing of the block of `q`'s shard at one grid shape (cached):
    /// `batch` sequences of `seq` new tokens at `kv_len` positions.
    pub fn timing(
        &self,
        q: &BlockQuery,
        seq: u64,
        kv_len: u64,
        batch: u64,
    ) -> Result<BlockTiming, ClusterError> {
        let max = q.shard.max_positions.max(1);
        let seq = seq.clamp(1, max);
        let kv_len = kv_len.clamp(seq, max);
        let batch = if seq == 1 { batch.max(1) } else { 1 };
        let slot = {
            let mut m = self
                .cache
                .lock()
                .map_err(|_| ClusterError::Internal("engine cost cache poisoned".into()))?;
            m.entry((q.tp, q.ep, seq, kv_len, batch))
                .or_default()
                .clone()
        };
        let r = slot.get_or_init(|| {
            let t0 = Instant::now();
            let r = self
                .source
                .block(q.shard, seq, kv_len, batch)
                .and_then(|p| time_block(&p));
            if let Ok(mut s) = self.stats.lock() {
                s.0 += 1;
                s.1 += t0.elapsed().as_secs_f64();
            }
            r
        });
        r.clone().map_err(|e| ClusterError::Input {
            what: format!(
                "engine simulator (tp{}, seq {seq}, kv_len {kv_len}, batch {batch})",
                q.tp
            ),
            message: e,
        })
    }

    /// Linear interpolation of `f` over the [`bracket2`] grid of `x`.
    fn interp(
        &self,
        x: u64,
        f: &dyn Fn(u64) -> Result<f64, ClusterError>,
    ) -> Result<f64, ClusterError> {
        let (lo, hi) = bracket2(x);
        let a = f(lo)?;
        if lo == hi {
            return Ok(a);
        }
        let w = (x - lo) as f64 / (hi - lo) as f64;
        Ok(a * (1.0 - w) + f(hi)? * w)
    }

    /// Dense seconds of `tokens` tokens: the cheapest of one matrix-matrix
    /// pass over all of them, one batched matrix-vector pass (weights
    /// streamed once for every row) and one matrix-vector pass per token —
    /// all programs the compiler emits.
    fn dense(&self, q: &BlockQuery, tokens: u64) -> Result<f64, ClusterError> {
        let tokens = tokens.max(1);
        let per_token = self.timing(q, 1, 1, 1)?.dense_s * tokens as f64;
        if tokens == 1 {
            return Ok(per_token);
        }
        let t = tokens.min(SEQ_CAP);
        let scale = tokens as f64 / t as f64;
        let mm = self.interp(t, &|s| Ok(self.timing(q, s, s, 1)?.dense_s))? * scale;
        let mv = self.interp(t, &|b| Ok(self.timing(q, 1, 1, b)?.dense_s))? * scale;
        Ok(mm.min(mv).min(per_token))
    }

    /// Attention seconds of one chunk of `chunk` tokens at `kv_len`,
    /// interpolated over the chunk and KV grids (prompt-chunk attention is
    /// far from affine in the KV length on the engine — KV-window refills
    /// per query-row block — so it gets the full 2-D grid).
    pub fn attention(&self, q: &BlockQuery, chunk: u64, kv_len: u64) -> Result<f64, ClusterError> {
        let c = chunk.clamp(1, SEQ_CAP);
        let at_kv =
            |c: u64| self.interp(kv_len.max(c), &|l| Ok(self.timing(q, c, l, 1)?.attention_s));
        let t = if c == 1 {
            at_kv(1)?
        } else {
            self.interp(c, &|cc| at_kv(cc))?
        };
        Ok(t * chunk.max(1) as f64 / c as f64)
    }
}

impl<S: BlockProgramSource> OpCostProvider for EngineCost<S> {
    fn name(&self) -> String {
        format!("engine simulator ({})", self.source.name())
    }

    fn op_cost(&self, q: &OpQuery) -> Result<OpCost, ClusterError> {
        self.fallback.op_cost(q)
    }

    fn block_time(&self, q: &BlockQuery) -> Option<Result<f64, ClusterError>> {
        Some(match q.component {
            Component::Dense { tokens } => self.dense(q, tokens),
            Component::AttnDecode { seqs, kv_len } => {
                self.attention(q, 1, kv_len).map(|a| a * seqs as f64)
            }
            Component::AttnPrefill {
                chunks,
                chunk,
                kv_len,
            } => self.attention(q, chunk, kv_len).map(|a| a * chunks as f64),
        })
    }

    fn notes(&self) -> Vec<String> {
        // The count, not the seconds, so that reports stay reproducible.
        let (n, _) = self.simulated();
        vec![format!(
            "engine simulator: {n} one-layer block programs compiled and simulated \
             (token counts and KV lengths bucketed 2 per octave above 4, linear in between; \
             embedding, final norm and lm_head from the analyzer on the same board)"
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_grid() {
        assert_eq!(bracket2(0), (1, 1));
        assert_eq!(bracket2(4), (4, 4));
        assert_eq!(bracket2(5), (4, 6));
        assert_eq!(bracket2(12), (12, 12));
        assert_eq!(bracket2(1000), (768, 1024));
        assert_eq!(bracket2(1024), (1024, 1024));
        assert_eq!(Region::of("layer3.attn.qk"), Region::Attention);
        assert_eq!(Region::of("layer3.attn.q_proj"), Region::Dense);
        assert_eq!(Region::of("lm_head"), Region::Other);
    }
}
