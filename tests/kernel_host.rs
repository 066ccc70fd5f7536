//! The kernel as a host sees it: a tiny Llama is compiled with the compiler
//! library onto a small engine, and its decode program runs on the emitted
//! `llmfab_kernel` under Icarus through the kernel's own interfaces — the
//! testbench (`llmfab_hdl::tb`) writes `instr_count` and the channel base
//! pointers over AXI4-Lite, sets ap_start, polls ap_done, reads the cycle
//! counter, and serves `m_axi_instr` and `m_axi_ch<c>` from AXI memory
//! models holding the program and the packed HBM image. Every byte of every
//! buffer and memory afterwards, the logits included, must equal the
//! reference interpreter's.

mod common;

use common::tiny_llama;
use llmfab_compiler::data::{random_input, Weights};
use llmfab_compiler::lower::{lower_phase, prepare, LowerOptions, Phase};
use llmfab_compiler::{engine_quant, pack};
use llmfab_hdl::tb::{Bench, BenchSize};
use llmfab_isa::image::HbmImage;
use llmfab_isa::{EngineConfig, MemTiming};
use llmfab_models::{BuildOptions, Graph, QuantScheme};
use std::path::PathBuf;

/// 8 x 16 lanes, one 256-bit channel.
fn engine(weight_bits: u32, act_bits: u32, kv_bits: u32, group_size: u32) -> EngineConfig {
    EngineConfig {
        name: "host-small".into(),
        rows: 8,
        cols: 16,
        weight_bits,
        act_bits,
        kv_bits,
        group_size,
        clock_mhz: 200.0,
        channels: 1,
        port_bits: 256,
        wbuf_bytes: 64 * 8 * 16 * weight_bits as u64 / 8,
        abuf_bytes: 16 * 1024,
        kvbuf_bytes: 8 * 1024,
        kv_row_bytes: 32,
        acc_bytes: 8 * 1024,
        sbuf_bytes: 8 * 1024,
        sfu_lanes: 8,
        queue_depth: 16,
        max_burst: 16,
        max_outstanding: 4,
    }
}

#[test]
fn compiled_decode_runs_on_the_kernel_like_on_the_reference() {
    let spec = tiny_llama(1);
    let graph = Graph::build(&spec, BuildOptions::default());
    let eq = engine_quant(&QuantScheme::parse("w4a8").unwrap()).unwrap();
    let cfg = engine(eq.weight_bits, eq.act_bits, eq.kv_bits, eq.group_size);
    let phase = Phase::decode(4);
    let opts = LowerOptions::default();
    let pre = prepare(
        &graph,
        &cfg,
        &eq,
        std::slice::from_ref(&phase),
        &opts,
        &spec.name,
    )
    .expect("prepare");
    let cp = lower_phase(&pre, &graph, &cfg, &phase, &opts).expect("lower decode");
    let prog = cp.program(&pre.names);
    let weights = Weights::random(&graph, &pre.plan, 7);
    let mut hbm = pack::image(&cfg, &pre, &weights, 10000.0);
    pack::write_input(
        &cfg,
        &pre,
        &mut hbm,
        &random_input(1, spec.hidden, cfg.act_bits, 3),
    );
    let beat = cfg.beat_bytes() as usize;
    for ch in hbm.iter_mut() {
        ch.resize(ch.len().div_ceil(beat) * beat, 0);
    }
    let img = HbmImage {
        beat_bytes: beat,
        channels: hbm,
    };
    let design = llmfab_hdl::design::build(
        &cfg,
        llmfab_hdl::design::UnitImpl::Real,
        llmfab_hdl::design::UnitImpl::Real,
    )
    .expect("design");
    let words = (img.channels[0].len() / beat) as u64;
    let size = BenchSize {
        instr_words: prog.instrs().len() as u64 + 1,
        hbm_words: words,
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("llmfab-kernel-host");
    let fast = MemTiming {
        read_latency: 7,
        write_latency: 3,
        burst_gap: 2,
    };
    let bench = Bench::build(&cfg, &fast, &design, size, &dir).expect("testbench");
    let t = std::time::Instant::now();
    let out = llmfab_hdl::cosim::run(&bench, &cfg, &prog, &img, 3_000_000).expect("kernel run");
    eprintln!(
        "decode: {} instructions, {} kernel cycles, {:.1} s in Icarus",
        prog.instrs().len(),
        out.cycles,
        t.elapsed().as_secs_f64()
    );
    assert_eq!(
        out.mismatches.1, 0,
        "kernel and reference differ: {:?}",
        out.mismatches.0
    );
    assert!(out.cycles > prog.instrs().len() as u64);
    // The run computed something: the reference's logits are not all zero.
    let mut m = img.machine(&cfg).unwrap();
    m.run(&prog).unwrap();
    let logits = pack::read_logits(&cfg, &pre, &m.hbm);
    assert_eq!(logits.len(), spec.vocab as usize);
    assert!(logits.iter().any(|&x| x != 0), "all-zero logits");
}
