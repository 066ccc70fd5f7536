//! The SFU's table leaves, generated from `llmfab_isa::tables` (the same
//! code the reference interpreter uses): the softmax EXP ROM and the
//! RSQRT unit (leading-one detection, mantissa, RSQ ROM, shift).

use llmfab_isa::tables::{rsqrt, EXP, RSQ};
use rust_hdl::prelude::*;

/// `EXP[d]` (256 × u16), combinational ROM (one per lane).
#[derive(LogicBlock, Default)]
pub struct ExpRom {
    /// Index `d` (0..=255).
    pub d: Signal<In, Bits<8>>,
    /// `EXP[d]`.
    pub e: Signal<Out, Bits<16>>,
}

impl Logic for ExpRom {
    fn update(&mut self) {
        self.e.next = (EXP[self.d.val().index()] as u64).to_bits();
    }
    fn connect(&mut self) {
        self.e.connect();
    }
    fn hdl(&self) -> Verilog {
        let cases: String = EXP
            .iter()
            .enumerate()
            .map(|(i, v)| format!("  8'd{i}: e = 16'd{v};\n"))
            .collect();
        Verilog::Custom(format!(
            "always @(*) begin\n case (d)\n{cases}  default: e = 16'd0;\n endcase\nend\n"
        ))
    }
}

/// `RSQRT(v)` of docs/engine.md §5.4 for `1 ≤ v < 2^32` (`v = 0` gives
/// `RSQRT(1)`), combinational: `e = floor(log2 v) div 2`,
/// `mant = (v·64) >> 2e`, `inv = RSQ[mant − 64] >> e`.
#[derive(LogicBlock, Default)]
pub struct Rsqrt {
    /// Argument (unsigned).
    pub v: Signal<In, Bits<32>>,
    /// `≈ 2^15 / √v` (≤ 32767).
    pub inv: Signal<Out, Bits<16>>,
}

impl Logic for Rsqrt {
    fn update(&mut self) {
        self.inv.next = (rsqrt(self.v.val().to_u64()) as u64).to_bits();
    }
    fn connect(&mut self) {
        self.inv.connect();
    }
    fn hdl(&self) -> Verilog {
        let cases: String = RSQ
            .iter()
            .enumerate()
            .map(|(j, r)| format!("  8'd{}: rsq = 16'd{r};\n", j + 64))
            .collect();
        Verilog::Custom(format!(
            "reg [4:0] e;
reg [15:0] rsq;
wire [31:0] vv;
wire [37:0] mant_full;
wire [7:0] mant;
wire unused_mant;
integer i;
assign vv = (v == 32'd0) ? 32'd1 : v;
always @(*) begin
  e = 5'd0;
  for (i = 0; i < 32; i = i + 1) begin
    if (vv[i]) e = i[5:1];
  end
end
assign mant_full = {{vv, 6'd0}} >> {{e, 1'b0}};
assign mant = mant_full[7:0];
assign unused_mant = |mant_full[37:8];
always @(*) begin
 case (mant)
{cases}  default: rsq = 16'd0;
 endcase
end
always @(*) inv = rsq >> e;
"
        ))
    }
}
