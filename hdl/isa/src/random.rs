//! Seeded random **valid, race-free** programs with random data, for the
//! co-simulation of the hardware against the reference and for the
//! simulator-vs-Verilog cycle tests.
//!
//! [`random_program`] returns a program and the initial memory image. The
//! same seed and config give the same program on every machine (an own
//! SplitMix64 generator, no floating point).
//!
//! # Shape (VTA-style ping-pong, conservative)
//!
//! ```text
//! prologue: loads filling ABUF, KVBUF, WBUF, SBUF from memory   (last: +push_next)
//! nop queue=1 +pop_prev +push_prev ; nop queue=1 +push_prev     (two C→L credits)
//! L0 L1 C0 S0 L2 C1 S1 L3 C2 S2 … C(n-1) S(n-1) halt
//! ```
//!
//! Round `i` uses half `h = i mod 2` of each buffer. Its load segment `Li`
//! writes only the half's *input* area (ABUF, KVBUF, WBUF, SBUF); its
//! compute segment `Ci` reads the half's input and work areas and the
//! static WBUF/SBUF areas (filled by the prologue only) and writes only the
//! half's *work* areas (ABUF, KVBUF, ACC); its store segment `Si` reads the
//! half's work areas and writes fresh memory. Tokens: `Li` ends with
//! `+push_next` and `Ci` starts with `+pop_prev`; `Ci` ends with `+push_prev
//! +push_next`; `Si` starts with `+pop_prev` and ends with `+push_prev`;
//! `Li` starts with `+pop_next` (`L0`, `L1` take the prologue's credits, `Li`
//! for i ≥ 2 waits for `C(i-2)`, the last reader of the half) and `Ci` (i ≥ 2) with `+pop_next` (after `S(i-2)`, the last
//! reader of the work area). Loads may also read memory that `S(i-4)` or
//! earlier wrote. Inside a segment, transfers write disjoint bytes. So every
//! conflicting pair of accesses is ordered by tokens, and program order
//! equals any schedule the hardware can choose ([`crate::schedule`] checks
//! this in the tests). Reads of ACC only touch accumulators written before.

use crate::check::check_instr;
use crate::config::EngineConfig;
use crate::image::HbmImage;
use crate::instr::{
    Add, Buf, Deps, Gelu, Instr, Layernorm, Load, Matmul, Mul, Nop, Op, Requant, Rmsnorm, Rope,
    Silu, Softmax, Store,
};
use crate::program::Program;
use crate::IsaError;

/// A small deterministic generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x853c_49e6_748f_ea9b)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            ((self.next_u64() as u128 * n as u128) >> 64) as u64
        }
    }
    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below(hi - lo + 1)
        }
    }
    /// Signed uniform in `lo..=hi`.
    pub fn irange(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.range(0, (hi - lo) as u64) as i64
    }
    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// True with probability `p` (for tests; the generator uses [`Rng::percent`]).
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for b in out {
            *b = self.next_u64() as u8;
        }
    }
}

/// Size knobs of the generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Rounds (load, compute, store segments), at least 1.
    pub rounds: u64,
    /// Most compute instructions per round.
    pub max_ops: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rounds: 4,
            max_ops: 5,
        }
    }
}

/// Small valid configurations covering the parameter space (channels 1, 2
/// and 4, beats of 32 and 64 bytes, weights of 2, 4 and 8 bits, int8 and
/// int16 activations, int4 and int8 KV, 1 to 8 SFU lanes), for random
/// co-simulation. The first is [`EngineConfig::tiny`].
pub fn small_configs() -> Vec<EngineConfig> {
    let t = EngineConfig::tiny();
    let two_ch = EngineConfig {
        name: "tiny-2ch".into(),
        rows: 8,
        cols: 8,
        channels: 2,
        group_size: 16,
        ..t.clone()
    };
    let wide = EngineConfig {
        name: "tiny-a16-w4-kv4".into(),
        rows: 8,
        cols: 8,
        weight_bits: 4,
        act_bits: 16,
        kv_bits: 4,
        sfu_lanes: 8,
        ..t.clone()
    };
    let port512 = EngineConfig {
        name: "tiny-512".into(),
        rows: 8,
        cols: 16,
        weight_bits: 4,
        port_bits: 512,
        kv_row_bytes: 64,
        sbuf_bytes: 4096,
        ..t.clone()
    };
    let w2 = EngineConfig {
        name: "tiny-w2-l1".into(),
        rows: 16,
        cols: 8,
        weight_bits: 2,
        group_size: 32,
        sfu_lanes: 1,
        ..t.clone()
    };
    let four = EngineConfig {
        name: "tiny-4ch".into(),
        rows: 8,
        cols: 16,
        channels: 4,
        kvbuf_bytes: 8192,
        wbuf_bytes: 8192,
        sfu_lanes: 2,
        ..t.clone()
    };
    vec![t, two_ch, wide, port512, w2, four]
}

/// A random valid, race-free program for `cfg` and its initial memory
/// image (default [`Options`], 2–5 rounds chosen by the seed).
pub fn random_program(cfg: &EngineConfig, seed: u64) -> Result<(Program, HbmImage), IsaError> {
    let mut rng = Rng::new(seed);
    let rounds = rng.range(2, 5);
    random_program_with(
        cfg,
        seed,
        Options {
            rounds,
            ..Options::default()
        },
    )
}

/// As [`random_program`] with explicit options.
pub fn random_program_with(
    cfg: &EngineConfig,
    seed: u64,
    opts: Options,
) -> Result<(Program, HbmImage), IsaError> {
    cfg.validate()?;
    let mut g = Gen::new(cfg, seed)?;
    g.prologue();
    let n = opts.rounds.max(1);
    let mut order = vec![(0, Seg::Load), (1, Seg::Load)];
    for i in 0..n {
        order.push((i, Seg::Compute));
        order.push((i, Seg::Store));
        if i + 2 < n {
            order.push((i + 2, Seg::Load));
        }
    }
    for (i, seg) in order {
        if i >= n {
            continue;
        }
        match seg {
            Seg::Load => g.load_segment(i),
            Seg::Compute => g.compute_segment(i, opts.max_ops.max(1)),
            Seg::Store => g.store_segment(i),
        }
    }
    g.prog.push(Instr::new(Op::Halt(crate::instr::Halt {})));
    Ok((g.prog, g.hbm))
}

#[derive(Clone, Copy, Debug)]
enum Seg {
    Load,
    Compute,
    Store,
}

/// A byte range `[start, start + len)` of a buffer.
#[derive(Clone, Copy, Debug)]
struct Area {
    start: u64,
    len: u64,
}

impl Area {
    fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// A memory range a store wrote, usable by loads of round `round + 4` on.
#[derive(Clone, Copy, Debug)]
struct Written {
    round: u64,
    ch: u64,
    addr: u64,
    len: u64,
}

struct Gen<'a> {
    cfg: &'a EngineConfig,
    rng: Rng,
    prog: Program,
    hbm: HbmImage,
    /// Per buffer: input areas of halves 0 and 1.
    a_in: [Area; 2],
    a_work: [Area; 2],
    kv_in: [Area; 2],
    kv_work: [Area; 2],
    w_in: [Area; 2],
    w_static: Area,
    s_in: [Area; 2],
    s_static: Area,
    acc_work: [Area; 2],
    /// Which ACC bytes hold a result written earlier.
    acc_init: Vec<bool>,
    /// The last matmul result per half: (acc_addr, acc_pitch, m, n).
    acc_results: [Option<(u64, u64, u64, u64)>; 2],
    /// Random input data in every channel's memory: `[0, input)`.
    input: u64,
    /// Next free output byte per channel.
    out_next: Vec<u64>,
    written: Vec<Written>,
    /// Structured SBUF content for the static area, in channel 0 at `sbuf_src`.
    sbuf_src: u64,
}

/// Splits `[0, total)` into `parts` equal areas aligned to `unit`.
fn split(total: u64, parts: u64, unit: u64) -> Vec<Area> {
    let len = total / parts / unit * unit;
    (0..parts)
        .map(|i| Area {
            start: i * len,
            len,
        })
        .collect()
}

fn lcm_pow2(xs: &[u64]) -> u64 {
    xs.iter().copied().max().unwrap_or(1)
}

impl<'a> Gen<'a> {
    fn new(cfg: &'a EngineConfig, seed: u64) -> Result<Self, IsaError> {
        let beat = cfg.beat_bytes();
        let lanes = cfg.sfu_lanes as u64;
        let ab = cfg.act_bytes();
        let a_unit = lcm_pow2(&[beat, cfg.a_word_bytes(), lanes * ab]);
        let a = split(cfg.abuf_bytes, 4, a_unit);
        let kvrb = cfg.kv_row_bytes as u64;
        let ch = cfg.channels as u64;
        let kv_rows = cfg.kvbuf_rows() / 4 / ch * ch;
        let kv: Vec<Area> = (0..4)
            .map(|i| Area {
                start: i * kv_rows * kvrb,
                len: kv_rows * kvrb,
            })
            .collect();
        let tile = cfg.tile_bytes();
        let w_rows = cfg.wbuf_rows() / 3;
        let w: Vec<Area> = (0..3)
            .map(|i| Area {
                start: i * w_rows * tile,
                len: w_rows * tile,
            })
            .collect();
        let s = split(cfg.sbuf_bytes, 3, beat);
        let acc = split(
            cfg.acc_bytes,
            2,
            lcm_pow2(&[cfg.acc_word_bytes(), lanes * 4]),
        );
        let too_small = |what: &str| IsaError::Config {
            file: cfg.name.clone(),
            problems: vec![format!(
                "{what}: too small for the random program generator"
            )],
        };
        if a[0].len < a_unit * 2 {
            return Err(too_small("abuf_bytes"));
        }
        if kv_rows < 2 * ch {
            return Err(too_small("kvbuf_bytes"));
        }
        if w_rows < 2 {
            return Err(too_small("wbuf_bytes"));
        }
        if s[0].len < 2 * 257 + 64 {
            return Err(too_small("sbuf_bytes"));
        }
        if acc[0].len < cfg.acc_word_bytes() * 2 {
            return Err(too_small("acc_bytes"));
        }
        // Memory: random input data, then room for stores.
        let largest = [
            cfg.abuf_bytes,
            cfg.sbuf_bytes,
            cfg.wbuf_bytes / ch,
            cfg.kvbuf_bytes / ch,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let input = (largest * 4).max(8192).div_ceil(4096) * 4096;
        let output = 16384;
        let mut rng = Rng::new(seed.wrapping_mul(0x2545_f491_4f6c_dd1d).wrapping_add(1));
        let mut hbm = HbmImage::zeroed(cfg, (input + output) as usize);
        for mem in hbm.channels.iter_mut() {
            rng.fill(&mut mem[..input as usize]);
        }
        // Structured SBUF content (norm weights, tables, RoPE pairs) at the end of channel 0's input.
        let sbuf_src = input - cfg.sbuf_bytes.div_ceil(beat) * beat;
        let sb = &mut hbm.channels[0][sbuf_src as usize..(sbuf_src + cfg.sbuf_bytes) as usize];
        fill_sbuf(&mut rng, sb);
        Ok(Gen {
            cfg,
            rng,
            prog: Program::new(),
            hbm,
            a_in: [a[0], a[1]],
            a_work: [a[2], a[3]],
            kv_in: [kv[0], kv[1]],
            kv_work: [kv[2], kv[3]],
            w_in: [w[0], w[1]],
            w_static: w[2],
            s_in: [s[0], s[1]],
            s_static: s[2],
            acc_work: [acc[0], acc[1]],
            acc_init: vec![false; cfg.acc_bytes as usize],
            acc_results: [None; 2],
            input,
            out_next: vec![input; ch as usize],
            written: Vec::new(),
            sbuf_src,
        })
    }

    fn emit(&mut self, op: Op, prov: String) -> usize {
        self.prog.push_from(Instr::new(op), prov)
    }

    fn deps(&mut self, index: usize) -> &mut Deps {
        &mut self.prog.instrs_mut()[index].deps
    }

    /// Random beat-aligned memory source for `rows` rows of `row_bytes`,
    /// `stride` apart, on channel `ch` (old store output when allowed).
    fn source(&mut self, round: u64, ch: u64, rows: u64, row_bytes: u64, stride: u64) -> u64 {
        let beat = self.cfg.beat_bytes();
        let extent = (rows - 1) * stride + row_bytes;
        let old: Vec<Written> = self
            .written
            .iter()
            .copied()
            .filter(|w| w.ch == ch && w.round + 4 <= round && w.len >= extent)
            .collect();
        if !old.is_empty() && self.rng.percent(50) {
            let w = old[self.rng.below(old.len() as u64) as usize];
            return w.addr + self.rng.below((w.len - extent) / beat + 1) * beat;
        }
        self.rng.below(self.input.saturating_sub(extent) / beat + 1) * beat
    }

    #[allow(clippy::too_many_arguments)]
    fn load(
        &mut self,
        ch: u64,
        buf: Buf,
        rows: u64,
        row_bytes: u64,
        hbm_addr: u64,
        hbm_stride: u64,
        buf_addr: u64,
        buf_stride: u64,
        prov: String,
    ) -> usize {
        let op = Op::Load(Load {
            ch,
            buf: buf as u64,
            rows,
            row_bytes,
            hbm_addr,
            hbm_stride,
            buf_addr,
            buf_stride,
        });
        self.emit(op, prov)
    }

    /// Loads filling every loadable buffer.
    fn prologue(&mut self) {
        let cfg = self.cfg;
        let beat = cfg.beat_bytes();
        let prov = || "prologue".to_string();
        // ABUF: rows of 1, 2 or 4 beats (dividing the buffer) from random memory rows.
        let row = [4, 2, 1]
            .into_iter()
            .map(|k| k * beat)
            .find(|r| cfg.abuf_bytes.is_multiple_of(*r))
            .unwrap_or(beat);
        let rows = cfg.abuf_bytes / row;
        let stride = row + beat * self.rng.below(3);
        let src = self.source(0, 0, rows, row, stride);
        self.load(0, Buf::Abuf, rows, row, src, stride, 0, row, prov());
        // SBUF: the structured content.
        self.load(
            0,
            Buf::Sbuf,
            cfg.sbuf_bytes / beat,
            beat,
            self.sbuf_src,
            beat,
            0,
            beat,
            prov(),
        );
        // WBUF and KVBUF: each channel fills its slices / rows.
        let slice = cfg.slice_bytes();
        let kvrb = cfg.kv_row_bytes as u64;
        let ch_n = cfg.channels as u64;
        for ch in 0..ch_n {
            let rows = cfg.wbuf_rows();
            let src = self.source(0, ch, rows, slice, slice);
            self.load(
                ch,
                Buf::Wbuf,
                rows,
                slice,
                src,
                slice,
                ch * slice,
                0,
                prov(),
            );
            let rows = cfg.kvbuf_rows() / ch_n;
            let src = self.source(0, ch, rows, kvrb, kvrb);
            self.load(
                ch,
                Buf::Kvbuf,
                rows,
                kvrb,
                src,
                kvrb,
                ch * kvrb,
                ch_n * kvrb,
                prov(),
            );
        }
        let last = self.prog.len() - 1;
        self.deps(last).push_next = true;
        let a = self.emit(Op::Nop(Nop { queue: 1 }), prov());
        *self.deps(a) = Deps {
            pop_prev: true,
            push_prev: true,
            ..Deps::default()
        };
        let b = self.emit(Op::Nop(Nop { queue: 1 }), prov());
        self.deps(b).push_prev = true;
    }

    /// Loads of round `i` into the input areas of half `i mod 2`.
    fn load_segment(&mut self, i: u64) {
        let cfg = self.cfg;
        let h = (i % 2) as usize;
        let beat = cfg.beat_bytes();
        let ch_n = cfg.channels as u64;
        let prov = format!("r{i}.load");
        let first = self.prog.len();
        let mut bufs = vec![Buf::Abuf, Buf::Wbuf, Buf::Kvbuf, Buf::Sbuf];
        let count = self.rng.range(1, 3);
        for _ in 0..count {
            let buf = bufs.remove(self.rng.below(bufs.len() as u64) as usize);
            match buf {
                Buf::Abuf | Buf::Sbuf => {
                    let area = if buf == Buf::Abuf {
                        self.a_in[h]
                    } else {
                        self.s_in[h]
                    };
                    let row = beat * self.rng.range(1, 3).min(area.len / beat);
                    let max_rows = area.len / row;
                    let rows = self.rng.range(1, max_rows.min(6));
                    let bstride = row * self.rng.range(1, 2);
                    let bstride = if (rows - 1) * bstride + row > area.len {
                        row
                    } else {
                        bstride
                    };
                    let extent = (rows - 1) * bstride + row;
                    let addr = area.start + self.rng.below((area.len - extent) / beat + 1) * beat;
                    let hstride = beat * self.rng.below(row / beat + 3);
                    let src = self.source(i, 0, rows, row, hstride);
                    self.load(0, buf, rows, row, src, hstride, addr, bstride, prov.clone());
                }
                Buf::Wbuf => {
                    let (tile, slice) = (cfg.tile_bytes(), cfg.slice_bytes());
                    let area = self.w_in[h];
                    let area_rows = area.len / tile;
                    // Every channel fills the same tile rows (disjoint slices).
                    let r0 = area.start / tile + self.rng.below(area_rows);
                    let nrows = self
                        .rng
                        .range(1, (area.start / tile + area_rows - r0).min(4));
                    let chans: Vec<u64> = (0..ch_n).filter(|_| self.rng.percent(70)).collect();
                    for ch in if chans.is_empty() { vec![0] } else { chans } {
                        let total = nrows * slice;
                        let row_bytes = if total.is_multiple_of(2 * beat) && self.rng.percent(50) {
                            2 * beat
                        } else {
                            beat
                        };
                        let rows = total / row_bytes;
                        let hstride = row_bytes + beat * self.rng.below(2);
                        let src = self.source(i, ch, rows, row_bytes, hstride);
                        self.load(
                            ch,
                            Buf::Wbuf,
                            rows,
                            row_bytes,
                            src,
                            hstride,
                            r0 * tile + ch * slice,
                            0,
                            prov.clone(),
                        );
                    }
                }
                _ => {
                    let kvrb = cfg.kv_row_bytes as u64;
                    let area = self.kv_in[h];
                    let area_rows = area.len / kvrb;
                    let ch = self.rng.below(ch_n);
                    let step = ch_n * self.rng.range(1, 2);
                    let rows = self.rng.range(1, (area_rows / step).clamp(1, 4));
                    let span = (rows - 1) * step + 1;
                    let r0 = area.start / kvrb
                        + ch
                        + self.rng.below((area_rows - span - ch) / ch_n + 1) * ch_n;
                    let row_bytes = beat * self.rng.range(1, kvrb / beat);
                    let hstride = beat * self.rng.range(row_bytes / beat, row_bytes / beat + 2);
                    let src = self.source(i, ch, rows, row_bytes, hstride);
                    self.load(
                        ch,
                        Buf::Kvbuf,
                        rows,
                        row_bytes,
                        src,
                        hstride,
                        r0 * kvrb,
                        step * kvrb,
                        prov.clone(),
                    );
                }
            }
        }
        if self.rng.percent(15) {
            self.emit(Op::Nop(Nop { queue: 0 }), prov.clone());
        }
        // L0 and L1 take the two credits of the prologue, Li (i ≥ 2) C(i-2)'s token.
        self.deps(first).pop_next = true;
        let last = self.prog.len() - 1;
        self.deps(last).push_next = true;
    }

    /// Stores of round `i` from the work areas of half `i mod 2`.
    fn store_segment(&mut self, i: u64) {
        let cfg = self.cfg;
        let h = (i % 2) as usize;
        let beat = cfg.beat_bytes();
        let ch_n = cfg.channels as u64;
        let prov = format!("r{i}.store");
        let first = self.prog.len();
        for _ in 0..self.rng.range(1, 2) {
            let (ch, buf, rows, row_bytes, buf_addr, buf_stride) = if self.rng.percent(50) {
                let area = self.a_work[h];
                let row = beat * self.rng.range(1, 2).min(area.len / beat);
                let rows = self.rng.range(1, 3).min(area.len / row);
                let bstride = if self.rng.percent(30) { 0 } else { row };
                let extent = (rows - 1) * bstride + row;
                let addr = area.start + self.rng.below((area.len - extent) / beat + 1) * beat;
                (0, Buf::Abuf, rows, row, addr, bstride)
            } else {
                let kvrb = cfg.kv_row_bytes as u64;
                let area = self.kv_work[h];
                let area_rows = area.len / kvrb;
                let ch = self.rng.below(ch_n);
                let rows = self.rng.range(1, 3).min(area_rows / ch_n);
                let span = (rows - 1) * ch_n + 1;
                let r0 = area.start / kvrb
                    + ch
                    + self.rng.below((area_rows - span - ch) / ch_n + 1) * ch_n;
                let row_bytes = beat * self.rng.range(1, kvrb / beat);
                (ch, Buf::Kvbuf, rows, row_bytes, r0 * kvrb, ch_n * kvrb)
            };
            let hstride = row_bytes + beat * self.rng.below(2);
            let extent = (rows - 1) * hstride + row_bytes;
            let at = self.out_next[ch as usize];
            if at + extent > self.hbm.channels[ch as usize].len() as u64 {
                continue;
            }
            self.out_next[ch as usize] =
                at + extent.div_ceil(beat) * beat + beat * self.rng.below(2);
            self.written.push(Written {
                round: i,
                ch,
                addr: at,
                len: extent,
            });
            let op = Op::Store(Store {
                ch,
                buf: buf as u64,
                rows,
                row_bytes,
                hbm_addr: at,
                hbm_stride: hstride,
                buf_addr,
                buf_stride,
            });
            self.emit(op, prov.clone());
        }
        if self.prog.len() == first || self.rng.percent(15) {
            self.emit(Op::Nop(Nop { queue: 2 }), prov.clone());
        }
        self.deps(first).pop_prev = true;
        let last = self.prog.len() - 1;
        self.deps(last).push_prev = true;
    }

    /// Compute instructions of round `i` on half `i mod 2`.
    fn compute_segment(&mut self, i: u64, max_ops: u64) {
        let h = (i % 2) as usize;
        let prov = format!("r{i}.compute");
        let first = self.prog.len();
        let ops = self.rng.range(1, max_ops);
        for _ in 0..ops {
            for _attempt in 0..50 {
                if let Some(op) = self.random_compute(h) {
                    let ins = Instr::new(op);
                    if check_instr(self.cfg, self.prog.len(), &ins).is_empty() {
                        self.note_acc_write(&op);
                        self.emit(op, prov.clone());
                        break;
                    }
                }
            }
        }
        if self.prog.len() == first || self.rng.percent(10) {
            self.emit(Op::Nop(Nop { queue: 1 }), prov.clone());
        }
        self.deps(first).pop_prev = true;
        if i >= 2 {
            self.deps(first).pop_next = true;
        }
        let last = self.prog.len() - 1;
        let d = self.deps(last);
        d.push_prev = true;
        d.push_next = true;
    }

    fn note_acc_write(&mut self, op: &Op) {
        if let Op::Matmul(x) = op {
            let h = usize::from(x.acc_addr >= self.acc_work[1].start);
            self.acc_results[h] = Some((x.acc_addr, x.acc_pitch, x.m, x.n));
            for r in 0..x.m {
                let a = (x.acc_addr + r * x.acc_pitch) as usize;
                self.acc_init[a..a + 4 * x.n as usize].fill(true);
            }
        }
    }

    fn acc_ready(&self, addr: u64, rows: u64, pitch: u64, bytes: u64) -> bool {
        (0..rows).all(|r| {
            let a = (addr + r * pitch) as usize;
            self.acc_init
                .get(a..a + bytes as usize)
                .is_some_and(|s| s.iter().all(|&b| b))
        })
    }

    /// Random start in `area` for `rows` rows of `row` bytes `pitch` apart,
    /// aligned to `unit` (relative to 0; areas are aligned).
    fn place(&mut self, area: Area, rows: u64, pitch: u64, row: u64, unit: u64) -> Option<u64> {
        let extent = (rows.max(1) - 1) * pitch + row;
        if extent > area.len {
            return None;
        }
        let slots = (area.len - extent) / unit + 1;
        Some(area.start + self.rng.below(slots) * unit)
    }

    /// A readable ABUF area of half `h`, and a writable one.
    fn a_read(&mut self, h: usize) -> Area {
        if self.rng.percent(50) {
            self.a_in[h]
        } else {
            self.a_work[h]
        }
    }

    fn s_read(&mut self, h: usize) -> Area {
        if self.rng.percent(70) {
            self.s_static
        } else {
            self.s_in[h]
        }
    }

    /// A candidate compute instruction for half `h` (checked by the caller).
    fn random_compute(&mut self, h: usize) -> Option<Op> {
        match self.rng.below(12) {
            0..=2 => self.matmul(h),
            3 | 4 => self.requant(h),
            5 => self.softmax(h),
            6 => self.norm(h),
            7 => self.table(h),
            8 => self.rope(h),
            9 | 10 => self.binary(h),
            _ => {
                let r = self.rng.below(9);
                match r {
                    0..=2 => self.matmul(h),
                    3 => self.softmax(h),
                    4 => self.norm(h),
                    5 => self.table(h),
                    6 => self.rope(h),
                    _ => self.requant(h),
                }
            }
        }
    }

    fn matmul(&mut self, h: usize) -> Option<Op> {
        let cfg = self.cfg;
        let (r, c) = (cfg.rows as u64, cfg.cols as u64);
        let ab = cfg.act_bytes();
        let mode = self.rng.below(2);
        let m = if mode == 1 { 1 } else { self.rng.range(1, 4) };
        let n = self.rng.range(1, 2 * c + 3);
        let k = self.rng.range(1, 3 * r + 5);
        let bsrc = self.rng.below(2);
        let aw = cfg.a_word_bytes();
        let a_pitch = (k * ab).div_ceil(aw) * aw + aw * self.rng.below(2);
        let area = self.a_read(h);
        let a_addr = self.place(area, m, a_pitch, k * ab, aw)?;
        let accw = cfg.acc_word_bytes();
        let prev = self.acc_results[h].filter(|p| p.2 >= m && p.3 >= n);
        let (acc_addr, acc_pitch, accumulate) = match prev {
            Some((addr, pitch, _, _)) if self.rng.percent(50) => (addr, pitch, 1),
            _ => {
                let pitch = (4 * n).div_ceil(accw) * accw + accw * self.rng.below(2);
                let addr = self.place(self.acc_work[h], m, pitch, 4 * n, accw)?;
                (
                    addr,
                    pitch,
                    u64::from(self.acc_ready(addr, m, pitch, 4 * n) && self.rng.percent(50)),
                )
            }
        };
        let mut x = Matmul {
            mode,
            bsrc,
            m,
            n,
            k,
            a_addr,
            a_pitch,
            acc_addr,
            acc_pitch,
            accumulate,
            abits: cfg.act_bits as u64,
            ..Default::default()
        };
        if bsrc == 0 {
            let tile = cfg.tile_bytes();
            x.bbits = cfg.weight_bits as u64;
            let w = if self.rng.percent(50) {
                self.w_static
            } else {
                self.w_in[h]
            };
            let tiles = k.div_ceil(r) * n.div_ceil(c);
            x.b_addr = self.place(w, 1, 0, tiles * tile, tile)?;
            if self.rng.percent(50) {
                x.dequant = 1;
                x.dq_shift = self.rng.range(0, 12);
                let bytes = n.div_ceil(c) * k.div_ceil(cfg.group_size as u64) * 2 * c;
                let w = if self.rng.percent(50) {
                    self.w_static
                } else {
                    self.w_in[h]
                };
                x.s_addr = self.place(w, 1, 0, bytes, tile)?;
            }
        } else {
            let kvrb = cfg.kv_row_bytes as u64;
            let kb = cfg.kv_bits as u64;
            x.bbits = kb;
            x.btrans = self.rng.below(2);
            let (rows, per_row) = if x.btrans == 0 { (k, n) } else { (n, k) };
            let unit = (r.max(c) * kb / 8).max(1);
            if per_row * kb > kvrb * 8 {
                return None;
            }
            let max_off = (kvrb * 8 - per_row * kb) / 8 / unit;
            let off = self.rng.range(0, max_off) * unit;
            let area = if self.rng.percent(50) {
                self.kv_in[h]
            } else {
                self.kv_work[h]
            };
            let row0 = self.place(area, rows, kvrb, kvrb, kvrb)?;
            x.b_addr = row0 + off;
        }
        Some(Op::Matmul(x))
    }

    /// A random ACC read of `rows` rows of `n` int32 in half `h`'s written accumulators.
    fn acc_source(&mut self, h: usize, rows: u64, n: u64) -> Option<(u64, u64)> {
        let unit = self.cfg.sfu_lanes as u64 * 4;
        let pitch = (4 * n).div_ceil(unit) * unit * self.rng.range(0, 2).max(u64::from(rows > 1));
        for _ in 0..20 {
            let addr = self.place(self.acc_work[h], rows, pitch, 4 * n, unit)?;
            if self.acc_ready(addr, rows, pitch, 4 * n) {
                return Some((addr, pitch));
            }
        }
        None
    }

    /// Destination rows in half `h`'s ABUF work area (or in place of `src`).
    fn a_dest(
        &mut self,
        h: usize,
        rows: u64,
        n: u64,
        src: Option<(u64, u64)>,
    ) -> Option<(u64, u64)> {
        let ab = self.cfg.act_bytes();
        let unit = self.cfg.sfu_lanes as u64 * ab;
        if let Some((s, p)) = src {
            let w = self.a_work[h];
            if s >= w.start && s < w.end() && self.rng.percent(40) {
                return Some((s, p));
            }
        }
        let pitch = (n * ab).div_ceil(unit) * unit + unit * self.rng.below(2);
        let addr = self.place(self.a_work[h], rows, pitch, n * ab, unit)?;
        Some((addr, pitch))
    }

    /// Source rows in a readable ABUF area of half `h`.
    fn a_source(&mut self, h: usize, rows: u64, n: u64) -> Option<(u64, u64)> {
        let ab = self.cfg.act_bytes();
        let unit = self.cfg.sfu_lanes as u64 * ab;
        let pitch = (n * ab).div_ceil(unit) * unit * self.rng.range(1, 2);
        let area = self.a_read(h);
        let addr = self.place(area, rows, pitch, n * ab, unit)?;
        Some((addr, pitch))
    }

    fn requant(&mut self, h: usize) -> Option<Op> {
        let cfg = self.cfg;
        let m = self.rng.range(1, 3);
        let n = self.rng.range(1, 24);
        let from_acc = self.rng.percent(60);
        let (src, src_addr, src_pitch) = if from_acc {
            let (a, p) = self.acc_source(h, m, n)?;
            (Buf::Acc, a, p)
        } else {
            let (a, p) = self.a_source(h, m, n)?;
            (Buf::Abuf, a, p)
        };
        let mut x = Requant {
            src: src as u64,
            m,
            n,
            src_addr,
            src_pitch,
            ..Default::default()
        };
        x.shift = if from_acc {
            self.rng.range(6, 16)
        } else {
            self.rng.range(0, 10)
        };
        x.mult = (self.rng.irange(-(1 << 10), 1 << 10) as u64) & 0xffff;
        if self.rng.percent(30) {
            x.col_scale = 1;
            let area = self.s_read(h);
            let su = 2 * cfg.sfu_lanes as u64;
            x.s_addr = self.place(area, 1, 0, 2 * n, su)?;
        }
        if self.rng.percent(40) {
            let kvrb = cfg.kv_row_bytes as u64;
            let kb = cfg.kv_bits as u64;
            if n * kb > kvrb * 8 {
                return None;
            }
            let unit = (cfg.sfu_lanes as u64 * kb / 8).max(1);
            let off = self.rng.range(0, (kvrb * 8 - n * kb) / 8 / unit) * unit;
            let pitch = kvrb * self.rng.range(1, 2);
            let row0 = self.place(self.kv_work[h], m, pitch, kvrb, kvrb)?;
            x.dst = Buf::Kvbuf as u64;
            x.dst_addr = row0 + off;
            x.dst_pitch = pitch;
        } else {
            let inplace = (src == Buf::Abuf).then_some((src_addr, src_pitch));
            let (d, p) = self.a_dest(h, m, n, inplace)?;
            x.dst = Buf::Abuf as u64;
            x.dst_addr = d;
            x.dst_pitch = p;
        }
        Some(Op::Requant(x))
    }

    fn softmax(&mut self, h: usize) -> Option<Op> {
        let m = self.rng.range(1, 4);
        let n = self.rng.range(1, 24);
        let (src, src_pitch) = self.acc_source(h, m, n)?;
        let (dst, dst_pitch) = self.a_dest(h, m, n, None)?;
        let flags = self.rng.below(2);
        let imm2 = self.rng.range(0, 3);
        let imm0 = self.rng.range(1, 256);
        let shift = self.rng.range(4, 16);
        Some(Op::Softmax(Softmax {
            flags,
            shift,
            m,
            n,
            src,
            src_pitch,
            dst,
            dst_pitch,
            imm0,
            imm2,
        }))
    }

    fn norm(&mut self, h: usize) -> Option<Op> {
        let m = self.rng.range(1, 3);
        let lanes = self.cfg.sfu_lanes as u64;
        let layer = self.rng.percent(50);
        let mut n = self.rng.range(1, 32);
        if layer {
            // P-SFU-2: layernorm rows are whole SFU vectors.
            n = n.div_ceil(lanes) * lanes;
        }
        let (src, src_pitch) = self.a_source(h, m, n)?;
        let (dst, dst_pitch) = self.a_dest(h, m, n, Some((src, src_pitch)))?;
        let area = self.s_read(h);
        let s_addr = self.place(area, 1, 0, if layer { 4 * n } else { 2 * n }, 2 * lanes)?;
        // imm0 / 2^imm1 ≈ 1/n; the output shift undoes γ (~2^12) and inv·x (~2^15).
        let imm1 = 16;
        let imm0 = ((1u64 << 16) / n).min(65535);
        let imm2 = self.rng.range(0, 16);
        let shift = if self.cfg.act_bits == 16 {
            self.rng.range(11, 15)
        } else {
            self.rng.range(19, 23)
        };
        Some(if layer {
            Op::Layernorm(Layernorm {
                shift,
                m,
                n,
                src,
                src_pitch,
                dst,
                dst_pitch,
                s_addr,
                imm0,
                imm1,
                imm2,
            })
        } else {
            Op::Rmsnorm(Rmsnorm {
                shift,
                m,
                n,
                src,
                src_pitch,
                dst,
                dst_pitch,
                s_addr,
                imm0,
                imm1,
                imm2,
            })
        })
    }

    fn table(&mut self, h: usize) -> Option<Op> {
        let m = self.rng.range(1, 3);
        let n = self.rng.range(1, 32);
        let (src, src_pitch) = self.a_source(h, m, n)?;
        let (dst, dst_pitch) = self.a_dest(h, m, n, Some((src, src_pitch)))?;
        let area = self.s_read(h);
        let su = 2 * self.cfg.sfu_lanes as u64;
        let s_addr = self.place(area, 1, 0, 2 * 257, su)?;
        Some(if self.rng.percent(50) {
            Op::Silu(Silu {
                m,
                n,
                src,
                src_pitch,
                dst,
                dst_pitch,
                s_addr,
            })
        } else {
            Op::Gelu(Gelu {
                m,
                n,
                src,
                src_pitch,
                dst,
                dst_pitch,
                s_addr,
            })
        })
    }

    fn rope(&mut self, h: usize) -> Option<Op> {
        let m = self.rng.range(1, 3);
        // P-SFU-2: a head divides the lanes, or half a head is whole vectors.
        let lanes = self.cfg.sfu_lanes as u64;
        let mut heads: Vec<u64> = (1..=lanes.trailing_zeros()).map(|e| 1 << e).collect();
        heads.extend(
            [2 * lanes, 4 * lanes, 6 * lanes]
                .into_iter()
                .filter(|&x| x <= 16),
        );
        let head = heads[self.rng.below(heads.len() as u64) as usize];
        let n = head * self.rng.range(1, 3);
        let (src, src_pitch) = self.a_source(h, m, n)?;
        let (dst, dst_pitch) = self.a_dest(h, m, n, Some((src, src_pitch)))?;
        let su = 2 * lanes;
        let imm2 = su * self.rng.range(0, (2 * head).div_ceil(su));
        let area = self.s_read(h);
        let s_addr = self.place(area, m, imm2, 2 * head, su)?;
        Some(Op::Rope(Rope {
            m,
            n,
            src,
            src_pitch,
            dst,
            dst_pitch,
            s_addr,
            imm0: head,
            imm2,
        }))
    }

    fn binary(&mut self, h: usize) -> Option<Op> {
        let m = self.rng.range(1, 3);
        let n = self.rng.range(1, 32);
        let (src, src_pitch) = self.a_source(h, m, n)?;
        let ab = self.cfg.act_bytes();
        let unit = self.cfg.sfu_lanes as u64 * ab;
        let area = self.a_read(h);
        let src2 = self.place(area, m, src_pitch, n * ab, unit)?;
        let into = if self.rng.percent(50) {
            Some((src, src_pitch))
        } else {
            Some((src2, src_pitch))
        };
        let (dst, dst_pitch) = self.a_dest(h, m, n, into)?;
        let shift = self.rng.range(0, 8);
        Some(if self.rng.percent(50) {
            let imm0 = (self.rng.irange(-256, 256) as u64) & 0xffff;
            let imm1 = (self.rng.irange(-256, 256) as u64) & 0xffff;
            Op::Add(Add {
                shift,
                m,
                n,
                src,
                src_pitch,
                dst,
                dst_pitch,
                src2,
                imm0,
                imm1,
            })
        } else {
            let imm0 = (self.rng.irange(-64, 64) as u64) & 0xffff;
            Op::Mul(Mul {
                shift: shift + 6,
                m,
                n,
                src,
                src_pitch,
                dst,
                dst_pitch,
                src2,
                imm0,
            })
        })
    }
}

/// Structured SBUF content: int16 values of moderate size (norm weights
/// and biases, smooth activation tables, RoPE (cos, sin) pairs in Q1.14),
/// repeated over the buffer.
fn fill_sbuf(rng: &mut Rng, out: &mut [u8]) {
    let mut v = 0i64;
    for (i, pair) in out.chunks_exact_mut(2).enumerate() {
        let x = match (i / 257) % 3 {
            0 => rng.irange(1 << 11, 1 << 13),
            1 => {
                v = (v + rng.irange(-40, 60)).clamp(-4000, 4000);
                v
            }
            _ => rng.irange(-(1 << 14), 1 << 14),
        };
        pair.copy_from_slice(&(x as i16).to_le_bytes());
    }
}

#[cfg(test)]
mod tests;
