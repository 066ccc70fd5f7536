//! `verilator --lint-only -Wall` of the emitted unit (no waivers).

use super::icarus::lint;

#[test]
fn unit_lints_clean() {
    let mut cfgs = llmfab_isa::random::small_configs();
    let mut u = llmfab_isa::EngineConfig::tiny();
    u.name = "l1-kv4".into();
    u.sfu_lanes = 1;
    u.kv_bits = 4;
    cfgs.push(u);
    for cfg in cfgs {
        let v = crate::sfu::verilog(&cfg).expect("SFU Verilog");
        let w = lint(&format!("sfu-{}", cfg.name), &v, "llmfab_sfu");
        assert!(w.is_empty(), "{}: {w}", cfg.name);
    }
}
