//! Every rule of docs/engine.md §4–5 that `check` enforces: one violating
//! instruction each, with the field it must name.

use llmfab_isa::asm::{parse, parse_instr};
use llmfab_isa::{check_instr, check_program, EngineConfig, IsaError};

fn problems(cfg: &EngineConfig, line: &str) -> Vec<(String, String)> {
    let (ins, _) = parse_instr(line).unwrap();
    check_instr(cfg, 3, &ins)
        .into_iter()
        .map(|p| (p.field.to_string(), p.to_string()))
        .collect()
}

/// Valid instructions for `tiny` (R=4, C=8, int8, L=4, beat 32, KV rows of 32).
const VALID: &[&str] = &[
    "nop queue=0 +pop_next +push_next",
    "nop queue=2 +pop_prev +push_prev",
    "load buf=abuf rows=2 row_bytes=64 hbm_addr=0x20 hbm_stride=0 buf_addr=0x40 buf_stride=64",
    "load buf=wbuf rows=4 row_bytes=32 hbm_addr=0x0 hbm_stride=32 buf_addr=0x40",
    "load buf=kvbuf rows=3 row_bytes=32 buf_addr=0x20 buf_stride=64",
    "load buf=sbuf rows=1 row_bytes=32",
    "store buf=kvbuf rows=3 row_bytes=32 hbm_stride=32 buf_addr=0x20 buf_stride=0",
    "store buf=abuf rows=1 row_bytes=32 +pop_prev +push_prev",
    "matmul m=2 n=9 k=5 a_pitch=8 acc_pitch=64 abits=8 bbits=8 dequant=1 s_addr=0x100 +pop_prev +pop_next +push_prev +push_next",
    "matmul bsrc=1 btrans=1 m=1 n=4 k=8 b_addr=0x48 abits=8 bbits=8",
    "requant src=acc dst=kvbuf m=2 n=8 src_pitch=32 dst_addr=0x24 dst_pitch=32 col_scale=1 s_addr=0x7e8",
    "requant src=abuf dst=abuf m=2 n=8 src_addr=0x40 src_pitch=8 dst_addr=0x40 dst_pitch=8",
    "softmax flags=1 m=2 n=5 src_pitch=32 dst=0x100 dst_pitch=8",
    "rmsnorm m=1 n=16 src=0x0 dst=0x0 s_addr=0x7e0",
    "layernorm m=1 n=16 src=0x0 dst=0x10 s_addr=0x7c0",
    "silu m=1 n=4 s_addr=0x5f8",
    "gelu m=2 n=4 src_pitch=4 dst=0x8 dst_pitch=4",
    "rope m=2 n=8 src_pitch=8 dst=0x40 dst_pitch=8 imm0=4 imm2=8",
    "add m=1 n=4 src=0x0 src2=0x4 dst=0x4 imm0=-1",
    "mul m=1 n=4 src=0x0 src2=0x8 dst=0x0",
    "halt",
];

#[test]
fn valid_instructions_pass() {
    let cfg = EngineConfig::tiny();
    for line in VALID {
        assert_eq!(problems(&cfg, line), vec![], "{line}");
    }
}

#[test]
fn each_rule_names_its_field() {
    let cfg = EngineConfig::tiny();
    let cases: &[(&str, &str, &str)] = &[
        // Flags and queues.
        ("nop queue=3", "queue", "0 (load), 1 (compute) or 2 (store)"),
        ("nop queue=0 +pop_prev", "pop_prev", "load queue"),
        (
            "load buf=abuf rows=1 row_bytes=32 +push_prev",
            "push_prev",
            "load queue",
        ),
        (
            "store buf=abuf rows=1 row_bytes=32 +push_next",
            "push_next",
            "store queue",
        ),
        ("halt +pop_next", "pop_next", "control"),
        // DMA.
        ("load ch=1 buf=abuf rows=1 row_bytes=32", "ch", "below 1"),
        (
            "load buf=acc rows=1 row_bytes=32",
            "buf",
            "abuf, wbuf, kvbuf or sbuf",
        ),
        ("load buf=7 rows=1 row_bytes=32", "buf", "= 7"),
        ("store buf=sbuf rows=1 row_bytes=32", "buf", "load-only"),
        ("load buf=abuf rows=0 row_bytes=32", "rows", "at least 1"),
        (
            "load buf=abuf rows=1 row_bytes=16",
            "row_bytes",
            "at least one 32-byte beat",
        ),
        (
            "load buf=abuf rows=1 row_bytes=48",
            "row_bytes",
            "multiple of 32",
        ),
        (
            "load buf=abuf rows=1 row_bytes=32 hbm_addr=0x10",
            "hbm_addr",
            "multiple of 32",
        ),
        (
            "load buf=abuf rows=2 row_bytes=32 hbm_stride=8",
            "hbm_stride",
            "multiple of 32",
        ),
        (
            "load buf=abuf rows=1 row_bytes=32 buf_addr=0x8",
            "buf_addr",
            "multiple of 32",
        ),
        (
            "load buf=abuf rows=2 row_bytes=32 buf_stride=0",
            "buf_stride",
            "do not overlap",
        ),
        (
            "store buf=abuf rows=2 row_bytes=64 hbm_stride=32 buf_stride=64",
            "hbm_stride",
            "do not overlap",
        ),
        (
            "load buf=sbuf rows=3 row_bytes=1024 buf_stride=1024",
            "buf_addr",
            "past the end of sbuf",
        ),
        (
            "load buf=wbuf rows=1 row_bytes=32 buf_stride=32",
            "buf_stride",
            "one byte stream",
        ),
        (
            "load buf=wbuf rows=1 row_bytes=32 buf_addr=0x10",
            "buf_addr",
            "own",
        ),
        (
            "load buf=wbuf rows=2 row_bytes=32 buf_addr=0xfe0",
            "rows",
            "past the end of wbuf",
        ),
        (
            "load buf=kvbuf rows=1 row_bytes=32 buf_addr=0x10",
            "buf_addr",
            "multiple of 32",
        ),
        (
            "load buf=kvbuf rows=2 row_bytes=32 buf_stride=0",
            "buf_stride",
            "do not overlap",
        ),
        (
            "load buf=kvbuf rows=2 row_bytes=32 buf_addr=0xfe0 buf_stride=32",
            "rows",
            "past the last row 127",
        ),
        // matmul.
        ("matmul m=0 n=1 k=1 abits=8 bbits=8", "m", "at least 1"),
        (
            "matmul m=1 n=1 k=1 abits=16 bbits=8",
            "abits",
            "act_bits = 8",
        ),
        (
            "matmul m=1 n=1 k=1 abits=8 bbits=4",
            "bbits",
            "weight_bits (bsrc = 0) = 8",
        ),
        (
            "matmul bsrc=1 m=1 n=1 k=1 abits=8 bbits=8 dequant=1",
            "dequant",
            "weights only",
        ),
        (
            "matmul m=1 n=1 k=1 abits=8 bbits=8 btrans=1",
            "btrans",
            "bsrc = 0",
        ),
        (
            "matmul m=1 n=1 k=1 abits=8 bbits=8 a_addr=0x2",
            "a_addr",
            "A word",
        ),
        (
            "matmul m=2 n=1 k=1 abits=8 bbits=8 a_pitch=6 acc_pitch=32",
            "a_pitch",
            "A word",
        ),
        (
            "matmul m=1 n=1 k=1 abits=8 bbits=8 acc_addr=0x10",
            "acc_addr",
            "ACC word",
        ),
        (
            "matmul m=2 n=9 k=1 abits=8 bbits=8 acc_pitch=32",
            "acc_pitch",
            "destination rows do not overlap",
        ),
        (
            "matmul m=1 n=1 k=8 abits=8 bbits=8 a_addr=0xffc",
            "a_addr",
            "past the end of abuf",
        ),
        (
            "matmul m=1 n=1 k=1 abits=8 bbits=8 b_addr=0x10",
            "b_addr",
            "multiple of 32",
        ),
        (
            "matmul m=1 n=16 k=8 abits=8 bbits=8 b_addr=0xfc0",
            "b_addr",
            "past the end of wbuf",
        ),
        (
            "matmul m=1 n=1 k=1 abits=8 bbits=8 dequant=1 s_addr=0x10",
            "s_addr",
            "multiple of 32",
        ),
        (
            "matmul m=1 n=9 k=9 abits=8 bbits=8 dequant=1 s_addr=0xfe0",
            "s_addr",
            "past the end of wbuf",
        ),
        (
            "matmul bsrc=1 m=1 n=1 k=1 abits=8 bbits=8 b_addr=0x4",
            "b_addr",
            "in-row offset",
        ),
        (
            "matmul bsrc=1 m=1 n=30 k=1 abits=8 bbits=8 b_addr=0x8",
            "n",
            "do not fit a 32-byte KV row",
        ),
        (
            "matmul bsrc=1 btrans=1 m=1 n=3 k=1 abits=8 bbits=8 b_addr=0xfc0",
            "n",
            "past the last row",
        ),
        // requant.
        ("requant src=wbuf dst=abuf m=1 n=4", "src", "acc or abuf"),
        ("requant src=acc dst=sbuf m=1 n=4", "dst", "abuf or kvbuf"),
        (
            "requant src=acc dst=abuf m=1 n=4 src_addr=0x4",
            "src_addr",
            "sfu_lanes·4",
        ),
        (
            "requant src=abuf dst=abuf m=1 n=4 src_addr=0x2 dst_addr=0x40",
            "src_addr",
            "sfu_lanes·act_bytes",
        ),
        (
            "requant src=acc dst=abuf m=1 n=4 dst_addr=0x2",
            "dst_addr",
            "sfu_lanes·act_bytes",
        ),
        (
            "requant src=acc dst=kvbuf m=1 n=4 dst_addr=0x2",
            "dst_addr",
            "in-row offset",
        ),
        (
            "requant src=acc dst=kvbuf m=2 n=4 src_pitch=16 dst_pitch=16",
            "dst_pitch",
            "kv_row_bytes",
        ),
        (
            "requant src=acc dst=kvbuf m=2 n=4 src_pitch=16 dst_pitch=0",
            "dst_pitch",
            "do not overlap",
        ),
        (
            "requant src=acc dst=kvbuf m=1 n=8 dst_addr=0x1c",
            "n",
            "do not fit",
        ),
        (
            "requant src=acc dst=abuf m=1 n=4 col_scale=1 s_addr=0x2",
            "s_addr",
            "2·sfu_lanes",
        ),
        (
            "requant src=acc dst=abuf m=1 n=8 col_scale=1 s_addr=0x7f8",
            "s_addr",
            "past the end of sbuf",
        ),
        (
            "requant src=abuf dst=abuf m=1 n=8 src_addr=0x0 dst_addr=0x4",
            "dst_addr",
            "overlap",
        ),
        (
            "requant src=acc dst=abuf m=1 n=1025",
            "src_addr",
            "past the end of acc",
        ),
        // SFU.
        ("softmax flags=2 m=1 n=1", "flags", "reserved"),
        ("softmax m=1 n=1 src=0x4", "src", "sfu_lanes·4"),
        ("softmax m=1 n=0", "n", "at least 1"),
        ("rmsnorm m=1 n=4 dst=0x2 s_addr=0x0", "dst", "multiple of 4"),
        (
            "rmsnorm m=2 n=4 src_pitch=4 dst=0x40 dst_pitch=0",
            "dst_pitch",
            "do not overlap",
        ),
        ("rmsnorm m=1 n=8 src=0x0 dst=0x4", "dst", "in place"),
        ("rmsnorm m=2 n=4 src_pitch=4 dst_pitch=8", "dst", "overlap"),
        (
            "rmsnorm m=1 n=8 dst=0x40 s_addr=0x7f8",
            "s_addr",
            "past the end of sbuf",
        ),
        ("layernorm m=1 n=4 dst=0x40 s_addr=0x7f8", "s_addr", "4·n"),
        ("layernorm m=1 n=6 dst=0x40", "n", "multiple of sfu_lanes"),
        ("silu m=1 n=4 dst=0x40 s_addr=0x600", "s_addr", "257-entry"),
        ("gelu m=1 n=4 dst=0x40 s_addr=0x2", "s_addr", "2·sfu_lanes"),
        ("rope m=1 n=8 dst=0x40 imm0=3", "imm0", "even"),
        ("rope m=1 n=6 dst=0x40 imm0=4", "imm0", "dividing n = 6"),
        (
            "rope m=2 n=4 src_pitch=4 dst=0x40 dst_pitch=4 imm0=4 imm2=2",
            "imm2",
            "2·sfu_lanes",
        ),
        ("rope m=1 n=12 dst=0x40 imm0=12", "imm0", "half a head"),
        (
            "rope m=2 n=4 src_pitch=4 dst=0x40 dst_pitch=4 imm0=4 imm2=2048 s_addr=0x0",
            "s_addr",
            "past the end of sbuf",
        ),
        ("add m=1 n=4 src2=0x2 dst=0x40", "src2", "multiple of 4"),
        ("add m=1 n=8 src=0x0 src2=0x40 dst=0x44", "dst", "src2"),
        (
            "mul m=1 n=8 src2=0xffc dst=0x40",
            "src2",
            "past the end of abuf",
        ),
    ];
    let mut failures = Vec::new();
    for (line, field, text) in cases {
        let Ok((ins, _)) = parse_instr(line) else {
            failures.push(format!("{line}: does not parse"));
            continue;
        };
        let ps: Vec<(String, String)> = check_instr(&cfg, 3, &ins)
            .into_iter()
            .map(|p| (p.field.to_string(), p.to_string()))
            .collect();
        if !ps
            .iter()
            .any(|(f, m)| f == field && m.contains(text) && m.starts_with("instruction 3 ("))
        {
            failures.push(format!(
                "{line}: expected field '{field}' with \"{text}\", got {ps:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn out_of_width_fields_are_reported_first() {
    let (mut ins, _) = parse_instr("matmul m=1").unwrap();
    if let llmfab_isa::Op::Matmul(x) = &mut ins.op {
        x.m = 1 << 16;
        x.abits = 99;
    }
    let ps = check_instr(&EngineConfig::tiny(), 0, &ins);
    assert_eq!(ps.len(), 2, "{ps:?}");
    assert!(
        ps[0]
            .to_string()
            .contains("field 'm': = 65536 does not fit in 16 bits"),
        "{}",
        ps[0]
    );
}

#[test]
fn programs_collect_every_problem_with_provenance_and_tokens() {
    let cfg = EngineConfig::tiny();
    let p = parse(
        "matmul m=0 n=1 k=1 abits=8 bbits=8 +pop_prev @ \"layer1.ffn.up\"\n\
         store buf=abuf rows=1 row_bytes=32 +pop_prev\n\
         nop queue=1 +push_next\n\
         store buf=abuf rows=1 row_bytes=32 +pop_prev\n\
         halt\n\
         nop queue=2 +pop_prev\n",
    )
    .unwrap();
    let Err(IsaError::Invalid { problems }) = check_program(&cfg, &p) else {
        panic!("expected problems")
    };
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 3, "{shown:#?}");
    assert_eq!(
        shown[0],
        "instruction 0 (matmul @ layer1.ffn.up): field 'm': = 0, expected at least 1"
    );
    assert!(
        shown[1].contains("instruction 0")
            && shown[1].contains("'pop_prev': token underflow: no L→C token"),
        "{}",
        shown[1]
    );
    assert!(
        shown[2].starts_with("instruction 1 (store): field 'pop_prev': token underflow: no C→S"),
        "{}",
        shown[2]
    );
    let mut bad = cfg.clone();
    bad.rows = 3;
    assert!(matches!(
        check_program(&bad, &p),
        Err(IsaError::Config { .. })
    ));
}

#[test]
fn wide_configs_use_their_units() {
    // Two channels, 512-bit beats: slices of 64 bytes, KV row i belongs to channel i mod 2.
    let cfg = EngineConfig {
        rows: 8,
        cols: 16,
        channels: 2,
        port_bits: 512,
        kv_row_bytes: 64,
        group_size: 8,
        ..EngineConfig::tiny()
    };
    cfg.validate().unwrap();
    assert_eq!(
        problems(&cfg, "load ch=1 buf=wbuf rows=1 row_bytes=64 buf_addr=0xc0"),
        vec![]
    );
    let ps = problems(
        &cfg,
        "load ch=1 buf=kvbuf rows=1 row_bytes=64 buf_addr=0x80",
    );
    assert!(
        ps.iter()
            .any(|(f, m)| f == "buf_addr" && m.contains("belongs to channel 0")),
        "{ps:?}"
    );
    let ps = problems(
        &cfg,
        "load ch=1 buf=kvbuf rows=2 row_bytes=64 buf_addr=0x40 buf_stride=192",
    );
    assert!(
        ps.iter()
            .any(|(f, m)| f == "buf_stride" && m.contains("multiple of 2 rows")),
        "{ps:?}"
    );
    assert_eq!(
        problems(
            &cfg,
            "load ch=1 buf=kvbuf rows=2 row_bytes=64 buf_addr=0x40 buf_stride=128"
        ),
        vec![]
    );
}
