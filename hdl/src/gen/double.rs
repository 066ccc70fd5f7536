//! Test doubles of the two compute units, for the core's own tests only
//! (never emitted by `llmfab hdl`): they have the real port lists of
//! docs/rtl.md §4–5, touch no buffer, and raise `done`
//! [`DOUBLE_CYCLES`] cycles after `start`.

use super::geometry::Geometry;

/// Cycles from `start` to `done` of a test-double instruction.
pub const DOUBLE_CYCLES: u64 = 5;

/// Module name of the matrix-unit double.
pub const MATRIX_DOUBLE: &str = "llmfab_test_matrix_double";
/// Module name of the SFU double.
pub const SFU_DOUBLE: &str = "llmfab_test_sfu_double";

fn counter() -> String {
    format!(
        r#"    reg [3:0] left;
    initial left = 4'd0;
    always @(posedge clk) begin
        if (rst) left <= 4'd0;
        else if (start) left <= 4'd{};
        else if (left != 4'd0) left <= left - 4'd1;
    end
    assign done = left == 4'd1;
"#,
        DOUBLE_CYCLES
    )
}

/// Verilog of both doubles for `g`.
pub fn doubles(g: &Geometry) -> String {
    let (r, c, l, ab) = (g.r, g.c, g.l, g.ab);
    let kvw = g.kvw_bits;
    format!(
        r#"
module {MATRIX_DOUBLE} (
    input  wire clk, input wire rst, input wire start, input wire [255:0] instr, output wire done,
    output wire ab_ren, output wire [31:0] ab_raddr, input wire [{mab}:0] ab_rdata,
    output wire wb_ren, output wire [31:0] wb_raddr, input wire [{mwb}:0] wb_rdata,
    output wire [{nbm}:0] kv_ren, output wire [{nba}:0] kv_raddr, input wire [{mkv}:0] kv_rdata,
    output wire acc_ren, output wire [31:0] acc_raddr, input wire [{macc}:0] acc_rdata,
    output wire acc_wen, output wire [31:0] acc_waddr, output wire [{macc}:0] acc_wdata,
    output wire [{maccs}:0] acc_wstrb
);
{cnt}    assign ab_ren = 1'b0; assign ab_raddr = 32'd0; assign wb_ren = 1'b0; assign wb_raddr = 32'd0;
    assign kv_ren = {{{nb}{{1'b0}}}}; assign kv_raddr = {{{nb32}{{1'b0}}}};
    assign acc_ren = 1'b0; assign acc_raddr = 32'd0; assign acc_wen = 1'b0; assign acc_waddr = 32'd0;
    assign acc_wdata = {{{c32}{{1'b0}}}}; assign acc_wstrb = {{{c4}{{1'b0}}}};
    wire unused_double = &{{1'b0, instr, ab_rdata, wb_rdata, kv_rdata, acc_rdata}};
endmodule

module {SFU_DOUBLE} (
    input  wire clk, input wire rst, input wire start, input wire [255:0] instr, output wire done,
    output wire acc_ren, output wire [31:0] acc_raddr, input wire [{sacc}:0] acc_rdata,
    output wire ab_ren, output wire [31:0] ab_raddr, input wire [{sab}:0] ab_rdata,
    output wire ab_wen, output wire [31:0] ab_waddr, output wire [{sab}:0] ab_wdata, output wire [{sabs}:0] ab_wstrb,
    output wire sb_ren, output wire [31:0] sb_raddr, input wire [{ssb}:0] sb_rdata,
    output wire kv_wen, output wire [31:0] kv_waddr, output wire [{kvwm}:0] kv_wdata,
    output wire [{kvsm}:0] kv_wstrb, output wire [{kvnm}:0] kv_wnib
);
{cnt}    assign acc_ren = 1'b0; assign acc_raddr = 32'd0; assign ab_ren = 1'b0; assign ab_raddr = 32'd0;
    assign ab_wen = 1'b0; assign ab_waddr = 32'd0; assign ab_wdata = {{{l8}{{1'b0}}}}; assign ab_wstrb = {{{lab}{{1'b0}}}};
    assign sb_ren = 1'b0; assign sb_raddr = 32'd0; assign kv_wen = 1'b0; assign kv_waddr = 32'd0;
    assign kv_wdata = {{{kvw}{{1'b0}}}}; assign kv_wstrb = {{{kvs}{{1'b0}}}}; assign kv_wnib = {{{kvn}{{1'b0}}}};
    wire unused_double = &{{1'b0, instr, acc_rdata, ab_rdata, sb_rdata}};
endmodule
"#,
        cnt = counter(),
        mab = r * ab * 8 - 1,
        mwb = g.tile * 8 - 1,
        nbm = g.nb - 1,
        nb = g.nb,
        nba = 32 * g.nb - 1,
        nb32 = 32 * g.nb,
        mkv = g.kw * 8 * g.nb - 1,
        macc = 32 * c - 1,
        maccs = 4 * c - 1,
        c32 = 32 * c,
        c4 = 4 * c,
        sacc = 32 * l - 1,
        sab = ab * 8 * l - 1,
        sabs = ab * l - 1,
        l8 = ab * 8 * l,
        lab = ab * l,
        ssb = 16 * l - 1,
        kvwm = kvw - 1,
        kvw = kvw,
        kvsm = kvw / 8 - 1,
        kvs = kvw / 8,
        kvnm = kvw / 4 - 1,
        kvn = kvw / 4,
    )
}
