//! `verilator --lint-only -Wall` on an emitted design with the one waiver
//! file `hdl/lint/waivers.vlt` (docs/rtl.md, "Waivers").

use crate::design::Design;
use crate::HdlError;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes the scratch folders of concurrent calls in one process.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The waiver file, compiled in.
pub const WAIVERS: &str = include_str!("../lint/waivers.vlt");

/// A scratch folder of its own for one call: parallel tests lint the same
/// design and top at once, and each call removes its folder when done.
fn scratch(top: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "llmfab-lint-{}-{top}-{}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Lints `design` with `top` as the top module; returns Verilator's
/// warnings (empty when clean).
pub fn lint(design: &Design, top: &str) -> Result<String, HdlError> {
    let dir = scratch(top);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{build, UnitImpl};

    /// Two lints of the same design and top (parallel tests do this) never
    /// share a scratch folder, where one's clean-up would remove the
    /// other's files before Verilator reads them.
    #[test]
    fn every_call_has_its_own_folder() {
        assert_ne!(scratch("llmfab_kernel"), scratch("llmfab_kernel"));
        let cfg = llmfab_isa::EngineConfig::tiny();
        let d = build(&cfg, UnitImpl::Double, UnitImpl::Double).unwrap();
        std::thread::scope(|s| {
            let runs: Vec<_> = (0..3)
                .map(|_| s.spawn(|| lint(&d, "llmfab_engine").unwrap()))
                .collect();
            for r in runs {
                let w = r.join().unwrap();
                assert!(w.is_empty(), "{w}");
            }
        });
    }
}
