// llmfab_ice40_top: the llmfab kernel (llmfab_kernel, unchanged) on an
// iCE40-HX8K breakout board, with everything a Vitis platform and a host
// would provide replaced by a little logic (the kernel's 256-bit AXI ports
// need ~1300 pins, far more than any iCE40 has):
//   - a host sequencer on s_axi_control that does what a host does: write
//     instr_count, set ap_start, poll ap_done, read the cycle counter - and
//     starts the kernel again, forever;
//   - m_axi_instr served from a ROM holding the program (program.hex, one
//     256-bit instruction per line, from program.s);
//   - m_axi_ch0 served by a memory whose reads return a pattern of the
//     address and whose writes are folded into a 32-bit checksum;
//   - the LEDs show the checksum and the cycle count folded to 8 bits.
// The program loads a row into ABUF (DMA read), hands a matmul to the
// matrix unit's port and stores the row back (DMA write), with dependency
// tokens between the queues: fetch, dispatch, tokens, both DMA engines and
// ABUF drive the LEDs. On iCE40 the compute units are the core's test
// doubles (start/done only; docs/bitstream.md §2).
module llmfab_ice40_top (
    input  wire       clk,
    output wire [7:0] led
);
    parameter [31:0] COUNT = 32'd4; // instructions in program.hex
    parameter IWORDS = 8;           // ROM words (>= COUNT)

    reg [3:0] por = 4'd0;
    wire rst_n = &por;
    always @(posedge clk) if (!rst_n) por <= por + 4'd1;

    // ---- s_axi_control: the host sequencer ----
    wire s_awready, s_wready, s_bvalid, s_arready, s_rvalid, irq;
    wire [31:0] s_rdata;
    wire [1:0] s_bresp, s_rresp;
    reg s_awvalid = 1'b0, s_arvalid = 1'b0;
    reg [11:0] s_awaddr = 12'd0, s_araddr = 12'd0;
    reg [31:0] s_wdata = 32'd0;
    reg [2:0] st = 3'd0;
    reg seen = 1'b0;
    reg [31:0] cycles = 32'd0;
    always @(posedge clk) begin
        if (!rst_n) begin
            st <= 3'd0; s_awvalid <= 1'b0; s_arvalid <= 1'b0; seen <= 1'b0;
        end else case (st)
            3'd0: begin s_awvalid <= 1'b1; s_awaddr <= 12'h018; s_wdata <= COUNT; seen <= 1'b0; st <= 3'd1; end
            3'd1, 3'd3: begin
                if (s_awvalid && s_awready) s_awvalid <= 1'b0;
                if (s_bvalid) seen <= 1'b1;
                if ((s_bvalid || seen) && !s_awvalid) begin
                    seen <= 1'b0;
                    if (st == 3'd1) begin s_awvalid <= 1'b1; s_awaddr <= 12'h000; s_wdata <= 32'd1; st <= 3'd3; end
                    else begin s_arvalid <= 1'b1; s_araddr <= 12'h000; st <= 3'd4; end
                end
            end
            3'd4, 3'd5: begin
                if (s_arvalid && s_arready) s_arvalid <= 1'b0;
                if (s_rvalid) begin
                    if (st == 3'd5) begin cycles <= s_rdata; st <= 3'd0; end
                    else if (s_rdata[1]) begin s_arvalid <= 1'b1; s_araddr <= 12'h028; st <= 3'd5; end
                    else begin s_arvalid <= 1'b1; s_araddr <= 12'h000; end
                end
            end
            default: st <= 3'd0;
        endcase
    end

    // ---- the kernel's AXI4 masters ----
    wire i_arvalid, i_arready, i_rvalid, i_rready, i_rlast, i_awvalid, i_wvalid, i_wlast, i_bready;
    wire [63:0] i_araddr, i_awaddr;
    wire [7:0] i_arlen, i_awlen;
    wire [2:0] i_arsize, i_awsize;
    wire [1:0] i_arburst, i_awburst;
    wire [255:0] i_rdata, i_wdata;
    wire [31:0] i_wstrb;
    wire c_arvalid, c_arready, c_rvalid, c_rready, c_rlast, c_awvalid, c_awready, c_wvalid, c_wready, c_wlast, c_bvalid, c_bready;
    wire [63:0] c_araddr, c_awaddr;
    wire [7:0] c_arlen, c_awlen;
    wire [2:0] c_arsize, c_awsize;
    wire [1:0] c_arburst, c_awburst;
    wire [255:0] c_rdata, c_wdata;
    wire [31:0] c_wstrb;

    llmfab_kernel kernel (
        .ap_clk(clk), .ap_rst_n(rst_n), .interrupt(irq),
        .s_axi_control_awvalid(s_awvalid), .s_axi_control_awready(s_awready), .s_axi_control_awaddr(s_awaddr),
        .s_axi_control_wvalid(s_awvalid), .s_axi_control_wready(s_wready), .s_axi_control_wdata(s_wdata),
        .s_axi_control_wstrb(4'hf), .s_axi_control_bvalid(s_bvalid), .s_axi_control_bready(1'b1),
        .s_axi_control_bresp(s_bresp), .s_axi_control_arvalid(s_arvalid), .s_axi_control_arready(s_arready),
        .s_axi_control_araddr(s_araddr), .s_axi_control_rvalid(s_rvalid), .s_axi_control_rready(1'b1),
        .s_axi_control_rdata(s_rdata), .s_axi_control_rresp(s_rresp),
        .m_axi_instr_arvalid(i_arvalid), .m_axi_instr_arready(i_arready), .m_axi_instr_araddr(i_araddr),
        .m_axi_instr_arlen(i_arlen), .m_axi_instr_arsize(i_arsize), .m_axi_instr_arburst(i_arburst),
        .m_axi_instr_rvalid(i_rvalid), .m_axi_instr_rready(i_rready), .m_axi_instr_rdata(i_rdata),
        .m_axi_instr_rresp(2'b00), .m_axi_instr_rlast(i_rlast), .m_axi_instr_awvalid(i_awvalid),
        .m_axi_instr_awready(1'b0), .m_axi_instr_awaddr(i_awaddr), .m_axi_instr_awlen(i_awlen),
        .m_axi_instr_awsize(i_awsize), .m_axi_instr_awburst(i_awburst), .m_axi_instr_wvalid(i_wvalid),
        .m_axi_instr_wready(1'b0), .m_axi_instr_wdata(i_wdata), .m_axi_instr_wstrb(i_wstrb),
        .m_axi_instr_wlast(i_wlast), .m_axi_instr_bvalid(1'b0), .m_axi_instr_bready(i_bready),
        .m_axi_instr_bresp(2'b00),
        .m_axi_ch0_arvalid(c_arvalid), .m_axi_ch0_arready(c_arready), .m_axi_ch0_araddr(c_araddr),
        .m_axi_ch0_arlen(c_arlen), .m_axi_ch0_arsize(c_arsize), .m_axi_ch0_arburst(c_arburst),
        .m_axi_ch0_rvalid(c_rvalid), .m_axi_ch0_rready(c_rready), .m_axi_ch0_rdata(c_rdata),
        .m_axi_ch0_rresp(2'b00), .m_axi_ch0_rlast(c_rlast), .m_axi_ch0_awvalid(c_awvalid),
        .m_axi_ch0_awready(c_awready), .m_axi_ch0_awaddr(c_awaddr), .m_axi_ch0_awlen(c_awlen),
        .m_axi_ch0_awsize(c_awsize), .m_axi_ch0_awburst(c_awburst), .m_axi_ch0_wvalid(c_wvalid),
        .m_axi_ch0_wready(c_wready), .m_axi_ch0_wdata(c_wdata), .m_axi_ch0_wstrb(c_wstrb),
        .m_axi_ch0_wlast(c_wlast), .m_axi_ch0_bvalid(c_bvalid), .m_axi_ch0_bready(c_bready),
        .m_axi_ch0_bresp(2'b00)
    );

    // ---- m_axi_instr: the program ROM (INCR bursts of arlen + 1 beats) ----
    reg [255:0] rom [0:IWORDS-1];
    initial $readmemh("program.hex", rom);
    reg i_busy = 1'b0;
    reg [7:0] i_left = 8'd0;
    reg [7:0] i_word = 8'd0;
    assign i_arready = ~i_busy & rst_n;
    assign i_rvalid = i_busy;
    assign i_rlast = i_busy && i_left == 8'd0;
    assign i_rdata = (i_word < IWORDS) ? rom[i_word] : 256'd0;
    always @(posedge clk) begin
        if (!rst_n) i_busy <= 1'b0;
        else if (!i_busy) begin
            if (i_arvalid) begin i_busy <= 1'b1; i_left <= i_arlen; i_word <= i_araddr[12:5]; end
        end else if (i_rready) begin
            if (i_left == 8'd0) i_busy <= 1'b0;
            i_left <= i_left - 8'd1;
            i_word <= i_word + 8'd1;
        end
    end

    // ---- m_axi_ch0: reads return a pattern of the address ----
    reg c_busy = 1'b0;
    reg [7:0] c_left = 8'd0;
    reg [7:0] c_word = 8'd0;
    assign c_arready = ~c_busy & rst_n;
    assign c_rvalid = c_busy;
    assign c_rlast = c_busy && c_left == 8'd0;
    genvar j;
    generate
        for (j = 0; j < 32; j = j + 1) begin : g_pat
            assign c_rdata[8*j +: 8] = c_word ^ (8'd37 * j + 8'd11);
        end
    endgenerate
    always @(posedge clk) begin
        if (!rst_n) c_busy <= 1'b0;
        else if (!c_busy) begin
            if (c_arvalid) begin c_busy <= 1'b1; c_left <= c_arlen; c_word <= c_araddr[12:5]; end
        end else if (c_rready) begin
            if (c_left == 8'd0) c_busy <= 1'b0;
            c_left <= c_left - 8'd1;
            c_word <= c_word + 8'd1;
        end
    end

    // ---- m_axi_ch0: writes fold into a checksum ----
    reg w_open = 1'b0, b_pend = 1'b0;
    reg [31:0] checksum = 32'd0;
    reg [31:0] fold;
    integer k;
    always @(*) begin
        fold = 32'd0;
        for (k = 0; k < 8; k = k + 1) fold = fold ^ (c_wdata[32*k +: 32] & {{8{c_wstrb[4*k+3]}}, {8{c_wstrb[4*k+2]}}, {8{c_wstrb[4*k+1]}}, {8{c_wstrb[4*k]}}});
    end
    assign c_awready = ~w_open & ~b_pend & rst_n;
    assign c_wready = w_open;
    assign c_bvalid = b_pend;
    always @(posedge clk) begin
        if (!rst_n) begin w_open <= 1'b0; b_pend <= 1'b0; end
        else begin
            if (c_awvalid && c_awready) w_open <= 1'b1;
            if (c_wvalid && w_open) begin
                checksum <= {checksum[30:0], checksum[31]} ^ fold;
                if (c_wlast) begin w_open <= 1'b0; b_pend <= 1'b1; end
            end
            if (b_pend && c_bready) b_pend <= 1'b0;
        end
    end

    wire [31:0] shown = checksum ^ cycles;
    assign led = shown[31:24] ^ shown[23:16] ^ shown[15:8] ^ shown[7:0];
    wire unused = &{1'b0, irq, s_bresp, s_rresp, s_wready, i_araddr, i_arsize, i_arburst, i_awvalid, i_awaddr,
                    i_awlen, i_awsize, i_awburst, i_wvalid, i_wdata, i_wstrb, i_wlast, i_bready, c_araddr[63:13],
                    c_araddr[4:0], c_arsize, c_arburst, c_awaddr, c_awlen, c_awsize, c_awburst};
endmodule
