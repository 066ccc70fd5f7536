//! [`Program`]: a sequence of instructions, each with an optional provenance
//! (the graph op it was lowered from, e.g. `layer3.attn.q_proj`).
//!
//! Provenance survives compile → assembly text → simulator reports: the
//! assembler keeps it (`@ "layer3.attn.q_proj"`), the reference interpreter
//! names it in errors. The binary program file does not carry it.

use crate::encode::{decode_program, encode_program};
use crate::instr::Instr;
use crate::IsaError;

/// Instructions in program order, with one provenance slot per instruction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Program {
    instrs: Vec<Instr>,
    provenance: Vec<Option<String>>,
}

impl Program {
    /// An empty program.
    pub fn new() -> Self {
        Self::default()
    }

    /// A program without provenance.
    pub fn from_instrs(instrs: Vec<Instr>) -> Self {
        let provenance = vec![None; instrs.len()];
        Program { instrs, provenance }
    }

    /// Appends an instruction without provenance; returns its index.
    pub fn push(&mut self, ins: Instr) -> usize {
        self.instrs.push(ins);
        self.provenance.push(None);
        self.instrs.len() - 1
    }

    /// Appends an instruction lowered from `provenance`; returns its index.
    pub fn push_from(&mut self, ins: Instr, provenance: impl Into<String>) -> usize {
        self.instrs.push(ins);
        self.provenance.push(Some(provenance.into()));
        self.instrs.len() - 1
    }

    /// Appends an instruction with an optional provenance; returns its index.
    pub fn push_with(&mut self, ins: Instr, provenance: Option<String>) -> usize {
        self.instrs.push(ins);
        self.provenance.push(provenance);
        self.instrs.len() - 1
    }

    /// Inserts an instruction at `index` (clamped to the length).
    pub fn insert(&mut self, index: usize, ins: Instr, provenance: Option<String>) {
        let index = index.min(self.instrs.len());
        self.instrs.insert(index, ins);
        self.provenance.insert(index, provenance);
    }

    /// Appends every instruction of `other`.
    pub fn extend(&mut self, other: Program) {
        self.instrs.extend(other.instrs);
        self.provenance.extend(other.provenance);
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.instrs.len()
    }

    /// True when there are no instructions.
    pub fn is_empty(&self) -> bool {
        self.instrs.is_empty()
    }

    /// The instructions.
    pub fn instrs(&self) -> &[Instr] {
        &self.instrs
    }

    /// The instructions, for in-place edits (e.g. setting dependency flags).
    pub fn instrs_mut(&mut self) -> &mut [Instr] {
        &mut self.instrs
    }

    /// Provenance of instruction `index`, if any.
    pub fn provenance(&self, index: usize) -> Option<&str> {
        self.provenance.get(index).and_then(|p| p.as_deref())
    }

    /// Sets the provenance of instruction `index` (ignored past the end).
    pub fn set_provenance(&mut self, index: usize, provenance: Option<String>) {
        if let Some(p) = self.provenance.get_mut(index) {
            *p = provenance;
        }
    }

    /// Instructions with their provenance, in program order.
    pub fn iter(&self) -> impl Iterator<Item = (&Instr, Option<&str>)> {
        self.instrs
            .iter()
            .zip(self.provenance.iter().map(|p| p.as_deref()))
    }

    /// The program file (header and 256-bit words); provenance is dropped.
    pub fn to_binary(&self) -> Result<Vec<u8>, IsaError> {
        encode_program(&self.instrs)
    }

    /// Reads a program file (see [`crate::encode`](mod@crate::encode)); errors name the byte offset.
    pub fn from_binary(bytes: &[u8]) -> Result<Self, IsaError> {
        Ok(Program::from_instrs(decode_program(bytes)?))
    }
}

impl From<Vec<Instr>> for Program {
    fn from(instrs: Vec<Instr>) -> Self {
        Program::from_instrs(instrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instr::{Halt, Nop, Op};

    #[test]
    fn provenance_follows_its_instruction() {
        let mut p = Program::new();
        p.push(Instr::new(Op::Nop(Nop { queue: 1 })));
        p.push_from(Instr::new(Op::Halt(Halt {})), "end");
        p.insert(
            0,
            Instr::new(Op::Nop(Nop { queue: 0 })),
            Some("first".into()),
        );
        assert_eq!(p.len(), 3);
        assert_eq!(p.provenance(0), Some("first"));
        assert_eq!(p.provenance(1), None);
        assert_eq!(p.provenance(2), Some("end"));
        assert_eq!(p.provenance(9), None);
        let back = Program::from_binary(&p.to_binary().unwrap()).unwrap();
        assert_eq!(back.instrs(), p.instrs());
        assert_eq!(back.provenance(0), None);
    }
}
