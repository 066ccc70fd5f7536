//! `llmfab_sfu_lane` ([`SfuLane`]) against a cycle model of its table
//! (64-bit wrapping arithmetic as in `llmfab_isa::reference`): the rust-hdl
//! simulation and the emitted Verilog (Icarus), on seeded random inputs on
//! every port (all ops and passes, operands biased to their extremes).

use super::icarus::run_icarus;
use crate::sfu::arith::{mask, sext};
use crate::sfu::lane::SfuLane;
use crate::sfu::ops;
use llmfab_isa::tables::{rnd, EXP};
use llmfab_isa::EngineConfig;
use rust_hdl::prelude::*;

const SEED: u64 = 0x01A7_E5F0;

/// Seeded xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A random `w`-bit value (two's complement), biased to the extremes.
    fn val(&mut self, w: usize) -> u64 {
        let max = (1u64 << (w - 1)) - 1;
        let v = match self.next() % 8 {
            0 => max,
            1 => max + 1,
            2 => (self.next() % 5).wrapping_sub(2),
            3 => sext(self.next(), 8) as u64,
            4 => sext(self.next(), 16) as u64,
            _ => self.next(),
        };
        mask(v as i64, w)
    }
}

/// One cycle's inputs (raw port values).
#[derive(Clone, Debug, Default)]
struct In {
    op: u64,
    md: u64,
    neg: bool,
    ve: bool,
    a: u64,
    b: u64,
    sa: u64,
    sb: u64,
    shift: u64,
    kvdst: bool,
    imm0: u64,
    mx: u64,
    rr: u64,
    inv: u64,
    mu: u64,
}

impl In {
    fn random(r: &mut Rng) -> In {
        In {
            op: r.next() % 8,
            md: r.next() % 4,
            neg: r.next().is_multiple_of(2),
            ve: !r.next().is_multiple_of(4),
            a: r.val(32),
            b: r.val(16),
            sa: r.val(16),
            sb: r.val(16),
            shift: if r.next().is_multiple_of(4) {
                r.next() % 64
            } else {
                r.next() % 16
            },
            kvdst: r.next().is_multiple_of(2),
            imm0: r.val(16),
            mx: r.val(32),
            rr: r.val(17),
            inv: r.val(16),
            mu: r.val(64),
        }
    }
}

/// The lane's registers, computed in `i64` from the table of `lane.rs`.
#[derive(Clone, Default)]
struct Model {
    // R1
    op1: u64,
    md1: u64,
    neg1: bool,
    ve1: bool,
    a1: i64,
    b1: i64,
    sa1: i64,
    sb1: i64,
    // R2
    op2: u64,
    md2: u64,
    neg2: bool,
    ve2: bool,
    a2: i64,
    sa2: i64,
    sb2: i64,
    ta2: i64,
    tb2: i64,
    f2: i64,
    p2: i64,
    q2: i64,
    // R3
    op3: u64,
    e3: i64,
    bias3: i64,
    t3: i64,
    ra3: u64,
    rb3: u64,
    // R4
    y4: u64,
}

impl Model {
    /// One clock edge with `x` on the ports.
    fn step(&mut self, x: &In, tab: &[i64], ab: u32, kb: u32) -> Model {
        let o = self.clone();
        let mut n = o.clone();
        let (mul, add) = (i64::wrapping_mul, i64::wrapping_add);
        // R1
        n.op1 = x.op;
        n.md1 = x.md;
        n.neg1 = x.neg;
        n.ve1 = x.ve;
        n.a1 = sext(x.a, 32);
        n.b1 = sext(x.b, 16);
        n.sa1 = sext(x.sa, 16);
        n.sb1 = sext(x.sb, 16);
        // R2
        let a = o.a1;
        n.p2 = match o.op1 as u32 {
            ops::SMX => mul(sext(x.mx, 32) - a, x.imm0 as i64),
            ops::RMS | ops::LN if o.md1 == 0 => a * a,
            ops::RMS | ops::LN => mul(a.wrapping_sub(x.mu as i64), x.inv as i64),
            ops::MUL => a * o.b1,
            _ => a * o.sa1,
        };
        n.q2 = o.b1 * o.sb1;
        let ti = (if ab == 8 { a & 255 } else { (a >> 8) & 255 }) ^ 128;
        n.ta2 = tab[ti as usize];
        n.tb2 = tab[ti as usize + 1];
        n.f2 = a & 255;
        n.op2 = o.op1;
        n.md2 = o.md1;
        n.neg2 = o.neg1;
        n.ve2 = o.ve1;
        n.a2 = a;
        n.sa2 = o.sa1;
        n.sb2 = o.sb1;
        // R3
        let p2r = rnd(o.p2, x.shift as u32);
        let d = if p2r < 0 { 0 } else { p2r.min(255) };
        let e = if o.ve2 { EXP[d as usize] as i64 } else { 0 };
        let tint = ((o.tb2 - o.ta2) * o.f2 + 128) >> 8;
        n.t3 = match o.op2 as u32 {
            ops::RMS | ops::LN | ops::MUL => mul(o.p2, o.sa2),
            ops::ACT if ab == 16 => o.ta2 + tint,
            ops::ACT => o.ta2,
            ops::ROPE if o.neg2 => o.p2.wrapping_sub(o.q2),
            ops::ROPE | ops::ADD => add(o.p2, o.q2),
            _ => o.p2,
        };
        n.e3 = e;
        n.bias3 = if o.op2 as u32 == ops::LN { o.sb2 } else { 0 };
        let p40 = if o.ve2 { mask(o.p2, 40) } else { 0 };
        n.ra3 = match o.op2 as u32 {
            ops::SMX if o.md2 == 0 => mask(if o.ve2 { o.a2 } else { -(1 << 31) }, 40),
            ops::SMX => e as u64,
            ops::LN => {
                if o.ve2 {
                    mask(o.a2, 40)
                } else {
                    0
                }
            }
            _ => p40,
        };
        n.rb3 = p40;
        n.op3 = o.op2;
        // R4
        let sh = match o.op3 as u32 {
            ops::ROPE => 14,
            ops::ACT => 0,
            _ => x.shift as u32,
        };
        let v = add(rnd(o.t3, sh), o.bias3);
        let bits = if x.kvdst && o.op3 as u32 == ops::REQ {
            kb
        } else {
            ab
        };
        let hi = (1i64 << (bits - 1)) - 1;
        let sat = v.clamp(-hi - 1, hi);
        let f = ab - 1;
        let smx = ((o.e3 * x.rr as i64 + (1 << (31 - f))) >> (32 - f)).min((1 << f) - 1);
        n.y4 = mask(
            if o.op3 as u32 == ops::SMX { smx } else { sat },
            ab as usize,
        );
        *self = n;
        self.clone()
    }
}

fn cfgs() -> Vec<EngineConfig> {
    let mut w = EngineConfig::tiny();
    w.name = "a16-l8".into();
    w.act_bits = 16;
    w.kv_bits = 4;
    w.sfu_lanes = 8;
    let mut one = EngineConfig::tiny();
    one.name = "l1-kv4".into();
    one.sfu_lanes = 1;
    one.kv_bits = 4;
    vec![EngineConfig::tiny(), w, one]
}

fn stimulus(cfg: &EngineConfig, cycles: usize) -> (Vec<i64>, Vec<In>) {
    let mut r = Rng(SEED ^ cfg.sfu_lanes as u64 ^ ((cfg.act_bits as u64) << 8));
    let te = crate::sfu::table_entries(cfg) as usize;
    let tab = (0..te).map(|_| sext(r.val(16), 16)).collect();
    (tab, (0..cycles).map(|_| In::random(&mut r)).collect())
}

fn run_model(cfg: &EngineConfig, tab: &[i64], ins: &[In]) -> Vec<(u64, u64, u64)> {
    let mut m = Model::default();
    ins.iter()
        .map(|x| {
            let s = m.step(x, tab, cfg.act_bits, cfg.kv_bits);
            (s.ra3, s.rb3, s.y4)
        })
        .collect()
}

fn tick<B: Block>(uut: &mut B, clock: impl Fn(&mut B, bool)) {
    clock(uut, false);
    assert!(simulate(uut, 100));
    clock(uut, true);
    assert!(simulate(uut, 100));
}

fn rust_hdl_case<const TW: usize, const AB: usize>(cfg: &EngineConfig) {
    let (tab, ins) = stimulus(cfg, 600);
    let want = run_model(cfg, &tab, &ins);
    let mut uut = SfuLane::<TW, AB>::new(cfg.kv_bits as usize);
    uut.connect_all();
    let mut t: Bits<TW> = Default::default();
    for (i, &v) in tab.iter().enumerate() {
        t.set_bits::<16>(16 * i, mask(v, 16).to_bits());
    }
    uut.tab.next = t;
    let clk = |u: &mut SfuLane<TW, AB>, c: bool| u.clk.next = Clock { clk: c };
    for (c, (x, w)) in ins.iter().zip(&want).enumerate() {
        uut.op.next = x.op.to_bits();
        uut.md.next = x.md.to_bits();
        uut.neg.next = x.neg;
        uut.ve.next = x.ve;
        uut.a.next = x.a.to_bits();
        uut.b.next = x.b.to_bits();
        uut.sa.next = x.sa.to_bits();
        uut.sb.next = x.sb.to_bits();
        uut.shift.next = x.shift.to_bits();
        uut.kvdst.next = x.kvdst;
        uut.imm0.next = x.imm0.to_bits();
        uut.mx.next = x.mx.to_bits();
        uut.rr.next = x.rr.to_bits();
        uut.inv.next = x.inv.to_bits();
        uut.mu.next = x.mu.to_bits();
        tick(&mut uut, clk);
        if c >= 4 {
            let got = (
                uut.ra.val().to_u64(),
                uut.rb.val().to_u64(),
                uut.y.val().to_u64(),
            );
            assert_eq!(
                got,
                *w,
                "{} cycle {c}: inputs {:?}",
                cfg.name,
                &ins[c - 3..=c]
            );
        }
    }
}

#[test]
fn lane_rust_hdl_matches_model() {
    let c = cfgs();
    rust_hdl_case::<{ 16 * 260 }, 8>(&c[0]);
    rust_hdl_case::<{ 16 * 264 }, 16>(&c[1]);
    rust_hdl_case::<{ 16 * 257 }, 8>(&c[2]);
}

#[test]
fn lane_verilog_matches_model() {
    let mut cs = cfgs();
    let mut u = cs[0].clone();
    u.name = "l128".into();
    u.sfu_lanes = 128;
    u.kv_bits = 4;
    cs.push(u);
    for cfg in cs {
        let (tab, ins) = stimulus(&cfg, 4000);
        let want = run_model(&cfg, &tab, &ins);
        let tw = 16 * tab.len();
        let mut tb = format!(
            "module tb;\nreg clk = 0; reg [2:0] op; reg [1:0] md; reg neg, ve, kvdst;\n\
             reg [31:0] a, mx; reg [15:0] b, sa, sb, imm0, inv; reg [5:0] shift; reg [16:0] rr; reg [63:0] mu;\n\
             reg [{}:0] tab; wire [39:0] ra, rb; wire [{}:0] y;\n\
             llmfab_sfu_lane dut(.clk(clk), .op(op), .md(md), .neg(neg), .ve(ve), .a(a), .b(b), .sa(sa), .sb(sb),\n\
             .shift(shift), .kvdst(kvdst), .imm0(imm0), .mx(mx), .rr(rr), .inv(inv), .mu(mu), .tab(tab), .ra(ra), .rb(rb), .y(y));\n\
             initial begin\n",
            tw - 1,
            cfg.act_bits - 1
        );
        for (i, &v) in tab.iter().enumerate() {
            tb += &format!(
                "  tab[{}:{}] = 16'h{:x};\n",
                16 * i + 15,
                16 * i,
                mask(v, 16)
            );
        }
        for x in &ins {
            tb += &format!(
                "  op = {}; md = {}; neg = {}; ve = {}; a = 32'h{:x}; b = 16'h{:x}; sa = 16'h{:x}; sb = 16'h{:x};\n  shift = {}; kvdst = {}; imm0 = 16'h{:x}; mx = 32'h{:x}; rr = 17'h{:x}; inv = 16'h{:x}; mu = 64'h{:x};\n  #1 clk = 1; #1 clk = 0; $display(\"%h %h %h\", ra, rb, y);\n",
                x.op, x.md, x.neg as u8, x.ve as u8, x.a, x.b, x.sa, x.sb, x.shift, x.kvdst as u8,
                x.imm0, x.mx, x.rr, x.inv, x.mu
            );
        }
        tb += "  $finish;\nend\nendmodule\n";
        let v = crate::sfu::lane::verilog(&cfg).expect("lane Verilog");
        let out = super::icarus::parse_hex(&run_icarus(&format!("lane-{}", cfg.name), &v, &tb));
        assert_eq!(out.len(), ins.len());
        for (c, (o, w)) in out.iter().zip(&want).enumerate().skip(4) {
            assert_eq!(
                (o[0], o[1], o[2]),
                *w,
                "{} cycle {c}: inputs {:?}",
                cfg.name,
                &ins[c - 3..=c]
            );
        }
    }
}
