//! Errors of the cluster simulator. Every variant says what was wrong and
//! where (file and line, field, plan degree), so the CLI prints it as is; all
//! of them are the user's input except [`ClusterError::Internal`].

/// An error from `sim::cluster`.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A malformed line of a request trace.
    #[error("{file}:{line}: field '{field}': {message}")]
    Trace {
        /// The trace file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The field at fault.
        field: String,
        /// What was expected (and found).
        message: String,
    },
    /// A trace with no requests.
    #[error("{file}: no requests (an empty trace cannot be simulated)")]
    EmptyTrace {
        /// The trace file (or `--synthetic`).
        file: String,
    },
    /// A malformed argument or setting.
    #[error("{what}: {message}")]
    Input {
        /// The argument or setting (`--devices`, `--synthetic`, a profile file).
        what: String,
        /// What was expected.
        message: String,
    },
    /// A plan that is not valid for the model or the cluster.
    #[error("plan {plan} is not valid: {}", problems.join("; "))]
    InvalidPlan {
        /// The plan as printed (`dp2.tp4.pp1`).
        plan: String,
        /// Every violation found.
        problems: Vec<String>,
    },
    /// No plan in the space fits (memory, divisibility).
    #[error("no valid plan for {what}: {}", reasons.join("; "))]
    NoValidPlan {
        /// Model and cluster.
        what: String,
        /// Why candidate plans were rejected (one line per distinct reason).
        reasons: Vec<String>,
    },
    /// A profile table lookup with no data for the op.
    #[error("profile {file}: no rows for op '{op}' (tp {tp}); the profile has: {have}")]
    ProfileMissing {
        /// Profile file.
        file: String,
        /// Block-relative op name.
        op: String,
        /// Tensor-parallel degree asked for.
        tp: u32,
        /// Ops the profile has.
        have: String,
    },
    /// An error from the model layer (loading, quantization, catalog).
    #[error(transparent)]
    Model(#[from] llmfab_models::ModelError),
    /// An I/O failure on a named file.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A failure that is not the user's input (a solver failure, a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ClusterError {
    /// True when the error is about the user's input (exit code 2 at the CLI).
    pub fn is_input(&self) -> bool {
        !matches!(self, ClusterError::Internal(_))
    }

    /// An [`ClusterError::Input`] error.
    pub fn input(what: impl Into<String>, message: impl Into<String>) -> Self {
        ClusterError::Input {
            what: what.into(),
            message: message.into(),
        }
    }
}
