//! `llmfab_kernel`: the Vitis RTL-kernel top (engine.md §7; AMD UG1393):
//! `ap_clk`, `ap_rst_n`, `interrupt`, the AXI4-Lite slave `s_axi_control`
//! (`llmfab_ctrl`), the AXI4 masters `m_axi_instr` and `m_axi_ch<c>`
//! (64-bit addresses, `port_bits` data, INCR bursts of full beats), and
//! `llmfab_engine`.

use super::geometry::{log2, Geometry};
use std::fmt::Write as _;

/// Port declarations of one AXI4 master named `p`.
fn master_ports(v: &mut String, p: &str, pb: u64) {
    let _ = write!(
        v,
        r#"    output wire        {p}_arvalid,
    input  wire        {p}_arready,
    output wire [63:0] {p}_araddr,
    output wire [7:0]  {p}_arlen,
    output wire [2:0]  {p}_arsize,
    output wire [1:0]  {p}_arburst,
    input  wire        {p}_rvalid,
    output wire        {p}_rready,
    input  wire [{pbm}:0] {p}_rdata,
    input  wire [1:0]  {p}_rresp,
    input  wire        {p}_rlast,
    output wire        {p}_awvalid,
    input  wire        {p}_awready,
    output wire [63:0] {p}_awaddr,
    output wire [7:0]  {p}_awlen,
    output wire [2:0]  {p}_awsize,
    output wire [1:0]  {p}_awburst,
    output wire        {p}_wvalid,
    input  wire        {p}_wready,
    output wire [{pbm}:0] {p}_wdata,
    output wire [{sm}:0] {p}_wstrb,
    output wire        {p}_wlast,
    input  wire        {p}_bvalid,
    output wire        {p}_bready,
    input  wire [1:0]  {p}_bresp,
"#,
        pbm = pb - 1,
        sm = pb / 8 - 1,
    );
}

/// The `llmfab_kernel` module text.
pub fn kernel(g: &Geometry) -> String {
    let (ch, pb) = (g.ch, g.pb);
    let size = log2(g.beat);
    let mut v = String::from(
        "\n// llmfab_kernel: Vitis RTL kernel top (generated).\nmodule llmfab_kernel (\n",
    );
    v += "    input  wire        ap_clk,\n    input  wire        ap_rst_n,\n    output wire        interrupt,\n";
    v += r#"    input  wire        s_axi_control_awvalid,
    output wire        s_axi_control_awready,
    input  wire [11:0] s_axi_control_awaddr,
    input  wire        s_axi_control_wvalid,
    output wire        s_axi_control_wready,
    input  wire [31:0] s_axi_control_wdata,
    input  wire [3:0]  s_axi_control_wstrb,
    output wire        s_axi_control_bvalid,
    input  wire        s_axi_control_bready,
    output wire [1:0]  s_axi_control_bresp,
    input  wire        s_axi_control_arvalid,
    output wire        s_axi_control_arready,
    input  wire [11:0] s_axi_control_araddr,
    output wire        s_axi_control_rvalid,
    input  wire        s_axi_control_rready,
    output wire [31:0] s_axi_control_rdata,
    output wire [1:0]  s_axi_control_rresp,
"#;
    master_ports(&mut v, "m_axi_instr", pb);
    for c in 0..ch {
        master_ports(&mut v, &format!("m_axi_ch{c}"), pb);
    }
    // drop the last comma
    if let Some(i) = v.rfind(',') {
        v.remove(i);
    }
    let _ = write!(
        v,
        r#");
    wire rst = ~ap_rst_n;
    wire start, done, ext_we;
    wire [6:0] ext_widx, ext_ridx;
    wire [31:0] ext_wdata, instr_count;
    wire [63:0] instr_addr;
    reg [31:0] ptr [0:{pw}];
    integer i;
    initial for (i = 0; i < {np}; i = i + 1) ptr[i] = 32'd0;
    always @(posedge ap_clk) if (ext_we) ptr[ext_widx[{ib}:0]] <= ext_wdata;
    wire [8:0] ridx = s_axi_control_araddr[10:2] - 9'd8;
    wire [31:0] ext_rdata = ptr[ridx[{ib}:0]];
    llmfab_ctrl ctrl (
        .clock(ap_clk), .rst(rst),
        .awvalid(s_axi_control_awvalid), .awready(s_axi_control_awready), .awaddr(s_axi_control_awaddr),
        .wvalid(s_axi_control_wvalid), .wready(s_axi_control_wready), .wdata(s_axi_control_wdata),
        .bvalid(s_axi_control_bvalid), .bready(s_axi_control_bready),
        .arvalid(s_axi_control_arvalid), .arready(s_axi_control_arready), .araddr(s_axi_control_araddr),
        .rvalid(s_axi_control_rvalid), .rready(s_axi_control_rready), .rdata(s_axi_control_rdata),
        .channels(7'd{ch}), .start(start), .done(done), .instr_addr(instr_addr), .instr_count(instr_count),
        .interrupt(interrupt), .ext_we(ext_we), .ext_widx(ext_widx), .ext_wdata(ext_wdata),
        .ext_ridx(ext_ridx), .ext_rdata(ext_rdata)
    );
    assign s_axi_control_bresp = 2'b00;
    assign s_axi_control_rresp = 2'b00;
"#,
        pw = 2 * ch - 1,
        np = 2 * ch,
        ib = log2(2 * ch) - 1,
    );
    // instruction master: read only
    let _ = write!(
        v,
        r#"    assign m_axi_instr_arsize = 3'd{size};
    assign m_axi_instr_arburst = 2'b01;
    assign m_axi_instr_awvalid = 1'b0;
    assign m_axi_instr_awaddr = 64'd0;
    assign m_axi_instr_awlen = 8'd0;
    assign m_axi_instr_awsize = 3'd{size};
    assign m_axi_instr_awburst = 2'b01;
    assign m_axi_instr_wvalid = 1'b0;
    assign m_axi_instr_wdata = {pb}'d0;
    assign m_axi_instr_wstrb = {{{sb}{{1'b0}}}};
    assign m_axi_instr_wlast = 1'b0;
    assign m_axi_instr_bready = 1'b1;
"#,
        sb = pb / 8,
    );
    let cat = |f: &str| -> String {
        (0..ch)
            .rev()
            .map(|c| format!("m_axi_ch{c}_{f}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let bases: Vec<String> = (0..ch)
        .rev()
        .map(|c| format!("ptr[{}], ptr[{}]", 2 * c + 1, 2 * c))
        .collect();
    let _ = write!(
        v,
        r#"    wire [{b64}:0] ch_base = {{{bases}}};
    llmfab_engine engine (
        .clk(ap_clk), .rst(rst), .start(start), .done(done), .instr_addr(instr_addr), .instr_count(instr_count),
        .ch_base(ch_base),
        .i_arvalid(m_axi_instr_arvalid), .i_arready(m_axi_instr_arready), .i_araddr(m_axi_instr_araddr),
        .i_arlen(m_axi_instr_arlen), .i_rvalid(m_axi_instr_rvalid), .i_rready(m_axi_instr_rready),
        .i_rdata(m_axi_instr_rdata), .i_rlast(m_axi_instr_rlast),
        .c_arvalid({{{arvalid}}}), .c_arready({{{arready}}}), .c_araddr({{{araddr}}}), .c_arlen({{{arlen}}}),
        .c_rvalid({{{rvalid}}}), .c_rready({{{rready}}}), .c_rdata({{{rdata}}}), .c_rlast({{{rlast}}}),
        .c_awvalid({{{awvalid}}}), .c_awready({{{awready}}}), .c_awaddr({{{awaddr}}}), .c_awlen({{{awlen}}}),
        .c_wvalid({{{wvalid}}}), .c_wready({{{wready}}}), .c_wdata({{{wdata}}}), .c_wlast({{{wlast}}}),
        .c_bvalid({{{bvalid}}}), .c_bready({{{bready}}})
    );
"#,
        b64 = 64 * ch - 1,
        bases = bases.join(", "),
        arvalid = cat("arvalid"),
        arready = cat("arready"),
        araddr = cat("araddr"),
        arlen = cat("arlen"),
        rvalid = cat("rvalid"),
        rready = cat("rready"),
        rdata = cat("rdata"),
        rlast = cat("rlast"),
        awvalid = cat("awvalid"),
        awready = cat("awready"),
        awaddr = cat("awaddr"),
        awlen = cat("awlen"),
        wvalid = cat("wvalid"),
        wready = cat("wready"),
        wdata = cat("wdata"),
        wlast = cat("wlast"),
        bvalid = cat("bvalid"),
        bready = cat("bready"),
    );
    for c in 0..ch {
        let _ = write!(
            v,
            "    assign m_axi_ch{c}_arsize = 3'd{size};\n    assign m_axi_ch{c}_arburst = 2'b01;\n    assign m_axi_ch{c}_awsize = 3'd{size};\n    assign m_axi_ch{c}_awburst = 2'b01;\n    assign m_axi_ch{c}_wstrb = {{{}{{1'b1}}}};\n",
            pb / 8
        );
    }
    let mut unused = vec![
        "s_axi_control_wstrb".to_string(),
        "m_axi_instr_rresp".into(),
        "m_axi_instr_awready".into(),
        "m_axi_instr_wready".into(),
        "m_axi_instr_bvalid".into(),
        "m_axi_instr_bresp".into(),
        "ext_ridx".into(),
        "ridx".into(),
        "ext_widx".into(),
    ];
    for c in 0..ch {
        unused.push(format!("m_axi_ch{c}_rresp"));
        unused.push(format!("m_axi_ch{c}_bresp"));
    }
    let _ = writeln!(
        v,
        "    wire unused_kernel = &{{1'b0, {}}};\nendmodule",
        unused.join(", ")
    );
    v
}
