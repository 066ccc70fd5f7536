//! Analysis `params`: what each layer keeps in the scale buffer (SBUF):
//! norm weights (and LayerNorm biases) and activation tables, packed into one
//! blob per layer (plus one for the ops after the last layer), each item
//! aligned to the AXI beat and to `2·sfu_lanes` bytes. The blob is stored in HBM channel 0 and loaded
//! into one of two SBUF slots a layer ahead.

use crate::lower::kernels::{KernelKind, Kernels};
use llmfab_isa::EngineConfig;
use llmfab_models::NormKind;

/// What an SBUF item holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// Norm weights γ (int16 × dim), then β for LayerNorm.
    Norm {
        /// Normalised width.
        dim: u64,
        /// LayerNorm (γ then β).
        layer_norm: bool,
    },
    /// A 257-entry int16 activation table.
    Table,
}

/// One item of a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    /// Index of the kernel using it.
    pub kernel: usize,
    /// Content.
    pub kind: ItemKind,
    /// Byte offset in the blob.
    pub offset: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One blob: a layer's items (or the tail's).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Blob {
    /// Decoder layer (`None`: the ops after the last layer).
    pub layer: Option<u32>,
    /// Items in kernel order.
    pub items: Vec<Item>,
    /// Bytes (a multiple of the beat).
    pub bytes: u64,
}

/// All blobs, in layer order, and which blob/item each kernel uses.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Params {
    /// Blobs in execution order.
    pub blobs: Vec<Blob>,
    /// Per kernel: (blob index, item index).
    pub of_kernel: Vec<Option<(usize, usize)>>,
}

impl Params {
    /// Largest blob (the SBUF slot size).
    pub fn slot_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.bytes).max().unwrap_or(0)
    }
}

/// Computes the blobs of `ks`.
pub fn run(cfg: &EngineConfig, ks: &Kernels) -> Params {
    // Beat-aligned for the DMA, and 2·sfu_lanes-aligned so the SFU reads
    // whole words (docs/rtl.md, P-SFU-2).
    let beat = cfg.beat_bytes().max(2 * cfg.sfu_lanes as u64);
    let mut p = Params {
        blobs: Vec::new(),
        of_kernel: vec![None; ks.kernels.len()],
    };
    for (i, k) in ks.kernels.iter().enumerate() {
        let kind = match &k.kind {
            KernelKind::Norm { kind, x, .. } => ItemKind::Norm {
                dim: x.width,
                layer_norm: *kind == NormKind::LayerNorm,
            },
            KernelKind::Act { .. } => ItemKind::Table,
            _ => continue,
        };
        let bytes = match kind {
            ItemKind::Norm { dim, layer_norm } => dim * 2 * if layer_norm { 2 } else { 1 },
            ItemKind::Table => 2 * crate::sfu::TABLE_LEN as u64,
        }
        .div_ceil(beat)
            * beat;
        if p.blobs.last().is_none_or(|b| b.layer != k.layer) {
            p.blobs.push(Blob {
                layer: k.layer,
                items: Vec::new(),
                bytes: 0,
            });
        }
        let bi = p.blobs.len() - 1;
        let b = &mut p.blobs[bi];
        b.items.push(Item {
            kernel: i,
            kind,
            offset: b.bytes,
            bytes,
        });
        b.bytes += bytes;
        p.of_kernel[i] = Some((bi, b.items.len() - 1));
    }
    p
}
