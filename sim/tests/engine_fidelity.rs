//! Fidelity of the engine simulator's two modes and its report:
//! - functional mode ends in the reference interpreter's state, bit for
//!   bit, on seeded random race-free programs on every small config;
//! - no simulated op (nor the whole run) is faster than the roofline bound
//!   of its work on the same engine, over seeded random shapes, configs and
//!   memory timings;
//! - the stall attribution accounts for every cycle of the compute executor.

use llmfab_isa::instr::*;
use llmfab_isa::random::{random_program, small_configs, Rng};
use llmfab_isa::{EngineConfig, MemTiming, Program};
use llmfab_sim::engine::{functional, report, simulate};

#[test]
fn functional_mode_equals_the_reference_interpreter() {
    for cfg in small_configs() {
        for seed in 0..6 {
            let (prog, img) = random_program(&cfg, 100 + seed).unwrap();
            let mut want = img.machine(&cfg).unwrap();
            want.run(&prog).unwrap();
            let mut got = img.machine(&cfg).unwrap();
            let t = functional::run(&mut got, &MemTiming::default(), &prog).unwrap();
            let label = format!("{} seed {seed}", cfg.name);
            assert_eq!(got.hbm, want.hbm, "{label}: memory differs");
            assert_eq!(got.abuf, want.abuf, "{label}: abuf differs");
            assert_eq!(got.wbuf, want.wbuf, "{label}: wbuf differs");
            assert_eq!(got.kvbuf, want.kvbuf, "{label}: kvbuf differs");
            assert_eq!(got.sbuf, want.sbuf, "{label}: sbuf differs");
            assert_eq!(got.acc, want.acc, "{label}: acc differs");
            // Same timing as the timing-only mode.
            let tt = simulate(&cfg, &MemTiming::default(), prog.instrs(), None).unwrap();
            assert_eq!(t, tt, "{label}");
        }
    }
}

fn u280() -> EngineConfig {
    EngineConfig::from_toml(include_str!("../../bitstreams/u280/engine.toml"), "u280").unwrap()
}

/// A timing-only program of `ops` random ops: each loads random weight and
/// activation rows on random channels, multiplies with random shapes, runs a
/// random SFU operation and stores a result.
fn random_ops(cfg: &EngineConfig, rng: &mut Rng, ops: usize) -> Program {
    let beat = cfg.beat_bytes();
    let mut p = Program::new();
    let mut pick = |n: u64| rng.below(n);
    for k in 0..ops {
        let name = format!("op{k}");
        let loads = 1 + pick(cfg.channels as u64 + 2);
        for j in 0..loads {
            let buf = [0u64, 1, 3][pick(3) as usize];
            p.push_from(
                Instr {
                    deps: Deps {
                        push_next: j + 1 == loads,
                        ..Default::default()
                    },
                    op: Op::Load(Load {
                        ch: pick(cfg.channels as u64),
                        buf,
                        rows: 1 + pick(8),
                        row_bytes: beat * (1 + pick(200)),
                        hbm_addr: beat * pick(1000),
                        hbm_stride: beat * pick(300),
                        ..Default::default()
                    }),
                },
                name.clone(),
            );
        }
        let (m, n, kk) = (1 + pick(300), 1 + pick(2000), 1 + pick(2000));
        p.push_from(
            Instr {
                deps: Deps {
                    pop_prev: true,
                    ..Default::default()
                },
                op: Op::Matmul(Matmul {
                    mode: pick(2),
                    m,
                    n,
                    k: kk,
                    dequant: pick(2),
                    abits: cfg.act_bits as u64,
                    bbits: cfg.weight_bits as u64,
                    ..Default::default()
                }),
            },
            name.clone(),
        );
        let (sm, sn) = (1 + pick(64), 1 + pick(4096));
        let sfu = match pick(5) {
            0 => Op::Rmsnorm(Rmsnorm {
                m: sm,
                n: sn,
                ..Default::default()
            }),
            1 => Op::Softmax(Softmax {
                m: sm,
                n: sn,
                flags: pick(2),
                ..Default::default()
            }),
            2 => Op::Add(Add {
                m: sm,
                n: sn,
                ..Default::default()
            }),
            3 => Op::Rope(Rope {
                m: sm,
                n: 2 * sn,
                ..Default::default()
            }),
            _ => Op::Requant(Requant {
                m: sm,
                n: sn,
                ..Default::default()
            }),
        };
        p.push_from(
            Instr {
                deps: Deps {
                    push_next: true,
                    ..Default::default()
                },
                op: sfu,
            },
            name.clone(),
        );
        p.push_from(
            Instr {
                deps: Deps {
                    pop_prev: true,
                    ..Default::default()
                },
                op: Op::Store(Store {
                    ch: pick(cfg.channels as u64),
                    buf: [0u64, 2][pick(2) as usize],
                    rows: 1 + pick(4),
                    row_bytes: beat * (1 + pick(64)),
                    hbm_addr: beat * pick(1000),
                    hbm_stride: beat * pick(100),
                    ..Default::default()
                }),
            },
            name,
        );
    }
    p.push(Instr::new(Op::Halt(Halt {})));
    p
}

#[test]
fn no_simulated_op_beats_its_roofline_bound() {
    let mut rng = Rng::new(0x5EED);
    let mut configs = small_configs();
    configs.push(u280());
    let timings = [
        MemTiming::default(),
        MemTiming::ideal(),
        MemTiming {
            read_latency: 3,
            write_latency: 2,
            burst_gap: 0,
        },
    ];
    let mut checked = 0;
    for round in 0..40 {
        let cfg = &configs[round % configs.len()];
        let mt = timings[round % timings.len()];
        let prog = random_ops(cfg, &mut rng, 6);
        let t = simulate(cfg, &mt, prog.instrs(), None).unwrap();
        let r = report::build(cfg, &prog, &t, None, None);
        assert_eq!(r.ops.len(), 6);
        for op in &r.ops {
            assert!(
                op.cycles >= op.roofline_cycles && op.roofline_cycles > 0,
                "{} round {round} {}: {} simulated cycles < roofline {} ({})",
                cfg.name,
                op.op,
                op.cycles,
                op.roofline_cycles,
                op.bound
            );
            checked += 1;
        }
        assert!(
            r.seconds >= r.roofline_bound_s && r.roofline_fraction <= 1.0,
            "{} round {round}: whole run {} s < roofline {} s",
            cfg.name,
            r.seconds,
            r.roofline_bound_s
        );
        // Every instruction on its own, too.
        for (i, ins) in prog.instrs().iter().enumerate() {
            let mut w = llmfab_sim::engine::work::Work::new(cfg.channels as usize);
            w.add_instr(ins, cfg);
            let it = t.instrs[i];
            if it.issue > 0 {
                assert!(it.done - it.issue >= w.bound_cycles(cfg), "{i}: {ins:?}");
            }
        }
    }
    assert_eq!(checked, 240);
}

#[test]
fn every_compute_executor_cycle_is_busy_or_has_one_stall_cause() {
    let mut rng = Rng::new(7);
    for cfg in small_configs() {
        let mut c = cfg.clone();
        c.queue_depth = 2; // forces dispatch to wait on full queues
        let prog = random_ops(&c, &mut rng, 5);
        let t = simulate(&c, &MemTiming::default(), prog.instrs(), None).unwrap();
        let busy: u64 = prog
            .instrs()
            .iter()
            .zip(&t.instrs)
            .filter(|(i, x)| i.queue() == Queue::Compute && x.issue > 0)
            .map(|(_, x)| x.done - x.issue + 1)
            .sum();
        let s = &t.stalls.compute;
        let stalls = s.wait_load_token + s.wait_store_token + s.port_claim + s.queue_empty;
        assert_eq!(busy + stalls, t.cycles - 1, "{}: {s:?}", c.name);
        assert!(s.wait_load_token > 0, "{}: computes wait for loads", c.name);
        assert!(
            t.stalls.dispatch_queue_full.iter().sum::<u64>() > 0,
            "{}: queues of depth 2 fill up",
            c.name
        );
    }
}
