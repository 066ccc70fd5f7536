//! Rules of `load` and `store` (docs/engine.md §4).

use super::{span, Ctx};
use crate::instr::{Buf, Load, Store};

/// The fields `load` and `store` share.
struct Dma {
    ch: u64,
    buf: u64,
    rows: u64,
    row_bytes: u64,
    hbm_addr: u64,
    hbm_stride: u64,
    buf_addr: u64,
    buf_stride: u64,
}

pub(super) fn load(cx: &mut Ctx, l: &Load) {
    let d = Dma {
        ch: l.ch,
        buf: l.buf,
        rows: l.rows,
        row_bytes: l.row_bytes,
        hbm_addr: l.hbm_addr,
        hbm_stride: l.hbm_stride,
        buf_addr: l.buf_addr,
        buf_stride: l.buf_stride,
    };
    dma(cx, &d, true);
}

pub(super) fn store(cx: &mut Ctx, s: &Store) {
    let d = Dma {
        ch: s.ch,
        buf: s.buf,
        rows: s.rows,
        row_bytes: s.row_bytes,
        hbm_addr: s.hbm_addr,
        hbm_stride: s.hbm_stride,
        buf_addr: s.buf_addr,
        buf_stride: s.buf_stride,
    };
    dma(cx, &d, false);
}

fn dma(cx: &mut Ctx, d: &Dma, load: bool) {
    let (allowed, expected): (&[Buf], &str) = if load {
        (
            &[Buf::Abuf, Buf::Wbuf, Buf::Kvbuf, Buf::Sbuf],
            "abuf, wbuf, kvbuf or sbuf",
        )
    } else {
        (
            &[Buf::Abuf, Buf::Kvbuf],
            "abuf or kvbuf (sbuf and wbuf are load-only, acc is not reachable by DMA)",
        )
    };
    let cfg = cx.cfg;
    let beat = cfg.beat_bytes();
    let channels = cfg.channels as u64;
    let ch_ok = d.ch < channels;
    if !ch_ok {
        cx.bad(
            "ch",
            format!("= {}, expected a channel below {channels}", d.ch),
        );
    }
    let buf = match Buf::from_id(d.buf).filter(|b| allowed.contains(b)) {
        Some(b) => b,
        None => {
            let shown = Buf::from_id(d.buf)
                .map(|b| b.name().to_string())
                .unwrap_or_else(|| d.buf.to_string());
            cx.bad("buf", format!("= {shown}, expected {expected}"));
            return;
        }
    };
    let rows_ok = cx.positive("rows", d.rows);
    if d.row_bytes < beat {
        cx.bad(
            "row_bytes",
            format!("= {}, expected at least one {beat}-byte beat", d.row_bytes),
        );
    }
    cx.multiple("row_bytes", d.row_bytes, beat, "the AXI beat");
    cx.multiple("hbm_addr", d.hbm_addr, beat, "the AXI beat");
    cx.multiple("hbm_stride", d.hbm_stride, beat, "the AXI beat");
    if !load {
        cx.distinct_rows("hbm_stride", d.hbm_stride, d.rows, d.row_bytes);
    }
    if !rows_ok {
        return;
    }
    match buf {
        Buf::Abuf | Buf::Sbuf => {
            if d.ch != 0 {
                cx.bad(
                    "ch",
                    format!(
                        "= {}, expected 0 ({} is reached through channel 0 only)",
                        d.ch,
                        buf.name()
                    ),
                );
            }
            cx.multiple("buf_addr", d.buf_addr, beat, "the AXI beat");
            cx.multiple("buf_stride", d.buf_stride, beat, "the AXI beat");
            let end = span(d.buf_addr, d.rows, d.buf_stride, d.row_bytes);
            cx.within(
                "buf_addr",
                end,
                buf,
                "the rows (buf_addr + (rows-1)·buf_stride + row_bytes)",
            );
            if load {
                cx.distinct_rows("buf_stride", d.buf_stride, d.rows, d.row_bytes);
            }
        }
        Buf::Wbuf => {
            let tile = cfg.tile_bytes();
            let slice = cfg.slice_bytes();
            if d.buf_stride != 0 {
                cx.bad(
                    "buf_stride",
                    format!(
                        "= {}, expected 0 (weight-buffer transfers are one byte stream)",
                        d.buf_stride
                    ),
                );
            }
            let r0 = d.buf_addr / tile;
            if ch_ok && d.buf_addr != r0 * tile + d.ch * slice {
                cx.bad(
                    "buf_addr",
                    format!(
                        "= {}, expected row·{tile} + ch·{slice} = {} (channel {} fills only its own {slice}-byte slice of each {tile}-byte tile)",
                        d.buf_addr,
                        r0 * tile + d.ch * slice,
                        d.ch
                    ),
                );
            }
            let total = d.rows as u128 * d.row_bytes as u128;
            let tiles = total.div_ceil(slice as u128);
            let end = (r0 as u128 + tiles) * tile as u128;
            cx.within("rows", end, buf, &format!("the stream of rows·row_bytes = {total} bytes ({tiles} tile rows from row {r0})"));
        }
        Buf::Kvbuf => {
            let kvrb = cfg.kv_row_bytes as u64;
            cx.multiple("buf_addr", d.buf_addr, kvrb, "kv_row_bytes");
            let stride_ok = cx.multiple("buf_stride", d.buf_stride, kvrb, "kv_row_bytes");
            if d.row_bytes > kvrb {
                cx.bad(
                    "row_bytes",
                    format!("= {}, expected at most kv_row_bytes = {kvrb}", d.row_bytes),
                );
            }
            if load {
                cx.distinct_rows("buf_stride", d.buf_stride, d.rows, kvrb);
            }
            let r0 = d.buf_addr / kvrb;
            let step = d.buf_stride / kvrb;
            let last = r0 as u128 + (d.rows as u128 - 1) * step as u128;
            if last >= cfg.kvbuf_rows() as u128 {
                cx.bad(
                    "rows",
                    format!(
                        "KV row {last} is past the last row {} of kvbuf",
                        cfg.kvbuf_rows() - 1
                    ),
                );
            }
            if ch_ok && r0 % channels != d.ch {
                cx.bad(
                    "buf_addr",
                    format!(
                        "KV row {r0} belongs to channel {} (row mod {channels}), not ch = {}",
                        r0 % channels,
                        d.ch
                    ),
                );
            }
            if stride_ok && d.rows > 1 && !step.is_multiple_of(channels) {
                cx.bad(
                    "buf_stride",
                    format!("= {} ({step} rows), expected a multiple of {channels} rows so every row touched belongs to channel ch", d.buf_stride),
                );
            }
        }
        Buf::Acc => {}
    }
}
