//! Text assembly: one instruction per line, parsed back exactly.
//!
//! ```text
//! ; a comment runs from ';' to the end of the line; blank lines are ignored
//! load ch=0 buf=abuf rows=2 row_bytes=32 hbm_addr=0x1000 hbm_stride=64 buf_addr=0x0 buf_stride=32 +push_next
//! matmul m=1 n=8 k=16 abits=8 bbits=8 mode=1 +pop_prev @ "layer3.attn.q_proj"   ; any field order, missing fields are 0
//! requant src=acc dst=abuf m=1 n=8 dst_addr=0x100 mult=-300 shift=12 +push_next  ; a negative signed field
//! halt
//! ```
//!
//! The canonical form of the `matmul` line above ([`print()`]):
//!
//! ```text
//! matmul mode=1 bsrc=0 btrans=0 accumulate=0 dequant=0 dq_shift=0 m=1 n=8 k=16 a_addr=0x0 a_pitch=0 b_addr=0x0 acc_addr=0x0 acc_pitch=0 s_addr=0x0 bbits=8 abits=8 +pop_prev @ "layer3.attn.q_proj"
//! ```
//!
//! - A line is a mnemonic, then `field=value` items, then `+flag` items
//!   (`+pop_prev`, `+pop_next`, `+push_prev`, `+push_next`), then an
//!   optional provenance `@ "text"` (escapes `\"`, `\\`, `\n`, `\t`), then an
//!   optional `; comment`. Items are separated by blanks; fields and flags
//!   may come in any order on input.
//! - Numbers are decimal or `0x` hexadecimal, with optional `_` separators;
//!   signed fields (`mult`, `add`'s `imm0`/`imm1`, `mul`'s `imm0`) take a
//!   leading `-`. Buffer fields (`buf`, `requant`'s `src`/`dst`) take a
//!   buffer name (`abuf`, `wbuf`, `kvbuf`, `sbuf`, `acc`) or its number.
//! - **Missing fields are 0.** Hand-written programs stay short (`nop
//!   queue=1 +push_next`, `halt`); a field left out by mistake is caught by
//!   [`crate::check`] (zero dimensions, `abits` not matching the config, …).
//!   A field given twice is an error.
//! - The canonical form ([`print()`]) writes every field in table order,
//!   addresses in hexadecimal and everything else in decimal, then the set
//!   flags in the order above, then the provenance: `parse(print(p)) == p`.
//!
//! Errors name the line and column and say what was expected: an unknown
//! mnemonic lists the closest mnemonics, an unknown field the instruction's
//! fields, a value out of range the field's width and range.

mod parse;
mod print;

pub use parse::{parse, parse_all, parse_instr};
pub use print::{print, print_instr};

use crate::instr::{FieldKind, FieldLayout};

/// Whether a field holds a byte address (printed in hexadecimal).
pub fn is_address(f: &FieldLayout) -> bool {
    f.kind == FieldKind::U && (f.name.ends_with("addr") || matches!(f.name, "src" | "dst" | "src2"))
}

#[cfg(test)]
mod tests;
