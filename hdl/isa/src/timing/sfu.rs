//! Cycle counts of `requant` and the SFU operations (owned by the SFU design,
//! `hdl/src/sfu/`): exact, closed-form, from the cycle in which the core
//! raises the unit's `start` (cycle 0) to the cycle in which the unit raises
//! `done` (a one-cycle pulse).
//!
//! The SFU is a slot machine. In every *slot* (one cycle) it issues at most
//! one read on each buffer read port it uses; the lanes process the data in
//! a fixed pipeline and the write of a vector is issued [`WRITE_LAT`] cycles
//! after the slot that completed its operands. The first slot is cycle 1
//! (cycle 0 latches the instruction); slots follow back to back except where
//! a row needs a reduction across lanes (the unit waits [`red_lat`] cycles
//! for the adder/max tree) and a per-row scalar step (reciprocal, inverse
//! square root); `done` comes [`TAIL`] cycles after the last slot.
//!
//! Notation: `L` = `sfu_lanes`, `lg = log2 L`, `V = ceil(N/L)` vectors per
//! row, `K = ceil(257/L)` table-load slots.
//!
//! | op | slots per row | cycles |
//! |---|---|---|
//! | `requant` | `V` (one ACC/ABUF read, one SBUF read if `col_scale`) | `M·V + 8` |
//! | `silu`, `gelu` | `V` after `K` table-load slots | `K + M·V + 8` |
//! | `add`, `mul` | `2V` (`a` then `b` on the one ABUF read port) | `2·M·V + 8` |
//! | `rope` | `N/L` (pairs of `x1`/`x2` vectors, two writes per pair) | `M·N/L + 9` |
//! | `rmsnorm` | `V` (Σx²) + wait + 5 + `V` | `M·(2V + lg + 10) + 8` |
//! | `layernorm` | `V` (Σx, Σx²) + wait + 7 + `2V` (`x`,`γ` then `β` on the one SBUF port) | `M·(3V + lg + 12) + 8` |
//! | `softmax` | `Vv` (max) + wait + 1 + `Vv` (Σe) + wait + 18 (divider) + `V` (output) | `Σ_m (2·Vv(m) + V + 2·lg + 29) + 8` |
//!
//! `Vv(m) = ceil(min(N, m + imm2 + 1) / L)` for a causal softmax (masked
//! vectors past the last valid column are not read by the max and sum
//! passes), `V` otherwise. "wait" is [`red_lat`]` = 6 + lg` cycles from the
//! last reduction slot to the scalar step. The softmax divider computes
//! `floor(2^32 / sum)` one quotient bit per cycle: 17 bits suffice because
//! `sum ≥ EXP[0] = 65535` (the row maximum always contributes `EXP[0]`), so
//! its step is 1 load cycle + 17 iterations = [`DIV_STEP`].
//!
//! These counts never beat the roofline of the work: every slot moves at
//! most one port word per port, so `cycles ≥ M·N/L` (see the tests).

use crate::config::EngineConfig;
use crate::instr::{Instr, Op};

/// Cycles from a slot (the read issue of the vector's last operand) to the
/// write of its result.
pub const WRITE_LAT: u64 = 7;
/// Cycles from the last slot to `done` (`WRITE_LAT + 1`).
pub const TAIL: u64 = WRITE_LAT + 1;
/// Scalar step of softmax after the max pass (latch the maximum).
pub const MAX_STEP: u64 = 1;
/// Scalar step of softmax after the sum pass: load + 17 divider iterations.
pub const DIV_STEP: u64 = 18;
/// Scalar step of rmsnorm: `ss·imm0`, round, clamp, two RSQRT stages.
pub const RMS_STEP: u64 = 5;
/// Scalar step of layernorm: `s·imm0`, round, `μ²`, variance, two RSQRT
/// stages, `μ·inv`.
pub const LN_STEP: u64 = 7;
/// Lane pipeline depth to the reduction input: a reduce slot at cycle `t`
/// presents its lane values to the tree at cycle `t + RED_IN`.
pub const RED_IN: u64 = 5;

/// `log2(sfu_lanes)` (lanes are a power of two).
pub fn lg(cfg: &EngineConfig) -> u64 {
    cfg.sfu_lanes.max(1).trailing_zeros() as u64
}

/// Cycles from the last reduction slot (cycle `t`) to the first cycle of
/// the scalar step (`t + red_lat`), in which the row's accumulated maximum
/// or sums are available: `RED_IN` lane stages, `lg` tree levels, one
/// accumulator cycle.
pub fn red_lat(cfg: &EngineConfig) -> u64 {
    RED_IN + lg(cfg) + 1
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
        Op::Rope(x) => rows(x.m) * x.n.max(1).div_ceil(l) + TAIL + 1,
        Op::Rmsnorm(x) => {
            let v = vecs(x.n.max(1), cfg);
            rows(x.m) * (2 * v + red_lat(cfg) - 1 + RMS_STEP) + TAIL
        }
        Op::Layernorm(x) => {
            let v = vecs(x.n.max(1), cfg);
            rows(x.m) * (3 * v + red_lat(cfg) - 1 + LN_STEP) + TAIL
        }
        Op::Softmax(x) => {
            let n = x.n.max(1);
            let v = vecs(n, cfg);
            let per_row = v + 2 * (red_lat(cfg) - 1) + MAX_STEP + DIV_STEP;
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
        let c = cfg(4); // lg = 2, red_lat = 8
        let cy = |op: Op| op_cycles(&op, &c).unwrap();
        assert_eq!(
            cy(Op::Requant(Requant {
                m: 2,
                n: 10,
                ..Default::default()
            })),
            2 * 3 + 8
        );
        assert_eq!(
            cy(Op::Silu(Silu {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            65 + 2 + 8
        );
        assert_eq!(
            cy(Op::Add(Add {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            4 + 8
        );
        assert_eq!(
            cy(Op::Rope(Rope {
                m: 3,
                n: 16,
                imm0: 8,
                ..Default::default()
            })),
            12 + 9
        );
        assert_eq!(
            cy(Op::Rmsnorm(Rmsnorm {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            2 * 2 + 2 + 10 + 8
        );
        assert_eq!(
            cy(Op::Layernorm(Layernorm {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            3 * 2 + 2 + 12 + 8
        );
        assert_eq!(
            cy(Op::Softmax(Softmax {
                m: 1,
                n: 8,
                ..Default::default()
            })),
            3 * 2 + 4 + 29 + 8
        );
        // Causal: row 0 with imm2 = 0 reads one vector in the max and sum passes.
        assert_eq!(
            cy(Op::Softmax(Softmax {
                m: 1,
                n: 8,
                flags: 1,
                ..Default::default()
            })),
            2 + 2 + 4 + 29 + 8
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
