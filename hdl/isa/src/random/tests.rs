use super::*;
use crate::check::check_program;
use crate::instr::Op;
use crate::schedule::find_race;
use std::collections::BTreeSet;

/// Names the instruction variants a batch must cover.
fn variant(ins: &Instr) -> String {
    match ins.op {
        Op::Load(l) => format!("load.{}", Buf::from_id(l.buf).unwrap().name()),
        Op::Store(s) => format!("store.{}", Buf::from_id(s.buf).unwrap().name()),
        Op::Nop(n) => format!("nop.{}", n.queue),
        Op::Matmul(x) => format!(
            "matmul.mode{}.bsrc{}.btrans{}.acc{}.dq{}",
            x.mode, x.bsrc, x.btrans, x.accumulate, x.dequant
        ),
        Op::Requant(x) => format!(
            "requant.{}.{}.cs{}",
            Buf::from_id(x.src).unwrap().name(),
            Buf::from_id(x.dst).unwrap().name(),
            x.col_scale
        ),
        Op::Softmax(x) => format!("softmax.causal{}", x.flags),
        other => other.layout().mnemonic.to_string(),
    }
}

fn expected_variants() -> BTreeSet<String> {
    let mut v: BTreeSet<String> = ["abuf", "wbuf", "kvbuf", "sbuf"]
        .iter()
        .map(|b| format!("load.{b}"))
        .collect();
    v.extend(
        [
            "store.abuf",
            "store.kvbuf",
            "nop.0",
            "nop.1",
            "nop.2",
            "softmax.causal0",
            "softmax.causal1",
        ]
        .map(String::from),
    );
    v.extend(
        [
            "rmsnorm",
            "layernorm",
            "silu",
            "gelu",
            "rope",
            "add",
            "mul",
            "halt",
        ]
        .map(String::from),
    );
    for mode in 0..2 {
        for acc in 0..2 {
            for dq in 0..2 {
                v.insert(format!("matmul.mode{mode}.bsrc0.btrans0.acc{acc}.dq{dq}"));
            }
            for bt in 0..2 {
                v.insert(format!("matmul.mode{mode}.bsrc1.btrans{bt}.acc{acc}.dq0"));
            }
        }
    }
    for src in ["acc", "abuf"] {
        for dst in ["abuf", "kvbuf"] {
            for cs in 0..2 {
                v.insert(format!("requant.{src}.{dst}.cs{cs}"));
            }
        }
    }
    v
}

#[test]
fn random_programs_are_valid_and_run_on_every_small_config() {
    for cfg in small_configs() {
        cfg.validate().unwrap();
        let seeds = if cfg.name == "tiny" { 500 } else { 200 };
        let mut seen = BTreeSet::new();
        for seed in 0..seeds {
            let (prog, hbm) = random_program(&cfg, seed)
                .unwrap_or_else(|e| panic!("{} seed {seed}: {e}", cfg.name));
            check_program(&cfg, &prog).unwrap_or_else(|e| panic!("{} seed {seed}: {e}", cfg.name));
            let mut m = hbm.machine(&cfg).unwrap();
            let n = m
                .run(&prog)
                .unwrap_or_else(|e| panic!("{} seed {seed}: {e}", cfg.name));
            assert_eq!(n, prog.len());
            seen.extend(prog.instrs().iter().map(variant));
        }
        let missing: Vec<_> = expected_variants().difference(&seen).cloned().collect();
        assert!(
            missing.is_empty(),
            "{}: variants never generated: {missing:?}",
            cfg.name
        );
    }
}

#[test]
fn every_variant_appears_within_200_seeds() {
    let cfg = EngineConfig::tiny();
    let mut seen = BTreeSet::new();
    for seed in 0..200 {
        seen.extend(
            random_program(&cfg, seed)
                .unwrap()
                .0
                .instrs()
                .iter()
                .map(variant),
        );
    }
    let missing: Vec<_> = expected_variants().difference(&seen).cloned().collect();
    assert!(
        missing.is_empty(),
        "never generated in 200 seeds: {missing:?}"
    );
}

#[test]
fn programs_are_race_free() {
    for cfg in small_configs() {
        for seed in 0..12 {
            let (prog, hbm) = random_program(&cfg, seed).unwrap();
            let m = hbm.machine(&cfg).unwrap();
            let race = find_race(&m, &prog, 6, seed).unwrap();
            assert_eq!(race, None, "{} seed {seed}", cfg.name);
        }
    }
}

#[test]
fn deterministic_and_seed_dependent() {
    let cfg = EngineConfig::tiny();
    let a = random_program(&cfg, 42).unwrap();
    assert_eq!(a, random_program(&cfg, 42).unwrap());
    assert_ne!(a.0, random_program(&cfg, 43).unwrap().0);
    let mut r = Rng::new(1);
    let first: Vec<u64> = (0..3).map(|_| r.below(1000)).collect();
    assert_eq!(first, [first[0], first[1], first[2]]);
    assert_eq!(Rng::new(5).next_u64(), Rng::new(5).next_u64());
}

#[test]
fn results_are_not_trivial() {
    // The data path must produce varied values, not all zeros or saturation.
    let cfg = EngineConfig::tiny();
    let (prog, hbm) = random_program_with(
        &cfg,
        3,
        Options {
            rounds: 6,
            max_ops: 8,
        },
    )
    .unwrap();
    let mut m = hbm.machine(&cfg).unwrap();
    m.run(&prog).unwrap();
    let distinct: BTreeSet<u8> = m.acc.iter().copied().collect();
    assert!(
        distinct.len() > 50,
        "accumulators hold {} distinct bytes",
        distinct.len()
    );
}
