//! The emitted unit under Icarus against `llmfab_isa::reference`: random
//! valid SFU instructions (every op) on random buffers; a behavioural
//! buffer model checks alignment and the `start..done` port window; final
//! ABUF and KVBUF must equal the reference byte for byte and every
//! instruction's `done − start` must equal `timing::sfu::cycles`.
//! `SFU_SEED=…` reruns a seed (printed on failure).

use super::icarus::run_icarus_in;
use llmfab_isa::instr::{
    Add, Buf, Gelu, Instr, Layernorm, Mul, Op, Requant, Rmsnorm, Rope, Silu, Softmax,
};
use llmfab_isa::reference::Machine;
use llmfab_isa::{EngineConfig, Program};

/// xorshift64.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn i16(&mut self, lim: i64) -> u64 {
        ((self.below(2 * lim as u64 + 1) as i64 - lim) as u64) & 0xffff
    }
}

fn up(x: u64, u: u64) -> u64 {
    x.div_ceil(u) * u
}

/// A random SFU operation for `cfg` (valid by construction; the caller
/// checks with `llmfab_isa::check_program`).
fn random_op(cfg: &EngineConfig, r: &mut Rng, kind: u64) -> Op {
    let l = cfg.sfu_lanes as u64;
    let ab = cfg.act_bytes();
    let half = cfg.abuf_bytes / 2;
    let au = l * ab;
    let m = r.range(1, 3);
    let mut n = r.range(1, 5 * l + 3);
    let pitch = |n: u64, r: &mut Rng| up(n * ab, au) + au * r.below(2);
    let src_pitch = pitch(n, r);
    let src = au * r.below(4);
    let inplace = r.below(4) == 0;
    let (dst, dst_pitch) = if inplace {
        (src, src_pitch)
    } else {
        (half + au * r.below(4), pitch(n, r))
    };
    let su = 2 * l;
    let s_addr = su * r.below(4);
    let big_shift = if ab == 2 { 11 } else { 19 };
    match kind {
        0 => {
            let from_acc = r.below(2) == 0;
            let to_kv = r.below(3) == 0;
            let mut x = Requant {
                src: if from_acc { Buf::Acc } else { Buf::Abuf } as u64,
                dst: if to_kv { Buf::Kvbuf } else { Buf::Abuf } as u64,
                col_scale: r.below(2),
                shift: if from_acc {
                    r.range(6, 18)
                } else {
                    r.range(0, 10)
                },
                m,
                n,
                src_addr: if from_acc { 4 * l * r.below(4) } else { src },
                src_pitch: if from_acc {
                    up(4 * n, 4 * l)
                } else {
                    src_pitch
                },
                dst_addr: dst,
                dst_pitch,
                mult: r.i16(2000),
                s_addr,
            };
            if to_kv {
                let kvr = cfg.kv_row_bytes as u64;
                let kb = cfg.kv_bits as u64;
                x.n = n.min(kvr * 8 / kb);
                let unit = (l * kb / 8).max(1);
                let room = (kvr * 8 - x.n * kb) / 8 / unit;
                x.dst_addr = kvr * r.below(4) + unit * r.range(0, room);
                x.dst_pitch = kvr * r.range(1, 2);
            } else if !from_acc && !inplace {
                x.dst_addr = dst;
            }
            Op::Requant(x)
        }
        1 => Op::Softmax(Softmax {
            flags: r.below(2),
            shift: r.range(2, 12),
            m: r.range(1, 4),
            n,
            src: 4 * l * r.below(4),
            src_pitch: up(4 * n, 4 * l),
            dst: half + au * r.below(4),
            dst_pitch: pitch(n, r),
            imm0: r.range(1, 400),
            imm2: r.range(0, 6),
        }),
        2 | 3 => {
            if kind == 3 {
                n = up(n, l);
            }
            let sp = pitch(n, r);
            let (d, dp) = if inplace {
                (src, sp)
            } else {
                (half + au * r.below(4), pitch(n, r))
            };
            let (shift, imm0, imm1, imm2) = (
                r.range(big_shift, big_shift + 4),
                (65536 / n).min(65535),
                16,
                r.range(0, 20),
            );
            if kind == 2 {
                Op::Rmsnorm(Rmsnorm {
                    shift,
                    m,
                    n,
                    src,
                    src_pitch: sp,
                    dst: d,
                    dst_pitch: dp,
                    s_addr,
                    imm0,
                    imm1,
                    imm2,
                })
            } else {
                Op::Layernorm(Layernorm {
                    shift,
                    m,
                    n,
                    src,
                    src_pitch: sp,
                    dst: d,
                    dst_pitch: dp,
                    s_addr,
                    imm0: r.range(1, 65535),
                    imm1: r.range(0, 20),
                    imm2,
                })
            }
        }
        4 => Op::Silu(Silu {
            m,
            n,
            src,
            src_pitch,
            dst,
            dst_pitch,
            s_addr,
        }),
        5 => Op::Gelu(Gelu {
            m,
            n,
            src,
            src_pitch,
            dst,
            dst_pitch,
            s_addr,
        }),
        6 => {
            let mut hs: Vec<u64> = (1..=l.trailing_zeros()).map(|e| 1u64 << e).collect();
            hs.extend([2 * l, 4 * l, 6 * l]);
            let h = hs[r.below(hs.len() as u64) as usize];
            let n = h * r.range(1, 3);
            let sp = pitch(n, r);
            let (d, dp) = if inplace {
                (src, sp)
            } else {
                (half + au * r.below(2), pitch(n, r))
            };
            Op::Rope(Rope {
                m,
                n,
                src,
                src_pitch: sp,
                dst: d,
                dst_pitch: dp,
                s_addr: 0,
                imm0: h,
                imm2: up(2 * h, su) * r.below(2),
            })
        }
        _ => {
            // add / mul: src and src2 in the low half, rows `src_pitch` apart.
            let sp = up(n * ab, au) * 2;
            let src2 = src + up(n * ab, au);
            let (d, dp) = match r.below(3) {
                0 => (src, sp),
                1 => (src2, sp),
                _ => (half + au * r.below(4), pitch(n, r)),
            };
            let shift = r.range(0, 8);
            if kind == 7 {
                Op::Add(Add {
                    shift,
                    m,
                    n,
                    src,
                    src_pitch: sp,
                    dst: d,
                    dst_pitch: dp,
                    src2,
                    imm0: r.i16(300),
                    imm1: r.i16(300),
                })
            } else {
                Op::Mul(Mul {
                    shift: shift + 6,
                    m,
                    n,
                    src,
                    src_pitch: sp,
                    dst: d,
                    dst_pitch: dp,
                    src2,
                    imm0: r.i16(64),
                })
            }
        }
    }
}

/// `count` random valid instructions covering every op kind in turn.
pub fn random_instrs(cfg: &EngineConfig, seed: u64, count: usize) -> Vec<Instr> {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = Vec::new();
    let mut kind = seed % 9;
    let mut tries = 0;
    while out.len() < count && tries < 100 * count {
        tries += 1;
        let op = random_op(cfg, &mut r, kind);
        let ins = Instr {
            deps: Default::default(),
            op,
        };
        let prog = Program::from_instrs(vec![ins]);
        if llmfab_isa::check_program(cfg, &prog).is_ok() {
            out.push(ins);
            kind = (kind + 1) % 9;
        }
    }
    out
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}\n")).collect()
}

fn instr_hex(i: &Instr) -> String {
    let w = llmfab_isa::encode::encode(i).expect("encodable");
    let mut s = String::new();
    for b in w.iter().rev() {
        s += &format!("{b:02x}");
    }
    s + "\n"
}

/// Testbench with byte-array buffers and the port checks.
fn tb(cfg: &EngineConfig, n: usize) -> String {
    let l = cfg.sfu_lanes as u64;
    let ab = cfg.act_bits as u64;
    let kvw = (cfg.kv_bits as u64 * l).max(8);
    format!(
        r#"
module tb;
    reg clk = 0, rst = 1, start = 0; reg [255:0] instr;
    wire done, acc_ren, ab_ren, ab_wen, sb_ren, kv_wen;
    wire [31:0] acc_raddr, ab_raddr, ab_waddr, sb_raddr, kv_waddr;
    reg [{accm}:0] acc_rdata; reg [{abm}:0] ab_rdata; reg [{sbm}:0] sb_rdata;
    wire [{abm}:0] ab_wdata; wire [{absm}:0] ab_wstrb; wire [{kvm}:0] kv_wdata; wire [{kvsm}:0] kv_wstrb; wire [{kvnm}:0] kv_wnib;
    llmfab_sfu dut(.clk(clk), .rst(rst), .start(start), .instr(instr), .done(done),
        .acc_ren(acc_ren), .acc_raddr(acc_raddr), .acc_rdata(acc_rdata),
        .ab_ren(ab_ren), .ab_raddr(ab_raddr), .ab_rdata(ab_rdata),
        .ab_wen(ab_wen), .ab_waddr(ab_waddr), .ab_wdata(ab_wdata), .ab_wstrb(ab_wstrb),
        .sb_ren(sb_ren), .sb_raddr(sb_raddr), .sb_rdata(sb_rdata),
        .kv_wen(kv_wen), .kv_waddr(kv_waddr), .kv_wdata(kv_wdata), .kv_wstrb(kv_wstrb), .kv_wnib(kv_wnib));
    reg [7:0] abuf [0:{abn}]; reg [7:0] acc [0:{accn}]; reg [7:0] sbuf [0:{sbn}]; reg [7:0] kv [0:{kvn}];
    reg [255:0] prog [0:{pn}];
    integer i, j, cyc, t0, busy;
    always #5 clk = ~clk;
    always @(posedge clk) begin
        if (!busy && (acc_ren || ab_ren || ab_wen || sb_ren || kv_wen)) $display("ERR port use outside start..done");
        if (acc_ren) begin
            if (acc_raddr % {accw} != 0) $display("ERR acc align %0d", acc_raddr);
            for (j = 0; j < {accw}; j = j + 1) acc_rdata[8*j +: 8] <= acc[(acc_raddr + j) % {accb}];
        end else acc_rdata <= {{{accw}{{8'hxx}}}};
        if (ab_ren) begin
            if (ab_raddr % {abw} != 0) $display("ERR ab align %0d", ab_raddr);
            for (j = 0; j < {abw}; j = j + 1) ab_rdata[8*j +: 8] <= abuf[(ab_raddr + j) % {abb}];
        end else ab_rdata <= {{{abw}{{8'hxx}}}};
        if (sb_ren) begin
            if (sb_raddr % {sbw} != 0) $display("ERR sb align %0d", sb_raddr);
            for (j = 0; j < {sbw}; j = j + 1) sb_rdata[8*j +: 8] <= sbuf[(sb_raddr + j) % {sbb}];
        end else sb_rdata <= {{{sbw}{{8'hxx}}}};
        if (ab_wen) begin
            if (ab_waddr % {abw} != 0) $display("ERR ab waddr align %0d", ab_waddr);
            for (j = 0; j < {abw}; j = j + 1) if (ab_wstrb[j]) abuf[ab_waddr + j] <= ab_wdata[8*j +: 8];
        end
        if (kv_wen) begin
            if (kv_waddr % {kvwb} != 0) $display("ERR kv waddr align %0d", kv_waddr);
            for (j = 0; j < {kvwb}; j = j + 1) begin
                if (kv_wnib[2*j]) kv[kv_waddr + j][3:0] <= kv_wdata[8*j +: 4];
                if (kv_wnib[2*j+1]) kv[kv_waddr + j][7:4] <= kv_wdata[8*j+4 +: 4];
                if (kv_wstrb[j] != (kv_wnib[2*j] | kv_wnib[2*j+1])) $display("ERR kv strobes");
            end
        end
    end
    initial begin
        $readmemh("abuf.hex", abuf); $readmemh("acc.hex", acc); $readmemh("sbuf.hex", sbuf);
        $readmemh("kv.hex", kv); $readmemh("prog.hex", prog);
        busy = 0; cyc = 0;
        repeat (3) @(posedge clk);
        #1 rst = 0;
        for (i = 0; i < {n}; i = i + 1) begin
            @(posedge clk); #1 start = 1; instr = prog[i]; busy = 1; t0 = cyc;
            @(posedge clk); #1 start = 0; instr = 256'hx;
            while (!done) begin @(posedge clk); #1; end
            $display("CYC %0d", cyc - t0);
            @(posedge clk); #1 busy = 0;
        end
        for (j = 0; j <= {abn}; j = j + 1) $display("AB %0d %02x", j, abuf[j]);
        for (j = 0; j <= {kvn}; j = j + 1) $display("KV %0d %02x", j, kv[j]);
        $finish;
    end
    always @(posedge clk) cyc <= cyc + 1;
    initial begin #({n} * 40000 + 100000); $display("ERR timeout"); $finish; end
endmodule
"#,
        accm = 32 * l - 1,
        abm = ab * l - 1,
        absm = ab / 8 * l - 1,
        sbm = 16 * l - 1,
        kvm = kvw - 1,
        kvsm = kvw / 8 - 1,
        kvnm = kvw / 4 - 1,
        abn = cfg.abuf_bytes - 1,
        accn = cfg.acc_bytes - 1,
        sbn = cfg.sbuf_bytes - 1,
        kvn = cfg.kvbuf_bytes - 1,
        pn = n.max(1) - 1,
        accw = 4 * l,
        accb = cfg.acc_bytes,
        abw = ab / 8 * l,
        abb = cfg.abuf_bytes,
        sbw = 2 * l,
        sbb = cfg.sbuf_bytes,
        kvwb = kvw / 8,
    )
}

/// Runs `instrs` on the unit and on the reference; returns the failures.
pub fn check_unit(cfg: &EngineConfig, seed: u64, instrs: &[Instr]) -> Vec<String> {
    let mut r = Rng(seed | 1);
    let mut m = Machine::with_memory(cfg.clone(), 4096).expect("machine");
    for b in m
        .abuf
        .iter_mut()
        .chain(m.acc.iter_mut())
        .chain(m.kvbuf.iter_mut())
    {
        *b = r.next() as u8;
    }
    // SBUF: moderate int16 values (norm weights, tables, cos/sin, multipliers).
    for i in 0..m.sbuf.len() / 2 {
        let v = (r.below(16384) as i64 - 8192) as i16;
        m.sbuf[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
    }
    // ACC: scores within ±2^20 most of the time.
    for i in 0..m.acc.len() / 4 {
        let v = if r.below(8) == 0 {
            r.next() as i32
        } else {
            (r.below(1 << 21) as i64 - (1 << 20)) as i32
        };
        m.acc[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    let d = super::icarus::scratch(&format!("unit-{}-{seed}", cfg.name));
    let w = |name: &str, s: String| std::fs::write(d.join(name), s).unwrap();
    w("abuf.hex", hex_bytes(&m.abuf));
    w("acc.hex", hex_bytes(&m.acc));
    w("sbuf.hex", hex_bytes(&m.sbuf));
    w("kv.hex", hex_bytes(&m.kvbuf));
    w("prog.hex", instrs.iter().map(instr_hex).collect());
    let v = crate::sfu::verilog(cfg).expect("SFU Verilog");
    let out = run_icarus_in(&d, &v, &tb(cfg, instrs.len()));
    let mut fails = Vec::new();
    for (i, ins) in instrs.iter().enumerate() {
        m.step(ins)
            .unwrap_or_else(|e| panic!("reference rejects {ins:?}: {e}"));
        let _ = i;
    }
    let cyc: Vec<u64> = out
        .lines()
        .filter_map(|l| l.strip_prefix("CYC ").and_then(|c| c.trim().parse().ok()))
        .collect();
    for l in out.lines().filter(|l| l.starts_with("ERR")) {
        fails.push(l.to_string());
    }
    for (i, ins) in instrs.iter().enumerate() {
        let want = llmfab_isa::timing::sfu::cycles(ins, cfg).unwrap();
        match cyc.get(i) {
            Some(&c) if c == want => {}
            got => fails.push(format!(
                "instr {i} {}: cycles {got:?}, timing::sfu {want}",
                ins.op.layout().mnemonic
            )),
        }
    }
    for (tag, buf) in [("AB ", &m.abuf), ("KV ", &m.kvbuf)] {
        let mut bad = 0;
        let lines = out.lines().filter(|l| l.starts_with(tag)).count();
        if lines != buf.len() {
            fails.push(format!(
                "{tag}dump has {lines} bytes, expected {}",
                buf.len()
            ));
        }
        for l in out.lines().filter_map(|l| l.strip_prefix(tag)) {
            let mut it = l.split_whitespace();
            let a: usize = it.next().unwrap().parse().unwrap();
            let v = u8::from_str_radix(it.next().unwrap(), 16).unwrap_or(0xEE);
            if v != buf[a] {
                if bad < 6 {
                    fails.push(format!(
                        "{tag}byte {a}: unit {v:02x}, reference {:02x}",
                        buf[a]
                    ));
                }
                bad += 1;
            }
        }
        if bad > 0 {
            fails.push(format!("{tag}{bad} bytes differ"));
        }
    }
    let _ = std::fs::remove_dir_all(&d);
    fails
}

fn seeds() -> Vec<u64> {
    match std::env::var("SFU_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => vec![1, 2],
    }
}

fn run_config(cfg: &EngineConfig) {
    for seed in seeds() {
        let instrs = random_instrs(cfg, seed, 18);
        assert_eq!(
            instrs.len(),
            18,
            "{}: every op kind must validate",
            cfg.name
        );
        let f = check_unit(cfg, seed, &instrs);
        assert!(
            f.is_empty(),
            "{} SFU_SEED={seed}: {}\ninstrs: {instrs:?}",
            cfg.name,
            f.join("\n")
        );
    }
}

#[test]
fn unit_matches_reference_small_configs() {
    for cfg in llmfab_isa::random::small_configs() {
        run_config(&cfg);
    }
}
