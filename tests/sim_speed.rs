//! Benchmark (ignored; `cargo xtask bench sim` runs it): simulated cycles
//! per second of the engine timing model against the Verilog testbench
//! under Verilator, side by side on the same program, config and memory
//! timing. The program streams weights over every channel into the weight
//! buffer (double-buffered) and multiplies each slot with the matrix unit
//! in matrix-vector mode, as a decode step does. The two cycle counts must
//! agree (the co-simulation tests check that on many programs); the speeds
//! are printed, not asserted.
//!
//! `cargo test --release --test sim_speed -- --ignored --nocapture`

use llmfab_hdl::cosim::{available_units, unit_cycles};
use llmfab_hdl::tb::{Bench, BenchSize, Simulator};
use llmfab_isa::image::HbmImage;
use llmfab_isa::instr::*;
use llmfab_isa::{EngineConfig, MemTiming, Program};
use std::time::Instant;

/// A small engine shaped like the U280 one: 512-bit ports, 64-beat bursts,
/// 8 outstanding, 4 channels, a 16 × 32 array of W4A8 lanes.
fn config() -> EngineConfig {
    EngineConfig {
        name: "bench-4ch-512".into(),
        rows: 16,
        cols: 32,
        weight_bits: 4,
        act_bits: 8,
        kv_bits: 4,
        group_size: 64,
        clock_mhz: 225.0,
        channels: 4,
        port_bits: 512,
        wbuf_bytes: 64 * 1024,
        abuf_bytes: 8192,
        kvbuf_bytes: 8192,
        kv_row_bytes: 64,
        acc_bytes: 8192,
        sbuf_bytes: 4096,
        sfu_lanes: 8,
        queue_depth: 16,
        max_burst: 64,
        max_outstanding: 8,
    }
}

/// `iters` rounds of: one weight load per channel into slot `it mod 2`,
/// then a matrix-vector product over the slot.
fn program(cfg: &EngineConfig, iters: u64) -> Program {
    let tile = cfg.tile_bytes();
    let slice = cfg.slice_bytes();
    let slot_rows = cfg.wbuf_rows() / 2;
    let ch = cfg.channels as u64;
    let mut p = Program::new();
    for it in 0..iters {
        let r0 = (it % 2) * slot_rows;
        for c in 0..ch {
            p.push(Instr {
                deps: Deps {
                    pop_next: c == 0 && it >= 2,
                    push_next: c + 1 == ch,
                    ..Default::default()
                },
                op: Op::Load(Load {
                    ch: c,
                    buf: 1,
                    rows: 1,
                    row_bytes: slot_rows * slice,
                    hbm_addr: (it % 4) * slot_rows * slice,
                    hbm_stride: 0,
                    buf_addr: r0 * tile + c * slice,
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
                n: cfg.cols as u64 * (slot_rows / 4),
                k: cfg.rows as u64 * 4,
                abits: cfg.act_bits as u64,
                bbits: cfg.weight_bits as u64,
                b_addr: r0 * tile,
                ..Default::default()
            }),
        });
    }
    // Take the two tokens the last products pushed back.
    for _ in 0..2.min(iters) {
        p.push(Instr {
            deps: Deps {
                pop_next: true,
                ..Default::default()
            },
            op: Op::Nop(Nop { queue: 0 }),
        });
    }
    p.push(Instr::new(Op::Halt(Halt {})));
    p
}

#[test]
#[ignore = "benchmark: cargo xtask bench sim"]
fn timing_model_vs_verilator_cycles_per_second() {
    let cfg = config();
    cfg.validate().unwrap();
    let iters = 400;
    let prog = program(&cfg, iters);
    llmfab_isa::check_program(&cfg, &prog).unwrap();
    let mt = MemTiming::default();
    let units = available_units(&cfg);
    let design = llmfab_hdl::design::build(&cfg, units.0, units.1).unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("llmfab-sim-speed");
    let size = BenchSize {
        instr_words: 8192,
        hbm_words: 1 << 14,
    };
    let t0 = Instant::now();
    let bench = Bench::build_with(Simulator::Verilator, &cfg, &mt, &design, size, &dir).unwrap();
    let build_s = t0.elapsed().as_secs_f64();
    let words = 4 * cfg.wbuf_rows() / 2 * cfg.slice_bytes() / cfg.beat_bytes();
    let img = HbmImage::zeroed(&cfg, (words * cfg.beat_bytes()) as usize);
    let t1 = Instant::now();
    let v = bench.run(prog.instrs(), &img, 500_000_000).unwrap();
    let verilator_s = t1.elapsed().as_secs_f64();
    let f = |i: &Instr| unit_cycles(i, &cfg, units.0, units.1);
    let reps = 200;
    let t2 = Instant::now();
    let mut cycles = 0;
    for _ in 0..reps {
        cycles = llmfab_sim::engine::simulate(&cfg, &mt, prog.instrs(), Some(&f))
            .unwrap()
            .cycles;
    }
    let model_s = t2.elapsed().as_secs_f64() / reps as f64;
    assert_eq!(cycles, v.cycles, "timing model and Verilog disagree");
    let (vc, mc) = (cycles as f64 / verilator_s, cycles as f64 / model_s);
    println!(
        "SIM-SPEED config={} units={:?} instrs={} cycles={} verilator_build_s={build_s:.1} \
         verilator_run_s={verilator_s:.3} verilator_cps={vc:.0} model_run_s={model_s:.6} \
         model_cps={mc:.0} ratio={:.0}",
        cfg.name,
        units,
        prog.len(),
        cycles,
        mc / vc
    );
}
