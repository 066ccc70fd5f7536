//! Co-simulation tests of the emitted unit (Icarus) against the reference
//! and the timing formulas.

use super::cosim::{check, check_with, random_matmul};
use crate::matrix::top::{Options, Shape};
use llmfab_isa::instr::Matmul;
use llmfab_isa::random::Rng;
use llmfab_isa::EngineConfig;

fn one(cfg: &EngineConfig, x: Matmul, tag: &str) {
    let bad = check(cfg, &[x], 1, tag);
    assert!(bad.is_empty(), "{tag}: {bad:#?}");
}

#[test]
fn mv_weights_small() {
    let cfg = EngineConfig::tiny();
    let x = Matmul {
        mode: 1,
        m: 1,
        n: 8,
        k: 4,
        a_pitch: 4,
        acc_pitch: 32,
        abits: 8,
        bbits: 8,
        ..Default::default()
    };
    one(&cfg, x, "mv-small");
}

#[test]
fn mm_weights_small() {
    let cfg = EngineConfig::tiny();
    let x = Matmul {
        mode: 0,
        m: 4,
        n: 8,
        k: 4,
        a_pitch: 4,
        acc_pitch: 32,
        abits: 8,
        bbits: 8,
        ..Default::default()
    };
    one(&cfg, x, "mm-small");
}

#[test]
fn random_tiny_each_kind() {
    let cfg = EngineConfig::tiny();
    let seed = 7;
    let mut rng = Rng::new(seed);
    for mode in 0..2 {
        for bsrc in 0..2 {
            let prog: Vec<Matmul> = (0..3)
                .map(|_| random_matmul(&cfg, &mut rng, mode, bsrc))
                .collect();
            let bad = check(&cfg, &prog, seed, &format!("rt-{mode}-{bsrc}"));
            assert!(
                bad.is_empty(),
                "seed {seed} mode {mode} bsrc {bsrc}: {bad:#?}"
            );
        }
    }
}

/// Debug helper: `MX_DEBUG=mode,bsrc,seed` runs single random instructions and prints failures.
#[test]
fn debug_single() {
    let Ok(spec) = std::env::var("MX_DEBUG") else {
        return;
    };
    let v: Vec<u64> = spec.split(',').map(|x| x.parse().unwrap()).collect();
    let cfg = EngineConfig::tiny();
    let mut rng = Rng::new(v[2]);
    for i in 0..v.get(3).copied().unwrap_or(6) {
        let x = random_matmul(&cfg, &mut rng, v[0], v[1]);
        let bad = check(&cfg, &[x], v[2], &format!("dbg{i}"));
        if !bad.is_empty() {
            eprintln!("FAIL {x:?}\n{bad:#?}");
        } else {
            eprintln!("ok   {x:?}");
        }
    }
}

/// Every small config of `llmfab_isa::random::small_configs`: one program
/// of random `matmul`s (both modes, both B sources, dequant on/off), final
/// ACC bit for bit and every instruction's cycles. Seed printed on failure.
#[test]
fn random_programs_on_small_configs() {
    let base = std::env::var("MX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_0001_u64);
    let mut cfgs = llmfab_isa::random::small_configs();
    cfgs.push(super::lint::extra_configs().remove(0));
    cfgs.extend(super::lint::edge_configs());
    for (ci, cfg) in cfgs.into_iter().enumerate() {
        let seed = base + ci as u64;
        let mut rng = Rng::new(seed);
        let prog: Vec<Matmul> = (0..8)
            .map(|i| random_matmul(&cfg, &mut rng, (i / 2) % 2, i % 2))
            .collect();
        let bad = check(&cfg, &prog, seed, &format!("small-{ci}"));
        assert!(bad.is_empty(), "config {} seed {seed}: {bad:#?}", cfg.name);
    }
}

/// Configs the unit cannot build give errors naming the reason, not panics.
#[test]
fn unsupported_configs_are_errors() {
    let mut c = EngineConfig::tiny();
    c.rows = 2;
    c.cols = 128;
    c.weight_bits = 2;
    c.group_size = 2;
    c.kv_row_bytes = 128;
    c.kvbuf_bytes = 128 * 128;
    c.validate().unwrap();
    let e = crate::matrix::verilog(&c).unwrap_err().to_string();
    assert!(e.contains("rows × weight_bits"), "{e}");
    let mut c = EngineConfig::tiny();
    c.kv_row_bytes = 96;
    c.kvbuf_bytes = 96 * 8 * 8;
    let e = crate::matrix::verilog(&c).unwrap_err().to_string();
    assert!(e.contains("kv_row_bytes"), "{e}");
    let mut c = EngineConfig::tiny();
    c.rows = 3;
    assert!(crate::matrix::verilog(&c).is_err());
}

/// W4A8KV4: the lanes accumulate in the DSPs' `P` registers (guard limit
/// 2047 products). Drained every 2 k-tiles here (and at the default
/// period), against `LaneAcc`, all against the reference and the timing.
#[test]
fn p_register_accumulation() {
    let cfg = EngineConfig {
        name: "w4a8kv4".into(),
        rows: 8,
        cols: 8,
        weight_bits: 4,
        kv_bits: 4,
        group_size: 16,
        ..EngineConfig::tiny()
    };
    assert!(Shape::new(&cfg).unwrap().dsp_acc);
    let seed = 0xACC;
    let mut rng = Rng::new(seed);
    let prog: Vec<Matmul> = (0..8)
        .map(|i| random_matmul(&cfg, &mut rng, (i / 4) % 2, i % 2))
        .collect();
    for (tag, opts) in [
        (
            "p-chunk2",
            Options {
                chunk_tiles: Some(2),
                ..Options::default()
            },
        ),
        ("p-default", Options::default()),
        (
            "laneacc",
            Options {
                no_dsp_acc: true,
                ..Options::default()
            },
        ),
    ] {
        let bad = check_with(&cfg, &opts, &prog, seed, tag);
        assert!(bad.is_empty(), "{tag} seed {seed}: {bad:#?}");
    }
}

/// Debug helper: `MX_PDEBUG=mode,bsrc,seed,count[,chunk]` on the W4A8KV4 config.
#[test]
fn debug_p_single() {
    let Ok(spec) = std::env::var("MX_PDEBUG") else {
        return;
    };
    let v: Vec<u64> = spec.split(',').map(|x| x.parse().unwrap()).collect();
    let cfg = EngineConfig {
        name: "w4a8kv4".into(),
        rows: 8,
        cols: 8,
        weight_bits: 4,
        kv_bits: 4,
        group_size: 16,
        ..EngineConfig::tiny()
    };
    let opts = Options {
        chunk_tiles: v.get(4).map(|&c| c as u32),
        no_dsp_acc: v.get(4) == Some(&0),
    };
    let mut rng = Rng::new(v[2]);
    for i in 0..v[3] {
        let x = random_matmul(&cfg, &mut rng, v[0], v[1]);
        let bad = check_with(&cfg, &opts, &[x], v[2], &format!("pdbg{i}"));
        eprintln!(
            "{} {x:?}\n{bad:#?}",
            if bad.is_empty() { "ok  " } else { "FAIL" }
        );
    }
}
