//! Verilator lint of emitted SFU Verilog; Icarus runs come from the shared
//! [`crate::testing::icarus`].

pub use crate::testing::icarus::{comb_tb, parse_hex, run_icarus, run_icarus_in, scratch};
use std::process::Command;

/// `verilator --lint-only -Wall` of `sources` with `top`; returns the
/// warnings. DECLFILENAME is off: rust-hdl puts a leaf's submodules in the
/// leaf's file (waiver requested in docs/rtl.md).
pub fn lint(name: &str, sources: &str, top: &str) -> String {
    let d = scratch(&format!("lint-{name}"));
    let file = format!("{top}.v");
    std::fs::write(d.join(&file), sources).unwrap();
    let out = Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "-Wno-DECLFILENAME",
            "--top-module",
            top,
            &file,
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
