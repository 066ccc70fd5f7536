//! The engine simulator's functional mode on whole compiled layers: a
//! 2-layer, 64-wide Llama lowered by the compiler library (prefill, then
//! two decode steps on the KV cache it wrote, then a batched decode step of
//! three sequences) ends in exactly the reference interpreter's state —
//! every memory byte, every buffer — and the report of the same run keeps
//! every op at or above its roofline bound.

mod common;

use common::tiny_llama;
use llmfab_compiler::data::{random_input, Weights};
use llmfab_compiler::lower::{lower_phase, prepare, LowerOptions, Phase};
use llmfab_compiler::{engine_quant, pack, EngineQuant};
use llmfab_isa::{EngineConfig, Machine, MemTiming};
use llmfab_models::{BuildOptions, Graph, QuantScheme};
use llmfab_sim::engine::{functional, report};

/// An 8×16 engine on `channels` channels of 256 bits.
fn small_engine(eq: &EngineQuant, channels: u32) -> EngineConfig {
    EngineConfig {
        name: "small".into(),
        rows: 8,
        cols: 16,
        weight_bits: eq.weight_bits,
        act_bits: eq.act_bits,
        kv_bits: eq.kv_bits,
        group_size: eq.group_size,
        clock_mhz: 200.0,
        channels,
        port_bits: 256,
        wbuf_bytes: 64 * 8 * 16 * eq.weight_bits as u64 / 8,
        abuf_bytes: 64 * 1024,
        kvbuf_bytes: 32 * 1024,
        kv_row_bytes: 32,
        acc_bytes: 32 * 1024,
        sbuf_bytes: 8 * 1024,
        sfu_lanes: 8,
        queue_depth: 16,
        max_burst: 16,
        max_outstanding: 4,
    }
}

fn same_state(got: &Machine, want: &Machine, label: &str) {
    for c in 0..want.hbm.len() {
        if let Some(i) = (0..want.hbm[c].len()).find(|&i| got.hbm[c][i] != want.hbm[c][i]) {
            panic!("{label}: channel {c} byte {i} differs from the reference");
        }
    }
    assert!(got.abuf == want.abuf, "{label}: abuf differs");
    assert!(got.wbuf == want.wbuf, "{label}: wbuf differs");
    assert!(got.kvbuf == want.kvbuf, "{label}: kvbuf differs");
    assert!(got.sbuf == want.sbuf, "{label}: sbuf differs");
    assert!(got.acc == want.acc, "{label}: acc differs");
}

fn check(quant: &str, channels: u32, mem: MemTiming) {
    let spec = tiny_llama(2);
    let graph = Graph::build(&spec, BuildOptions::default());
    let eq = engine_quant(&QuantScheme::parse(quant).unwrap()).unwrap();
    let cfg = small_engine(&eq, channels);
    let phases = [
        Phase::prefill(8),
        Phase::decode(9),
        Phase::decode(10),
        Phase::decode_batch(11, 3),
    ];
    let opts = LowerOptions::default();
    let pre = prepare(&graph, &cfg, &eq, &phases, &opts, &spec.name).unwrap();
    let weights = Weights::random(&graph, &pre.plan, 7);
    let img = pack::image(&cfg, &pre, &weights, 10000.0);
    let mut want = Machine::new(cfg.clone(), img.clone()).unwrap();
    let mut got = Machine::new(cfg.clone(), img).unwrap();
    for (k, ph) in phases.iter().enumerate() {
        let label = format!("{quant} x{channels} {}", ph.name);
        let cp = lower_phase(&pre, &graph, &cfg, ph, &opts).unwrap();
        let prog = cp.program(&pre.names);
        let input = random_input(ph.rows(), spec.hidden, eq.act_bits, 1 + k as u64);
        pack::write_input(&cfg, &pre, &mut want.hbm, &input);
        pack::write_input(&cfg, &pre, &mut got.hbm, &input);
        want.run(&prog).unwrap();
        let t = functional::run(&mut got, &mem, &prog).unwrap();
        same_state(&got, &want, &label);
        // Loads overlap compute: completion order is not program order, so
        // the comparison exercises the reordering.
        let order = functional::completion_order(&prog, &t);
        assert!(
            order.windows(2).any(|w| w[0] > w[1]),
            "{label}: completion order equals program order"
        );
        assert!(
            pack::read_logits(&cfg, &pre, &got.hbm)
                .iter()
                .any(|v| *v != 0),
            "{label}: all logits are zero (the comparison would be vacuous)"
        );
        // The report of the same run: ops named by provenance, none faster
        // than its roofline bound.
        let r = report::build(&cfg, &prog, &t, None, None);
        assert!(r.ops.len() > 10, "{label}: {} ops", r.ops.len());
        assert!(r.ops.iter().any(|o| o.op.contains("layer1")), "{label}");
        for o in &r.ops {
            assert!(o.cycles >= o.roofline_cycles, "{label}: {o:?}");
        }
        assert!(r.seconds >= r.roofline_bound_s, "{label}");
    }
}

#[test]
fn functional_mode_is_bit_exact_on_a_compiled_tiny_llama() {
    check("w4a8", 2, MemTiming::default());
}

#[test]
fn functional_mode_is_bit_exact_with_four_channels_and_fast_memory() {
    check("w8a8", 4, MemTiming::ideal());
}
