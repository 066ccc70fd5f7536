//! The HBM memory map of a build: where every weight matrix, scale blob,
//! table, the KV cache and the program's input and output live, per memory
//! channel (channel-local byte addresses, docs/engine.md §4).
//!
//! Two kinds of regions:
//! - *striped* regions (weights, KV cache) occupy the same address range on
//!   every channel: weights as each channel's slice of every weight-buffer
//!   row, the KV cache with position `p` of a head on channel `p mod CH`;
//! - *channel-0* regions (norm weights and tables, RoPE table, biases, input
//!   and logits), which the activation and scale buffers reach through
//!   channel 0 only.

use serde::{Deserialize, Serialize};

/// What a region holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// A linear op's weight tiles and int16 scales, chunk by chunk.
    Weights,
    /// A layer's SBUF blob: norm weights, LayerNorm biases, activation tables.
    Params,
    /// A linear op's bias row (activation integers at the output scale).
    Bias,
    /// RoPE (cos, sin) rows, one per position.
    Rope,
    /// The KV cache of every layer.
    KvCache,
    /// The program input: embedded hidden states, one row per new token.
    Input,
    /// The program output: the logits of the last token (of each sequence).
    Logits,
    /// Debug dumps of each layer's output rows (optional).
    Debug,
}

/// One region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Name (op name for weights, `kv_cache`, `input`, ...).
    pub name: String,
    /// Content.
    pub kind: RegionKind,
    /// Channel (`None`: the same range on every channel).
    pub channel: Option<u32>,
    /// First byte (channel-local).
    pub addr: u64,
    /// Bytes (per channel for striped regions).
    pub bytes: u64,
}

/// KV-cache addressing: position `p` of KV head `j` of layer `l` of
/// sequence `s`, keys (`kind` 0) or values (1), is the row at channel
/// `p mod CH`, address
/// `base + ((((s·layers + l)·kv_heads + j)·2 + kind)·rows_per_channel + p div CH)·row_bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KvMap {
    /// First byte on every channel.
    pub base: u64,
    /// Rows of one (layer, head, kind) per channel.
    pub rows_per_channel: u64,
    /// Bytes per row (the engine's `kv_row_bytes`).
    pub row_bytes: u64,
    /// KV heads per layer.
    pub kv_heads: u64,
    /// Layers.
    pub layers: u64,
    /// Positions held.
    pub positions: u64,
    /// Sequences held (the largest batch of the build).
    #[serde(default = "crate::one_sequence")]
    pub seqs: u64,
}

impl KvMap {
    /// (channel, address) of a row of sequence `seq`.
    pub fn row(
        &self,
        channels: u64,
        seq: u64,
        layer: u64,
        head: u64,
        kind: u64,
        pos: u64,
    ) -> (u64, u64) {
        let slot = ((seq * self.layers + layer) * self.kv_heads + head) * 2 + kind;
        (
            pos % channels,
            self.base + (slot * self.rows_per_channel + pos / channels) * self.row_bytes,
        )
    }
}

/// The memory map of a build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MemMap {
    /// Channels used.
    pub channels: u32,
    /// Capacity of each channel.
    pub channel_bytes: u64,
    /// Bytes used on each channel.
    pub used: Vec<u64>,
    /// Every region, by address.
    pub regions: Vec<Region>,
    /// Per op id: first byte of a linear's weight region (striped).
    pub weights: Vec<Option<u64>>,
    /// Per op id: channel-0 address of a linear's bias row.
    pub bias: Vec<Option<u64>>,
    /// Per parameter blob: its channel-0 address.
    pub blobs: Vec<u64>,
    /// RoPE table address (channel 0) and bytes per row.
    pub rope: (u64, u64),
    /// KV cache.
    pub kv: KvMap,
    /// Input rows: address (channel 0), bytes per row, rows.
    pub input: (u64, u64, u64),
    /// Logits: address (channel 0) and bytes of one sequence's row (the
    /// rows of a batch follow each other).
    pub logits: (u64, u64),
    /// Debug dumps: address (channel 0) of layer 0's rows; layer `l` is
    /// `l · input rows · input row bytes` further.
    pub debug: Option<u64>,
}

impl MemMap {
    /// The region named `name`.
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name == name)
    }
    /// Address of layer `l`'s debug rows.
    pub fn debug_rows(&self, layer: u64) -> Option<u64> {
        self.debug.map(|d| d + layer * self.input.1 * self.input.2)
    }
}
