//! Builds the HBM image of a build from integer model data: weights tile by
//! tile in the memory map's chunk order (each channel its slice of every
//! weight-buffer row), scales after each chunk's tiles, SBUF blobs, biases,
//! the RoPE table, and the program input; and reads results back.

use crate::data::Weights;
use crate::lower::params::ItemKind;
use crate::lower::Prepared;
use crate::sfu;
use llmfab_isa::EngineConfig;

/// Little-endian bytes of `v` as a `bits`-bit integer.
fn put(buf: &mut [u8], at: usize, v: i64, bytes: usize) {
    for i in 0..bytes {
        buf[at + i] = (v >> (8 * i)) as u8;
    }
}

/// Reads a little-endian signed integer of `bytes` bytes.
pub fn get(buf: &[u8], at: usize, bytes: usize) -> i64 {
    let mut v: i64 = 0;
    for i in 0..bytes {
        v |= (buf[at + i] as i64) << (8 * i);
    }
    let sh = 64 - 8 * bytes as u32;
    (v << sh) >> sh
}

/// Reads element `i` of `bits` bits from a packed row.
pub fn get_packed(buf: &[u8], at: usize, i: usize, bits: u32) -> i64 {
    if bits >= 8 {
        return get(buf, at + i * bits as usize / 8, bits as usize / 8);
    }
    let bit = i * bits as usize;
    let byte = buf[at + bit / 8] as i64;
    let raw = (byte >> (bit % 8)) & ((1 << bits) - 1);
    let sh = 64 - bits;
    (raw << sh) >> sh
}

/// Writes element `i` of `bits` bits into a packed row.
fn put_packed(buf: &mut [u8], at: usize, i: usize, v: i64, bits: u32) {
    if bits >= 8 {
        return put(buf, at + i * bits as usize / 8, v, bits as usize / 8);
    }
    let bit = i * bits as usize;
    let mask = ((1u16 << bits) - 1) as u8;
    let sh = (bit % 8) as u32;
    let b = &mut buf[at + bit / 8];
    *b = (*b & !(mask << sh)) | (((v as u8) & mask) << sh);
}

/// The memory image of every channel (sized to the map's use).
pub fn image(
    cfg: &EngineConfig,
    pre: &Prepared,
    weights: &Weights,
    rope_theta: f64,
) -> Vec<Vec<u8>> {
    let map = &pre.map;
    let mut hbm: Vec<Vec<u8>> = map.used.iter().map(|&u| vec![0u8; u as usize]).collect();
    let (r, c, g) = (
        cfg.rows as usize,
        cfg.cols as usize,
        cfg.group_size as usize,
    );
    let tile = cfg.tile_bytes() as usize;
    let slice = cfg.slice_bytes() as usize;
    let wb = cfg.weight_bits as usize;
    for (i, t) in pre.tiling.linears.iter().enumerate() {
        let (Some(t), Some(base)) = (t, map.weights[i]) else {
            continue;
        };
        let Some(w) = weights.linear[i].as_ref() else {
            continue;
        };
        let n = w.n as usize;
        let mut row = vec![0u8; tile];
        for ch in &t.chunks {
            let (n0, nb, k0, kc) = (
                ch.n0 as usize,
                ch.nb as usize,
                ch.k0 as usize,
                ch.kc as usize,
            );
            let kt = kc.div_ceil(r);
            let nt = nb.div_ceil(c);
            let ng = kc.div_ceil(g);
            let mut rows: Vec<Vec<u8>> = Vec::new();
            for ti in 0..nt {
                for ki in 0..kt {
                    row.iter_mut().for_each(|b| *b = 0);
                    for e in 0..r * c {
                        let (cc, rr) = (e / r, e % r);
                        let (col, kk) = (ti * c + cc, ki * r + rr);
                        if col < nb && kk < kc {
                            let v = w.q[(k0 + kk) * n + n0 + col] as i64 & ((1 << wb) - 1);
                            let bit = e * wb;
                            for b in 0..wb {
                                if v >> b & 1 == 1 {
                                    row[(bit + b) / 8] |= 1 << ((bit + b) % 8);
                                }
                            }
                        }
                    }
                    rows.push(row.clone());
                }
            }
            let mut scales = vec![0u8; ch.scale_rows as usize * tile];
            for ti in 0..nt {
                for gi in 0..ng {
                    for cc in 0..c {
                        let col = ti * c + cc;
                        if col < nb {
                            let s = w.s[(k0 / g + gi) * n + n0 + col] as i64;
                            put(&mut scales, ((ti * ng + gi) * 2 * c) + cc * 2, s, 2);
                        }
                    }
                }
            }
            rows.extend(scales.chunks(tile).map(|x| x.to_vec()));
            for (ri, rowb) in rows.iter().enumerate() {
                let at = base as usize + (ch.row0 as usize + ri) * slice;
                for (chan, mem) in hbm.iter_mut().enumerate() {
                    mem[at..at + slice].copy_from_slice(&rowb[chan * slice..(chan + 1) * slice]);
                }
            }
        }
        if let (Some(b), Some(addr)) = (&w.bias, map.bias[i]) {
            let ab = cfg.act_bytes() as usize;
            for (j, v) in b.iter().enumerate() {
                put(&mut hbm[0], addr as usize + j * ab, *v, ab);
            }
        }
    }
    for (bi, blob) in pre.params.blobs.iter().enumerate() {
        let base = map.blobs[bi] as usize;
        for it in &blob.items {
            let op = pre.kernels.kernels[it.kernel].op;
            let at = base + it.offset as usize;
            match it.kind {
                ItemKind::Norm { dim, layer_norm } => {
                    let nw = weights.norm(op);
                    for j in 0..dim as usize {
                        put(&mut hbm[0], at + 2 * j, nw.gamma[j] as i64, 2);
                        if layer_norm {
                            put(
                                &mut hbm[0],
                                at + 2 * (dim as usize + j),
                                nw.beta[j] as i64,
                                2,
                            );
                        }
                    }
                }
                ItemKind::Table => {
                    for (j, v) in pre.plan.table(op).iter().enumerate() {
                        put(&mut hbm[0], at + 2 * j, *v as i64, 2);
                    }
                }
            }
        }
    }
    let (rope, row) = map.rope;
    if row > 0 {
        let d = rope_dim(pre);
        for p in 0..map.kv.positions {
            for (j, v) in sfu::rope_row(p, d, rope_theta).iter().enumerate() {
                put(&mut hbm[0], (rope + p * row) as usize + 2 * j, *v as i64, 2);
            }
        }
    }
    hbm
}

fn rope_dim(pre: &Prepared) -> u64 {
    pre.kernels
        .kernels
        .iter()
        .find_map(|k| {
            if let crate::lower::kernels::KernelKind::Rope { head_dim, .. } = k.kind {
                Some(head_dim)
            } else {
                None
            }
        })
        .unwrap_or(0)
}

/// Writes the program input (one row per new token) into channel 0.
pub fn write_input(cfg: &EngineConfig, pre: &Prepared, hbm: &mut [Vec<u8>], rows: &[Vec<i64>]) {
    let (base, row, _) = pre.map.input;
    let ab = cfg.act_bytes() as usize;
    for (t, r) in rows.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            put(
                &mut hbm[0],
                (base + t as u64 * row) as usize + j * ab,
                *v,
                ab,
            );
        }
    }
}

/// Reads the logits the program stored.
pub fn read_logits(cfg: &EngineConfig, pre: &Prepared, hbm: &[Vec<u8>]) -> Vec<i64> {
    read_logits_of(cfg, pre, hbm, 0)
}

/// Reads the logits of sequence `seq` of a batched decode step.
pub fn read_logits_of(cfg: &EngineConfig, pre: &Prepared, hbm: &[Vec<u8>], seq: u64) -> Vec<i64> {
    let ab = cfg.act_bytes() as usize;
    let base = (pre.map.logits.0 + seq * pre.map.logits.1) as usize;
    (0..pre.kernels.vocab as usize)
        .map(|j| get(&hbm[0], base + j * ab, ab))
        .collect()
}

/// One KV-cache row: sequence, layer, KV head, keys (0) or values (1), position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvRow {
    /// Sequence (0 but in a batched build).
    pub seq: u64,
    /// Layer (kv_write order).
    pub layer: u64,
    /// KV head.
    pub head: u64,
    /// 0 keys, 1 values.
    pub kind: u64,
    /// Position.
    pub pos: u64,
}

/// Channel and byte address of a KV row.
fn kv_at(cfg: &EngineConfig, pre: &Prepared, r: KvRow) -> (usize, usize) {
    let (ch, addr) = pre
        .map
        .kv
        .row(cfg.channels as u64, r.seq, r.layer, r.head, r.kind, r.pos);
    (ch as usize, addr as usize)
}

/// Reads one cached KV row of `head_dim` elements.
pub fn read_kv(
    cfg: &EngineConfig,
    pre: &Prepared,
    hbm: &[Vec<u8>],
    r: KvRow,
    head_dim: u64,
) -> Vec<i64> {
    let (ch, addr) = kv_at(cfg, pre, r);
    (0..head_dim as usize)
        .map(|i| get_packed(&hbm[ch], addr, i, cfg.kv_bits))
        .collect()
}

/// Writes one KV row (`values` at the cache's bit width) into the image,
/// as a previous step would have stored it.
pub fn write_kv(cfg: &EngineConfig, pre: &Prepared, hbm: &mut [Vec<u8>], r: KvRow, values: &[i64]) {
    let (ch, addr) = kv_at(cfg, pre, r);
    for (i, v) in values.iter().enumerate() {
        put_packed(&mut hbm[ch], addr, i, *v, cfg.kv_bits);
    }
}

/// Reads layer `layer`'s debug rows (when the build reserved them).
pub fn read_debug(
    cfg: &EngineConfig,
    pre: &Prepared,
    hbm: &[Vec<u8>],
    layer: u64,
    rows: u64,
) -> Option<Vec<Vec<i64>>> {
    let base = pre.map.debug_rows(layer)? as usize;
    let row = pre.map.input.1 as usize;
    let ab = cfg.act_bytes() as usize;
    Some(
        (0..rows as usize)
            .map(|t| {
                (0..pre.kernels.hidden as usize)
                    .map(|j| get(&hbm[0], base + t * row + j * ab, ab))
                    .collect()
            })
            .collect(),
    )
}
