//! `matmul` (docs/engine.md §5.2).
//!
//! B is gathered once per instruction into a column-major `N × K` array of
//! integers (from the tile-major weight buffer or from KV rows), the scales
//! into an `N × NG` array; then every result is a plain dot product. Sums are
//! exact in 64 bits (|a·b| < 2^23, K < 2^20) and wrapped to 32 bits where
//! the contract says `wrap32`.

use super::{mem, sub, sub_mut, Ex, Machine};
use crate::instr::Matmul;
use crate::tables::{rnd, wrap32};
use crate::IsaError;

pub(super) fn matmul(m: &mut Machine, ex: &Ex, x: &Matmul) -> Result<(), IsaError> {
    let cfg = &m.cfg;
    let (r, c) = (cfg.rows as u64, cfg.cols as u64);
    let (mm, n, k) = (x.m, x.n, x.k);
    let (nu, ku) = (n as usize, k as usize);
    let ab = cfg.act_bytes();
    let act_bits = cfg.act_bits;

    // B as b[n·K + k].
    let mut b = vec![0i64; nu * ku];
    if x.bsrc == 0 {
        let tile = cfg.tile_bytes();
        let wb = cfg.weight_bits;
        let kt = k.div_ceil(r);
        let row0 = x.b_addr / tile;
        for nt in 0..n.div_ceil(c) {
            for t in 0..kt {
                let row = sub(
                    &m.wbuf,
                    (row0 + nt * kt + t) * tile,
                    tile,
                    ex,
                    "b_addr",
                    "weight tile",
                )?;
                for nn in nt * c..((nt + 1) * c).min(n) {
                    for kk in t * r..((t + 1) * r).min(k) {
                        let i = (nn % c) * r + kk % r;
                        b[(nn * k + kk) as usize] = mem::get(row, i as usize, wb);
                    }
                }
            }
        }
    } else {
        let kvrb = cfg.kv_row_bytes as u64;
        let kb = cfg.kv_bits;
        let (rows, per_row) = if x.btrans == 0 { (k, n) } else { (n, k) };
        for j in 0..rows {
            let row = sub(
                &m.kvbuf,
                x.b_addr + j * kvrb,
                mem::bytes_for(per_row, kb),
                ex,
                "b_addr",
                "KV row",
            )?;
            for e in 0..per_row {
                let v = mem::get(row, e as usize, kb);
                let (nn, kk) = if x.btrans == 0 { (e, j) } else { (j, e) };
                b[(nn * k + kk) as usize] = v;
            }
        }
    }

    // Scales s[n·NG + g].
    let g_size = cfg.group_size as u64;
    let ng = k.div_ceil(g_size);
    let mut s = Vec::new();
    if x.dequant == 1 {
        let bytes = sub(
            &m.wbuf,
            x.s_addr,
            n.div_ceil(c) * ng * 2 * c,
            ex,
            "s_addr",
            "scales",
        )?;
        s = vec![0i64; nu * ng as usize];
        for nn in 0..n {
            for g in 0..ng {
                let addr = ((nn / c) * ng + g) * 2 * c + (nn % c) * 2;
                s[(nn * ng + g) as usize] = mem::i16_at(bytes, addr as usize);
            }
        }
    }

    let mut a = vec![0i64; ku];
    for row in 0..mm {
        let arow = sub(
            &m.abuf,
            x.a_addr + row * x.a_pitch,
            k * ab,
            ex,
            "a_addr",
            "A row",
        )?;
        for (kk, v) in a.iter_mut().enumerate() {
            *v = mem::get(arow, kk, act_bits);
        }
        let out = sub_mut(
            &mut m.acc,
            x.acc_addr + row * x.acc_pitch,
            4 * n,
            ex,
            "acc_addr",
            "result row",
        )?;
        for nn in 0..nu {
            let bcol = &b[nn * ku..(nn + 1) * ku];
            let mut acc = if x.accumulate == 1 {
                mem::i32_at(out, 4 * nn)
            } else {
                0
            };
            if x.dequant == 0 {
                let dot: i64 = a.iter().zip(bcol).map(|(p, q)| p * q).sum();
                acc = wrap32(acc.wrapping_add(dot));
            } else {
                for g in 0..ng as usize {
                    let lo = g * g_size as usize;
                    let hi = (lo + g_size as usize).min(ku);
                    let p = wrap32(
                        a[lo..hi]
                            .iter()
                            .zip(&bcol[lo..hi])
                            .map(|(p, q)| p * q)
                            .sum(),
                    );
                    let scaled = wrap32(rnd(p * s[nn * ng as usize + g], x.dq_shift as u32));
                    acc = wrap32(acc + scaled);
                }
            }
            mem::set_i32(out, 4 * nn, acc);
        }
    }
    Ok(())
}
