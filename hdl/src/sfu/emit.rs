//! Emission of rust-hdl leaves as named Verilog modules, with rust-hdl's
//! panics (failed design checks) caught and reported as errors.

use super::SfuError;
use rust_hdl::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Verilog of `uut` with its top module named `name` and its submodules
/// `name_<sub>` (so that several leaves can share one file).
pub fn leaf_verilog<B: Block>(name: &str, mut uut: B) -> Result<String, SfuError> {
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
        SfuError::Generate {
            module: name.to_string(),
            message,
        }
    })?;
    Ok(rename(&text, name))
}

/// Renames `module top` to `module <name>` and `top$x` instances/modules to
/// `<name>_x` (rust-hdl names submodules by path from `top`).
fn rename(text: &str, name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let l = if let Some(rest) = line.strip_prefix("module top") {
            format!("module {name}{}", rest.replace('$', "_"))
        } else {
            line.replace("top$", &format!("{name}_"))
        };
        out.push_str(&l);
        out.push('\n');
    }
    out
}
