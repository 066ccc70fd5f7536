//! `requant` (docs/engine.md §5.3): `y = sat_b(rnd(x·mul(n), shift))` from
//! ACC (int32) or ABUF to ABUF or KV rows.

use super::{mem, sub, sub_mut, Ex, Machine};
use crate::encode::sign_extend;
use crate::instr::{Buf, Requant};
use crate::tables::{rnd, sat};
use crate::IsaError;

pub(super) fn requant(m: &mut Machine, ex: &Ex, x: &Requant) -> Result<(), IsaError> {
    let cfg = m.cfg.clone();
    let ab = cfg.act_bytes();
    let n = x.n as usize;
    let src = Buf::from_id(x.src).ok_or_else(|| ex.err("src", "unknown buffer"))?;
    let dst = Buf::from_id(x.dst).ok_or_else(|| ex.err("dst", "unknown buffer"))?;
    let mul: Vec<i64> = if x.col_scale == 1 {
        let bytes = sub(
            &m.sbuf,
            x.s_addr,
            2 * x.n,
            ex,
            "s_addr",
            "column multipliers",
        )?;
        (0..n).map(|i| mem::i16_at(bytes, 2 * i)).collect()
    } else {
        vec![sign_extend(x.mult, 16); n]
    };
    let bits = if dst == Buf::Kvbuf {
        cfg.kv_bits
    } else {
        cfg.act_bits
    };
    let mut y = vec![0i64; n];
    for row in 0..x.m {
        let s = src_addr(x, row);
        if src == Buf::Acc {
            let bytes = sub(&m.acc, s, 4 * x.n, ex, "src_addr", "source row")?;
            for (i, v) in y.iter_mut().enumerate() {
                *v = mem::i32_at(bytes, 4 * i);
            }
        } else {
            let bytes = sub(&m.abuf, s, ab * x.n, ex, "src_addr", "source row")?;
            for (i, v) in y.iter_mut().enumerate() {
                *v = mem::get(bytes, i, cfg.act_bits);
            }
        }
        for (v, k) in y.iter_mut().zip(&mul) {
            *v = sat(rnd(*v * k, x.shift as u32), bits);
        }
        let d = x.dst_addr + row * x.dst_pitch;
        let out = sub_mut(
            m.buffer_mut(dst),
            d,
            mem::bytes_for(x.n, bits),
            ex,
            "dst_addr",
            "destination row",
        )?;
        for (i, &v) in y.iter().enumerate() {
            mem::set(out, i, bits, v);
        }
    }
    Ok(())
}

fn src_addr(x: &Requant, row: u64) -> u64 {
    x.src_addr + row * x.src_pitch
}
