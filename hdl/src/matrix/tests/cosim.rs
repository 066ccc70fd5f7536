//! Co-simulation of the emitted `llmfab_matrix` under Icarus with a
//! behavioural buffer model (ABUF, WBUF, banked KVBUF, ACC; docs/rtl.md §3–4
//! port rules checked), against `llmfab_isa::reference` (final ACC bit for
//! bit) and `llmfab_isa::timing::matrix` (cycles of every instruction).

use crate::matrix::top::Options;
use crate::testing::icarus::{run_icarus_in, scratch};
use llmfab_isa::instr::{Instr, Matmul, Op};
use llmfab_isa::random::Rng;
use llmfab_isa::timing::matrix::matmul_cycles;
use llmfab_isa::{check_instr, encode, EngineConfig, Machine};
use std::fmt::Write as _;

/// A random valid `matmul` for `cfg` (rejection-sampled against `check_instr`).
pub fn random_matmul(cfg: &EngineConfig, rng: &mut Rng, mode: u64, bsrc: u64) -> Matmul {
    let (r, c) = (cfg.rows as u64, cfg.cols as u64);
    let ab = cfg.act_bytes();
    let aw = cfg.a_word_bytes();
    let accw = cfg.acc_word_bytes();
    let tile = cfg.tile_bytes();
    for attempt in 0.. {
        let shrink = 1 + attempt / 20;
        let m = if mode == 1 {
            rng.range(1, 3)
        } else {
            rng.range(1, 2 * r + 1)
        } / shrink
            + 1;
        let n = rng.range(1, 2 * c + 3) / shrink + 1;
        let k = rng.range(1, 3 * r + 5) / shrink + 1;
        let a_pitch = (k * ab).div_ceil(aw) * aw + aw * rng.below(2);
        let acc_pitch = (4 * n).div_ceil(accw) * accw + accw * rng.below(2);
        let a_span = (m - 1) * a_pitch + k * ab;
        let acc_span = (m - 1) * acc_pitch + 4 * n;
        if a_span > cfg.abuf_bytes || acc_span > cfg.acc_bytes {
            continue;
        }
        let mut x = Matmul {
            mode,
            bsrc,
            m,
            n,
            k,
            a_pitch,
            acc_pitch,
            a_addr: rng.below((cfg.abuf_bytes - a_span) / aw + 1) * aw,
            acc_addr: rng.below((cfg.acc_bytes - acc_span) / accw + 1) * accw,
            accumulate: rng.below(2),
            abits: cfg.act_bits as u64,
            ..Default::default()
        };
        if bsrc == 0 {
            x.bbits = cfg.weight_bits as u64;
            let tiles = k.div_ceil(r) * n.div_ceil(c);
            let rows = cfg.wbuf_rows();
            if tiles > rows {
                continue;
            }
            x.b_addr = rng.below(rows - tiles + 1) * tile;
            if rng.percent(60) {
                x.dequant = 1;
                x.dq_shift = if rng.percent(10) {
                    rng.range(30, 63)
                } else {
                    rng.range(0, 16)
                };
                let bytes = n.div_ceil(c) * k.div_ceil(cfg.group_size as u64) * 2 * c;
                let srows = bytes.div_ceil(tile);
                if srows > rows {
                    continue;
                }
                x.s_addr = rng.below(rows - srows + 1) * tile;
            }
        } else {
            x.bbits = cfg.kv_bits as u64;
            x.btrans = rng.below(2);
            let kvr = cfg.kv_row_bytes as u64;
            let kb = cfg.kv_bits as u64;
            let unit = (r.max(c) * kb / 8).max(1);
            let (rows, per_row) = if x.btrans == 0 { (k, n) } else { (n, k) };
            if per_row * kb > kvr * 8 || rows > cfg.kvbuf_rows() {
                continue;
            }
            let max_off = (kvr * 8 - per_row * kb) / 8 / unit;
            let row0 = rng.below(cfg.kvbuf_rows() - rows + 1);
            x.b_addr = row0 * kvr + rng.below(max_off + 1) * unit;
        }
        if check_instr(cfg, 0, &Instr::new(Op::Matmul(x))).is_empty() {
            return x;
        }
    }
    unreachable!()
}

/// Result of one co-simulation.
pub struct Cosim {
    /// Measured `done − start` of each instruction.
    pub cycles: Vec<u64>,
    /// Final ACC contents.
    pub acc: Vec<u8>,
    /// Protocol violations the buffer model saw.
    pub errors: Vec<String>,
}

fn hex_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for x in b {
        let _ = writeln!(s, "{x:02x}");
    }
    s
}

/// Runs `prog` on the emitted unit from the buffers of `init`.
pub fn run_unit(
    cfg: &EngineConfig,
    opts: &Options,
    prog: &[Matmul],
    init: &Machine,
    tag: &str,
) -> Cosim {
    let unit = crate::matrix::verilog_with(cfg, opts).expect("unit verilog");
    let d = scratch(&format!("cosim-{tag}"));
    std::fs::write(d.join("abuf.hex"), hex_bytes(&init.abuf)).unwrap();
    std::fs::write(d.join("wbuf.hex"), hex_bytes(&init.wbuf)).unwrap();
    std::fs::write(d.join("kvbuf.hex"), hex_bytes(&init.kvbuf)).unwrap();
    std::fs::write(d.join("acc.hex"), hex_bytes(&init.acc)).unwrap();
    let mut words = String::new();
    for x in prog {
        let b = encode(&Instr::new(Op::Matmul(*x))).unwrap();
        for byte in b.iter().rev() {
            let _ = write!(words, "{byte:02x}");
        }
        words.push('\n');
    }
    std::fs::write(d.join("prog.hex"), words).unwrap();
    let stdout = run_icarus_in(&d, &unit, &testbench(cfg, prog.len()));
    let mut cycles = Vec::new();
    let mut errors = Vec::new();
    for l in stdout.lines() {
        if let Some(n) = l.strip_prefix("CYC ") {
            cycles.push(n.trim().parse().unwrap());
        } else if l.starts_with("ERR") {
            errors.push(l.to_string());
        }
    }
    let acc_text = std::fs::read_to_string(d.join("acc_out.hex")).unwrap_or_default();
    let acc = acc_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| u8::from_str_radix(l.trim(), 16).unwrap_or(0xEE))
        .collect();
    if std::env::var_os("MX_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&d);
    } else {
        eprintln!("kept {}", d.display());
    }
    Cosim {
        cycles,
        acc,
        errors,
    }
}

/// The testbench: buffer models, start/done sequencing, port checks.
fn testbench(cfg: &EngineConfig, n_instr: usize) -> String {
    let (r, c) = (cfg.rows as u64, cfg.cols as u64);
    let abw = cfg.a_word_bytes();
    let tile = cfg.tile_bytes();
    let nb = cfg.kv_banks();
    let kw = r.max(c) * cfg.kv_bits as u64 / 8;
    let kvr = cfg.kv_row_bytes as u64;
    let accw = 4 * c;
    format!(
        r#"module tb;
reg clk = 0;
always #5 clk = ~clk;
reg rst = 1, start = 0;
reg [255:0] instr = 0;
wire done, ab_ren, wb_ren, acc_ren, acc_wen;
wire [31:0] ab_raddr, wb_raddr, acc_raddr, acc_waddr;
wire [{nbm1}:0] kv_ren;
wire [{kvaw}:0] kv_raddr;
reg [{abdw}:0] ab_rdata;
reg [{wbdw}:0] wb_rdata;
reg [{kvdw}:0] kv_rdata;
reg [{accdw}:0] acc_rdata;
wire [{accdw}:0] acc_wdata;
wire [{strw}:0] acc_wstrb;
llmfab_matrix dut(.clk(clk), .rst(rst), .start(start), .instr(instr), .done(done),
    .ab_ren(ab_ren), .ab_raddr(ab_raddr), .ab_rdata(ab_rdata),
    .wb_ren(wb_ren), .wb_raddr(wb_raddr), .wb_rdata(wb_rdata),
    .kv_ren(kv_ren), .kv_raddr(kv_raddr), .kv_rdata(kv_rdata),
    .acc_ren(acc_ren), .acc_raddr(acc_raddr), .acc_rdata(acc_rdata),
    .acc_wen(acc_wen), .acc_waddr(acc_waddr), .acc_wdata(acc_wdata), .acc_wstrb(acc_wstrb));
reg [7:0] abuf [0:{abm1}];
reg [7:0] wbuf [0:{wbm1}];
reg [7:0] kvbuf [0:{kvm1}];
reg [7:0] acc [0:{accm1}];
reg [255:0] prog [0:{npm1}];
initial begin
    $readmemh("abuf.hex", abuf);
    $readmemh("wbuf.hex", wbuf);
    $readmemh("kvbuf.hex", kvbuf);
    $readmemh("acc.hex", acc);
    $readmemh("prog.hex", prog);
end
integer i, b, cycle = 0, t0 = 0;
reg act = 0;
reg [31:0] ka;
always @(posedge clk) begin
    cycle <= cycle + 1;
    if (start) t0 <= cycle;
    if (done) $display("CYC %0d", cycle - t0);
    if (!(start || act) && (ab_ren || wb_ren || (|kv_ren) || acc_ren || acc_wen)) $display("ERR port used outside start..done at %0d", cycle);
    if (start) act <= 1;
    if (done) act <= 0;
    ab_rdata <= {{{abdw1}{{1'bx}}}};
    if (ab_ren) begin
        if (ab_raddr % {abw} != 0 || ab_raddr + {abw} > {abuf}) $display("ERR abuf address %0d", ab_raddr);
        for (i = 0; i < {abw}; i = i + 1) ab_rdata[i*8 +: 8] <= abuf[ab_raddr + i];
    end
    wb_rdata <= {{{wbdw1}{{1'bx}}}};
    if (wb_ren) begin
        if (wb_raddr % {tile} != 0 || wb_raddr + {tile} > {wbuf}) $display("ERR wbuf address %0d", wb_raddr);
        for (i = 0; i < {tile}; i = i + 1) wb_rdata[i*8 +: 8] <= wbuf[wb_raddr + i];
    end
    kv_rdata <= {{{kvdw1}{{1'bx}}}};
    for (b = 0; b < {nb}; b = b + 1) begin
        if (kv_ren[b]) begin
            ka = kv_raddr[b*32 +: 32];
            if (ka % {kw} != 0 || ka + {kw} > {kvbuf} || (ka / {kvr}) % {nb} != b) $display("ERR kv bank %0d address %0d", b, ka);
            for (i = 0; i < {kw}; i = i + 1) kv_rdata[(b*{kw} + i)*8 +: 8] <= kvbuf[ka + i];
        end
    end
    acc_rdata <= {{{accdw1}{{1'bx}}}};
    if (acc_ren) begin
        if (acc_raddr % {accw} != 0 || acc_raddr + {accw} > {accb}) $display("ERR acc read address %0d", acc_raddr);
        if (acc_wen && acc_waddr == acc_raddr) $display("ERR acc read and write of one word at %0d", cycle);
        for (i = 0; i < {accw}; i = i + 1) acc_rdata[i*8 +: 8] <= acc[acc_raddr + i];
    end
    if (acc_wen) begin
        if (acc_waddr % {accw} != 0 || acc_waddr + {accw} > {accb}) $display("ERR acc write address %0d", acc_waddr);
        for (i = 0; i < {accw}; i = i + 1) if (acc_wstrb[i]) acc[acc_waddr + i] <= acc_wdata[i*8 +: 8];
    end
end
integer n;
initial begin
    repeat (3) @(negedge clk);
    rst = 0;
    for (n = 0; n < {np}; n = n + 1) begin
        @(negedge clk);
        start = 1;
        instr = prog[n];
        @(negedge clk);
        start = 0;
        instr = {{256{{1'bx}}}};
        while (!done) @(negedge clk);
    end
    @(negedge clk);
    $writememh("acc_out.hex", acc);
    $finish;
end
initial begin
    #{timeout};
    $display("ERR timeout");
    $writememh("acc_out.hex", acc);
    $finish;
end
endmodule
"#,
        nbm1 = nb - 1,
        kvaw = 32 * nb - 1,
        abdw = abw * 8 - 1,
        abdw1 = abw * 8,
        wbdw = tile * 8 - 1,
        wbdw1 = tile * 8,
        kvdw = kw * nb * 8 - 1,
        kvdw1 = kw * nb * 8,
        accdw = accw * 8 - 1,
        accdw1 = accw * 8,
        strw = accw - 1,
        abm1 = cfg.abuf_bytes - 1,
        wbm1 = cfg.wbuf_bytes - 1,
        kvm1 = cfg.kvbuf_bytes - 1,
        accm1 = cfg.acc_bytes - 1,
        abuf = cfg.abuf_bytes,
        wbuf = cfg.wbuf_bytes,
        kvbuf = cfg.kvbuf_bytes,
        accb = cfg.acc_bytes,
        npm1 = n_instr.max(1) - 1,
        np = n_instr,
        timeout = 2_000_000,
    )
}

/// Runs `prog` on the reference and on the unit; returns the mismatches
/// (empty when both the final ACC and every cycle count agree).
pub fn check(cfg: &EngineConfig, prog: &[Matmul], seed: u64, tag: &str) -> Vec<String> {
    check_with(cfg, &Options::default(), prog, seed, tag)
}

/// [`check`] of the unit generated with `opts`.
pub fn check_with(
    cfg: &EngineConfig,
    opts: &Options,
    prog: &[Matmul],
    seed: u64,
    tag: &str,
) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut m = Machine::with_memory(cfg.clone(), 64).unwrap();
    rng.fill(&mut m.abuf);
    rng.fill(&mut m.wbuf);
    rng.fill(&mut m.kvbuf);
    rng.fill(&mut m.acc);
    let init = m.clone();
    for x in prog {
        m.step(&Instr::new(Op::Matmul(*x))).expect("valid matmul");
    }
    let sim = run_unit(cfg, opts, prog, &init, tag);
    let mut bad = sim.errors.clone();
    if sim.cycles.len() != prog.len() {
        bad.push(format!(
            "{} of {} instructions finished",
            sim.cycles.len(),
            prog.len()
        ));
    }
    for (i, (x, &cy)) in prog.iter().zip(&sim.cycles).enumerate() {
        let want = matmul_cycles(x, cfg);
        if cy != want {
            bad.push(format!(
                "instr {i}: {cy} cycles, timing::matrix says {want}: {x:?}"
            ));
        }
    }
    if sim.acc != m.acc {
        let diffs: Vec<String> = (0..m.acc.len().min(sim.acc.len()))
            .step_by(4)
            .filter(|&i| sim.acc[i..i + 4] != m.acc[i..i + 4])
            .take(6)
            .map(|i| {
                let w = |b: &[u8]| i32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
                let was = i32::from_le_bytes([
                    init.acc[i],
                    init.acc[i + 1],
                    init.acc[i + 2],
                    init.acc[i + 3],
                ]);
                format!("@{i}: got {} want {} (was {was})", w(&sim.acc), w(&m.acc))
            })
            .collect();
        bad.push(format!("ACC words differ: {diffs:?}"));
        let first = sim.acc.iter().zip(&m.acc).position(|(a, b)| a != b);
        bad.push(format!(
            "ACC differs from the reference (first byte {first:?} of {}; {} vs {} bytes)",
            m.acc.len(),
            sim.acc.len(),
            m.acc.len()
        ));
    }
    bad
}
