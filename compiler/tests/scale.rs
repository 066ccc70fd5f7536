//! Llama-2-7B compiles in seconds with instruction counts on the order of 10^5.

use llmfab_compiler::engine_quant;
use llmfab_compiler::lower::{lower_phase, prepare, LowerOptions, Phase};
use llmfab_isa::EngineConfig;
use llmfab_models::{BuildOptions, Graph, QuantScheme};
use std::time::Instant;

fn u280_like() -> EngineConfig {
    EngineConfig {
        name: "u280-test".into(),
        rows: 64,
        cols: 64,
        weight_bits: 4,
        act_bits: 8,
        kv_bits: 8,
        group_size: 128,
        clock_mhz: 225.0,
        channels: 32,
        port_bits: 256,
        wbuf_bytes: 2 << 20,
        abuf_bytes: 2 << 20,
        kvbuf_bytes: 4 << 20,
        kv_row_bytes: 128,
        acc_bytes: 1 << 20,
        sbuf_bytes: 256 << 10,
        sfu_lanes: 64,
        queue_depth: 64,
        max_burst: 64,
        max_outstanding: 8,
    }
}

#[test]
#[ignore = "slow in debug; run with --release --ignored"]
fn llama2_7b_compiles_in_seconds() {
    let spec = llmfab_models::zoo::get("llama-2-7b").unwrap();
    let graph = Graph::build(&spec, BuildOptions::default());
    let eq = engine_quant(&QuantScheme::parse("w4a8").unwrap()).unwrap();
    let cfg = u280_like();
    let phases = [
        Phase::prefill(128),
        Phase::prefill(512),
        Phase::decode(4096),
    ];
    let opts = LowerOptions {
        verify: true,
        ..Default::default()
    };
    let t = Instant::now();
    let pre = prepare(&graph, &cfg, &eq, &phases, &opts, "llama-2-7b").unwrap();
    println!("prepare {:?}", t.elapsed());
    for ph in &phases {
        let t = Instant::now();
        let cp = lower_phase(&pre, &graph, &cfg, ph, &opts).unwrap();
        println!(
            "{}: {} instructions, mb {} blocks {}, {:?}",
            ph.name,
            cp.instrs.len(),
            cp.layout.mb,
            cp.layout.blocks,
            t.elapsed()
        );
    }
}
