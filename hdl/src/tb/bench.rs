//! The Verilog testbench `llmfab_tb` for one config: the kernel, one
//! `llmfab_tb_mem` per AXI port, an AXI4-Lite driver that programs and
//! starts the kernel like the host does, and a raw dump of every buffer
//! bank and memory after `ap_done`.
//!
//! Plusargs: `+prog=FILE +iwords=N +count=N +hbm<c>=FILE +hwords<c>=N
//! +dump=FILE +maxcycles=N`.

use crate::gen::geometry::Geometry;
use llmfab_isa::MemTiming;
use std::fmt::Write as _;

/// Sizes the testbench is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchSize {
    /// Most instruction-memory words (beats).
    pub instr_words: u64,
    /// Most memory words (beats) per channel.
    pub hbm_words: u64,
}

/// One physical memory the testbench dumps: name, hierarchical path,
/// words, bytes per word.
pub fn banks(g: &Geometry) -> Vec<(String, String, u64, u64)> {
    let mut v = vec![
        (
            "abuf".to_string(),
            "dut.engine.abuf.mem".to_string(),
            g.abuf_words,
            g.wa,
        ),
        (
            "sbuf".into(),
            "dut.engine.sbuf.mem".into(),
            g.sbuf_words,
            g.ws,
        ),
        ("acc".into(), "dut.engine.acc.mem".into(), g.acc_words, g.wc),
    ];
    for c in 0..g.ch {
        v.push((
            format!("wbuf{c}"),
            format!("dut.engine.g_wbuf[{c}].wb.mem"),
            g.wbuf_rows,
            g.slice,
        ));
    }
    for b in 0..g.nb {
        v.push((
            format!("kvbuf{b}"),
            format!("dut.engine.g_kv[{b}].kvb.mem"),
            g.kv_words,
            g.wk,
        ));
    }
    v
}

const AXIL: &str = r#"
    task axil_write(input [11:0] a, input [31:0] d);
        begin
            @(negedge clk); s_awvalid = 1'b1; s_awaddr = a; s_wvalid = 1'b1; s_wdata = d;
            #1; while (!s_awready) begin @(negedge clk); #1; end
            @(posedge clk); #1; s_awvalid = 1'b0; s_wvalid = 1'b0;
            @(negedge clk); while (!s_bvalid) @(negedge clk);
            @(posedge clk); #1;
        end
    endtask
    task axil_read(input [11:0] a, output [31:0] d);
        begin
            @(negedge clk); s_arvalid = 1'b1; s_araddr = a;
            #1; while (!s_arready) begin @(negedge clk); #1; end
            @(posedge clk); #1; s_arvalid = 1'b0;
            @(negedge clk); while (!s_rvalid) @(negedge clk);
            d = s_rdata;
            @(posedge clk); #1;
        end
    endtask
"#;

fn port_wires(v: &mut String, p: &str, pb: u64) {
    let _ = writeln!(
        v,
        "    wire {p}_arvalid, {p}_arready, {p}_rvalid, {p}_rready, {p}_rlast, {p}_awvalid, {p}_awready, {p}_wvalid, {p}_wready, {p}_wlast, {p}_bvalid, {p}_bready;\n    wire [63:0] {p}_araddr, {p}_awaddr;\n    wire [7:0] {p}_arlen, {p}_awlen;\n    wire [2:0] {p}_arsize, {p}_awsize;\n    wire [1:0] {p}_arburst, {p}_awburst;\n    wire [{pbm}:0] {p}_rdata, {p}_wdata;\n    wire [{sm}:0] {p}_wstrb;\n    reg [63:0] {p}_size = 64'd0;",
        pbm = pb - 1,
        sm = pb / 8 - 1
    );
}

fn port_conn(p: &str, k: &str) -> String {
    [
        "arvalid", "arready", "araddr", "arlen", "arsize", "arburst", "rvalid", "rready", "rdata",
        "rlast", "awvalid", "awready", "awaddr", "awlen", "awsize", "awburst", "wvalid", "wready",
        "wdata", "wstrb", "wlast", "bvalid", "bready",
    ]
    .iter()
    .map(|s| format!(".{k}_{s}({p}_{s})"))
    .chain([format!(".{k}_rresp(2'b00)"), format!(".{k}_bresp(2'b00)")])
    .collect::<Vec<_>>()
    .join(", ")
}

fn model(p: &str, name: &str, pb: u64, words: u64, mt: &MemTiming, maxb: u64) -> String {
    format!(
        "    llmfab_tb_mem #(.PB({pb}), .WORDS({words}), .RLAT({}), .WLAT({}), .GAP({}), .MAXB({maxb}), .NAME(\"{name}\")) {p}_mem (\n        .clk(clk), .cyc(cyc), .size_words({p}_size), .arvalid({p}_arvalid), .arready({p}_arready), .araddr({p}_araddr), .arlen({p}_arlen),\n        .rvalid({p}_rvalid), .rready({p}_rready), .rdata({p}_rdata), .rlast({p}_rlast), .awvalid({p}_awvalid), .awready({p}_awready),\n        .awaddr({p}_awaddr), .awlen({p}_awlen), .wvalid({p}_wvalid), .wready({p}_wready), .wdata({p}_wdata), .wstrb({p}_wstrb),\n        .wlast({p}_wlast), .bvalid({p}_bvalid), .bready({p}_bready));\n",
        mt.read_latency.max(1),
        mt.write_latency.max(1),
        mt.burst_gap
    )
}

/// The testbench text.
pub fn testbench(g: &Geometry, mt: &MemTiming, size: BenchSize) -> String {
    let (ch, pb) = (g.ch, g.pb);
    let mut v = String::from("\nmodule llmfab_tb;\n    reg clk = 1'b0;\n    always #5 clk = ~clk;\n    reg [63:0] cyc = 64'd0;\n    always @(posedge clk) cyc <= cyc + 64'd1;\n    reg rst_n = 1'b0;\n");
    v += "    reg s_awvalid = 1'b0, s_wvalid = 1'b0, s_arvalid = 1'b0;\n    reg [11:0] s_awaddr = 12'd0, s_araddr = 12'd0;\n    reg [31:0] s_wdata = 32'd0;\n    wire s_awready, s_wready, s_bvalid, s_arready, s_rvalid, irq;\n    wire [31:0] s_rdata;\n    wire [1:0] s_bresp, s_rresp;\n";
    port_wires(&mut v, "pi", pb);
    for c in 0..ch {
        port_wires(&mut v, &format!("pc{c}"), pb);
    }
    let mut conns = vec![port_conn("pi", "m_axi_instr")];
    for c in 0..ch {
        conns.push(port_conn(&format!("pc{c}"), &format!("m_axi_ch{c}")));
    }
    let _ = write!(
        v,
        "    llmfab_kernel dut (.ap_clk(clk), .ap_rst_n(rst_n), .interrupt(irq),\n        .s_axi_control_awvalid(s_awvalid), .s_axi_control_awready(s_awready), .s_axi_control_awaddr(s_awaddr),\n        .s_axi_control_wvalid(s_wvalid), .s_axi_control_wready(s_wready), .s_axi_control_wdata(s_wdata), .s_axi_control_wstrb(4'hf),\n        .s_axi_control_bvalid(s_bvalid), .s_axi_control_bready(1'b1), .s_axi_control_bresp(s_bresp),\n        .s_axi_control_arvalid(s_arvalid), .s_axi_control_arready(s_arready), .s_axi_control_araddr(s_araddr),\n        .s_axi_control_rvalid(s_rvalid), .s_axi_control_rready(1'b1), .s_axi_control_rdata(s_rdata), .s_axi_control_rresp(s_rresp),\n        {});\n",
        conns.join(",\n        ")
    );
    v += &model("pi", "m_axi_instr", pb, size.instr_words, mt, g.max_burst);
    for c in 0..ch {
        v += &model(
            &format!("pc{c}"),
            &format!("m_axi_ch{c}"),
            pb,
            size.hbm_words,
            mt,
            g.max_burst,
        );
    }
    v += AXIL;
    let counter = 0x20 + 8 * ch;
    let _ = write!(
        v,
        r#"    reg [8*1024-1:0] f;
    reg [63:0] n;
    reg [31:0] count, rd, lo, hi;
    reg [63:0] maxc;
    integer fd, k;
    initial begin
        if (!$value$plusargs("count=%d", count)) count = 0;
        if (!$value$plusargs("maxcycles=%d", maxc)) maxc = 1000000;
        if ($value$plusargs("iwords=%d", n)) pi_size = n;
        if (pi_size > 0 && $value$plusargs("prog=%s", f)) $readmemh(f, pi_mem.mem, 0, pi_size - 1);
"#
    );
    for c in 0..ch {
        let _ = writeln!(
            v,
            "        if ($value$plusargs(\"hwords{c}=%d\", n)) pc{c}_size = n;\n        if (pc{c}_size > 0 && $value$plusargs(\"hbm{c}=%s\", f)) $readmemh(f, pc{c}_mem.mem, 0, pc{c}_size - 1);"
        );
    }
    v += "        repeat (3) @(posedge clk);\n        @(negedge clk) rst_n = 1'b1;\n        axil_write(12'h010, 32'd0);\n        axil_write(12'h014, 32'd0);\n        axil_write(12'h018, count);\n";
    for c in 0..ch {
        let _ = writeln!(
            v,
            "        axil_write(12'h{:03x}, 32'd0);\n        axil_write(12'h{:03x}, 32'd0);",
            0x20 + 8 * c,
            0x24 + 8 * c
        );
    }
    let _ = write!(
        v,
        r#"        axil_write(12'h000, 32'd1);
        rd = 32'd0;
        while (!rd[1]) begin
            axil_read(12'h000, rd);
            if (cyc > maxc) begin
                $display("LLMFAB-TB-ERROR timeout: no ap_done after %0d cycles", cyc);
                $finish;
            end
        end
        axil_read(12'h{counter:03x}, lo);
        axil_read(12'h{hi:03x}, hi);
        if (!$value$plusargs("dump=%s", f)) begin
            $display("LLMFAB-TB-ERROR no +dump file");
            $finish;
        end
        fd = $fopen(f, "w");
        $fwrite(fd, "cycles %0d\n", {{hi, lo}});
"#,
        hi = counter + 4
    );
    for (name, path, words, bytes) in banks(g) {
        let _ = writeln!(
            v,
            "        $fwrite(fd, \"bank {name} {words} {bytes}\\n\");\n        for (k = 0; k < {words}; k = k + 1) $fwrite(fd, \"%h\\n\", {path}[k]);"
        );
    }
    for c in 0..ch {
        let _ = writeln!(
            v,
            "        $fwrite(fd, \"bank hbm{c} %0d {beat}\\n\", pc{c}_size);\n        for (k = 0; k < pc{c}_size; k = k + 1) $fwrite(fd, \"%h\\n\", pc{c}_mem.mem[k]);",
            beat = g.beat
        );
    }
    v += "        $fclose(fd);\n        $display(\"LLMFAB-TB-DONE\");\n        $finish;\n    end\n    wire unused_tb = &{1'b0, irq, s_bresp, s_rresp};\nendmodule\n";
    v
}
