//! `llmfab asm` / `llmfab disasm` end to end: round trip, config checks and
//! bad input (exit code 2, a line:column or byte-offset message, nothing written).

mod common;

use common::*;

fn dir(name: &str) -> Scratch {
    scratch("asm-cli", name)
}

const PROGRAM: &str = "; load, multiply, store
load buf=abuf rows=1 row_bytes=32 +pop_next +push_next @ \"layer0.in\"
nop queue=0 +push_next
matmul mode=1 m=1 n=8 k=4 abits=8 bbits=8 +pop_prev +push_next @ \"layer0.q_proj\"
requant src=acc dst=abuf m=1 n=8 dst_addr=0x40 mult=3 shift=2
store buf=abuf rows=1 row_bytes=32 buf_addr=0x40 +pop_prev
halt
";

#[test]
fn assemble_disassemble_round_trip_with_config() {
    let d = dir("ok");
    let src = d.join("p.s");
    std::fs::write(
        &src,
        PROGRAM.replace("+pop_next +push_next @", "+push_next @"),
    )
    .unwrap();
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, llmfab_isa::EngineConfig::tiny().to_toml()).unwrap();
    let bin = d.join("p.bin");
    let o = llmfab(&["asm", s(&src), "--config", s(&cfg), "-o", s(&bin)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&bin).unwrap();
    assert_eq!(bytes.len(), 32 + 6 * 32);
    let o = llmfab(&["disasm", s(&bin)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("matmul mode=1 bsrc=0"), "{text}");
    // The disassembly assembles to the same bytes.
    let again = d.join("again.s");
    std::fs::write(&again, &text).unwrap();
    let o = llmfab(&["asm", s(&again), "-o", s(&d.join("again.bin"))]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("again.bin")).unwrap(), bytes);
    // Default output name.
    let o = llmfab(&["asm", s(&src)]);
    assert!(o.status.success());
    assert!(d.join("p.bin").exists());
}

#[test]
fn config_violations_name_instruction_field_and_provenance() {
    let d = dir("check");
    let src = d.join("p.s");
    std::fs::write(&src, PROGRAM).unwrap();
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, llmfab_isa::EngineConfig::tiny().to_toml()).unwrap();
    let out = d.join("p.bin");
    let o = llmfab(&["asm", s(&src), "--config", s(&cfg), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("instruction 0 (load @ layer0.in): field 'pop_next': token underflow"),
        "{e}"
    );
    assert!(!out.exists(), "nothing written");
    // Without a config the same program assembles.
    let o = llmfab(&["asm", s(&src), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // An invalid config is bad input too.
    std::fs::write(&cfg, "rows = 3\n").unwrap();
    let o = llmfab(&[
        "asm",
        s(&src),
        "--config",
        s(&cfg),
        "-o",
        s(&d.join("x.bin")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("tiny.toml"), "{}", stderr(&o));
}

#[test]
fn malformed_assembly_reports_line_and_column() {
    let d = dir("bad");
    let src = d.join("bad.s");
    std::fs::write(&src, "nop\nmatmul m=1 k=2000000\nhalt\nmatmull\n").unwrap();
    let out = d.join("bad.bin");
    let o = llmfab(&["asm", s(&src), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("bad.s:2:14: value 2000000 does not fit field 'k' (20 bits"),
        "{e}"
    );
    assert!(
        e.contains("bad.s:4:1: unknown mnemonic 'matmull'; did you mean 'matmul'?"),
        "{e}"
    );
    assert!(!out.exists());
    assert!(
        !std::fs::read_dir(&d).unwrap().any(|f| f
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("tmp")),
        "no temporary left"
    );
    let o = llmfab(&["asm", s(&d.join("missing.s")), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read"));
}

#[test]
fn corrupt_binaries_report_the_byte_offset() {
    let d = dir("bin");
    let src = d.join("p.s");
    std::fs::write(&src, "nop queue=1\nhalt\n").unwrap();
    let bin = d.join("p.bin");
    assert!(llmfab(&["asm", s(&src), "-o", s(&bin)]).status.success());
    let good = std::fs::read(&bin).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            good[..good.len() - 5].to_vec(),
            "byte offset 91: expected 2 instructions",
        ),
        (
            good[..10].to_vec(),
            "byte offset 10: expected a 32-byte header",
        ),
        (
            {
                let mut b = good.clone();
                b[0] = b'X';
                b
            },
            "byte offset 0: expected magic",
        ),
        (
            {
                let mut b = good.clone();
                b[64] = 0x7e;
                b
            },
            "byte offset 64: unknown opcode 0x7e (instruction 1)",
        ),
        (
            {
                let mut b = good.clone();
                b[32 + 20] = 1;
                b
            },
            "byte offset 32: instruction 0 (nop) sets bits outside its fields",
        ),
    ];
    for (bytes, want) in cases {
        let f = d.join("c.bin");
        std::fs::write(&f, &bytes).unwrap();
        let o = llmfab(&["disasm", s(&f)]);
        assert_eq!(o.status.code(), Some(2), "{want}");
        assert!(stderr(&o).contains(want), "{want}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
}
