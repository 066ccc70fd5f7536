//! `llmfab_tb_mem`: the testbench's AXI4 memory behind one port,
//! implementing `llmfab_isa::MemTiming` exactly as
//! `llmfab_isa::timing` specifies (cycle `t` is the interval after rising
//! edge `t`; a handshake "in cycle `t`" has valid and ready high in `t`):
//!
//! - AR: always ready; a burst accepted in cycle `t` delivers its first
//!   beat in cycle `max(t + read_latency, rfree)` and one beat per cycle
//!   after it; after its last beat in cycle `e`, `rfree = e + 1 + burst_gap`.
//!   Bursts are served in order.
//! - AW: always ready; accepted in cycle `t`, the burst can take data from
//!   `t + 1`. W: `wready` is high in cycle `u` when an accepted burst is
//!   waiting and `u ≥ wfree`; after the last beat in cycle `e` the B
//!   response is valid in cycle `e + write_latency` and `wfree = e + 1 +
//!   burst_gap`.
//!
//! It also checks the master's protocol (aligned addresses, bursts within
//! `max_burst` and a 4 KiB page, `wlast`, `rready`/`bready` high, accesses
//! inside the image) and stops the simulation with `LLMFAB-TB-ERROR` on a
//! violation.

/// The model's Verilog text (parameters `PB`, `WORDS`, `RLAT`, `WLAT`,
/// `GAP`, `MAXB`; `NAME` is printed in errors).
pub const MEM_MODEL: &str = r#"
module llmfab_tb_mem #(
    parameter PB = 256,
    parameter WORDS = 1024,
    parameter RLAT = 1,
    parameter WLAT = 1,
    parameter GAP = 0,
    parameter MAXB = 256,
    parameter NAME = "mem"
) (
    input  wire          clk,
    input  wire [63:0]   cyc,
    input  wire [63:0]   size_words,
    input  wire          arvalid,
    output wire          arready,
    input  wire [63:0]   araddr,
    input  wire [7:0]    arlen,
    output wire          rvalid,
    input  wire          rready,
    output wire [PB-1:0] rdata,
    output wire          rlast,
    input  wire          awvalid,
    output wire          awready,
    input  wire [63:0]   awaddr,
    input  wire [7:0]    awlen,
    input  wire          wvalid,
    output wire          wready,
    input  wire [PB-1:0] wdata,
    input  wire [PB/8-1:0] wstrb,
    input  wire          wlast,
    output wire          bvalid,
    input  wire          bready
);
    localparam BEAT = PB / 8;
    reg [PB-1:0] mem [0:WORDS-1];
    // read queue
    reg [63:0] ar_word [0:63];
    reg [7:0]  ar_len  [0:63];
    reg [63:0] ar_t    [0:63];
    integer ar_h = 0, ar_n = 0;
    reg [63:0] rfree = 0;
    reg [63:0] r_first = 0;
    reg        r_have = 0;
    reg [8:0]  r_idx = 0;
    // write queue
    reg [63:0] aw_word [0:63];
    reg [7:0]  aw_len  [0:63];
    integer aw_h = 0, aw_n = 0;
    reg [63:0] wfree = 0;
    reg [8:0]  w_idx = 0;
    reg [63:0] b_t [0:63];
    integer b_h = 0, b_n = 0;
    integer i;

    assign arready = 1'b1;
    assign awready = 1'b1;
    assign rvalid = r_have && cyc >= r_first;
    assign rdata = rvalid ? mem[ar_word[ar_h % 64] + r_idx] : {PB{1'b0}};
    assign rlast = rvalid && r_idx == ar_len[ar_h % 64];
    assign wready = aw_n > 0 && cyc >= wfree;
    assign bvalid = b_n > 0 && cyc >= b_t[b_h % 64];

    task fail(input [8*80-1:0] what);
        begin
            $display("LLMFAB-TB-ERROR %0s cycle %0d: %0s", NAME, cyc, what);
            $finish;
        end
    endtask

    function [63:0] max64(input [63:0] a, input [63:0] b);
        max64 = a > b ? a : b;
    endfunction

    // All state changes are non-blocking: outputs in cycle t depend only on
    // the state at the start of t, like a register.
    reg [63:0] nx_rfree, nx_first;
    reg        nx_have;
    reg [8:0]  nx_ridx, nx_widx;
    integer    nx_arh, nx_arn, nx_awh, nx_awn, nx_bh, nx_bn;
    reg [63:0] nx_wfree;
    always @(posedge clk) begin
        nx_arh = ar_h; nx_arn = ar_n; nx_rfree = rfree; nx_first = r_first; nx_have = r_have;
        nx_ridx = r_idx; nx_awh = aw_h; nx_awn = aw_n; nx_wfree = wfree; nx_widx = w_idx;
        nx_bh = b_h; nx_bn = b_n;
        // R beat in this cycle
        if (r_have && cyc >= r_first) begin
            if (!rready) fail("rready low during a read beat");
            if (r_idx == ar_len[ar_h % 64]) begin
                nx_rfree = cyc + 1 + GAP;
                nx_arh = ar_h + 1;
                nx_arn = ar_n - 1;
                nx_ridx = 0;
                nx_have = 0;
            end else begin
                nx_ridx = r_idx + 1;
            end
        end
        // AR accepted in this cycle
        if (arvalid) begin
            if (araddr % BEAT != 0) fail("unaligned AR address");
            if (arlen + 1 > MAXB) fail("AR burst longer than max_burst");
            if ((araddr % 4096) + (arlen + 1) * BEAT > 4096) fail("AR burst crosses a 4 KiB boundary");
            if (araddr / BEAT + arlen + 1 > size_words) fail("AR burst outside the memory image");
            if (ar_n == 64) fail("more than 64 read bursts outstanding");
            ar_word[(ar_h + ar_n) % 64] <= araddr / BEAT;
            ar_len[(ar_h + ar_n) % 64] <= arlen;
            ar_t[(ar_h + ar_n) % 64] <= cyc;
            nx_arn = nx_arn + 1;
        end
        // The head burst's first beat (when a new head appears)
        if (!nx_have && nx_arn > 0) begin
            nx_have = 1;
            if (nx_arh == ar_h + ar_n) nx_first = (cyc + RLAT > nx_rfree) ? cyc + RLAT : nx_rfree;
            else nx_first = (ar_t[nx_arh % 64] + RLAT > nx_rfree) ? ar_t[nx_arh % 64] + RLAT : nx_rfree;
        end
        // W beat in this cycle (bursts accepted before this cycle)
        if (aw_n > 0 && cyc >= wfree && wvalid) begin
            for (i = 0; i < BEAT; i = i + 1)
                if (wstrb[i]) mem[aw_word[aw_h % 64] + w_idx][8*i +: 8] <= wdata[8*i +: 8];
            if (wlast != (w_idx == aw_len[aw_h % 64])) fail("wlast does not match the burst length");
            if (w_idx == aw_len[aw_h % 64]) begin
                b_t[(b_h + b_n) % 64] <= cyc + WLAT;
                nx_bn = nx_bn + 1;
                nx_wfree = cyc + 1 + GAP;
                nx_awh = aw_h + 1;
                nx_awn = aw_n - 1;
                nx_widx = 0;
            end else begin
                nx_widx = w_idx + 1;
            end
        end
        // AW accepted in this cycle
        if (awvalid) begin
            if (awaddr % BEAT != 0) fail("unaligned AW address");
            if (awlen + 1 > MAXB) fail("AW burst longer than max_burst");
            if ((awaddr % 4096) + (awlen + 1) * BEAT > 4096) fail("AW burst crosses a 4 KiB boundary");
            if (awaddr / BEAT + awlen + 1 > size_words) fail("AW burst outside the memory image");
            if (aw_n == 64) fail("more than 64 write bursts outstanding");
            aw_word[(aw_h + aw_n) % 64] <= awaddr / BEAT;
            aw_len[(aw_h + aw_n) % 64] <= awlen;
            nx_awn = nx_awn + 1;
        end
        // B in this cycle
        if (b_n > 0 && cyc >= b_t[b_h % 64]) begin
            if (!bready) fail("bready low during a write response");
            nx_bh = nx_bh + 1;
            nx_bn = nx_bn - 1;
        end
        ar_h <= nx_arh; ar_n <= nx_arn; rfree <= nx_rfree; r_first <= nx_first; r_have <= nx_have;
        r_idx <= nx_ridx; aw_h <= nx_awh; aw_n <= nx_awn; wfree <= nx_wfree; w_idx <= nx_widx;
        b_h <= nx_bh; b_n <= nx_bn;
    end
endmodule
"#;
