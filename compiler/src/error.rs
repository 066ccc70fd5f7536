//! Errors of the compiler. Every variant names what is wrong (the op, the
//! buffer, the field) and what was expected, so the CLI prints it as is.

use llmfab_isa::IsaError;
use llmfab_models::ModelError;

/// A compilation failure.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The quantization scheme asks for arithmetic the engine does not have.
    #[error("quantization scheme '{scheme}' cannot run on the engine: {}", problems.join("; "))]
    Quant {
        /// Scheme name.
        scheme: String,
        /// Every reason, each naming the field.
        problems: Vec<String>,
    },
    /// Graph ops the engine cannot run and no host fallback covers.
    #[error("the engine cannot run {} op(s): {}", ops.len(), fmt_ops(ops))]
    Unsupported {
        /// (op name, reason) pairs in graph order.
        ops: Vec<(String, String)>,
    },
    /// The model (weights, KV cache, buffers) does not fit the board's memory.
    #[error("model '{model}' does not fit {board}: {}", problems.join("; "))]
    DoesNotFit {
        /// Model name.
        model: String,
        /// Board (or memory) name.
        board: String,
        /// What overflows, with sizes.
        problems: Vec<String>,
    },
    /// The engine configuration cannot run this model (alignment, sizes).
    #[error("engine configuration '{name}' cannot run this model: {}", problems.join("; "))]
    Config {
        /// Config name.
        name: String,
        /// Every violated requirement.
        problems: Vec<String>,
    },
    /// An on-chip buffer is too small for what the lowering must keep in it.
    #[error("{buffer} needs {need} bytes for {what} but the engine has {have}")]
    Buffer {
        /// Buffer name (`abuf`, `acc`, ...).
        buffer: &'static str,
        /// Bytes needed.
        need: u64,
        /// Bytes available.
        have: u64,
        /// What the bytes are for (names the op).
        what: String,
    },
    /// A board that is not an FPGA or lacks facts the explorer needs.
    #[error("board '{name}': {problem}")]
    Board {
        /// Board name.
        name: String,
        /// What is missing or wrong.
        problem: String,
    },
    /// The explorer found no engine that fits the board.
    #[error("no engine configuration fits board '{board}': {reason}")]
    NoDesign {
        /// Board name.
        board: String,
        /// Why (which budget).
        reason: String,
    },
    /// A bad argument (phase list, objective, ...).
    #[error("{what}: {message}")]
    Arg {
        /// The argument.
        what: String,
        /// What was expected.
        message: String,
    },
    /// A build folder that is missing, corrupt or from another engine or version.
    #[error("build folder {path}: {problem}")]
    Folder {
        /// The folder (or file in it).
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// A verifier found a broken invariant after a pass: a compiler bug.
    #[error("internal compiler error: verifier after pass '{pass}': {}", problems.join("; "))]
    Verify {
        /// The pass after which the verifier ran.
        pass: &'static str,
        /// The problems (at most a few dozen, each naming the instruction).
        problems: Vec<String>,
    },
    /// The MILP solver failed.
    #[error("design-space MILP: {0}")]
    Solver(String),
    /// An instruction-set error (encoding, static check).
    #[error(transparent)]
    Isa(#[from] IsaError),
    /// A model, quantization or device error.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A file system error on a named path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl CompileError {
    /// True when the error is the user's input (model, board, scheme,
    /// arguments, a build folder) rather than a compiler bug or an I/O failure.
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            CompileError::Verify { .. } | CompileError::Solver(_) | CompileError::Io { .. }
        )
    }
}

fn fmt_ops(ops: &[(String, String)]) -> String {
    let mut parts: Vec<String> = ops
        .iter()
        .take(4)
        .map(|(o, r)| format!("{o} ({r})"))
        .collect();
    if ops.len() > 4 {
        parts.push(format!("and {} more", ops.len() - 4));
    }
    parts.join(", ")
}
