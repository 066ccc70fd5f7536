//! Memories by size: how many BRAM36, URAM or LUTs a bank of `words` ×
//! `bits` needs in the style the generator gives it (docs/rtl.md §6). A
//! formula, not synthesis (Yosys maps such banks the same way, but slowly).

use super::cells::Cells;

/// BRAM36 in simple-dual-port mode: the cheapest aspect ratio.
pub fn bram36(words: u64, bits: u64) -> f64 {
    [
        (512u64, 72u64),
        (1024, 36),
        (2048, 18),
        (4096, 9),
        (8192, 4),
        (16384, 2),
        (32768, 1),
    ]
    .iter()
    .map(|&(d, w)| bits.div_ceil(w) * words.div_ceil(d))
    .min()
    .unwrap_or(0) as f64
}

/// URAM288 (4096 × 72).
pub fn uram(words: u64, bits: u64) -> u64 {
    bits.div_ceil(72) * words.div_ceil(4096)
}

/// Distributed (LUT) RAM with one write and one read port: RAM32M16 holds
/// 14 bits × 32 words in 8 LUTs, RAM64M8 7 bits × 64 words in 8 LUTs.
pub fn lutram(words: u64, bits: u64) -> u64 {
    if words <= 32 {
        bits.div_ceil(14) * 8
    } else {
        bits.div_ceil(7) * 8 * words.div_ceil(64)
    }
}

/// A bank in its `ram_style`.
pub fn bank(style: &str, words: u64, bits: u64) -> Cells {
    match style {
        "ultra" => Cells {
            uram: uram(words, bits),
            ..Default::default()
        },
        "block" => Cells {
            bram36: bram36(words, bits),
            ..Default::default()
        },
        _ => Cells::luts(lutram(words, bits)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_formulas() {
        assert_eq!(bram36(512, 72), 1.0);
        assert_eq!(bram36(1024, 512), 15.0); // 1K × 36 is as good as 512 × 72 here
        assert_eq!(bram36(4096, 8), 1.0);
        assert_eq!(uram(4096, 512), 8);
        assert_eq!(lutram(16, 256), 152);
    }
}
