//! Subcommands. Each lives in its own module; this file only wires them up
//! and defines the error type the CLI boundary reports.

use clap::{Parser, Subcommand};

mod asm;
mod bitstream;
mod compile;
mod devices;
mod flow;
mod graph;
mod hdl;
mod models;
mod plan;
mod roofline;
mod sim;

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
pub enum Command {
    /// List the built-in model zoo.
    Models(models::ModelsArgs),
    /// Print or write a model's op graph (text, Graphviz dot or JSON).
    Graph(graph::GraphArgs),
    /// Per-op roofline, realistic time and energy of a model on a device (with no
    /// arguments: llama-2-7b fp16 on h100-sxm, plot in out/roofline.png).
    Roofline(Box<roofline::RooflineArgs>),
    /// List the device catalog, or show one device with the source of every figure.
    Devices(devices::DevicesArgs),
    /// Assemble a program (text → binary), checked against --config when given.
    Asm(asm::AsmArgs),
    /// Disassemble a program binary into canonical assembly.
    Disasm(asm::DisasmArgs),
    /// Emit the engine's Verilog and a resource estimate for a config or a board.
    Hdl(hdl::HdlArgs),
    /// Search parallel execution plans (DP x TP x PP x EP, batching, disaggregation)
    /// of a model on a cluster by simulating a request trace.
    Plan(Box<plan::PlanArgs>),
    /// Choose an engine for a board and compile a model onto it: writes a build
    /// folder (engine.toml, programs as binary and assembly, memory map, report).
    Compile(Box<compile::CompileArgs>),
    /// The whole loop on one model and board: roofline, engine exploration,
    /// compilation, simulation, Verilog and energy, written as one
    /// self-contained report.html with the data behind it (with no
    /// arguments: llama-2-7b, u280, w4a8, into out/flow).
    Flow(Box<flow::FlowArgs>),
    /// Simulate one program of a build folder on the engine's cycle-level
    /// timing model: cycles, tokens/s, bandwidth, stalls, energy, a timeline.
    Sim(Box<sim::SimArgs>),
    /// Write a Vitis RTL-kernel board project for a build folder's engine
    /// (u280, u55c, u50, u250, v80), or build an iCE40 bitstream of a tiny
    /// engine with Yosys, nextpnr-ice40 and icepack (ice40-hx8k).
    Bitstream(Box<bitstream::BitstreamArgs>),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Models(a) => models::run(a),
        Command::Graph(a) => graph::run(a),
        Command::Roofline(a) => roofline::run(*a),
        Command::Devices(a) => devices::run(a),
        Command::Asm(a) => asm::run_asm(a),
        Command::Disasm(a) => asm::run_disasm(a),
        Command::Plan(a) => plan::run(*a),
        Command::Hdl(a) => hdl::run(a),
        Command::Compile(a) => compile::run(*a),
        Command::Bitstream(a) => bitstream::run(*a),
        Command::Sim(a) => sim::run(*a),
        Command::Flow(a) => flow::run(*a),
    }
}
