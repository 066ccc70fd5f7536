//! Pass `tiling`: cuts every weight matrix into chunks that fill one slot of
//! the double-buffered weight buffer, in the order the program consumes
//! them. The HBM layout follows the same order (see `place`), so one chunk is
//! one load per channel.
//!
//! A chunk covers output columns `[n0, n0+nb)` (a multiple of the column
//! unit `max(C, sfu_lanes)`) and reduction rows `[k0, k0+kc)` (all of K when
//! a column unit of it fits a slot, else a multiple of the group size G);
//! in the weight buffer it is `ceil(nb/C)·ceil(kc/R)` tiles, column-tile
//! major (docs/engine.md §5.2), followed by its int16 scales.
//!
//! ```text
//! before:  linear layer0.attn.q_proj  k=4096 n=4096   (R=C=64, w4: 2 KiB tiles; slot 1024 rows)
//! after:   chunk n0=0    nb=832 k0=0 kc=4096: 13·64 = 832 tile rows + 26 scale rows
//!          chunk n0=832 ... n0=3328 nb=768: 12·64 tile rows + 24 scale rows (5 chunks)
//! ```

use crate::lower::kernels::{KernelKind, Kernels};
use crate::CompileError;
use llmfab_isa::EngineConfig;
use llmfab_models::OpId;

/// One chunk of a weight matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// First output column.
    pub n0: u64,
    /// Output columns.
    pub nb: u64,
    /// First reduction row.
    pub k0: u64,
    /// Reduction rows.
    pub kc: u64,
    /// Weight tiles (`ceil(nb/C)·ceil(kc/R)`).
    pub tiles: u64,
    /// Weight-buffer rows of scales after the tiles.
    pub scale_rows: u64,
    /// First weight-buffer row of this chunk within the op's HBM region.
    pub row0: u64,
}

impl Chunk {
    /// Weight-buffer rows (tiles and scales).
    pub fn rows(&self) -> u64 {
        self.tiles + self.scale_rows
    }
    /// True for the first K chunk of its column block.
    pub fn first_k(&self) -> bool {
        self.k0 == 0
    }
}

/// Chunks of one linear op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearTiling {
    /// Reduction length.
    pub k: u64,
    /// Output columns.
    pub n: u64,
    /// Chunks in consumption order (column block major, K minor).
    pub chunks: Vec<Chunk>,
    /// Total weight-buffer rows (the op's HBM region is `rows · slice` per channel).
    pub rows: u64,
    /// K is split across chunks (results accumulate in ACC).
    pub k_split: bool,
    /// Widest column block.
    pub nb_max: u64,
}

/// Weight chunking of every linear op (shared by all phases of a build).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightTiling {
    /// Weight-buffer rows of one slot (half the buffer).
    pub slot_rows: u64,
    /// Slots (2: double buffering).
    pub slots: u64,
    /// Per op id: the tiling of linear ops.
    pub linears: Vec<Option<LinearTiling>>,
}

impl WeightTiling {
    /// Tiling of a linear op.
    pub fn of(&self, op: OpId) -> &LinearTiling {
        self.linears[op.0 as usize]
            .as_ref()
            .expect("every linear op has a tiling")
    }
}

/// Column unit of output blocks: a whole tile of columns that also keeps
/// the requantised output aligned to the SFU lanes.
pub fn col_unit(cfg: &EngineConfig) -> u64 {
    (cfg.cols as u64).max(cfg.sfu_lanes as u64)
}

/// Weight-buffer rows of a chunk of `nb × kc`.
pub fn chunk_rows(cfg: &EngineConfig, nb: u64, kc: u64) -> (u64, u64) {
    let (r, c, g) = (cfg.rows as u64, cfg.cols as u64, cfg.group_size as u64);
    let nt = nb.div_ceil(c);
    let tiles = nt * kc.div_ceil(r);
    let scale_bytes = nt * kc.div_ceil(g) * 2 * c;
    (tiles, scale_bytes.div_ceil(cfg.tile_bytes()))
}

/// Chunks one `k × n` matrix for slots of `slot` rows.
pub fn tile_linear(
    cfg: &EngineConfig,
    name: &str,
    k: u64,
    n: u64,
    slot: u64,
) -> Result<LinearTiling, CompileError> {
    let u = col_unit(cfg);
    let g = cfg.group_size as u64;
    let fits = |nb: u64, kc: u64| {
        let (t, s) = chunk_rows(cfg, nb, kc);
        t + s <= slot
    };
    let npad = n.div_ceil(u) * u;
    let (nb, kc) = if fits(u, k) {
        let mut nb = u;
        while nb + u <= npad && fits(nb + u, k) {
            nb += u;
        }
        let blocks = npad.div_ceil(nb);
        (npad.div_ceil(blocks).div_ceil(u) * u, k)
    } else {
        if !fits(u, g) {
            let (t, s) = chunk_rows(cfg, u, g);
            return Err(CompileError::Buffer {
                buffer: "wbuf",
                need: 2 * (t + s) * cfg.tile_bytes(),
                have: cfg.wbuf_bytes,
                what: format!(
                    "two slots of {} columns × {g} rows of {name}'s weights and scales",
                    u
                ),
            });
        }
        let mut kc = g;
        while kc + g < k && fits(u, kc + g) {
            kc += g;
        }
        let parts = k.div_ceil(kc);
        (u, k.div_ceil(parts).div_ceil(g) * g)
    };
    let mut chunks = Vec::new();
    let mut row = 0;
    let mut n0 = 0;
    while n0 < n {
        let nbi = nb.min(n - n0);
        let mut k0 = 0;
        while k0 < k {
            let kci = kc.min(k - k0);
            let (tiles, scale_rows) = chunk_rows(cfg, nbi, kci);
            chunks.push(Chunk {
                n0,
                nb: nbi,
                k0,
                kc: kci,
                tiles,
                scale_rows,
                row0: row,
            });
            row += tiles + scale_rows;
            k0 += kci;
        }
        n0 += nbi;
    }
    Ok(LinearTiling {
        k,
        n,
        rows: row,
        k_split: kc < k,
        nb_max: nb.min(n),
        chunks,
    })
}

/// Runs the pass over every linear kernel.
pub fn run(
    cfg: &EngineConfig,
    ks: &Kernels,
    graph_len: usize,
) -> Result<WeightTiling, CompileError> {
    let slots = 2;
    let slot_rows = cfg.wbuf_rows() / slots;
    let mut linears = vec![None; graph_len];
    for kern in &ks.kernels {
        if let KernelKind::Linear { k, n, .. } = kern.kind {
            let name = format!("op {}", kern.op);
            linears[kern.op.0 as usize] = Some(tile_linear(cfg, &name, k, n, slot_rows)?);
        }
    }
    Ok(WeightTiling {
        slot_rows,
        slots,
        linears,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_example() {
        let cfg = EngineConfig {
            rows: 64,
            cols: 64,
            weight_bits: 4,
            group_size: 128,
            sfu_lanes: 64,
            ..EngineConfig::tiny()
        };
        let t = tile_linear(&cfg, "q_proj", 4096, 4096, 1024).unwrap();
        assert_eq!(t.chunks.len(), 5);
        assert_eq!(
            (t.chunks[0].nb, t.chunks[0].tiles, t.chunks[0].scale_rows),
            (832, 832, 26)
        );
        assert_eq!(
            (
                t.chunks[4].n0,
                t.chunks[4].nb,
                t.chunks[4].tiles,
                t.chunks[4].scale_rows
            ),
            (3328, 768, 768, 24)
        );
    }

    #[test]
    fn chunks_cover_the_matrix_and_fit_a_slot() {
        let mut cfg = EngineConfig::tiny();
        cfg.wbuf_bytes = 32 * cfg.tile_bytes();
        for (k, n) in [(64u64, 64u64), (70, 50), (8, 8), (256, 24), (1000, 9)] {
            let t = tile_linear(&cfg, "w", k, n, 16).unwrap();
            let mut covered = 0;
            for c in &t.chunks {
                assert!(c.rows() <= 16, "{k}x{n}: {c:?}");
                covered += c.nb * c.kc;
                assert_eq!(c.n0 % col_unit(&cfg), 0);
                assert_eq!(c.k0 % cfg.group_size as u64, 0);
            }
            assert_eq!(covered, k * n, "{k}x{n}");
            assert_eq!(t.rows, t.chunks.iter().map(|c| c.rows()).sum::<u64>());
        }
        assert!(tile_linear(&cfg, "w", 64, 64, 1).is_err());
    }
}
