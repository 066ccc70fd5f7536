//! The mixed-integer program (good_lp, `microlp`).
//!
//! Variables, for each candidate `c`:
//! - `x_c` ∈ {0,1}: the design is `c` (array shape, port width, channels, clock);
//! - `y_{c,w}` ∈ {0,1}: its weight buffer has depth level `w`;
//! - `z_{c,m}` ∈ {0,1}: its prefill blocks hold `m` tokens (ABUF depth);
//! - `u_{c,b}`, `r_{c,b}` ∈ ℕ: URAM / BRAM36 *rows* of buffer `b` (each row is
//!   `columns(b)` memories side by side, 4096 / 512 words deep).
//!
//! Constraints (all linear): one design; one level of each kind per design;
//! every buffer deep enough for its levels (`4096·u + 512·r ≥ words`);
//! memories only for the chosen design (`u ≤ U·x`); DSP, LUT, FF, URAM and
//! BRAM36 within the user region (times a routing margin); designs above the
//! board's default clock within a timing-closure utilisation; weights and
//! KV cache within one channel's memory.
//!
//! Objective: the weighted sum of decode time, prefill latency and energy
//! per token, each normalised by its best value over the candidates, plus
//! a small term for resources (prefer the smaller of two equal designs).

use super::candidates::Candidate;
use super::resources::{columns, Buffer, BRAM_WORDS, URAM_WORDS};
use super::{ExploreOptions, Objective};
use crate::board::Board;
use crate::CompileError;
use good_lp::{
    constraint, microlp, variable, Constraint, Expression, ProblemVariables, Solution, SolverModel,
    Variable,
};

/// One resource constraint with its use in the solution.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Slack {
    /// What is limited.
    pub name: String,
    /// Used by the chosen design.
    pub used: f64,
    /// The limit.
    pub limit: f64,
    /// True when the constraint binds (slack below 2 % of the limit).
    pub binding: bool,
}

/// The solver's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// Candidate index.
    pub c: usize,
    /// Weight-buffer level index.
    pub w: usize,
    /// Prefill-block level index.
    pub m: usize,
    /// KV-window level index.
    pub k: usize,
    /// URAM and BRAM rows per buffer (in `Buffer::ALL` order).
    pub mem: [(u64, u64); 4],
    /// Objective value.
    pub objective: f64,
    /// Constraint use.
    pub slacks: Vec<Slack>,
    /// Variables and constraints of the model.
    pub size: (usize, usize),
}

/// Normalisers: the best decode time, prefill time and energy over the candidates.
pub fn norms(cands: &[Candidate]) -> (f64, f64, f64) {
    let best = |f: &dyn Fn(&Candidate) -> f64| {
        cands.iter().map(f).fold(f64::INFINITY, f64::min).max(1e-12)
    };
    (
        best(&|c| {
            c.w.iter()
                .map(|l| l.est.decode_s)
                .fold(f64::INFINITY, f64::min)
        }),
        best(&|c| {
            c.m.iter()
                .map(|l| l.prefill_s)
                .fold(f64::INFINITY, f64::min)
        }),
        best(&|c| {
            c.w.iter()
                .map(|l| l.est.energy_per_token_j)
                .fold(f64::INFINITY, f64::min)
        }),
    )
}

/// Objective value of candidate `c` at levels `w`, `m`, `k`.
pub fn score(
    obj: &Objective,
    n: (f64, f64, f64),
    c: &Candidate,
    lv: (usize, usize, usize),
    board: &Board,
) -> f64 {
    let (wd, wp, we) = obj.weights();
    let (w, m, k) = lv;
    let est = &c.w[w].est;
    let extra = c.kv[k].decode_extra_s;
    wd * (est.decode_s + extra) / n.0
        + wp * c.m[m].prefill_s / n.1
        + we * (est.energy_per_token_j + board.static_w * extra) / n.2
        + PROGRAM_SIZE_WEIGHT * c.m[m].program_size
        + 1e-3 * (c.logic.dsp / board.user.dsp as f64)
}

/// Weight of the prefill program size (blocks per prompt, relative to
/// blocks of 512) in every objective: a tie-break towards larger blocks
/// (smaller build folders, faster compiles) that yields at most a few
/// tenths of a percent of the optimised figure.
pub const PROGRAM_SIZE_WEIGHT: f64 = 1e-4;

/// Words of buffer `b` for candidate `c` at levels `w`, `m`, `k`.
pub fn words(c: &Candidate, b: Buffer, w: usize, m: usize, k: usize) -> u64 {
    match b {
        Buffer::Wbuf => c.w[w].rows,
        Buffer::Abuf => c.words(b, c.m[m].abuf_bytes),
        Buffer::Kvbuf => c.words(b, c.kv[k].bytes),
        Buffer::Acc => c.words(b, c.acc_bytes),
    }
}

/// Solves the program over `cands`.
pub fn solve(
    board: &Board,
    cands: &[Candidate],
    opts: &ExploreOptions,
) -> Result<Choice, CompileError> {
    let n = norms(cands);
    let mut vars = ProblemVariables::new();
    let x: Vec<Variable> = cands
        .iter()
        .map(|_| vars.add(variable().binary()))
        .collect();
    let y: Vec<Vec<Variable>> = cands
        .iter()
        .map(|c| c.w.iter().map(|_| vars.add(variable().binary())).collect())
        .collect();
    let z: Vec<Vec<Variable>> = cands
        .iter()
        .map(|c| c.m.iter().map(|_| vars.add(variable().binary())).collect())
        .collect();
    let v: Vec<Vec<Variable>> = cands
        .iter()
        .map(|c| c.kv.iter().map(|_| vars.add(variable().binary())).collect())
        .collect();
    let u_max = board.user.uram as f64;
    let r_max = board.user.bram36 as f64;
    let mem: Vec<Vec<(Variable, Variable)>> = cands
        .iter()
        .map(|_| {
            Buffer::ALL
                .iter()
                .map(|_| {
                    (
                        vars.add(variable().integer().min(0).max(u_max)),
                        vars.add(variable().integer().min(0).max(r_max)),
                    )
                })
                .collect()
        })
        .collect();
    let mut obj = Expression::from(0.0);
    for (ci, c) in cands.iter().enumerate() {
        let (wd, wp, we) = opts.objective.weights();
        for (wi, l) in c.w.iter().enumerate() {
            obj += (wd * l.est.decode_s / n.0 + we * l.est.energy_per_token_j / n.2) * y[ci][wi];
        }
        for (mi, l) in c.m.iter().enumerate() {
            obj += (wp * l.prefill_s / n.1 + PROGRAM_SIZE_WEIGHT * l.program_size) * z[ci][mi];
        }
        for (ki, l) in c.kv.iter().enumerate() {
            obj += (wd * l.decode_extra_s / n.0 + we * board.static_w * l.decode_extra_s / n.2)
                * v[ci][ki];
        }
        obj += (1e-3 * c.logic.dsp / board.user.dsp as f64) * x[ci];
        // A tie-break towards fewer memories.
        for (u, r) in &mem[ci] {
            obj += 1e-9 * *u + 1e-10 * *r;
        }
    }
    let mut cons: Vec<Constraint> = Vec::new();
    let sum = |vs: &[Variable]| vs.iter().fold(Expression::from(0.0), |e, v| e + *v);
    cons.push(constraint!(sum(&x) == 1.0));
    let (mut dsp, mut lut, mut ff, mut uram, mut bram, mut fast, mut chan) = (
        Expression::from(0.0),
        Expression::from(0.0),
        Expression::from(0.0),
        Expression::from(0.0),
        Expression::from(0.0),
        Expression::from(0.0),
        Expression::from(0.0),
    );
    for (ci, c) in cands.iter().enumerate() {
        cons.push(constraint!(sum(&y[ci]) == x[ci]));
        cons.push(constraint!(sum(&z[ci]) == x[ci]));
        cons.push(constraint!(sum(&v[ci]) == x[ci]));
        for (bi, b) in Buffer::ALL.iter().enumerate() {
            let (u, r) = mem[ci][bi];
            let need: Expression = match b {
                Buffer::Wbuf => {
                    c.w.iter()
                        .enumerate()
                        .fold(Expression::from(0.0), |e, (wi, _)| {
                            e + (words(c, *b, wi, 0, 0) as f64) * y[ci][wi]
                        })
                }
                Buffer::Abuf => {
                    c.m.iter()
                        .enumerate()
                        .fold(Expression::from(0.0), |e, (mi, _)| {
                            e + (words(c, *b, 0, mi, 0) as f64) * z[ci][mi]
                        })
                }
                Buffer::Kvbuf => {
                    c.kv.iter()
                        .enumerate()
                        .fold(Expression::from(0.0), |e, (ki, _)| {
                            e + (words(c, *b, 0, 0, ki) as f64) * v[ci][ki]
                        })
                }
                Buffer::Acc => (words(c, *b, 0, 0, 0) as f64) * x[ci],
            };
            cons.push(constraint!(
                (URAM_WORDS as f64) * u + (BRAM_WORDS as f64) * r >= need
            ));
            cons.push(constraint!(u <= u_max * x[ci]));
            cons.push(constraint!(r <= r_max * x[ci]));
            let cols = columns(&c.cfg, *b) as f64;
            uram += cols * u;
            bram += cols * r;
        }
        dsp += c.logic.dsp * x[ci];
        lut += c.logic.lut * x[ci];
        ff += c.logic.ff * x[ci];
        bram += (c.bram_fixed as f64) * x[ci];
        if c.cfg.clock_mhz > board.clock_mhz {
            fast += c.logic.dsp * x[ci];
        }
        chan += (c.channel_bytes as f64) * x[ci];
    }
    let margin = opts.max_utilization;
    let limits = [
        ("DSP", dsp.clone(), board.user.dsp as f64 * margin),
        ("LUT", lut.clone(), board.user.lut as f64 * margin),
        ("FF", ff.clone(), board.user.ff as f64 * margin),
        ("URAM", uram.clone(), board.user.uram as f64),
        ("BRAM36", bram.clone(), board.user.bram36 as f64 * margin),
        (
            "DSP above the default clock",
            fast.clone(),
            opts.fast_clock_utilization * board.user.dsp as f64,
        ),
        (
            "memory per channel (bytes)",
            chan.clone(),
            board.channel_bytes as f64,
        ),
    ];
    for (_, e, lim) in &limits {
        cons.push(constraint!(e.clone() <= *lim));
    }
    let size = (vars.len(), cons.len());
    let mut model = vars.minimise(obj).using(microlp);
    for c in cons {
        model = model.with(c);
    }
    let sol = model.solve().map_err(|e| match e {
        good_lp::ResolutionError::Infeasible => CompileError::NoDesign {
            board: board.name.clone(),
            reason: "no candidate satisfies the DSP, LUT, memory and channel-capacity constraints together".into(),
        },
        other => CompileError::Solver(other.to_string()),
    })?;
    let c = x
        .iter()
        .position(|v| sol.value(*v) > 0.5)
        .ok_or_else(|| CompileError::Solver("no design selected".into()))?;
    let w = y[c].iter().position(|v| sol.value(*v) > 0.5).unwrap_or(0);
    let m = z[c].iter().position(|v| sol.value(*v) > 0.5).unwrap_or(0);
    let mut memv = [(0, 0); 4];
    for (bi, (u, r)) in mem[c].iter().enumerate() {
        memv[bi] = (sol.value(*u).round() as u64, sol.value(*r).round() as u64);
    }
    let slacks = limits
        .iter()
        .map(|(name, e, lim)| {
            let used = e.eval_with(&sol);
            Slack {
                name: name.to_string(),
                used,
                limit: *lim,
                binding: *lim - used <= 0.02 * lim.abs().max(1.0),
            }
        })
        .collect();
    let k = v[c].iter().position(|x| sol.value(*x) > 0.5).unwrap_or(0);
    let objective = score(&opts.objective, n, &cands[c], (w, m, k), board);
    Ok(Choice {
        c,
        w,
        m,
        k,
        mem: memv,
        objective,
        slacks,
        size,
    })
}
