//! Golden Verilog: the core of the `tiny` engine as `llmfab hdl
//! --core-only` emits it, checked in under `hdl/tests/golden/tiny/`.
//! Any change to the emitted text fails here; re-bless with
//! `LLMFAB_BLESS=1 cargo test -p llmfab-hdl --test golden` (or `cargo
//! xtask bless`) and review the diff.

use llmfab_hdl::design::{design, Parts};
use llmfab_isa::EngineConfig;
use std::path::PathBuf;

#[test]
fn tiny_core_verilog_matches_golden() {
    let d = design(&EngineConfig::tiny(), Parts::CoreOnly).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiny");
    let bless = std::env::var_os("LLMFAB_BLESS").is_some();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut stale = Vec::new();
    for f in &d.files {
        assert!(
            !f.text.contains("/work/") && !f.text.contains("/home/"),
            "{}: absolute path in emitted text",
            f.name
        );
        let p = dir.join(&f.name);
        if bless {
            std::fs::write(&p, &f.text).unwrap();
        } else if std::fs::read_to_string(&p).ok().as_deref() != Some(f.text.as_str()) {
            stale.push(f.name.clone());
        }
    }
    assert!(stale.is_empty(), "emitted Verilog differs from hdl/tests/golden/tiny for {stale:?}; re-bless with LLMFAB_BLESS=1 and review the diff");
}
