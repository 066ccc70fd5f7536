//! `load` and `store` (docs/engine.md §4): row `i` of `row_bytes` bytes
//! moves between memory address `hbm_addr + i·hbm_stride` of channel `ch`
//! and the buffer, addressed per buffer (ABUF/SBUF rows, the WBUF slice
//! stream, KV rows).

use super::{sub, sub_mut, Ex, Machine};
use crate::check::span;
use crate::instr::{Buf, Load, Store};
use crate::IsaError;

/// Buffer byte ranges `(buffer address, stream offset, length)` a transfer
/// touches, in stream order.
fn pieces(
    m: &Machine,
    buf: Buf,
    ch: u64,
    rows: u64,
    row_bytes: u64,
    buf_addr: u64,
    buf_stride: u64,
) -> Vec<(u64, u64, u64)> {
    let cfg = &m.cfg;
    let mut out = Vec::new();
    match buf {
        Buf::Wbuf => {
            let (tile, slice) = (cfg.tile_bytes(), cfg.slice_bytes());
            let r0 = buf_addr / tile;
            let total = rows * row_bytes;
            let mut j = 0;
            while j < total {
                let n = (slice - j % slice).min(total - j);
                out.push(((r0 + j / slice) * tile + ch * slice + j % slice, j, n));
                j += n;
            }
        }
        Buf::Kvbuf => {
            let kvrb = cfg.kv_row_bytes as u64;
            let (r0, step) = (buf_addr / kvrb, buf_stride / kvrb);
            for i in 0..rows {
                out.push(((r0 + i * step) * kvrb, i * row_bytes, row_bytes));
            }
        }
        _ => {
            for i in 0..rows {
                out.push((buf_addr + i * buf_stride, i * row_bytes, row_bytes));
            }
        }
    }
    out
}

fn memory_bounds(
    m: &Machine,
    ex: &Ex,
    ch: u64,
    rows: u64,
    row_bytes: u64,
    hbm_addr: u64,
    hbm_stride: u64,
) -> Result<(), IsaError> {
    let size = m
        .hbm
        .get(ch as usize)
        .map(|h| h.len())
        .ok_or_else(|| ex.err("ch", format!("no memory image for channel {ch}")))?;
    let end = span(hbm_addr, rows, hbm_stride, row_bytes);
    if end > size as u128 {
        return Err(ex.err(
            "hbm_addr",
            format!("memory rows (hbm_addr + (rows-1)·hbm_stride + row_bytes) end at byte {end}, past the end of channel {ch}'s memory ({size} bytes)"),
        ));
    }
    Ok(())
}

pub(super) fn load(m: &mut Machine, ex: &Ex, x: &Load) -> Result<(), IsaError> {
    memory_bounds(m, ex, x.ch, x.rows, x.row_bytes, x.hbm_addr, x.hbm_stride)?;
    let buf = Buf::from_id(x.buf).ok_or_else(|| ex.err("buf", "unknown buffer"))?;
    let mut stream = Vec::with_capacity((x.rows * x.row_bytes) as usize);
    for i in 0..x.rows {
        let row = sub(
            &m.hbm[x.ch as usize],
            x.hbm_addr + i * x.hbm_stride,
            x.row_bytes,
            ex,
            "hbm_addr",
            "memory row",
        )?;
        stream.extend_from_slice(row);
    }
    let ps = pieces(m, buf, x.ch, x.rows, x.row_bytes, x.buf_addr, x.buf_stride);
    let target = m.buffer_mut(buf);
    for (addr, off, n) in ps {
        sub_mut(target, addr, n, ex, "buf_addr", "buffer row")?
            .copy_from_slice(&stream[off as usize..(off + n) as usize]);
    }
    Ok(())
}

pub(super) fn store(m: &mut Machine, ex: &Ex, x: &Store) -> Result<(), IsaError> {
    memory_bounds(m, ex, x.ch, x.rows, x.row_bytes, x.hbm_addr, x.hbm_stride)?;
    let buf = Buf::from_id(x.buf).ok_or_else(|| ex.err("buf", "unknown buffer"))?;
    let mut stream = vec![0u8; (x.rows * x.row_bytes) as usize];
    for (addr, off, n) in pieces(m, buf, x.ch, x.rows, x.row_bytes, x.buf_addr, x.buf_stride) {
        stream[off as usize..(off + n) as usize].copy_from_slice(sub(
            m.buffer(buf),
            addr,
            n,
            ex,
            "buf_addr",
            "buffer row",
        )?);
    }
    let mem = &mut m.hbm[x.ch as usize];
    for i in 0..x.rows {
        let r = &stream[(i * x.row_bytes) as usize..((i + 1) * x.row_bytes) as usize];
        sub_mut(
            mem,
            x.hbm_addr + i * x.hbm_stride,
            x.row_bytes,
            ex,
            "hbm_addr",
            "memory row",
        )?
        .copy_from_slice(r);
    }
    Ok(())
}
