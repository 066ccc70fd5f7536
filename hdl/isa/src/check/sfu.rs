//! Rules of the SFU operations (docs/engine.md §5.4).

use super::{span, Ctx};
use crate::instr::{Buf, Layernorm, Rmsnorm, Rope, Softmax};

/// Entries of a SiLU / GELU table.
pub const ACT_TABLE_ENTRIES: u64 = 257;

/// Checks the `m` rows of `n` elements read at `src` (from `src_buf`) and
/// written at `dst` (ABUF): dimensions, alignment, bounds and, when both are
/// in ABUF, the in-place / overlap rule. Returns whether `m`, `n` ≥ 1.
#[allow(clippy::too_many_arguments)]
fn rows(
    cx: &mut Ctx,
    m: u64,
    n: u64,
    src_buf: Buf,
    src: u64,
    src_pitch: u64,
    dst: u64,
    dst_pitch: u64,
) -> bool {
    let cfg = cx.cfg;
    let lanes = cfg.sfu_lanes as u64;
    let ab = cfg.act_bytes();
    let dims_ok = [("m", m), ("n", n)]
        .map(|(f, v)| cx.positive(f, v))
        .iter()
        .all(|&ok| ok);
    let (src_elem, src_unit, what) = if src_buf == Buf::Acc {
        (4, lanes * 4, "sfu_lanes·4")
    } else {
        (ab, lanes * ab, "sfu_lanes·act_bytes")
    };
    cx.multiple("src", src, src_unit, what);
    cx.multiple("src_pitch", src_pitch, src_unit, what);
    cx.multiple("dst", dst, lanes * ab, "sfu_lanes·act_bytes");
    cx.multiple("dst_pitch", dst_pitch, lanes * ab, "sfu_lanes·act_bytes");
    if dims_ok {
        cx.within(
            "src",
            span(src, m, src_pitch, n * src_elem),
            src_buf,
            "the source rows (src + (m-1)·src_pitch + n·element)",
        );
        cx.within(
            "dst",
            span(dst, m, dst_pitch, n * ab),
            Buf::Abuf,
            "the destination rows (dst + (m-1)·dst_pitch + n·act_bytes)",
        );
        cx.distinct_rows("dst_pitch", dst_pitch, m, n * ab);
        if src_buf == Buf::Abuf {
            cx.overlap("dst", dst, dst_pitch, "src", src, src_pitch, m, n * ab);
        }
    }
    dims_ok
}

/// Requires the int16 SBUF range `[s_addr, s_addr + bytes)`, starting on an
/// SFU SBUF word (`2·sfu_lanes` bytes, docs/rtl.md P-SFU-2).
fn sbuf(cx: &mut Ctx, field: &'static str, s_addr: u64, bytes: u128, what: &str) {
    let su = 2 * cx.cfg.sfu_lanes as u64;
    cx.multiple(
        field,
        s_addr,
        su,
        "2·sfu_lanes: one SFU SBUF word (P-SFU-2)",
    );
    cx.within(field, s_addr as u128 + bytes, Buf::Sbuf, what);
}

pub(super) fn softmax(cx: &mut Ctx, x: &Softmax) {
    if x.flags > 1 {
        cx.bad(
            "flags",
            format!(
                "= {}, expected 0 or 1 (bit 0: causal; bits 1..3 reserved)",
                x.flags
            ),
        );
    }
    rows(
        cx,
        x.m,
        x.n,
        Buf::Acc,
        x.src,
        x.src_pitch,
        x.dst,
        x.dst_pitch,
    );
}

pub(super) fn rmsnorm(cx: &mut Ctx, x: &Rmsnorm) {
    if rows(
        cx,
        x.m,
        x.n,
        Buf::Abuf,
        x.src,
        x.src_pitch,
        x.dst,
        x.dst_pitch,
    ) {
        sbuf(
            cx,
            "s_addr",
            x.s_addr,
            2 * x.n as u128,
            "the weights (s_addr + 2·n)",
        );
    }
}

pub(super) fn layernorm(cx: &mut Ctx, x: &Layernorm) {
    let lanes = cx.cfg.sfu_lanes as u64;
    if x.n >= 1 && !x.n.is_multiple_of(lanes) {
        cx.bad(
            "n",
            format!(
                "= {}, expected a multiple of sfu_lanes = {lanes} (the biases at s_addr + 2n start on an SFU SBUF word, P-SFU-2)",
                x.n
            ),
        );
    }
    if rows(
        cx,
        x.m,
        x.n,
        Buf::Abuf,
        x.src,
        x.src_pitch,
        x.dst,
        x.dst_pitch,
    ) {
        sbuf(
            cx,
            "s_addr",
            x.s_addr,
            4 * x.n as u128,
            "the weights and biases (s_addr + 4·n)",
        );
    }
}

/// `silu` and `gelu`.
#[allow(clippy::too_many_arguments)]
pub(super) fn table(
    cx: &mut Ctx,
    m: u64,
    n: u64,
    src: u64,
    src_pitch: u64,
    dst: u64,
    dst_pitch: u64,
    s_addr: u64,
) {
    rows(cx, m, n, Buf::Abuf, src, src_pitch, dst, dst_pitch);
    sbuf(
        cx,
        "s_addr",
        s_addr,
        2 * ACT_TABLE_ENTRIES as u128,
        "the 257-entry table (s_addr + 514)",
    );
}

pub(super) fn rope(cx: &mut Ctx, x: &Rope) {
    let dims_ok = rows(
        cx,
        x.m,
        x.n,
        Buf::Abuf,
        x.src,
        x.src_pitch,
        x.dst,
        x.dst_pitch,
    );
    let h = x.imm0;
    if h < 2 || !h.is_multiple_of(2) {
        cx.bad(
            "imm0",
            format!("= {h}, expected an even head width of at least 2"),
        );
        return;
    }
    if dims_ok && !x.n.is_multiple_of(h) {
        cx.bad(
            "imm0",
            format!("= {h}, expected a head width dividing n = {}", x.n),
        );
    }
    let lanes = cx.cfg.sfu_lanes as u64;
    let pairs = (h / 2).is_multiple_of(lanes);
    let inside = h <= lanes && lanes.is_multiple_of(h);
    if !(pairs || inside) {
        cx.bad(
            "imm0",
            format!(
                "= {h}, expected half a head a multiple of sfu_lanes = {lanes}, or a head dividing sfu_lanes (P-SFU-2)"
            ),
        );
    }
    cx.multiple(
        "imm2",
        x.imm2,
        2 * lanes,
        "2·sfu_lanes: one SFU SBUF word (P-SFU-2)",
    );
    if dims_ok {
        let end = span(x.s_addr, x.m, x.imm2, 2 * h);
        sbuf(
            cx,
            "s_addr",
            x.s_addr,
            end - x.s_addr as u128,
            "the (cos, sin) table (s_addr + (m-1)·imm2 + 2·imm0)",
        );
    }
}

/// `add` and `mul`: two sources `src_pitch` apart per row.
#[allow(clippy::too_many_arguments)]
pub(super) fn binary(
    cx: &mut Ctx,
    m: u64,
    n: u64,
    src: u64,
    src_pitch: u64,
    dst: u64,
    dst_pitch: u64,
    src2: u64,
) {
    if rows(cx, m, n, Buf::Abuf, src, src_pitch, dst, dst_pitch) {
        let ab = cx.cfg.act_bytes();
        let lanes = cx.cfg.sfu_lanes as u64;
        cx.multiple("src2", src2, lanes * ab, "sfu_lanes·act_bytes");
        cx.within(
            "src2",
            span(src2, m, src_pitch, n * ab),
            Buf::Abuf,
            "the second source rows (src2 + (m-1)·src_pitch + n·act_bytes)",
        );
        cx.overlap("dst", dst, dst_pitch, "src2", src2, src_pitch, m, n * ab);
    }
}
