//! llmfab-isa: the contract between the compiler, the simulator and the
//! hardware — the engine configuration, the instruction set (declared once
//! in [`instr`]), its binary encoding and the meaning of every instruction.
//!
//! See `docs/engine.md` for the architecture and each instruction's semantics.
//!
//! | module | concept |
//! |---|---|
//! | [`config`] | `EngineConfig` and its rules |
//! | [`instr`] | the instruction table |
//! | [`encode`](mod@encode) | 256-bit binary encoding and the program file |
//! | [`program`] | [`Program`]: instructions with provenance |
//! | [`asm`] | text assembly and disassembly |
//! | [`check`] | static validation against a config (§4–5 rules) |
//! | [`tables`] | SFU tables and the integer helpers `rnd`, `sat`, `wrap32` |
//! | [`reference`](mod@reference) | the integer reference interpreter (the numerical truth) |
//! | [`schedule`] | executing a program in a random legal hardware order (race detector) |
//! | [`image`] | HBM image, program and dump files for co-simulation |
//! | [`random`] | seeded random valid, race-free programs with data |
//! | [`tokens`] | dependency-token counters and which flag moves which |
//! | [`timing`] | the shared timing model (owned by the hardware design) |

pub mod asm;
pub mod check;
pub mod config;
pub mod encode;
pub mod image;
pub mod instr;
pub mod program;
pub mod random;
pub mod reference;
pub mod schedule;
pub mod sfu_params;
pub mod tables;
pub mod timing;
pub mod tokens;

pub use check::{check_instr, check_program, Problem};
pub use config::{EngineConfig, MemTiming};
pub use encode::{decode, decode_program, encode, encode_program};
pub use instr::{Buf, Deps, Instr, Op, Queue, LAYOUTS};
pub use program::Program;
pub use reference::Machine;

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
    /// A program that breaks the rules of docs/engine.md: every problem found.
    #[error("{} problem(s) in the program: {}", problems.len(), join(problems))]
    Invalid {
        /// The problems, in instruction order.
        problems: Vec<Problem>,
    },
    /// Malformed assembly text.
    #[error("line {line}, column {col}: {message}")]
    Asm {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        col: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An instruction that cannot execute in the reference interpreter
    /// (memory out of bounds, token underflow or overflow).
    #[error(
        "instruction {index} ({mnemonic}{}): field '{field}': {message}",
        at(provenance)
    )]
    Exec {
        /// Instruction index in the program.
        index: usize,
        /// Instruction mnemonic.
        mnemonic: &'static str,
        /// The field (or dependency flag) at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
        /// Provenance of the instruction, when known.
        provenance: Option<String>,
    },
    /// A malformed co-simulation file (HBM image, dump).
    #[error("{what}, line {line}: {message}")]
    Image {
        /// Which file or section.
        what: String,
        /// 1-based line (0 when not tied to a line).
        line: usize,
        /// What is wrong and what was expected.
        message: String,
    },
}

fn join(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn at(provenance: &Option<String>) -> String {
    provenance
        .as_deref()
        .map(|p| format!(" @ {p}"))
        .unwrap_or_default()
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
                assert!(
                    f.lsb + f.width <= INSTR_BITS,
                    "{}.{} past the word",
                    l.mnemonic,
                    f.name
                );
                for b in f.lsb..f.lsb + f.width {
                    assert!(
                        !used[b as usize],
                        "{}.{} overlaps bit {b}",
                        l.mnemonic, f.name
                    );
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
            deps: Deps {
                pop_prev: true,
                push_next: true,
                ..Default::default()
            },
            op: Op::Matmul(Matmul {
                mode: 1,
                m: 1,
                n: 64,
                k: 128,
                abits: 8,
                bbits: 4,
                s_addr: 4096,
                ..Default::default()
            }),
        };
        let w = crate::encode(&ins).unwrap();
        assert_eq!(crate::decode(&w, 0).unwrap(), ins);
        let bad = Instr::new(Op::Matmul(Matmul {
            mode: 2,
            ..Default::default()
        }));
        assert!(crate::encode(&bad).is_err());
    }
}
