//! Performance and energy model of the engine, per design: decode step
//! time, prefill latency and energy per token, from the lowering's own
//! tiling (exact weight-buffer rows and chunks) and the engine's timing
//! rules (`llmfab_isa::timing`): exact `matmul` and SFU cycle counts
//! (`timing::matrix`, `timing::sfu`) and the DMA burst rules ([`dma`]:
//! bursts split at `max_burst` and 4 KiB, `max_outstanding` in flight,
//! the memory's latency and burst gap), with the board's memory timing
//! ([`mem_timing`]).
//!
//! Loads overlap compute (double buffering, dependency tokens), so each op
//! costs `max(memory, compute)`: memory is the cycles one channel's read
//! engine needs for the op's transfers (all channels carry equal shares),
//! compute the sum of its instructions' unit cycles plus one cycle each.
//! A step takes at least the time to fetch its instructions. The memory
//! timing never lets a channel stream faster than its peak times the
//! board's measured efficiency, so no estimate beats the HBM roofline.
//! `tests/compile_vs_sim.rs` (workspace root) checks the decode prediction
//! against `llmfab_sim::engine::simulate`.

use super::dma;
use crate::board::Board;
use crate::lower::kernels::{KernelKind, Kernels};
use crate::lower::tiling::{tile_linear, LinearTiling};
use llmfab_isa::instr::{Add, Matmul, Op, Requant, Rmsnorm, Silu, Softmax};
use llmfab_isa::timing::write_latency;
use llmfab_isa::{EngineConfig, MemTiming};
use serde::{Deserialize, Serialize};

/// Cycles from a KV store's issue to the last beat on the bus (issue to
/// AW 2 cycles, first W beat 3 later, a few beats), before the write
/// latency: the staging area is reused only after the write response.
pub const STORE_EXPOSED: u64 = 8;

/// Cycles of exposed memory latency where a stream restarts (KV loads of a
/// layer, the first weight chunk of a phase).
pub fn restart_latency(mt: &MemTiming) -> u64 {
    llmfab_isa::timing::read_latency(mt) + 16
}

/// Estimated figures of one design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Seconds per decode step.
    pub decode_s: f64,
    /// Sequences per decode step (each produces one token).
    #[serde(default = "crate::one_sequence")]
    pub batch: u64,
    /// Decode tokens per second (`batch / decode_s`).
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

/// The memory timing of `board`'s channels as the engine `cfg` sees them:
/// `MemTiming::default()`'s latencies, and a burst gap that keeps one
/// channel's streaming bandwidth (bursts of `max_burst` beats) at or below
/// the channel's peak times the board's measured efficiency. A port wider
/// or faster than the memory behind it (512 bits at 300 MHz is 19.2 GB/s
/// against an HBM pseudo-channel's 14.4 GB/s) then cannot beat the memory.
/// The timing simulator needs this timing to predict a board: its memory
/// model has no other bandwidth limit.
pub fn mem_timing(cfg: &EngineConfig, board: &Board) -> MemTiming {
    let d = MemTiming::default();
    let b = cfg.max_burst.max(1) as f64;
    let port = cfg.beat_bytes() as f64 * cfg.clock_mhz * 1e6;
    let cap = board.channel_bandwidth * board.bandwidth_efficiency;
    let gap = if cap > 0.0 {
        (b * (port / cap - 1.0)).ceil()
    } else {
        0.0
    };
    MemTiming {
        burst_gap: gap.clamp(d.burst_gap as f64, 4096.0) as u32,
        ..d
    }
}

/// Effective bytes per cycle of one channel (long bursts).
pub fn channel_bytes_per_cycle(cfg: &EngineConfig, board: &Board, mt: &MemTiming) -> f64 {
    let port = cfg.beat_bytes() as f64 * dma::stream_efficiency(cfg, mt);
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

/// Per linear: cycles one read engine needs for the op's weight chunks
/// (every channel streams its slice of every chunk, so all channels need
/// the same), from the DMA burst rules ([`dma::transfer_cycles`]).
fn weight_cycles(cfg: &EngineConfig, lt: &[LinearTiling], mt: &MemTiming) -> Vec<Vec<f64>> {
    let slice = cfg.slice_bytes();
    lt.iter()
        .map(|t| {
            t.chunks
                .iter()
                .map(|ch| dma::transfer_cycles(ch.row0 * slice, 1, ch.rows() * slice, 0, cfg, mt))
                .collect()
        })
        .collect()
}

/// Cycles of a `matmul` (exact, `llmfab_isa::timing::matrix`) plus the
/// cycle before the next compute instruction can start.
fn matmul(cfg: &EngineConfig, mode: u64, m: u64, n: u64, k: u64, dequant: u64) -> u64 {
    let x = Matmul {
        mode,
        m,
        n,
        k,
        dequant,
        ..Default::default()
    };
    llmfab_isa::timing::matrix::matmul_cycles(&x, cfg) + 1
}

/// The two resources of a pass: the channels' read engines (`load`, the
/// cycle its last queued transfer ends) and the compute queue (`comp`),
/// with the weight buffer's two slots (a chunk's load starts once the
/// chunk two before it was consumed).
struct Pipe {
    load: f64,
    comp: f64,
    slots: [f64; 2],
    next: usize,
    latency: f64,
}

impl Pipe {
    fn new(latency: f64) -> Pipe {
        Pipe {
            load: 0.0,
            comp: 0.0,
            slots: [0.0; 2],
            next: 0,
            latency,
        }
    }
    /// Transfers of `mem` cycles that may start at `ready`; returns when
    /// their last beat arrives. An idle engine exposes the read latency.
    fn fetch(&mut self, ready: f64, mem: f64) -> f64 {
        let start = self.load.max(ready);
        let lat = if start > self.load || self.load == 0.0 {
            self.latency
        } else {
            0.0
        };
        self.load = start + mem + lat;
        self.load
    }
    /// A weight chunk: load into the next slot, then `comp` cycles.
    fn chunk(&mut self, mem: f64, comp: f64) {
        let ready = self.slots[self.next];
        let done = self.fetch(ready, mem);
        self.comp = self.comp.max(done + 2.0) + comp;
        self.slots[self.next] = self.comp;
        self.next ^= 1;
    }
    /// Compute that needs no load.
    fn compute(&mut self, c: f64) {
        self.comp += c;
    }
}

/// Cycles of one pass of `rows` tokens through the model: positions
/// `p0..p0+rows` of one sequence, or with `decode` one token at `p0` of
/// each of `rows` sequences (a batched decode step: weights once, each
/// sequence's attention over its own cache).
#[allow(clippy::too_many_arguments)]
fn pass(
    cfg: &EngineConfig,
    ks: &Kernels,
    lt: &[LinearTiling],
    wc: &[Vec<f64>],
    rows: u64,
    p0: u64,
    mt: &MemTiming,
    decode: bool,
) -> Step {
    let tile = cfg.tile_bytes() as f64;
    let kvr = cfg.kv_row_bytes as u64;
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
    let lend = if decode { p0 + 1 } else { p0 + rows };
    // Attention repeats per sequence in a decode step.
    let seqs = if decode { rows } else { 1 };
    // Older positions of one KV head and kind on one channel.
    let kv_rows = p0.div_ceil(cfg.channels as u64);
    let kv_load = dma::transfer_cycles(0, kv_rows, kvr, kvr, cfg, mt);
    let mut pipe = Pipe::new(restart_latency(mt) as f64);
    for k in &ks.kernels {
        let last_only = k.last_block_only() && !decode;
        let m = if last_only { 1 } else { rows };
        match &k.kind {
            KernelKind::Linear { k: kk, n, .. } => {
                let t = &lt[li];
                let mem: f64 = wc[li].iter().sum();
                let bytes = t.rows as f64 * tile;
                let subs = if decode || m == 1 { 1 } else { m.div_ceil(64) };
                for (ch, &cm) in t.chunks.iter().zip(&wc[li]) {
                    let mut comp = if decode || m == 1 {
                        matmul(cfg, 1, m, ch.nb, ch.kc, 1)
                    } else {
                        subs * matmul(cfg, 0, m.div_ceil(subs), ch.nb, ch.kc, 1)
                    };
                    if ch.k0 + ch.kc == t.k {
                        comp += sfu(
                            Op::Requant(Requant {
                                m,
                                n: ch.nb,
                                ..Default::default()
                            }),
                            cfg,
                        ) + 1;
                    }
                    pipe.chunk(cm, comp as f64);
                }
                li += 1;
                st.mem_cycles += mem;
                st.bytes += bytes;
                st.macs += (m * kk * n) as f64;
                st.instrs += t.chunks.len() as f64 * (chans + 2.0 * subs as f64);
            }
            KernelKind::Norm { x, .. } => {
                pipe.compute(
                    sfu(
                        Op::Rmsnorm(Rmsnorm {
                            m,
                            n: x.width,
                            ..Default::default()
                        }),
                        cfg,
                    ) as f64
                        + 1.0,
                );
                st.sfu_elems += (m * x.width) as f64;
                st.instrs += 1.0;
            }
            KernelKind::Rope { x, .. } | KernelKind::Act { x, .. } => {
                pipe.compute(
                    sfu(
                        Op::Silu(Silu {
                            m,
                            n: x.width,
                            ..Default::default()
                        }),
                        cfg,
                    ) as f64
                        + 1.0,
                );
                st.sfu_elems += (m * x.width) as f64;
                st.instrs += 1.0;
            }
            KernelKind::Add { a, .. } | KernelKind::Mul { a, .. } => {
                pipe.compute(
                    sfu(
                        Op::Add(Add {
                            m,
                            n: a.width,
                            ..Default::default()
                        }),
                        cfg,
                    ) as f64
                        + 1.0,
                );
                st.sfu_elems += (m * a.width) as f64;
                st.instrs += 1.0;
            }
            KernelKind::KvWrite {
                kv_heads, head_dim, ..
            } => {
                // Requantise each head's k and v into the staging area, then
                // store each row through its channel; the next use of the
                // staging area waits for the store's write response.
                let rq = sfu(
                    Op::Requant(Requant {
                        m,
                        n: *head_dim,
                        ..Default::default()
                    }),
                    cfg,
                ) + 1;
                let store = STORE_EXPOSED + write_latency(mt);
                // The KVBUF write port is held by the window fills issued
                // ahead (two heads, both kinds) while they stream.
                let held = if p0 > 0 {
                    (2 * kv_heads).min(4) as f64 * kv_load
                } else {
                    0.0
                };
                pipe.compute(held + (2 * kv_heads * rq.max(store)) as f64);
                st.instrs += (2 * kv_heads) as f64 * (1.0 + chans.min(m as f64));
            }
            KernelKind::Attention {
                heads,
                kv_heads,
                head_dim: d,
                ..
            } => {
                let g = heads / kv_heads;
                let kv_bytes = 2.0 * (seqs * *kv_heads * p0) as f64 * kvr as f64;
                let mem = (2 * seqs * kv_heads) as f64 * kv_load + restart_latency(mt) as f64;
                let (qk, pv) = if decode {
                    (
                        matmul(cfg, 1, g, lend, *d, 0),
                        matmul(cfg, 1, g, *d, lend, 0),
                    )
                } else {
                    let q = rows.div_ceil(16);
                    (
                        g * q * matmul(cfg, 0, rows.div_ceil(q), lend, *d, 0),
                        g * q * matmul(cfg, 0, rows.div_ceil(q), *d, lend, 0),
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
                // The block's own positions are requantised into the windows
                // (a one-token block loads its row with the others).
                let rq = sfu(
                    Op::Requant(Requant {
                        m: sm_rows,
                        n: *d,
                        ..Default::default()
                    }),
                    cfg,
                );
                let own = u64::from(!decode && rows > 1)
                    * 2
                    * sfu(
                        Op::Requant(Requant {
                            m: rows,
                            n: *d,
                            ..Default::default()
                        }),
                        cfg,
                    );
                // Per KV head: its K and V windows (two heads ahead), then
                // its compute.
                let per_head = (qk + pv + sm + rq + own + 4) as f64;
                let mut done = [pipe.comp; 2];
                for h in 0..(seqs * *kv_heads) as usize {
                    let ready = done[h % 2];
                    let loaded = pipe.fetch(ready, 2.0 * kv_load);
                    pipe.comp = pipe.comp.max(loaded + 2.0) + per_head;
                    done[h % 2] = pipe.comp;
                }
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
                st.instrs += (seqs * *kv_heads) as f64 * (2.0 * chans + passes * 5.0);
            }
            KernelKind::Input { .. } | KernelKind::Output { .. } => {}
        }
    }
    st.cycles = pipe.comp.max(pipe.load);
    st
}

/// Estimates one design: a decode step of `batch` sequences at `kv_len`
/// and prefill of `prompt` tokens in blocks of `mb`, with weight slots of
/// `slot_rows` rows.
#[allow(clippy::too_many_arguments)]
pub fn estimate(
    cfg: &EngineConfig,
    board: &Board,
    ks: &Kernels,
    slot_rows: u64,
    mb: u64,
    kv_len: u64,
    batch: u64,
    prompt: u64,
) -> Option<Estimate> {
    let lt = tilings(cfg, ks, slot_rows)?;
    let mt = mem_timing(cfg, board);
    let wc = weight_cycles(cfg, &lt, &mt);
    let f = cfg.clock_mhz * 1e6;
    let bw = channel_bytes_per_cycle(cfg, board, &mt) * cfg.channels as f64;
    let batch = batch.max(1);
    let d = pass(cfg, ks, &lt, &wc, batch, kv_len - 1, &mt, true);
    // Instruction fetch (32-byte words through one port) bounds the step too.
    let fetch = d.instrs * llmfab_isa::instr::INSTR_BYTES as f64 / cfg.beat_bytes() as f64;
    let decode_cycles = d.cycles.max(fetch) + restart_latency(&mt) as f64;
    let decode_s = decode_cycles / f;
    let mut pre = restart_latency(&mt) as f64;
    let mut t0 = 0;
    while t0 < prompt {
        let rows = mb.min(prompt - t0);
        pre += pass(cfg, ks, &lt, &wc, rows, t0, &mt, false).cycles;
        t0 += rows;
    }
    let e_static = board.static_w * decode_s;
    let e_dram = d.bytes * 8.0 * board.dram_pj_per_bit * 1e-12;
    let e_sram = 2.0 * d.bytes * 8.0 * board.sram_pj_per_bit * 1e-12;
    let e_mac = 2.0 * d.macs * board.pj_per_op(cfg.weight_bits, cfg.act_bits) * 1e-12;
    let e_vec = 4.0 * d.sfu_elems * board.pj_per_vector_op * 1e-12;
    Some(Estimate {
        decode_s,
        batch,
        decode_tokens_per_s: batch as f64 / decode_s,
        prefill_s: pre / f,
        energy_per_token_j: (e_static + e_dram + e_sram + e_mac + e_vec) / batch as f64,
        decode_bytes: d.bytes,
        bandwidth: bw * f,
        memory_bound_share: (d.mem_cycles / d.cycles.max(1.0)).min(1.0),
    })
}
