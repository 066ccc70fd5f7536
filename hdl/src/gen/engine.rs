//! `llmfab_engine`: the structural engine top for one config — fetch,
//! dispatch, queues, tokens, executors, per-channel DMA engines, buffers
//! with their port muxes, and the two compute units (docs/rtl.md §1).

use super::buffers;
use super::fields::{opcode, slice};
use super::geometry::{clog2, log2, Geometry};
use std::fmt::Write as _;

/// Names of the compute-unit modules the engine instantiates (the real
/// units, or test doubles in the core's own tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Units {
    /// Matrix unit module (ports of docs/rtl.md §4).
    pub matrix: String,
    /// SFU module (ports of docs/rtl.md §5).
    pub sfu: String,
}

impl Default for Units {
    fn default() -> Self {
        Units {
            matrix: "llmfab_matrix".into(),
            sfu: "llmfab_sfu".into(),
        }
    }
}

/// The `llmfab_engine` module text.
pub fn engine(g: &Geometry, units: &Units) -> String {
    let mut v = String::new();
    ports(&mut v, g);
    control(&mut v, g);
    dma(&mut v, g);
    buffers::all(&mut v, g);
    compute(&mut v, g, units);
    v += "endmodule\n";
    v
}

fn ports(v: &mut String, g: &Geometry) {
    let (ch, pb) = (g.ch, g.pb);
    let _ = write!(
        v,
        r#"
// llmfab_engine: generated for R={r} C={c} L={l} act={ab}B kv={kb}b channels={ch} port={pb}b.
module llmfab_engine (
    input  wire                clk,
    input  wire                rst,
    input  wire                start,
    output wire                done,
    input  wire [63:0]         instr_addr,
    input  wire [31:0]         instr_count,
    input  wire [{chb}:0]       ch_base,
    output wire                i_arvalid,
    input  wire                i_arready,
    output wire [63:0]         i_araddr,
    output wire [7:0]          i_arlen,
    input  wire                i_rvalid,
    output wire                i_rready,
    input  wire [{pbm}:0]       i_rdata,
    input  wire                i_rlast,
    output wire [{chm}:0]       c_arvalid,
    input  wire [{chm}:0]       c_arready,
    output wire [{chb}:0]       c_araddr,
    output wire [{chl}:0]       c_arlen,
    input  wire [{chm}:0]       c_rvalid,
    output wire [{chm}:0]       c_rready,
    input  wire [{chd}:0]       c_rdata,
    input  wire [{chm}:0]       c_rlast,
    output wire [{chm}:0]       c_awvalid,
    input  wire [{chm}:0]       c_awready,
    output wire [{chb}:0]       c_awaddr,
    output wire [{chl}:0]       c_awlen,
    output wire [{chm}:0]       c_wvalid,
    input  wire [{chm}:0]       c_wready,
    output wire [{chd}:0]       c_wdata,
    output wire [{chm}:0]       c_wlast,
    input  wire [{chm}:0]       c_bvalid,
    output wire [{chm}:0]       c_bready
);
"#,
        r = g.r,
        c = g.c,
        l = g.l,
        ab = g.ab,
        kb = g.kb,
        chb = 64 * ch - 1,
        chm = ch - 1,
        chl = 8 * ch - 1,
        chd = pb * ch - 1,
        pbm = pb - 1,
    );
}

fn control(v: &mut String, g: &Geometry) {
    let bs = log2(g.beat);
    let fd = g.fetch_depth;
    let qd = g.queue_depth;
    let cur = if g.pb == 512 {
        "wire [255:0] cur = d_sub ? ihead[511:256] : ihead[255:0];"
    } else {
        "wire [255:0] cur = ihead;\n    wire unused_sub = d_sub;"
    };
    let _ = write!(
        v,
        r#"
    // ---- fetch, dispatch, queues, tokens ----
    wire f_busy, ibeat_pop, ififo_empty, ififo_full, d_sub, d_done;
    wire [10:0] ififo_count;
    wire [{pbm}:0] ihead;
    llmfab_fetch fetch (
        .clock(clk), .rst(rst), .start(start), .instr_addr(instr_addr), .instr_count(instr_count),
        .beat_shift(3'd{bs}), .max_burst(32'd{mb}), .max_out(5'd{mo}), .fifo_depth(32'd{fd}),
        .beat_pop(ibeat_pop), .ar_valid(i_arvalid), .ar_addr(i_araddr), .ar_len(i_arlen),
        .ar_ready(i_arready), .r_valid(i_rvalid), .r_last(i_rlast), .busy(f_busy)
    );
    assign i_rready = 1'b1;
    llmfab_fifo #(.W({pb}), .D({fd}), .AW({faw})) ififo (
        .clk(clk), .rst(rst), .push(i_rvalid), .din(i_rdata), .pop(ibeat_pop), .dout(ihead),
        .empty(ififo_empty), .full(ififo_full), .count(ififo_count)
    );
    {cur}
    wire [2:0] q_push, q_full;
    llmfab_dispatch dispatch (
        .clock(clk), .rst(rst), .start(start), .instr_count(instr_count), .two_per_beat(1'b{two}),
        .fifo_empty(ififo_empty), .opcode(cur[7:0]), .nop_queue({nopq}), .q_full(q_full),
        .push(q_push), .beat_pop(ibeat_pop), .sub(d_sub), .done(d_done)
    );
    wire lq_empty, cq_empty, sq_empty, lq_pop, cq_pop, sq_pop;
    wire [10:0] lq_count, cq_count, sq_count;
    wire [255:0] lq_head, cq_head, sq_head;
    llmfab_fifo #(.W(256), .D({qd}), .AW({qaw})) lq (.clk(clk), .rst(rst), .push(q_push[0]), .din(cur), .pop(lq_pop),
        .dout(lq_head), .empty(lq_empty), .full(q_full[0]), .count(lq_count));
    llmfab_fifo #(.W(256), .D({qd}), .AW({qaw})) cq (.clk(clk), .rst(rst), .push(q_push[1]), .din(cur), .pop(cq_pop),
        .dout(cq_head), .empty(cq_empty), .full(q_full[1]), .count(cq_count));
    llmfab_fifo #(.W(256), .D({qd}), .AW({qaw})) sq (.clk(clk), .rst(rst), .push(q_push[2]), .din(cur), .pop(sq_pop),
        .dout(sq_head), .empty(sq_empty), .full(q_full[2]), .count(sq_count));
    wire [3:0] tok_inc, tok_dec, tok_avail, cx_inc, cx_dec;
    wire lx_inc, lx_dec, sx_inc, sx_dec;
    assign tok_inc = cx_inc | {{sx_inc, 2'b00, lx_inc}};
    assign tok_dec = cx_dec | {{1'b0, sx_dec, lx_dec, 1'b0}};
    llmfab_tokens tokens (.clock(clk), .rst(rst), .inc(tok_inc), .dec(tok_dec), .avail(tok_avail));

    // ---- load and store executors ----
    wire [{chm}:0] rd_ready, rd_busy, wr_ready, wr_busy;
    wire [5:0] l_ch = {lch};
    wire [5:0] s_ch = {sch};
    wire [63:0] rd_ready_x = {{{{(64-{ch}){{1'b0}}}}, rd_ready}};
    wire [63:0] wr_ready_x = {{{{(64-{ch}){{1'b0}}}}, wr_ready}};
    wire lx_cmd, sx_cmd, lx_busy, sx_busy;
    llmfab_xfer_exec lx (
        .clock(clk), .rst(rst), .q_empty(lq_empty), .is_xfer(lq_head[7:0] == 8'h{op_load:02x}),
        .pop_flag(lq_head[9]), .push_flag(lq_head[11]), .tok_avail(tok_avail[1]),
        .ch_ready(rd_ready_x[l_ch]), .all_idle(~|rd_busy), .q_pop(lq_pop), .tok_dec(lx_dec),
        .tok_inc(lx_inc), .cmd_valid(lx_cmd), .busy(lx_busy)
    );
    llmfab_xfer_exec sx (
        .clock(clk), .rst(rst), .q_empty(sq_empty), .is_xfer(sq_head[7:0] == 8'h{op_store:02x}),
        .pop_flag(sq_head[8]), .push_flag(sq_head[10]), .tok_avail(tok_avail[2]),
        .ch_ready(wr_ready_x[s_ch]), .all_idle(~|wr_busy), .q_pop(sq_pop), .tok_dec(sx_dec),
        .tok_inc(sx_inc), .cmd_valid(sx_cmd), .busy(sx_busy)
    );

    // ---- compute executor ----
    wire [7:0] c_op = cq_head[7:0];
    wire is_mm = c_op == 8'h{op_mm:02x};
    wire is_rq = c_op == 8'h{op_rq:02x};
    wire is_sm = c_op == 8'h{op_sm:02x};
    wire is_ew = (c_op >= 8'h{op_first_ew:02x}) & (c_op <= 8'h{op_last_ew:02x});
    wire [3:0] need;
    assign need[0] = is_mm | is_ew | (is_rq & ({rq_src} == 3'd0));
    assign need[1] = is_sm | is_ew | (is_rq & ({rq_dst} == 3'd0));
    assign need[2] = is_mm & {mm_bsrc};
    assign need[3] = is_rq & ({rq_dst} == 3'd2);
    wire [3:0] cx_claim, dma_hold;
    wire mx_start, sfu_start, mx_done, sfu_done, sel_sfu, cx_busy;
    llmfab_comp_exec cx (
        .clock(clk), .rst(rst), .q_empty(cq_empty), .is_nop(c_op == 8'h{op_nop:02x}), .is_sfu(~is_mm),
        .deps(cq_head[11:8]), .need(need), .tok_avail(tok_avail), .dma_hold(dma_hold),
        .mx_done(mx_done), .sfu_done(sfu_done), .q_pop(cq_pop), .tok_dec(cx_dec), .tok_inc(cx_inc),
        .mx_start(mx_start), .sfu_start(sfu_start), .claim(cx_claim), .sel_sfu(sel_sfu), .busy(cx_busy)
    );

    // ---- run state: done when everything has drained ----
    reg running;
    initial running = 1'b0;
    always @(posedge clk) begin
        if (rst) running <= 1'b0;
        else if (start) running <= 1'b1;
        else if (done) running <= 1'b0;
    end
    wire idle = d_done & lq_empty & cq_empty & sq_empty & ~lx_busy & ~sx_busy & ~cx_busy
        & ~|rd_busy & ~|wr_busy & ~f_busy;
    assign done = running & idle & ~start;
    wire unused_ctl = &{{1'b0, ififo_full, ififo_count, lq_count, cq_count, sq_count, sel_sfu,
        lq_head[255:181], lq_head[15:12], lq_head[10], lq_head[8], sq_head[255:181], sq_head[15:11], sq_head[9]}};
"#,
        pb = g.pb,
        pbm = g.pb - 1,
        chm = g.ch - 1,
        ch = g.ch,
        mb = g.max_burst,
        mo = g.max_out,
        faw = clog2(fd),
        qaw = clog2(qd),
        two = u8::from(g.pb == 512),
        nopq = slice("cur", "nop", "queue"),
        lch = slice("lq_head", "load", "ch"),
        sch = slice("sq_head", "store", "ch"),
        op_load = opcode("load"),
        op_store = opcode("store"),
        op_nop = opcode("nop"),
        op_mm = opcode("matmul"),
        op_rq = opcode("requant"),
        op_sm = opcode("softmax"),
        op_first_ew = opcode("rmsnorm"),
        op_last_ew = opcode("mul"),
        rq_src = slice("cq_head", "requant", "src"),
        rq_dst = slice("cq_head", "requant", "dst"),
        mm_bsrc = slice("cq_head", "matmul", "bsrc"),
    );
}

fn dma(v: &mut String, g: &Geometry) {
    let ch = g.ch;
    let holds: Vec<String> = (0..ch)
        .map(|c| {
            format!(
                "rd_hold[{}:{}] | wr_hold[{}:{}]",
                4 * c + 3,
                4 * c,
                4 * c + 3,
                4 * c
            )
        })
        .collect();
    let cmd = |q: &str, op: &str| -> String {
        [
            ("cmd_buf", "buf"),
            ("cmd_rows", "rows"),
            ("cmd_row_bytes", "row_bytes"),
            ("cmd_hbm_addr", "hbm_addr"),
            ("cmd_hbm_stride", "hbm_stride"),
            ("cmd_buf_addr", "buf_addr"),
            ("cmd_buf_stride", "buf_stride"),
        ]
        .iter()
        .map(|(port, f)| format!(".{port}({})", slice(q, op, f)))
        .collect::<Vec<_>>()
        .join(", ")
    };
    let _ = write!(
        v,
        r#"
    // ---- per-channel DMA engines ----
    wire [{h}:0] rd_hold, wr_hold;
    assign dma_hold = {holds};
    wire [{chm}:0] rd_wen, wr_ren;
    wire [{b3}:0] rd_wbuf, wr_rbuf;
    wire [{b32}:0] rd_waddr, wr_raddr;
    wire [{std}:0] st_data;
    genvar c;
    generate
        for (c = 0; c < {ch}; c = c + 1) begin : g_ch
            wire [92:0] rdesc_in, rdesc_out;
            wire rdesc_push, rdesc_pop, rdesc_empty, rdesc_full;
            wire [10:0] rdesc_count;
            llmfab_fifo #(.W(93), .D(16), .AW(4)) rdesc (.clk(clk), .rst(rst), .push(rdesc_push), .din(rdesc_in),
                .pop(rdesc_pop), .dout(rdesc_out), .empty(rdesc_empty), .full(rdesc_full), .count(rdesc_count));
            llmfab_dma_rd rd (
                .clock(clk), .rst(rst), .cmd_valid(lx_cmd & (l_ch == c)), {lcmd},
                .base(ch_base[64*c +: 64]), .beat_shift(3'd{bs}), .max_burst(32'd{mb}), .max_out(5'd{mo}),
                .tile_shift(5'd{ts}), .slice_shift(5'd{ss}), .claim(cx_claim),
                .ar_valid(c_arvalid[c]), .ar_addr(c_araddr[64*c +: 64]), .ar_len(c_arlen[8*c +: 8]),
                .ar_ready(c_arready[c]), .r_valid(c_rvalid[c]), .r_last(c_rlast[c]),
                .desc_push(rdesc_push), .desc_in(rdesc_in), .desc_out(rdesc_out), .desc_pop(rdesc_pop),
                .wr_en(rd_wen[c]), .wr_buf(rd_wbuf[3*c +: 3]), .wr_addr(rd_waddr[32*c +: 32]),
                .ready(rd_ready[c]), .busy(rd_busy[c]), .hold(rd_hold[4*c +: 4])
            );
            assign c_rready[c] = 1'b1;
            wire [99:0] wdesc_in, wdesc_out;
            wire wdesc_push, wdesc_pop, wdesc_empty, wdesc_full;
            wire [10:0] wdesc_count;
            llmfab_fifo #(.W(100), .D(16), .AW(4)) wdesc (.clk(clk), .rst(rst), .push(wdesc_push), .din(wdesc_in),
                .pop(wdesc_pop), .dout(wdesc_out), .empty(wdesc_empty), .full(wdesc_full), .count(wdesc_count));
            wire [1:0] bflag_in, bflag_out;
            wire bflag_empty, bflag_full;
            wire [10:0] bflag_count;
            llmfab_fifo #(.W(2), .D(16), .AW(4)) bflag (.clk(clk), .rst(rst), .push(wdesc_push), .din(bflag_in),
                .pop(c_bvalid[c]), .dout(bflag_out), .empty(bflag_empty), .full(bflag_full), .count(bflag_count));
            wire wf_push, wf_last, wf_empty, wf_full;
            wire [10:0] wf_count;
            wire [{pb}:0] wf_head;
            llmfab_fifo #(.W({pb1}), .D(4), .AW(2)) wfifo (.clk(clk), .rst(rst), .push(wf_push),
                .din({{wf_last, st_data[{pb}*c +: {pb}]}}), .pop(c_wvalid[c] & c_wready[c]), .dout(wf_head),
                .empty(wf_empty), .full(wf_full), .count(wf_count));
            llmfab_dma_wr wr (
                .clock(clk), .rst(rst), .cmd_valid(sx_cmd & (s_ch == c)), {scmd},
                .base(ch_base[64*c +: 64]), .beat_shift(3'd{bs}), .max_burst(32'd{mb}), .max_out(5'd{mo}),
                .claim(cx_claim), .aw_valid(c_awvalid[c]), .aw_addr(c_awaddr[64*c +: 64]),
                .aw_len(c_awlen[8*c +: 8]), .aw_ready(c_awready[c]), .b_valid(c_bvalid[c]),
                .desc_push(wdesc_push), .desc_in(wdesc_in), .desc_out(wdesc_out), .desc_empty(wdesc_empty),
                .desc_pop(wdesc_pop), .bflag_in(bflag_in), .bflag_out(bflag_out),
                .rd_en(wr_ren[c]), .rd_buf(wr_rbuf[3*c +: 3]), .rd_addr(wr_raddr[32*c +: 32]),
                .wf_push(wf_push), .wf_last(wf_last), .wf_count(wf_count),
                .ready(wr_ready[c]), .busy(wr_busy[c]), .hold(wr_hold[4*c +: 4])
            );
            assign c_wvalid[c] = ~wf_empty;
            assign c_wdata[{pb1m}*c +: {pb1m}] = wf_head[{pbm}:0];
            assign c_wlast[c] = wf_head[{pb}];
            assign c_bready[c] = 1'b1;
            wire unused_ch = &{{1'b0, rdesc_empty, rdesc_full, rdesc_count, wdesc_full, wdesc_count,
                bflag_empty, bflag_full, bflag_count, wf_full}};
        end
    endgenerate
"#,
        h = 4 * ch - 1,
        holds = holds.join("\n        | "),
        chm = ch - 1,
        b3 = 3 * ch - 1,
        b32 = 32 * ch - 1,
        std = g.pb * ch - 1,
        ch = ch,
        lcmd = cmd("lq_head", "load"),
        scmd = cmd("sq_head", "store"),
        bs = log2(g.beat),
        mb = g.max_burst,
        mo = g.max_out,
        ts = log2(g.tile),
        ss = log2(g.slice),
        pb = g.pb,
        pb1 = g.pb + 1,
        pb1m = g.pb,
        pbm = g.pb - 1,
    );
}

fn compute(v: &mut String, g: &Geometry, u: &Units) {
    let _ = write!(
        v,
        r#"
    // ---- compute units ----
    {mx} mx (
        .clk(clk), .rst(rst), .start(mx_start), .instr(cq_head), .done(mx_done),
        .ab_ren(mx_ab_ren), .ab_raddr(mx_ab_raddr), .ab_rdata(mx_ab_rdata),
        .wb_ren(mx_wb_ren), .wb_raddr(mx_wb_raddr), .wb_rdata(mx_wb_rdata),
        .kv_ren(mx_kv_ren), .kv_raddr(mx_kv_raddr), .kv_rdata(mx_kv_rdata),
        .acc_ren(mx_acc_ren), .acc_raddr(mx_acc_raddr), .acc_rdata(mx_acc_rdata),
        .acc_wen(mx_acc_wen), .acc_waddr(mx_acc_waddr), .acc_wdata(mx_acc_wdata), .acc_wstrb(mx_acc_wstrb)
    );
    {sfu} sfu (
        .clk(clk), .rst(rst), .start(sfu_start), .instr(cq_head), .done(sfu_done),
        .acc_ren(sfu_acc_ren), .acc_raddr(sfu_acc_raddr), .acc_rdata(sfu_acc_rdata),
        .ab_ren(sfu_ab_ren), .ab_raddr(sfu_ab_raddr), .ab_rdata(sfu_ab_rdata),
        .ab_wen(sfu_ab_wen), .ab_waddr(sfu_ab_waddr), .ab_wdata(sfu_ab_wdata), .ab_wstrb(sfu_ab_wstrb),
        .sb_ren(sfu_sb_ren), .sb_raddr(sfu_sb_raddr), .sb_rdata(sfu_sb_rdata),
        .kv_wen(sfu_kv_wen), .kv_waddr(sfu_kv_waddr), .kv_wdata(sfu_kv_wdata), .kv_wstrb(sfu_kv_wstrb),
        .kv_wnib(sfu_kv_wnib)
    );
"#,
        mx = u.matrix,
        sfu = u.sfu,
    );
    let _ = g;
}
