//! `verilator --lint-only -Wall` on an emitted design with the one waiver
//! file `hdl/lint/waivers.vlt` (docs/rtl.md, "Waivers").

use crate::design::Design;
use crate::HdlError;
use std::process::Command;

/// The waiver file, compiled in.
pub const WAIVERS: &str = include_str!("../lint/waivers.vlt");

/// Lints `design` with `top` as the top module; returns Verilator's
/// warnings (empty when clean).
pub fn lint(design: &Design, top: &str) -> Result<String, HdlError> {
    let dir = std::env::temp_dir().join(format!(
        "llmfab-lint-{}-{top}-{}",
        std::process::id(),
        design.files.len()
    ));
    let io = |e: std::io::Error| HdlError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    std::fs::write(dir.join("waivers.vlt"), WAIVERS).map_err(io)?;
    let mut files = vec!["waivers.vlt".to_string()];
    for f in &design.files {
        std::fs::write(dir.join(&f.name), &f.text).map_err(io)?;
        files.push(f.name.clone());
    }
    let out = Command::new("verilator")
        .args(["--lint-only", "-Wall", "--top-module", top])
        .args(&files)
        .current_dir(&dir)
        .output()
        .map_err(|e| HdlError::Tool {
            tool: "verilator".into(),
            message: format!("cannot run verilator (install the Debian package verilator): {e}"),
        })?;
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() {
        Ok(String::new())
    } else {
        Ok(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
