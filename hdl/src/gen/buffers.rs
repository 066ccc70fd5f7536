//! The buffers of `llmfab_engine` (docs/rtl.md §6): one `llmfab_ram_*`
//! per bank and the muxes that share its two ports among the compute
//! units and the DMA engines. Users of a port never overlap in time (port
//! claims, one compute instruction at a time), so each port takes the
//! address of whichever user enables it; narrow users read a lane of the
//! word (selected by the registered read address) and write a lane
//! (replicated data, shifted enables).

use super::geometry::{clog2, log2, Geometry};
use std::fmt::Write as _;

/// `ram_style` of a bank of `bytes` in words of `word_bytes`: UltraRAM
/// (4096 × 72) when at least half its depth is used, distributed RAM below
/// 1 KiB, block RAM otherwise.
pub fn style(bytes: u64, word_bytes: u64) -> &'static str {
    let words = bytes / word_bytes.max(1);
    if words >= 2048 && bytes >= 64 * 1024 {
        "ultra"
    } else if bytes >= 1024 {
        "block"
    } else {
        "distributed"
    }
}

/// A reader of a bank: enable, byte address, width in bytes, output wire.
struct Rd {
    en: String,
    addr: String,
    bytes: u64,
    out: String,
}

/// A writer: enable, byte address, width in bytes, data, enables (one
/// per `gran` bits of the writer's width).
struct Wr {
    en: String,
    addr: String,
    bytes: u64,
    data: String,
    be: String,
}

/// Lane of `word` (of `wbytes`) that a `bytes`-wide access at byte
/// address `addr` uses.
fn lane(word: &str, wbytes: u64, bytes: u64, addr: &str) -> String {
    if wbytes == bytes {
        word.to_string()
    } else {
        format!(
            "{word}[{addr}[{}:{}] * {} +: {}]",
            log2(wbytes) - 1,
            log2(bytes),
            bytes * 8,
            bytes * 8
        )
    }
}

/// One bank named `n` (`words` × `wbytes`, write enables of `gran` bits).
#[allow(clippy::too_many_arguments)]
fn bank(
    v: &mut String,
    ind: &str,
    n: &str,
    words: u64,
    wbytes: u64,
    gran: u64,
    rds: &[Rd],
    wrs: &[Wr],
) {
    let aw = clog2(words);
    let lw = log2(wbytes);
    let nbe = wbytes * 8 / gran;
    let ren = rds
        .iter()
        .map(|r| format!("({})", r.en))
        .collect::<Vec<_>>()
        .join(" | ");
    let mut raddr = String::from("32'd0");
    for r in rds.iter().rev() {
        raddr = format!("({}) ? ({}) : {raddr}", r.en, r.addr);
    }
    let wen = wrs
        .iter()
        .map(|w| format!("({})", w.en))
        .collect::<Vec<_>>()
        .join(" | ");
    let mut waddr = String::from("32'd0");
    let mut wdata = format!("{}'d0", wbytes * 8);
    let mut wbe = format!("{nbe}'d0");
    for w in wrs.iter().rev() {
        let lanes = wbytes / w.bytes;
        let nb = w.bytes * 8 / gran;
        let data = if lanes == 1 {
            w.data.clone()
        } else {
            format!("{{{lanes}{{{}}}}}", w.data)
        };
        let be = if lanes == 1 {
            w.be.clone()
        } else {
            format!(
                "({{{{{}{{1'b0}}}}, {}}} << ({n}_waddr[{}:{}] * {nb}))",
                nbe - nb,
                w.be,
                lw - 1,
                log2(w.bytes)
            )
        };
        waddr = format!("({}) ? ({}) : {waddr}", w.en, w.addr);
        wdata = format!("({}) ? {data} : {wdata}", w.en);
        wbe = format!("({}) ? {be} : {wbe}", w.en);
    }
    let style = style(words * wbytes, wbytes);
    let _ = write!(
        v,
        r#"
{ind}wire {n}_ren = {ren};
{ind}wire [31:0] {n}_raddr = {raddr};
{ind}reg [31:0] {n}_raddr_q;
{ind}always @(posedge clk) if ({n}_ren) {n}_raddr_q <= {n}_raddr;
{ind}wire {n}_wen = {wen};
{ind}wire [31:0] {n}_waddr = {waddr};
{ind}wire [{wm}:0] {n}_wdata = {wdata};
{ind}wire [{bm}:0] {n}_wbe = {wbe};
{ind}wire [{wm}:0] {n}_rword;
{ind}llmfab_ram_{style} #(.WORDS({words}), .AW({aw}), .WBITS({wbits}), .G({gran})) {n} (
{ind}    .clk(clk), .ren({n}_ren), .raddr({n}_raddr[{lw} +: {aw}]), .rdata({n}_rword),
{ind}    .wen({n}_wen), .waddr({n}_waddr[{lw} +: {aw}]), .wdata({n}_wdata), .wbe({n}_wbe));
"#,
        wm = wbytes * 8 - 1,
        bm = nbe - 1,
        wbits = wbytes * 8,
    );
    for r in rds {
        let _ = writeln!(
            v,
            "{ind}assign {} = {};",
            r.out,
            lane(
                &format!("{n}_rword"),
                wbytes,
                r.bytes,
                &format!("{n}_raddr_q")
            )
        );
    }
    let _ = writeln!(
        v,
        "{ind}wire unused_{n} = &{{1'b0, {n}_raddr_q, {n}_waddr}};"
    );
}

/// Every buffer, the unit-port wires, and the store data of each channel.
pub fn all(v: &mut String, g: &Geometry) {
    let (r, c, l, ab, beat, pb) = (g.r, g.c, g.l, g.ab, g.beat, g.pb);
    let ones = |bytes: u64, gran: u64| format!("{{{}{{1'b1}}}}", bytes * 8 / gran);
    let kvw = g.kvw_bits;
    let _ = write!(
        v,
        r#"
    // ---- compute-unit port wires ----
    wire mx_ab_ren, mx_wb_ren, mx_acc_ren, mx_acc_wen;
    wire [31:0] mx_ab_raddr, mx_wb_raddr, mx_acc_raddr, mx_acc_waddr;
    wire [{mab}:0] mx_ab_rdata;
    wire [{mwb}:0] mx_wb_rdata;
    wire [{nbm}:0] mx_kv_ren;
    wire [{nba}:0] mx_kv_raddr;
    wire [{mkv}:0] mx_kv_rdata;
    wire [{macc}:0] mx_acc_rdata, mx_acc_wdata;
    wire [{maccs}:0] mx_acc_wstrb;
    wire sfu_acc_ren, sfu_ab_ren, sfu_ab_wen, sfu_sb_ren, sfu_kv_wen;
    wire [31:0] sfu_acc_raddr, sfu_ab_raddr, sfu_ab_waddr, sfu_sb_raddr, sfu_kv_waddr;
    wire [{sacc}:0] sfu_acc_rdata;
    wire [{sab}:0] sfu_ab_rdata, sfu_ab_wdata;
    wire [{sabs}:0] sfu_ab_wstrb;
    wire [{ssb}:0] sfu_sb_rdata;
    wire [{kvwm}:0] sfu_kv_wdata;
    wire [{kvsm}:0] sfu_kv_wstrb;
    wire [{kvnm}:0] sfu_kv_wnib;
    wire [{pbm}:0] st_abuf;
"#,
        mab = r * ab * 8 - 1,
        mwb = g.tile * 8 - 1,
        nbm = g.nb - 1,
        nba = 32 * g.nb - 1,
        mkv = g.kw * 8 * g.nb - 1,
        macc = 32 * c - 1,
        maccs = 4 * c - 1,
        sacc = 32 * l - 1,
        sab = ab * 8 * l - 1,
        sabs = ab * l - 1,
        ssb = 16 * l - 1,
        kvwm = kvw - 1,
        kvsm = kvw / 8 - 1,
        kvnm = kvw / 4 - 1,
        pbm = pb - 1,
    );
    // ABUF
    v.push_str("\n    // ---- ABUF ----\n");
    bank(
        v,
        "    ",
        "abuf",
        g.abuf_words,
        g.wa,
        8,
        &[
            Rd {
                en: "wr_ren[0] & (wr_rbuf[2:0] == 3'd0)".into(),
                addr: "wr_raddr[31:0]".into(),
                bytes: beat,
                out: "st_abuf".into(),
            },
            Rd {
                en: "mx_ab_ren".into(),
                addr: "mx_ab_raddr".into(),
                bytes: r * ab,
                out: "mx_ab_rdata".into(),
            },
            Rd {
                en: "sfu_ab_ren".into(),
                addr: "sfu_ab_raddr".into(),
                bytes: l * ab,
                out: "sfu_ab_rdata".into(),
            },
        ],
        &[
            Wr {
                en: "rd_wen[0] & (rd_wbuf[2:0] == 3'd0)".into(),
                addr: "rd_waddr[31:0]".into(),
                bytes: beat,
                data: format!("c_rdata[{}:0]", pb - 1),
                be: ones(beat, 8),
            },
            Wr {
                en: "sfu_ab_wen".into(),
                addr: "sfu_ab_waddr".into(),
                bytes: l * ab,
                data: "sfu_ab_wdata".into(),
                be: "sfu_ab_wstrb".into(),
            },
        ],
    );
    // SBUF
    v.push_str("\n    // ---- SBUF ----\n");
    bank(
        v,
        "    ",
        "sbuf",
        g.sbuf_words,
        g.ws,
        8,
        &[Rd {
            en: "sfu_sb_ren".into(),
            addr: "sfu_sb_raddr".into(),
            bytes: 2 * l,
            out: "sfu_sb_rdata".into(),
        }],
        &[Wr {
            en: "rd_wen[0] & (rd_wbuf[2:0] == 3'd3)".into(),
            addr: "rd_waddr[31:0]".into(),
            bytes: beat,
            data: format!("c_rdata[{}:0]", pb - 1),
            be: ones(beat, 8),
        }],
    );
    // ACC
    v.push_str("\n    // ---- ACC ----\n");
    bank(
        v,
        "    ",
        "acc",
        g.acc_words,
        g.wc,
        8,
        &[
            Rd {
                en: "mx_acc_ren".into(),
                addr: "mx_acc_raddr".into(),
                bytes: 4 * c,
                out: "mx_acc_rdata".into(),
            },
            Rd {
                en: "sfu_acc_ren".into(),
                addr: "sfu_acc_raddr".into(),
                bytes: 4 * l,
                out: "sfu_acc_rdata".into(),
            },
        ],
        &[Wr {
            en: "mx_acc_wen".into(),
            addr: "mx_acc_waddr".into(),
            bytes: 4 * c,
            data: "mx_acc_wdata".into(),
            be: "mx_acc_wstrb".into(),
        }],
    );
    wbuf(v, g);
    kvbuf(v, g);
}

fn wbuf(v: &mut String, g: &Geometry) {
    let (ch, s, pb) = (g.ch, g.slice, g.pb);
    let _ = write!(
        v,
        r#"
    // ---- WBUF: bank c holds slice c of every tile ----
    wire [31:0] wb_row_addr = (mx_wb_raddr >> {ts}) << {ss};
    generate
        for (c = 0; c < {ch}; c = c + 1) begin : g_wbuf
            wire [{sm}:0] slice_data;"#,
        ts = log2(g.tile),
        ss = log2(s),
        sm = s * 8 - 1,
    );
    bank(
        v,
        "            ",
        "wb",
        g.wbuf_rows,
        s,
        8,
        &[Rd {
            en: "mx_wb_ren".into(),
            addr: "wb_row_addr".into(),
            bytes: s,
            out: "slice_data".into(),
        }],
        &[Wr {
            en: "rd_wen[c] & (rd_wbuf[3*c +: 3] == 3'd1)".into(),
            addr: "rd_waddr[32*c +: 32]".into(),
            bytes: g.beat,
            data: format!("c_rdata[{pb}*c +: {pb}]"),
            be: format!("{{{}{{1'b1}}}}", g.beat),
        }],
    );
    let _ = write!(
        v,
        r#"            assign mx_wb_rdata[{s8}*c +: {s8}] = slice_data;
        end
    endgenerate
"#,
        s8 = s * 8
    );
}

/// KV logical byte address → `bank` and bank-local byte address wires.
fn kv_map(v: &mut String, ind: &str, name: &str, addr: &str, g: &Geometry) {
    let ks = log2(g.kvr);
    let nbs = log2(g.nb);
    let bank = if g.nb == 1 {
        "8'd0".to_string()
    } else {
        format!("{{{}'d0, {name}_a[{} +: {nbs}]}}", 8 - nbs, ks)
    };
    let _ = writeln!(
        v,
        "{ind}wire [31:0] {name}_a = {addr};\n{ind}wire [7:0] {name}_bank = {bank};\n{ind}wire [31:0] {name}_local = (({name}_a >> {}) << {ks}) | ({name}_a & 32'd{});\n{ind}wire unused_{name} = &{{1'b0, {name}_a}};",
        ks + nbs,
        g.kvr - 1
    );
}

fn kvbuf(v: &mut String, g: &Geometry) {
    let (ch, nb, pb) = (g.ch, g.nb, g.pb);
    let gran = g.kv_gran;
    v.push_str("\n    // ---- KVBUF: KV row r in bank r mod NB ----\n");
    for c in 0..ch {
        kv_map(
            v,
            "    ",
            &format!("ldkv{c}"),
            &format!("rd_waddr[{}:{}]", 32 * c + 31, 32 * c),
            g,
        );
        kv_map(
            v,
            "    ",
            &format!("stkv{c}"),
            &format!("wr_raddr[{}:{}]", 32 * c + 31, 32 * c),
            g,
        );
    }
    kv_map(v, "    ", "sfukv", "sfu_kv_waddr", g);
    let ldkv_bank: Vec<String> = (0..ch).rev().map(|c| format!("ldkv{c}_bank")).collect();
    let ldkv_local: Vec<String> = (0..ch).rev().map(|c| format!("ldkv{c}_local")).collect();
    let stkv_bank: Vec<String> = (0..ch).rev().map(|c| format!("stkv{c}_bank")).collect();
    let stkv_local: Vec<String> = (0..ch).rev().map(|c| format!("stkv{c}_local")).collect();
    let sfu_be = if gran == 4 {
        "sfu_kv_wnib"
    } else {
        "sfu_kv_wstrb"
    };
    let _ = write!(
        v,
        r#"    wire [{b8}:0] ldkv_bank = {{{ldb}}};
    wire [{b32}:0] ldkv_local = {{{ldl}}};
    wire [{b8}:0] stkv_bank = {{{stb}}};
    wire [{b32}:0] stkv_local = {{{stl}}};
    wire [{kvb}:0] kv_beat;
    wire unused_kvbe = &{{1'b0, sfu_kv_wnib, sfu_kv_wstrb}};
    genvar b;
    generate
        for (b = 0; b < {nb}; b = b + 1) begin : g_kv
            localparam integer CC = b % {ch};
            wire [31:0] mx_local = ((mx_kv_raddr[32*b +: 32] >> {shift}) << {ks}) | (mx_kv_raddr[32*b +: 32] & 32'd{kmask});
            wire [{kwm}:0] mx_data;
            wire [{pbm}:0] st_beat;"#,
        b8 = 8 * ch - 1,
        b32 = 32 * ch - 1,
        ldb = ldkv_bank.join(", "),
        ldl = ldkv_local.join(", "),
        stb = stkv_bank.join(", "),
        stl = stkv_local.join(", "),
        kvb = pb * nb - 1,
        shift = log2(g.kvr) + log2(nb),
        ks = log2(g.kvr),
        kmask = g.kvr - 1,
        kwm = g.kw * 8 - 1,
        pbm = pb - 1,
    );
    bank(
        v,
        "            ",
        "kvb",
        g.kv_words,
        g.wk,
        gran,
        &[
            Rd {
                en: "wr_ren[CC] & (wr_rbuf[3*CC +: 3] == 3'd2) & (stkv_bank[8*CC +: 8] == b)"
                    .into(),
                addr: "stkv_local[32*CC +: 32]".into(),
                bytes: g.beat,
                out: "st_beat".into(),
            },
            Rd {
                en: "mx_kv_ren[b]".into(),
                addr: "mx_local".into(),
                bytes: g.kw,
                out: "mx_data".into(),
            },
        ],
        &[
            Wr {
                en: "rd_wen[CC] & (rd_wbuf[3*CC +: 3] == 3'd2) & (ldkv_bank[8*CC +: 8] == b)"
                    .into(),
                addr: "ldkv_local[32*CC +: 32]".into(),
                bytes: g.beat,
                data: format!("c_rdata[{pb}*CC +: {pb}]"),
                be: format!("{{{}{{1'b1}}}}", g.beat * 8 / gran),
            },
            Wr {
                en: "sfu_kv_wen & (sfukv_bank == b)".into(),
                addr: "sfukv_local".into(),
                bytes: g.kvw_bits / 8,
                data: "sfu_kv_wdata".into(),
                be: sfu_be.into(),
            },
        ],
    );
    let groups = nb / ch;
    let _ = write!(
        v,
        r#"            assign mx_kv_rdata[{kw8}*b +: {kw8}] = mx_data;
            assign kv_beat[{pb}*b +: {pb}] = st_beat;
        end
        for (c = 0; c < {ch}; c = c + 1) begin : g_st
            reg [7:0] bank_q;
            reg [2:0] buf_q;
            always @(posedge clk) if (wr_ren[c]) begin
                bank_q <= stkv_bank[8*c +: 8];
                buf_q <= wr_rbuf[3*c +: 3];
            end
            wire [{pbm}:0] kv_data = kv_beat[{pb}*({grp}*{ch} + c) +: {pb}];
            wire unused_st = &{{1'b0, bank_q, buf_q}};
            if (c == 0) begin : g_ab
                assign st_data[{pbm}:0] = (buf_q == 3'd0) ? st_abuf : kv_data;
            end else begin : g_kvonly
                assign st_data[{pb}*c +: {pb}] = kv_data;
            end
        end
    endgenerate
"#,
        kw8 = g.kw * 8,
        pbm = pb - 1,
        grp = if groups == 1 {
            "0".to_string()
        } else {
            format!("bank_q[{} +: {}]", log2(ch), log2(groups))
        },
    );
}
