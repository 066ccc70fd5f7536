//! The LLM graph IR: operations (nodes) connected by activation tensors
//! (edges) over a petgraph `StableGraph`, with typed ids.
//!
//! Shapes are symbolic in `B`, `S` and `L` (see [`crate::dim`]); weights are
//! attributes of the ops that own them, not edges. Every op carries its
//! provenance name (`layer12.attn.qk`), which later stages keep.

use crate::dim::Shape;
use crate::spec::{ActFn, NormKind};
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Id of an operation; prints as `%12`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OpId(pub u32);

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// Role of a linear layer; decides its name and how lowering treats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinearRole {
    /// Query projection.
    Q,
    /// Key projection.
    K,
    /// Value projection.
    V,
    /// Fused q/k/v projection.
    Qkv,
    /// Attention output projection.
    O,
    /// Gate projection of a gated MLP.
    Gate,
    /// Up projection.
    Up,
    /// Fused gate and up projections.
    GateUp,
    /// Down projection.
    Down,
    /// Output head over the vocabulary.
    LmHead,
    /// MoE router (hidden → experts logits).
    Router,
}

impl LinearRole {
    /// Name used in text forms.
    pub fn as_str(self) -> &'static str {
        match self {
            LinearRole::Q => "q",
            LinearRole::K => "k",
            LinearRole::V => "v",
            LinearRole::Qkv => "qkv",
            LinearRole::O => "o",
            LinearRole::Gate => "gate",
            LinearRole::Up => "up",
            LinearRole::GateUp => "gate_up",
            LinearRole::Down => "down",
            LinearRole::LmHead => "lm_head",
            LinearRole::Router => "router",
        }
    }
    /// Parses [`LinearRole::as_str`] output.
    pub fn parse(s: &str) -> Option<Self> {
        use LinearRole::*;
        Some(match s {
            "q" => Q,
            "k" => K,
            "v" => V,
            "qkv" => Qkv,
            "o" => O,
            "gate" => Gate,
            "up" => Up,
            "gate_up" => GateUp,
            "down" => Down,
            "lm_head" => LmHead,
            "router" => Router,
            _ => return None,
        })
    }
}

/// What an operation computes. Parameters are the ones cost models need;
/// activation shapes live on the op's input and output tensors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum OpKind {
    /// Token (and learned position) embedding gather: `rows` looked up per token
    /// from tables of width `dim`.
    Embedding {
        /// Vocabulary rows in the table.
        vocab: u64,
        /// Embedding width.
        dim: u64,
        /// Rows of the learned position table (0 with rotary positions).
        positions: u64,
        /// lm_head reuses this table (tied embeddings).
        tied: bool,
    },
    /// RMSNorm or LayerNorm over the last dimension.
    Norm {
        /// Which norm.
        kind: NormKind,
        /// Normalised width.
        dim: u64,
    },
    /// `y[M,N] = x[M,K] · W[K,N] (+ b)`; `M` comes from the input shape.
    Linear {
        /// Role (q, k, v, o, gate, up, down, lm_head, ...).
        role: LinearRole,
        /// Input features.
        k: u64,
        /// Output features.
        n: u64,
        /// Has a bias vector.
        bias: bool,
    },
    /// Mixture-of-experts linear: every token goes through `top_k` of `experts`
    /// matrices of `k × n`.
    MoeLinear {
        /// Role of each expert's matrix (gate, up, gate_up, down).
        role: LinearRole,
        /// Input features.
        k: u64,
        /// Output features.
        n: u64,
        /// Experts in the layer.
        experts: u64,
        /// Experts per token.
        top_k: u64,
    },
    /// Rotary position embedding of q and k heads.
    Rope {
        /// Query heads rotated.
        heads: u64,
        /// Key heads rotated.
        kv_heads: u64,
        /// Head width.
        head_dim: u64,
    },
    /// Writes the new tokens' keys and values into the KV cache. Reads of the
    /// cache are part of the attention ops that consume them
    /// (`attn_qk` reads K, `attn_sv` reads V, `flash_attn` reads both).
    KvWrite {
        /// Key/value heads.
        kv_heads: u64,
        /// Head width.
        head_dim: u64,
    },
    /// `scores[B,H,S,L] = Q[B,H,S,d] · K[B,Hkv,L,d]ᵀ`.
    AttnQk {
        /// Query heads.
        heads: u64,
        /// Key/value heads (GQA groups share them).
        kv_heads: u64,
        /// Head width.
        head_dim: u64,
    },
    /// Row softmax over attention scores.
    Softmax {
        /// Query heads.
        heads: u64,
    },
    /// `out[B,S,H·d] = P[B,H,S,L] · V[B,Hkv,L,d]`.
    AttnSv {
        /// Query heads.
        heads: u64,
        /// Key/value heads.
        kv_heads: u64,
        /// Head width.
        head_dim: u64,
    },
    /// Fused flash attention: q·kᵀ, softmax and ·v without writing scores.
    FlashAttn {
        /// Query heads.
        heads: u64,
        /// Key/value heads.
        kv_heads: u64,
        /// Head width.
        head_dim: u64,
    },
    /// Element-wise activation.
    Act {
        /// Function.
        func: ActFn,
    },
    /// Element-wise add (residuals).
    Add,
    /// Element-wise multiply (gated MLP).
    Mul,
    /// MoE router top-k selection and softmax over the router logits.
    TopK {
        /// Experts scored.
        experts: u64,
        /// Experts kept.
        top_k: u64,
    },
}

impl OpKind {
    /// Short kind name used in text forms and reports (`linear`, `attn_qk`).
    pub fn name(&self) -> &'static str {
        match self {
            OpKind::Embedding { .. } => "embedding",
            OpKind::Norm {
                kind: NormKind::RmsNorm,
                ..
            } => "rmsnorm",
            OpKind::Norm {
                kind: NormKind::LayerNorm,
                ..
            } => "layernorm",
            OpKind::Linear { .. } => "linear",
            OpKind::MoeLinear { .. } => "moe_linear",
            OpKind::Rope { .. } => "rope",
            OpKind::KvWrite { .. } => "kv_write",
            OpKind::AttnQk { .. } => "attn_qk",
            OpKind::Softmax { .. } => "softmax",
            OpKind::AttnSv { .. } => "attn_sv",
            OpKind::FlashAttn { .. } => "flash_attn",
            OpKind::Act { func: ActFn::Silu } => "silu",
            OpKind::Act { func: ActFn::Gelu } => "gelu",
            OpKind::Act { func: ActFn::Relu } => "relu",
            OpKind::Add => "add",
            OpKind::Mul => "mul",
            OpKind::TopK { .. } => "topk",
        }
    }
}

/// One operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// Provenance name, unique in the graph (`layer12.attn.qk`).
    pub name: String,
    /// Decoder layer the op belongs to (`None` for embedding, final norm, lm_head).
    pub layer: Option<u32>,
    /// What it computes.
    pub kind: OpKind,
    /// Shape of the op's (main) output tensor.
    pub out: Shape,
}

/// An activation tensor flowing from one op to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    /// Shape.
    pub shape: Shape,
    /// Position of this tensor among the consumer's inputs.
    pub slot: u8,
}

/// The model graph: a newtype over `StableDiGraph<Op, Tensor>` with typed ids.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    g: StableDiGraph<Op, Tensor>,
    /// Ops in insertion order, which is a topological order.
    order: Vec<OpId>,
    /// lm_head shares the embedding table.
    tied: bool,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an op with its inputs (producer ops; their output tensor is the edge).
    pub fn add_op(&mut self, op: Op, inputs: &[OpId]) -> OpId {
        if let OpKind::Embedding { tied: true, .. } = op.kind {
            self.tied = true;
        }
        let n = self.g.add_node(op);
        let id = OpId(n.index() as u32);
        for (slot, &src) in inputs.iter().enumerate() {
            let shape = self.g[NodeIndex::new(src.0 as usize)].out.clone();
            self.g.add_edge(
                NodeIndex::new(src.0 as usize),
                n,
                Tensor {
                    shape,
                    slot: slot as u8,
                },
            );
        }
        self.order.push(id);
        id
    }

    /// The op with this id.
    pub fn op(&self, id: OpId) -> &Op {
        &self.g[NodeIndex::new(id.0 as usize)]
    }

    /// Ops in topological (construction) order.
    pub fn ops(&self) -> impl Iterator<Item = (OpId, &Op)> + '_ {
        self.order.iter().map(move |&id| (id, self.op(id)))
    }

    /// Number of ops.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when the graph has no ops.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Input tensors of an op, ordered by slot: (producer, tensor).
    pub fn inputs(&self, id: OpId) -> Vec<(OpId, &Tensor)> {
        let mut v: Vec<(OpId, &Tensor)> = self
            .g
            .edges_directed(NodeIndex::new(id.0 as usize), petgraph::Direction::Incoming)
            .map(|e| (OpId(e.source().index() as u32), e.weight()))
            .collect();
        v.sort_by_key(|(_, t)| t.slot);
        v
    }

    /// Consumers of an op's output.
    pub fn consumers(&self, id: OpId) -> Vec<OpId> {
        let mut v: Vec<OpId> = self
            .g
            .edges_directed(NodeIndex::new(id.0 as usize), petgraph::Direction::Outgoing)
            .map(|e| OpId(e.target().index() as u32))
            .collect();
        v.sort();
        v
    }

    /// Finds an op by provenance name.
    pub fn find(&self, name: &str) -> Option<OpId> {
        self.ops().find(|(_, op)| op.name == name).map(|(id, _)| id)
    }

    /// True when lm_head reuses the embedding table.
    pub fn tied_embeddings(&self) -> bool {
        self.tied
    }

    /// Number of decoder layers present (max layer index + 1).
    pub fn layer_count(&self) -> u32 {
        self.ops()
            .filter_map(|(_, o)| o.layer)
            .max()
            .map_or(0, |l| l + 1)
    }

    /// The underlying petgraph, for algorithms that want it.
    pub fn petgraph(&self) -> &StableDiGraph<Op, Tensor> {
        &self.g
    }

    /// Edge ids (for exporters).
    pub fn edge_ids(&self) -> impl Iterator<Item = EdgeIndex> + '_ {
        self.g.edge_indices()
    }
}

/// Two graphs are equal when they hold the same ops in the same order, with
/// the same ids and the same input tensors (what the text form preserves).
impl PartialEq for Graph {
    fn eq(&self, other: &Self) -> bool {
        self.tied == other.tied
            && self.order == other.order
            && self
                .ops()
                .zip(other.ops())
                .all(|((id, a), (_, b))| a == b && self.inputs(id) == other.inputs(id))
    }
}
