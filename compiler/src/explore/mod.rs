//! Engine design-space exploration: for a board, a model, a quantization
//! scheme and an objective, choose the `EngineConfig` — array shape, port
//! width, channels, clock and buffer depths — as a mixed-integer program
//! (see [`milp`]) over a discrete candidate set ([`candidates`]) whose
//! performance comes from an analytic engine model ([`perf`]) and whose
//! cost from a resource model ([`resources`]). The chosen engine is checked
//! with the lowering's own allocator before it is returned; the Pareto
//! front of the candidates ([`pareto`]) gives the runner-ups.

pub mod candidates;
pub mod dma;
pub mod milp;
pub mod pareto;
pub mod perf;
pub mod report;
pub mod resources;

use crate::board::Board;
use crate::lower::kernels::{self, KernelKind};
use crate::lower::{LowerOptions, Phase};
use crate::support::EngineQuant;
use crate::CompileError;
use candidates::Candidate;
use llmfab_isa::EngineConfig;
use llmfab_models::Graph;
use resources::{columns, Buffer, BRAM_WORDS, URAM_WORDS};
use serde::{Deserialize, Serialize};

/// What the explorer optimises.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Decode tokens per second (batch 1).
    Decode,
    /// Prefill latency of the prompt.
    Prefill,
    /// Energy per decoded token.
    Energy,
    /// A weighted sum of the three (each normalised by its best candidate).
    Mix {
        /// Weight of decode time.
        decode: f64,
        /// Weight of prefill latency.
        prefill: f64,
        /// Weight of energy per token.
        energy: f64,
    },
}

impl Objective {
    /// Parses `decode`, `prefill`, `energy`, `mix` (equal weights) or
    /// `decode=0.6,prefill=0.3,energy=0.1`.
    pub fn parse(s: &str) -> Result<Objective, CompileError> {
        let bad = |m: String| CompileError::Arg {
            what: "--objective".into(),
            message: m,
        };
        match s.trim() {
            "decode" | "tokens" | "throughput" => Ok(Objective::Decode),
            "prefill" | "latency" => Ok(Objective::Prefill),
            "energy" => Ok(Objective::Energy),
            "mix" => Ok(Objective::Mix {
                decode: 1.0,
                prefill: 1.0,
                energy: 1.0,
            }),
            t if t.contains('=') => {
                let (mut d, mut p, mut e) = (0.0, 0.0, 0.0);
                for part in t.split(',') {
                    let (k, v) = part
                        .split_once('=')
                        .ok_or_else(|| bad(format!("'{part}': expected NAME=WEIGHT")))?;
                    let v: f64 = v
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("'{part}': expected a number after '='")))?;
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(bad(format!("'{part}': expected a non-negative weight")));
                    }
                    match k.trim() {
                        "decode" => d = v,
                        "prefill" => p = v,
                        "energy" => e = v,
                        other => {
                            return Err(bad(format!(
                                "'{other}': expected decode, prefill or energy"
                            )))
                        }
                    }
                }
                if d + p + e <= 0.0 {
                    return Err(bad("expected at least one positive weight".into()));
                }
                Ok(Objective::Mix {
                    decode: d,
                    prefill: p,
                    energy: e,
                })
            }
            other => Err(bad(format!(
                "'{other}': expected decode, prefill, energy, mix or decode=W,prefill=W,energy=W"
            ))),
        }
    }
    /// Weights of (decode, prefill, energy); single objectives keep a
    /// 1/1000 weight on the others to break ties.
    pub fn weights(&self) -> (f64, f64, f64) {
        match *self {
            Objective::Decode => (1.0, 1e-3, 1e-3),
            Objective::Prefill => (1e-3, 1.0, 1e-3),
            Objective::Energy => (1e-3, 1e-3, 1.0),
            Objective::Mix {
                decode,
                prefill,
                energy,
            } => (decode, prefill, energy),
        }
    }
    /// Display name.
    pub fn name(&self) -> String {
        match *self {
            Objective::Decode => "decode tokens/s".into(),
            Objective::Prefill => "prefill latency".into(),
            Objective::Energy => "energy per token".into(),
            Objective::Mix {
                decode,
                prefill,
                energy,
            } => format!("mix (decode {decode}, prefill {prefill}, energy {energy})"),
        }
    }
}

/// Explorer options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExploreOptions {
    /// What to optimise.
    pub objective: Objective,
    /// Context length of the decode step that is optimised.
    pub kv_len: u64,
    /// Sequences of the decode step that is optimised (its tokens/s and
    /// energy per token count all of them).
    #[serde(default = "crate::one_sequence")]
    pub batch: u64,
    /// Prompt length whose prefill latency is optimised.
    pub prompt: u64,
    /// Share of the user region's DSP, LUT, FF and BRAM a design may use
    /// (routing margin).
    pub max_utilization: f64,
    /// Share of the user region's DSPs a design may use above the board's
    /// default clock (timing closure).
    pub fast_clock_utilization: f64,
    /// Candidates (best by a greedy sizing) that enter the MILP.
    pub milp_candidates: usize,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        ExploreOptions {
            objective: Objective::Decode,
            kv_len: 4096,
            batch: 1,
            prompt: 512,
            max_utilization: 0.85,
            fast_clock_utilization: 0.5,
            milp_candidates: 40,
        }
    }
}

/// One evaluated design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// Short label (`64x128 p512 ch32 225MHz`).
    pub label: String,
    /// The engine.
    pub config: EngineConfig,
    /// Performance and energy.
    pub estimate: perf::Estimate,
    /// Prefill block height.
    pub prefill_block: u64,
    /// KV window positions.
    pub kv_window: u64,
    /// DSP slices.
    pub dsp: f64,
    /// LUTs.
    pub lut: f64,
    /// URAMs.
    pub uram: u64,
    /// BRAM36s.
    pub bram: u64,
    /// Objective value (lower is better).
    pub score: f64,
}

/// The explorer's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exploration {
    /// Board name.
    pub board: String,
    /// Objective.
    pub objective: String,
    /// Options used.
    pub options: ExploreOptions,
    /// The chosen design.
    pub chosen: Design,
    /// Use of every constraint by the chosen design.
    pub slacks: Vec<milp::Slack>,
    /// Other designs on the Pareto front, best objective first.
    pub runners_up: Vec<Design>,
    /// Designs on the Pareto front.
    pub pareto_size: usize,
    /// Candidates enumerated.
    pub candidates: usize,
    /// Candidates in the MILP, and its variables and constraints.
    pub milp: (usize, usize, usize),
    /// Seconds the solver took (terminal only: not serialised, so build
    /// folders stay byte-identical).
    #[serde(skip)]
    pub solve_s: f64,
    /// Decode tokens/s at the board's peak memory bandwidth (the roofline).
    pub roofline_tokens_per_s: f64,
    /// Weight and KV bytes per decode token at the engine's precision.
    pub roofline_bytes: f64,
}

/// Memory rows (URAM, BRAM) per buffer: a feasible split for `words`.
fn split(words: u64) -> [(u64, u64); 3] {
    let u = words / URAM_WORDS;
    [
        (words.div_ceil(URAM_WORDS), 0),
        (0, words.div_ceil(BRAM_WORDS)),
        (u, (words - u * URAM_WORDS).div_ceil(BRAM_WORDS)),
    ]
}

/// The cheapest feasible memory assignment of levels (w, m, k) of `c`:
/// URAM and BRAM rows per buffer, or `None`.
fn assign(
    board: &Board,
    c: &Candidate,
    lv: (usize, usize, usize),
    margin: f64,
) -> Option<[(u64, u64); 4]> {
    let need: Vec<u64> = Buffer::ALL
        .iter()
        .map(|b| milp::words(c, *b, lv.0, lv.1, lv.2))
        .collect();
    let mut best: Option<([(u64, u64); 4], u64)> = None;
    let opts: Vec<[(u64, u64); 3]> = need.iter().map(|n| split(*n)).collect();
    for a in 0..3 {
        for b in 0..3 {
            for k in 0..3 {
                for d in 0..3 {
                    let pick = [opts[0][a], opts[1][b], opts[2][k], opts[3][d]];
                    let (mut uram, mut bram) = (0, c.bram_fixed);
                    for (bi, (u, r)) in pick.iter().enumerate() {
                        let cols = columns(&c.cfg, Buffer::ALL[bi]);
                        uram += u * cols;
                        bram += r * cols;
                    }
                    if uram <= board.user.uram && bram as f64 <= board.user.bram36 as f64 * margin {
                        let cost = uram * 8 + bram;
                        if best.as_ref().is_none_or(|(_, bc)| cost < *bc) {
                            best = Some((pick, cost));
                        }
                    }
                }
            }
        }
    }
    best.map(|(p, _)| p)
}

/// The engine of candidate `c` at levels (w, k) with memory rows `mem`.
fn config(c: &Candidate, w: usize, k: usize, mem: &[(u64, u64); 4], name: &str) -> EngineConfig {
    let mut cfg = c.cfg.clone();
    let cap = |bi: usize| mem[bi].0 * URAM_WORDS + mem[bi].1 * BRAM_WORDS;
    let wbytes: Vec<u64> = Buffer::ALL
        .iter()
        .map(|b| resources::word_bytes(&cfg, *b))
        .collect();
    let wb = |bi: usize| wbytes[bi];
    cfg.name = name.to_string();
    cfg.wbuf_bytes = cap(0).max(c.w[w].rows) / 2 * 2 * cfg.tile_bytes();
    let a_unit = cfg
        .beat_bytes()
        .max(cfg.a_word_bytes())
        .max(cfg.sfu_lanes as u64 * cfg.act_bytes());
    cfg.abuf_bytes = (cap(1) * wb(1)) / a_unit * a_unit;
    let kv_unit = cfg.kv_row_bytes as u64 * cfg.kv_banks();
    cfg.kvbuf_bytes = ((cap(2) * wb(2)) / kv_unit * kv_unit).max(c.kv[k].bytes);
    let acc_unit = cfg.acc_word_bytes().max(cfg.sfu_lanes as u64 * 4);
    cfg.acc_bytes = ((cap(3) * wb(3)) / acc_unit * acc_unit).max(c.acc_bytes);
    cfg.sbuf_bytes = c.sbuf_bytes;
    cfg
}

fn design(
    board: &Board,
    c: &Candidate,
    lv: (usize, usize, usize),
    mem: &[(u64, u64); 4],
    score: f64,
    name: &str,
) -> Design {
    let (w, m, k) = lv;
    let (mut uram, mut bram) = (0, c.bram_fixed);
    for (bi, (u, r)) in mem.iter().enumerate() {
        let cols = columns(&c.cfg, Buffer::ALL[bi]);
        uram += u * cols;
        bram += r * cols;
    }
    let mut estimate = c.w[w].est.clone();
    estimate.prefill_s = c.m[m].prefill_s;
    let extra = c.kv[k].decode_extra_s;
    estimate.memory_bound_share *= estimate.decode_s / (estimate.decode_s + extra);
    estimate.decode_s += extra;
    estimate.decode_tokens_per_s = estimate.batch as f64 / estimate.decode_s;
    estimate.energy_per_token_j += board.static_w * extra / estimate.batch as f64;
    Design {
        label: c.label(),
        config: config(c, w, k, mem, name),
        estimate,
        prefill_block: c.m[m].mb,
        kv_window: c.kv[k].window,
        dsp: c.logic.dsp,
        lut: c.logic.lut,
        uram,
        bram,
        score,
    }
}

/// Weight and KV bytes one decode step of `batch` sequences must read at
/// the engine's precision (tile padding excluded): the roofline's numerator.
pub fn decode_bytes(ks: &kernels::Kernels, eq: &EngineQuant, kv_len: u64, batch: u64) -> f64 {
    let mut b = 0.0;
    for k in &ks.kernels {
        match k.kind {
            KernelKind::Linear { k, n, .. } => {
                b += (k * n) as f64 * eq.weight_bits as f64 / 8.0
                    + (k.div_ceil(eq.group_size as u64) * n * 2) as f64
            }
            KernelKind::Attention {
                kv_heads, head_dim, ..
            } => b += 2.0 * (batch * kv_len * kv_heads * head_dim) as f64 * eq.kv_bits as f64 / 8.0,
            _ => {}
        }
    }
    b
}

/// Runs the exploration.
pub fn explore(
    board: &Board,
    graph: &Graph,
    eq: &EngineQuant,
    opts: &ExploreOptions,
    model: &str,
) -> Result<Exploration, CompileError> {
    if opts.kv_len == 0 || opts.prompt == 0 || opts.batch == 0 {
        return Err(CompileError::Arg {
            what: "explore".into(),
            message: "kv_len, prompt and batch must be at least 1".into(),
        });
    }
    let ks = kernels::run(graph)?;
    let all = candidates::enumerate(board, &ks, eq, opts);
    let total = all.len();
    if all.is_empty() {
        return Err(CompileError::NoDesign {
            board: board.name.clone(),
            reason: format!(
                "no array shape fits {} DSPs with this model's head width and group size",
                board.user.dsp
            ),
        });
    }
    // Greedy sizing of every candidate: its best feasible levels.
    let n = milp::norms(&all);
    let mut points: Vec<(usize, Design)> = Vec::new();
    for (ci, c) in all.iter().enumerate() {
        if c.channel_bytes > board.channel_bytes {
            continue;
        }
        let mut best: Option<Design> = None;
        for w in 0..c.w.len() {
            for m in 0..c.m.len() {
                for k in 0..c.kv.len() {
                    if let Some(mem) = assign(board, c, (w, m, k), opts.max_utilization) {
                        let s = milp::score(&opts.objective, n, c, (w, m, k), board);
                        if best.as_ref().is_none_or(|b| s < b.score) {
                            best = Some(design(board, c, (w, m, k), &mem, s, "greedy"));
                        }
                    }
                }
            }
        }
        if let Some(d) = best {
            if d.dsp <= board.user.dsp as f64 * opts.max_utilization
                && d.lut <= board.user.lut as f64 * opts.max_utilization
            {
                points.push((ci, d));
            }
        }
    }
    if points.is_empty() {
        let need = all.iter().map(|c| c.channel_bytes).min().unwrap_or(0);
        let reason = if need > board.channel_bytes {
            format!(
                "the model's weights and KV cache need {:.1} MiB per memory channel, the board has {:.1} MiB",
                need as f64 / (1u64 << 20) as f64,
                board.channel_bytes as f64 / (1u64 << 20) as f64
            )
        } else {
            format!(
                "no candidate's on-chip buffers fit the user region's {} URAM and {} BRAM36 (the device catalog lists these counts)",
                board.user.uram, board.user.bram36
            )
        };
        return Err(if need > board.channel_bytes {
            CompileError::DoesNotFit {
                model: model.to_string(),
                board: board.name.clone(),
                problems: vec![reason],
            }
        } else {
            CompileError::NoDesign {
                board: board.name.clone(),
                reason,
            }
        });
    }
    points.sort_by(|a, b| a.1.score.total_cmp(&b.1.score));
    let mut pool: Vec<usize> = points
        .iter()
        .take(opts.milp_candidates.max(1))
        .map(|(ci, _)| *ci)
        .collect();
    let phases = [
        Phase::prefill(opts.prompt),
        Phase::decode_batch(opts.kv_len, opts.batch),
    ];
    let t = std::time::Instant::now();
    let mut tries = 0;
    let (chosen, choice, size) = loop {
        tries += 1;
        let cands: Vec<Candidate> = pool.iter().map(|&i| all[i].clone()).collect();
        let ch = milp::solve(board, &cands, opts)?;
        let c = &cands[ch.c];
        let name = format!("{}-{}-{}x{}", board.name, eq.scheme, c.cfg.rows, c.cfg.cols);
        let d = design(board, c, (ch.w, ch.m, ch.k), &ch.mem, ch.objective, &name);
        let lo = LowerOptions {
            verify: false,
            channel_bytes: board.channel_bytes,
            ..Default::default()
        };
        let ok = crate::lower::prepare(graph, &d.config, eq, &phases, &lo, model).and_then(|pre| {
            for ph in &phases {
                crate::lower::alloc::run(&d.config, &pre.kernels, &pre.tiling, &pre.params, ph)?;
            }
            Ok(())
        });
        match ok {
            Ok(()) => break (d, ch.clone(), (cands.len(), ch.size.0, ch.size.1)),
            Err(e) if tries < 6 && pool.len() > 1 => {
                let _ = e;
                pool.remove(ch.c);
            }
            Err(e) => return Err(e),
        }
    };
    let solve_s = t.elapsed().as_secs_f64();
    let mut slacks = choice.slacks.clone();
    let e = &chosen.estimate;
    let achieved = e.decode_bytes / e.decode_s;
    slacks.push(milp::Slack {
        name: "decode memory bandwidth (bytes/s)".into(),
        used: achieved,
        limit: e.bandwidth,
        binding: achieved >= 0.9 * e.bandwidth,
    });
    let front = pareto::front(&points.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>());
    let pareto_size = front.len();
    let mut runners_up: Vec<Design> = front
        .into_iter()
        .filter(|d| d.label != chosen.label)
        .collect();
    runners_up.sort_by(|a, b| a.score.total_cmp(&b.score));
    runners_up.truncate(6);
    let roofline_bytes = decode_bytes(&ks, eq, opts.kv_len, opts.batch);
    Ok(Exploration {
        board: board.name.clone(),
        objective: opts.objective.name(),
        options: opts.clone(),
        chosen,
        slacks,
        runners_up,
        pareto_size,
        candidates: total,
        milp: size,
        solve_s,
        roofline_tokens_per_s: opts.batch as f64 * board.peak_bandwidth() / roofline_bytes.max(1.0),
        roofline_bytes,
    })
}
