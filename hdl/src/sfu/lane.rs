//! `llmfab_sfu_lane`: one SFU lane, a fixed 4-stage pipeline (a rust-hdl
//! block, [`SfuLane`]; one module instanced `L` times by the top's
//! `generate` loop).
//!
//! The top presents an operation in cycle `c` (operands `a`, `b`, `sa`,
//! `sb`, lane valid `ve`, mode `md`, `neg`); the lane registers them (R1),
//! multiplies (R2), combines (R3: the reduction values `ra`/`rb` and the
//! pre-rounding value), rounds and saturates (R4 = `y`, visible in `c + 4`).
//!
//! | op | R2 | R3 | y |
//! |---|---|---|---|
//! | requant | `p = a·sa` | `p` | `sat_b(rnd(p, shift))` |
//! | softmax | `p = (mx − a)·imm0` | `e = ve ? EXP[min(255, rnd(p, shift))] : 0` | `min(2^f−1, (e·r + 2^(31−f)) >> (32−f))` |
//! | rmsnorm, layernorm | red: `p = a²`; out: `p = (a − mu)·inv` (64-bit wrap) | red: `ra = a` (LN) or `a²`, `rb = a²`; out: `p·sa` | `sat(rnd(t, shift) + sb)` (`sb = β`, 0 for rmsnorm) |
//! | silu, gelu | `T[i]`, `T[i+1]`, `f` | `T[i] + rnd((T[i+1]−T[i])·f, 8)` (a16) or `T[x+128]` | `sat(t)` |
//! | rope | `p = a·sa`, `q = b·sb` (`sa = c`, `sb = s`) | `neg ? p − q : p + q` | `sat(rnd(t, 14))` |
//! | add | `p = a·sa`, `q = b·sb` (`sa = imm0`, `sb = imm1`) | `p + q` | `sat(rnd(t, shift))` |
//! | mul | `p = a·b` | `p·sa` | `sat(rnd(t, shift))` |
//!
//! # Multipliers (8 DSP48E2 per lane)
//!
//! The products are sized to what the table needs and shared between the
//! operations (each [`MulS`] below fits one DSP48E2, 27×18):
//!
//! - R2, `M1 = x1·y1` (64×17, low 64 bits) as three partial products of
//!   `x1` in unsigned 26-bit slices and its signed 12-bit top:
//!   softmax `(mx − a)·imm0` (33×17, exact), norms' output pass
//!   `(a − mu)·inv` (64-bit wrap), mul `a·b` and the others `a·sa`
//!   (32×17, exact). Norms' reduction pass: `a² = (aH·2^17 + aL)·aL +
//!   aH²·2^32` (`a = aH·2^16 + aL`, exact), `aH²` from M2.
//! - R2, `M2` (16×16): `b·sb` (rope, add) or `aH²`.
//! - R3, `M3 = p·sa` (64×16, low 64 bits, three partial products): norms
//!   and mul; with int16 activations also the table interpolation
//!   `(T[i+1] − T[i])·f` (17×9).
//! - R4, `M4 = e·r` (16×17, unsigned): softmax.

use super::arith::{Ext, MulS};
use super::ops;
use super::tables::ExpRom;
use super::SfuError;
use llmfab_isa::EngineConfig;
use rust_hdl::prelude::*;

/// Bits of the table index (`16·table_entries ≤ 2^13` for every lane count:
/// `257 ≤ table_entries ≤ 512`).
const IW: usize = 13;

/// A constant of `N` bits.
fn c<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.to_bits())
}

/// One SFU lane: `TW = 16·table_entries` table bits, `AB` activation bits.
#[derive(LogicBlock)]
pub struct SfuLane<const TW: usize, const AB: usize> {
    /// Clock.
    pub clk: Signal<In, Clock>,
    /// Operation (`ops`).
    pub op: Signal<In, Bits<3>>,
    /// Pass: 0 first reduction, 1 second reduction (softmax), 2 output.
    pub md: Signal<In, Bits<2>>,
    /// Rope: subtract the second product.
    pub neg: Signal<In, Bit>,
    /// Element valid.
    pub ve: Signal<In, Bit>,
    /// First operand (two's complement).
    pub a: Signal<In, Bits<32>>,
    /// Second operand.
    pub b: Signal<In, Bits<16>>,
    /// First scale.
    pub sa: Signal<In, Bits<16>>,
    /// Second scale (layernorm: β).
    pub sb: Signal<In, Bits<16>>,
    /// Rounding shift.
    pub shift: Signal<In, Bits<6>>,
    /// Requant to KVBUF (saturate to `kv_bits`).
    pub kvdst: Signal<In, Bit>,
    /// Softmax scale (unsigned).
    pub imm0: Signal<In, Bits<16>>,
    /// Softmax row maximum.
    pub mx: Signal<In, Bits<32>>,
    /// Softmax reciprocal (unsigned).
    pub rr: Signal<In, Bits<17>>,
    /// Norm reciprocal square root (unsigned).
    pub inv: Signal<In, Bits<16>>,
    /// Layernorm mean.
    pub mu: Signal<In, Bits<64>>,
    /// Activation table (`TW/16` int16 entries).
    pub tab: Signal<In, Bits<TW>>,
    /// Reduction value A (c + 3).
    pub ra: Signal<Out, Bits<40>>,
    /// Reduction value B (c + 3).
    pub rb: Signal<Out, Bits<40>>,
    /// Result (c + 4).
    pub y: Signal<Out, Bits<AB>>,
    // R1.
    op1: DFF<Bits<3>>,
    md1: DFF<Bits<2>>,
    neg1: DFF<Bit>,
    ve1: DFF<Bit>,
    a1: DFF<Bits<32>>,
    b1: DFF<Bits<16>>,
    sa1: DFF<Bits<16>>,
    sb1: DFF<Bits<16>>,
    // Stage 2.
    sx_a: Ext<32, 64>,
    sx_mx: Ext<32, 64>,
    ext_y1: Ext<16, 17>,
    ext_ti: Ext<8, IW>,
    m1a: MulS<27, 17, 64>,
    m1b: MulS<27, 17, 64>,
    m1c: MulS<12, 12, 64>,
    m2: MulS<16, 16, 64>,
    sq: Signal<Local, Bit>,
    sqb: Signal<Local, Bit>,
    p2h: Signal<Local, Bits<64>>,
    x1: Signal<Local, Bits<64>>,
    x1l: Signal<Local, Bits<27>>,
    x1m: Signal<Local, Bits<27>>,
    y16: Signal<Local, Bits<16>>,
    ysg: Signal<Local, Bit>,
    ti: Signal<Local, Bits<8>>,
    idx: Signal<Local, Bits<IW>>,
    idx1: Signal<Local, Bits<IW>>,
    ti1: Signal<Local, Bits<IW>>,
    // R2.
    op2: DFF<Bits<3>>,
    md2: DFF<Bits<2>>,
    neg2: DFF<Bit>,
    ve2: DFF<Bit>,
    a2: DFF<Bits<40>>,
    sa2: DFF<Bits<16>>,
    sb2: DFF<Bits<16>>,
    ta2: DFF<Bits<16>>,
    tb2: DFF<Bits<16>>,
    f2: DFF<Bits<16>>,
    p2: DFF<Bits<64>>,
    q2: DFF<Bits<64>>,
    // Stage 3.
    sx_ta: Ext<16, 64>,
    sx_tb: Ext<16, 64>,
    sx_sb: Ext<16, 64>,
    ze_e40: Ext<16, 40>,
    exp: ExpRom,
    m3a: MulS<27, 16, 64>,
    m3b: MulS<27, 16, 64>,
    m3c: MulS<12, 12, 64>,
    p2s: Signal<Local, Bits<64>>,
    p2r: Signal<Local, Bits<64>>,
    x3: Signal<Local, Bits<64>>,
    x3l: Signal<Local, Bits<27>>,
    x3m: Signal<Local, Bits<27>>,
    y3: Signal<Local, Bits<16>>,
    m3: Signal<Local, Bits<64>>,
    ti_s: Signal<Local, Bits<64>>,
    tint: Signal<Local, Bits<64>>,
    // R3.
    op3: DFF<Bits<3>>,
    e3: DFF<Bits<16>>,
    bias3: DFF<Bits<64>>,
    t3: DFF<Bits<64>>,
    ra3: DFF<Bits<40>>,
    rb3: DFF<Bits<40>>,
    // Stage 4.
    ze_e17: Ext<16, 17>,
    ze_rr: Ext<17, 18>,
    m4: MulS<17, 18, 34>,
    sh4: Signal<Local, Bits<6>>,
    t3h: Signal<Local, Bits<64>>,
    t3s: Signal<Local, Bits<64>>,
    t3r: Signal<Local, Bits<64>>,
    v4: Signal<Local, Bits<64>>,
    hi4: Signal<Local, Bits<64>>,
    sat4: Signal<Local, Bits<64>>,
    sp: Signal<Local, Bits<34>>,
    sq4: Signal<Local, Bits<34>>,
    smx4: Signal<Local, Bits<AB>>,
    unused_hi: Signal<Local, Bit>,
    // R4.
    y4: DFF<Bits<AB>>,
    // Constants.
    c_req: Constant<Bits<3>>,
    c_smx: Constant<Bits<3>>,
    c_rms: Constant<Bits<3>>,
    c_ln: Constant<Bits<3>>,
    c_act: Constant<Bits<3>>,
    c_rope: Constant<Bits<3>>,
    c_add: Constant<Bits<3>>,
    c_mul: Constant<Bits<3>>,
    md_red: Constant<Bits<2>>,
    wide: Constant<Bit>,
    k4: Constant<Bits<6>>,
    k8: Constant<Bits<6>>,
    k26: Constant<Bits<6>>,
    k32: Constant<Bits<6>>,
    k52: Constant<Bits<6>>,
    k14: Constant<Bits<6>>,
    sh_zero: Constant<Bits<6>>,
    sh_one: Constant<Bits<6>>,
    sshift: Constant<Bits<6>>,
    one13: Constant<Bits<IW>>,
    x80: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
    d255: Constant<Bits<8>>,
    lo16: Constant<Bits<64>>,
    lo26: Constant<Bits<27>>,
    f_mask: Constant<Bits<16>>,
    zero16: Constant<Bits<16>>,
    zero40: Constant<Bits<40>>,
    min40: Constant<Bits<40>>,
    zero64: Constant<Bits<64>>,
    one64: Constant<Bits<64>>,
    c128: Constant<Bits<64>>,
    c255: Constant<Bits<64>>,
    sign64: Constant<Bits<64>>,
    kvmax: Constant<Bits<64>>,
    amax: Constant<Bits<64>>,
    sround: Constant<Bits<34>>,
    amax34: Constant<Bits<34>>,
    amax_y: Constant<Bits<AB>>,
}

impl<const TW: usize, const AB: usize> SfuLane<TW, AB> {
    /// The lane for `kv_bits = kb` (`TW`, `AB` from the config).
    pub fn new(kb: usize) -> Self {
        assert!(
            (AB == 8 || AB == 16) && TW.is_multiple_of(16) && (16 * 257..=1 << IW).contains(&TW),
            "SfuLane: 8/16-bit activations, 257..=512 table entries"
        );
        let f = AB - 1;
        SfuLane {
            clk: Default::default(),
            op: Default::default(),
            md: Default::default(),
            neg: Default::default(),
            ve: Default::default(),
            a: Default::default(),
            b: Default::default(),
            sa: Default::default(),
            sb: Default::default(),
            shift: Default::default(),
            kvdst: Default::default(),
            imm0: Default::default(),
            mx: Default::default(),
            rr: Default::default(),
            inv: Default::default(),
            mu: Default::default(),
            tab: Default::default(),
            ra: Default::default(),
            rb: Default::default(),
            y: Default::default(),
            op1: Default::default(),
            md1: Default::default(),
            neg1: Default::default(),
            ve1: Default::default(),
            a1: Default::default(),
            b1: Default::default(),
            sa1: Default::default(),
            sb1: Default::default(),
            sx_a: Default::default(),
            sx_mx: Default::default(),
            ext_y1: Default::default(),
            ext_ti: Default::default(),
            m1a: Default::default(),
            m1b: Default::default(),
            m1c: Default::default(),
            m2: Default::default(),
            sq: Default::default(),
            sqb: Default::default(),
            p2h: Default::default(),
            x1: Default::default(),
            x1l: Default::default(),
            x1m: Default::default(),
            y16: Default::default(),
            ysg: Default::default(),
            ti: Default::default(),
            idx: Default::default(),
            idx1: Default::default(),
            ti1: Default::default(),
            op2: Default::default(),
            md2: Default::default(),
            neg2: Default::default(),
            ve2: Default::default(),
            a2: Default::default(),
            sa2: Default::default(),
            sb2: Default::default(),
            ta2: Default::default(),
            tb2: Default::default(),
            f2: Default::default(),
            p2: Default::default(),
            q2: Default::default(),
            sx_ta: Default::default(),
            sx_tb: Default::default(),
            sx_sb: Default::default(),
            ze_e40: Default::default(),
            exp: Default::default(),
            m3a: Default::default(),
            m3b: Default::default(),
            m3c: Default::default(),
            p2s: Default::default(),
            p2r: Default::default(),
            x3: Default::default(),
            x3l: Default::default(),
            x3m: Default::default(),
            y3: Default::default(),
            m3: Default::default(),
            ti_s: Default::default(),
            tint: Default::default(),
            op3: Default::default(),
            e3: Default::default(),
            bias3: Default::default(),
            t3: Default::default(),
            ra3: Default::default(),
            rb3: Default::default(),
            ze_e17: Default::default(),
            ze_rr: Default::default(),
            m4: Default::default(),
            sh4: Default::default(),
            t3h: Default::default(),
            t3s: Default::default(),
            t3r: Default::default(),
            v4: Default::default(),
            hi4: Default::default(),
            sat4: Default::default(),
            sp: Default::default(),
            sq4: Default::default(),
            smx4: Default::default(),
            unused_hi: Default::default(),
            y4: Default::default(),
            c_req: c(ops::REQ as u64),
            c_smx: c(ops::SMX as u64),
            c_rms: c(ops::RMS as u64),
            c_ln: c(ops::LN as u64),
            c_act: c(ops::ACT as u64),
            c_rope: c(ops::ROPE as u64),
            c_add: c(ops::ADD as u64),
            c_mul: c(ops::MUL as u64),
            md_red: c(0),
            wide: Constant::new(AB == 16),
            k4: c(4),
            k8: c(8),
            k26: c(26),
            k32: c(32),
            k52: c(52),
            k14: c(14),
            sh_zero: c(0),
            sh_one: c(1),
            sshift: c((32 - f) as u64),
            one13: c(1),
            x80: c(0x80),
            zero8: c(0),
            d255: c(255),
            lo16: c(0xffff),
            lo26: c((1 << 26) - 1),
            f_mask: c(0xff),
            zero16: c(0),
            zero40: c(0),
            min40: c((1u64 << 40) - (1u64 << 31)),
            zero64: c(0),
            one64: c(1),
            c128: c(128),
            c255: c(255),
            sign64: c(1 << 63),
            kvmax: c((1 << (kb - 1)) - 1),
            amax: c((1 << f) - 1),
            sround: c(1 << (31 - f)),
            amax34: c((1 << f) - 1),
            amax_y: c((1 << f) - 1),
        }
    }
}

impl<const TW: usize, const AB: usize> Logic for SfuLane<TW, AB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clk, op1, md1, neg1, ve1, a1, b1, sa1, sb1, op2, md2, neg2, ve2, a2, sa2, sb2,
            ta2, tb2, f2, p2, q2, op3, e3, bias3, t3, ra3, rb3, y4
        );
        // R1: operands.
        self.op1.d.next = self.op.val();
        self.md1.d.next = self.md.val();
        self.neg1.d.next = self.neg.val();
        self.ve1.d.next = self.ve.val();
        self.a1.d.next = self.a.val();
        self.b1.d.next = self.b.val();
        self.sa1.d.next = self.sa.val();
        self.sb1.d.next = self.sb.val();

        // Stage 2: M1 = x1·y1, M2, table look-up.
        self.sx_a.x.next = self.a1.q.val();
        self.sx_a.s.next = true;
        self.sx_mx.x.next = self.mx.val();
        self.sx_mx.s.next = true;
        self.sq.next = ((self.op1.q.val() == self.c_rms.val())
            | (self.op1.q.val() == self.c_ln.val()))
            & (self.md1.q.val() == self.md_red.val());
        // default (requant, act, rope, add): a·sa
        self.x1.next = self.sx_a.y.val();
        self.y16.next = self.sa1.q.val();
        self.ysg.next = self.sa1.q.val().get_bit(15);
        if self.op1.q.val() == self.c_smx.val() {
            self.x1.next = self.sx_mx.y.val() - self.sx_a.y.val();
            self.y16.next = self.imm0.val();
            self.ysg.next = false;
        }
        if (self.op1.q.val() == self.c_rms.val()) | (self.op1.q.val() == self.c_ln.val()) {
            if self.sq.val() {
                // aH·2^17 + aL = 2·a − aL
                self.x1.next = (self.sx_a.y.val() << self.sh_one.val())
                    - (self.sx_a.y.val() & self.lo16.val());
                self.y16.next = self.a1.q.val().get_bits::<16>(0);
            } else {
                self.x1.next = self.sx_a.y.val() - self.mu.val();
                self.y16.next = self.inv.val();
            }
            self.ysg.next = false;
        }
        if self.op1.q.val() == self.c_mul.val() {
            self.y16.next = self.b1.q.val();
            self.ysg.next = self.b1.q.val().get_bit(15);
        }
        self.ext_y1.x.next = self.y16.val();
        self.ext_y1.s.next = self.ysg.val();
        self.x1l.next = self.x1.val().get_bits::<27>(0) & self.lo26.val();
        self.x1m.next = self.x1.val().get_bits::<27>(26) & self.lo26.val();
        self.m1a.a.next = self.x1l.val();
        self.m1a.b.next = self.ext_y1.y.val();
        self.m1b.a.next = self.x1m.val();
        self.m1b.b.next = self.ext_y1.y.val();
        self.m1c.a.next = self.x1.val().get_bits::<12>(52);
        self.m1c.b.next = self.ext_y1.y.val().get_bits::<12>(0);
        // M2: b·sb, or aH² (norms' reduction pass).
        self.m2.a.next = self.b1.q.val();
        self.m2.b.next = self.sb1.q.val();
        if self.sq.val() {
            self.m2.a.next = self.a1.q.val().get_bits::<16>(16);
            self.m2.b.next = self.a1.q.val().get_bits::<16>(16);
        }
        // Table index: i = x + 128 (a8) or (x >> 8) + 128 (a16).
        self.ti.next = self.a1.q.val().get_bits::<8>(0) ^ self.x80.val();
        if self.wide.val() {
            self.ti.next = self.a1.q.val().get_bits::<8>(8) ^ self.x80.val();
        }
        self.ext_ti.x.next = self.ti.val();
        self.ext_ti.s.next = false;
        self.ti1.next = self.ext_ti.y.val() + self.one13.val();
        self.idx.next = self.ext_ti.y.val() << self.k4.val();
        self.idx1.next = self.ti1.val() << self.k4.val();

        // R2.
        self.op2.d.next = self.op1.q.val();
        self.md2.d.next = self.md1.q.val();
        self.neg2.d.next = self.neg1.q.val();
        self.ve2.d.next = self.ve1.q.val();
        self.a2.d.next = self.sx_a.y.val().get_bits::<40>(0);
        self.sa2.d.next = self.sa1.q.val();
        self.sb2.d.next = self.sb1.q.val();
        self.ta2.d.next = self.tab.val().get_bits::<16>(self.idx.val().index());
        self.tb2.d.next = self.tab.val().get_bits::<16>(self.idx1.val().index());
        self.f2.d.next = self.a1.q.val().get_bits::<16>(0) & self.f_mask.val();
        // Norms' reduction pass: + aH²·2^32. (`sqb` repeats `sq`: rust-hdl
        // emits one `always` block, and Verilator orders it by the locals
        // the statements share; M2's inputs and its product must not meet
        // in one, or it sees a combinational loop.)
        self.sqb.next = ((self.op1.q.val() == self.c_rms.val())
            | (self.op1.q.val() == self.c_ln.val()))
            & (self.md1.q.val() == self.md_red.val());
        self.p2h.next = self.zero64.val();
        if self.sqb.val() {
            self.p2h.next = self.m2.p.val() << self.k32.val();
        }
        self.p2.d.next = self.m1a.p.val()
            + (self.m1b.p.val() << self.k26.val())
            + (self.m1c.p.val() << self.k52.val())
            + self.p2h.val();
        self.q2.d.next = self.m2.p.val();

        // Stage 3: softmax exponent d = min(255, max(0, rnd(p, shift))).
        self.p2s.next =
            self.p2.q.val() + (self.one64.val() << (self.shift.val() - self.sh_one.val()));
        self.p2r.next = self.p2s.val() >> self.shift.val();
        if self.p2s.val().get_bit(63) {
            self.p2r.next = !((!self.p2s.val()) >> self.shift.val());
        }
        if self.shift.val() == self.sh_zero.val() {
            self.p2r.next = self.p2.q.val();
        }
        self.exp.d.next = self.p2r.val().get_bits::<8>(0);
        if self.p2r.val() > self.c255.val() {
            self.exp.d.next = self.d255.val();
        }
        if self.p2r.val().get_bit(63) {
            self.exp.d.next = self.zero8.val();
        }
        // M3 = x3·y3: p·sa, or (a16, act) (T[i+1] − T[i])·f.
        self.sx_ta.x.next = self.ta2.q.val();
        self.sx_ta.s.next = true;
        self.sx_tb.x.next = self.tb2.q.val();
        self.sx_tb.s.next = true;
        self.x3.next = self.p2.q.val();
        self.y3.next = self.sa2.q.val();
        if self.wide.val() & (self.op2.q.val() == self.c_act.val()) {
            self.x3.next = self.sx_tb.y.val() - self.sx_ta.y.val();
            self.y3.next = self.f2.q.val();
        }
        self.x3l.next = self.x3.val().get_bits::<27>(0) & self.lo26.val();
        self.x3m.next = self.x3.val().get_bits::<27>(26) & self.lo26.val();
        self.m3a.a.next = self.x3l.val();
        self.m3a.b.next = self.y3.val();
        self.m3b.a.next = self.x3m.val();
        self.m3b.b.next = self.y3.val();
        self.m3c.a.next = self.x3.val().get_bits::<12>(52);
        self.m3c.b.next = self.y3.val().get_bits::<12>(0);
        self.m3.next = self.m3a.p.val()
            + (self.m3b.p.val() << self.k26.val())
            + (self.m3c.p.val() << self.k52.val());
        // tint = rnd(m3, 8)
        self.ti_s.next = self.m3.val() + self.c128.val();
        self.tint.next = self.ti_s.val() >> self.k8.val();
        if self.ti_s.val().get_bit(63) {
            self.tint.next = !((!self.ti_s.val()) >> self.k8.val());
        }

        // R3.
        self.op3.d.next = self.op2.q.val();
        self.e3.d.next = self.zero16.val();
        if self.ve2.q.val() {
            self.e3.d.next = self.exp.e.val();
        }
        self.sx_sb.x.next = self.sb2.q.val();
        self.sx_sb.s.next = true;
        self.bias3.d.next = self.zero64.val();
        if self.op2.q.val() == self.c_ln.val() {
            self.bias3.d.next = self.sx_sb.y.val();
        }
        self.t3.d.next = self.p2.q.val();
        if (self.op2.q.val() == self.c_rms.val())
            | (self.op2.q.val() == self.c_ln.val())
            | (self.op2.q.val() == self.c_mul.val())
        {
            self.t3.d.next = self.m3.val();
        }
        if self.op2.q.val() == self.c_act.val() {
            self.t3.d.next = self.sx_ta.y.val();
            if self.wide.val() {
                self.t3.d.next = self.sx_ta.y.val() + self.tint.val();
            }
        }
        if self.op2.q.val() == self.c_rope.val() {
            self.t3.d.next = self.p2.q.val() + self.q2.q.val();
            if self.neg2.q.val() {
                self.t3.d.next = self.p2.q.val() - self.q2.q.val();
            }
        }
        if self.op2.q.val() == self.c_add.val() {
            self.t3.d.next = self.p2.q.val() + self.q2.q.val();
        }
        self.ze_e40.x.next = self.exp.e.val();
        self.ze_e40.s.next = false;
        self.ra3.d.next = self.zero40.val();
        self.rb3.d.next = self.zero40.val();
        if self.ve2.q.val() {
            self.ra3.d.next = self.p2.q.val().get_bits::<40>(0);
            self.rb3.d.next = self.p2.q.val().get_bits::<40>(0);
        }
        if self.op2.q.val() == self.c_ln.val() {
            self.ra3.d.next = self.zero40.val();
            if self.ve2.q.val() {
                self.ra3.d.next = self.a2.q.val();
            }
        }
        if self.op2.q.val() == self.c_smx.val() {
            if self.md2.q.val() == self.md_red.val() {
                self.ra3.d.next = self.min40.val();
                if self.ve2.q.val() {
                    self.ra3.d.next = self.a2.q.val();
                }
            } else {
                self.ra3.d.next = self.zero40.val();
                if self.ve2.q.val() {
                    self.ra3.d.next = self.ze_e40.y.val();
                }
            }
        }
        self.ra.next = self.ra3.q.val();
        self.rb.next = self.rb3.q.val();

        // Stage 4: round, bias, saturate; softmax: (e·r + 2^(31−f)) >> (32−f).
        self.sh4.next = self.shift.val();
        if self.op3.q.val() == self.c_act.val() {
            self.sh4.next = self.sh_zero.val();
        }
        if self.op3.q.val() == self.c_rope.val() {
            self.sh4.next = self.k14.val();
        }
        self.t3h.next = self.one64.val() << (self.sh4.val() - self.sh_one.val());
        self.t3s.next = self.t3.q.val() + self.t3h.val();
        self.t3r.next = self.t3s.val() >> self.sh4.val();
        if self.t3s.val().get_bit(63) {
            self.t3r.next = !((!self.t3s.val()) >> self.sh4.val());
        }
        if self.sh4.val() == self.sh_zero.val() {
            self.t3r.next = self.t3.q.val();
        }
        self.v4.next = self.t3r.val() + self.bias3.q.val();
        self.hi4.next = self.amax.val();
        if self.kvdst.val() & (self.op3.q.val() == self.c_req.val()) {
            self.hi4.next = self.kvmax.val();
        }
        // signed compares: flip the sign bits
        self.sat4.next = self.v4.val();
        if (self.v4.val() ^ self.sign64.val()) > (self.hi4.val() ^ self.sign64.val()) {
            self.sat4.next = self.hi4.val();
        }
        if (self.v4.val() ^ self.sign64.val()) < ((!self.hi4.val()) ^ self.sign64.val()) {
            self.sat4.next = !self.hi4.val();
        }
        self.ze_e17.x.next = self.e3.q.val();
        self.ze_e17.s.next = false;
        self.ze_rr.x.next = self.rr.val();
        self.ze_rr.s.next = false;
        self.m4.a.next = self.ze_e17.y.val();
        self.m4.b.next = self.ze_rr.y.val();
        self.sp.next = self.m4.p.val() + self.sround.val();
        self.sq4.next = self.sp.val() >> self.sshift.val();
        self.smx4.next = self.sq4.val().get_bits::<AB>(0);
        if self.sq4.val() > self.amax34.val() {
            self.smx4.next = self.amax_y.val();
        }
        self.unused_hi.next = self.sat4.val().any() | self.sq4.val().any();

        // R4.
        self.y4.d.next = self.sat4.val().get_bits::<AB>(0);
        if self.op3.q.val() == self.c_smx.val() {
            self.y4.d.next = self.smx4.val();
        }
        self.y.next = self.y4.q.val();
    }
}

/// Emits `SfuLane<TW, AB>` as `llmfab_sfu_lane`.
fn emit<const TW: usize, const AB: usize>(kb: usize) -> Result<String, SfuError> {
    super::emit::leaf_verilog("llmfab_sfu_lane", SfuLane::<TW, AB>::new(kb))
}

/// Verilog of `llmfab_sfu_lane` for `cfg` (act/KV widths and the table size
/// are baked in), with its submodules `llmfab_sfu_lane_*`.
pub fn verilog(cfg: &EngineConfig) -> Result<String, SfuError> {
    let te = super::table_entries(cfg) as usize;
    let kb = cfg.kv_bits as usize;
    macro_rules! by_size {
        ($($te:literal),*) => {
            match (te, cfg.act_bits) {
                $(($te, 8) => emit::<{ 16 * $te }, 8>(kb),
                  ($te, 16) => emit::<{ 16 * $te }, 16>(kb),)*
                _ => Err(SfuError::Unsupported(format!(
                    "SFU lane: {te}-entry table, {}-bit activations",
                    cfg.act_bits
                ))),
            }
        };
    }
    by_size!(257, 258, 260, 264, 272, 288, 320, 384, 512)
}
