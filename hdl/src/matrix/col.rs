//! `ColUnit`: the per-column back end of the array — the matrix-vector
//! column accumulator, dequantisation `wrap32(rnd(p·s, dq_shift))`, and the
//! accumulation into the result (`+ old ACC`, `+ previous groups`).
//!
//! Pipeline (cycle `y` is stage A):
//!
//! ```text
//! A (y):   x = mode ? (cfirst ? tree : cacc + tree) : shadow
//!          cacc <= x (when cvalid);  m <= x · (dq ? s : 1)        (|m| ≤ 2^46: 49 bits)
//! B (y+1): v <= wrap32(rnd(m, dq ? dq_shift : 0))   (0 when the shift is ≥ 48:
//!          |m| ≤ 2^46, so m + 2^(sh−1) lies in [0, 2^sh))
//! C (y+2): out = v + (keep ? tot : 0) + (add_old ? old : 0);  tot <= out (when ev)
//! ```
//!
//! `old` is the ACC word read in cycle `y+1`; `out` is written in cycle `y+2`.

use rust_hdl::prelude::*;

/// `p = a · b`: 32-bit × 16-bit signed, 49-bit (sign-extended) product
/// (custom Verilog; rust-hdl 0.46 only multiplies 16×16). Combinational.
#[derive(LogicBlock, Default)]
pub struct MulS32x16 {
    /// Multiplicand.
    pub a: Signal<In, Bits<32>>,
    /// Multiplier.
    pub b: Signal<In, Bits<16>>,
    /// Product.
    pub p: Signal<Out, Bits<49>>,
}

impl Logic for MulS32x16 {
    fn update(&mut self) {
        let a = self.a.val().to_u64() as u32 as i32 as i64;
        let b = self.b.val().to_u64() as u16 as i16 as i64;
        self.p.next = (((a * b) as u64) & ((1u64 << 49) - 1)).to_bits();
    }
    fn connect(&mut self) {
        self.p.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "wire signed [48:0] prod = $signed({{17{a[31]}}, a}) * $signed({{33{b[15]}}, b});
always @(*) p = prod;
"
            .into(),
        )
    }
}

/// The column back end (see the module docs).
#[derive(LogicBlock)]
pub struct ColUnit {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// 1: matrix-vector (input from the adder tree), 0: from the drain chain.
    pub mode: Signal<In, Bit>,
    /// Adder-tree sum of this cycle (sign-extended).
    pub tree: Signal<In, Bits<32>>,
    /// The tree sum starts a group (matrix-vector).
    pub cfirst: Signal<In, Bit>,
    /// The tree sum is valid (matrix-vector).
    pub cvalid: Signal<In, Bit>,
    /// Drain chain output (matrix-matrix).
    pub shadow: Signal<In, Bits<32>>,
    /// Dequantise.
    pub dq: Signal<In, Bit>,
    /// This column's scale.
    pub s: Signal<In, Bits<16>>,
    /// Dequantisation shift.
    pub sh: Signal<In, Bits<6>>,
    /// Stage C: add the running total of earlier groups.
    pub keep: Signal<In, Bit>,
    /// Stage C: add the old ACC value.
    pub add_old: Signal<In, Bit>,
    /// Stage C: update the running total.
    pub ev: Signal<In, Bit>,
    /// Old ACC value (read in stage B).
    pub old: Signal<In, Bits<32>>,
    /// Result (stage C).
    pub out: Signal<Out, Bits<32>>,
    mul: MulS32x16,
    cacc: DFF<Bits<32>>,
    mreg: DFF<Bits<49>>,
    vreg: DFF<Bits<32>>,
    tot: DFF<Bits<32>>,
    x: Signal<Local, Bits<32>>,
    sa: Signal<Local, Bits<6>>,
    sum: Signal<Local, Bits<49>>,
    sgn: Signal<Local, Bits<49>>,
    r_unused_hi: Signal<Local, Bits<49>>,
    o: Signal<Local, Bits<32>>,
    t1: Signal<Local, Bits<32>>,
    t2: Signal<Local, Bits<32>>,
    one16: Constant<Bits<16>>,
    one49: Constant<Bits<49>>,
    ones49: Constant<Bits<49>>,
    zero49: Constant<Bits<49>>,
    big6: Constant<Bits<6>>,
    one6: Constant<Bits<6>>,
    zero6: Constant<Bits<6>>,
    zero32: Constant<Bits<32>>,
    msb49: Constant<Bits<49>>,
}

impl Default for ColUnit {
    fn default() -> Self {
        ColUnit {
            clock: Default::default(),
            mode: Default::default(),
            tree: Default::default(),
            cfirst: Default::default(),
            cvalid: Default::default(),
            shadow: Default::default(),
            dq: Default::default(),
            s: Default::default(),
            sh: Default::default(),
            keep: Default::default(),
            add_old: Default::default(),
            ev: Default::default(),
            old: Default::default(),
            out: Default::default(),
            mul: Default::default(),
            cacc: Default::default(),
            mreg: Default::default(),
            vreg: Default::default(),
            tot: Default::default(),
            x: Default::default(),
            sa: Default::default(),
            sum: Default::default(),
            sgn: Default::default(),
            r_unused_hi: Default::default(),
            o: Default::default(),
            t1: Default::default(),
            t2: Default::default(),
            one16: Constant::new(1u64.to_bits()),
            one49: Constant::new(1u64.to_bits()),
            ones49: Constant::new(((1u64 << 49) - 1).to_bits()),
            zero49: Constant::new(0u64.to_bits()),
            big6: Constant::new(48u64.to_bits()),
            one6: Constant::new(1u64.to_bits()),
            zero6: Constant::new(0u64.to_bits()),
            zero32: Constant::new(0u64.to_bits()),
            msb49: Constant::new((1u64 << 48).to_bits()),
        }
    }
}

impl Logic for ColUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, cacc, mreg, vreg, tot);
        // Stage A.
        if self.mode.val() {
            if self.cfirst.val() {
                self.x.next = self.tree.val();
            } else {
                self.x.next = self.cacc.q.val() + self.tree.val();
            }
        } else {
            self.x.next = self.shadow.val();
        }
        if self.cvalid.val() {
            self.cacc.d.next = self.x.val();
        }
        self.mul.a.next = self.x.val();
        if self.dq.val() {
            self.mul.b.next = self.s.val();
        } else {
            self.mul.b.next = self.one16.val();
        }
        self.mreg.d.next = self.mul.p.val();
        // Stage B: rnd(m, sa) = (m + 2^(sa-1)) >> sa (arithmetic), sa = 0: m.
        if self.dq.val() {
            self.sa.next = self.sh.val();
        } else {
            self.sa.next = self.zero6.val();
        }
        self.sum.next = self.mreg.q.val();
        if self.sa.val() != self.zero6.val() {
            self.sum.next =
                self.mreg.q.val() + (self.one49.val() << (self.sa.val() - self.one6.val()));
        }
        // One shifter: an arithmetic shift is a logical shift of the value
        // xor its sign mask, xor the mask again.
        self.sgn.next = self.zero49.val();
        if self.sum.val() >= self.msb49.val() {
            self.sgn.next = self.ones49.val();
        }
        self.r_unused_hi.next =
            ((self.sum.val() ^ self.sgn.val()) >> self.sa.val()) ^ self.sgn.val();
        // wrap32: the low 32 bits (the upper ones are unused by design,
        // hence the name, Verilator's default `--unused-regexp`).
        if self.sa.val() >= self.big6.val() {
            self.vreg.d.next = self.zero32.val();
        } else {
            self.vreg.d.next = self.r_unused_hi.val().get_bits::<32>(0);
        }
        // Stage C.
        self.t1.next = self.zero32.val();
        if self.keep.val() {
            self.t1.next = self.tot.q.val();
        }
        self.t2.next = self.zero32.val();
        if self.add_old.val() {
            self.t2.next = self.old.val();
        }
        self.o.next = self.vreg.q.val() + self.t1.val() + self.t2.val();
        self.out.next = self.o.val();
        if self.ev.val() {
            self.tot.d.next = self.o.val();
        }
    }
}
