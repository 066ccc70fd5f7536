//! `verilator --lint-only -Wall` of the emitted unit on several configs,
//! with the matrix unit's waivers (requested in docs/rtl.md, "Waivers").

use llmfab_isa::EngineConfig;
use std::process::Command;

/// The waivers the matrix unit needs, each justified in docs/rtl.md.
pub const WAIVERS: &str = r#"`verilator_config
// llmfab_mx_ctl: rust-hdl emits each nest as one always block, so Verilator sees the
// issue nest's adv input feeding its (registered) outputs and back: not a real loop.
lint_off -rule UNOPTFLAT -file "*" -match "*issue$adv*"
"#;

/// Lints `sources` (top `top`) with the waivers; returns the warnings.
pub fn lint_unit(name: &str, sources: &str, top: &str) -> String {
    let d = crate::testing::icarus::scratch(&format!("lint-{name}"));
    std::fs::write(d.join("waivers.vlt"), WAIVERS).unwrap();
    std::fs::write(d.join(format!("{top}.v")), sources).unwrap();
    let out = Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "-Wno-DECLFILENAME",
            "--top-module",
            top,
            "waivers.vlt",
            &format!("{top}.v"),
        ])
        .current_dir(&d)
        .output()
        .expect("verilator is installed (Debian package verilator)");
    let _ = std::fs::remove_dir_all(&d);
    if out.status.success() {
        String::new()
    } else {
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// Configs beyond `small_configs`: int16 × 8-bit B (one lane per DSP) and
/// a U280-sized 64×64 W4 array.
pub fn extra_configs() -> Vec<EngineConfig> {
    let t = EngineConfig::tiny();
    let a16 = EngineConfig {
        name: "a16-kv8".into(),
        rows: 8,
        cols: 8,
        act_bits: 16,
        weight_bits: 4,
        ..t.clone()
    };
    let big = EngineConfig {
        name: "u280-64x64".into(),
        rows: 64,
        cols: 64,
        weight_bits: 4,
        kv_bits: 4,
        group_size: 128,
        channels: 8,
        wbuf_bytes: 2048 * 64,
        abuf_bytes: 1 << 16,
        kvbuf_bytes: 1 << 16,
        kv_row_bytes: 64,
        acc_bytes: 1 << 16,
        sbuf_bytes: 4096,
        sfu_lanes: 16,
        ..t
    };
    vec![a16, big]
}

/// Edge shapes: `R = 2` (group = one block), `C = 2` (one DSP per row),
/// and W4A8KV4 (lanes accumulate in the DSPs' `P`).
pub fn edge_configs() -> Vec<EngineConfig> {
    let t = EngineConfig::tiny();
    let r2 = EngineConfig {
        name: "r2-c16".into(),
        rows: 2,
        cols: 16,
        group_size: 2,
        kv_row_bytes: 32,
        ..t.clone()
    };
    let c2 = EngineConfig {
        name: "r16-c2".into(),
        rows: 16,
        cols: 2,
        group_size: 16,
        kv_bits: 4,
        weight_bits: 8,
        ..t
    };
    let w4 = EngineConfig {
        name: "w4a8kv4".into(),
        rows: 8,
        cols: 8,
        weight_bits: 4,
        kv_bits: 4,
        group_size: 16,
        ..EngineConfig::tiny()
    };
    vec![r2, c2, w4]
}

#[test]
fn emitted_unit_is_lint_clean() {
    let mut problems = String::new();
    let mut cfgs = llmfab_isa::random::small_configs();
    cfgs.extend(extra_configs().into_iter().take(1));
    cfgs.extend(edge_configs());
    for cfg in cfgs {
        cfg.validate().unwrap();
        let v = crate::matrix::verilog(&cfg).unwrap();
        let w = lint_unit(&cfg.name, &v, "llmfab_matrix");
        if !w.is_empty() {
            problems += &format!("{}:\n{w}\n", cfg.name);
        }
    }
    assert!(problems.is_empty(), "verilator -Wall:\n{problems}");
}
