//! Pass `alloc`: the on-chip layout of one phase. Chooses the block height
//! (rows per pass through the model: 1 in decode, the largest power of two
//! that fits in prefill and in a batched decode step), the attention and
//! linear row sub-blocks, the KV window length, and places every ABUF value
//! by first-fit over its lifetime (kernel index range). Every region is
//! checked against its buffer's capacity here, so a layout that is returned
//! fits by construction; the `bounds` verifier re-checks every instruction
//! afterwards.
//!
//! ```text
//! before:  values x[4096] h[4096] qkv[12288] attn[4096] ... ; seq=512
//! after:   mb=64: x@0 pitch 4096, h@262144, qkv@524288, P@... ; abuf peak 2.1 MB of 4 MB
//!          kv: staging 2×96 rows, K/V windows 4×512 rows; acc: 64 rows × 8 KB
//! ```

use crate::lower::kernels::{KernelKind, Kernels, Rows};
use crate::lower::params::Params;
use crate::lower::tiling::{col_unit, WeightTiling};
use crate::lower::Phase;
use crate::CompileError;
use llmfab_isa::EngineConfig;

/// A placed ABUF region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Placed {
    /// Byte offset.
    pub addr: u64,
    /// Bytes between rows.
    pub pitch: u64,
    /// Rows.
    pub rows: u64,
}

impl Placed {
    /// Bytes covered.
    pub fn bytes(&self) -> u64 {
        self.pitch * self.rows
    }
}

/// The on-chip layout of a phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Tokens per block.
    pub mb: u64,
    /// Blocks.
    pub blocks: u64,
    /// Per value.
    pub values: Vec<Placed>,
    /// Per kernel: its ABUF scratch (attention probabilities, rows = attention
    /// rows per pass; a biased linear's replicated bias rows).
    pub scratch: Vec<Option<Placed>>,
    /// Highest ABUF byte used.
    pub abuf_peak: u64,
    /// Query rows per attention pass (prefill) / heads per pass (decode).
    pub attn_rows: u64,
    /// Rows of a linear's matmul per pass (ACC).
    pub lin_rows: u64,
    /// ACC bytes between rows of a linear's result.
    pub lin_acc_pitch: u64,
    /// ACC bytes between score rows.
    pub score_pitch: u64,
    /// ACC byte address of the attention output.
    pub attn_out_acc: u64,
    /// ACC bytes between attention output rows.
    pub attn_out_pitch: u64,
    /// ACC bytes used.
    pub acc_peak: u64,
    /// KV positions per window.
    pub kv_chunk: u64,
    /// First KV row of the two staging areas.
    pub kv_stage: [u64; 2],
    /// Rows of a staging area.
    pub kv_stage_rows: u64,
    /// First KV row of the windows: K0, K1, V0, V1.
    pub kv_win: [u64; 4],
    /// SBUF byte address of the two parameter slots.
    pub sbuf_params: [u64; 2],
    /// SBUF byte address of the RoPE rows of a block.
    pub sbuf_rope: u64,
    /// SBUF bytes per RoPE row.
    pub rope_row_bytes: u64,
    /// SBUF bytes used.
    pub sbuf_peak: u64,
}

/// Alignment of ABUF addresses and pitches: the beat, the A word and the SFU word.
pub fn act_align(cfg: &EngineConfig) -> u64 {
    cfg.beat_bytes()
        .max(cfg.a_word_bytes())
        .max(cfg.sfu_lanes as u64 * cfg.act_bytes())
}

/// Row pitch of `width` activations.
pub fn act_pitch(cfg: &EngineConfig, width: u64) -> u64 {
    let a = act_align(cfg);
    (width * cfg.act_bytes()).div_ceil(a).max(1) * a
}

/// Facts of the attention kernels the layout needs.
struct AttnFacts {
    head_dim: u64,
    group: u64,
    rope_dim: u64,
    has_attention: bool,
}

fn facts(ks: &Kernels) -> AttnFacts {
    let mut f = AttnFacts {
        head_dim: 0,
        group: 1,
        rope_dim: 0,
        has_attention: false,
    };
    for k in &ks.kernels {
        match &k.kind {
            KernelKind::Attention {
                heads,
                kv_heads,
                head_dim,
                ..
            } => {
                f.head_dim = f.head_dim.max(*head_dim);
                f.group = f.group.max(heads / kv_heads.max(&1));
                f.has_attention = true;
            }
            KernelKind::Rope { head_dim, .. } => f.rope_dim = f.rope_dim.max(*head_dim),
            _ => {}
        }
    }
    f
}

/// The layout for block height `mb`; `Err` names the first buffer that
/// overflows (the explorer calls this with roomy buffers to size them).
pub fn try_layout(
    cfg: &EngineConfig,
    ks: &Kernels,
    wt: &WeightTiling,
    params: &Params,
    ph: &Phase,
    mb: u64,
) -> Result<Layout, CompileError> {
    let f = facts(ks);
    let lanes = cfg.sfu_lanes as u64;
    let unit = col_unit(cfg);
    let decode = ph.seq == 1;
    let l_end = ph.kv_len;
    // ACC: attention passes.
    let score_pitch = l_end.div_ceil(unit).max(1) * unit * 4;
    let attn_out_pitch = f.head_dim.div_ceil(unit).max(1) * unit * 4;
    let per_row = score_pitch + attn_out_pitch;
    let max_rows = if decode { f.group } else { mb };
    let mut attn_rows = 0;
    let mut r = max_rows.next_power_of_two();
    while r >= 1 {
        if r <= max_rows && (!decode || f.group.is_multiple_of(r)) && r * per_row <= cfg.acc_bytes {
            attn_rows = r;
            break;
        }
        r /= 2;
    }
    if f.has_attention && attn_rows == 0 {
        return Err(CompileError::Buffer {
            buffer: "acc",
            need: per_row,
            have: cfg.acc_bytes,
            what: format!("one row of {l_end} attention scores and one head of output"),
        });
    }
    let attn_rows = attn_rows.max(1);
    // ACC: linears.
    let mut lin_pitch = unit * 4;
    let mut split_need = 0;
    for t in wt.linears.iter().flatten() {
        let p = t.nb_max.div_ceil(unit) * unit * 4;
        lin_pitch = lin_pitch.max(p);
        if t.k_split {
            split_need = split_need.max(p * mb);
        }
    }
    if split_need > cfg.acc_bytes {
        return Err(CompileError::Buffer {
            buffer: "acc",
            need: split_need,
            have: cfg.acc_bytes,
            what: format!("{mb} rows of a K-split linear's partial sums"),
        });
    }
    let lin_rows = (cfg.acc_bytes / lin_pitch).min(mb).min(65535);
    if lin_rows == 0 {
        return Err(CompileError::Buffer {
            buffer: "acc",
            need: lin_pitch,
            have: cfg.acc_bytes,
            what: "one row of a linear's output block".into(),
        });
    }
    let acc_peak = if f.has_attention {
        attn_rows * per_row
    } else {
        0
    }
    .max(lin_rows * lin_pitch)
    .max(split_need);
    // ABUF: values by first-fit over lifetimes, plus per-kernel scratch.
    let nk = ks.kernels.len();
    let mut life: Vec<(usize, usize)> = vec![(usize::MAX, 0); ks.values.len()];
    for (i, k) in ks.kernels.iter().enumerate() {
        for v in k.views() {
            let l = &mut life[v.value as usize];
            l.0 = l.0.min(i);
            l.1 = l.1.max(i);
        }
    }
    struct Req {
        start: usize,
        end: usize,
        bytes: u64,
    }
    let mut reqs: Vec<Req> = Vec::new();
    let mut pitches = Vec::new();
    for (vi, v) in ks.values.iter().enumerate() {
        // A batched decode step keeps every sequence's last row.
        let rows = if v.rows == Rows::One && !ph.is_batched() {
            1
        } else {
            mb
        };
        let pitch = act_pitch(cfg, v.width);
        pitches.push((pitch, rows));
        let (s, e) = life[vi];
        reqs.push(Req {
            start: s.min(nk),
            end: e,
            bytes: pitch * rows,
        });
    }
    let probs_pitch = act_pitch(cfg, l_end);
    let probs_rows = attn_rows;
    // Per-kernel scratch: (request, kernel, pitch, rows).
    let mut scratch_req: Vec<(usize, usize, u64, u64)> = Vec::new();
    for (i, k) in ks.kernels.iter().enumerate() {
        match &k.kind {
            KernelKind::Attention { .. } => {
                scratch_req.push((reqs.len(), i, probs_pitch, probs_rows));
                reqs.push(Req {
                    start: i,
                    end: i,
                    bytes: probs_pitch * probs_rows,
                });
            }
            KernelKind::Linear {
                bias: true, out, ..
            } => {
                let pitch = pitches[out.value as usize].0;
                scratch_req.push((reqs.len(), i, pitch, mb));
                reqs.push(Req {
                    start: i,
                    end: i,
                    bytes: pitch * mb,
                });
            }
            _ => {}
        }
    }
    let mut order: Vec<usize> = (0..reqs.len()).collect();
    order.sort_by_key(|&i| (reqs[i].start, std::cmp::Reverse(reqs[i].bytes), i));
    let mut addr = vec![0u64; reqs.len()];
    let mut placed: Vec<usize> = Vec::new();
    let mut peak = 0;
    for &i in &order {
        let mut busy: Vec<(u64, u64)> = placed
            .iter()
            .filter(|&&j| reqs[j].start <= reqs[i].end && reqs[i].start <= reqs[j].end)
            .map(|&j| (addr[j], addr[j] + reqs[j].bytes))
            .collect();
        busy.sort();
        let mut a = 0;
        for (s, e) in busy {
            if a + reqs[i].bytes <= s {
                break;
            }
            a = a.max(e);
        }
        addr[i] = a;
        peak = peak.max(a + reqs[i].bytes);
        placed.push(i);
    }
    if peak > cfg.abuf_bytes {
        return Err(CompileError::Buffer {
            buffer: "abuf",
            need: peak,
            have: cfg.abuf_bytes,
            what: format!("the activations of a block of {mb} token(s)"),
        });
    }
    let values = (0..ks.values.len())
        .map(|i| Placed {
            addr: addr[i],
            pitch: pitches[i].0,
            rows: pitches[i].1,
        })
        .collect();
    let mut scratch = vec![None; nk];
    for &(r, k, pitch, rows) in &scratch_req {
        scratch[k] = Some(Placed {
            addr: addr[r],
            pitch,
            rows,
        });
    }
    // KVBUF.
    let ch = cfg.channels as u64;
    let kv_unit = (cfg.rows as u64).max(cfg.cols as u64).max(ch).max(lanes);
    // A block's new rows, position p in the bank of channel p mod CH; a
    // batched decode step's rows (one position) are CH rows apart.
    let stage_rows = if ph.is_batched() {
        mb * ch
    } else {
        (mb.div_ceil(ch) + 1) * ch
    };
    let kv_rows = cfg.kvbuf_rows();
    let free = kv_rows.saturating_sub(2 * stage_rows) / 4;
    let want = l_end.div_ceil(kv_unit) * kv_unit;
    let kv_chunk = want.min(free / kv_unit * kv_unit);
    if f.has_attention && kv_chunk == 0 {
        return Err(CompileError::Buffer {
            buffer: "kvbuf",
            need: (2 * stage_rows + 4 * kv_unit) * cfg.kv_row_bytes as u64,
            have: cfg.kvbuf_bytes,
            what: format!(
                "two staging areas of {stage_rows} rows and four KV windows of {kv_unit} rows"
            ),
        });
    }
    let s0 = 0;
    let w0 = 2 * stage_rows;
    let kv_win = [w0, w0 + kv_chunk, w0 + 2 * kv_chunk, w0 + 3 * kv_chunk];
    // SBUF.
    let beat = cfg.beat_bytes().max(2 * lanes);
    let slot = params.slot_bytes().div_ceil(beat) * beat;
    let rope_row_bytes = (2 * f.rope_dim).div_ceil(beat) * beat;
    let sbuf_peak = 2 * slot
        + if f.rope_dim > 0 {
            rope_row_bytes * mb
        } else {
            0
        };
    if sbuf_peak > cfg.sbuf_bytes {
        return Err(CompileError::Buffer {
            buffer: "sbuf",
            need: sbuf_peak,
            have: cfg.sbuf_bytes,
            what: format!("two layers of norm weights and tables and {mb} RoPE rows"),
        });
    }
    let blocks = ph.rows().div_ceil(mb);
    let _ = s0;
    Ok(Layout {
        mb,
        blocks,
        values,
        scratch,
        abuf_peak: peak,
        attn_rows,
        lin_rows,
        lin_acc_pitch: lin_pitch,
        score_pitch,
        attn_out_acc: attn_rows * score_pitch,
        attn_out_pitch,
        acc_peak,
        kv_chunk: kv_chunk.max(kv_unit),
        kv_stage: [0, stage_rows],
        kv_stage_rows: stage_rows,
        kv_win,
        sbuf_params: [0, slot],
        sbuf_rope: 2 * slot,
        rope_row_bytes,
        sbuf_peak,
    })
}

/// Runs the pass: the largest block height (a power of two, at most 512
/// and at most the phase's rows) whose layout fits.
pub fn run(
    cfg: &EngineConfig,
    ks: &Kernels,
    wt: &WeightTiling,
    params: &Params,
    ph: &Phase,
) -> Result<Layout, CompileError> {
    let mut mb = ph.rows().next_power_of_two().min(512);
    loop {
        let m = mb.min(ph.rows());
        match try_layout(cfg, ks, wt, params, ph, m) {
            Ok(l) => return Ok(l),
            Err(e) if mb == 1 => return Err(e),
            Err(CompileError::Buffer {
                buffer: "abuf" | "acc" | "sbuf" | "kvbuf",
                ..
            }) => mb /= 2,
            Err(e) => return Err(e),
        }
    }
}
