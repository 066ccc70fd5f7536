//! Cycle counts of `requant` and the SFU operations (owned by the SFU design,
//! `hdl/src/sfu/`): exact, closed-form, from the cycle in which the core
//! raises the unit's `start` (cycle 0) to the cycle in which the unit raises
//! `done` (a one-cycle pulse).
//!
//! The SFU is a slot machine. In every *slot* (one cycle) it issues at most
//! one read on each buffer read port it uses; the data comes back in the
//! next cycle, where the lanes take it (or hold it, for the first slot of
//! a two-slot vector); the lane pipeline writes the vector's result
//! [`WRITE_LAT`] cycles after the vector's last slot. The first slot is
//! cycle 1 (cycle 0 latches the instruction); slots follow back to back
//! except where a row needs a reduction across lanes (the unit waits
//! [`red_wait`] cycles for the lane pipeline, the `log2 L`-level tree and
//! the row accumulator) and a per-row scalar step; `done` comes [`TAIL`]
//! cycles after the last slot.
//!
//! Notation: `L` = `sfu_lanes`, `lg = log2 L`, `V = ceil(N/L)` vectors per
//! row, `K = ceil(257/L)` table-load slots, `W = red_wait = 4 + lg`.
//!
//! | op | slots per row | cycles |
//! |---|---|---|
//! | `requant` | `V` (one ACC/ABUF read, one SBUF read if `col_scale`) | `M·V + 6` |
//! | `silu`, `gelu` | `V` after `K` table-load slots | `K + M·V + 6` |
//! | `add`, `mul` | `2V` (`a` then `b` on the one ABUF read port) | `2·M·V + 6` |
//! | `rope` | `V` (`imm0 ≤ L`: one vector holds whole heads; `imm0/2` a multiple of `L`: `x1`/`x2` vector pairs, two slots and two writes per pair) | `M·V + 6` |
//! | `rmsnorm` | `V` (Σx²) + `W` + 3 + `V` | `M·(2V + lg + 7) + 6` |
//! | `layernorm` | `V` (Σx, Σx²) + `W` + 5 + `2V` (`x`,`γ` then `β` on the one SBUF port) | `M·(3V + lg + 9) + 6` |
//! | `softmax` | `Vv` (max) + `W` + 1 + `Vv` (Σe) + `W` + 18 (divider) + `V` (output) | `Σ_m (2·Vv(m) + V + 2·lg + 27) + 6` |
//!
//! `Vv(m) = ceil(min(N, m + imm2 + 1) / L)` for a causal softmax (masked
//! vectors past the last valid column are not read by the max and sum
//! passes), `V` otherwise. The softmax divider computes
//! `floor(2^32 / sum)` one quotient bit per cycle: 17 bits suffice because
//! `sum ≥ EXP[0] = 65535` (the row maximum always contributes `EXP[0]`), so
//! its step is 1 load cycle + 17 iterations = [`DIV_STEP`].
//!
//! These counts never beat the roofline of the work: every slot moves at
//! most one port word per port, so `cycles ≥ M·N/L` (see the tests).

use crate::config::EngineConfig;
use crate::instr::{Instr, Op};

/// Cycles from a vector's last slot to the write of its result (the read
/// returns after 1 cycle, then 4 lane stages).
pub const WRITE_LAT: u64 = 5;
/// Cycles from the last slot to `done` (`WRITE_LAT + 1`: covers RoPE's
/// second write of a pair).
pub const TAIL: u64 = WRITE_LAT + 1;
/// Scalar step of softmax after the max pass (latch the maximum).
pub const MAX_STEP: u64 = 1;
/// Scalar step of softmax after the sum pass: load + 17 divider iterations.
pub const DIV_STEP: u64 = 18;
/// Scalar step of rmsnorm: `ss·imm0`; round, add, clamp; RSQRT.
pub const RMS_STEP: u64 = 3;
/// Scalar step of layernorm: `s·imm0`; round (`μ`, `e2`); spare; variance,
/// add, clamp; RSQRT.
pub const LN_STEP: u64 = 5;

/// `log2(sfu_lanes)` (lanes are a power of two).
pub fn lg(cfg: &EngineConfig) -> u64 {
    cfg.sfu_lanes.max(1).trailing_zeros() as u64
}

/// Cycles between the last slot of a reduction pass (cycle `t`) and the
/// first cycle of the scalar step (`t + red_wait + 1`), in which the row
/// accumulators hold the pass's result: 1 read cycle, 3 lane stages, `lg`
/// tree levels.
pub fn red_wait(cfg: &EngineConfig) -> u64 {
    4 + lg(cfg)
}

/// Slots that load a 257-entry activation table into the lanes.
pub fn table_slots(cfg: &EngineConfig) -> u64 {
    257u64.div_ceil(cfg.sfu_lanes as u64)
}

/// Vectors of `n` elements.
fn vecs(n: u64, cfg: &EngineConfig) -> u64 {
    n.div_ceil(cfg.sfu_lanes as u64)
}

/// Whether the SFU executes this operation (`requant` and §5.4).
pub fn handles(op: &Op) -> bool {
    matches!(
        op,
        Op::Requant(_)
            | Op::Softmax(_)
            | Op::Rmsnorm(_)
            | Op::Layernorm(_)
            | Op::Silu(_)
            | Op::Gelu(_)
            | Op::Rope(_)
            | Op::Add(_)
            | Op::Mul(_)
    )
}

/// Exact cycles from `start` to `done` of an SFU instruction (`None` for
/// instructions the SFU does not execute). The instruction is assumed valid
/// (`llmfab_isa::check`); `m` or `n` of 0 counts as 1.
pub fn cycles(instr: &Instr, cfg: &EngineConfig) -> Option<u64> {
    op_cycles(&instr.op, cfg)
}

/// [`cycles`] of an operation.
pub fn op_cycles(op: &Op, cfg: &EngineConfig) -> Option<u64> {
    let l = cfg.sfu_lanes.max(1) as u64;
    let rows = |m: u64| m.max(1);
    let c = match op {
        Op::Requant(x) => rows(x.m) * vecs(x.n.max(1), cfg) + TAIL,
        Op::Silu(x) => table_slots(cfg) + rows(x.m) * vecs(x.n.max(1), cfg) + TAIL,
        Op::Gelu(x) => table_slots(cfg) + rows(x.m) * vecs(x.n.max(1), cfg) + TAIL,
        Op::Add(x) => 2 * rows(x.m) * vecs(x.n.max(1), cfg) + TAIL,
        Op::Mul(x) => 2 * rows(x.m) * vecs(x.n.max(1), cfg) + TAIL,
        Op::Rope(x) => rows(x.m) * x.n.max(1).div_ceil(l) + TAIL,
        Op::Rmsnorm(x) => {
            let v = vecs(x.n.max(1), cfg);
            rows(x.m) * (2 * v + red_wait(cfg) + RMS_STEP) + TAIL
        }
        Op::Layernorm(x) => {
            let v = vecs(x.n.max(1), cfg);
            rows(x.m) * (3 * v + red_wait(cfg) + LN_STEP) + TAIL
        }
        Op::Softmax(x) => {
            let n = x.n.max(1);
            let v = vecs(n, cfg);
            let per_row = v + 2 * red_wait(cfg) + MAX_STEP + DIV_STEP;
            let mut total = rows(x.m) * per_row + TAIL;
            for m in 0..rows(x.m) {
                total += 2 * softmax_valid_vecs(x.flags, x.imm2, m, n, cfg);
            }
            total
        }
        _ => return None,
    };
    Some(c)
}

/// Vectors the max and sum passes of softmax row `m` read:
/// `ceil(min(n, m + imm2 + 1) / L)` when causal (`flags` bit 0), else `ceil(n / L)`.
pub fn softmax_valid_vecs(flags: u64, imm2: u64, m: u64, n: u64, cfg: &EngineConfig) -> u64 {
    let valid = if flags & 1 == 1 {
        n.min(m.saturating_add(imm2).saturating_add(1))
    } else {
        n
    };
    vecs(valid, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instr::*;

    fn cfg(l: u32) -> EngineConfig {
        let mut c = EngineConfig::tiny();
        c.sfu_lanes = l;
        c
    }

    fn ops(m: u64, n: u64) -> Vec<Op> {
        vec![
            Op::Requant(Requant {
                m,
                n,
                ..Default::default()
            }),
            Op::Softmax(Softmax {
                m,
                n,
                ..Default::default()
            }),
            Op::Softmax(Softmax {
                m,
                n,
                flags: 1,
                imm2: 3,
                ..Default::default()
            }),
            Op::Rmsnorm(Rmsnorm {
                m,
                n,
                ..Default::default()
            }),
            Op::Layernorm(Layernorm {
                m,
                n,
                ..Default::default()
            }),
            Op::Silu(Silu {
                m,
                n,
                ..Default::default()
            }),
            Op::Gelu(Gelu {
                m,
                n,
                ..Default::default()
            }),
            Op::Rope(Rope {
                m,
                n,
                imm0: 2,
                ..Default::default()
            }),
            Op::Add(Add {
                m,
                n,
                ..Default::default()
            }),
            Op::Mul(Mul {
                m,
                n,
                ..Default::default()
            }),
        ]
    }

    #[test]
    fn pinned_counts() {
        let c = cfg(4); // lg = 2, red_wait = 6
        let cy = |op: Op| op_cycles(&op, &c).unwrap();
        assert_eq!(
            cy(Op::Requant(Requant {
                m: 2,
                n: 10,
                ..Default::default()
            })),
            2 * 3 + 6
        );
        assert_eq!(
            cy(Op::Silu(Silu {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            65 + 2 + 6
        );
        assert_eq!(
            cy(Op::Add(Add {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            4 + 6
        );
        assert_eq!(
            cy(Op::Rope(Rope {
                m: 3,
                n: 16,
                imm0: 8,
                ..Default::default()
            })),
            12 + 6
        );
        assert_eq!(
            cy(Op::Rmsnorm(Rmsnorm {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            2 * 2 + 2 + 7 + 6
        );
        assert_eq!(
            cy(Op::Layernorm(Layernorm {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            3 * 2 + 2 + 9 + 6
        );
        assert_eq!(
            cy(Op::Softmax(Softmax {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            3 * 2 + 4 + 27 + 6
        );
        // Causal: row 0 with imm2 = 0 reads one vector in the max and sum passes.
        assert_eq!(
            cy(Op::Softmax(Softmax {
                m: 1,
                n: 8,
                flags: 1,
                ..Default::default()
            })),
            2 + 2 + 4 + 27 + 6
        );
        assert_eq!(op_cycles(&Op::Halt(Halt {}), &c), None);
    }

    /// Physics: no SFU instruction finishes faster than its elements through
    /// `L` lanes, nor than the bytes it moves through one port word a cycle.
    #[test]
    fn never_beats_the_roofline() {
        let mut seed = 0x5EEDu64;
        let mut next = |k: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % k
        };
        for l in [1u32, 2, 4, 8, 16, 64, 256] {
            let c = cfg(l);
            for _ in 0..200 {
                let m = 1 + next(64);
                let n = 2 * (1 + next(300));
                for op in ops(m, n) {
                    let cy = op_cycles(&op, &c).unwrap();
                    let elems = m * n;
                    let reads = if matches!(op, Op::Add(_) | Op::Mul(_)) {
                        2 * elems
                    } else {
                        elems
                    };
                    assert!(
                        cy * l as u64 >= reads,
                        "L={l} {op:?}: {cy} cycles for {reads} element reads"
                    );
                    assert!(handles(&op));
                }
            }
        }
    }

    #[test]
    fn monotone_in_rows_and_columns() {
        let c = cfg(8);
        for (a, b) in ops(3, 16).into_iter().zip(ops(4, 16)) {
            assert!(op_cycles(&a, &c) < op_cycles(&b, &c), "{a:?}");
        }
        for (a, b) in ops(3, 16).into_iter().zip(ops(3, 32)) {
            assert!(op_cycles(&a, &c) < op_cycles(&b, &c), "{a:?}");
        }
    }
}
