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
