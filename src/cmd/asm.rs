//! `llmfab asm` and `llmfab disasm`: assembly text ↔ program binary.
//!
//! `asm` parses the text (every malformed line is reported as
//! `FILE:LINE:COLUMN: message`), checks the program against `--config`
//! when one is given (without it only the syntax and the field widths are
//! checked, since the rules depend on the engine's shape), and writes the
//! binary atomically. `disasm` reads a binary (errors name the byte offset)
//! and prints the canonical assembly.

use super::CliError;
use crate::output::write_atomic;
use clap::Args;
use llmfab_isa::encode::HEADER_BYTES;
use llmfab_isa::instr::INSTR_BYTES;
use llmfab_isa::{asm, check_program, EngineConfig, IsaError, Program};
use std::path::{Path, PathBuf};

/// Arguments of `llmfab asm`.
#[derive(Args, Debug)]
pub struct AsmArgs {
    /// Assembly file (.s).
    pub input: PathBuf,
    /// Engine configuration (TOML) to check the program against; without it
    /// only syntax and field widths are checked.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output binary (default: the input with extension .bin).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

/// Arguments of `llmfab disasm`.
#[derive(Args, Debug)]
pub struct DisasmArgs {
    /// Program binary (.bin).
    pub input: PathBuf,
    /// Engine configuration (TOML) to check the program against.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the assembly to this file (atomically) instead of standard output.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_atomic(path, bytes)
        .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))
}

fn config(path: &Option<PathBuf>) -> Result<Option<EngineConfig>, CliError> {
    let Some(p) = path else { return Ok(None) };
    let text = String::from_utf8(read(p)?)
        .map_err(|_| CliError::Input(format!("{}: not UTF-8 text", p.display())))?;
    EngineConfig::from_toml(&text, &p.display().to_string())
        .map(Some)
        .map_err(|e| CliError::Input(e.to_string()))
}

/// Checks `prog` against the config, if any; every problem on its own line.
fn check(file: &Path, cfg: &Option<EngineConfig>, prog: &Program) -> Result<(), CliError> {
    let Some(cfg) = cfg else { return Ok(()) };
    match check_program(cfg, prog) {
        Ok(()) => Ok(()),
        Err(IsaError::Invalid { problems }) => {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {p}", file.display()))
                .collect();
            Err(CliError::Input(format!(
                "{} problem(s) against config '{}':\n{}",
                problems.len(),
                cfg.name,
                lines.join("\n")
            )))
        }
        Err(e) => Err(CliError::Input(e.to_string())),
    }
}

/// Runs `llmfab asm`.
pub fn run_asm(args: AsmArgs) -> Result<(), CliError> {
    let cfg = config(&args.config)?;
    let bytes = read(&args.input)?;
    let file = args.input.display();
    let text = String::from_utf8(bytes).map_err(|e| {
        CliError::Input(format!(
            "{file}: byte offset {}: expected UTF-8 text",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let prog = asm::parse_all(&text).map_err(|errs| {
        let lines: Vec<String> = errs
            .iter()
            .map(|e| match e {
                IsaError::Asm { line, col, message } => format!("{file}:{line}:{col}: {message}"),
                other => format!("{file}: {other}"),
            })
            .collect();
        CliError::Input(lines.join("\n"))
    })?;
    check(&args.input, &cfg, &prog)?;
    let bin = prog
        .to_binary()
        .map_err(|e| CliError::Input(format!("{file}: {e}")))?;
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.input.with_extension("bin"));
    write(&out, &bin)?;
    eprintln!(
        "wrote {} ({} instructions, {} bytes)",
        out.display(),
        prog.len(),
        bin.len()
    );
    Ok(())
}

/// Runs `llmfab disasm`.
pub fn run_disasm(args: DisasmArgs) -> Result<(), CliError> {
    let cfg = config(&args.config)?;
    let bytes = read(&args.input)?;
    let file = args.input.display();
    let prog = Program::from_binary(&bytes).map_err(|e| {
        CliError::Input(match e {
            IsaError::BadOpcode { index, opcode } => {
                format!("{file}: byte offset {}: unknown opcode 0x{opcode:02x} (instruction {index})", HEADER_BYTES + index * INSTR_BYTES)
            }
            IsaError::ReservedBits { index, mnemonic } => format!(
                "{file}: byte offset {}: instruction {index} ({mnemonic}) sets bits outside its fields",
                HEADER_BYTES + index * INSTR_BYTES
            ),
            other => format!("{file}: {other}"),
        })
    })?;
    check(&args.input, &cfg, &prog)?;
    let text = format!(
        "; disassembly of {file}: {} instructions\n{}",
        prog.len(),
        asm::print(&prog)
    );
    match &args.output {
        Some(path) => write(path, text.as_bytes()),
        None => super::models::emit(text.as_bytes()),
    }
}
