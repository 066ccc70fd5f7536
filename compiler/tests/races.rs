//! The dependency tokens make compiled programs race free: random legal
//! hardware orders (the ISA crate's scheduler) end in the same state as
//! program order, and the race verifier flags a program with one token
//! pair removed.

mod common;

use common::*;
use llmfab_compiler::lower::verify;
use llmfab_compiler::{pack, Phase};
use llmfab_isa::schedule::find_race;
use llmfab_isa::EngineConfig;
use llmfab_models::BuildOptions;

fn engine(eq: &llmfab_compiler::EngineQuant) -> EngineConfig {
    EngineConfig {
        abuf_bytes: 4096,
        kvbuf_bytes: 32 * (2 * 16 + 4 * 16),
        ..small_engine(eq, 2)
    }
}

#[test]
fn random_hardware_orders_agree_with_program_order() {
    let phases = [Phase::prefill(12), Phase::decode(13)];
    let b = build(
        tiny_llama(2, 2),
        "w4a8",
        engine,
        &phases,
        BuildOptions::default(),
    );
    let mut m = b.machine();
    pack::write_input(&b.cfg, &b.pre, &mut m.hbm, &b.input(12, 5));
    for ph in &phases {
        let prog = b.lower(ph).program(&b.pre.names);
        let race = find_race(&m, &prog, 6, 11).unwrap();
        assert_eq!(race, None, "{}", ph.name);
        m.run(&prog).unwrap();
    }
}

#[test]
fn race_verifier_flags_a_missing_token() {
    let ph = Phase::prefill(12);
    let b = build(
        tiny_llama(1, 2),
        "w4a8",
        engine,
        std::slice::from_ref(&ph),
        BuildOptions::default(),
    );
    let cp = b.lower(&ph);
    // The first compute that pops a load→compute token, and the load that pushed it.
    let (mut pushes, mut pops) = (Vec::new(), Vec::new());
    for (i, ins) in cp.instrs.iter().enumerate() {
        match ins.queue() {
            llmfab_isa::Queue::Load if ins.deps.push_next => pushes.push(i),
            llmfab_isa::Queue::Compute if ins.deps.pop_prev => pops.push(i),
            _ => {}
        }
    }
    let mut broken = cp.instrs.clone();
    broken[pushes[0]].deps.push_next = false;
    broken[pops[0]].deps.pop_prev = false;
    verify::tokens(&broken, &cp.prov, &b.pre.names).expect("still balanced");
    let err = verify::races(&b.cfg, &broken, &cp.prov, &b.pre.names).unwrap_err();
    assert!(err[0].contains("may run at the same time"), "{err:?}");
    verify::races(&b.cfg, &cp.instrs, &cp.prov, &b.pre.names).unwrap();
}
