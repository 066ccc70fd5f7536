//! Error of each SFU operation's fixed-point semantics (run through the
//! reference interpreter) against f64 applied to the dequantized integer
//! inputs, on representative data, for int8 and int16 activations. Prints
//! the table copied into docs/rtl.md ("SFU numerics") and asserts the bounds
//! stated in the module docs of [`super`].
//!
//! Run `cargo test -p llmfab-isa sfu_numerics -- --nocapture` to see it.

use super::*;
use crate::config::EngineConfig;
use crate::instr::{
    Add, Buf, Gelu, Instr, Layernorm, Mul, Op, Requant, Rmsnorm, Rope, Silu, Softmax,
};
use crate::reference::{mem, Machine};

/// Seeded xorshift with Gaussian samples (deterministic across platforms).
struct Rng(u64);

impl Rng {
    fn u(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (a, b) = (self.u().max(1e-300), self.u());
        (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
    }
    /// N(0, 1) with 1 % outliers ×8.
    fn activation(&mut self) -> f64 {
        let x = self.normal();
        if self.u() < 0.01 {
            8.0 * x
        } else {
            x
        }
    }
}

fn machine(act_bits: u32) -> Machine {
    let mut c = EngineConfig::tiny();
    c.act_bits = act_bits;
    c.abuf_bytes = 1 << 16;
    c.acc_bytes = 1 << 16;
    c.sbuf_bytes = 1 << 15;
    Machine::with_memory(c, 64).expect("valid numerics config")
}

fn qmax(bits: u32) -> f64 {
    ((1i64 << (bits - 1)) - 1) as f64
}

fn quant(x: f64, scale: f64, bits: u32) -> i64 {
    (x / scale).round().clamp(-qmax(bits) - 1.0, qmax(bits)) as i64
}

fn put_act(m: &mut Machine, addr: usize, xs: &[i64]) {
    let bits = m.cfg.act_bits;
    for (i, &v) in xs.iter().enumerate() {
        mem::set(&mut m.abuf[addr..], i, bits, v);
    }
}

fn get_act(m: &Machine, addr: usize, n: usize) -> Vec<i64> {
    (0..n)
        .map(|i| mem::get(&m.abuf[addr..], i, m.cfg.act_bits))
        .collect()
}

fn put_sbuf(m: &mut Machine, addr: usize, v: &[i16]) {
    for (i, x) in v.iter().enumerate() {
        m.sbuf[addr + 2 * i..addr + 2 * i + 2].copy_from_slice(&x.to_le_bytes());
    }
}

fn run(m: &mut Machine, op: Op) {
    m.execute(0, &Instr::new(op))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Error statistics in output LSBs.
#[derive(Default, Clone, Copy)]
struct Stats {
    max: f64,
    sum: f64,
    count: f64,
    max_rel: f64,
}

impl Stats {
    /// `got`, `want` in LSBs; `span` the largest |want| of the set (for the relative error).
    fn add(&mut self, got: f64, want: f64) {
        let e = (got - want).abs();
        self.max = self.max.max(e);
        self.sum += e;
        self.count += 1.0;
    }
    fn mean(&self) -> f64 {
        self.sum / self.count.max(1.0)
    }
    fn rel(mut self, span: f64) -> Self {
        self.max_rel = self.max / span.max(1e-30);
        self
    }
}

fn softmax_err(bits: u32, causal: bool) -> Stats {
    let mut m = machine(bits);
    let mut rng = Rng(0x50F7 + bits as u64);
    let (rows, n) = (16usize, 256usize);
    let sx = 1.0 / 1024.0;
    let mut xs = vec![vec![0i64; n]; rows];
    for (r, row) in xs.iter_mut().enumerate() {
        for (i, x) in row.iter_mut().enumerate() {
            *x = ((2.0 * rng.normal()) / sx).round() as i64;
            mem::set_i32(&mut m.acc, 4 * (r * n + i), *x);
        }
    }
    let (imm0, shift) = softmax(sx).unwrap();
    let imm2 = 100u64;
    let ab = m.cfg.act_bytes() as usize;
    run(
        &mut m,
        Op::Softmax(Softmax {
            flags: causal as u64,
            shift: shift as u64,
            m: rows as u64,
            n: n as u64,
            src: 0,
            src_pitch: 4 * n as u64,
            dst: 0,
            dst_pitch: (n * ab) as u64,
            imm0: imm0 as u64,
            imm2,
        }),
    );
    let f = 8 * ab as i32 - 1;
    let mut e = Stats::default();
    for (r, row) in xs.iter().enumerate() {
        let valid = if causal {
            n.min(r + imm2 as usize + 1)
        } else {
            n
        };
        let mx = row[..valid]
            .iter()
            .map(|&x| x as f64 * sx)
            .fold(f64::MIN, f64::max);
        let z: f64 = row[..valid]
            .iter()
            .map(|&x| (x as f64 * sx - mx).exp())
            .sum();
        let y = get_act(&m, r * n * ab, n);
        for i in 0..n {
            let p = if i < valid {
                (row[i] as f64 * sx - mx).exp() / z
            } else {
                0.0
            };
            e.add(y[i] as f64, p * 2f64.powi(f));
        }
    }
    e.rel(2f64.powi(f))
}

fn norm_err(bits: u32, layer: bool) -> Stats {
    let mut m = machine(bits);
    let mut rng = Rng(0x4E0F + bits as u64 + layer as u64);
    let (rows, n) = (4usize, 4096usize);
    let offset = if layer { 0.3 } else { 0.0 };
    let xr: Vec<Vec<f64>> = (0..rows)
        .map(|_| (0..n).map(|_| rng.activation() + offset).collect())
        .collect();
    let si = xr.iter().flatten().fold(0.0f64, |a, x| a.max(x.abs())) / qmax(bits);
    let xq: Vec<Vec<i64>> = xr
        .iter()
        .map(|r| r.iter().map(|&x| quant(x, si, bits)).collect())
        .collect();
    let gamma: Vec<f32> = (0..n).map(|_| (0.5 + rng.u()) as f32).collect();
    let beta: Vec<f32> = (0..n).map(|_| (rng.u() - 0.5) as f32).collect();
    let eps = 1e-5;
    // f64 reference on the dequantized input.
    let want: Vec<Vec<f64>> = xq
        .iter()
        .map(|r| {
            let x: Vec<f64> = r.iter().map(|&q| q as f64 * si).collect();
            let mu = if layer {
                x.iter().sum::<f64>() / n as f64
            } else {
                0.0
            };
            let var = x.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / n as f64;
            let inv = 1.0 / (var + eps).sqrt();
            (0..n)
                .map(|i| {
                    (x[i] - mu) * inv * gamma[i] as f64 + if layer { beta[i] as f64 } else { 0.0 }
                })
                .collect()
        })
        .collect();
    let span = want.iter().flatten().fold(0.0f64, |a, y| a.max(y.abs()));
    let so = span / qmax(bits);
    let rms = (xr.iter().flatten().map(|x| x * x).sum::<f64>() / (rows * n) as f64).sqrt();
    let p = norm(&gamma, layer.then_some(&beta[..]), eps, si, so, Some(rms)).unwrap();
    let ab = m.cfg.act_bytes() as usize;
    for (r, row) in xq.iter().enumerate() {
        put_act(&mut m, r * n * ab, row);
    }
    put_sbuf(&mut m, 0, &p.sbuf);
    let (mm, nn, pitch) = (rows as u64, n as u64, (n * ab) as u64);
    let (shift, imm0, imm1, imm2) = (p.shift as u64, p.imm0 as u64, p.imm1 as u64, p.imm2 as u64);
    let op = if layer {
        Op::Layernorm(Layernorm {
            shift,
            m: mm,
            n: nn,
            src: 0,
            src_pitch: pitch,
            dst: 0,
            dst_pitch: pitch,
            s_addr: 0,
            imm0,
            imm1,
            imm2,
        })
    } else {
        Op::Rmsnorm(Rmsnorm {
            shift,
            m: mm,
            n: nn,
            src: 0,
            src_pitch: pitch,
            dst: 0,
            dst_pitch: pitch,
            s_addr: 0,
            imm0,
            imm1,
            imm2,
        })
    };
    run(&mut m, op);
    let mut e = Stats::default();
    for (r, w) in want.iter().enumerate() {
        let y = get_act(&m, r * n * ab, n);
        for i in 0..n {
            e.add(y[i] as f64, w[i] / so);
        }
    }
    e.rel(qmax(bits))
}

fn act_err(bits: u32, f: Activation) -> Stats {
    let mut m = machine(bits);
    let range = if bits == 8 { 8.0 } else { 16.0 };
    let si = range / qmax(bits);
    let so = si;
    let t = act_table(f, bits, si, so).unwrap();
    put_sbuf(&mut m, 0, &t);
    // Every int8 input; 4096 int16 inputs spread over the whole range.
    let xs: Vec<i64> = if bits == 8 {
        (-128..128).collect()
    } else {
        (0..4096).map(|i| -32768 + i * 16 + (i % 16)).collect()
    };
    let n = xs.len();
    put_act(&mut m, 0, &xs);
    let ab = m.cfg.act_bytes() as usize;
    let dst = (n * ab) as u64;
    let (src, pitch) = (0u64, (n * ab) as u64);
    let op = match f {
        Activation::Silu => Op::Silu(Silu {
            m: 1,
            n: n as u64,
            src,
            src_pitch: pitch,
            dst,
            dst_pitch: pitch,
            s_addr: 0,
        }),
        Activation::Gelu => Op::Gelu(Gelu {
            m: 1,
            n: n as u64,
            src,
            src_pitch: pitch,
            dst,
            dst_pitch: pitch,
            s_addr: 0,
        }),
    };
    run(&mut m, op);
    let y = get_act(&m, dst as usize, n);
    let mut e = Stats::default();
    for (i, &x) in xs.iter().enumerate() {
        let w = (f.eval(x as f64 * si) / so).clamp(-qmax(bits) - 1.0, qmax(bits));
        e.add(y[i] as f64, w);
    }
    e.rel(qmax(bits))
}

fn rope_err(bits: u32) -> Stats {
    let mut m = machine(bits);
    let mut rng = Rng(0x209E + bits as u64);
    let (rows, head, heads) = (32usize, 128usize, 2usize);
    let n = head * heads;
    let si = 4.0 / qmax(bits);
    let ab = m.cfg.act_bytes() as usize;
    let mut xs = vec![vec![0i64; n]; rows];
    let pos: Vec<u64> = (0..rows as u64)
        .map(|r| r * 4095 / (rows as u64 - 1))
        .collect();
    for r in 0..rows {
        for x in xs[r].iter_mut() {
            *x = quant(rng.normal(), si, bits);
        }
        put_act(&mut m, r * n * ab, &xs[r]);
        put_sbuf(
            &mut m,
            r * 2 * head,
            &rope_row(pos[r], head as u64, 10000.0),
        );
    }
    let pitch = (n * ab) as u64;
    run(
        &mut m,
        Op::Rope(Rope {
            m: rows as u64,
            n: n as u64,
            src: 0,
            src_pitch: pitch,
            dst: 0,
            dst_pitch: pitch,
            s_addr: 0,
            imm0: head as u64,
            imm2: 2 * head as u64,
        }),
    );
    let mut e = Stats::default();
    let half = head / 2;
    for r in 0..rows {
        let y = get_act(&m, r * n * ab, n);
        for j in 0..heads {
            for i in 0..half {
                let a = pos[r] as f64 * 10000f64.powf(-2.0 * i as f64 / head as f64);
                let (x1, x2) = (
                    xs[r][j * head + i] as f64,
                    xs[r][j * head + i + half] as f64,
                );
                e.add(
                    y[j * head + i] as f64,
                    (x1 * a.cos() - x2 * a.sin()).clamp(-qmax(bits) - 1.0, qmax(bits)),
                );
                e.add(
                    y[j * head + i + half] as f64,
                    (x2 * a.cos() + x1 * a.sin()).clamp(-qmax(bits) - 1.0, qmax(bits)),
                );
            }
        }
    }
    e.rel(qmax(bits))
}

/// `add`, `mul` and `requant` (ACC → ABUF) on random data.
fn elementwise_err(bits: u32, which: &str) -> Stats {
    let mut m = machine(bits);
    let mut rng = Rng(0xADD0 + bits as u64 + which.len() as u64);
    let n = 1024usize;
    let ab = m.cfg.act_bytes() as usize;
    let (sa, sb) = (3.0 / qmax(bits), 1.5 / qmax(bits));
    let a: Vec<i64> = (0..n).map(|_| quant(rng.normal(), sa, bits)).collect();
    let b: Vec<i64> = (0..n).map(|_| quant(rng.normal(), sb, bits)).collect();
    put_act(&mut m, 0, &a);
    put_act(&mut m, n * ab, &b);
    let dst = (2 * n * ab) as u64;
    let pitch = (4 * n * ab) as u64;
    let (want, so): (Vec<f64>, f64) = match which {
        "add" => {
            let so = 6.0 / qmax(bits);
            let (k0, k1, s) = add(sa, sb, so).unwrap();
            run(
                &mut m,
                Op::Add(Add {
                    shift: s as u64,
                    m: 1,
                    n: n as u64,
                    src: 0,
                    src_pitch: pitch,
                    dst,
                    dst_pitch: pitch,
                    src2: (n * ab) as u64,
                    imm0: k0 as u16 as u64,
                    imm1: k1 as u16 as u64,
                }),
            );
            (
                (0..n)
                    .map(|i| a[i] as f64 * sa + b[i] as f64 * sb)
                    .collect(),
                so,
            )
        }
        "mul" => {
            let so = 4.0 / qmax(bits);
            let (k0, s) = mul(sa, sb, so).unwrap();
            run(
                &mut m,
                Op::Mul(Mul {
                    shift: s as u64,
                    m: 1,
                    n: n as u64,
                    src: 0,
                    src_pitch: pitch,
                    dst,
                    dst_pitch: pitch,
                    src2: (n * ab) as u64,
                    imm0: k0 as u16 as u64,
                }),
            );
            (
                (0..n)
                    .map(|i| a[i] as f64 * sa * b[i] as f64 * sb)
                    .collect(),
                so,
            )
        }
        _ => {
            let sx = 1.0 / 65536.0;
            let x: Vec<i64> = (0..n)
                .map(|_| (rng.normal() * 3.0 / sx).round() as i64)
                .collect();
            for (i, &v) in x.iter().enumerate() {
                mem::set_i32(&mut m.acc, 4 * i, v);
            }
            let so = 4.0 / qmax(bits);
            let (k, s) = requant(sx, so).unwrap();
            run(
                &mut m,
                Op::Requant(Requant {
                    src: Buf::Acc as u64,
                    dst: Buf::Abuf as u64,
                    shift: s as u64,
                    m: 1,
                    n: n as u64,
                    src_pitch: 0,
                    dst_addr: dst,
                    mult: k as u16 as u64,
                    ..Default::default()
                }),
            );
            (x.iter().map(|&v| v as f64 * sx).collect(), so)
        }
    };
    let y = get_act(&m, dst as usize, n);
    let mut e = Stats::default();
    for i in 0..n {
        e.add(
            y[i] as f64,
            (want[i] / so).clamp(-qmax(bits) - 1.0, qmax(bits)),
        );
    }
    e.rel(qmax(bits))
}

#[test]
fn sfu_numerics() {
    // (name, bits, error, max bound, mean bound) in output LSBs.
    let mut rows: Vec<(&str, u32, Stats, f64, f64)> = Vec::new();
    for bits in [8u32, 16] {
        let big = bits == 16;
        rows.push((
            "softmax",
            bits,
            softmax_err(bits, false),
            if big { 160.0 } else { 2.0 },
            if big { 6.0 } else { 0.5 },
        ));
        rows.push((
            "softmax causal",
            bits,
            softmax_err(bits, true),
            if big { 160.0 } else { 2.0 },
            if big { 6.0 } else { 0.5 },
        ));
        let nb = if big { 0.01 * qmax(16) } else { 2.0 };
        rows.push((
            "rmsnorm",
            bits,
            norm_err(bits, false),
            nb,
            if big { nb / 2.0 } else { 0.5 },
        ));
        // int16 layernorm: `inv = RSQ >> e` keeps ~3 significant bits when
        // the variance is ~2^24 (docs/rtl.md, "SFU numerics", proposal N1).
        let lb = if big { 0.05 * qmax(16) } else { 3.0 };
        rows.push((
            "layernorm",
            bits,
            norm_err(bits, true),
            lb,
            if big { lb / 16.0 } else { 0.6 },
        ));
        rows.push((
            "silu",
            bits,
            act_err(bits, Activation::Silu),
            if big { 4.0 } else { 0.5 },
            if big { 0.6 } else { 0.25 },
        ));
        rows.push((
            "gelu",
            bits,
            act_err(bits, Activation::Gelu),
            if big { 4.0 } else { 0.5 },
            if big { 0.6 } else { 0.25 },
        ));
        let eb = if big { 1.5 } else { 1.0 };
        rows.push(("rope", bits, rope_err(bits), eb, 0.5));
        rows.push(("add", bits, elementwise_err(bits, "add"), eb, 0.5));
        rows.push(("mul", bits, elementwise_err(bits, "mul"), eb, 0.5));
        rows.push(("requant", bits, elementwise_err(bits, "requant"), eb, 0.5));
    }
    println!("| op | act bits | max abs (LSB) | mean abs (LSB) | max / full scale |");
    println!("|---|---|---|---|---|");
    for (name, bits, e, _, _) in &rows {
        println!(
            "| {name} | {bits} | {:.3} | {:.4} | {:.2e} |",
            e.max,
            e.mean(),
            e.max_rel
        );
    }
    for (name, bits, e, max, mean) in &rows {
        assert!(
            e.max <= *max,
            "{name} a{bits}: max error {} LSB > bound {max}",
            e.max
        );
        assert!(
            e.mean() <= *mean,
            "{name} a{bits}: mean error {} LSB > bound {mean}",
            e.mean()
        );
    }
}
