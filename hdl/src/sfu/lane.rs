//! `llmfab_sfu_lane`: one SFU lane, a fixed 4-stage pipeline (generated
//! Verilog; one module instanced `L` times by the top's `generate` loop).
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

use super::ops;
use llmfab_isa::EngineConfig;

/// Verilog of `llmfab_sfu_lane` for `cfg` (act/KV widths and the table size
/// are baked in).
pub fn verilog(cfg: &EngineConfig) -> String {
    let ab = cfg.act_bits;
    let kb = cfg.kv_bits;
    let te = super::table_entries(cfg);
    let f = ab - 1;
    format!(
        r#"
module llmfab_sfu_lane (
    input  wire clk,
    input  wire [2:0] op,
    input  wire [1:0] md,
    input  wire neg,
    input  wire ve,
    input  wire signed [31:0] a,
    input  wire signed [15:0] b,
    input  wire signed [15:0] sa,
    input  wire signed [15:0] sb,
    input  wire [5:0] shift,
    input  wire kvdst,
    input  wire [15:0] imm0,
    input  wire signed [31:0] mx,
    input  wire [16:0] rr,
    input  wire [15:0] inv,
    input  wire signed [63:0] mu,
    input  wire [{tw}:0] tab,
    output wire signed [39:0] ra,
    output wire signed [39:0] rb,
    output wire [{abm}:0] y
);
    localparam [2:0] REQ = 3'd{req}, SMX = 3'd{smx}, RMS = 3'd{rms}, LN = 3'd{ln},
                     ACT = 3'd{act}, ROPE = 3'd{rope}, ADD = 3'd{add}, MUL = 3'd{mul};
    // R1: operands.
    reg [2:0] op1; reg [1:0] md1; reg neg1, ve1;
    reg signed [31:0] a1; reg signed [15:0] b1, sa1, sb1;
    always @(posedge clk) begin
        op1 <= op; md1 <= md; neg1 <= neg; ve1 <= ve; a1 <= a; b1 <= b; sa1 <= sa; sb1 <= sb;
    end
    // Stage 2: products, table look-up.
    wire signed [63:0] a64 = {{{{32{{a1[31]}}}}, a1}};
    wire signed [63:0] sa64 = {{{{48{{sa1[15]}}}}, sa1}};
    wire signed [63:0] b64 = {{{{48{{b1[15]}}}}, b1}};
    wire signed [63:0] sb64 = {{{{48{{sb1[15]}}}}, sb1}};
    wire signed [63:0] mx64 = {{{{32{{mx[31]}}}}, mx}};
    wire signed [63:0] am = a64 - mu;
    wire [7:0] ti = {act_index};
    wire [8:0] ti1 = {{1'b0, ti}} + 9'd1;
    wire signed [15:0] ta_w = tab[{{5'd0, ti}} * 16 +: 16];
    wire signed [15:0] tb_w = tab[{{4'd0, ti1}} * 16 +: 16];
    reg signed [63:0] p2, q2; reg signed [31:0] a2; reg signed [15:0] sa2, sb2, ta2, tb2; reg [7:0] f2;
    reg [2:0] op2; reg [1:0] md2; reg neg2, ve2;
    always @(posedge clk) begin
        op2 <= op1; md2 <= md1; neg2 <= neg1; ve2 <= ve1; a2 <= a1; sa2 <= sa1; sb2 <= sb1;
        ta2 <= ta_w; tb2 <= tb_w; f2 <= a1[7:0];
        case (op1)
            SMX: p2 <= (mx64 - a64) * {{48'd0, imm0}};
            RMS, LN: p2 <= (md1 == 2'd0) ? a64 * a64 : am * {{48'd0, inv}};
            MUL: p2 <= a64 * b64;
            default: p2 <= a64 * sa64;
        endcase
        q2 <= b64 * sb64;
    end
    // Stage 3: combine, reduction values.
    wire signed [63:0] p2r = (shift == 6'd0) ? p2 : ((p2 + (64'sd1 <<< (shift - 6'd1))) >>> shift);
    wire [7:0] d = p2r[63] ? 8'd0 : ((p2r > 64'sd255) ? 8'd255 : p2r[7:0]);
    wire [15:0] e_rom;
    llmfab_sfu_exp_rom exp_rom (.d(d), .e(e_rom));
    wire signed [16:0] tdiff = {{tb2[15], tb2}} - {{ta2[15], ta2}};
    wire signed [25:0] tprod = tdiff * $signed({{1'b0, f2}});
    wire signed [25:0] tint = (tprod + 26'sd128) >>> 8;
    wire signed [63:0] sa264 = {{{{48{{sa2[15]}}}}, sa2}};
    wire signed [39:0] a240 = {{{{8{{a2[31]}}}}, a2}};
    reg signed [63:0] t3; reg signed [15:0] bias3; reg [15:0] e3; reg [2:0] op3;
    reg signed [39:0] ra3, rb3;
    always @(posedge clk) begin
        op3 <= op2;
        e3 <= ve2 ? e_rom : 16'd0;
        bias3 <= (op2 == LN) ? sb2 : 16'sd0;
        case (op2)
            RMS, LN: t3 <= p2 * sa264;
            MUL: t3 <= p2 * sa264;
            ACT: t3 <= {act_t3};
            ROPE: t3 <= neg2 ? p2 - q2 : p2 + q2;
            ADD: t3 <= p2 + q2;
            default: t3 <= p2;
        endcase
        if (op2 == SMX)
            ra3 <= (md2 == 2'd0) ? (ve2 ? a240 : -40'sd2147483648) : (ve2 ? {{24'd0, e_rom}} : 40'sd0);
        else if (op2 == LN)
            ra3 <= ve2 ? a240 : 40'sd0;
        else
            ra3 <= ve2 ? p2[39:0] : 40'sd0;
        rb3 <= ve2 ? p2[39:0] : 40'sd0;
    end
    assign ra = ra3;
    assign rb = rb3;
    // Stage 4: round, bias, saturate (softmax: scale by the reciprocal).
    wire [5:0] sh4 = (op3 == ROPE) ? 6'd14 : ((op3 == ACT) ? 6'd0 : shift);
    wire signed [63:0] t3r = (sh4 == 6'd0) ? t3 : ((t3 + (64'sd1 <<< (sh4 - 6'd1))) >>> sh4);
    wire signed [63:0] v4 = t3r + {{{{48{{bias3[15]}}}}, bias3}};
    wire signed [63:0] hi4 = (kvdst && op3 == REQ) ? 64'sd{kvmax} : 64'sd{amax};
    wire signed [63:0] lo4 = -hi4 - 64'sd1;
    wire signed [63:0] sat4 = (v4 > hi4) ? hi4 : ((v4 < lo4) ? lo4 : v4);
    wire [33:0] sp = {{18'd0, e3}} * {{17'd0, rr}} + 34'd{sround};
    wire [33:0] sq = sp >> {sshift};
    wire [{abm}:0] smx4 = (sq > 34'd{amax}) ? {ab}'d{amax} : sq[{abm}:0];
    reg [{abm}:0] y4;
    always @(posedge clk) y4 <= (op3 == SMX) ? smx4 : sat4[{abm}:0];
    assign y = y4;
    wire unused_lane = &{{1'b0, p2r[63:8], sat4[63:{ab}], sq[33:{ab}], tprod[25:24], tint}};
endmodule
"#,
        tw = 16 * te - 1,
        abm = ab - 1,
        ab = ab,
        req = ops::REQ,
        smx = ops::SMX,
        rms = ops::RMS,
        ln = ops::LN,
        act = ops::ACT,
        rope = ops::ROPE,
        add = ops::ADD,
        mul = ops::MUL,
        act_index = if ab == 8 {
            "a1[7:0] + 8'd128".to_string()
        } else {
            "a1[15:8] + 8'd128".to_string()
        },
        act_t3 = if ab == 8 {
            "{{48{ta2[15]}}, ta2}".to_string()
        } else {
            "{{48{ta2[15]}}, ta2} + {{38{tint[25]}}, tint}".to_string()
        },
        kvmax = (1u64 << (kb - 1)) - 1,
        amax = (1u64 << (ab - 1)) - 1,
        sround = 1u64 << (31 - f),
        sshift = 32 - f,
    )
}
