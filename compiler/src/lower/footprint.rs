//! Analysis `footprint`: the bytes every instruction reads and writes, in
//! each on-chip buffer and in each memory channel, derived from its fields
//! and docs/engine.md alone (not from how the emitter meant them). The
//! dependency pass and the race verifier both work from these.
//!
//! An access is `count` rows of `len` bytes, `stride` apart, from `lo`.

use llmfab_isa::instr::{Buf, Instr, Op};
use llmfab_isa::EngineConfig;

/// Where an access lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Space {
    /// An on-chip buffer.
    Buf(Buf),
    /// A memory channel.
    Hbm(u32),
}

/// One access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// Buffer or channel.
    pub space: Space,
    /// First byte.
    pub lo: u64,
    /// Rows.
    pub count: u64,
    /// Bytes between rows.
    pub stride: u64,
    /// Bytes per row.
    pub len: u64,
    /// Written (else read).
    pub write: bool,
}

impl Access {
    fn new(space: Space, lo: u64, count: u64, stride: u64, len: u64, write: bool) -> Access {
        // Overlapping or touching rows collapse into one range.
        if count <= 1 || stride <= len {
            let hi = if count == 0 {
                lo
            } else {
                lo + (count - 1) * stride + len
            };
            Access {
                space,
                lo,
                count: 1,
                stride: 0,
                len: hi - lo,
                write,
            }
        } else {
            Access {
                space,
                lo,
                count,
                stride,
                len,
                write,
            }
        }
    }
    /// End of the bounding range.
    pub fn hi(&self) -> u64 {
        self.lo + (self.count - 1) * self.stride + self.len
    }
    /// True when some byte is in both accesses (exact for strided rows).
    pub fn overlaps(&self, o: &Access) -> bool {
        if self.space != o.space
            || self.len == 0
            || o.len == 0
            || self.hi() <= o.lo
            || o.hi() <= self.lo
        {
            return false;
        }
        if self.count > 1 && o.count > 1 && self.stride == o.stride {
            return same_stride(self, o);
        }
        let (a, b) = if self.count <= o.count {
            (self, o)
        } else {
            (o, self)
        };
        (0..a.count).any(|i| {
            let (s, e) = (a.lo + i * a.stride, a.lo + i * a.stride + a.len);
            b.hits(s, e)
        })
    }
    /// True when some row of `self` meets `[s, e)`.
    fn hits(&self, s: u64, e: u64) -> bool {
        if self.count == 1 {
            return self.lo < e && s < self.lo + self.len;
        }
        // first row j with lo + j·stride + len > s
        let j = if s + 1 > self.lo + self.len {
            (s + 1 - self.lo - self.len).div_ceil(self.stride)
        } else {
            0
        };
        j < self.count && self.lo + j * self.stride < e
    }
}

/// Overlap of two strided accesses with the same stride `s` and rows no
/// longer than `s`, in O(1): rows in the same period overlap when their
/// phases do; a row spilling past its period can meet the next period's row.
fn same_stride(a: &Access, b: &Access) -> bool {
    let s = a.stride;
    let (ka, pa) = (a.lo / s, a.lo % s);
    let (kb, pb) = (b.lo / s, b.lo % s);
    let (ea, eb) = (ka + a.count, kb + b.count);
    let meet = |x0: u64, x1: u64, y0: u64, y1: u64| x0 < y1 && y0 < x1;
    let same = pa < pb + b.len && pb < pa + a.len && meet(ka, ea, kb, eb);
    // a's row in period u reaches b's row in period u + 1
    let a_next = pa + a.len > s + pb && meet(ka + 1, ea + 1, kb, eb);
    let b_next = pb + b.len > s + pa && meet(kb + 1, eb + 1, ka, ea);
    same || a_next || b_next
}

/// Up to five accesses of one instruction.
#[derive(Clone, Copy, Debug, Default)]
pub struct Footprint {
    n: usize,
    a: [Option<Access>; 5],
}

impl Footprint {
    fn add(&mut self, a: Access) {
        self.a[self.n] = Some(a);
        self.n += 1;
    }
    /// The accesses.
    pub fn iter(&self) -> impl Iterator<Item = &Access> {
        self.a[..self.n].iter().flatten()
    }
}

fn buf(id: u64) -> Space {
    Space::Buf(Buf::from_id(id).unwrap_or(Buf::Abuf))
}

/// The footprint of `ins` on an engine `cfg`.
pub fn of(cfg: &EngineConfig, ins: &Instr) -> Footprint {
    let mut f = Footprint::default();
    let ab = cfg.act_bytes();
    let kb = cfg.kv_bits as u64;
    let (r, c, g) = (cfg.rows as u64, cfg.cols as u64, cfg.group_size as u64);
    let tile = cfg.tile_bytes();
    let rb = cfg.kv_row_bytes as u64;
    let sb = |s: u64| {
        Space::Buf(if s == 0 {
            Buf::Abuf
        } else {
            Buf::from_id(s).unwrap_or(Buf::Abuf)
        })
    };
    let a = Space::Buf(Buf::Abuf);
    let s_buf = Space::Buf(Buf::Sbuf);
    match ins.op {
        Op::Load(l) => {
            f.add(Access::new(
                Space::Hbm(l.ch as u32),
                l.hbm_addr,
                l.rows,
                l.hbm_stride,
                l.row_bytes,
                false,
            ));
            f.add(dma_buf(
                cfg,
                l.buf,
                l.ch,
                l.rows,
                l.row_bytes,
                l.buf_addr,
                l.buf_stride,
                true,
            ));
        }
        Op::Store(s) => {
            f.add(dma_buf(
                cfg,
                s.buf,
                s.ch,
                s.rows,
                s.row_bytes,
                s.buf_addr,
                s.buf_stride,
                false,
            ));
            f.add(Access::new(
                Space::Hbm(s.ch as u32),
                s.hbm_addr,
                s.rows,
                s.hbm_stride,
                s.row_bytes,
                true,
            ));
        }
        Op::Matmul(x) => {
            f.add(Access::new(a, x.a_addr, x.m, x.a_pitch, x.k * ab, false));
            if x.bsrc == 0 {
                let (kt, nt) = (x.k.div_ceil(r), x.n.div_ceil(c));
                let w = Space::Buf(Buf::Wbuf);
                f.add(Access::new(
                    w,
                    x.b_addr / tile * tile,
                    1,
                    0,
                    nt * kt * tile,
                    false,
                ));
                if x.dequant == 1 {
                    f.add(Access::new(
                        w,
                        x.s_addr,
                        1,
                        0,
                        nt * x.k.div_ceil(g) * 2 * c,
                        false,
                    ));
                }
            } else {
                let kv = Space::Buf(Buf::Kvbuf);
                if x.btrans == 1 {
                    f.add(Access::new(
                        kv,
                        x.b_addr,
                        x.n,
                        rb,
                        (x.k * kb).div_ceil(8),
                        false,
                    ));
                } else {
                    f.add(Access::new(
                        kv,
                        x.b_addr,
                        x.k,
                        rb,
                        (x.n * kb).div_ceil(8),
                        false,
                    ));
                }
            }
            let acc = Space::Buf(Buf::Acc);
            if x.accumulate == 1 {
                f.add(Access::new(
                    acc,
                    x.acc_addr,
                    x.m,
                    x.acc_pitch,
                    4 * x.n,
                    false,
                ));
            }
            f.add(Access::new(
                acc,
                x.acc_addr,
                x.m,
                x.acc_pitch,
                4 * x.n,
                true,
            ));
        }
        Op::Requant(x) => {
            let se = if x.src == Buf::Acc as u64 { 4 } else { ab };
            f.add(Access::new(
                buf(x.src),
                x.src_addr,
                x.m,
                x.src_pitch,
                x.n * se,
                false,
            ));
            if x.col_scale == 1 {
                f.add(Access::new(s_buf, x.s_addr, 1, 0, 2 * x.n, false));
            }
            let de = if x.dst == Buf::Kvbuf as u64 {
                (x.n * kb).div_ceil(8)
            } else {
                x.n * ab
            };
            f.add(Access::new(
                sb(x.dst),
                x.dst_addr,
                x.m,
                x.dst_pitch,
                de,
                true,
            ));
        }
        Op::Softmax(x) => {
            f.add(Access::new(
                Space::Buf(Buf::Acc),
                x.src,
                x.m,
                x.src_pitch,
                4 * x.n,
                false,
            ));
            f.add(Access::new(a, x.dst, x.m, x.dst_pitch, x.n * ab, true));
        }
        Op::Rmsnorm(x) => unary(
            &mut f,
            a,
            x.src,
            x.src_pitch,
            x.dst,
            x.dst_pitch,
            x.m,
            x.n * ab,
            Some((x.s_addr, 2 * x.n)),
        ),
        Op::Layernorm(x) => unary(
            &mut f,
            a,
            x.src,
            x.src_pitch,
            x.dst,
            x.dst_pitch,
            x.m,
            x.n * ab,
            Some((x.s_addr, 4 * x.n)),
        ),
        Op::Silu(x) => unary(
            &mut f,
            a,
            x.src,
            x.src_pitch,
            x.dst,
            x.dst_pitch,
            x.m,
            x.n * ab,
            Some((x.s_addr, 514)),
        ),
        Op::Gelu(x) => unary(
            &mut f,
            a,
            x.src,
            x.src_pitch,
            x.dst,
            x.dst_pitch,
            x.m,
            x.n * ab,
            Some((x.s_addr, 514)),
        ),
        Op::Rope(x) => {
            let table = x.m.saturating_sub(1) * x.imm2 + 2 * x.imm0;
            unary(
                &mut f,
                a,
                x.src,
                x.src_pitch,
                x.dst,
                x.dst_pitch,
                x.m,
                x.n * ab,
                Some((x.s_addr, table)),
            )
        }
        Op::Add(x) => {
            f.add(Access::new(a, x.src2, x.m, x.src_pitch, x.n * ab, false));
            unary(
                &mut f,
                a,
                x.src,
                x.src_pitch,
                x.dst,
                x.dst_pitch,
                x.m,
                x.n * ab,
                None,
            )
        }
        Op::Mul(x) => {
            f.add(Access::new(a, x.src2, x.m, x.src_pitch, x.n * ab, false));
            unary(
                &mut f,
                a,
                x.src,
                x.src_pitch,
                x.dst,
                x.dst_pitch,
                x.m,
                x.n * ab,
                None,
            )
        }
        Op::Nop(_) | Op::Halt(_) => {}
    }
    let _ = s_buf;
    f
}

#[allow(clippy::too_many_arguments)]
fn unary(
    f: &mut Footprint,
    a: Space,
    src: u64,
    sp: u64,
    dst: u64,
    dp: u64,
    m: u64,
    row: u64,
    table: Option<(u64, u64)>,
) {
    f.add(Access::new(a, src, m, sp, row, false));
    if let Some((s, len)) = table {
        f.add(Access::new(Space::Buf(Buf::Sbuf), s, 1, 0, len, false));
    }
    f.add(Access::new(a, dst, m, dp, row, true));
}

/// The buffer side of a DMA transfer.
#[allow(clippy::too_many_arguments)]
fn dma_buf(
    cfg: &EngineConfig,
    b: u64,
    ch: u64,
    rows: u64,
    row_bytes: u64,
    addr: u64,
    stride: u64,
    write: bool,
) -> Access {
    let space = buf(b);
    if b == Buf::Wbuf as u64 {
        let (tile, slice) = (cfg.tile_bytes(), cfg.slice_bytes());
        let n = (rows * row_bytes).div_ceil(slice);
        let r0 = addr / tile;
        if cfg.channels == 1 {
            return Access::new(space, r0 * tile, 1, 0, n * tile, write);
        }
        Access::new(space, r0 * tile + ch * slice, n, tile, slice, write)
    } else {
        Access::new(space, addr, rows, stride, row_bytes, write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_overlap_is_exact() {
        let s = Space::Buf(Buf::Kvbuf);
        let a = Access::new(s, 0, 4, 64, 16, true);
        let b = Access::new(s, 16, 4, 64, 16, true);
        let c = Access::new(s, 60, 1, 0, 8, false);
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&c) && c.overlaps(&a));
        assert!(!b.overlaps(&c));
        let d = Access::new(s, 200, 1, 0, 10, false);
        assert!(a.overlaps(&d), "row 3 is [192, 208)");
        // Same stride, closed form, against the row-by-row answer.
        for lo_b in 0..140u64 {
            for len_b in [1u64, 8, 16, 48, 64] {
                let b = Access::new(s, lo_b, 3, 64, len_b, false);
                let slow =
                    (0..a.count).any(|i| b.hits(a.lo + i * a.stride, a.lo + i * a.stride + a.len));
                assert_eq!(a.overlaps(&b), slow, "lo {lo_b} len {len_b}");
            }
        }
    }
}
