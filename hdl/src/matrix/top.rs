//! The generated structural top `llmfab_matrix`: `generate` loops over the
//! rust-hdl leaves, sized by the config, plus wiring glue (field slices of
//! the instruction, sign extension, the KV bank rotation, the scale-slot
//! select and the write strobes).

use super::pack::Packing;
use super::MatrixError;
use llmfab_isa::{EngineConfig, LAYOUTS};

/// Config-derived sizes of the unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Rows `R`.
    pub r: u32,
    /// Columns `C`.
    pub c: u32,
    /// Activation bits.
    pub ab: u32,
    /// Weight bits.
    pub wb: u32,
    /// KV bits.
    pub kb: u32,
    /// B operand bits inside the array (`max(wb, kb, 4)`).
    pub v: u32,
    /// Product bits (`ab + v`).
    pub pw: u32,
    /// `log2 R`.
    pub lg_r: u32,
    /// KV banks.
    pub nb: u32,
    /// Bits of one KV bank word (`max(R, C)·kb`).
    pub kw_bits: u32,
    /// Scale vectors per weight row.
    pub spr: u32,
    /// DSP packing.
    pub pack: Packing,
    /// Matrix-matrix lanes accumulate in the DSPs' `P` registers (the
    /// packing's guard bits cover a whole group: `k_max ≥ G`), draining
    /// every group or every `chunk_tiles` k-tiles; otherwise in `LaneAcc`.
    pub dsp_acc: bool,
    /// k-tiles per drain without dequantisation when `dsp_acc`.
    pub chunk_tiles: u32,
    /// Bits of each DSP read-back (`S` with `dsp_acc`, else `pw`).
    pub ow: u32,
}

/// Generation options (for tests; `Default` is what `verilog` uses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Drain the `P` accumulators every this many k-tiles (at most, and by
    /// default, `k_max / R`).
    pub chunk_tiles: Option<u32>,
    /// Never accumulate in `P` (use `LaneAcc`).
    pub no_dsp_acc: bool,
}

impl Shape {
    /// The unit's shape for `cfg`, or why the unit cannot be built.
    pub fn new(cfg: &EngineConfig) -> Result<Shape, MatrixError> {
        Shape::with(cfg, &Options::default())
    }

    /// [`Shape::new`] with generation options.
    pub fn with(cfg: &EngineConfig, opts: &Options) -> Result<Shape, MatrixError> {
        cfg.validate().map_err(|e| MatrixError::Unsupported {
            config: cfg.name.clone(),
            reason: e.to_string(),
        })?;
        let bad = |reason: String| MatrixError::Unsupported {
            config: cfg.name.clone(),
            reason,
        };
        if cfg.rows * cfg.weight_bits < 16 {
            return Err(bad(format!(
                "rows × weight_bits = {} < 16: a dequantisation scale vector (2·cols bytes) must fit one weight-buffer row (docs/rtl.md P-MAT-1)",
                cfg.rows * cfg.weight_bits
            )));
        }
        if !cfg.kv_row_bytes.is_power_of_two() {
            return Err(bad(format!(
                "kv_row_bytes = {} is not a power of two (docs/rtl.md P-CORE-1)",
                cfg.kv_row_bytes
            )));
        }
        let pack = Packing::for_config(cfg);
        let v = pack.b_bits;
        let kmax = pack.max_accumulations();
        let dsp_acc = !opts.no_dsp_acc && pack.per_dsp == 2 && kmax >= cfg.group_size as u64;
        let most = (kmax.min(1 << 20) / cfg.rows as u64).max(1) as u32;
        let chunk_tiles = opts.chunk_tiles.unwrap_or(most).clamp(1, most);
        Ok(Shape {
            dsp_acc,
            chunk_tiles,
            ow: if dsp_acc {
                pack.spacing
            } else {
                cfg.act_bits + v
            },
            r: cfg.rows,
            c: cfg.cols,
            ab: cfg.act_bits,
            wb: cfg.weight_bits,
            kb: cfg.kv_bits,
            v,
            pw: cfg.act_bits + v,
            lg_r: cfg.rows.trailing_zeros(),
            nb: cfg.kv_banks() as u32,
            kw_bits: cfg.rows.max(cfg.cols) * cfg.kv_bits,
            spr: cfg.rows * cfg.weight_bits / 16,
            pack,
        })
    }
}

fn field(name: &str) -> (u32, u32) {
    let l = LAYOUTS
        .iter()
        .find(|l| l.mnemonic == "matmul")
        .expect("matmul in LAYOUTS");
    let f = l
        .fields
        .iter()
        .find(|f| f.name == name)
        .expect("matmul field");
    (f.lsb, f.width)
}

/// `{{(to-w){x[w-1]}}, x}` (or `x` when `to == w`).
fn sext(x: &str, w: u32, to: u32) -> String {
    if to == w {
        x.to_string()
    } else {
        format!("{{{{{}{{{x}[{}]}}}}, {x}}}", to - w, w - 1)
    }
}

fn log2(x: u64) -> u32 {
    x.trailing_zeros()
}

/// Module names of the leaves for a shape.
pub struct Names {
    /// `DspPack` variant.
    pub dsp: String,
    /// `AddNode` variants, level 1..=L.
    pub add: Vec<String>,
}

/// Leaf module names the top instantiates.
pub fn names(s: &Shape) -> Names {
    Names {
        dsp: format!(
            "llmfab_mx_dsp_a{}_b{}{}",
            s.ab,
            s.v,
            if s.dsp_acc { "_acc" } else { "" }
        ),
        add: (1..=s.lg_r)
            .map(|l| format!("llmfab_mx_add{}", s.pw + l))
            .collect(),
    }
}

/// The structural Verilog of `llmfab_matrix` (without the leaves).
pub fn top_verilog(cfg: &EngineConfig, s: &Shape) -> String {
    let n = names(s);
    let (r, c, ab, v, pw, lg) = (s.r, s.c, s.ab, s.v, s.pw, s.lg_r);
    let tile_bits = r * c * s.wb;
    let nb = s.nb;
    let kwb = s.kw_bits;
    let tile = cfg.tile_bytes();
    let kvr = cfg.kv_row_bytes as u64;
    let ckb = (c * s.kb / 8) as u64;
    let rkb = (r * s.kb / 8) as u64;
    let kw = (kwb / 8) as u64;
    let per = s.pack.per_dsp;
    let mut o = String::new();
    o += &format!(
        "// llmfab matrix unit: {r}x{c} lanes, act {ab}, weights {wb}, kv {kb}, B in-array {v} bits,\n\
         // {per} product(s) per DSP (spacing {sp}), {nb} KV banks. Generated by llmfab-hdl; do not edit.\n",
        wb = s.wb,
        kb = s.kb,
        sp = s.pack.spacing
    );
    o += &format!(
        "module llmfab_matrix(
    input wire clk,
    input wire rst,
    input wire start,
    input wire [255:0] instr,
    output wire done,
    output wire ab_ren,
    output wire [31:0] ab_raddr,
    input wire [{abw}:0] ab_rdata,
    output wire wb_ren,
    output wire [31:0] wb_raddr,
    input wire [{tbw}:0] wb_rdata,
    output wire [{nbm1}:0] kv_ren,
    output wire [{kvaw}:0] kv_raddr,
    input wire [{kvdw}:0] kv_rdata,
    output wire acc_ren,
    output wire [31:0] acc_raddr,
    input wire [{accw}:0] acc_rdata,
    output wire acc_wen,
    output wire [31:0] acc_waddr,
    output wire [{accw}:0] acc_wdata,
    output wire [{strw}:0] acc_wstrb
);
",
        abw = r * ab - 1,
        tbw = tile_bits - 1,
        nbm1 = nb - 1,
        kvaw = 32 * nb - 1,
        kvdw = kwb * nb - 1,
        accw = 32 * c - 1,
        strw = 4 * c - 1,
    );
    // Instruction fields (positions from llmfab_isa::LAYOUTS).
    let flag = |name: &str| {
        let (lsb, _) = field(name);
        format!("instr[{lsb}]")
    };
    let word = |name: &str| {
        let (lsb, w) = field(name);
        if w >= 32 {
            format!("instr[{}:{lsb}]", lsb + 31)
        } else {
            format!("{{{}'d0, instr[{}:{lsb}]}}", 32 - w, lsb + w - 1)
        }
    };
    let (sh_lsb, sh_w) = field("dq_shift");
    // The unit reads the matmul fields except abits/bbits (fixed by the config).
    let mut used = vec![false; 256];
    let l = LAYOUTS
        .iter()
        .find(|l| l.mnemonic == "matmul")
        .expect("matmul in LAYOUTS");
    for f in l
        .fields
        .iter()
        .filter(|f| !matches!(f.name, "abits" | "bbits"))
    {
        for b in f.lsb..f.lsb + f.width {
            used[b as usize] = true;
        }
    }
    let unused: Vec<String> = (0..256)
        .rev()
        .filter(|&b| !used[b])
        .map(|b| format!("instr[{b}]"))
        .collect();
    o += &format!(
        "\n// Bits of instr the unit does not read (Verilator's default --unused-regexp).\nwire [{}:0] unused_instr = {{{}}};\n",
        unused.len() - 1,
        unused.join(", ")
    );
    o += "\n// Controller.\n";
    o += "wire mode, dq, st_en, phase, tload, lane_clr, lane_cap, dsp_clr, dsp_cap, sreg_load, iss_load, a_valid, kv_en;\n";
    o += "wire col_cfirst, col_cvalid, col_keep, col_addold, col_ev;\n";
    o += "wire [5:0] dqsh;\nwire [7:0] bsrc;\n";
    o += "wire [31:0] kv_base, kv_rot, kv_nrows, kv_rot_d, kv_csel_d, a_kcnt, b_kcnt, b_ncnt, s_slot, acc_ncnt;\n";
    let consts: Vec<(&str, u64)> = vec![
        ("c_r", r as u64),
        ("c_c", c as u64),
        ("c_lgr", lg as u64),
        ("c_rab", (r * ab / 8) as u64),
        ("c_lgtile", log2(tile) as u64),
        ("c_4c", 4 * c as u64),
        ("c_lgkvr", log2(kvr) as u64),
        ("c_ckb", ckb),
        ("c_rkb", rkb),
        ("c_ckvr", c as u64 * kvr),
        ("c_rkvr", r as u64 * kvr),
        ("c_kwm1", kw - 1),
        ("c_lgckb", log2(ckb) as u64),
        ("c_lgrkb", log2(rkb) as u64),
        ("c_nbm1", nb as u64 - 1),
        ("c_gtm1", (cfg.group_size / r) as u64 - 1),
        (
            "c_ctm1",
            if s.dsp_acc {
                s.chunk_tiles as u64 - 1
            } else {
                0xFFFF_FFFF
            },
        ),
        ("c_lgspr", log2(s.spr as u64) as u64),
        ("c_sprm1", s.spr as u64 - 1),
        ("c_lat", lg as u64 + 3),
    ];
    let cw = |name: &str| match name {
        "c_lgr" | "c_lgtile" | "c_lgkvr" | "c_lgckb" | "c_lgrkb" | "c_lgspr" => 5,
        "c_lat" => 8,
        _ => 32,
    };
    o += "llmfab_mx_ctl u_ctl(\n    .clock(clk), .rst(rst), .start(start),\n";
    o += &format!(
        "    .f_mode({}), .f_bsrc({}), .f_btrans({}), .f_accum({}), .f_dequant({}),\n",
        flag("mode"),
        flag("bsrc"),
        flag("btrans"),
        flag("accumulate"),
        flag("dequant")
    );
    o += &format!("    .f_dqsh(instr[{}:{sh_lsb}]),\n", sh_lsb + sh_w - 1);
    for (port, f) in [
        ("f_m", "m"),
        ("f_n", "n"),
        ("f_k", "k"),
        ("f_aaddr", "a_addr"),
        ("f_apitch", "a_pitch"),
        ("f_baddr", "b_addr"),
        ("f_accaddr", "acc_addr"),
        ("f_accpitch", "acc_pitch"),
        ("f_saddr", "s_addr"),
    ] {
        o += &format!("    .{port}({}),\n", word(f));
    }
    for (name, val) in &consts {
        o += &format!("    .{name}({}'d{val}),\n", cw(name));
    }
    o += "    .done(done), .mode(mode), .dq(dq), .dqsh(dqsh), .bsrc(bsrc),
    .ab_ren(ab_ren), .ab_raddr(ab_raddr), .wb_ren(wb_ren), .wb_raddr(wb_raddr),
    .kv_en(kv_en), .kv_base(kv_base), .kv_rot(kv_rot), .kv_nrows(kv_nrows), .kv_rot_d(kv_rot_d), .kv_csel_d(kv_csel_d),
    .a_valid(a_valid), .a_kcnt(a_kcnt), .b_kcnt(b_kcnt), .b_ncnt(b_ncnt),
    .st_en(st_en), .phase(phase), .tload(tload), .lane_clr(lane_clr), .lane_cap(lane_cap), .dsp_clr(dsp_clr), .dsp_cap(dsp_cap),
    .sreg_load(sreg_load), .iss_load(iss_load), .s_slot(s_slot),
    .col_cfirst(col_cfirst), .col_cvalid(col_cvalid), .col_keep(col_keep), .col_addold(col_addold), .col_ev(col_ev),
    .acc_ren(acc_ren), .acc_raddr(acc_raddr), .acc_wen(acc_wen), .acc_waddr(acc_waddr), .acc_ncnt(acc_ncnt)
);
";

    // A path: masking rows, transpose stager.
    o += &format!(
        "
// A: masked A word elements (ain), the R x R transpose stager (st), row activations (arow).
wire [{abm1}:0] ain [0:{rm1}];
wire [{abm1}:0] arow [0:{rm1}];
wire [{abm1}:0] st [0:{stn}];
genvar gi, gj, gq, gl;
generate
for (gi = 0; gi < {r}; gi = gi + 1) begin : g_arow
    localparam [31:0] IDX = gi;
    llmfab_mx_arow u(.rd(ab_rdata[gi*{ab} +: {ab}]), .idx(IDX), .kcnt(a_kcnt), .av(a_valid),
        .h(st[gi*{r}]), .v(st[gi]), .mode(mode), .phase(phase),
        .ain(ain[gi]), .a(arow[gi]));
    for (gj = 0; gj < {r}; gj = gj + 1) begin : g_st
        wire [{abm1}:0] right, below;
        if (gj < {rm1}) begin : g_r
            assign right = st[gi*{r} + gj + 1];
        end else begin : g_re
            assign right = ain[gi];
        end
        if (gi < {rm1}) begin : g_b
            assign below = st[(gi + 1)*{r} + gj];
        end else begin : g_be
            assign below = ain[gj];
        end
        llmfab_mx_stage_a u(.clock(clk), .en(st_en), .sel(phase), .x(right), .y(below), .q(st[gi*{r} + gj]));
    end
end
endgenerate
",
        stn = r * r - 1,
        abm1 = ab - 1,
        rm1 = r - 1,
    );

    // B path.
    let p_rows = r.max(c);
    o += &format!(
        "
// B: KV bank requests, bank words rotated into block order, the R x C tile (bt, element j*R+i),
// the matrix-matrix tile shift register (tsr).
wire [{rm1}:0] rowok;
wire [{cm1}:0] colok;
wire [{vm1}:0] bt [0:{btn}];
wire [{vm1}:0] tsr [0:{btn}];
wire [{kwbm1}:0] krow [0:{krn}];
generate
for (gq = 0; gq < {nb}; gq = gq + 1) begin : g_kv
    localparam [31:0] IDX = gq;
    llmfab_mx_kvaddr u(.base(kv_base), .rot(kv_rot), .nbm1(32'd{nbm1}), .idx(IDX), .lgkvr(5'd{lgkvr}),
        .nrows(kv_nrows), .en(kv_en), .ren(kv_ren[gq]), .addr(kv_raddr[gq*32 +: 32]));
end
for (gq = 0; gq < {p_rows}; gq = gq + 1) begin : g_krow
    wire [31:0] bank = (kv_rot_d + gq) & 32'd{nbm1};
    assign krow[gq] = kv_rdata[bank*{kwb} +: {kwb}];
end
for (gi = 0; gi < {r}; gi = gi + 1) begin : g_rowok
    assign rowok[gi] = gi < b_kcnt;
end
for (gj = 0; gj < {c}; gj = gj + 1) begin : g_colok
    assign colok[gj] = gj < b_ncnt;
end
for (gj = 0; gj < {c}; gj = gj + 1) begin : g_bc
    for (gi = 0; gi < {r}; gi = gi + 1) begin : g_br
        wire [{wbm1}:0] w = wb_rdata[(gj*{r} + gi)*{wb} +: {wb}];
        wire [{kwbm1}:0] rowi = krow[gi];
        wire [{kwbm1}:0] rowj = krow[gj];
        wire [{kbm1}:0] k0 = rowi[(kv_csel_d*{c} + gj)*{kb} +: {kb}];
        wire [{kbm1}:0] k1 = rowj[(kv_csel_d*{r} + gi)*{kb} +: {kb}];
        llmfab_mx_bsel u(.w({wx}), .k0({k0x}), .k1({k1x}), .src(bsrc), .ok(rowok[gi] & colok[gj]),
            .b(bt[gj*{r} + gi]));
        wire [{vm1}:0] nxt;
        if (gi < {rm1}) begin : g_n
            assign nxt = tsr[gj*{r} + gi + 1];
        end else begin : g_ne
            assign nxt = {v}'d0;
        end
        llmfab_mx_stage_b u_t(.clock(clk), .en(st_en), .sel(tload), .x(nxt), .y(bt[gj*{r} + gi]),
            .q(tsr[gj*{r} + gi]));
    end
end
endgenerate
",
        rm1 = r - 1,
        cm1 = c - 1,
        btn = r * c - 1,
        krn = p_rows - 1,
        kwbm1 = kwb - 1,
        nbm1 = nb - 1,
        lgkvr = log2(kvr),
        wb = s.wb,
        kb = s.kb,
        wbm1 = s.wb - 1,
        kbm1 = s.kb - 1,
        vm1 = v - 1,
        wx = sext("w", s.wb, v),
        k0x = sext("k0", s.kb, v),
        k1x = sext("k1", s.kb, v),
    );

    // DSPs and lanes.
    let dsp_loop = if per == 2 {
        format!(
            "for (gq = 0; gq < {half}; gq = gq + 1) begin : g_dsp
        {dsp} u(.clock(clk), .a(arow[gi]), .mode(mode),
            .b0(bt[(2*gq)*{r} + gi]), .b1(bt[(2*gq + 1)*{r} + gi]),
            .m0(tsr[(2*gq)*{r}]), .m1(tsr[(2*gq + 1)*{r}]), .acc(pacc),
            .p0(prod[gi*{c} + 2*gq]), .p1(prod[gi*{c} + 2*gq + 1]));
    end",
            half = c / 2,
            dsp = n.dsp
        )
    } else {
        format!(
            "for (gq = 0; gq < {c}; gq = gq + 1) begin : g_dsp
        {dsp} u(.clock(clk), .a(arow[gi]), .mode(mode), .b0(bt[gq*{r} + gi]), .m0(tsr[gq*{r}]), .acc(pacc),
            .p0(prod[gi*{c} + gq]));
    end",
            dsp = n.dsp
        )
    };
    let ow = s.ow;
    let lane = if s.dsp_acc {
        format!(
            "llmfab_mx_shadow u(.clock(clk), .en(1'b1), .sel(dsp_cap), .x(below), .y({px}),
            .q(sh[gi*{c} + gj]));",
            px = sext("p", ow, 32)
        )
    } else {
        format!(
            "llmfab_mx_lane u(.clock(clk), .p({px}), .clr(lane_clr), .cap(lane_cap), .sh_in(below),
            .sh(sh[gi*{c} + gj]));",
            px = sext("p", ow, 32)
        )
    };
    let pacc = if s.dsp_acc {
        "~mode & ~dsp_clr"
    } else {
        "1'b0"
    };
    let spare = if s.dsp_acc {
        "wire [1:0] unused_lane_ctl = {lane_clr, lane_cap};"
    } else {
        "wire [1:0] unused_dsp_ctl = {dsp_clr, dsp_cap};"
    };
    o += &format!(
        "
// Lanes: packed DSPs (prod, element i*C+j; with P accumulation the read-back of P),
// matrix-matrix accumulation (LaneAcc or P) with the drain chain (sh).
wire pacc = {pacc};
{spare}
wire [{owm1}:0] prod [0:{rcn}];
wire [31:0] sh [0:{rcn}];
generate
for (gi = 0; gi < {r}; gi = gi + 1) begin : g_row
    {dsp_loop}
    for (gj = 0; gj < {c}; gj = gj + 1) begin : g_lane
        wire [{owm1}:0] p = prod[gi*{c} + gj];
        wire [31:0] below;
        if (gi < {rm1}) begin : g_b
            assign below = sh[(gi + 1)*{c} + gj];
        end else begin : g_be
            assign below = 32'd0;
        end
        {lane}
    end
end
endgenerate
",
        rcn = r * c - 1,
        owm1 = ow - 1,
        rm1 = r - 1,
    );

    // Matrix-vector adder trees.
    o += "\n// Matrix-vector: one adder tree per column over the R rows (level l: R >> l nodes of PW + l bits).\n";
    for l in 1..=lg {
        let nodes = r >> l;
        o += &format!("wire [{}:0] tr{l} [0:{}];\n", pw + l - 1, c * nodes - 1);
    }
    o += "generate\nfor (gj = 0; gj < ";
    o += &format!("{c}; gj = gj + 1) begin : g_tree\n");
    for l in 1..=lg {
        let nodes = r >> l;
        let wi = pw + l - 1;
        let (src_a, src_b) = if l == 1 {
            (
                format!("prod[(2*gq)*{c} + gj][{}:0]", pw - 1),
                format!("prod[(2*gq + 1)*{c} + gj][{}:0]", pw - 1),
            )
        } else {
            let pn = r >> (l - 1);
            (
                format!("tr{}[gj*{pn} + 2*gq]", l - 1),
                format!("tr{}[gj*{pn} + 2*gq + 1]", l - 1),
            )
        };
        o += &format!(
            "    for (gq = 0; gq < {nodes}; gq = gq + 1) begin : g_l{l}
        wire [{wim1}:0] xa = {src_a};
        wire [{wim1}:0] xb = {src_b};
        {name} u(.clock(clk), .a({ax}), .b({bx}), .y(tr{l}[gj*{nodes} + gq]));
    end
",
            wim1 = wi - 1,
            name = n.add[(l - 1) as usize],
            ax = sext("xa", wi, wi + 1),
            bx = sext("xb", wi, wi + 1),
        );
    }
    o += "end\nendgenerate\n";

    // Scales.
    let spr = s.spr;
    let dl = lg + 2;
    o += &format!(
        "
// Scales: the cached scale row (sreg, SPR x C), the issued vector (siss), its matrix-vector delay line (sd).
wire [{srw}:0] sreg;
wire [15:0] siss [0:{cm1}];
wire [15:0] sd [0:{sdn}];
reg [{scw}:0] ssel;
integer q;
always @(*) begin
    ssel = {{{c}{{16'd0}}}};
    for (q = 0; q < {spr}; q = q + 1) begin
        if (s_slot == q) ssel = sreg_load ? wb_rdata[q*{c}*16 +: {c}*16] : sreg[q*{c}*16 +: {c}*16];
    end
end
generate
for (gq = 0; gq < {spr}; gq = gq + 1) begin : g_sreg
    for (gj = 0; gj < {c}; gj = gj + 1) begin : g_c
        llmfab_mx_reg16 u(.clock(clk), .en(sreg_load), .d(wb_rdata[(gq*{c} + gj)*16 +: 16]), .q(sreg[(gq*{c} + gj)*16 +: 16]));
    end
end
for (gj = 0; gj < {c}; gj = gj + 1) begin : g_siss
    llmfab_mx_reg16 u(.clock(clk), .en(iss_load), .d(ssel[gj*16 +: 16]), .q(siss[gj]));
    for (gl = 0; gl < {dl}; gl = gl + 1) begin : g_sd
        wire [15:0] din;
        if (gl == 0) begin : g_0
            assign din = siss[gj];
        end else begin : g_n
            assign din = sd[(gl - 1)*{c} + gj];
        end
        llmfab_mx_reg16 u(.clock(clk), .en(1'b1), .d(din), .q(sd[gl*{c} + gj]));
    end
end
endgenerate
",
        srw = spr * c * 16 - 1,
        scw = c * 16 - 1,
        sdn = dl * c - 1,
        cm1 = c - 1,
    );

    // Column units and the write-back.
    o += &format!(
        "
// Column units: dequantisation and accumulation; ACC write strobes.
generate
for (gj = 0; gj < {c}; gj = gj + 1) begin : g_col
    wire [{rw}:0] root = tr{lg}[gj];
    wire [15:0] s = mode ? sd[{dlm1}*{c} + gj] : siss[gj];
    {shd}
    llmfab_mx_col u(.clock(clk), .mode(mode), .tree({rootx}), .cfirst(col_cfirst), .cvalid(col_cvalid),
        .shadow(shd), .dq(dq), .s(s), .sh(dqsh), .keep(col_keep), .add_old(col_addold), .ev(col_ev),
        .old(acc_rdata[gj*32 +: 32]), .out(acc_wdata[gj*32 +: 32]));
    assign acc_wstrb[gj*4 +: 4] = {{4{{acc_wen & (gj < acc_ncnt)}}}};
end
endgenerate
endmodule
",
        rw = pw + lg - 1,
        dlm1 = dl - 1,
        rootx = sext("root", pw + lg, 32),
        shd = if s.dsp_acc {
            // P accumulation captures a cycle earlier and shifts at once: one register realigns row d.
            "wire [31:0] shd;\n    llmfab_mx_reg32 u_shd(.clock(clk), .en(1'b1), .d(sh[gj]), .q(shd));"
        } else {
            "wire [31:0] shd = sh[gj];"
        },
    );
    o
}
