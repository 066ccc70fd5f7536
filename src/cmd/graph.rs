//! `llmfab graph`: prints or writes a model's op graph as text (the form
//! `llmfab_models::text` parses back), Graphviz dot, or JSON.

use super::CliError;
use crate::output::write_atomic;
use clap::{Args, ValueEnum};
use llmfab_models::dot::{to_dot, DotOptions};
use llmfab_models::{load, text, Attention, BuildOptions, Graph};
use serde_json::json;
use std::path::PathBuf;

/// Output format of `llmfab graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// One line per op; parses back to the same graph.
    Text,
    /// Graphviz dot, one cluster per layer.
    Dot,
    /// JSON: ops with their parameters, inputs and output shapes.
    Json,
}

/// Arguments of `llmfab graph`.
#[derive(Args, Debug)]
pub struct GraphArgs {
    /// Zoo name, config.json (or its folder), .gguf or .safetensors file.
    #[arg(long)]
    pub model: String,
    /// One fused flash-attention op instead of qk / softmax / sv.
    #[arg(long)]
    pub flash: bool,
    /// Fuse q, k and v into one projection.
    #[arg(long)]
    pub fuse_qkv: bool,
    /// Fuse gate and up into one projection.
    #[arg(long)]
    pub fuse_gate_up: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub format: GraphFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

/// Runs `llmfab graph`.
pub fn run(args: GraphArgs) -> Result<(), CliError> {
    let m = load(&args.model)?;
    for n in &m.notes {
        eprintln!("note: {n}");
    }
    let opts = BuildOptions {
        attention: if args.flash {
            Attention::Flash
        } else {
            Attention::Unfused
        },
        fuse_qkv: args.fuse_qkv,
        fuse_gate_up: args.fuse_gate_up,
    };
    let g = Graph::build(&m.spec, opts);
    let attention = if args.flash { "flash" } else { "unfused" };
    let out = match args.format {
        GraphFormat::Text => format!(
            "# llmfab graph of {} ({}), attention: {attention}, {} ops\n{}",
            m.spec.name,
            m.source,
            g.len(),
            text::print(&g)
        ),
        GraphFormat::Dot => to_dot(&g, DotOptions::default()),
        GraphFormat::Json => {
            let v = to_json(&g, &m.spec.name, &m.source, attention)?;
            serde_json::to_string_pretty(&v).map_err(|e| CliError::Internal(e.to_string()))? + "\n"
        }
    };
    match &args.output {
        Some(path) => write_atomic(path, out.as_bytes())
            .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display()))),
        None => super::models::emit(out.as_bytes()),
    }
}

fn to_json(
    g: &Graph,
    model: &str,
    source: &str,
    attention: &str,
) -> Result<serde_json::Value, CliError> {
    let mut ops = Vec::with_capacity(g.len());
    for (id, op) in g.ops() {
        let params =
            serde_json::to_value(&op.kind).map_err(|e| CliError::Internal(e.to_string()))?;
        let inputs: Vec<serde_json::Value> = g
            .inputs(id)
            .iter()
            .map(|(src, t)| json!({"op": src.0, "shape": t.shape.to_string()}))
            .collect();
        ops.push(json!({
            "id": id.0,
            "name": op.name,
            "layer": op.layer,
            "kind": op.kind.name(),
            "params": params,
            "inputs": inputs,
            "out": op.out.to_string(),
        }));
    }
    Ok(json!({"model": model, "source": source, "attention": attention, "ops": ops}))
}
