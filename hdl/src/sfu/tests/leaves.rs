//! Every leaf: rust-hdl simulation and Icarus on the emitted Verilog, each
//! against the Rust function it implements, on seeded random vectors.

use super::icarus::{comb_tb, lint, parse_hex, run_icarus};
use crate::sfu::arith::{mask, mul_wrap, rnd_sat, sext, Ext, MulS, RndSat};
use crate::sfu::emit::leaf_verilog;
use crate::sfu::recip::Recip;
use crate::sfu::reduce::RedNode;
use crate::sfu::tables::{ExpRom, Rsqrt};
use llmfab_isa::tables::{rsqrt, EXP};
use rust_hdl::prelude::*;

const SEED: u64 = 0x5F0_1EAF;

/// Seeded xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A random signed value of `w` bits, biased to the extremes.
    fn signed(&mut self, w: usize) -> i64 {
        let max = if w >= 64 {
            i64::MAX
        } else {
            (1i64 << (w - 1)) - 1
        };
        match self.next() % 8 {
            0 => max,
            1 => -max - 1,
            2 => (self.next() % 5) as i64 - 2,
            _ => sext(self.next(), w),
        }
    }
}

fn mul_case<const A: usize, const B: usize, const P: usize>(name: &str) {
    let mut rng = Rng(SEED ^ (A * 100 + B) as u64);
    let vecs: Vec<(i64, i64)> = (0..300).map(|_| (rng.signed(A), rng.signed(B))).collect();
    // rust-hdl simulation.
    let mut uut = MulS::<A, B, P>::default();
    uut.connect_all();
    for &(a, b) in &vecs {
        uut.a.next = mask(a, A).to_bits();
        uut.b.next = mask(b, B).to_bits();
        assert!(simulate(&mut uut, 10));
        assert_eq!(
            sext(uut.p.val().to_u64(), P),
            mul_wrap(a, b, P),
            "seed {SEED:#x}: rust-hdl {name} {a} * {b}"
        );
    }
    // Icarus on the emitted Verilog.
    let v = leaf_verilog(name, MulS::<A, B, P>::default()).unwrap();
    let rows: Vec<Vec<u64>> = vecs
        .iter()
        .map(|&(a, b)| vec![mask(a, A), mask(b, B)])
        .collect();
    let out = parse_hex(&run_icarus(
        name,
        &v,
        &comb_tb(name, &[("a", A), ("b", B)], &[("p", P)], &rows),
    ));
    assert_eq!(out.len(), vecs.len());
    for (o, &(a, b)) in out.iter().zip(&vecs) {
        assert_eq!(
            sext(o[0], P),
            mul_wrap(a, b, P),
            "seed {SEED:#x}: Icarus {name} {a} * {b}"
        );
    }
}

#[test]
fn multipliers() {
    mul_case::<33, 18, 51>("sfu_mul_33x18");
    mul_case::<16, 16, 32>("sfu_mul_16x16");
    mul_case::<64, 17, 64>("sfu_mul_64x17");
}

#[test]
fn extension_leaf() {
    let mut rng = Rng(SEED);
    let vecs: Vec<(u64, bool)> = (0..100)
        .map(|_| (rng.next() & 0xffff, rng.next().is_multiple_of(2)))
        .collect();
    let want = |x: u64, s: bool| if s { mask(sext(x, 16), 17) } else { x };
    let mut uut = Ext::<16, 17>::default();
    uut.connect_all();
    for &(x, s) in &vecs {
        uut.x.next = x.to_bits();
        uut.s.next = s;
        assert!(simulate(&mut uut, 10));
        assert_eq!(
            uut.y.val().to_u64(),
            want(x, s),
            "rust-hdl ext({x:#x}, {s})"
        );
    }
    let v = leaf_verilog("sfu_ext_16x17", Ext::<16, 17>::default()).unwrap();
    let w = lint("sfu_ext_16x17", &v, "sfu_ext_16x17");
    assert!(w.is_empty(), "verilator -Wall:\n{w}");
    let rows: Vec<Vec<u64>> = vecs.iter().map(|&(x, s)| vec![x, s as u64]).collect();
    let tb = comb_tb("sfu_ext_16x17", &[("x", 16), ("s", 1)], &[("y", 17)], &rows);
    let out = parse_hex(&run_icarus("ext", &v, &tb));
    assert_eq!(out.len(), vecs.len());
    for (o, &(x, s)) in out.iter().zip(&vecs) {
        assert_eq!(o[0], want(x, s), "Icarus ext({x:#x}, {s})");
    }
}

#[test]
fn rnd_sat_leaf() {
    let mut rng = Rng(SEED);
    let widths = [4u32, 8, 9, 16, 17];
    let vecs: Vec<(i64, u32, i64, u32)> = (0..400)
        .map(|_| {
            let w = [16usize, 33, 48, 64][(rng.next() % 4) as usize];
            (
                rng.signed(w),
                (rng.next() % 64) as u32,
                if rng.next().is_multiple_of(2) {
                    0
                } else {
                    rng.signed(16)
                },
                widths[(rng.next() % 5) as usize],
            )
        })
        .collect();
    let mut uut = RndSat::default();
    uut.connect_all();
    for &(x, s, b, w) in &vecs {
        uut.x.next = (x as u64).to_bits();
        uut.shift.next = (s as u64).to_bits();
        uut.bias.next = mask(b, 32).to_bits();
        uut.bits.next = (w as u64).to_bits();
        assert!(simulate(&mut uut, 10));
        assert_eq!(
            sext(uut.y.val().to_u64(), 32),
            rnd_sat(x, s, b, w),
            "seed {SEED:#x}: rust-hdl rnd_sat({x}, {s}, {b}, {w})"
        );
    }
    let v = leaf_verilog("sfu_rnd_sat", RndSat::default()).unwrap();
    let rows: Vec<Vec<u64>> = vecs
        .iter()
        .map(|&(x, s, b, w)| vec![x as u64, s as u64, mask(b, 32), w as u64])
        .collect();
    let tb = comb_tb(
        "sfu_rnd_sat",
        &[("x", 64), ("shift", 6), ("bias", 32), ("bits", 6)],
        &[("y", 32)],
        &rows,
    );
    let out = parse_hex(&run_icarus("rnd_sat", &v, &tb));
    assert_eq!(out.len(), vecs.len());
    for (o, &(x, s, b, w)) in out.iter().zip(&vecs) {
        assert_eq!(
            sext(o[0], 32),
            rnd_sat(x, s, b, w),
            "seed {SEED:#x}: Icarus rnd_sat({x}, {s}, {b}, {w})"
        );
    }
}

#[test]
fn exp_rom_and_rsqrt() {
    let mut e = ExpRom::default();
    e.connect_all();
    for d in 0..256u64 {
        e.d.next = d.to_bits();
        assert!(simulate(&mut e, 10));
        assert_eq!(e.e.val().to_u64(), EXP[d as usize] as u64);
    }
    let v = leaf_verilog("sfu_exp_rom", ExpRom::default()).unwrap();
    let rows: Vec<Vec<u64>> = (0..256).map(|d| vec![d]).collect();
    let out = parse_hex(&run_icarus(
        "exp_rom",
        &v,
        &comb_tb("sfu_exp_rom", &[("d", 8)], &[("e", 16)], &rows),
    ));
    for (d, o) in out.iter().enumerate() {
        assert_eq!(o[0], EXP[d] as u64, "Icarus EXP[{d}]");
    }
    let mut rng = Rng(SEED);
    let mut vs: Vec<u64> = vec![
        0,
        1,
        2,
        3,
        4,
        63,
        64,
        255,
        256,
        1 << 20,
        (1 << 32) - 1,
        1 << 31,
    ];
    vs.extend((0..200).map(|_| rng.next() >> (32 + rng.next() % 32)));
    let mut r = Rsqrt::default();
    r.connect_all();
    for &x in &vs {
        r.v.next = x.to_bits();
        assert!(simulate(&mut r, 10));
        assert_eq!(
            r.inv.val().to_u64(),
            rsqrt(x.max(1)) as u64,
            "rust-hdl rsqrt({x})"
        );
    }
    let v = leaf_verilog("sfu_rsqrt", Rsqrt::default()).unwrap();
    let rows: Vec<Vec<u64>> = vs.iter().map(|&x| vec![x]).collect();
    let out = parse_hex(&run_icarus(
        "rsqrt",
        &v,
        &comb_tb("sfu_rsqrt", &[("v", 32)], &[("inv", 16)], &rows),
    ));
    for (o, &x) in out.iter().zip(&vs) {
        assert_eq!(o[0], rsqrt(x.max(1)) as u64, "Icarus rsqrt({x})");
    }
}

/// Clock edge helper for rust-hdl simulation of sequential leaves.
fn tick<B: Block>(uut: &mut B, clock: impl Fn(&mut B, bool)) {
    clock(uut, false);
    assert!(simulate(uut, 100));
    clock(uut, true);
    assert!(simulate(uut, 100));
}

#[test]
fn recip_divider() {
    let mut rng = Rng(SEED);
    let mut sums: Vec<u64> = vec![65535, 65536, 65537, 131071, (1 << 36) - 1, 1 << 35, 100_000];
    sums.extend((0..20).map(|_| 65535 + rng.next() % (1 << 30)));
    let mut uut = Recip::default();
    uut.connect_all();
    let clk = |u: &mut Recip, c: bool| u.clock.next = Clock { clk: c };
    for &s in &sums {
        uut.start.next = true;
        uut.sum.next = s.to_bits();
        tick(&mut uut, clk);
        uut.start.next = false;
        for cycle in 1..=17 {
            assert!(!uut.ready.val(), "busy in iteration {cycle}");
            tick(&mut uut, clk);
        }
        assert!(uut.ready.val(), "ready 18 cycles after start");
        assert_eq!(
            uut.r.val().to_u64(),
            (1u64 << 32) / s,
            "rust-hdl 2^32 / {s}"
        );
    }
    // Icarus: same protocol.
    let v = leaf_verilog("sfu_recip", Recip::default()).unwrap();
    let mut tb = String::from(
        "module tb;\nreg clock = 0; reg start = 0; reg [57:0] sum = 0; wire [17:0] r; wire ready;\n\
         sfu_recip dut(.clock(clock), .start(start), .sum(sum), .r(r), .ready(ready));\n\
         always #5 clock = ~clock;\ninitial begin\n",
    );
    for &s in &sums {
        tb += &format!("  @(negedge clock); start = 1; sum = 58'h{s:x};\n  @(negedge clock); start = 0;\n  repeat (17) begin if (ready) $display(\"early\"); @(negedge clock); end\n  $display(\"%h %h\", ready, r);\n");
    }
    tb += "  $finish;\nend\nendmodule\n";
    let out = parse_hex(&run_icarus("recip", &v, &tb));
    assert_eq!(out.len(), sums.len(), "{out:?}");
    for (o, &s) in out.iter().zip(&sums) {
        assert_eq!((o[0], o[1]), (1, (1u64 << 32) / s), "Icarus 2^32 / {s}");
    }
}

#[test]
fn reduction_node() {
    let mut rng = Rng(SEED);
    let vecs: Vec<(bool, i64, i64)> = (0..200)
        .map(|_| (rng.next().is_multiple_of(2), rng.signed(40), rng.signed(40)))
        .collect();
    let want = |&(m, a, b): &(bool, i64, i64)| if m { a.max(b) } else { a + b };
    let mut uut = RedNode::default();
    uut.connect_all();
    let clk = |u: &mut RedNode, c: bool| u.clock.next = Clock { clk: c };
    for v in &vecs {
        uut.is_max.next = v.0;
        uut.a.next = v.1.to_signed_bits();
        uut.b.next = v.2.to_signed_bits();
        tick(&mut uut, clk);
        assert_eq!(uut.y.val().bigint(), want(v).into(), "rust-hdl {v:?}");
    }
    let v = leaf_verilog("sfu_red_node", RedNode::default()).unwrap();
    let mut tb = String::from(
        "module tb;\nreg clock = 0; reg is_max = 0; reg signed [47:0] a = 0, b = 0; wire signed [47:0] y;\n\
         sfu_red_node dut(.clock(clock), .is_max(is_max), .a(a), .b(b), .y(y));\n\
         always #5 clock = ~clock;\ninitial begin\n",
    );
    for &(m, a, b) in &vecs {
        tb += &format!("  @(negedge clock); is_max = {}; a = 48'h{:x}; b = 48'h{:x};\n  @(negedge clock); $display(\"%h\", y);\n", m as u8, mask(a, 48), mask(b, 48));
    }
    tb += "  $finish;\nend\nendmodule\n";
    let out = parse_hex(&run_icarus("red_node", &v, &tb));
    assert_eq!(out.len(), vecs.len());
    for (o, v) in out.iter().zip(&vecs) {
        assert_eq!(sext(o[0], 48), want(v), "Icarus {v:?}");
    }
}

#[test]
fn leaves_emit_and_lint_clean() {
    let all = crate::sfu::leaves_verilog().unwrap();
    assert!(all.matches("endmodule").count() >= 8);
    let leaves = [
        (
            "sfu_mul_33x18",
            leaf_verilog("sfu_mul_33x18", MulS::<33, 18, 51>::default()),
        ),
        (
            "sfu_mul_64x17",
            leaf_verilog("sfu_mul_64x17", MulS::<64, 17, 64>::default()),
        ),
        (
            "sfu_rnd_sat",
            leaf_verilog("sfu_rnd_sat", RndSat::default()),
        ),
        (
            "sfu_exp_rom",
            leaf_verilog("sfu_exp_rom", ExpRom::default()),
        ),
        ("sfu_rsqrt", leaf_verilog("sfu_rsqrt", Rsqrt::default())),
        ("sfu_recip", leaf_verilog("sfu_recip", Recip::default())),
        (
            "sfu_red_node",
            leaf_verilog("sfu_red_node", RedNode::default()),
        ),
    ];
    let mut problems = String::new();
    for (top, v) in leaves {
        problems += &lint(top, &v.unwrap(), top);
    }
    assert!(problems.is_empty(), "verilator -Wall:\n{problems}");
}

/// Writes every leaf's Verilog to `$SFU_DUMP_DIR` (for Yosys estimates by hand).
#[test]
fn dump_leaves_when_asked() {
    let Some(dir) = std::env::var_os("SFU_DUMP_DIR") else {
        return;
    };
    std::fs::write(
        std::path::Path::new(&dir).join("sfu_leaves.v"),
        crate::sfu::leaves_verilog().unwrap(),
    )
    .unwrap();
}
