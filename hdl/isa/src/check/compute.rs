//! Rules of `matmul` (docs/engine.md §5.2) and `requant` (§5.3).

use super::{span, Ctx};
use crate::instr::{Buf, Matmul, Requant};

pub(super) fn matmul(cx: &mut Ctx, x: &Matmul) {
    let cfg = cx.cfg;
    let (r, c) = (cfg.rows as u64, cfg.cols as u64);
    let ab = cfg.act_bytes();
    let dims = [("m", x.m), ("n", x.n), ("k", x.k)].map(|(f, v)| cx.positive(f, v));
    let dims_ok = dims.iter().all(|&ok| ok);
    if x.abits != cfg.act_bits as u64 {
        cx.bad(
            "abits",
            format!("= {}, expected act_bits = {}", x.abits, cfg.act_bits),
        );
    }
    let want_b = if x.bsrc == 0 {
        cfg.weight_bits
    } else {
        cfg.kv_bits
    };
    if x.bbits != want_b as u64 {
        let what = if x.bsrc == 0 {
            "weight_bits (bsrc = 0)"
        } else {
            "kv_bits (bsrc = 1)"
        };
        cx.bad(
            "bbits",
            format!("= {}, expected {what} = {want_b}", x.bbits),
        );
    }
    if x.dequant == 1 && x.bsrc == 1 {
        cx.bad(
            "dequant",
            "= 1, expected 0 when bsrc = 1 (dequantisation scales exist for weights only)",
        );
    }
    if x.btrans == 1 && x.bsrc == 0 {
        cx.bad(
            "btrans",
            "= 1, expected 0 when bsrc = 0 (btrans selects the KV-buffer layout)",
        );
    }
    let aw = cfg.a_word_bytes();
    cx.multiple("a_addr", x.a_addr, aw, "the A word, rows·act_bits/8");
    cx.multiple("a_pitch", x.a_pitch, aw, "the A word, rows·act_bits/8");
    let accw = cfg.acc_word_bytes();
    cx.multiple("acc_addr", x.acc_addr, accw, "the ACC word, cols·4");
    cx.multiple("acc_pitch", x.acc_pitch, accw, "the ACC word, cols·4");
    if !dims_ok {
        return;
    }
    cx.within(
        "a_addr",
        span(x.a_addr, x.m, x.a_pitch, x.k * ab),
        Buf::Abuf,
        "A (a_addr + (m-1)·a_pitch + k·act_bytes)",
    );
    cx.within(
        "acc_addr",
        span(x.acc_addr, x.m, x.acc_pitch, 4 * x.n),
        Buf::Acc,
        "the result (acc_addr + (m-1)·acc_pitch + 4·n)",
    );
    cx.distinct_rows("acc_pitch", x.acc_pitch, x.m, 4 * x.n);
    if x.bsrc == 0 {
        let tile = cfg.tile_bytes();
        cx.multiple("b_addr", x.b_addr, tile, "the weight tile");
        let (kt, nt) = (x.k.div_ceil(r) as u128, x.n.div_ceil(c) as u128);
        let end = (x.b_addr / tile) as u128 * tile as u128 + nt * kt * tile as u128;
        cx.within(
            "b_addr",
            end,
            Buf::Wbuf,
            &format!("B ({nt}·{kt} tiles from b_addr)"),
        );
        if x.dequant == 1 {
            cx.multiple("s_addr", x.s_addr, tile, "the weight tile");
            let ng = x.k.div_ceil(cfg.group_size as u64) as u128;
            let end = x.s_addr as u128 + nt * ng * 2 * c as u128;
            cx.within(
                "s_addr",
                end,
                Buf::Wbuf,
                &format!("the scales ({nt}·{ng} groups of 2·cols bytes from s_addr)"),
            );
        }
    } else {
        let kvrb = cfg.kv_row_bytes as u64;
        let kb = cfg.kv_bits as u64;
        let unit = (r.max(c) * kb / 8).max(1);
        let off = x.b_addr % kvrb;
        cx.multiple(
            "b_addr",
            off,
            unit,
            "in-row offset b_addr mod kv_row_bytes must be a multiple of max(rows, cols)·kv_bits/8",
        );
        let (rows, per_row, row_field, elem_field) = if x.btrans == 0 {
            (x.k, x.n, "k", "n")
        } else {
            (x.n, x.k, "n", "k")
        };
        if off as u128 * 8 + per_row as u128 * kb as u128 > kvrb as u128 * 8 {
            cx.bad(
                elem_field,
                format!("= {per_row}: {per_row} elements of {kb} bits from in-row byte {off} do not fit a {kvrb}-byte KV row"),
            );
        }
        let last = (x.b_addr / kvrb) as u128 + rows as u128 - 1;
        if last >= cfg.kvbuf_rows() as u128 {
            cx.bad(
                row_field,
                format!(
                    "B reads KV rows up to {last}, past the last row {} of kvbuf",
                    cfg.kvbuf_rows() - 1
                ),
            );
        }
    }
}

pub(super) fn requant(cx: &mut Ctx, x: &Requant) {
    let cfg = cx.cfg;
    let lanes = cfg.sfu_lanes as u64;
    let ab = cfg.act_bytes();
    let dims_ok = [("m", x.m), ("n", x.n)]
        .map(|(f, v)| cx.positive(f, v))
        .iter()
        .all(|&ok| ok);
    let src = match Buf::from_id(x.src) {
        Some(b @ (Buf::Acc | Buf::Abuf)) => Some(b),
        _ => {
            cx.bad(
                "src",
                format!("= {}, expected acc or abuf", buf_shown(x.src)),
            );
            None
        }
    };
    let dst = match Buf::from_id(x.dst) {
        Some(b @ (Buf::Abuf | Buf::Kvbuf)) => Some(b),
        _ => {
            cx.bad(
                "dst",
                format!("= {}, expected abuf or kvbuf", buf_shown(x.dst)),
            );
            None
        }
    };
    if let Some(src) = src {
        let (unit, what, elem) = if src == Buf::Acc {
            (lanes * 4, "sfu_lanes·4", 4)
        } else {
            (lanes * ab, "sfu_lanes·act_bytes", ab)
        };
        cx.multiple("src_addr", x.src_addr, unit, what);
        cx.multiple("src_pitch", x.src_pitch, unit, what);
        if dims_ok {
            cx.within(
                "src_addr",
                span(x.src_addr, x.m, x.src_pitch, x.n * elem),
                src,
                "the source (src_addr + (m-1)·src_pitch + n·element)",
            );
        }
    }
    match dst {
        Some(Buf::Abuf) => {
            cx.multiple("dst_addr", x.dst_addr, lanes * ab, "sfu_lanes·act_bytes");
            cx.multiple("dst_pitch", x.dst_pitch, lanes * ab, "sfu_lanes·act_bytes");
            if dims_ok {
                let end = span(x.dst_addr, x.m, x.dst_pitch, x.n * ab);
                cx.within(
                    "dst_addr",
                    end,
                    Buf::Abuf,
                    "the destination (dst_addr + (m-1)·dst_pitch + n·act_bytes)",
                );
                cx.distinct_rows("dst_pitch", x.dst_pitch, x.m, x.n * ab);
                if src == Some(Buf::Abuf) {
                    cx.overlap(
                        "dst_addr",
                        x.dst_addr,
                        x.dst_pitch,
                        "src_addr",
                        x.src_addr,
                        x.src_pitch,
                        x.m,
                        x.n * ab,
                    );
                }
            }
        }
        Some(Buf::Kvbuf) => {
            let kvrb = cfg.kv_row_bytes as u64;
            let kb = cfg.kv_bits as u64;
            let off = x.dst_addr % kvrb;
            cx.multiple("dst_addr", off, (lanes * kb / 8).max(1), "in-row offset dst_addr mod kv_row_bytes must be a multiple of max(1, sfu_lanes·kv_bits/8)");
            cx.multiple("dst_pitch", x.dst_pitch, kvrb, "kv_row_bytes");
            if dims_ok {
                if off as u128 * 8 + x.n as u128 * kb as u128 > kvrb as u128 * 8 {
                    cx.bad("n", format!("= {}: {} elements of {kb} bits from in-row byte {off} do not fit a {kvrb}-byte KV row", x.n, x.n));
                }
                let last = span(x.dst_addr - off, x.m, x.dst_pitch, kvrb);
                cx.within(
                    "dst_addr",
                    last,
                    Buf::Kvbuf,
                    "the destination rows (dst_addr + (m-1)·dst_pitch)",
                );
                cx.distinct_rows("dst_pitch", x.dst_pitch, x.m, kvrb);
            }
        }
        _ => {}
    }
    if x.col_scale == 1 {
        let su = 2 * cx.cfg.sfu_lanes as u64;
        cx.multiple(
            "s_addr",
            x.s_addr,
            su,
            "2·sfu_lanes: one SFU SBUF word (P-SFU-2)",
        );
        if dims_ok {
            cx.within(
                "s_addr",
                x.s_addr as u128 + 2 * x.n as u128,
                Buf::Sbuf,
                "the column multipliers (s_addr + 2·n)",
            );
        }
    }
}

fn buf_shown(id: u64) -> String {
    Buf::from_id(id)
        .map(|b| b.name().to_string())
        .unwrap_or_else(|| id.to_string())
}
