//! Cycle counts of `matmul` on the matrix unit (owned by the matrix-unit
//! design, `hdl/src/matrix/`): exact and closed-form, from the cycle in
//! which the core raises the unit's `start` (cycle 0) to the cycle in which
//! the unit raises `done` (a one-cycle pulse).
//!
//! Notation: `R = rows`, `C = cols`, `L = log2 R`, `MT = ceil(M/R)`,
//! `NT = ceil(N/C)`, `KT = ceil(K/R)`, `NG = ceil(K/G)`,
//! `SPR = R·weight_bits/16` scale vectors (of `C` int16) per weight-buffer
//! row.
//!
//! **Matrix-matrix** (`mode = 0`, output-stationary): the unit streams
//! `MT·NT·KT` blocks of `R` cycles each (one A word per cycle into the
//! transpose stager, one B tile per block); the first block's data needs one
//! block to enter the stager, and the last group's `R` result rows drain
//! through the column units:
//!
//! ```text
//! cycles = (MT·NT·KT + 2)·R + 8
//! ```
//!
//! **Matrix-vector** (`mode = 1`): one B tile and one A word per cycle for
//! each `(m, n-tile, k-tile)`, plus one stall cycle per dequantisation
//! scale row fetched (the unit caches the last scale row it read):
//!
//! ```text
//! cycles = M·NT·KT + SR + L + 7
//! SR = 0                            (dequant = 0)
//!      D          if D = 1          (dequant = 1, D = (NT·NG − 1) div SPR + 1)
//!      M·D        otherwise
//! ```
//!
//! Neither beats the roofline: every cycle of the matrix-matrix stream does
//! at most `R·C` MACs and reads one A word; the matrix-vector stream reads
//! one `R·C` tile per cycle (see the tests).

use crate::config::EngineConfig;
use crate::instr::{Instr, Matmul, Op};

/// Cycles from `start` to `done` of a `matmul` (`None` for other
/// instructions). The instruction is assumed valid (`llmfab_isa::check`);
/// `m`, `n` or `k` of 0 counts as 1.
pub fn cycles(instr: &Instr, cfg: &EngineConfig) -> Option<u64> {
    op_cycles(&instr.op, cfg)
}

/// [`cycles`] of an operation.
pub fn op_cycles(op: &Op, cfg: &EngineConfig) -> Option<u64> {
    match op {
        Op::Matmul(x) => Some(matmul_cycles(x, cfg)),
        _ => None,
    }
}

/// Whether the matrix unit executes this operation.
pub fn handles(op: &Op) -> bool {
    matches!(op, Op::Matmul(_))
}

/// `log2 R`: levels of the matrix-vector adder trees.
pub fn tree_levels(cfg: &EngineConfig) -> u64 {
    cfg.rows.max(1).trailing_zeros() as u64
}

/// Scale vectors (`C` int16 values, `2C` bytes) per weight-buffer row:
/// `R·weight_bits/16`, at least 1.
pub fn scales_per_row(cfg: &EngineConfig) -> u64 {
    (cfg.rows as u64 * cfg.weight_bits as u64 / 16).max(1)
}

/// Scale-row reads (stall cycles) of a matrix-vector `matmul`.
pub fn mv_scale_reads(x: &Matmul, cfg: &EngineConfig) -> u64 {
    if x.dequant == 0 {
        return 0;
    }
    let (m, n, k) = (x.m.max(1), x.n.max(1), x.k.max(1));
    let nt = n.div_ceil(cfg.cols as u64);
    let ng = k.div_ceil(cfg.group_size.max(1) as u64);
    let d = (nt * ng - 1) / scales_per_row(cfg) + 1;
    if d == 1 {
        1
    } else {
        m * d
    }
}

/// Exact cycles of a `matmul` from `start` to `done`.
pub fn matmul_cycles(x: &Matmul, cfg: &EngineConfig) -> u64 {
    let (r, c) = (cfg.rows.max(1) as u64, cfg.cols.max(1) as u64);
    let (m, n, k) = (x.m.max(1), x.n.max(1), x.k.max(1));
    let (nt, kt) = (n.div_ceil(c), k.div_ceil(r));
    if x.mode == 0 {
        (m.div_ceil(r) * nt * kt + 2) * r + 8
    } else {
        m * nt * kt + mv_scale_reads(x, cfg) + tree_levels(cfg) + 7
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mm(mode: u64, m: u64, n: u64, k: u64, dequant: u64) -> Matmul {
        Matmul {
            mode,
            m,
            n,
            k,
            dequant,
            ..Default::default()
        }
    }

    #[test]
    fn pinned_counts() {
        let c = EngineConfig::tiny(); // 4×8, wb 8, G 8: SPR = 2
        assert_eq!(matmul_cycles(&mm(0, 1, 1, 1, 0), &c), 3 * 4 + 8);
        assert_eq!(
            matmul_cycles(&mm(0, 5, 9, 9, 0), &c),
            (2 * 2 * 3 + 2) * 4 + 8
        );
        assert_eq!(matmul_cycles(&mm(1, 1, 8, 4, 0), &c), 1 + 2 + 7);
        // 2 n-tiles × 3 groups = 6 vectors over 3 scale rows, per row of A.
        assert_eq!(
            matmul_cycles(&mm(1, 2, 16, 24, 1), &c),
            2 * 2 * 6 + 2 * 3 + 2 + 7
        );
        // One scale row serves every row of A.
        assert_eq!(matmul_cycles(&mm(1, 3, 8, 8, 1), &c), 3 * 2 + 1 + 2 + 7);
        assert_eq!(op_cycles(&Op::Halt(Default::default()), &c), None);
    }

    /// Physics: never faster than the MACs through `R·C` lanes, the B tiles
    /// through one tile-wide read a cycle (matrix-vector streams one per
    /// tile and row of A) or the A words through one word a cycle.
    #[test]
    fn never_beats_the_roofline() {
        let mut seed = 0x5EED_u64;
        let mut next = |k: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % k
        };
        for (r, cc) in [(2u32, 2u32), (4, 8), (8, 8), (32, 64), (64, 64), (128, 256)] {
            let mut cfg = EngineConfig::tiny();
            cfg.rows = r;
            cfg.cols = cc;
            cfg.group_size = r * (1 + next(4) as u32);
            for _ in 0..300 {
                let (m, n, k) = (1 + next(300), 1 + next(900), 1 + next(900));
                for mode in 0..2 {
                    for dq in 0..2 {
                        let x = mm(mode, m, n, k, dq);
                        let cy = matmul_cycles(&x, &cfg);
                        let lanes = (r * cc) as u64;
                        assert!(cy * lanes >= m * n * k, "{r}x{cc} {x:?}: {cy} cycles");
                        let a_words = m * k.div_ceil(r as u64);
                        assert!(cy >= a_words, "{r}x{cc} {x:?}: {cy} < {a_words} A words");
                        let tiles = n.div_ceil(cc as u64) * k.div_ceil(r as u64);
                        assert!(cy >= tiles, "{r}x{cc} {x:?}: {cy} < {tiles} tiles");
                    }
                }
            }
        }
    }

    #[test]
    fn decode_is_weight_streaming_bound() {
        let mut cfg = EngineConfig::tiny();
        cfg.rows = 64;
        cfg.cols = 64;
        cfg.weight_bits = 4;
        cfg.group_size = 128;
        // 4096 × 4096 W4 matrix-vector with dequant: 4096 tiles + 1/32 scale reads.
        let x = mm(1, 1, 4096, 4096, 1);
        let tiles = 64 * 64;
        let cy = matmul_cycles(&x, &cfg);
        assert!(cy < tiles + tiles / 16, "{cy}");
        assert!(matmul_cycles(&mm(0, 1, 4096, 4096, 1), &cfg) > 60 * cy);
    }
}
