//! Speed of the engine timing model on an HBM-bound stream on the U280
//! default engine (200 × 1 MiB of weights over 32 channels, one
//! matrix-vector product each). `cargo test --release -p llmfab-sim --test
//! engine_speed -- --ignored --nocapture` prints simulated cycles per second.

use llmfab_isa::instr::*;
use llmfab_isa::{EngineConfig, MemTiming};

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn engine_model_speed_u280_stream() {
    let cfg =
        EngineConfig::from_toml(include_str!("../../bitstreams/u280/engine.toml"), "u280").unwrap();
    let mut p = Vec::new();
    let tile = cfg.tile_bytes();
    let slice = cfg.slice_bytes();
    let rows_per_load = 256u64; // 256 tiles = 1 MiB over 32 channels
    for it in 0..200u64 {
        for ch in 0..32u64 {
            let last = ch == 31;
            let r0 = (it % 2) * rows_per_load;
            p.push(Instr {
                deps: Deps {
                    pop_next: ch == 0 && it >= 2,
                    push_next: last,
                    ..Default::default()
                },
                op: Op::Load(Load {
                    ch,
                    buf: 1,
                    rows: 1,
                    row_bytes: rows_per_load * slice,
                    hbm_addr: it * rows_per_load * slice,
                    hbm_stride: 0,
                    buf_addr: r0 * tile + ch * slice,
                    buf_stride: 0,
                }),
            });
        }
        p.push(Instr {
            deps: Deps {
                pop_prev: true,
                push_prev: true,
                ..Default::default()
            },
            op: Op::Matmul(Matmul {
                mode: 1,
                m: 1,
                n: 128 * 16,
                k: 64 * 16,
                abits: 8,
                bbits: 4,
                b_addr: (it % 2) * rows_per_load * tile,
                ..Default::default()
            }),
        });
    }
    p.push(Instr::new(Op::Halt(Halt {})));
    let t0 = std::time::Instant::now();
    let t = llmfab_sim::engine::simulate(&cfg, &MemTiming::default(), &p, None).unwrap();
    let el = t0.elapsed();
    let bytes = 200.0 * 32.0 * (rows_per_load * slice) as f64;
    println!(
        "{} instrs, {} cycles ({} skipped) in {:?}: {:.1} Mcycles/s, {:.0} GB/s simulated",
        p.len(),
        t.cycles,
        t.skipped,
        el,
        t.cycles as f64 / el.as_secs_f64() / 1e6,
        bytes / (t.cycles as f64 / 225e6) / 1e9
    );
}

/// The timing-only simulation of one compiled program, e.g. the Llama-2-7B
/// decode step of `llmfab compile --model llama-2-7b --board u280 --quant
/// w4a8 -o DIR`: reads `$LLMFAB_SIM_BUILD/engine.toml` and
/// `$LLMFAB_SIM_BUILD/programs/$LLMFAB_SIM_PHASE.bin` (default
/// `decode_4096`), and prints the wall time of `simulate` alone (best of
/// three) next to the simulated cycles. `cargo xtask bench sim` runs it.
#[test]
#[ignore = "benchmark: needs LLMFAB_SIM_BUILD (cargo xtask bench sim)"]
fn compiled_program_speed() {
    let dir =
        std::path::PathBuf::from(std::env::var("LLMFAB_SIM_BUILD").expect("LLMFAB_SIM_BUILD"));
    let phase = std::env::var("LLMFAB_SIM_PHASE").unwrap_or_else(|_| "decode_4096".into());
    let toml = std::fs::read_to_string(dir.join("engine.toml")).unwrap();
    let cfg = EngineConfig::from_toml(&toml, "engine.toml").unwrap();
    let bin = std::fs::read(dir.join(format!("programs/{phase}.bin"))).unwrap();
    let t0 = std::time::Instant::now();
    let prog = llmfab_isa::Program::from_binary(&bin).unwrap();
    let decode_s = t0.elapsed().as_secs_f64();
    let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
    let mut cycles = 0;
    for _ in 0..3 {
        let (t, c) = (std::time::Instant::now(), cpu_s());
        cycles = llmfab_sim::engine::simulate(&cfg, &MemTiming::default(), prog.instrs(), None)
            .unwrap()
            .cycles;
        best = best.min(t.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_s() - c);
    }
    println!(
        "SIM-PROGRAM phase={phase} engine={} instrs={} cycles={cycles} decode_binary_s={decode_s:.3} simulate_wall_s={best:.3} simulate_cpu_s={best_cpu:.3} mcycles_per_cpu_s={:.1}",
        cfg.name,
        prog.len(),
        cycles as f64 / best_cpu / 1e6
    );
}

/// CPU seconds of this thread (user + system; Linux `/proc`, 10 ms ticks),
/// so that a loaded machine does not inflate the figure; 0 elsewhere.
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command: state is field 3; utime and
    // stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}
