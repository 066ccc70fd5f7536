//! Emitted size (module reuse: the text must not grow with the lanes) and
//! Yosys figures of the unit's blocks (`--ignored`, slow).

use llmfab_isa::EngineConfig;

fn u280() -> EngineConfig {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../bitstreams/u280/engine.toml"
    );
    let text = std::fs::read_to_string(path).expect("u280 engine.toml");
    toml::from_str(&text).expect("u280 config")
}

#[test]
fn emitted_size_does_not_grow_with_lanes() {
    let big = u280();
    let mut small = big.clone();
    small.sfu_lanes = 8;
    let vb = crate::sfu::verilog(&big).expect("u280 SFU");
    let vs = crate::sfu::verilog(&small).expect("8-lane SFU");
    println!(
        "llmfab_sfu.v: {} bytes (128 lanes), {} bytes (8 lanes)",
        vb.len(),
        vs.len()
    );
    assert!(vb.len() < 100_000, "{} bytes", vb.len());
    assert!(vb.len() < vs.len() + 2_000, "{} vs {}", vb.len(), vs.len());
    assert_eq!(vb.matches("module llmfab_sfu_lane(").count(), 1);
}

#[test]
#[ignore = "slow: Yosys on the tiny and U280 SFU blocks (minutes)"]
fn yosys_blocks() {
    for cfg in [EngineConfig::tiny(), u280()] {
        for b in crate::sfu::blocks(&cfg).expect("blocks") {
            let c = crate::resources::cells::synth(&b.verilog, &b.module).expect("yosys");
            println!(
                "{} {} ×{}: LUT {} FF {} DSP {}",
                cfg.name, b.module, b.count, c.lut, c.ff, c.dsp
            );
        }
    }
}
