//! The discrete design space: array shapes, port widths, channel counts and
//! clocks, each with the buffer depths the lowering needs (from its own
//! allocator, run with roomy buffers) and the performance of each weight-
//! buffer depth and prefill block height (from [`super::perf`]).

use super::perf::{estimate, Estimate};
use super::resources::{self, Buffer, Logic};
use super::ExploreOptions;
use crate::board::Board;
use crate::lower::alloc::try_layout;
use crate::lower::kernels::{KernelKind, Kernels};
use crate::lower::params;
use crate::lower::tiling::{chunk_rows, col_unit};
use crate::lower::Phase;
use crate::support::EngineQuant;
use llmfab_isa::EngineConfig;

/// A choice of weight-buffer depth.
#[derive(Clone, Debug, PartialEq)]
pub struct WLevel {
    /// Weight-buffer rows (two slots).
    pub rows: u64,
    /// Decode seconds and energy at this depth.
    pub est: Estimate,
}

/// A choice of prefill block height.
#[derive(Clone, Debug, PartialEq)]
pub struct MLevel {
    /// Tokens per block.
    pub mb: u64,
    /// ABUF bytes needed (decode and prefill).
    pub abuf_bytes: u64,
    /// Prefill seconds.
    pub prefill_s: f64,
    /// Blocks of the prompt relative to the fewest possible (blocks of
    /// 512): prefill programs grow with it (weights, KV stores and KV
    /// window loads are issued per block).
    pub program_size: f64,
}

/// A choice of KV window depth.
#[derive(Clone, Debug, PartialEq)]
pub struct KLevel {
    /// Positions per KV window.
    pub window: u64,
    /// KV buffer bytes (staging and four windows).
    pub bytes: u64,
    /// Decode seconds added by refilling shorter windows.
    pub decode_extra_s: f64,
}

/// One point of the design space.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Engine template (buffer sizes filled from the chosen levels).
    pub cfg: EngineConfig,
    /// Logic resources.
    pub logic: Logic,
    /// Weight-buffer levels.
    pub w: Vec<WLevel>,
    /// Prefill block levels.
    pub m: Vec<MLevel>,
    /// KV window levels.
    pub kv: Vec<KLevel>,
    /// ACC bytes.
    pub acc_bytes: u64,
    /// SBUF bytes.
    pub sbuf_bytes: u64,
    /// BRAM36 of fixed structures (queues, SBUF).
    pub bram_fixed: u64,
    /// HBM bytes per channel (weights and KV cache).
    pub channel_bytes: u64,
}

impl Candidate {
    /// Words of buffer `b` for `bytes`.
    pub fn words(&self, b: Buffer, bytes: u64) -> u64 {
        bytes.div_ceil(resources::word_bytes(&self.cfg, b))
    }
    /// Short label (`64x128 p512 ch32 225MHz sfu32`).
    pub fn label(&self) -> String {
        let c = &self.cfg;
        format!(
            "{}x{} p{} ch{} {}MHz sfu{}",
            c.rows, c.cols, c.port_bits, c.channels, c.clock_mhz, c.sfu_lanes
        )
    }
}

/// Facts of the model the enumeration needs.
pub struct ModelFacts {
    /// Head width (0 without attention).
    pub head_dim: u64,
    /// Largest reduction length of any linear.
    pub max_k: u64,
}

/// Reads the facts from the kernels.
pub fn facts(ks: &Kernels) -> ModelFacts {
    let mut f = ModelFacts {
        head_dim: 0,
        max_k: 0,
    };
    for k in &ks.kernels {
        match k.kind {
            KernelKind::Attention { head_dim, .. } => f.head_dim = f.head_dim.max(head_dim),
            KernelKind::Linear { k, .. } => f.max_k = f.max_k.max(k),
            _ => {}
        }
    }
    f
}

#[allow(clippy::too_many_arguments)]
fn template(
    eq: &EngineQuant,
    rows: u32,
    cols: u32,
    port: u32,
    ch: u32,
    clock: f64,
    lanes: u32,
    head_dim: u64,
) -> EngineConfig {
    let beat = port as u64 / 8;
    let kv_row = (head_dim * eq.kv_bits as u64 / 8)
        .max(rows.max(cols) as u64 * eq.kv_bits as u64 / 8)
        .div_ceil(beat)
        * beat;
    EngineConfig {
        name: format!("r{rows}c{cols}"),
        rows,
        cols,
        weight_bits: eq.weight_bits,
        act_bits: eq.act_bits,
        kv_bits: eq.kv_bits,
        group_size: eq.group_size,
        clock_mhz: clock,
        channels: ch,
        port_bits: port,
        wbuf_bytes: 1 << 30,
        abuf_bytes: 1 << 30,
        kvbuf_bytes: kv_row.max(1) * (rows.max(cols).max(ch) as u64) * 65536,
        kv_row_bytes: kv_row.max(beat) as u32,
        acc_bytes: 1 << 30,
        sbuf_bytes: 1 << 24,
        sfu_lanes: lanes,
        queue_depth: 64,
        max_burst: 64,
        max_outstanding: 8,
    }
}

/// Enumerates the candidates that fit the board's DSPs and memory.
pub fn enumerate(
    board: &Board,
    ks: &Kernels,
    eq: &EngineQuant,
    opts: &ExploreOptions,
) -> Vec<Candidate> {
    let f = facts(ks);
    let d = f.head_dim.max(16);
    let mut clocks = vec![board.clock_mhz];
    if board.clock_mhz < 300.0 {
        clocks.push(300.0);
    }
    let mut chans = vec![board.mem_channels.next_power_of_two().min(32)];
    if board.mem_channels.next_power_of_two() > board.mem_channels {
        chans = vec![(board.mem_channels.next_power_of_two() / 2).max(1)];
    }
    if chans[0] >= 4 {
        chans.push(chans[0] / 2);
    }
    let prompt = opts.prompt;
    let mut out = Vec::new();
    for rows in [8u32, 16, 32, 64, 128] {
        if !eq.group_size.is_multiple_of(rows) || !d.is_multiple_of(rows as u64) {
            continue;
        }
        for cols in [16u32, 32, 64, 128, 256] {
            let lanes_mac = rows as u64 * cols as u64;
            if !(256..=65536).contains(&lanes_mac) {
                continue;
            }
            // SFU lanes: up to one per column (64 at most, half a head),
            // and a half and a quarter of that (an SFU lane costs ~25 MAC
            // lanes of LUTs).
            let most = (cols as u64).min(d / 2).clamp(1, 64) as u32;
            let mut sfu = vec![most, most / 2, most / 4];
            sfu.retain(|&l| l >= 8 || l == most);
            sfu.dedup();
            for &lanes in &sfu {
                for &port in &[256u32, 512] {
                    for &ch in &chans {
                        for &clock in &clocks {
                            let cfg = template(eq, rows, cols, port, ch, clock, lanes, d);
                            if cfg.validate().is_err() {
                                continue;
                            }
                            let logic = resources::logic(&cfg, board);
                            if logic.dsp > board.user.dsp as f64
                                || logic.lut > board.user.lut as f64
                            {
                                continue;
                            }
                            if let Some(c) = build(board, ks, eq, opts, cfg, logic, prompt) {
                                out.push(c);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn build(
    board: &Board,
    ks: &Kernels,
    _eq: &EngineQuant,
    opts: &ExploreOptions,
    mut cfg: EngineConfig,
    logic: Logic,
    prompt: u64,
) -> Option<Candidate> {
    // Smallest weight slot: one column unit of G rows of every linear.
    let slot_min = chunk_rows(&cfg, col_unit(&cfg), cfg.group_size as u64);
    let w_min = (2 * (slot_min.0 + slot_min.1)).next_power_of_two().max(512);
    let tile = cfg.tile_bytes();
    let mut w = Vec::new();
    let mut rows = w_min;
    let cap_rows =
        (board.user.uram * resources::URAM_WORDS * 9).max(1) / tile.max(1) + resources::BRAM_WORDS;
    while rows <= 16384 && rows <= cap_rows.max(w_min) {
        cfg.wbuf_bytes = rows * tile;
        let est = estimate(&cfg, board, ks, rows / 2, 1, opts.kv_len, opts.batch, 1)?;
        w.push(WLevel { rows, est });
        rows *= 2;
    }
    if w.is_empty() {
        return None;
    }
    cfg.wbuf_bytes = w[0].rows * tile;
    // Buffer needs from the lowering's own allocator.
    let params = params::run(&cfg, ks);
    let n_ops = ks
        .kernels
        .iter()
        .map(|k| k.op.0 as usize + 1)
        .max()
        .unwrap_or(0);
    let wt = crate::lower::tiling::run(&cfg, ks, n_ops).ok()?;
    let decode = Phase::decode_batch(opts.kv_len, opts.batch);
    // The decode step's sequences in one block (the estimate streams the
    // weights once for all of them).
    let dl = try_layout(&cfg, ks, &wt, &params, &decode, decode.rows().min(512)).ok()?;
    let pre = Phase::prefill(prompt);
    let mut m = Vec::new();
    let mut acc_bytes = dl.acc_peak;
    let mut stage_rows = dl.kv_stage_rows;
    let mut sbuf = dl.sbuf_peak;
    for mb in [16u64, 32, 64, 128, 256, 512] {
        let mb = mb.min(prompt);
        if m.iter().any(|l: &MLevel| l.mb == mb) {
            continue;
        }
        let Ok(l) = try_layout(&cfg, ks, &wt, &params, &pre, mb) else {
            continue;
        };
        let est = estimate(
            &cfg,
            board,
            ks,
            w[0].rows / 2,
            mb,
            opts.kv_len,
            opts.batch,
            prompt,
        )?;
        m.push(MLevel {
            mb,
            abuf_bytes: l.abuf_peak.max(dl.abuf_peak),
            prefill_s: est.prefill_s,
            program_size: prompt.div_ceil(mb) as f64 / prompt.div_ceil(512).max(1) as f64,
        });
        // ACC: up to 64 query rows per attention pass (fewer passes, smaller
        // prefill programs).
        let per_row = l.score_pitch + l.attn_out_pitch;
        acc_bytes = acc_bytes
            .max(per_row * 64.min(mb))
            .max(l.lin_rows.min(64) * l.lin_acc_pitch);
        stage_rows = stage_rows.max(l.kv_stage_rows);
        sbuf = sbuf.max(l.sbuf_peak);
    }
    if m.is_empty() {
        return None;
    }
    let acc_unit = cfg.acc_word_bytes().max(cfg.sfu_lanes as u64 * 4);
    let acc_bytes = acc_bytes.div_ceil(acc_unit) * acc_unit;
    let kv = kv_levels(&cfg, ks, opts, stage_rows);
    if kv.is_empty() {
        return None;
    }
    let sbuf_bytes = sbuf.div_ceil(4096) * 4096;
    let bram_fixed = resources::BRAM_FIXED + (sbuf_bytes * 8).div_ceil(72 * resources::BRAM_WORDS);
    let weights: u64 = wt.linears.iter().flatten().map(|t| t.rows).sum::<u64>() * cfg.slice_bytes();
    let layers = ks
        .kernels
        .iter()
        .filter(|k| matches!(k.kind, KernelKind::KvWrite { .. }))
        .count() as u64;
    let kv_heads = ks
        .kernels
        .iter()
        .find_map(|k| {
            if let KernelKind::KvWrite { kv_heads, .. } = k.kind {
                Some(kv_heads)
            } else {
                None
            }
        })
        .unwrap_or(0);
    let positions = opts.kv_len.max(prompt);
    let kv_cache = opts.batch.max(1)
        * layers
        * kv_heads
        * 2
        * positions.div_ceil(cfg.channels as u64)
        * cfg.kv_row_bytes as u64;
    Some(Candidate {
        cfg,
        logic,
        w,
        m,
        kv,
        acc_bytes,
        sbuf_bytes,
        bram_fixed,
        channel_bytes: weights + kv_cache,
    })
}

/// KV window levels from 512 positions to the whole decode context
/// (at most 8192): buffer bytes for two staging areas and four windows, and
/// the decode time spent refilling windows shorter than the context (each
/// extra fill of each KV head and kind exposes part of a memory latency and
/// issues one load per channel).
fn kv_levels(
    cfg: &EngineConfig,
    ks: &Kernels,
    opts: &ExploreOptions,
    stage_rows: u64,
) -> Vec<KLevel> {
    let unit = (cfg.rows as u64)
        .max(cfg.cols as u64)
        .max(cfg.channels as u64)
        .max(cfg.sfu_lanes as u64);
    let full = opts.kv_len.max(opts.prompt).div_ceil(unit) * unit;
    let (mut layers, mut heads) = (0u64, 0u64);
    for k in &ks.kernels {
        if let KernelKind::KvWrite { kv_heads, .. } = k.kind {
            layers += 1;
            heads = kv_heads;
        }
    }
    if layers == 0 {
        return vec![KLevel {
            window: unit,
            bytes: (2 * stage_rows + 4 * unit) * cfg.kv_row_bytes as u64,
            decode_extra_s: 0.0,
        }];
    }
    let kv_unit = cfg.kv_row_bytes as u64 * cfg.kv_banks();
    let mt = llmfab_isa::MemTiming::default();
    let per_fill = (super::perf::restart_latency(&mt) / 2 + cfg.channels as u64) as f64
        / (cfg.clock_mhz * 1e6);
    let mut out = Vec::new();
    let mut w = 512u64.max(unit).min(full);
    loop {
        let window = w.min(full).div_ceil(unit) * unit;
        let bytes =
            ((2 * stage_rows + 4 * window) * cfg.kv_row_bytes as u64).div_ceil(kv_unit) * kv_unit;
        let fills = opts.kv_len.div_ceil(window);
        let extra =
            (opts.batch.max(1) * layers * heads * 2 * fills.saturating_sub(1)) as f64 * per_fill;
        out.push(KLevel {
            window,
            bytes,
            decode_extra_s: extra,
        });
        if window >= full.min(8192) {
            break;
        }
        w *= 2;
    }
    out
}
