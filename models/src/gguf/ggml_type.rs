//! GGML tensor types: block size, bytes per block (scales included) and the
//! integer width of the quantized values, declared once in one table.
//!
//! Sizes are those of the `block_*` structs in ggml (`ggml-common.h`): e.g.
//! `block_q4_K` packs 256 weights into 144 bytes (two fp16 super-block
//! scales, 12 bytes of 6-bit sub-block scales and mins, 128 bytes of nibbles),
//! so Q4_K costs 144·8/256 = 4.5 bits per weight.

/// One GGML tensor type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GgmlType {
    /// The `ggml_type` enum value stored in GGUF tensor infos.
    pub id: u32,
    /// Name as llama.cpp prints it (`Q4_K`).
    pub name: &'static str,
    /// Weights per block.
    pub block: u32,
    /// Bytes per block, scales and mins included.
    pub bytes: u32,
    /// Integer width of one quantized value (16 for F16, 4 for Q4_K, 1 for
    /// the ~1.6-bit ternary and IQ1 types).
    pub bits: u32,
}

const fn t(id: u32, name: &'static str, block: u32, bytes: u32, bits: u32) -> GgmlType {
    GgmlType {
        id,
        name,
        block,
        bytes,
        bits,
    }
}

/// Every supported type.
pub const TYPES: &[GgmlType] = &[
    t(0, "F32", 1, 4, 32),
    t(1, "F16", 1, 2, 16),
    t(2, "Q4_0", 32, 18, 4),
    t(3, "Q4_1", 32, 20, 4),
    t(6, "Q5_0", 32, 22, 5),
    t(7, "Q5_1", 32, 24, 5),
    t(8, "Q8_0", 32, 34, 8),
    t(9, "Q8_1", 32, 36, 8),
    t(10, "Q2_K", 256, 84, 2),
    t(11, "Q3_K", 256, 110, 3),
    t(12, "Q4_K", 256, 144, 4),
    t(13, "Q5_K", 256, 176, 5),
    t(14, "Q6_K", 256, 210, 6),
    t(15, "Q8_K", 256, 292, 8),
    t(16, "IQ2_XXS", 256, 66, 2),
    t(17, "IQ2_XS", 256, 74, 2),
    t(18, "IQ3_XXS", 256, 98, 3),
    t(19, "IQ1_S", 256, 50, 1),
    t(20, "IQ4_NL", 32, 18, 4),
    t(21, "IQ3_S", 256, 110, 3),
    t(22, "IQ2_S", 256, 82, 2),
    t(23, "IQ4_XS", 256, 136, 4),
    t(24, "I8", 1, 1, 8),
    t(25, "I16", 1, 2, 16),
    t(26, "I32", 1, 4, 32),
    t(27, "I64", 1, 8, 64),
    t(28, "F64", 1, 8, 64),
    t(29, "IQ1_M", 256, 56, 1),
    t(30, "BF16", 1, 2, 16),
    t(34, "TQ1_0", 256, 54, 1),
    t(35, "TQ2_0", 256, 66, 2),
    t(39, "MXFP4", 32, 17, 4),
];

/// Type ids that existed once and were removed from ggml.
const REMOVED: &[(u32, &str)] = &[
    (4, "Q4_2"),
    (5, "Q4_3"),
    (31, "Q4_0_4_4"),
    (32, "Q4_0_4_8"),
    (33, "Q4_0_8_8"),
    (36, "IQ4_NL_4_4"),
    (37, "IQ4_NL_4_8"),
    (38, "IQ4_NL_8_8"),
];

impl GgmlType {
    /// The type with this id, or a message saying why it is not supported.
    pub fn from_id(id: u32) -> Result<GgmlType, String> {
        if let Some(t) = TYPES.iter().find(|t| t.id == id) {
            return Ok(*t);
        }
        match REMOVED.iter().find(|(r, _)| *r == id) {
            Some((_, name)) => Err(format!(
                "GGML type {id} ({name}) was removed from ggml; re-convert the model with a current llama.cpp"
            )),
            None => Err(format!(
                "a known GGML type id (0-3, 6-30, 34, 35, 39), found {id}"
            )),
        }
    }

    /// Bits per weight, block scales and mins included (Q4_K: 4.5).
    pub fn bits_per_weight(&self) -> f64 {
        f64::from(self.bytes) * 8.0 / f64::from(self.block)
    }

    /// Bits of per-block metadata (scales, mins) beyond the quantized values.
    pub fn meta_bits_per_block(&self) -> u32 {
        (self.bytes * 8).saturating_sub(self.bits * self.block)
    }

    /// Bytes of a tensor of `elements` weights, or `None` when the count is
    /// not a whole number of blocks (or overflows).
    pub fn tensor_bytes(&self, elements: u64) -> Option<u64> {
        let block = u64::from(self.block);
        if !elements.is_multiple_of(block) {
            return None;
        }
        (elements / block).checked_mul(u64::from(self.bytes))
    }
}

/// Name of a `general.file_type` value (llama.cpp's `llama_ftype`), as
/// printed by llama.cpp without the `MOSTLY_` prefix.
pub fn file_type_name(ftype: u64) -> Option<&'static str> {
    Some(match ftype {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        4 => "Q4_1_SOME_F16",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        33 => "Q4_0_4_4",
        34 => "Q4_0_4_8",
        35 => "Q4_0_8_8",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_per_weight_match_the_block_layouts() {
        let want = [
            ("F32", 32.0),
            ("F16", 16.0),
            ("BF16", 16.0),
            ("Q4_0", 4.5),
            ("Q4_1", 5.0),
            ("Q5_0", 5.5),
            ("Q5_1", 6.0),
            ("Q8_0", 8.5),
            ("Q8_1", 9.0),
            ("Q2_K", 2.625),
            ("Q3_K", 3.4375),
            ("Q4_K", 4.5),
            ("Q5_K", 5.5),
            ("Q6_K", 6.5625),
            ("Q8_K", 9.125),
            ("IQ2_XXS", 2.0625),
            ("IQ2_XS", 2.3125),
            ("IQ2_S", 2.5625),
            ("IQ3_XXS", 3.0625),
            ("IQ3_S", 3.4375),
            ("IQ1_S", 1.5625),
            ("IQ1_M", 1.75),
            ("IQ4_NL", 4.5),
            ("IQ4_XS", 4.25),
            ("TQ1_0", 1.6875),
            ("TQ2_0", 2.0625),
            ("MXFP4", 4.25),
        ];
        for (name, bpw) in want {
            let t = TYPES.iter().find(|t| t.name == name).unwrap();
            assert_eq!(t.bits_per_weight(), bpw, "{name}");
        }
        for t in TYPES {
            // integer width + metadata reproduce the block size exactly
            assert_eq!(
                t.bits * t.block + t.meta_bits_per_block(),
                t.bytes * 8,
                "{}",
                t.name
            );
            assert_eq!(GgmlType::from_id(t.id), Ok(*t));
        }
        assert!(GgmlType::from_id(4).unwrap_err().contains("Q4_2"));
        assert!(GgmlType::from_id(99).unwrap_err().contains("99"));
        assert_eq!(file_type_name(15), Some("Q4_K_M"));
    }
}
