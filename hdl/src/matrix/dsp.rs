//! `DspPack`: one DSP48E2-shaped multiplier serving `N` (1 or 2) lanes of
//! an array row (see [`super::pack`] for the packing and its proof).
//!
//! A custom-Verilog leaf (rust-hdl 0.46 only multiplies 16×16) with a Rust
//! `update()` computing the same thing: input registers (`AREG`/`BREG`,
//! with the lane's B operand chosen by `mode`), the 27×18 multiply of the
//! packed port by the activation into the 48-bit `P` register (`P += ...`
//! when `acc` is high, as the DSP's accumulator does), and the read-back of
//! both products from `P` with the sign correction. Latency 2: operands in
//! cycle `t`, products on `p0`/`p1` in cycle `t + 2`.

use super::pack::{wrap, Packing};
use rust_hdl::prelude::*;

/// Packed multiplier of `N` lanes: `U`-bit activation, `V`-bit B operands,
/// second weight at bit `S`, products read back as `OW`-bit values.
#[derive(LogicBlock)]
pub struct DspPack<const U: usize, const V: usize, const S: usize, const N: usize, const OW: usize>
{
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Shared activation (two's complement).
    pub a: Signal<In, Bits<U>>,
    /// 1: B operands from `b0`/`b1` (matrix-vector); 0: from `m0`/`m1`.
    pub mode: Signal<In, Bit>,
    /// Matrix-vector B operand of lane 0.
    pub b0: Signal<In, Bits<V>>,
    /// Matrix-vector B operand of lane 1.
    pub b1: Signal<In, Bits<V>>,
    /// Matrix-matrix B operand of lane 0.
    pub m0: Signal<In, Bits<V>>,
    /// Matrix-matrix B operand of lane 1.
    pub m1: Signal<In, Bits<V>>,
    /// Accumulate into `P` (the array ties it low: it drains every cycle).
    pub acc: Signal<In, Bit>,
    /// Lane 0's product (or accumulated sum), `OW` bits.
    pub p0: Signal<Out, Bits<OW>>,
    /// Lane 1's product (or accumulated sum), `OW` bits (0 when `N = 1`).
    pub p1: Signal<Out, Bits<OW>>,
    ar: Signal<Local, Bits<U>>,
    br0: Signal<Local, Bits<V>>,
    br1: Signal<Local, Bits<V>>,
    pr: Signal<Local, Bits<48>>,
}

impl<const U: usize, const V: usize, const S: usize, const N: usize, const OW: usize> Default
    for DspPack<U, V, S, N, OW>
{
    fn default() -> Self {
        assert!(U <= 16 && V <= 8 && (N == 1 || (N == 2 && S + V <= 26 && S + OW <= 48)));
        DspPack {
            clock: Default::default(),
            a: Default::default(),
            mode: Default::default(),
            b0: Default::default(),
            b1: Default::default(),
            m0: Default::default(),
            m1: Default::default(),
            acc: Default::default(),
            p0: Default::default(),
            p1: Default::default(),
            ar: Default::default(),
            br0: Default::default(),
            br1: Default::default(),
            pr: Default::default(),
        }
    }
}

impl<const U: usize, const V: usize, const S: usize, const N: usize, const OW: usize>
    DspPack<U, V, S, N, OW>
{
    fn packing() -> Packing {
        Packing {
            act_bits: U as u32,
            b_bits: V as u32,
            per_dsp: N as u32,
            spacing: S as u32,
        }
    }
}

fn sx(v: u64, w: usize) -> i64 {
    wrap(v as i64, w as u32)
}

fn low(v: i64, w: usize) -> u64 {
    if w >= 64 {
        v as u64
    } else {
        (v as u64) & ((1u64 << w) - 1)
    }
}

impl<const U: usize, const V: usize, const S: usize, const N: usize, const OW: usize> Logic
    for DspPack<U, V, S, N, OW>
{
    fn update(&mut self) {
        let pk = Self::packing();
        if self.clock.pos_edge() {
            let a = sx(self.ar.val().to_u64(), U);
            let w0 = sx(self.br0.val().to_u64(), V);
            let w1 = if N == 2 {
                sx(self.br1.val().to_u64(), V)
            } else {
                0
            };
            let prev = if self.acc.val() {
                sx(self.pr.val().to_u64(), 48)
            } else {
                0
            };
            let p = wrap(prev + pk.multiply(a, w0, w1), 48);
            self.pr.next = low(p, 48).to_bits();
            self.ar.next = self.a.val();
            let mode = self.mode.val();
            self.br0.next = if mode { self.b0.val() } else { self.m0.val() };
            self.br1.next = if mode { self.b1.val() } else { self.m1.val() };
        }
        let (lo, hi) = pk.extract(sx(self.pr.val().to_u64(), 48));
        self.p0.next = low(lo, OW).to_bits();
        self.p1.next = if N == 2 {
            low(hi, OW).to_bits()
        } else {
            0u64.to_bits()
        };
    }
    fn connect(&mut self) {
        self.p0.connect();
        self.p1.connect();
        self.ar.connect();
        self.br0.connect();
        self.br1.connect();
        self.pr.connect();
    }
    fn hdl(&self) -> Verilog {
        // `pk = (sext(b1) << S) + sext(b0)`: the low S bits are sext(b0)'s
        // and no carry leaves them, so only the high 27 − S bits need an
        // adder (a decrement by b0's sign): 45 fewer LUTs per DSP in Yosys,
        // which keeps the pre-adder in fabric.
        let packed = if N == 2 {
            format!(
                "wire [{hw1}:0] pkh = {{{{{eh}{{br1[{v1}]}}}}, br1}} - {{{{{hw1}{{1'b0}}}}, br0[{v1}]}};
wire signed [26:0] pk = {{pkh, {{{el}{{br0[{v1}]}}}}, br0}};",
                hw1 = 26 - S,
                eh = 27 - S - V,
                el = S - V,
                v1 = V - 1
            )
        } else {
            format!(
                "wire signed [26:0] pk = {{{{{e}{{br0[{v1}]}}}}, br0}};",
                e = 27 - V,
                v1 = V - 1
            )
        };
        let hi = if N == 2 {
            format!(
                "p1 = pr[{hi}:{S}] + {{{{{z}{{1'b0}}}}, pr[{sm1}]}};",
                hi = S + OW - 1,
                z = OW - 1,
                sm1 = S - 1
            )
        } else {
            format!("p1 = {OW}'d0;")
        };
        // Only the low bits the lanes read back are accumulated (sums wrap
        // alike in every bit below them); P's upper bits stay 0.
        let used = if N == 2 { S + OW } else { OW };
        let (sum, unused) = if used >= 48 {
            ("(acc ? pr : 48'd0) + prod".to_string(), String::new())
        } else {
            (
                format!(
                    "{{{{{pz}{{1'b0}}}}, (acc ? pr[{k1}:0] : {used}'d0) + prod[{k1}:0]}}",
                    pz = 48 - used,
                    k1 = used - 1
                ),
                format!(
                    "\nwire [{w1}:0] unused_p = {{pr[47:{used}], prod[47:{used}]}};",
                    w1 = 2 * (48 - used) - 1
                ),
            )
        };
        Verilog::Custom(format!(
            "{packed}
wire signed [17:0] as18 = {{{{{ea}{{ar[{u1}]}}}}, ar}};
wire signed [47:0] prod = pk * as18;{unused}
always @(posedge clock) begin
    ar <= a;
    br0 <= mode ? b0 : m0;
    br1 <= mode ? b1 : m1;
    pr <= {sum};
end
always @(*) begin
    p0 = pr[{lo}:0];
    {hi}
end
",
            ea = 18 - U,
            u1 = U - 1,
            lo = OW - 1,
        ))
    }
}

/// One lane per DSP (int16 activations × 8-bit B: `U + V = 24` bits leave
/// no room for a second product): the same registers as [`DspPack`]
/// without the packed port.
#[derive(LogicBlock, Default)]
pub struct Dsp1<const U: usize, const V: usize, const OW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Activation (two's complement).
    pub a: Signal<In, Bits<U>>,
    /// 1: B operand from `b0` (matrix-vector); 0: from `m0`.
    pub mode: Signal<In, Bit>,
    /// Matrix-vector B operand.
    pub b0: Signal<In, Bits<V>>,
    /// Matrix-matrix B operand.
    pub m0: Signal<In, Bits<V>>,
    /// Accumulate into `P`.
    pub acc: Signal<In, Bit>,
    /// Product (or accumulated sum), `OW` bits.
    pub p0: Signal<Out, Bits<OW>>,
    ar: Signal<Local, Bits<U>>,
    br0: Signal<Local, Bits<V>>,
    pr: Signal<Local, Bits<OW>>,
}

impl<const U: usize, const V: usize, const OW: usize> Logic for Dsp1<U, V, OW> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let a = sx(self.ar.val().to_u64(), U);
            let b = sx(self.br0.val().to_u64(), V);
            let prev = if self.acc.val() {
                sx(self.pr.val().to_u64(), OW)
            } else {
                0
            };
            self.pr.next = low(prev + a * b, OW).to_bits();
            self.ar.next = self.a.val();
            self.br0.next = if self.mode.val() {
                self.b0.val()
            } else {
                self.m0.val()
            };
        }
        self.p0.next = self.pr.val();
    }
    fn connect(&mut self) {
        self.p0.connect();
        self.ar.connect();
        self.br0.connect();
        self.pr.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "wire signed [{ow1}:0] prod = $signed(ar) * $signed(br0);
always @(posedge clock) begin
    ar <= a;
    br0 <= mode ? b0 : m0;
    pr <= (acc ? pr : {OW}'d0) + prod;
end
always @(*) p0 = pr;
",
            ow1 = OW - 1
        ))
    }
}
