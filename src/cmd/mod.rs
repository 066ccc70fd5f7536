//! Subcommands. Each lives in its own module; this file only wires them up
//! and defines the error type the CLI boundary reports.

use clap::{Parser, Subcommand};

/// CLI-level error: a message for the user and the exit code to leave with
/// (2 for bad input, 1 for internal failures).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user's input (arguments or files) is wrong.
    #[error("{0}")]
    Input(String),
    /// Something failed that is not the user's input.
    #[error("{0}")]
    Internal(String),
}

impl CliError {
    /// Process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Internal(_) => 1,
        }
    }
}

impl From<llmfab_models::ModelError> for CliError {
    fn from(e: llmfab_models::ModelError) -> Self {
        match e {
            llmfab_models::ModelError::Io { .. } => CliError::Input(e.to_string()),
            _ => CliError::Input(e.to_string()),
        }
    }
}

/// llmfab: co-design quantized LLM inference hardware.
#[derive(Parser, Debug)]
#[command(name = "llmfab", version, about)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// All subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {}
}
