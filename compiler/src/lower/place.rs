//! Pass `place`: the HBM memory map (see [`crate::memmap`]). Weights and
//! the KV cache are striped over every channel; the channel-0 regions follow
//! them. Every region starts on a 4 KiB boundary (DMA bursts never cross
//! one). Fails with a clear error when a channel overflows.
//!
//! ```text
//! before:  32 layers, 7 linears each, kv_heads=32, 4097 positions, 32 channels
//! after:   [0, 110 MB) weights (each channel: its slice of every tile row)
//!          [110 MB, 143 MB) kv_cache; channel 0 then: params, rope, input, logits
//! ```

use crate::lower::kernels::{KernelKind, Kernels};
use crate::lower::params::Params;
use crate::lower::tiling::WeightTiling;
use crate::memmap::{KvMap, MemMap, Region, RegionKind};
use crate::CompileError;
use llmfab_isa::EngineConfig;
use llmfab_models::Graph;

const ALIGN: u64 = 4096;

fn up(x: u64) -> u64 {
    x.div_ceil(ALIGN) * ALIGN
}

/// What the map must hold beyond the kernels.
#[derive(Clone, Copy, Debug)]
pub struct Need {
    /// Most rows of any phase (input rows: new tokens of every sequence).
    pub max_seq: u64,
    /// Most sequences of any phase (KV caches and logits rows).
    pub max_batch: u64,
    /// Most positions of any phase (KV rows per head).
    pub max_positions: u64,
    /// Capacity of one channel.
    pub channel_bytes: u64,
    /// Reserve per-layer debug dumps.
    pub debug: bool,
    /// RoPE head width (0: no RoPE).
    pub rope_dim: u64,
}

/// Runs the pass.
pub fn run(
    cfg: &EngineConfig,
    g: &Graph,
    ks: &Kernels,
    wt: &WeightTiling,
    params: &Params,
    need: &Need,
    model: &str,
) -> Result<MemMap, CompileError> {
    let ch = cfg.channels as u64;
    let beat = cfg.beat_bytes();
    let slice = cfg.slice_bytes();
    let n_ops = wt.linears.len();
    let mut m = MemMap {
        channels: cfg.channels,
        channel_bytes: need.channel_bytes,
        weights: vec![None; n_ops],
        bias: vec![None; n_ops],
        ..Default::default()
    };
    let mut at = 0u64;
    let mut weight_bytes = 0;
    for k in &ks.kernels {
        if let KernelKind::Linear { .. } = k.kind {
            let t = wt.of(k.op);
            let bytes = t.rows * slice;
            m.weights[k.op.0 as usize] = Some(at);
            m.regions.push(Region {
                name: g.op(k.op).name.clone(),
                kind: RegionKind::Weights,
                channel: None,
                addr: at,
                bytes,
            });
            at = up(at + bytes);
            weight_bytes += bytes;
        }
    }
    // KV cache.
    let mut layers = 0;
    let mut kv_heads = 0;
    for k in &ks.kernels {
        if let KernelKind::KvWrite { kv_heads: h, .. } = k.kind {
            layers += 1;
            kv_heads = kv_heads.max(h);
        }
    }
    let rows_per_channel = need.max_positions.div_ceil(ch);
    let row_bytes = cfg.kv_row_bytes as u64;
    let seqs = need.max_batch.max(1);
    let kv_bytes = seqs * layers * kv_heads * 2 * rows_per_channel * row_bytes;
    m.kv = KvMap {
        base: at,
        rows_per_channel,
        row_bytes,
        kv_heads,
        layers,
        positions: need.max_positions,
        seqs,
    };
    if kv_bytes > 0 {
        m.regions.push(Region {
            name: "kv_cache".into(),
            kind: RegionKind::KvCache,
            channel: None,
            addr: at,
            bytes: kv_bytes,
        });
    }
    at = up(at + kv_bytes);
    let striped_end = at;
    // Channel 0.
    let mut add = |name: String, kind: RegionKind, bytes: u64, regions: &mut Vec<Region>| {
        let a = at;
        regions.push(Region {
            name,
            kind,
            channel: Some(0),
            addr: a,
            bytes,
        });
        at = up(at + bytes.max(1));
        a
    };
    for b in &params.blobs {
        let name = match b.layer {
            Some(l) => format!("layer{l}.params"),
            None => "final.params".to_string(),
        };
        let a = add(name, RegionKind::Params, b.bytes, &mut m.regions);
        m.blobs.push(a);
    }
    for k in &ks.kernels {
        if let KernelKind::Linear { bias: true, n, .. } = k.kind {
            let bytes = (n * cfg.act_bytes()).div_ceil(beat) * beat;
            let a = add(
                format!("{}.bias", g.op(k.op).name),
                RegionKind::Bias,
                bytes,
                &mut m.regions,
            );
            m.bias[k.op.0 as usize] = Some(a);
        }
    }
    if need.rope_dim > 0 {
        let unit = beat.max(2 * cfg.sfu_lanes as u64);
        let row = (2 * need.rope_dim).div_ceil(unit) * unit;
        let a = add(
            "rope".into(),
            RegionKind::Rope,
            row * need.max_positions,
            &mut m.regions,
        );
        m.rope = (a, row);
    }
    let in_row = (ks.hidden * cfg.act_bytes()).div_ceil(beat) * beat;
    let a = add(
        "input".into(),
        RegionKind::Input,
        in_row * need.max_seq,
        &mut m.regions,
    );
    m.input = (a, in_row, need.max_seq);
    let lg = (ks.vocab * cfg.act_bytes()).div_ceil(beat) * beat;
    let a = add(
        "logits".into(),
        RegionKind::Logits,
        lg * seqs,
        &mut m.regions,
    );
    m.logits = (a, lg);
    if need.debug {
        let a = add(
            "debug".into(),
            RegionKind::Debug,
            layers.max(1) * in_row * need.max_seq,
            &mut m.regions,
        );
        m.debug = Some(a);
    }
    m.used = (0..ch)
        .map(|c| if c == 0 { at } else { striped_end })
        .collect();
    if at > need.channel_bytes {
        let gib = |b: u64| format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64);
        let mib = |b: u64| format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64);
        return Err(CompileError::DoesNotFit {
            model: model.to_string(),
            board: format!("{ch} memory channel(s) of {}", mib(need.channel_bytes)),
            problems: vec![format!(
                "channel 0 needs {} ({} of weights and {} of KV cache over all {ch} channels, plus {} of tables and I/O on channel 0); the channels used hold {} in all",
                mib(at),
                gib(weight_bytes * ch),
                gib(kv_bytes * ch),
                mib(at - striped_end),
                gib(need.channel_bytes * ch)
            )],
        });
    }
    Ok(m)
}
