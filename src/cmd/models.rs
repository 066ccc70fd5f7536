//! `llmfab models`: lists the built-in model zoo.

use super::CliError;
use clap::{Args, ValueEnum};
use llmfab_models::{zoo, ModelSpec};
use serde_json::json;
use std::io::Write;

/// Output format of `llmfab models`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelsFormat {
    /// An aligned table for the terminal.
    Table,
    /// A JSON array, one object per model.
    Json,
}

/// Arguments of `llmfab models`.
#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ModelsFormat::Table)]
    pub format: ModelsFormat,
}

/// Runs `llmfab models`.
pub fn run(args: ModelsArgs) -> Result<(), CliError> {
    let mut rows = Vec::new();
    for e in zoo::ZOO {
        let spec = e
            .spec()
            .map_err(|err| CliError::Internal(format!("built-in zoo entry {}: {err}", e.name)))?;
        rows.push((spec, e.repo()));
    }
    let text = match args.format {
        ModelsFormat::Table => table(&rows),
        ModelsFormat::Json => {
            let v: Vec<serde_json::Value> = rows.iter().map(|(s, repo)| to_json(s, repo)).collect();
            serde_json::to_string_pretty(&v).map_err(|e| CliError::Internal(e.to_string()))? + "\n"
        }
    };
    emit(text.as_bytes())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn emit(bytes: &[u8]) -> Result<(), CliError> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::Internal(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Parameter count in billions or millions (`6.74B`, `124M`).
fn human(n: u64) -> String {
    if n >= 1_000_000_000 {
        format!("{:.2}B", n as f64 / 1e9)
    } else {
        format!("{:.0}M", n as f64 / 1e6)
    }
}

fn to_json(s: &ModelSpec, repo: &str) -> serde_json::Value {
    json!({
        "name": s.name,
        "family": s.family.as_str(),
        "params": s.param_count(),
        "layers": s.layers,
        "hidden": s.hidden,
        "heads": s.heads,
        "kv_heads": s.kv_heads,
        "head_dim": s.head_dim,
        "intermediate": s.intermediate,
        "vocab": s.vocab,
        "max_positions": s.max_positions,
        "experts": s.moe.map(|m| m.experts),
        "experts_per_token": s.moe.map(|m| m.top_k),
        "tied_embeddings": s.tied_embeddings,
        "source": repo,
    })
}

fn table(rows: &[(ModelSpec, String)]) -> String {
    let header = [
        "name", "family", "params", "layers", "hidden", "heads/kv", "vocab", "source",
    ];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for (s, repo) in rows {
        let family = match s.moe {
            Some(m) => format!("{} ({}x top-{})", s.family.as_str(), m.experts, m.top_k),
            None => s.family.as_str().to_string(),
        };
        cells.push(vec![
            s.name.clone(),
            family,
            human(s.param_count()),
            s.layers.to_string(),
            s.hidden.to_string(),
            format!("{}/{}", s.heads, s.kv_heads),
            s.vocab.to_string(),
            repo.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| cells.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| {
                // numbers right-aligned, text left-aligned
                if (2..=6).contains(&c) {
                    format!("{v:>w$}", w = widths[c])
                } else {
                    format!("{v:<w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
