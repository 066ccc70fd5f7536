//! `llmfab_sfu`: the generated structural top (ports of docs/rtl.md §5):
//! the controller, the capture registers of two-slot vectors, the shared
//! activation table, per-lane operand selection and `llmfab_sfu_lane`
//! instances (`generate` loop over lanes), the two registered reduction
//! trees with their row accumulators, and the write pipeline.

use super::ops;
use llmfab_isa::EngineConfig;

/// Write-port packing: ABUF always; KVBUF by the `L·KB` case.
fn kv_pack(cfg: &EngineConfig) -> String {
    let (l, kb) = (cfg.sfu_lanes, cfg.kv_bits);
    if l * kb >= 8 {
        let nib = if kb == 4 {
            "assign kv_wnib[gi] = kvv;".to_string()
        } else {
            "assign kv_wnib[2*gi +: 2] = {kvv, kvv};".to_string()
        };
        format!(
            r#"    for (gi = 0; gi < {l}; gi = gi + 1) begin : g_kv
        wire kvv = w_wen[3] && kvdst && (gi < w_nv3);
        assign kv_wdata[{kb}*gi +: {kb}] = yl[gi][{kbm}:0];
        {nib}
    end
    for (gi = 0; gi < {kvs}; gi = gi + 1) begin : g_kvs
        assign kv_wstrb[gi] = kv_wnib[2*gi] | kv_wnib[2*gi+1];
    end
"#,
            kbm = kb - 1,
            kvs = l * kb / 8,
        )
    } else {
        // L = 1, KB = 4: one nibble of a byte per write.
        r#"    wire kvv = w_wen[3] && kvdst && (w_nv3 != 0);
    assign kv_wdata = {yl[0][3:0], yl[0][3:0]};
    assign kv_wnib = kvv ? (w_nib3 ? 2'b10 : 2'b01) : 2'b00;
    assign kv_wstrb = kvv;
"#
        .to_string()
    }
}

/// Verilog of `llmfab_sfu` for `cfg`.
pub fn verilog(cfg: &EngineConfig) -> String {
    let l = cfg.sfu_lanes as u64;
    let lg = l.trailing_zeros() as u64;
    let ab = cfg.act_bits as u64;
    let abyt = ab / 8;
    let kvw = (cfg.kv_bits as u64 * l).max(8);
    let k = super::table_rows(cfg);
    let trw = super::trow_bits(cfg);
    let rdl = 3 + lg;
    format!(
        r#"
module llmfab_sfu (
    input  wire clk,
    input  wire rst,
    input  wire start,
    input  wire [255:0] instr,
    output wire done,
    output wire acc_ren, output wire [31:0] acc_raddr, input wire [{accm}:0] acc_rdata,
    output wire ab_ren, output wire [31:0] ab_raddr, input wire [{abm}:0] ab_rdata,
    output wire ab_wen, output wire [31:0] ab_waddr, output wire [{abm}:0] ab_wdata, output wire [{absm}:0] ab_wstrb,
    output wire sb_ren, output wire [31:0] sb_raddr, input wire [{sbm}:0] sb_rdata,
    output wire kv_wen, output wire [31:0] kv_waddr, output wire [{kvm}:0] kv_wdata,
    output wire [{kvsm}:0] kv_wstrb, output wire [{kvnm}:0] kv_wnib
);
    localparam [2:0] REQ = 3'd{req}, RMS = 3'd{rms}, LN = 3'd{ln},
                     ROPE = 3'd{rope}, ADD = 3'd{add}, MUL = 3'd{mul};
    wire s_go, s_capa, s_capb, s_op2, s_wen, s_nib, s_red, s_clr, s_tl, amax;
    wire [31:0] s_waddr, hh; wire [1:0] s_md; wire [{lg}:0] s_nv, s_ne; wire [{trwm}:0] s_trow;
    wire [2:0] op; wire [5:0] shift; wire kvdst, col, sacc, ropew; wire [4:0] hlog; wire [15:0] k0, k1;
    wire signed [31:0] mx; wire [16:0] rr; wire [15:0] inv; wire signed [63:0] mu;
    reg signed [63:0] acc_a, acc_b;
    llmfab_sfu_ctrl ctrl (
        .clk(clk), .rst(rst), .start(start), .instr(instr), .done(done),
        .acc_ren(acc_ren), .acc_raddr(acc_raddr), .ab_ren(ab_ren), .ab_raddr(ab_raddr),
        .sb_ren(sb_ren), .sb_raddr(sb_raddr),
        .s_go(s_go), .s_capa(s_capa), .s_capb(s_capb), .s_op2(s_op2), .s_wen(s_wen), .s_waddr(s_waddr),
        .s_nib(s_nib), .s_md(s_md), .s_nv(s_nv), .s_ne(s_ne), .s_red(s_red), .s_clr(s_clr), .s_tl(s_tl),
        .s_trow(s_trow), .amax(amax),
        .op(op), .shift(shift), .kvdst(kvdst), .col(col), .sacc(sacc), .ropew(ropew), .hlog(hlog), .hh(hh),
        .k0(k0), .k1(k1), .mx(mx), .rr(rr), .inv(inv), .mu(mu), .sum_a(acc_a), .sum_b(acc_b)
    );
    // Data cycle of each slot (c0): the slot's descriptor, one cycle late.
    reg d_go, d_capa, d_capb, d_op2, d_wen, d_nib, d_red, d_tl, e_op2;
    reg [31:0] d_waddr, e_waddr; reg [1:0] d_md; reg [{lg}:0] d_nv, d_ne; reg [{trwm}:0] d_trow;
    always @(posedge clk) begin
        if (rst) begin
            d_go <= 1'b0; d_capa <= 1'b0; d_capb <= 1'b0; d_op2 <= 1'b0; d_wen <= 1'b0; d_red <= 1'b0; d_tl <= 1'b0; e_op2 <= 1'b0;
        end else begin
            d_go <= s_go; d_capa <= s_capa; d_capb <= s_capb; d_op2 <= s_op2; d_wen <= s_wen; d_red <= s_red; d_tl <= s_tl;
            e_op2 <= d_op2;
        end
        d_waddr <= s_waddr; d_nib <= s_nib; d_md <= s_md; d_nv <= s_nv; d_ne <= s_ne; d_trow <= s_trow;
        e_waddr <= d_waddr + hh;
    end
    // Capture registers of two-slot vectors.
    reg [{abm}:0] hx, hx2; reg [{sbm}:0] hs0, hs1;
    always @(posedge clk) begin
        if (d_capa) begin hx <= ab_rdata; hs0 <= sb_rdata; end
        if (d_capb) begin hx2 <= ab_rdata; hs1 <= sb_rdata; end
    end
    // Activation table: {k} rows of {l} int16 entries, shared by the lanes.
    reg [{sbm}:0] tabr [0:{km1}];
    always @(posedge clk) if (d_tl) tabr[d_trow] <= sb_rdata;
    wire [{tabm}:0] tab;
    genvar gi, gh;
    for (gi = 0; gi < {k}; gi = gi + 1) begin : g_tab
        assign tab[{sbw}*gi +: {sbw}] = tabr[gi];
    end
    // RoPE pair words: W regime {{word1, word0}}, N regime the current word.
    wire [{csm}:0] csw = e_op2 ? {{hs1, hs0}} : {{sb_rdata, hs0}};
    wire [4:0] hsel = ropew ? 5'd0 : hlog;
    // Write pipeline (the lanes' y is visible 4 cycles after presentation).
    wire p_wen = d_wen | e_op2;
    reg [3:0] w_wen; reg [31:0] w_a0, w_a1, w_a2, w_a3; reg [{lg}:0] w_nv0, w_nv1, w_nv2, w_nv3;
    reg w_nib0, w_nib1, w_nib2, w_nib3;
    always @(posedge clk) begin
        w_wen <= rst ? 4'd0 : {{w_wen[2:0], p_wen}};
        w_a0 <= e_op2 ? e_waddr : d_waddr; w_a1 <= w_a0; w_a2 <= w_a1; w_a3 <= w_a2;
        w_nv0 <= e_op2 ? {lgp1}'d{l} : d_nv; w_nv1 <= w_nv0; w_nv2 <= w_nv1; w_nv3 <= w_nv2;
        w_nib0 <= d_nib; w_nib1 <= w_nib0; w_nib2 <= w_nib1; w_nib3 <= w_nib2;
    end
    assign ab_wen = w_wen[3] && !kvdst;
    assign ab_waddr = ab_wen ? w_a3 : 32'd0;
    assign kv_wen = w_wen[3] && kvdst;
    assign kv_waddr = kv_wen ? w_a3 : 32'd0;
    // Lanes.
    wire signed [39:0] la [1:{l2m1}];
    wire signed [39:0] lb [1:{l2m1}];
    wire [{abm1}:0] yl [0:{lm1}];
    for (gi = 0; gi < {l}; gi = gi + 1) begin : g_lane
        wire [{abm1}:0] xa = ab_rdata[{ab}*gi +: {ab}];
        wire signed [31:0] xn = sacc ? acc_rdata[32*gi +: 32] : {{{{{abx}{{xa[{abm1}]}}}}, xa}};
        wire [{abm1}:0] hxi = hx[{ab}*gi +: {ab}];
        wire [{abm1}:0] hx2i = hx2[{ab}*gi +: {ab}];
        wire signed [31:0] hxs = {{{{{abx}{{hxi[{abm1}]}}}}, hxi}};
        wire signed [31:0] hx2s = {{{{{abx}{{hx2i[{abm1}]}}}}, hx2i}};
        wire [15:0] sn = sb_rdata[16*gi +: 16];
        wire [15:0] sh = hs0[16*gi +: 16];
        wire [{abm1}:0] xpo [0:{lg}];
        wire [31:0] cso [0:{lg}];
        wire ngo [0:{lg}];
        assign xpo[0] = xa;
        assign cso[0] = csw[32*gi +: 32];
        assign ngo[0] = 1'b1;
        for (gh = 1; gh <= {lg}; gh = gh + 1) begin : g_h
            assign xpo[gh] = ab_rdata[{ab}*(gi ^ (1 << (gh-1))) +: {ab}];
            assign cso[gh] = sb_rdata[32*(gi % (1 << (gh-1))) +: 32];
            assign ngo[gh] = ((gi >> (gh-1)) & 1) == 0;
        end
        wire [{hsw}:0] hs = hsel[{hsw}:0];
        wire [{abm1}:0] xp = xpo[hs];
        wire [31:0] cs = cso[hs];
        reg signed [31:0] a; reg signed [15:0] b, sa, sb; reg ng;
        always @(*) begin
            a = xn; b = 16'sd0; sa = 16'sd0; sb = 16'sd0; ng = 1'b0;
            case (op)
                REQ: sa = col ? sn : k0;
                RMS: sa = sn;
                LN: if (d_md == 2'd2) begin a = hxs; sa = sh; sb = sn; end
                ROPE: begin
                    sa = cs[15:0]; sb = cs[31:16];
                    if (e_op2) begin a = hx2s; b = hxs[15:0]; ng = 1'b0; end
                    else if (ropew) begin a = hxs; b = xn[15:0]; ng = 1'b1; end
                    else begin a = xn; b = {xp16}; ng = ngo[hs]; end
                end
                ADD: begin a = hxs; b = xn[15:0]; sa = k0; sb = k1; end
                MUL: begin a = hxs; b = xn[15:0]; sa = k0; end
                default: ;
            endcase
        end
        wire [{abm1}:0] y;
        wire signed [39:0] ra, rb;
        llmfab_sfu_lane lane (
            .clk(clk), .op(op), .md(d_md), .neg(ng), .ve(gi < d_ne), .a(a), .b(b), .sa(sa), .sb(sb),
            .shift(shift), .kvdst(kvdst), .imm0(k0), .mx(mx), .rr(rr), .inv(inv), .mu(mu), .tab(tab),
            .ra(ra), .rb(rb), .y(y)
        );
        assign la[{l}+gi] = ra;
        assign lb[{l}+gi] = rb;
        assign yl[gi] = y;
        assign ab_wdata[{ab}*gi +: {ab}] = y;
        assign ab_wstrb[{abyt}*gi +: {abyt}] = {{{abyt}{{w_wen[3] && !kvdst && (gi < w_nv3)}}}};
    end
{kv}    // Reduction trees (registered, {lg} levels) and row accumulators.
    for (gi = 1; gi < {l}; gi = gi + 1) begin : g_tree
        reg signed [39:0] na, nb;
        always @(posedge clk) begin
            na <= amax ? ((la[2*gi] > la[2*gi+1]) ? la[2*gi] : la[2*gi+1]) : la[2*gi] + la[2*gi+1];
            nb <= lb[2*gi] + lb[2*gi+1];
        end
        assign la[gi] = na;
        assign lb[gi] = nb;
    end
    reg [{rdlm}:0] rd;
    always @(posedge clk) rd <= rst ? {rdl}'d0 : {{rd[{rdlm1}:0], d_red}};
    wire signed [63:0] top_a = {{{{24{{la[1][39]}}}}, la[1]}};
    wire signed [63:0] top_b = {{{{24{{lb[1][39]}}}}, lb[1]}};
    always @(posedge clk) begin
        if (s_clr) begin
            acc_a <= amax ? -64'sd2147483648 : 64'sd0; acc_b <= 64'sd0;
        end else if (rd[{rdlm}]) begin
            acc_a <= amax ? ((top_a > acc_a) ? top_a : acc_a) : acc_a + top_a;
            acc_b <= acc_b + top_b;
        end
    end
    wire unused_sfu = &{{1'b0, d_go, w_nib3, s_go, hlog, hsel}};
endmodule
"#,
        accm = 32 * l - 1,
        abm = ab * l - 1,
        absm = abyt * l - 1,
        sbm = 16 * l - 1,
        sbw = 16 * l,
        kvm = kvw - 1,
        kvsm = kvw / 8 - 1,
        kvnm = kvw / 4 - 1,
        req = ops::REQ,
        rms = ops::RMS,
        ln = ops::LN,
        rope = ops::ROPE,
        add = ops::ADD,
        mul = ops::MUL,
        lg = lg,
        lgp1 = lg + 1,
        trwm = trw - 1,
        k = k,
        km1 = k - 1,
        tabm = 16 * l * k - 1,
        csm = 32 * l - 1,
        l = l,
        lm1 = l - 1,
        l2m1 = 2 * l - 1,
        ab = ab,
        abm1 = ab - 1,
        abx = 32 - ab,
        xp16 = if ab == 16 {
            "xp".to_string()
        } else {
            format!("{{{{{}{{xp[{}]}}}}, xp}}", 16 - ab, ab - 1)
        },
        abyt = abyt,
        hsw = (64 - lg.leading_zeros() as u64).max(1) - 1,
        kv = kv_pack(cfg),
        rdl = rdl,
        rdlm = rdl - 1,
        rdlm1 = rdl - 2,
    )
}
