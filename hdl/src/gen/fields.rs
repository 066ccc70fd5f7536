//! Instruction-field slices for the generated decoder, taken from
//! `llmfab_isa::LAYOUTS` (the one declaration of the instruction set).

use llmfab_isa::instr::LAYOUTS;

/// Opcode of the operation with this mnemonic.
pub fn opcode(mnemonic: &str) -> u8 {
    LAYOUTS
        .iter()
        .find(|l| l.mnemonic == mnemonic)
        .map(|l| l.opcode)
        .unwrap_or_else(|| panic!("no instruction '{mnemonic}' in LAYOUTS"))
}

/// Verilog part-select `word[msb:lsb]` of a field (the instruction table
/// is static, so an unknown name is a bug in this crate, caught by tests).
pub fn slice(word: &str, mnemonic: &str, field: &str) -> String {
    let l = LAYOUTS
        .iter()
        .find(|l| l.mnemonic == mnemonic)
        .unwrap_or_else(|| panic!("no instruction '{mnemonic}' in LAYOUTS"));
    let f = l
        .fields
        .iter()
        .find(|f| f.name == field)
        .unwrap_or_else(|| panic!("no field '{field}' in '{mnemonic}'"));
    if f.width == 1 {
        format!("{word}[{}]", f.lsb)
    } else {
        format!("{word}[{}:{}]", f.lsb + f.width - 1, f.lsb)
    }
}

/// Width of a field.
pub fn width(mnemonic: &str, field: &str) -> u32 {
    LAYOUTS
        .iter()
        .find(|l| l.mnemonic == mnemonic)
        .and_then(|l| l.fields.iter().find(|f| f.name == field))
        .map(|f| f.width)
        .unwrap_or_else(|| panic!("no field '{field}' in '{mnemonic}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_follow_the_table() {
        assert_eq!(slice("w", "load", "rows"), "w[40:25]");
        assert_eq!(slice("w", "matmul", "bsrc"), "w[17]");
        assert_eq!(opcode("halt"), 0xff);
        // The rust-hdl DMA blocks take fields of these widths.
        for (f, w) in [
            ("ch", 6),
            ("buf", 3),
            ("rows", 16),
            ("row_bytes", 24),
            ("hbm_addr", 40),
            ("hbm_stride", 32),
            ("buf_addr", 32),
            ("buf_stride", 32),
        ] {
            assert_eq!(width("load", f), w, "load.{f}");
            assert_eq!(width("store", f), w, "store.{f}");
        }
    }
}
