//! Yosys figures of the core's rust-hdl leaves, measured once (they are
//! config independent: config values are inputs) and checked in; the test
//! `core_table_matches_yosys` re-derives every row. Synthesised alone, a
//! leaf's constant inputs are free, so these over-estimate the tied-off
//! instances slightly.

use super::cells::Cells;

/// `(module, cells)` of every core leaf (`crate::core::LEAVES`).
pub const CORE_LEAVES: &[(&str, Cells)] = &[
    (
        "llmfab_ctrl",
        Cells {
            lut: 182,
            ff: 202,
            dsp: 0,
            bram36: 0.0,
            uram: 0,
        },
    ),
    (
        "llmfab_fetch",
        Cells {
            lut: 769,
            ff: 133,
            dsp: 0,
            bram36: 0.0,
            uram: 0,
        },
    ),
    (
        "llmfab_dispatch",
        Cells {
            lut: 65,
            ff: 34,
            dsp: 0,
            bram36: 0.0,
            uram: 0,
        },
    ),
    (
        "llmfab_fifo_ctl",
        Cells {
            lut: 66,
            ff: 31,
            dsp: 0,
            bram36: 0.0,
            uram: 0,
        },
    ),
    (
        "llmfab_tokens",
        Cells {
            lut: 36,
            ff: 32,
            dsp: 0,
            bram36: 0.0,
            uram: 0,
        },
    ),
    (
        "llmfab_xfer_exec",
        Cells {
            lut: 6,
            ff: 1,
            dsp: 0,
            bram36: 0.0,
            uram: 0,
        },
    ),
    (
        "llmfab_comp_exec",
        Cells {
            lut: 17,
            ff: 8,
            dsp: 0,
            bram36: 0.0,
            uram: 0,
        },
    ),
    (
        "llmfab_dma_rd",
        Cells {
            lut: 1312,
            ff: 556,
            dsp: 2,
            bram36: 0.0,
            uram: 0,
        },
    ),
    (
        "llmfab_dma_wr",
        Cells {
            lut: 1072,
            ff: 626,
            dsp: 2,
            bram36: 0.0,
            uram: 0,
        },
    ),
];

/// The checked-in figures of a core leaf.
pub fn core_leaf(name: &str) -> Option<Cells> {
    CORE_LEAVES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
}
