//! llmfab-isa: the contract between the compiler, the simulator and the
//! hardware — the engine configuration, the instruction set (declared once
//! in [`instr`]), its binary encoding and the meaning of every instruction.
//!
//! See `docs/engine.md` for the architecture and each instruction's semantics.

pub mod config;
pub mod encode;
pub mod instr;
pub mod timing;

pub use config::{EngineConfig, MemTiming};
pub use encode::{decode, decode_program, encode, encode_program};
pub use instr::{Buf, Deps, Instr, Op, Queue, LAYOUTS};

/// Errors of the contract crate. Each names what is wrong and where.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IsaError {
    /// Invalid engine configuration (every violation, each naming its field).
    #[error("invalid engine configuration {file}: {}", problems.join("; "))]
    Config {
        /// File (or config name).
        file: String,
        /// Violations.
        problems: Vec<String>,
    },
    /// A field value that does not fit the field.
    #[error("{mnemonic}: field '{field}' = {value} does not fit in {width} bits")]
    FieldRange {
        /// Instruction mnemonic.
        mnemonic: &'static str,
        /// Field name.
        field: &'static str,
        /// The value.
        value: String,
        /// Field width.
        width: u32,
    },
    /// Unknown opcode in a binary.
    #[error("instruction {index}: unknown opcode 0x{opcode:02x}")]
    BadOpcode {
        /// Instruction index.
        index: usize,
        /// The opcode found.
        opcode: u8,
    },
    /// Bits set outside every field of the operation.
    #[error("instruction {index} ({mnemonic}): reserved bits are set")]
    ReservedBits {
        /// Instruction index.
        index: usize,
        /// Instruction mnemonic.
        mnemonic: &'static str,
    },
    /// A malformed or truncated program file.
    #[error("program binary, byte offset {offset}: expected {expected}")]
    Binary {
        /// Byte offset of the problem.
        offset: usize,
        /// What was expected there.
        expected: String,
    },
}

#[cfg(test)]
mod tests {
    use super::instr::*;

    #[test]
    fn fields_do_not_overlap_and_fit_the_word() {
        for l in LAYOUTS {
            let mut used = [false; INSTR_BITS as usize];
            for b in used.iter_mut().take(16) {
                *b = true;
            }
            for f in l.fields {
                assert!(f.lsb + f.width <= INSTR_BITS, "{}.{} past the word", l.mnemonic, f.name);
                for b in f.lsb..f.lsb + f.width {
                    assert!(!used[b as usize], "{}.{} overlaps bit {b}", l.mnemonic, f.name);
                    used[b as usize] = true;
                }
            }
        }
        let mut codes: Vec<u8> = LAYOUTS.iter().map(|l| l.opcode).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), LAYOUTS.len(), "opcodes are unique");
    }

    #[test]
    fn encode_decode_round_trip() {
        let ins = Instr {
            deps: Deps { pop_prev: true, push_next: true, ..Default::default() },
            op: Op::Matmul(Matmul { mode: 1, m: 1, n: 64, k: 128, abits: 8, bbits: 4, s_addr: 4096, ..Default::default() }),
        };
        let w = crate::encode(&ins).unwrap();
        assert_eq!(crate::decode(&w, 0).unwrap(), ins);
        let bad = Instr::new(Op::Matmul(Matmul { mode: 2, ..Default::default() }));
        assert!(crate::encode(&bad).is_err());
    }
}
