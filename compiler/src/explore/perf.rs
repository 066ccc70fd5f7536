//! Analytic performance and energy model of the engine, per design: decode
//! step time, prefill latency and energy per token, from the lowering's own
//! tiling (exact weight-buffer rows and chunks) and the shared timing model
//! (`llmfab_isa::timing`: SFU cycle formulas; DMA from `MemTiming`).
//!
//! Loads overlap compute (double buffering), so each op costs
//! `max(memory, compute)` plus a fixed pipeline bubble per instruction, and
//! a step takes at least the time to fetch its instructions (32 bytes each
//! through one port);
//! the memory term uses the channels' *effective* bandwidth (port width,
//! burst gaps and the board's measured HBM efficiency), which is never
//! above peak: an estimate can never beat the HBM roofline.

use crate::board::Board;
use crate::lower::kernels::{KernelKind, Kernels};
use crate::lower::tiling::{tile_linear, LinearTiling};
use llmfab_isa::instr::{Op, Requant, Rmsnorm, Silu, Softmax};
use llmfab_isa::{EngineConfig, MemTiming};
use serde::{Deserialize, Serialize};

/// Cycles a matmul instruction adds beyond its multiply cycles (pipeline
/// fill and drain of the array, dispatch). Assumed until the matrix unit
/// publishes `llmfab_isa::timing::matrix`.
pub const MATMUL_BUBBLE: u64 = 32;

/// Cycles of exposed memory latency where a stream restarts (KV loads of a
/// layer, the first weight chunk of a phase).
pub fn restart_latency(mt: &MemTiming) -> u64 {
    mt.read_latency as u64 + 16
}

/// Estimated figures of one design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Seconds per decode step.
    pub decode_s: f64,
    /// Decode tokens per second (batch 1).
    pub decode_tokens_per_s: f64,
    /// Prefill latency of the prompt in seconds.
    pub prefill_s: f64,
    /// Energy per decoded token in joules.
    pub energy_per_token_j: f64,
    /// Bytes read from memory per decode step (weights, scales, KV).
    pub decode_bytes: f64,
    /// Effective bandwidth of all channels (bytes/s).
    pub bandwidth: f64,
    /// Share of decode time spent waiting on memory.
    pub memory_bound_share: f64,
}

/// Effective bytes per cycle of one channel.
pub fn channel_bytes_per_cycle(cfg: &EngineConfig, board: &Board, mt: &MemTiming) -> f64 {
    let b = cfg.max_burst as f64;
    let port = cfg.beat_bytes() as f64 * b / (b + mt.burst_gap as f64);
    let hbm = board.channel_bandwidth * board.bandwidth_efficiency / (cfg.clock_mhz * 1e6);
    port.min(hbm)
}

fn sfu(op: Op, cfg: &EngineConfig) -> u64 {
    llmfab_isa::timing::sfu::op_cycles(&op, cfg).unwrap_or(0)
}

/// Tiling of every linear of `ks` for a weight slot of `slot_rows` rows.
pub fn tilings(cfg: &EngineConfig, ks: &Kernels, slot_rows: u64) -> Option<Vec<LinearTiling>> {
    ks.kernels
        .iter()
        .filter_map(|k| {
            if let KernelKind::Linear { k, n, .. } = k.kind {
                Some((k, n))
            } else {
                None
            }
        })
        .map(|(k, n)| tile_linear(cfg, "w", k, n, slot_rows).ok())
        .collect()
}

struct Step {
    cycles: f64,
    mem_cycles: f64,
    bytes: f64,
    macs: f64,
    sfu_elems: f64,
    /// Instructions the pass issues (approximately, as the lowering emits them).
    instrs: f64,
}

/// Cycles of one pass of `rows` tokens (positions `p0..p0+rows`) through the model.
fn pass(
    cfg: &EngineConfig,
    ks: &Kernels,
    lt: &[LinearTiling],
    rows: u64,
    p0: u64,
    bw: f64,
    decode: bool,
) -> Step {
    let (r, c, l) = (cfg.rows as u64, cfg.cols as u64, cfg.sfu_lanes as u64);
    let tile = cfg.tile_bytes() as f64;
    let rb = cfg.kv_row_bytes as f64;
    let mut st = Step {
        cycles: 0.0,
        mem_cycles: 0.0,
        bytes: 0.0,
        macs: 0.0,
        sfu_elems: 0.0,
        instrs: 0.0,
    };
    let chans = cfg.channels as f64;
    let mut li = 0;
    let lend = p0 + rows;
    let mt = MemTiming::default();
    for k in &ks.kernels {
        let last_only = k.last_block_only();
        let m = if last_only { 1 } else { rows };
        match &k.kind {
            KernelKind::Linear { k: kk, n, .. } => {
                let t = &lt[li];
                li += 1;
                let bytes = t.rows as f64 * tile;
                let mem = bytes / bw;
                let mut comp = 0u64;
                for ch in &t.chunks {
                    let nt = ch.nb.div_ceil(c);
                    let mm = if decode || m == 1 {
                        m * nt * ch.kc.div_ceil(r)
                    } else {
                        m.div_ceil(r) * nt * ch.kc
                    };
                    comp += mm + MATMUL_BUBBLE;
                    if ch.k0 + ch.kc == t.k {
                        comp += sfu(
                            Op::Requant(Requant {
                                m,
                                n: ch.nb,
                                ..Default::default()
                            }),
                            cfg,
                        );
                    }
                }
                st.cycles += mem.max(comp as f64);
                st.mem_cycles += mem;
                st.bytes += bytes;
                st.macs += (m * kk * n) as f64;
                let subs = m.div_ceil(64) as f64;
                st.instrs += t.chunks.len() as f64 * (chans + 2.0 * subs);
            }
            KernelKind::Norm { x, .. } => {
                st.cycles += sfu(
                    Op::Rmsnorm(Rmsnorm {
                        m,
                        n: x.width,
                        ..Default::default()
                    }),
                    cfg,
                ) as f64;
                st.sfu_elems += (m * x.width) as f64;
                st.instrs += 1.0;
            }
            KernelKind::Rope { x, .. } | KernelKind::Act { x, .. } => {
                st.cycles += sfu(
                    Op::Silu(Silu {
                        m,
                        n: x.width,
                        ..Default::default()
                    }),
                    cfg,
                ) as f64;
                st.sfu_elems += (m * x.width) as f64;
                st.instrs += 1.0;
            }
            KernelKind::Add { a, .. } | KernelKind::Mul { a, .. } => {
                st.cycles += 2.0
                    * sfu(
                        Op::Silu(Silu {
                            m,
                            n: a.width,
                            ..Default::default()
                        }),
                        cfg,
                    ) as f64;
                st.sfu_elems += (m * a.width) as f64;
                st.instrs += 1.0;
            }
            KernelKind::KvWrite {
                kv_heads, head_dim, ..
            } => {
                st.cycles += (2 * kv_heads) as f64
                    * sfu(
                        Op::Requant(Requant {
                            m,
                            n: *head_dim,
                            ..Default::default()
                        }),
                        cfg,
                    ) as f64;
                st.instrs += (2 * kv_heads) as f64 * (1.0 + chans.min(m as f64));
            }
            KernelKind::Attention {
                heads,
                kv_heads,
                head_dim: d,
                ..
            } => {
                let g = heads / kv_heads;
                let kv_bytes = 2.0 * (*kv_heads * p0) as f64 * rb;
                let mem = kv_bytes / bw + restart_latency(&mt) as f64;
                let (qk, pv) = if decode {
                    (
                        g * lend.div_ceil(c) * d.div_ceil(r),
                        g * d.div_ceil(c) * lend.div_ceil(r),
                    )
                } else {
                    (
                        rows.div_ceil(r) * lend.div_ceil(c) * d * g,
                        rows.div_ceil(r) * d.div_ceil(c) * lend * g,
                    )
                };
                let sm_rows = if decode { g } else { rows * g };
                let flags = u64::from(!decode);
                let sm = sfu(
                    Op::Softmax(Softmax {
                        flags,
                        m: sm_rows,
                        n: lend,
                        imm2: p0,
                        ..Default::default()
                    }),
                    cfg,
                );
                let rq = sfu(
                    Op::Requant(Requant {
                        m: sm_rows,
                        n: *d,
                        ..Default::default()
                    }),
                    cfg,
                );
                let comp = (*kv_heads * (qk + pv + sm + rq + 2 * MATMUL_BUBBLE)) as f64;
                st.cycles += mem.max(comp);
                st.mem_cycles += mem;
                st.bytes += kv_bytes;
                st.macs += (2 * heads * rows * lend * d) as f64;
                st.sfu_elems += (heads * rows * lend) as f64;
                // Per KV head: window fills (one load per channel) and the
                // matmuls, softmax and requant of each pass.
                let passes = if decode {
                    1.0
                } else {
                    (g * rows.div_ceil(16)) as f64
                };
                st.instrs += *kv_heads as f64 * (2.0 * chans + passes * 5.0);
                let _ = l;
            }
            KernelKind::Input { .. } | KernelKind::Output { .. } => {}
        }
    }
    st
}

/// Estimates one design: decode at `kv_len` and prefill of `prompt` tokens
/// in blocks of `mb`, with weight slots of `slot_rows` rows.
pub fn estimate(
    cfg: &EngineConfig,
    board: &Board,
    ks: &Kernels,
    slot_rows: u64,
    mb: u64,
    kv_len: u64,
    prompt: u64,
) -> Option<Estimate> {
    let lt = tilings(cfg, ks, slot_rows)?;
    let mt = MemTiming::default();
    let f = cfg.clock_mhz * 1e6;
    let bw = channel_bytes_per_cycle(cfg, board, &mt) * cfg.channels as f64;
    let d = pass(cfg, ks, &lt, 1, kv_len - 1, bw, true);
    // Instruction fetch (32-byte words through one port) bounds the step too.
    let fetch = d.instrs * llmfab_isa::instr::INSTR_BYTES as f64 / cfg.beat_bytes() as f64;
    let decode_cycles = d.cycles.max(fetch) + restart_latency(&mt) as f64;
    let decode_s = decode_cycles / f;
    let mut pre = restart_latency(&mt) as f64;
    let mut t0 = 0;
    while t0 < prompt {
        let rows = mb.min(prompt - t0);
        pre += pass(cfg, ks, &lt, rows, t0, bw, false).cycles;
        t0 += rows;
    }
    let e_static = board.static_w * decode_s;
    let e_dram = d.bytes * 8.0 * board.dram_pj_per_bit * 1e-12;
    let e_sram = 2.0 * d.bytes * 8.0 * board.sram_pj_per_bit * 1e-12;
    let e_mac = 2.0 * d.macs * board.pj_per_op(cfg.weight_bits, cfg.act_bits) * 1e-12;
    let e_vec = 4.0 * d.sfu_elems * board.pj_per_vector_op * 1e-12;
    Some(Estimate {
        decode_s,
        decode_tokens_per_s: 1.0 / decode_s,
        prefill_s: pre / f,
        energy_per_token_j: e_static + e_dram + e_sram + e_mac + e_vec,
        decode_bytes: d.bytes,
        bandwidth: bw * f,
        memory_bound_share: (d.mem_cycles / d.cycles.max(1.0)).min(1.0),
    })
}
