//! Emission of the matrix unit's rust-hdl leaves as named Verilog modules
//! (`llmfab_mx_*`), with rust-hdl's panics (failed design checks) caught
//! and reported as [`MatrixError::Generate`]; clocks rewired as the core's
//! leaves are (`llmfab_hdl::emit::wire_clocks`).

use super::MatrixError;
use rust_hdl::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Verilog of `uut` with its top module named `name` and its submodules
/// `name_<sub>`, so that several leaves can share one file.
pub fn leaf_verilog<B: Block>(name: &str, mut uut: B) -> Result<String, MatrixError> {
    let text = catch_unwind(AssertUnwindSafe(|| {
        uut.connect_all();
        generate_verilog(&uut)
    }))
    .map_err(|e| {
        let message = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "rust-hdl design check failed".into());
        MatrixError::Generate {
            module: name.to_string(),
            message,
        }
    })?;
    // The core's clock rewiring (a simulation-speed fix, same circuit).
    Ok(crate::emit::wire_clocks(&rename(&text, name)))
}

/// Renames `module top` to `module <name>` and rust-hdl's `top$a$b`
/// submodule names to `<name>_a_b` (declarations and instances alike).
fn rename(text: &str, name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(i) = rest.find("top") {
            let before_ok = i == 0 || {
                let c = rest.as_bytes()[i - 1];
                !(c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
            };
            let tail = &rest[i + 3..];
            if before_ok
                && (tail.starts_with('$')
                    || (tail.starts_with('(') || tail.starts_with(' '))
                        && line.trim_start().starts_with("module"))
            {
                l.push_str(&rest[..i]);
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(tail.len());
                l.push_str(name);
                l.push_str(&tail[..end].replace('$', "_"));
                rest = &tail[end..];
            } else {
                l.push_str(&rest[..i + 3]);
                rest = tail;
            }
        }
        l.push_str(rest);
        out.push_str(l.trim_end());
        out.push('\n');
    }
    out
}
