//! Co-simulation of the emitted engine (Icarus, `llmfab_hdl::tb`) on small
//! configs: every byte of every buffer and memory must equal the reference
//! interpreter's, and every cycle count must equal the timing model's
//! (`llmfab_sim::engine`). Hand-written programs (`hdl/tests/programs`) and
//! ≥ 100 seeded random programs (`llmfab_isa::random`) per run; the seed
//! base comes from `LLMFAB_SEED` (default 1) and is printed on failure.
//! Cycle counts go to `<target>/tmp/llmfab-cosim/<config>.csv`.
//!
//! A compute unit that has not delivered its Verilog yet is replaced by the
//! core's test double (`llmfab_hdl::gen::double`): functional runs replace
//! its instructions by compute `nop`s ([`strip`]); timing runs keep them
//! (each takes the double's fixed cycle count in the RTL and the model).

use llmfab_hdl::cosim::{available_units, run, strip, unit_cycles, write_csv, CycleRow};
use llmfab_hdl::design::UnitImpl;
use llmfab_hdl::tb::{Bench, BenchSize};
use llmfab_isa::image::HbmImage;
use llmfab_isa::{EngineConfig, MemTiming, Program};
use std::path::PathBuf;

/// Memory timing of most runs: short latencies keep Icarus runs short;
/// the timing rules are the same for every `MemTiming`.
const FAST: MemTiming = MemTiming {
    read_latency: 7,
    write_latency: 3,
    burst_gap: 2,
};
const SEEDS_PER_CONFIG: u64 = 17;
const TIMING_RUNS_PER_CONFIG: u64 = 2;
/// Short random programs (two rounds) keep each Icarus run around a second.
const SHORT: llmfab_isa::random::Options = llmfab_isa::random::Options {
    rounds: 2,
    max_ops: 5,
};

fn seed_base() -> u64 {
    std::env::var("LLMFAB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn config(name: &str) -> EngineConfig {
    llmfab_isa::random::small_configs()
        .into_iter()
        .find(|c| c.name == name)
        .expect("a small config")
}

/// Hand-written programs for `cfg`: `; config: NAME`, `; hbm: BYTES` headers;
/// memory filled with `(7i + 3 + 13c) mod 256`.
fn hand_written(cfg: &EngineConfig) -> Vec<(String, Program, HbmImage)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hdl/tests/programs");
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("programs dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p).unwrap();
        let header = |key: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(&format!("; {key}: "))
                    .map(|s| s.trim().to_string())
            })
        };
        if header("config").as_deref() != Some(cfg.name.as_str()) {
            continue;
        }
        let bytes: usize = header("hbm")
            .and_then(|s| s.parse().ok())
            .expect("; hbm: BYTES header");
        let prog = llmfab_isa::asm::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        llmfab_isa::check_program(cfg, &prog).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let mut img = HbmImage::zeroed(cfg, bytes);
        for (c, ch) in img.channels.iter_mut().enumerate() {
            for (i, b) in ch.iter_mut().enumerate() {
                *b = (7 * i + 3 + 13 * c) as u8;
            }
        }
        out.push((
            p.file_name().unwrap().to_string_lossy().into_owned(),
            prog,
            img,
        ));
    }
    out
}

fn model_cycles(
    cfg: &EngineConfig,
    mt: &MemTiming,
    p: &Program,
    units: (UnitImpl, UnitImpl),
) -> u64 {
    let f = |i: &llmfab_isa::Instr| unit_cycles(i, cfg, units.0, units.1);
    llmfab_sim::engine::simulate(cfg, mt, p.instrs(), Some(&f))
        .expect("timing model")
        .cycles
}

fn cosim(name: &str) {
    let cfg = config(name);
    let units = available_units(&cfg);
    let design = llmfab_hdl::design::build(&cfg, units.0, units.1).unwrap();
    let label_units = format!("matrix={:?},sfu={:?}", units.0, units.1).to_lowercase();
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("llmfab-cosim");
    let size = BenchSize {
        instr_words: 1024,
        hbm_words: 1 << 14,
    };
    let fast = Bench::build(
        &cfg,
        &FAST,
        &design,
        size,
        &base.join(format!("{name}-fast")),
    )
    .unwrap();
    // The default (HBM-like) timing on one config: long runs in Icarus.
    let slow = (name == "tiny").then(|| {
        Bench::build(
            &cfg,
            &MemTiming::default(),
            &design,
            size,
            &base.join(format!("{name}-default")),
        )
        .unwrap()
    });
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut check = |label: String,
                     bench: &Bench,
                     mt: MemTiming,
                     p: &Program,
                     img: &HbmImage,
                     functional: bool| {
        let o =
            run(bench, &cfg, p, img, 5_000_000).unwrap_or_else(|e| panic!("{name} {label}: {e}"));
        if functional && o.mismatches.1 != 0 {
            let list: Vec<String> = o.mismatches.0.iter().map(|m| m.to_string()).collect();
            failures.push(format!(
                "{label}: {} bytes differ from the reference: {}",
                o.mismatches.1,
                list.join("; ")
            ));
        }
        let model = model_cycles(&cfg, &mt, p, units);
        if model != o.cycles {
            failures.push(format!(
                "{label}: Verilog {} cycles, timing model {model}",
                o.cycles
            ));
        }
        rows.push(CycleRow {
            config: name.into(),
            program: label,
            mem: mt,
            units: label_units.clone(),
            cycles: o.cycles,
        });
    };
    for (file, p, img) in hand_written(&cfg) {
        let stripped = strip(&p, units.0, units.1);
        check(file.clone(), &fast, FAST, &stripped, &img, true);
        if stripped != p {
            check(format!("{file}-compute"), &fast, FAST, &p, &img, false);
        }
        if let Some(slow) = &slow {
            let mt = MemTiming::default();
            check(format!("{file}@default"), slow, mt, &stripped, &img, true);
        }
    }
    let s0 = seed_base() * 1000;
    for seed in s0..s0 + SEEDS_PER_CONFIG {
        let (p, img) = llmfab_isa::random::random_program_with(&cfg, seed, SHORT).unwrap();
        check(
            format!("random-{seed}"),
            &fast,
            FAST,
            &strip(&p, units.0, units.1),
            &img,
            true,
        );
        if seed < s0 + TIMING_RUNS_PER_CONFIG {
            check(
                format!("random-{seed}-compute"),
                &fast,
                FAST,
                &p,
                &img,
                false,
            );
        }
    }
    write_csv(&base.join(format!("{name}.csv")), &rows).unwrap();
    assert!(
        failures.is_empty(),
        "config {name} (LLMFAB_SEED={}):\n{}",
        seed_base(),
        failures.join("\n")
    );
}

#[test]
fn cosim_tiny() {
    cosim("tiny");
}
#[test]
fn cosim_tiny_2ch() {
    cosim("tiny-2ch");
}
#[test]
fn cosim_tiny_a16_w4_kv4() {
    cosim("tiny-a16-w4-kv4");
}
#[test]
fn cosim_tiny_512() {
    cosim("tiny-512");
}
#[test]
fn cosim_tiny_w2_l1() {
    cosim("tiny-w2-l1");
}
#[test]
fn cosim_tiny_4ch() {
    cosim("tiny-4ch");
}

/// The extended check of `cargo xtask verilog-check`: every small config
/// under Verilator (built once per config, cached by source hash), with
/// the default HBM-like memory timing and 50 random programs each.
#[test]
#[ignore = "slow (Verilator builds): run by cargo xtask verilog-check"]
fn cosim_verilator_extended() {
    use llmfab_hdl::tb::Simulator;
    let mt = MemTiming::default();
    let mut failures = Vec::new();
    for cfg in llmfab_isa::random::small_configs() {
        let units = available_units(&cfg);
        let design = llmfab_hdl::design::build(&cfg, units.0, units.1).unwrap();
        let dir =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("llmfab-vcosim/{}", cfg.name));
        let size = BenchSize {
            instr_words: 1024,
            hbm_words: 1 << 14,
        };
        let b = Bench::build_with(Simulator::Verilator, &cfg, &mt, &design, size, &dir).unwrap();
        let mut rows = Vec::new();
        let s0 = seed_base() * 1000 + 500;
        for seed in s0..s0 + 50 {
            let (p, img) = llmfab_isa::random::random_program(&cfg, seed).unwrap();
            for (label, prog, functional) in [
                ("", strip(&p, units.0, units.1), true),
                ("-compute", p.clone(), false),
            ] {
                let o = run(&b, &cfg, &prog, &img, 50_000_000).unwrap();
                if functional && o.mismatches.1 != 0 {
                    failures.push(format!(
                        "{} random-{seed}: {} bytes differ",
                        cfg.name, o.mismatches.1
                    ));
                }
                let model = model_cycles(&cfg, &mt, &prog, units);
                if model != o.cycles {
                    failures.push(format!(
                        "{} random-{seed}{label}: Verilog {} cycles, model {model}",
                        cfg.name, o.cycles
                    ));
                }
                rows.push(CycleRow {
                    config: cfg.name.clone(),
                    program: format!("random-{seed}{label}"),
                    mem: mt,
                    units: format!("{units:?}"),
                    cycles: o.cycles,
                });
            }
        }
        write_csv(&dir.join("cycles.csv"), &rows).unwrap();
    }
    assert!(
        failures.is_empty(),
        "LLMFAB_SEED={}:\n{}",
        seed_base(),
        failures.join("\n")
    );
}
