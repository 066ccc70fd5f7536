//! The disassembler: [`Program`] → canonical text.

use super::is_address;
use crate::encode::sign_extend;
use crate::instr::{Buf, FieldKind, Instr};
use crate::program::Program;
use crate::tokens::Flag;
use std::fmt::Write;

/// Canonical text of a program: one line per instruction.
pub fn print(prog: &Program) -> String {
    let mut out = String::new();
    for (ins, prov) in prog.iter() {
        out.push_str(&print_instr(ins));
        if let Some(p) = prov {
            let _ = write!(out, " @ {}", quote(p));
        }
        out.push('\n');
    }
    out
}

/// Canonical text of one instruction (without provenance or newline).
pub fn print_instr(ins: &Instr) -> String {
    let layout = ins.op.layout();
    let mut s = layout.mnemonic.to_string();
    for (f, v) in layout.fields.iter().zip(ins.op.values()) {
        let _ = match f.kind {
            FieldKind::B => match Buf::from_id(v) {
                Some(b) => write!(s, " {}={}", f.name, b.name()),
                None => write!(s, " {}={v}", f.name),
            },
            FieldKind::I if f.width < 64 && v >> f.width == 0 => {
                write!(s, " {}={}", f.name, sign_extend(v, f.width))
            }
            _ if is_address(f) => write!(s, " {}={v:#x}", f.name),
            _ => write!(s, " {}={v}", f.name),
        };
    }
    for flag in Flag::ALL {
        if flag.is_set(ins.deps) {
            let _ = write!(s, " +{}", flag.name());
        }
    }
    s
}

fn quote(p: &str) -> String {
    let mut q = String::with_capacity(p.len() + 2);
    q.push('"');
    for c in p.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}
