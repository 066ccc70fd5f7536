//! `llmfab hdl` end to end: a board's default engine and a config file
//! produce Verilog and a resource report; bad input exits with code 2 and
//! writes nothing.

mod common;

use common::*;

fn dir(name: &str) -> Scratch {
    scratch("hdl-cli", name)
}

#[test]
fn board_default_core_emits_verilog_and_report() {
    let d = dir("board");
    let out = d.join("u280");
    let o = llmfab(&["hdl", "--board", "u280", "--core-only", "-o", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("lines") && stdout.contains("modules"),
        "{stdout}"
    );
    for f in [
        "llmfab_kernel.v",
        "llmfab_engine.v",
        "llmfab_leaves.v",
        "resources.md",
        "engine.toml",
        "summary.txt",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let report = std::fs::read_to_string(out.join("resources.md")).unwrap();
    assert!(
        report.contains("estimates") && report.contains("u280 user region"),
        "{report}"
    );
    let kernel = std::fs::read_to_string(out.join("llmfab_kernel.v")).unwrap();
    assert!(kernel.contains("m_axi_ch31_araddr") && kernel.contains("s_axi_control_awaddr"));
    // Without --core-only: the whole engine, and the board default fits.
    let o = llmfab(&["hdl", "--board", "u50", "-o", s(&d.join("u50"))]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = std::fs::read_to_string(d.join("u50/resources.md")).unwrap();
    assert!(
        report.contains("llmfab_sfu_lane") && report.contains("llmfab_mx_col"),
        "{report}"
    );
    assert!(!report.contains("does not fit"), "{report}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("does not fit"));
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let d = dir("bad");
    let cfg = d.join("bad.toml");
    std::fs::write(
        &cfg,
        llmfab_isa::EngineConfig::tiny()
            .to_toml()
            .replace("rows = 4", "rows = 3"),
    )
    .unwrap();
    let out = d.join("out");
    let o = llmfab(&["hdl", "--config", s(&cfg), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("rows") && e.contains("bad.toml"), "{e}");
    assert!(!out.exists());
    // Valid for the ISA, not buildable: kv_row_bytes not a power of two.
    let mut c = llmfab_isa::EngineConfig::tiny();
    c.kv_row_bytes = 96;
    c.kvbuf_bytes = 96 * 64;
    std::fs::write(&cfg, c.to_toml()).unwrap();
    let o = llmfab(&["hdl", "--config", s(&cfg), "--core-only", "-o", s(&out)]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("power of two"));
    assert!(!out.exists());
    let o = llmfab(&["hdl", "--board", "nosuch", "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("u280"));
    let o = llmfab(&["hdl", "--config", s(&d.join("missing.toml")), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
}
