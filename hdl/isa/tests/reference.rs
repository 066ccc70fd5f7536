//! The reference interpreter against hand-computed results (values pinned
//! from an independent Python computation of docs/engine.md §5), the
//! addressing of every buffer, and its errors.

use llmfab_isa::asm::{parse, parse_instr};
use llmfab_isa::reference::mem;
use llmfab_isa::{Buf, EngineConfig, IsaError, Machine};

fn machine(cfg: EngineConfig) -> Machine {
    Machine::with_memory(cfg, 65536).unwrap()
}

fn exec(m: &mut Machine, line: &str) {
    let (ins, _) = parse_instr(line).unwrap();
    m.execute(0, &ins).unwrap_or_else(|e| panic!("{line}: {e}"));
}

fn exec_err(m: &mut Machine, line: &str) -> String {
    let (ins, _) = parse_instr(line).unwrap();
    m.execute(7, &ins).unwrap_err().to_string()
}

fn set_i8(m: &mut Machine, buf: Buf, addr: usize, v: &[i64]) {
    for (i, &x) in v.iter().enumerate() {
        m.buffer_mut(buf)[addr + i] = x as u8;
    }
}

fn set_i16(m: &mut Machine, buf: Buf, addr: usize, v: &[i64]) {
    for (i, &x) in v.iter().enumerate() {
        m.buffer_mut(buf)[addr + 2 * i..addr + 2 * i + 2]
            .copy_from_slice(&(x as i16).to_le_bytes());
    }
}

fn set_i32(m: &mut Machine, addr: usize, v: &[i64]) {
    for (i, &x) in v.iter().enumerate() {
        mem::set_i32(&mut m.acc, addr + 4 * i, x);
    }
}

fn get_i8(m: &Machine, buf: Buf, addr: u64, n: u64) -> Vec<i64> {
    m.region(buf, addr, n)
        .unwrap()
        .iter()
        .map(|&b| b as i8 as i64)
        .collect()
}

fn get_i16(m: &Machine, addr: u64, n: u64) -> Vec<i64> {
    let r = m.region(Buf::Abuf, addr, 2 * n).unwrap();
    (0..n as usize).map(|i| mem::i16_at(r, 2 * i)).collect()
}

fn acc(m: &Machine, addr: u64, n: u64) -> Vec<i64> {
    (0..n)
        .map(|i| m.acc_i32(addr + 4 * i).unwrap() as i64)
        .collect()
}

/// Writes weight `b(k, n)` where the tile-major layout of §5.2 puts it.
fn put_weight(m: &mut Machine, b_row0: u64, kk: u64, n: u64, k: u64, v: i64) {
    let cfg = m.cfg.clone();
    let (r, c) = (cfg.rows as u64, cfg.cols as u64);
    let kt = kk.div_ceil(r);
    let row = b_row0 + (n / c) * kt + k / r;
    let i = (n % c) * r + k % r;
    let tile = cfg.tile_bytes() as usize;
    let bits = cfg.weight_bits;
    mem::set(
        &mut m.wbuf[row as usize * tile..(row as usize + 1) * tile],
        i as usize,
        bits,
        v,
    );
}

fn wval(k: u64, n: u64, bits: u32) -> i64 {
    let span = 1i64 << bits;
    ((k * 7 + n * 3) as i64 % span) - span / 2
}

#[test]
fn matmul_weight_buffer_tile_major() {
    let mut m = machine(EngineConfig::tiny());
    let (mm, n, k) = (3u64, 10u64, 6u64);
    for kk in 0..k {
        for nn in 0..n {
            put_weight(&mut m, 2, k, nn, kk, wval(kk, nn, 8));
        }
    }
    let a: Vec<Vec<i64>> = (0..mm)
        .map(|i| {
            (0..k)
                .map(|j| (i as i64 * 5 - j as i64 * 11) % 128)
                .collect()
        })
        .collect();
    for (i, row) in a.iter().enumerate() {
        set_i8(&mut m, Buf::Abuf, 64 + 8 * i, row);
    }
    set_i32(&mut m, 128, &[1000; 10]);
    exec(
        &mut m,
        "matmul m=3 n=10 k=6 a_addr=64 a_pitch=8 b_addr=64 acc_addr=0 acc_pitch=64 abits=8 bbits=8",
    );
    for i in 0..mm {
        let want: Vec<i64> = (0..n)
            .map(|nn| {
                (0..k)
                    .map(|kk| a[i as usize][kk as usize] * wval(kk, nn, 8))
                    .sum()
            })
            .collect();
        assert_eq!(acc(&m, 64 * i, n), want, "row {i}");
    }
    // Accumulate adds to what is there (row 2 started at 1000 + previous result).
    let before = acc(&m, 128, n);
    exec(
        &mut m,
        "matmul mode=1 accumulate=1 m=1 n=10 k=6 a_addr=80 b_addr=64 acc_addr=128 abits=8 bbits=8",
    );
    let want: Vec<i64> = (0..n)
        .map(|nn| {
            before[nn as usize]
                + (0..k)
                    .map(|kk| a[2][kk as usize] * wval(kk, nn, 8))
                    .sum::<i64>()
        })
        .collect();
    assert_eq!(acc(&m, 128, n), want);
}

#[test]
fn matmul_int4_weights_pack_low_nibble_first_and_wrap32() {
    let cfg = EngineConfig {
        rows: 8,
        weight_bits: 4,
        group_size: 8,
        ..EngineConfig::tiny()
    };
    let mut m = machine(cfg);
    // Tile = 8×8×4/8 = 32 bytes; b(0,0) is the low nibble of byte 0, b(1,0) the high nibble.
    m.wbuf[0] = 0x9f; // b(0,0) = -1, b(1,0) = -7
    set_i8(&mut m, Buf::Abuf, 0, &[3, 5]);
    exec(&mut m, "matmul m=1 n=1 k=2 abits=8 bbits=4");
    assert_eq!(acc(&m, 0, 1), vec![-3 - 35]);
    // wrap32: accumulate onto i32::MAX.
    set_i32(&mut m, 0, &[i32::MAX as i64]);
    set_i8(&mut m, Buf::Abuf, 0, &[-1, 0]);
    exec(&mut m, "matmul accumulate=1 m=1 n=1 k=2 abits=8 bbits=4");
    assert_eq!(acc(&m, 0, 1), vec![i32::MIN as i64]);
}

#[test]
fn matmul_dequant_per_group() {
    let mut m = machine(EngineConfig::tiny()); // R=4, C=8, G=8
    let (n, k) = (9u64, 16u64); // NT=2, KT=4, NG=2
    for kk in 0..k {
        for nn in 0..n {
            put_weight(&mut m, 0, k, nn, kk, wval(kk, nn, 8));
        }
    }
    let a: Vec<i64> = (0..k as i64).map(|j| 50 - 9 * j).collect();
    set_i8(&mut m, Buf::Abuf, 0, &a);
    // Scales after the 8 weight tiles: s(g, n) at s_addr + ((n/C)·NG + g)·2C + (n mod C)·2.
    let s_addr = 8 * 32;
    let scale = |g: u64, nn: u64| (nn as i64 - 4) * 300 + g as i64 * 77 - 5;
    for nn in 0..n {
        for g in 0..2 {
            let at = s_addr + ((nn / 8) * 2 + g) * 16 + (nn % 8) * 2;
            set_i16(&mut m, Buf::Wbuf, at as usize, &[scale(g, nn)]);
        }
    }
    exec(
        &mut m,
        &format!("matmul dequant=1 dq_shift=3 m=1 n=9 k=16 abits=8 bbits=8 s_addr={s_addr}"),
    );
    let rnd = |x: i64, s: u32| (x + (1 << (s - 1))) >> s;
    let want: Vec<i64> = (0..n)
        .map(|nn| {
            (0..2)
                .map(|g| {
                    let p: i64 = (g * 8..g * 8 + 8)
                        .map(|kk| a[kk as usize] * wval(kk, nn, 8))
                        .sum();
                    rnd(p * scale(g, nn), 3)
                })
                .sum()
        })
        .collect();
    assert_eq!(acc(&m, 0, n), want);
}

#[test]
fn matmul_from_kv_rows_plain_and_transposed_int4() {
    let cfg = EngineConfig {
        rows: 8,
        kv_bits: 4,
        ..EngineConfig::tiny()
    }; // unit = 8·4/8 = 4 bytes
    let mut m = machine(cfg);
    let kv = |k: u64, n: u64| ((k * 3 + n * 5) % 16) as i64 - 8;
    let (n, k) = (5u64, 3u64);
    // btrans=0: KV row (at byte 4 of rows 2..5) holds element n of row k.
    for kk in 0..k {
        let row = &mut m.kvbuf[((2 + kk) * 32 + 4) as usize..];
        for nn in 0..n {
            mem::set(row, nn as usize, 4, kv(kk, nn));
        }
    }
    set_i8(&mut m, Buf::Abuf, 0, &[7, -3, 2]);
    exec(
        &mut m,
        "matmul bsrc=1 m=1 n=5 k=3 b_addr=68 abits=8 bbits=4",
    );
    let want: Vec<i64> = (0..n)
        .map(|nn| 7 * kv(0, nn) - 3 * kv(1, nn) + 2 * kv(2, nn))
        .collect();
    assert_eq!(acc(&m, 0, n), want);
    // btrans=1: row n holds element k.
    for nn in 0..n {
        let row = &mut m.kvbuf[((10 + nn) * 32) as usize..];
        for kk in 0..k {
            mem::set(row, kk as usize, 4, kv(kk, nn));
        }
    }
    exec(
        &mut m,
        "matmul bsrc=1 btrans=1 m=1 n=5 k=3 b_addr=320 acc_addr=32 abits=8 bbits=4",
    );
    assert_eq!(acc(&m, 32, n), want);
}

#[test]
fn requant_rounds_saturates_and_packs_kv() {
    let mut m = machine(EngineConfig::tiny());
    set_i32(&mut m, 0, &[1000, -1000, 100, -8, 7, 0, 0, 0]);
    exec(
        &mut m,
        "requant src=acc dst=abuf m=1 n=5 src_addr=0 dst_addr=0x100 mult=3 shift=4",
    );
    // rnd(3000, 4) = 188 → 127; rnd(-3000, 4) = -187 → -128; rnd(300, 4) = 19; rnd(-24, 4) = -1 (half up); rnd(21, 4) = 1.
    assert_eq!(get_i8(&m, Buf::Abuf, 0x100, 5), vec![127, -128, 19, -1, 1]);
    set_i16(&mut m, Buf::Sbuf, 64, &[1, -1, 2, 16, 1]);
    exec(
        &mut m,
        "requant src=acc dst=abuf col_scale=1 s_addr=64 m=1 n=5 src_addr=0 dst_addr=0x100 shift=0",
    );
    assert_eq!(
        get_i8(&m, Buf::Abuf, 0x100, 5),
        vec![127, 127, 127, -128, 7]
    );
    // To 8-bit KV rows: dst_pitch is a row; from ABUF.
    set_i8(
        &mut m,
        Buf::Abuf,
        0x200,
        &[10, -20, 30, -40, 50, -60, 70, -80],
    );
    exec(&mut m, "requant src=abuf dst=kvbuf m=2 n=4 src_addr=0x200 src_pitch=4 dst_addr=0x44 dst_pitch=32 mult=-2 shift=1");
    assert_eq!(get_i8(&m, Buf::Kvbuf, 0x44, 4), vec![-10, 20, -30, 40]);
    assert_eq!(get_i8(&m, Buf::Kvbuf, 0x64, 4), vec![-50, 60, -70, 80]);
    // 4-bit KV: element n at nibble n, other nibbles untouched; saturates to [-8, 7].
    let mut m4 = machine(EngineConfig {
        kv_bits: 4,
        ..EngineConfig::tiny()
    });
    m4.kvbuf[1] = 0xa0;
    set_i32(&mut m4, 0, &[5, -100, 100]);
    exec(
        &mut m4,
        "requant src=acc dst=kvbuf m=1 n=3 src_addr=0 dst_addr=0 mult=1",
    );
    assert_eq!(&m4.kvbuf[..2], &[0x85, 0xa7]);
}

#[test]
fn softmax_plain_causal_and_int16() {
    let mut m = machine(EngineConfig::tiny());
    set_i32(&mut m, 0, &[10, 0, -20, 5]);
    set_i32(&mut m, 16, &[10, 0, -20, 5]);
    exec(&mut m, "softmax m=1 n=4 src=0 dst=0x40 imm0=16 shift=2");
    assert_eq!(get_i8(&m, Buf::Abuf, 0x40, 4), vec![93, 8, 0, 27]);
    // Causal, imm2 = 0: row 0 keeps column 0 only, row 1 columns 0..=1.
    exec(
        &mut m,
        "softmax flags=1 m=2 n=4 src=0 src_pitch=16 dst=0x40 dst_pitch=4 imm0=16 shift=2",
    );
    assert_eq!(get_i8(&m, Buf::Abuf, 0x40, 4), vec![127, 0, 0, 0]);
    assert_eq!(get_i8(&m, Buf::Abuf, 0x44, 4), vec![118, 10, 0, 0]);
    let mut m16 = machine(EngineConfig {
        act_bits: 16,
        ..EngineConfig::tiny()
    });
    set_i32(&mut m16, 0, &[10, 0, -20, 5]);
    exec(&mut m16, "softmax m=1 n=4 src=0 dst=0x40 imm0=16 shift=2");
    assert_eq!(get_i16(&m16, 0x40, 4), vec![23933, 1964, 13, 6857]);
}

#[test]
fn norms_tables_rope_add_mul() {
    let mut m = machine(EngineConfig::tiny());
    set_i8(&mut m, Buf::Abuf, 0, &[3, 4, -5, 100]);
    set_i16(
        &mut m,
        Buf::Sbuf,
        0,
        &[1024, 2048, -4096, 300, 5, -7, 100, -128],
    );
    exec(
        &mut m,
        "rmsnorm m=1 n=4 src=0 dst=0x40 s_addr=0 imm0=16384 imm1=16 imm2=1 shift=16",
    );
    assert_eq!(get_i8(&m, Buf::Abuf, 0x40, 4), vec![31, 82, 127, 127]);
    exec(
        &mut m,
        "layernorm m=1 n=4 src=0 dst=0x40 s_addr=0 imm0=16384 imm1=16 imm2=1 shift=19",
    );
    assert_eq!(get_i8(&m, Buf::Abuf, 0x40, 4), vec![-29, -73, 127, -96]);

    // silu / gelu, int8: y = T[x + 128].
    let t: Vec<i64> = (0..257).map(|i| 10 * i - 1000).collect();
    set_i16(&mut m, Buf::Sbuf, 1024, &t);
    set_i8(&mut m, Buf::Abuf, 0x80, &[-128, -1, 0, 127]);
    exec(&mut m, "silu m=1 n=4 src=0x80 dst=0x80 s_addr=1024");
    assert_eq!(get_i8(&m, Buf::Abuf, 0x80, 4), vec![-128, 127, 127, 127]);
    set_i8(&mut m, Buf::Abuf, 0x80, &[-30, -20, 0, 0]);
    exec(&mut m, "gelu m=1 n=2 src=0x80 dst=0x84 s_addr=1024");
    assert_eq!(get_i8(&m, Buf::Abuf, 0x84, 2), vec![-20, 80]);

    // rope, head width 4, table row of instruction row m at s_addr + m·imm2.
    set_i8(&mut m, Buf::Abuf, 0xc0, &[0, 0, 0, 0, 100, -50, 20, 7]);
    set_i16(
        &mut m,
        Buf::Sbuf,
        600,
        &[0, 0, 0, 0, 16384, 0, 11585, 11585],
    );
    exec(
        &mut m,
        "rope m=2 n=4 src=0xc0 src_pitch=4 dst=0xc0 dst_pitch=4 s_addr=600 imm0=4 imm2=8",
    );
    assert_eq!(get_i8(&m, Buf::Abuf, 0xc4, 4), vec![100, -40, 20, -30]);
    assert_eq!(get_i8(&m, Buf::Abuf, 0xc0, 4), vec![0, 0, 0, 0]);

    set_i8(&mut m, Buf::Abuf, 0x100, &[10, -20, 127, -128]);
    set_i8(&mut m, Buf::Abuf, 0x140, &[3, 3, -128, -128]);
    exec(
        &mut m,
        "add m=1 n=4 src=0x100 src2=0x140 dst=0x180 imm0=300 imm1=-200 shift=8",
    );
    assert_eq!(get_i8(&m, Buf::Abuf, 0x180, 4), vec![9, -26, 127, -50]);
    exec(
        &mut m,
        "mul m=1 n=4 src=0x100 src2=0x140 dst=0x140 imm0=-5 shift=6",
    );
    assert_eq!(get_i8(&m, Buf::Abuf, 0x140, 4), vec![-2, 5, 127, -128]);
}

#[test]
fn silu_int16_interpolates() {
    let mut m = machine(EngineConfig {
        act_bits: 16,
        ..EngineConfig::tiny()
    });
    let t: Vec<i64> = (0..257).map(|i| 10 * i - 1000).collect();
    set_i16(&mut m, Buf::Sbuf, 0, &t);
    set_i16(
        &mut m,
        Buf::Abuf,
        0,
        &[-32768, -1, 0, 255, 300, 32767, -129, 0],
    );
    exec(&mut m, "silu m=1 n=7 src=0 dst=0x40 s_addr=0");
    assert_eq!(
        get_i16(&m, 0x40, 7),
        vec![-1000, 280, 280, 290, 292, 1560, 275]
    );
}

#[test]
fn dma_addressing_per_buffer() {
    // Two channels: tile 8×8 = 64 bytes, slice 32 bytes per channel.
    let cfg = EngineConfig {
        rows: 8,
        cols: 8,
        channels: 2,
        group_size: 8,
        ..EngineConfig::tiny()
    };
    let mut m = machine(cfg);
    for (c, mem) in m.hbm.iter_mut().enumerate() {
        for (i, b) in mem.iter_mut().enumerate() {
            *b = (i / 32 + 16 * c) as u8; // every beat holds its index (+16 on channel 1)
        }
    }
    // WBUF: channel 1 streams 3 beats into slice 1 of tile rows 2, 3, 4.
    exec(
        &mut m,
        "load ch=1 buf=wbuf rows=3 row_bytes=32 hbm_addr=0x40 hbm_stride=64 buf_addr=160",
    );
    for (row, beat) in [(2usize, 2u8), (3, 4), (4, 6)] {
        assert!(
            m.wbuf[row * 64 + 32..row * 64 + 64]
                .iter()
                .all(|&b| b == beat + 16),
            "row {row}"
        );
        assert!(
            m.wbuf[row * 64..row * 64 + 32].iter().all(|&b| b == 0),
            "slice 0 of row {row} untouched"
        );
    }
    // KVBUF: rows 1 and 5 (both odd: channel 1), stride 4 rows.
    exec(&mut m, "load ch=1 buf=kvbuf rows=2 row_bytes=32 hbm_addr=0 hbm_stride=32 buf_addr=32 buf_stride=128");
    assert_eq!((m.kvbuf[32], m.kvbuf[5 * 32], m.kvbuf[3 * 32]), (16, 17, 0));
    // ABUF rows, then a store back with a memory stride.
    exec(&mut m, "load buf=abuf rows=2 row_bytes=32 hbm_addr=0x100 hbm_stride=96 buf_addr=0x40 buf_stride=64");
    assert_eq!((m.abuf[0x40], m.abuf[0x80], m.abuf[0x60]), (8, 11, 0));
    exec(&mut m, "store buf=abuf rows=2 row_bytes=32 hbm_addr=0x2000 hbm_stride=64 buf_addr=0x40 buf_stride=64");
    assert_eq!(
        (m.hbm[0][0x2000], m.hbm[0][0x2040], m.hbm[0][0x2020]),
        (8, 11, (0x2020 / 32) as u8)
    );
    exec(
        &mut m,
        "store ch=1 buf=kvbuf rows=1 row_bytes=32 hbm_addr=0 buf_addr=160",
    );
    assert_eq!(m.hbm[1][0], 17);
}

#[test]
fn errors_name_instruction_and_field() {
    let mut m = Machine::with_memory(EngineConfig::tiny(), 1024).unwrap();
    let e = exec_err(
        &mut m,
        "load buf=abuf rows=2 row_bytes=32 hbm_addr=0x3e0 hbm_stride=32 buf_stride=32",
    );
    assert!(
        e.contains("instruction 7 (load)") && e.contains("'hbm_addr'") && e.contains("1024 bytes"),
        "{e}"
    );
    let e = exec_err(&mut m, "matmul m=1 n=8 k=4 a_addr=4094 abits=8 bbits=8");
    assert!(e.contains("'a_addr'") && e.contains("multiple of 4"), "{e}");
    let e = exec_err(&mut m, "softmax m=1 n=2000 src=0 dst=0");
    assert!(e.contains("past the end of acc"), "{e}");
    // Token underflow in program order, with provenance.
    let p = parse("nop queue=1\nmatmul m=1 n=1 k=1 abits=8 bbits=8 +pop_prev @ \"layer0.q\"\nhalt")
        .unwrap();
    let e = m.run(&p).unwrap_err();
    match &e {
        IsaError::Exec {
            index,
            field,
            provenance,
            ..
        } => {
            assert_eq!(
                (*index, *field, provenance.as_deref()),
                (1, "pop_prev", Some("layer0.q"))
            );
        }
        other => panic!("{other}"),
    }
    assert!(
        e.to_string().contains("token underflow: no L→C token"),
        "{e}"
    );
    // Overflow after 255 pushes.
    let mut text = String::new();
    for _ in 0..256 {
        text.push_str("nop queue=0 +push_next\n");
    }
    let e = m.run(&parse(&text).unwrap()).unwrap_err().to_string();
    assert!(
        e.contains("instruction 255") && e.contains("overflow"),
        "{e}"
    );
    // Halt stops the run; instructions after it do not execute.
    let p = parse("halt\nmatmul m=0").unwrap();
    assert_eq!(m.run(&p).unwrap(), 1);
    assert!(Machine::new(EngineConfig::tiny(), vec![]).is_err());
}
