//! The SFU operations (docs/engine.md §5.4): each reads `M` rows of `N`
//! elements and writes `M` rows of `N` activations. A whole source row is
//! read before its destination row is written (the in-place rule makes that
//! equal to any hardware order).

use super::{mem, sub, sub_mut, Ex, Machine};
use crate::encode::sign_extend;
use crate::instr::{Add, Layernorm, Mul, Rmsnorm, Rope, Softmax};
use crate::tables::{rnd, rsqrt, sat, EXP};
use crate::IsaError;

/// Shape and addresses of an SFU operation's rows.
pub(super) struct Rows {
    m: u64,
    n: u64,
    src: u64,
    src_pitch: u64,
    dst: u64,
    dst_pitch: u64,
}

impl Rows {
    pub fn of(m: u64, n: u64, src: u64, src_pitch: u64, dst: u64, dst_pitch: u64) -> Self {
        Rows {
            m,
            n,
            src,
            src_pitch,
            dst,
            dst_pitch,
        }
    }
}

const MAX_V: i64 = (1 << 32) - 1;

/// Reads activation row `row` at `base + row·pitch` into `out`.
fn read_act(
    m: &Machine,
    ex: &Ex,
    field: &'static str,
    addr: u64,
    out: &mut [i64],
) -> Result<(), IsaError> {
    let bits = m.cfg.act_bits;
    let bytes = sub(
        &m.abuf,
        addr,
        m.cfg.act_bytes() * out.len() as u64,
        ex,
        field,
        "source row",
    )?;
    for (i, v) in out.iter_mut().enumerate() {
        *v = mem::get(bytes, i, bits);
    }
    Ok(())
}

/// Writes `y` (already saturated) as activations at `addr`.
fn write_act(m: &mut Machine, ex: &Ex, addr: u64, y: &[i64]) -> Result<(), IsaError> {
    let bits = m.cfg.act_bits;
    let len = m.cfg.act_bytes() * y.len() as u64;
    let bytes = sub_mut(&mut m.abuf, addr, len, ex, "dst", "destination row")?;
    for (i, &v) in y.iter().enumerate() {
        mem::set(bytes, i, bits, v);
    }
    Ok(())
}

/// SBUF int16 values `[addr, addr + 2·count)`.
fn sbuf16(
    m: &Machine,
    ex: &Ex,
    field: &'static str,
    addr: u64,
    count: u64,
    what: &str,
) -> Result<Vec<i64>, IsaError> {
    let bytes = sub(&m.sbuf, addr, 2 * count, ex, field, what)?;
    Ok((0..count as usize)
        .map(|i| mem::i16_at(bytes, 2 * i))
        .collect())
}

/// Applies `f(row, x, y)` to every row: `x` the source activations, `y` the output.
fn map_rows(
    m: &mut Machine,
    ex: &Ex,
    r: &Rows,
    mut f: impl FnMut(u64, &[i64], &mut [i64]),
) -> Result<(), IsaError> {
    let mut x = vec![0i64; r.n as usize];
    let mut y = vec![0i64; r.n as usize];
    for row in 0..r.m {
        read_act(m, ex, "src", r.src + row * r.src_pitch, &mut x)?;
        f(row, &x, &mut y);
        write_act(m, ex, r.dst + row * r.dst_pitch, &y)?;
    }
    Ok(())
}

pub(super) fn softmax(m: &mut Machine, ex: &Ex, s: &Softmax) -> Result<(), IsaError> {
    let n = s.n as usize;
    let f = 8 * m.cfg.act_bytes() as u32 - 1;
    let ymax = (1i64 << f) - 1;
    let mut x = vec![0i64; n];
    let mut e = vec![0i64; n];
    let mut y = vec![0i64; n];
    for row in 0..s.m {
        let bytes = sub(
            &m.acc,
            s.src + row * s.src_pitch,
            4 * s.n,
            ex,
            "src",
            "score row",
        )?;
        for (i, v) in x.iter_mut().enumerate() {
            *v = mem::i32_at(bytes, 4 * i);
        }
        let valid = if s.flags & 1 == 1 {
            (row as u128 + s.imm2 as u128 + 1).min(s.n as u128) as usize
        } else {
            n
        };
        let mx = x[..valid].iter().copied().max().unwrap_or(0);
        for (i, v) in e.iter_mut().enumerate() {
            *v = if i < valid {
                let d = rnd((mx - x[i]) * s.imm0 as i64, s.shift as u32).min(255);
                EXP[d as usize] as i64
            } else {
                0
            };
        }
        let sum: i64 = e.iter().sum();
        let r = (1i64 << 32) / sum.max(1);
        for (v, &ei) in y.iter_mut().zip(&e) {
            *v = ymax.min((ei * r + (1i64 << (31 - f))) >> (32 - f));
        }
        write_act(m, ex, s.dst + row * s.dst_pitch, &y)?;
    }
    Ok(())
}

pub(super) fn rmsnorm(m: &mut Machine, ex: &Ex, s: &Rmsnorm) -> Result<(), IsaError> {
    let gamma = sbuf16(m, ex, "s_addr", s.s_addr, s.n, "weights")?;
    let bits = m.cfg.act_bits;
    let r = Rows::of(s.m, s.n, s.src, s.src_pitch, s.dst, s.dst_pitch);
    map_rows(m, ex, &r, |_, x, y| {
        let ss = x.iter().fold(0i64, |a, &v| a.wrapping_add(v * v));
        let ms = rnd(ss.wrapping_mul(s.imm0 as i64), s.imm1 as u32);
        let v = ms.wrapping_add(s.imm2 as i64).clamp(1, MAX_V);
        let inv = rsqrt(v as u64) as i64;
        for ((o, &xi), &g) in y.iter_mut().zip(x).zip(&gamma) {
            *o = sat(rnd(xi * inv * g, s.shift as u32), bits);
        }
    })
}

pub(super) fn layernorm(m: &mut Machine, ex: &Ex, s: &Layernorm) -> Result<(), IsaError> {
    let gb = sbuf16(m, ex, "s_addr", s.s_addr, 2 * s.n, "weights and biases")?;
    let (gamma, beta) = gb.split_at(s.n as usize);
    let bits = m.cfg.act_bits;
    let r = Rows::of(s.m, s.n, s.src, s.src_pitch, s.dst, s.dst_pitch);
    map_rows(m, ex, &r, |_, x, y| {
        let s1 = x.iter().fold(0i64, |a, &v| a.wrapping_add(v));
        let s2 = x.iter().fold(0i64, |a, &v| a.wrapping_add(v * v));
        let mu = rnd(s1.wrapping_mul(s.imm0 as i64), s.imm1 as u32);
        let e2 = rnd(s2.wrapping_mul(s.imm0 as i64), s.imm1 as u32);
        let var = e2.wrapping_sub(mu.wrapping_mul(mu)).max(0);
        let v = var.wrapping_add(s.imm2 as i64).clamp(1, MAX_V);
        let inv = rsqrt(v as u64) as i64;
        for (i, o) in y.iter_mut().enumerate() {
            let t = (x[i].wrapping_sub(mu))
                .wrapping_mul(inv)
                .wrapping_mul(gamma[i]);
            *o = sat(rnd(t, s.shift as u32).wrapping_add(beta[i]), bits);
        }
    })
}

/// `silu` and `gelu`: a 257-entry int16 table at `s_addr`.
pub(super) fn table(m: &mut Machine, ex: &Ex, r: &Rows, s_addr: u64) -> Result<(), IsaError> {
    let t = sbuf16(m, ex, "s_addr", s_addr, 257, "activation table")?;
    let bits = m.cfg.act_bits;
    map_rows(m, ex, r, |_, x, y| {
        for (o, &xi) in y.iter_mut().zip(x) {
            let v = if bits == 8 {
                t[(xi + 128) as usize]
            } else {
                let i = ((xi >> 8) + 128) as usize;
                let f = xi & 255;
                t[i] + rnd((t[i + 1] - t[i]) * f, 8)
            };
            *o = sat(v, bits);
        }
    })
}

pub(super) fn rope(m: &mut Machine, ex: &Ex, s: &Rope) -> Result<(), IsaError> {
    let h = s.imm0 as usize;
    let half = h / 2;
    let bits = m.cfg.act_bits;
    let mut cs = Vec::with_capacity(s.m as usize);
    for row in 0..s.m {
        cs.push(sbuf16(
            m,
            ex,
            "s_addr",
            s.s_addr + row * s.imm2,
            h as u64,
            "(cos, sin) table row",
        )?);
    }
    let r = Rows::of(s.m, s.n, s.src, s.src_pitch, s.dst, s.dst_pitch);
    map_rows(m, ex, &r, |row, x, y| {
        let t = &cs[row as usize];
        for j in 0..x.len() / h {
            for i in 0..half {
                let (x1, x2) = (x[j * h + i], x[j * h + i + half]);
                let (c, sn) = (t[2 * i], t[2 * i + 1]);
                y[j * h + i] = sat(rnd(x1 * c - x2 * sn, 14), bits);
                y[j * h + i + half] = sat(rnd(x2 * c + x1 * sn, 14), bits);
            }
        }
    })
}

pub(super) fn add(m: &mut Machine, ex: &Ex, s: &Add) -> Result<(), IsaError> {
    let (k0, k1) = (sign_extend(s.imm0, 16), sign_extend(s.imm1, 16));
    binary(
        m,
        ex,
        s.m,
        s.n,
        s.src,
        s.src2,
        s.src_pitch,
        s.dst,
        s.dst_pitch,
        |a, b| rnd(a * k0 + b * k1, s.shift as u32),
    )
}

pub(super) fn mul(m: &mut Machine, ex: &Ex, s: &Mul) -> Result<(), IsaError> {
    let k0 = sign_extend(s.imm0, 16);
    binary(
        m,
        ex,
        s.m,
        s.n,
        s.src,
        s.src2,
        s.src_pitch,
        s.dst,
        s.dst_pitch,
        |a, b| rnd(a * b * k0, s.shift as u32),
    )
}

#[allow(clippy::too_many_arguments)]
fn binary(
    m: &mut Machine,
    ex: &Ex,
    rows: u64,
    n: u64,
    src: u64,
    src2: u64,
    pitch: u64,
    dst: u64,
    dst_pitch: u64,
    f: impl Fn(i64, i64) -> i64,
) -> Result<(), IsaError> {
    let bits = m.cfg.act_bits;
    let mut a = vec![0i64; n as usize];
    let mut b = vec![0i64; n as usize];
    let mut y = vec![0i64; n as usize];
    for row in 0..rows {
        read_act(m, ex, "src", src + row * pitch, &mut a)?;
        read_act(m, ex, "src2", src2 + row * pitch, &mut b)?;
        for i in 0..y.len() {
            y[i] = sat(f(a[i], b[i]), bits);
        }
        write_act(m, ex, dst + row * dst_pitch, &y)?;
    }
    Ok(())
}
