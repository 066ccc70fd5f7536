//! Config-independent Verilog modules written out as text: storage whose
//! size is a Verilog parameter (so one module serves every instance) and
//! the FIFO that joins `llmfab_fifo_ctl` (rust-hdl) to its storage.

/// `llmfab_lutram`: distributed RAM, synchronous write, asynchronous read.
pub const LUTRAM: &str = r#"
module llmfab_lutram #(
    parameter W = 8,
    parameter D = 2,
    parameter AW = 1
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] waddr,
    input  wire [W-1:0]  wdata,
    input  wire [AW-1:0] raddr,
    output wire [W-1:0]  rdata
);
    (* ram_style = "distributed" *) reg [W-1:0] mem [0:D-1];
`ifdef LLMFAB_SIM
    integer i;
    initial for (i = 0; i < D; i = i + 1) mem[i] = {W{1'b0}};
`endif
    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
    end
    assign rdata = mem[raddr];
endmodule
"#;

/// `llmfab_fifo`: first-word-fall-through FIFO of `D ≤ 1024` entries.
pub const FIFO: &str = r#"
module llmfab_fifo #(
    parameter W = 8,
    parameter D = 2,
    parameter AW = 1
) (
    input  wire         clk,
    input  wire         rst,
    input  wire         push,
    input  wire [W-1:0] din,
    input  wire         pop,
    output wire [W-1:0] dout,
    output wire         empty,
    output wire         full,
    output wire [10:0]  count
);
    wire [9:0] waddr;
    wire [9:0] raddr;
    wire [10:0] depth = D;
    llmfab_fifo_ctl ctl (
        .clock(clk), .rst(rst), .depth(depth), .push(push), .pop(pop),
        .waddr(waddr), .raddr(raddr), .count(count), .empty(empty), .full(full)
    );
    llmfab_lutram #(.W(W), .D(D), .AW(AW)) store (
        .clk(clk), .we(push & ~full), .waddr(waddr[AW-1:0]), .wdata(din),
        .raddr(raddr[AW-1:0]), .rdata(dout)
    );
    wire unused_fifo = &{1'b0, waddr, raddr};
endmodule
"#;

/// A simple dual-port RAM with synchronous read and write enables of `G`
/// bits each (`G` = 8 for byte enables, 4 for nibble enables), named
/// `llmfab_ram_<style>` with the matching `ram_style` attribute.
pub fn ram(style: &str) -> String {
    format!(
        r#"
module llmfab_ram_{style} #(
    parameter WORDS = 2,
    parameter AW = 1,
    parameter WBITS = 8,
    parameter G = 8
) (
    input  wire               clk,
    input  wire               ren,
    input  wire [AW-1:0]      raddr,
    output reg  [WBITS-1:0]   rdata,
    input  wire               wen,
    input  wire [AW-1:0]      waddr,
    input  wire [WBITS-1:0]   wdata,
    input  wire [WBITS/G-1:0] wbe
);
    (* ram_style = "{style}" *) reg [WBITS-1:0] mem [0:WORDS-1];
`ifdef LLMFAB_SIM
    integer i;
    // Simulation starts from zeroed buffers, like the reference interpreter.
    initial for (i = 0; i < WORDS; i = i + 1) mem[i] = {{WBITS{{1'b0}}}};
`endif
    // One always block per enable column: the byte-write template of
    // Vivado (UG901), unrolled at elaboration.
    genvar col;
    generate
        for (col = 0; col < WBITS/G; col = col + 1) begin : g_col
            always @(posedge clk) begin
                if (wen && wbe[col]) mem[waddr][col*G +: G] <= wdata[col*G +: G];
            end
        end
    endgenerate
    always @(posedge clk) begin
        if (ren) rdata <= mem[raddr];
    end
endmodule
"#
    )
}

/// Every template module the engine uses.
pub fn all() -> String {
    let mut v = String::new();
    v += LUTRAM;
    v += FIFO;
    for s in ["block", "ultra", "distributed"] {
        v += &ram(s);
    }
    v
}
