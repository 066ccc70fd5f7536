//! `llmfab_sfu_ctrl`: decode, slot sequencing, address counters and the
//! per-row scalar steps (generated Verilog, one instance).
//!
//! States per row (`timing::sfu` has the cycle formulas):
//! `RED1` (reduction pass: softmax max, norm sums) → `W1` (`red_wait`
//! cycles for the lane pipeline and the tree) → `SC1` (softmax: latch the
//! maximum, 1 cycle; rmsnorm 3, layernorm 5 cycles) → softmax only: `RED2`
//! (sum of `e`) → `W2` → `SC2` (divider, 18 cycles) → `OUT` (output pass);
//! the next row starts the cycle after the last `OUT` slot. `silu`/`gelu`
//! load the table first (`TL`, `ceil(257/L)` slots). `done` comes `TAIL`
//! cycles after the last slot.
//!
//! Each cycle of a pass is a *slot*: the reads it issues come back the next
//! cycle, where the top captures them (`s_capa`/`s_capb`: the first slot of
//! a two-slot vector) or presents them to the lanes (`s_go`).

use super::{ops, table_rows};
use crate::gen::fields::{opcode, slice};
use llmfab_isa::instr::Buf;
use llmfab_isa::timing::sfu as t;
use llmfab_isa::EngineConfig;

/// Bit 0 of a field, as a Verilog bit-select of `instr`.
fn bit0(m: &str, fld: &str) -> String {
    let s = slice("instr", m, fld);
    let lsb = s.rsplit(':').next().unwrap_or("0]").trim_end_matches(']');
    format!("instr[{lsb}]")
}

/// Per-op latch of the instruction fields into the common registers.
fn decode() -> String {
    let mut v = String::new();
    let f = |m: &str, fld: &str| slice("instr", m, fld);
    let common = |m: &str, src: &str, dst: &str| {
        format!(
            "                i_m <= {}; i_n <= {}; i_src <= {}; i_sp <= {{12'd0, {}}}; i_dst <= {}; i_dp <= {{12'd0, {}}};\n",
            f(m, "m"),
            f(m, "n"),
            f(m, src),
            f(m, "src_pitch"),
            f(m, dst),
            f(m, "dst_pitch")
        )
    };
    // requant
    v += &format!(
        "            8'h{:02x}: begin\n                i_op <= 3'd{};\n                i_m <= {}; i_n <= {}; i_src <= {}; i_sp <= {{8'd0, {}}}; i_dst <= {}; i_dp <= {{8'd0, {}}};\n                i_shift <= {}; i_k0 <= {}; i_sa <= {}; i_col <= {}; i_sacc <= {} == 3'd{}; i_kv <= {} == 3'd{};\n            end\n",
        opcode("requant"),
        ops::REQ,
        f("requant", "m"),
        f("requant", "n"),
        f("requant", "src_addr"),
        f("requant", "src_pitch"),
        f("requant", "dst_addr"),
        f("requant", "dst_pitch"),
        f("requant", "shift"),
        f("requant", "mult"),
        f("requant", "s_addr"),
        f("requant", "col_scale"),
        f("requant", "src"),
        Buf::Acc as u64,
        f("requant", "dst"),
        Buf::Kvbuf as u64,
    );
    v += &format!(
        "            8'h{:02x}: begin\n                i_op <= 3'd{};\n{}                i_shift <= {}; i_k0 <= {}; i_imm2 <= {}; i_causal <= {}; i_sacc <= 1'b1;\n            end\n",
        opcode("softmax"),
        ops::SMX,
        common("softmax", "src", "dst"),
        f("softmax", "shift"),
        f("softmax", "imm0"),
        f("softmax", "imm2"),
        bit0("softmax", "flags")
    );
    for (m, code) in [("rmsnorm", ops::RMS), ("layernorm", ops::LN)] {
        v += &format!(
            "            8'h{:02x}: begin\n                i_op <= 3'd{code};\n{}                i_shift <= {}; i_sa <= {}; i_k0 <= {}; i_imm1 <= {}; i_imm2 <= {};\n            end\n",
            opcode(m),
            common(m, "src", "dst"),
            f(m, "shift"),
            f(m, "s_addr"),
            f(m, "imm0"),
            f(m, "imm1"),
            f(m, "imm2"),
        );
    }
    for m in ["silu", "gelu"] {
        v += &format!(
            "            8'h{:02x}: begin\n                i_op <= 3'd{};\n{}                i_sa <= {};\n            end\n",
            opcode(m),
            ops::ACT,
            common(m, "src", "dst"),
            f(m, "s_addr"),
        );
    }
    v += &format!(
        "            8'h{:02x}: begin\n                i_op <= 3'd{};\n{}                i_sa <= {}; i_k0 <= {}; i_imm2 <= {};\n            end\n",
        opcode("rope"),
        ops::ROPE,
        common("rope", "src", "dst"),
        f("rope", "s_addr"),
        f("rope", "imm0"),
        f("rope", "imm2"),
    );
    v += &format!(
        "            8'h{:02x}: begin\n                i_op <= 3'd{};\n{}                i_shift <= {}; i_src2 <= {}; i_k0 <= {}; i_k1 <= {};\n            end\n",
        opcode("add"),
        ops::ADD,
        common("add", "src", "dst"),
        f("add", "shift"),
        f("add", "src2"),
        f("add", "imm0"),
        f("add", "imm1"),
    );
    v += &format!(
        "            8'h{:02x}: begin\n                i_op <= 3'd{};\n{}                i_shift <= {}; i_src2 <= {}; i_k0 <= {};\n            end\n",
        opcode("mul"),
        ops::MUL,
        common("mul", "src", "dst"),
        f("mul", "shift"),
        f("mul", "src2"),
        f("mul", "imm0"),
    );
    v
}

/// Verilog of `llmfab_sfu_ctrl` for `cfg`.
pub fn verilog(cfg: &EngineConfig) -> String {
    let l = cfg.sfu_lanes as u64;
    let lg = l.trailing_zeros();
    let ab = cfg.act_bytes();
    let kb = cfg.kv_bits as u64;
    let k = table_rows(cfg);
    let wait = t::red_wait(cfg);
    format!(
        r#"
module llmfab_sfu_ctrl (
    input  wire clk,
    input  wire rst,
    input  wire start,
    input  wire [255:0] instr,
    output reg  done,
    output wire acc_ren, output wire [31:0] acc_raddr,
    output wire ab_ren, output wire [31:0] ab_raddr,
    output wire sb_ren, output wire [31:0] sb_raddr,
    // slot descriptor (this cycle's reads)
    output wire s_go, output wire s_capa, output wire s_capb, output wire s_op2,
    output wire s_wen, output wire [31:0] s_waddr, output wire s_nib,
    output wire [1:0] s_md, output wire [{lgw}:0] s_nv, output wire [{lgw}:0] s_ne,
    output wire s_red, output wire s_clr, output wire s_tl, output wire [{trw}:0] s_trow,
    output reg  amax,
    // instruction and row scalars
    output wire [2:0] op, output wire [5:0] shift, output wire kvdst, output wire col,
    output wire sacc, output wire ropew, output wire [4:0] hlog, output wire [31:0] hh,
    output wire [15:0] k0, output wire [15:0] k1,
    output reg signed [31:0] mx, output reg [16:0] rr, output reg [15:0] inv, output reg signed [63:0] mu,
    input  wire signed [63:0] sum_a, input wire signed [63:0] sum_b
);
    localparam [2:0] REQ = 3'd{req}, SMX = 3'd{smx}, RMS = 3'd{rms}, LN = 3'd{ln},
                     ROPE = 3'd{rope}, ADD = 3'd{add}, MUL = 3'd{mul};
    localparam [3:0] IDLE = 4'd0, TL = 4'd1, RED1 = 4'd2, W1 = 4'd3, SC1 = 4'd4, RED2 = 4'd5,
                     W2 = 4'd6, SC2 = 4'd7, OUT = 4'd8, TAIL = 4'd9;
    localparam [31:0] LV = 32'd{l};
    // Instruction fields.
    reg [2:0] i_op; reg [15:0] i_m; reg [19:0] i_n; reg [31:0] i_src, i_sp, i_dst, i_dp, i_sa, i_src2;
    reg [5:0] i_shift, i_imm1; reg [15:0] i_k0, i_k1; reg [25:0] i_imm2;
    reg i_col, i_sacc, i_kv, i_causal;
    always @(posedge clk) begin
        if (start) begin
            i_shift <= 6'd0; i_k0 <= 16'd0; i_k1 <= 16'd0; i_imm1 <= 6'd0; i_imm2 <= 26'd0;
            i_sa <= 32'd0; i_src2 <= 32'd0; i_col <= 1'b0; i_sacc <= 1'b0; i_kv <= 1'b0; i_causal <= 1'b0;
            case (instr[7:0])
{decode}            default: begin
                i_op <= REQ;
                i_m <= 16'd1; i_n <= 20'd1; i_src <= 32'd0; i_sp <= 32'd0; i_dst <= 32'd0; i_dp <= 32'd0;
            end
            endcase
        end
    end
    assign op = i_op; assign shift = i_shift; assign kvdst = i_kv; assign col = i_col; assign sacc = i_sacc;
    assign k0 = i_k0; assign k1 = i_k1;
    // RoPE geometry: head h = imm0; N regime (h <= L, h | L) or W regime (h/2 a multiple of L).
    reg [4:0] hl;
    integer bi;
    always @(*) begin
        hl = 5'd0;
        for (bi = 0; bi < 16; bi = bi + 1) if (i_k0[bi]) hl = bi[4:0];
    end
    assign hlog = hl;
    assign ropew = i_k0 >= {{LV[14:0], 1'b0}};
    assign hh = {{16'd0, i_k0}} * 32'd{ab} / 32'd2;
    wire [15:0] nblk = (i_k0 >> 1) >> {lg};
    // Sequencer.
    reg [3:0] ph; reg [19:0] kk; reg sub; reg [5:0] wc; reg [15:0] row;
    reg [31:0] srow, s2row, drow, sbrow, aoff, woff, sboff, kvoff; reg [20:0] n0; reg [15:0] blk;
    // valid columns of softmax row `row`
    wire [27:0] crow = {{12'd0, row}} + {{2'd0, i_imm2}} + 28'd1;
    wire [20:0] vld = (i_causal && crow < {{8'd0, i_n}}) ? crow[20:0] : {{1'b0, i_n}};
    wire [20:0] vvec = (vld + 21'd{lm1}) >> {lg};
    wire [20:0] nvec = ({{1'b0, i_n}} + 21'd{lm1}) >> {lg};
    wire two = (i_op == ADD) || (i_op == MUL) || (i_op == LN) || ((i_op == ROPE) && ropew);
    wire [20:0] out_slots = ((i_op == ROPE) && ropew) ? {{1'b0, i_n}} >> {lg1} : nvec;
    wire [20:0] red_slots = (i_op == SMX) ? vvec : nvec;
    wire last_k = ({{1'b0, kk}} + 21'd1) >= ((ph == RED1 || ph == RED2) ? red_slots : ((ph == TL) ? 21'd{k} : out_slots));
    wire first_row_state = (i_op == SMX || i_op == RMS || i_op == LN);
    wire [3:0] row_first = first_row_state ? RED1 : OUT;
    wire [5:0] sc1_len = (i_op == SMX) ? 6'd1 : ((i_op == RMS) ? 6'd{rms_step} : 6'd{ln_step});
    wire slot_end = !two || sub || (ph != OUT);
    // Remaining columns of this vector.
    wire [20:0] rem = {{1'b0, i_n}} - n0;
    wire [20:0] remv = (vld > n0) ? vld - n0 : 21'd0;
    wire [20:0] lv21 = 21'd{l};
    wire [{lgw}:0] nv_c = (rem >= lv21) ? {lgp1}'d{l} : rem[{lgw}:0];
    wire [{lgw}:0] ne_c = (i_op == SMX) ? ((remv >= lv21) ? {lgp1}'d{l} : remv[{lgw}:0]) : nv_c;
    // Scalar steps.
    reg [5:0] sc; reg signed [63:0] p1, p2, e2, vv; reg [55:0] rem_d, dv; reg [16:0] q;
    wire signed [63:0] p1r = (i_imm1 == 6'd0) ? p1 : ((p1 + (64'sd1 <<< (i_imm1 - 6'd1))) >>> i_imm1);
    wire signed [63:0] p2r = (i_imm1 == 6'd0) ? p2 : ((p2 + (64'sd1 <<< (i_imm1 - 6'd1))) >>> i_imm1);
    wire signed [63:0] imm2_64 = {{38'd0, i_imm2}};
    wire signed [63:0] var_d = e2 - mu * mu;
    wire signed [63:0] var_c = var_d[63] ? 64'sd0 : var_d;
    wire signed [63:0] v_ms = p1r + imm2_64;
    wire signed [63:0] v_ln = var_c + imm2_64;
    wire [31:0] v_rms = (v_ms < 64'sd1) ? 32'd1 : ((v_ms > 64'sd4294967295) ? 32'hffffffff : v_ms[31:0]);
    wire [31:0] v_lnc = (v_ln < 64'sd1) ? 32'd1 : ((v_ln > 64'sd4294967295) ? 32'hffffffff : v_ln[31:0]);
    wire [15:0] rsq;
    llmfab_sfu_rsqrt rsqrt (.v(vv[31:0]), .inv(rsq));
    wire [16:0] q_next = (rem_d >= dv) ? {{q[15:0], 1'b1}} : {{q[15:0], 1'b0}};
    always @(posedge clk) begin
        done <= 1'b0;
        if (rst) begin
            ph <= IDLE; amax <= 1'b0;
        end else if (start) begin
            ph <= (instr[7:0] == 8'h{op_act:02x} || instr[7:0] == 8'h{op_gelu:02x}) ? TL
                : ((instr[7:0] == 8'h{op_smx:02x} || instr[7:0] == 8'h{op_rms:02x} || instr[7:0] == 8'h{op_ln:02x}) ? RED1 : OUT);
            amax <= instr[7:0] == 8'h{op_smx:02x};
            kk <= 20'd0; sub <= 1'b0; row <= 16'd0; wc <= 6'd0; sc <= 6'd0;
            aoff <= 32'd0; woff <= 32'd0; sboff <= 32'd0; kvoff <= 32'd0; n0 <= 21'd0; blk <= 16'd0;
            mu <= 64'sd0;
        end else begin
            case (ph)
            TL: begin
                kk <= kk + 20'd1; sboff <= sboff + 32'd{sbw};
                if (last_k) begin ph <= OUT; kk <= 20'd0; sboff <= 32'd0; end
            end
            RED1, RED2: begin
                kk <= kk + 20'd1; aoff <= aoff + 32'd{accw_or_ab}; n0 <= n0 + 21'd{l};
                if (last_k) begin ph <= (ph == RED1) ? W1 : W2; kk <= 20'd0; aoff <= 32'd0; n0 <= 21'd0; wc <= 6'd0; end
            end
            W1, W2: begin
                wc <= wc + 6'd1;
                if (wc == 6'd{wm1}) begin ph <= (ph == W1) ? SC1 : SC2; sc <= 6'd0; end
            end
            SC1: begin
                sc <= sc + 6'd1;
                case (sc)
                    6'd0: begin mx <= sum_a[31:0]; p1 <= sum_a * {{48'd0, i_k0}}; p2 <= sum_b * {{48'd0, i_k0}}; end
                    6'd1: begin
                        vv <= {{32'd0, v_rms}};
                        if (i_op == LN) begin mu <= p1r; e2 <= p2r; end
                    end
                    6'd2: begin if (i_op == RMS) inv <= rsq; end
                    6'd3: vv <= {{32'd0, v_lnc}};
                    default: inv <= rsq;
                endcase
                if (sc + 6'd1 == sc1_len) begin
                    ph <= (i_op == SMX) ? RED2 : OUT; sc <= 6'd0;
                    if (i_op == SMX) amax <= 1'b0;
                end
            end
            SC2: begin
                sc <= sc + 6'd1;
                if (sc == 6'd0) begin
                    rem_d <= 56'd1 << 32; dv <= sum_a[55:0] << {div_bits_m1}; q <= 17'd0;
                end else begin
                    if (rem_d >= dv) begin rem_d <= rem_d - dv; q <= {{q[15:0], 1'b1}}; end
                    else q <= {{q[15:0], 1'b0}};
                    dv <= dv >> 1;
                end
                if (sc == 6'd{div_last}) begin ph <= OUT; sc <= 6'd0; end
            end
            OUT: begin
                sub <= two ? ~sub : 1'b0;
                if (two && !sub) begin
                    // first slot of a two-slot vector: nothing advances
                end else begin
                    kk <= kk + 20'd1; n0 <= n0 + 21'd{l};
                    sboff <= sboff + ((i_op == LN || i_op == RMS || i_op == REQ) ? 32'd{sbw} : 32'd0);
                    kvoff <= kvoff + 32'd{kvstep};
                    if ((i_op == ROPE) && ropew) begin
                        if (blk + 16'd1 == nblk) begin
                            blk <= 16'd0; aoff <= aoff + 32'd{abw} + hh; woff <= woff + 32'd{abw} + hh; sboff <= 32'd0;
                        end else begin
                            blk <= blk + 16'd1; aoff <= aoff + 32'd{abw}; woff <= woff + 32'd{abw}; sboff <= sboff + 32'd{sbw2};
                        end
                    end else begin
                        aoff <= aoff + (i_sacc ? 32'd{accw} : 32'd{abw});
                        woff <= woff + 32'd{abw};
                    end
                    if (last_k) begin
                        kk <= 20'd0; n0 <= 21'd0; aoff <= 32'd0; woff <= 32'd0; sboff <= 32'd0; kvoff <= 32'd0; blk <= 16'd0;
                        if ({{16'd0, row}} + 32'd1 < {{16'd0, i_m}}) begin
                            row <= row + 16'd1; ph <= row_first;
                            if (i_op == SMX) amax <= 1'b1;
                        end else begin
                            ph <= TAIL; wc <= 6'd0;
                        end
                    end
                end
            end
            TAIL: begin
                wc <= wc + 6'd1;
                if (wc == 6'd{tail_m1}) begin ph <= IDLE; done <= 1'b1; end
            end
            default: ;
            endcase
            if (ph == SC2 && sc == 6'd{div_last}) rr <= q_next;
        end
    end
    // Row bases.
    always @(posedge clk) begin
        if (start) begin
            srow <= 32'd0; s2row <= 32'd0; drow <= 32'd0; sbrow <= 32'd0;
        end else if (ph == OUT && slot_end && last_k) begin
            srow <= srow + i_sp; s2row <= s2row + i_sp; drow <= drow + i_dp; sbrow <= sbrow + {{6'd0, i_imm2}};
        end
    end
    // Reads of this slot.
    wire red = (ph == RED1) || (ph == RED2);
    wire out = ph == OUT;
    wire src_is_acc = i_sacc;
    wire x_read = red || (out && (!two || !sub || ((i_op == ADD || i_op == MUL || i_op == ROPE) && sub)));
    wire [31:0] x_addr = ((two && sub && (i_op == ADD || i_op == MUL)) ? i_src2 + s2row : i_src + srow) + aoff
                        + ((i_op == ROPE && ropew && sub) ? hh : 32'd0);
    assign acc_ren = x_read && src_is_acc;
    assign acc_raddr = acc_ren ? x_addr : 32'd0;
    assign ab_ren = x_read && !src_is_acc && !(i_op == LN && out && sub);
    assign ab_raddr = ab_ren ? x_addr : 32'd0;
    wire sb_use = (ph == TL) || (out && (i_op == RMS || i_op == LN || i_op == ROPE || (i_op == REQ && i_col)));
    assign sb_ren = sb_use;
    wire [31:0] sb_a = (i_op == ROPE) ? i_sa + sbrow + sboff + ((ropew && sub) ? 32'd{sbw} : 32'd0)
                     : i_sa + sboff + ((i_op == LN && sub) ? {{11'd0, i_n, 1'b0}} : 32'd0);
    assign sb_raddr = sb_use ? sb_a : 32'd0;
    // Slot descriptor.
    assign s_go = (out && (!two || sub)) || red;
    assign s_capa = out && two && !sub;
    assign s_capb = out && (i_op == ROPE) && ropew && sub;
    assign s_op2 = s_capb;
    assign s_wen = out && (!two || sub);
    assign s_waddr = (i_op == REQ && i_kv) ? i_dst + drow + (kvoff >> 3) : i_dst + drow + woff;
    assign s_nib = kvoff[2];
    assign s_md = (ph == RED1) ? 2'd0 : ((ph == RED2) ? 2'd1 : 2'd2);
    assign s_nv = ((i_op == ROPE) && ropew) ? {lgp1}'d{l} : nv_c;
    assign s_ne = ne_c;
    assign s_red = red;
    assign s_clr = red && kk == 20'd0;
    assign s_tl = ph == TL;
    assign s_trow = kk[{trw}:0];
    wire unused_ctl = &{{1'b0, instr, kk, hl, p1r, p2r, rem, LV, vv[63:32], q[16]}};
endmodule
"#,
        lgw = lg,
        lgp1 = lg + 1,
        trw = super::trow_bits(cfg) - 1,
        req = ops::REQ,
        smx = ops::SMX,
        rms = ops::RMS,
        ln = ops::LN,
        rope = ops::ROPE,
        add = ops::ADD,
        mul = ops::MUL,
        decode = decode(),
        l = l,
        lg = lg,
        lg1 = lg + 1,
        lm1 = l - 1,
        k = k,
        ab = ab,
        rms_step = t::RMS_STEP,
        ln_step = t::LN_STEP,
        op_act = opcode("silu"),
        op_gelu = opcode("gelu"),
        op_smx = opcode("softmax"),
        op_rms = opcode("rmsnorm"),
        op_ln = opcode("layernorm"),
        sbw = 2 * l,
        sbw2 = 4 * l,
        abw = l * ab,
        accw = 4 * l,
        accw_or_ab = "{acc_or_ab}",
        wm1 = wait - 1,
        div_bits_m1 = t::DIV_STEP - 2,
        div_last = t::DIV_STEP - 1,
        kvstep = l * kb,
        tail_m1 = t::TAIL - 2,
    )
    .replace(
        "32'd{acc_or_ab}",
        &format!("(src_is_acc ? 32'd{} : 32'd{})", 4 * l, l * ab),
    )
}
