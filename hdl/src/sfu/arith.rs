//! Arithmetic leaves of the SFU lanes: a signed multiplier of any widths
//! (the lane's partial products), a width extension, and the
//! rounding-shift-saturate function of every SFU output.
//!
//! All are combinational rust-hdl leaves with hand-written Verilog (rust-hdl
//! 0.46 only multiplies 16×16 and has no width-exact extension) and a Rust
//! `update()` computing the same function as [`mul_wrap`] / [`sext`] /
//! [`rnd_sat`]; the tests check the rust-hdl simulation against those
//! functions and the emitted Verilog (Icarus) against them too. Signals are
//! raw `Bits`, read as two's complement.

use rust_hdl::prelude::*;

/// Sign-extends the low `w` bits of `v`.
pub fn sext(v: u64, w: usize) -> i64 {
    if w >= 64 {
        v as i64
    } else {
        ((v << (64 - w)) as i64) >> (64 - w)
    }
}

/// The low `w` bits of `v`.
pub fn mask(v: i64, w: usize) -> u64 {
    if w >= 64 {
        v as u64
    } else {
        (v as u64) & ((1u64 << w) - 1)
    }
}

/// `a · b` of `A`- and `B`-bit signed operands, wrapped to `P` bits.
pub fn mul_wrap(a: i64, b: i64, p: usize) -> i64 {
    sext(mask(a.wrapping_mul(b), p), p)
}

/// `sat_bits(rnd(x, shift) + bias)` in wrapping 64-bit arithmetic
/// (docs/engine.md §3); `bits` in 2..=32.
pub fn rnd_sat(x: i64, shift: u32, bias: i64, bits: u32) -> i64 {
    let r = if shift == 0 {
        x
    } else {
        x.wrapping_add(1i64 << (shift - 1)) >> shift
    };
    let v = r.wrapping_add(bias);
    let max = (1i64 << (bits - 1)) - 1;
    v.clamp(-max - 1, max)
}

/// Signed multiplier `p = a · b` (low `P` bits), combinational.
#[derive(LogicBlock)]
pub struct MulS<const A: usize, const B: usize, const P: usize> {
    /// Multiplicand (two's complement).
    pub a: Signal<In, Bits<A>>,
    /// Multiplier (two's complement).
    pub b: Signal<In, Bits<B>>,
    /// Product, wrapped to `P` bits.
    pub p: Signal<Out, Bits<P>>,
}

impl<const A: usize, const B: usize, const P: usize> Default for MulS<A, B, P> {
    fn default() -> Self {
        assert!(
            A <= P && B <= P && P <= 64,
            "MulS: operands no wider than the product, at most 64 bits"
        );
        MulS {
            a: Default::default(),
            b: Default::default(),
            p: Default::default(),
        }
    }
}

impl<const A: usize, const B: usize, const P: usize> Logic for MulS<A, B, P> {
    fn update(&mut self) {
        let a = sext(self.a.val().to_u64(), A);
        let b = sext(self.b.val().to_u64(), B);
        self.p.next = mask(mul_wrap(a, b, P), P).to_bits();
    }
    fn connect(&mut self) {
        self.p.connect();
    }
    fn hdl(&self) -> Verilog {
        // Operands sign-extended to the product width: the low P bits of a
        // P-bit product are exact.
        let ext = |name: &str, w: usize| {
            if w == P {
                name.to_string()
            } else {
                format!("{{{{{}{{{name}[{}]}}}}, {name}}}", P - w, w - 1)
            }
        };
        Verilog::Custom(format!(
            "always @(*) p = $signed({}) * $signed({});\n",
            ext("a", A),
            ext("b", B)
        ))
    }
}

/// Rounding shift, bias and saturation: `y = sat_bits(rnd(x, shift) + bias)`
/// (64-bit wrapping), `bits` the saturation width (4, 8, 9, 16 or 17),
/// result sign-extended to 32 bits. Combinational.
#[derive(LogicBlock, Default)]
pub struct RndSat {
    /// Value to round (two's complement).
    pub x: Signal<In, Bits<64>>,
    /// Rounding right shift, 0..=63.
    pub shift: Signal<In, Bits<6>>,
    /// Added after the shift (two's complement).
    pub bias: Signal<In, Bits<32>>,
    /// Saturation width in bits, 2..=32.
    pub bits: Signal<In, Bits<6>>,
    /// Result (two's complement).
    pub y: Signal<Out, Bits<32>>,
}

impl Logic for RndSat {
    fn update(&mut self) {
        let x = self.x.val().to_u64() as i64;
        let s = self.shift.val().to_u64() as u32;
        let b = sext(self.bias.val().to_u64(), 32);
        let bits = (self.bits.val().to_u64() as u32).clamp(2, 32);
        self.y.next = mask(rnd_sat(x, s, b, bits), 32).to_bits();
    }
    fn connect(&mut self) {
        self.y.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "wire [63:0] half;
wire signed [63:0] r;
wire signed [63:0] v;
wire [5:0] bw;
wire signed [63:0] hi;
wire signed [63:0] lo;
assign half = (shift == 6'd0) ? 64'd0 : (64'd1 << (shift - 6'd1));
assign r = $signed(x + half) >>> shift;
assign v = r + {{32{bias[31]}}, bias};
assign bw = (bits < 6'd2) ? 6'd2 : ((bits > 6'd32) ? 6'd32 : bits);
assign hi = $signed((64'd1 << (bw - 6'd1)) - 64'd1);
assign lo = -hi - 64'sd1;
always @(*) y = (v > hi) ? hi[31:0] : ((v < lo) ? lo[31:0] : v[31:0]);
"
            .into(),
        )
    }
}

/// Width extension `y = s ? sext(x) : zext(x)` from `M` to `N` bits,
/// combinational (a Verilog concatenation: rust-hdl 0.46 has no
/// width-exact extension, its `bit_cast` is a masked context-width
/// expression that Verilator's `WIDTH` lint rejects).
#[derive(LogicBlock)]
pub struct Ext<const M: usize, const N: usize> {
    /// Value.
    pub x: Signal<In, Bits<M>>,
    /// 1: sign extension; 0: zero extension.
    pub s: Signal<In, Bit>,
    /// Extended value.
    pub y: Signal<Out, Bits<N>>,
}

impl<const M: usize, const N: usize> Default for Ext<M, N> {
    fn default() -> Self {
        assert!(M < N && N <= 64, "Ext: widens, at most 64 bits");
        Ext {
            x: Default::default(),
            s: Default::default(),
            y: Default::default(),
        }
    }
}

impl<const M: usize, const N: usize> Logic for Ext<M, N> {
    fn update(&mut self) {
        let x = self.x.val().to_u64();
        let v = if self.s.val() { mask(sext(x, M), N) } else { x };
        self.y.next = v.to_bits();
    }
    fn connect(&mut self) {
        self.y.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "always @(*) y = {{{{{e}{{s & x[{m1}]}}}}, x}};\n",
            e = N - M,
            m1 = M - 1
        ))
    }
}
