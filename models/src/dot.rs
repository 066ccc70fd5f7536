//! Graphviz export: ops are nodes labelled with their name and kind, edges
//! are labelled with the tensor shapes, and each decoder layer can be drawn
//! as a cluster.
//!
//! ```text
//! digraph llmfab {
//!   n0 [label="embed\nembedding vocab=32000 dim=4096"];
//!   subgraph cluster_layer0 {
//!     label="layer0";
//!     n1 [label="layer0.attn_norm\nrmsnorm dim=4096"];
//!   }
//!   n0 -> n1 [label="[B*S,4096]"];
//! }
//! ```

use crate::graph::{Graph, OpKind};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Options of the Graphviz export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DotOptions {
    /// Draw every decoder layer as a `cluster_layerN` subgraph.
    pub clusters: bool,
}

impl Default for DotOptions {
    fn default() -> Self {
        DotOptions { clusters: true }
    }
}

/// Renders a graph in the Graphviz `dot` language.
pub fn to_dot(g: &Graph, opts: DotOptions) -> String {
    let mut out = String::from("digraph llmfab {\n");
    out.push_str("  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=8];\n");
    let mut by_layer: BTreeMap<Option<u32>, Vec<String>> = BTreeMap::new();
    for (id, op) in g.ops() {
        let line = format!(
            "n{} [label={}{}];",
            id.0,
            escape(&label(&op.name, &op.kind)),
            style(&op.kind)
        );
        let key = if opts.clusters { op.layer } else { None };
        by_layer.entry(key).or_default().push(line);
    }
    for (layer, lines) in &by_layer {
        match layer {
            None => {
                for l in lines {
                    let _ = writeln!(out, "  {l}");
                }
            }
            Some(n) => {
                let _ = writeln!(
                    out,
                    "  subgraph cluster_layer{n} {{\n    label=\"layer{n}\";\n    style=rounded;"
                );
                for l in lines {
                    let _ = writeln!(out, "    {l}");
                }
                out.push_str("  }\n");
            }
        }
    }
    for (id, _) in g.ops() {
        for (src, t) in g.inputs(id) {
            let _ = writeln!(
                out,
                "  n{} -> n{} [label={}];",
                src.0,
                id.0,
                escape(&t.shape.to_string())
            );
        }
    }
    out.push_str("}\n");
    out
}

/// Node label: the provenance name, then the kind and its main parameters.
fn label(name: &str, kind: &OpKind) -> String {
    let params = match kind {
        OpKind::Embedding { vocab, dim, .. } => format!(" vocab={vocab} dim={dim}"),
        OpKind::Norm { dim, .. } => format!(" dim={dim}"),
        OpKind::Linear { k, n, .. } => format!(" {k}x{n}"),
        OpKind::MoeLinear {
            k,
            n,
            experts,
            top_k,
            ..
        } => format!(" {k}x{n} top{top_k}/{experts}"),
        OpKind::Rope {
            heads,
            kv_heads,
            head_dim,
        }
        | OpKind::AttnQk {
            heads,
            kv_heads,
            head_dim,
        }
        | OpKind::AttnSv {
            heads,
            kv_heads,
            head_dim,
        }
        | OpKind::FlashAttn {
            heads,
            kv_heads,
            head_dim,
        } => format!(" h={heads} kv={kv_heads} d={head_dim}"),
        OpKind::KvWrite { kv_heads, head_dim } => format!(" kv={kv_heads} d={head_dim}"),
        OpKind::Softmax { heads } => format!(" h={heads}"),
        OpKind::TopK { experts, top_k } => format!(" top{top_k}/{experts}"),
        OpKind::Act { .. } | OpKind::Add | OpKind::Mul => String::new(),
    };
    format!("{name}\n{}{params}", kind.name())
}

/// Fill colour by kind, so matrix products stand out.
fn style(kind: &OpKind) -> &'static str {
    match kind {
        OpKind::Linear { .. } | OpKind::MoeLinear { .. } => ", style=filled, fillcolor=\"#cfe2ff\"",
        OpKind::AttnQk { .. } | OpKind::AttnSv { .. } | OpKind::FlashAttn { .. } => {
            ", style=filled, fillcolor=\"#ffe0b3\""
        }
        OpKind::KvWrite { .. } => ", style=filled, fillcolor=\"#e0e0e0\"",
        _ => "",
    }
}

/// A dot string literal: quotes and backslashes escaped, newlines as `\n`.
fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => {}
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
