use super::*;
use crate::instr::{Add, Deps, Halt, Instr, Matmul, Nop, Op, Requant, LAYOUTS};
use crate::program::Program;
use crate::random::Rng;
use crate::IsaError;

fn err(text: &str) -> (usize, usize, String) {
    match parse(text).unwrap_err() {
        IsaError::Asm { line, col, message } => (line, col, message),
        other => panic!("not an assembly error: {other}"),
    }
}

/// An instruction with random raw field values that fit their widths.
fn random_instr(rng: &mut Rng) -> Instr {
    let l = &LAYOUTS[rng.below(LAYOUTS.len() as u64) as usize];
    let values: Vec<u64> = l
        .fields
        .iter()
        .map(|f| {
            let v = rng.next_u64() >> (64 - f.width);
            if rng.chance(0.3) {
                v & 0xff
            } else {
                v
            }
        })
        .collect();
    Instr {
        deps: Deps::from_bits(rng.below(16)),
        op: Op::from_values(l.opcode, &values).unwrap(),
    }
}

#[test]
fn round_trip_random_programs() {
    let mut rng = Rng::new(7);
    for _ in 0..200 {
        let mut p = Program::new();
        for i in 0..rng.below(20) {
            let prov = match rng.below(4) {
                0 => Some(format!("layer{i}.attn \"q\"\\\n\t; @ x")),
                1 => Some(String::new()),
                _ => None,
            };
            p.push_with(random_instr(&mut rng), prov);
        }
        let text = print(&p);
        assert_eq!(parse(&text).unwrap(), p, "{text}");
    }
}

#[test]
fn canonical_form() {
    let ins = Instr {
        deps: Deps {
            pop_prev: true,
            push_next: true,
            ..Default::default()
        },
        op: Op::Requant(Requant {
            src: 4,
            dst: 2,
            m: 2,
            n: 8,
            mult: 0xfed4,
            shift: 12,
            dst_addr: 64,
            ..Default::default()
        }),
    };
    assert_eq!(
        print_instr(&ins),
        "requant src=acc dst=kvbuf col_scale=0 shift=12 m=2 n=8 src_addr=0x0 src_pitch=0 dst_addr=0x40 dst_pitch=0 mult=-300 s_addr=0x0 +pop_prev +push_next"
    );
    let mut p = Program::new();
    p.push_from(Instr::new(Op::Halt(Halt {})), "end");
    assert_eq!(print(&p), "halt @ \"end\"\n");
}

#[test]
fn free_order_defaults_comments_and_numbers() {
    let text = "\n  ; header\nmatmul   k=0x1_0 m=1 abits=8 +push_next n=8 bbits=8 ; the q projection\r\n\tnop queue=2\nadd imm0=-32768 imm1=32767 @ \"a;b\" ; c\n";
    let p = parse(text).unwrap();
    assert_eq!(p.len(), 3);
    let Op::Matmul(m) = p.instrs()[0].op else {
        panic!()
    };
    assert_eq!(
        m,
        Matmul {
            m: 1,
            n: 8,
            k: 16,
            abits: 8,
            bbits: 8,
            ..Default::default()
        }
    );
    assert!(p.instrs()[0].deps.push_next);
    assert_eq!(p.instrs()[1].op, Op::Nop(Nop { queue: 2 }));
    assert_eq!(
        p.instrs()[2].op,
        Op::Add(Add {
            imm0: 0x8000,
            imm1: 0x7fff,
            ..Default::default()
        })
    );
    assert_eq!(p.provenance(2), Some("a;b"));
    let (ins, prov) = parse_instr("load buf=3 rows=1").unwrap();
    assert_eq!(ins.op.values()[1], 3);
    assert_eq!(prov, None);
}

#[test]
fn errors_name_line_column_and_expectation() {
    let (l, c, m) = err("nop\n  matmull m=1");
    assert_eq!((l, c), (2, 3));
    assert!(
        m.contains("unknown mnemonic 'matmull'") && m.contains("'matmul'"),
        "{m}"
    );
    let (_, c, m) = err("matmul m=1 a_adr=4");
    assert_eq!(c, 12);
    assert!(
        m.contains("did you mean 'a_addr'") && m.contains("its fields are: mode, bsrc"),
        "{m}"
    );
    let (_, c, m) = err("matmul m=65536");
    assert_eq!(c, 10);
    assert!(m.contains("16 bits") && m.contains("0..=65535"), "{m}");
    let (_, _, m) = err("requant mult=40000");
    assert!(m.contains("-32768..=32767"), "{m}");
    let (_, _, m) = err("matmul m=-1");
    assert!(m.contains("unsigned"), "{m}");
    let (_, c, m) = err("matmul m=1 m=2");
    assert_eq!(c, 12);
    assert!(m.contains("given twice (first at column 8)"), "{m}");
    let (_, c, m) = err("matmul m=");
    assert_eq!(c, 10);
    assert!(m.contains("expected a number"), "{m}");
    let (_, _, m) = err("matmul m=1x");
    assert!(m.contains("expected a blank"), "{m}");
    let (_, _, m) = err("load buf=dram");
    assert!(m.contains("unknown buffer 'dram'"), "{m}");
    let (_, _, m) = err("nop +pop_later");
    assert!(m.contains("+pop_prev"), "{m}");
    let (_, c, m) = err("nop @ \"open");
    assert_eq!(c, 7);
    assert!(m.contains("unterminated"), "{m}");
    let (_, _, m) = err("nop @ \"x\" queue=1");
    assert!(m.contains("after the provenance"), "{m}");
    let (_, _, m) = err("halt x=1");
    assert!(m.contains("halt has no fields"), "{m}");
    let (_, _, m) = err("12 nop");
    assert!(m.contains("expected a mnemonic"), "{m}");
    let (_, _, m) = err("matmul m=99999999999999999999999999999999999999999999");
    assert!(m.contains("does not fit"), "{m}");
    let errs = parse_all("nop\nbad\nnop x=1\n").unwrap_err();
    assert_eq!(errs.len(), 2);
}

#[test]
fn module_doc_example_parses() {
    let text = "; a comment runs from ';' to the end of the line; blank lines are ignored
load ch=0 buf=abuf rows=2 row_bytes=32 hbm_addr=0x1000 hbm_stride=64 buf_addr=0x0 buf_stride=32 +push_next
matmul m=1 n=8 k=16 abits=8 bbits=8 mode=1 +pop_prev @ \"layer3.attn.q_proj\"   ; any field order, missing fields are 0
requant src=acc dst=abuf m=1 n=8 dst_addr=0x100 mult=-300 shift=12 +push_next  ; a negative signed field
halt
";
    let p = parse(text).unwrap();
    assert_eq!(p.len(), 4);
    let line = print(&p).lines().nth(1).unwrap().to_string();
    assert_eq!(
        line,
        "matmul mode=1 bsrc=0 btrans=0 accumulate=0 dequant=0 dq_shift=0 m=1 n=8 k=16 a_addr=0x0 a_pitch=0 b_addr=0x0 acc_addr=0x0 acc_pitch=0 s_addr=0x0 bbits=8 abits=8 +pop_prev @ \"layer3.attn.q_proj\""
    );
    crate::check::check_program(&crate::EngineConfig::tiny(), &p).unwrap();
}
