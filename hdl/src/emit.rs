//! Emission of rust-hdl leaves as named Verilog modules (rust-hdl's panics
//! caught and reported as errors), and the block list of the resource report.

use rust_hdl::prelude::Block;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A leaf (or small block) of a unit and how many instances a config uses;
/// the resource report synthesises `verilog` once and scales by `count`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockUse {
    /// Module name (the top module of `verilog`).
    pub module: String,
    /// Self-contained, synthesisable Verilog of the module.
    pub verilog: String,
    /// Instances in the engine for the config.
    pub count: u64,
}

/// rust-hdl refused to emit a block (its design checks panicked).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rust-hdl block '{module}': Verilog generation failed: {message}")]
pub struct EmitError {
    /// Module being emitted.
    pub module: String,
    /// rust-hdl's panic message.
    pub message: String,
}

/// Verilog of `uut` with its top module named `name` and its submodules
/// `name_<path>` (so that several leaves can share one file).
pub fn leaf_verilog<B: Block>(name: &str, mut uut: B) -> Result<String, EmitError> {
    let text = catch_unwind(AssertUnwindSafe(|| {
        uut.connect_all();
        rust_hdl::prelude::generate_verilog(&uut)
    }))
    .map_err(|e| EmitError {
        module: name.to_string(),
        message: e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "rust-hdl design check failed".into()),
    })?;
    Ok(wire_clocks(&rename(&text, name)))
}

/// Renames `module top` to `module <name>` and every identifier `top$a$b`
/// (rust-hdl's submodule paths) to `<name>_a_b`.
fn rename(text: &str, name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let l = match line.strip_prefix("module top") {
            Some(rest) if rest.starts_with('(') => format!("module {name}{rest}"),
            _ => line.to_string(),
        };
        let mut rest = l.as_str();
        let mut fixed = String::with_capacity(l.len());
        while let Some(i) = rest.find("top$") {
            let boundary = rest[..i]
                .chars()
                .last()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'));
            fixed.push_str(&rest[..i]);
            let ident_len = rest[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(rest.len() - i);
            let ident = &rest[i..i + ident_len];
            if boundary {
                fixed.push_str(name);
                fixed.push('_');
                fixed.push_str(&ident[4..].replace('$', "_"));
            } else {
                fixed.push_str(ident);
            }
            rest = &rest[i + ident_len..];
        }
        fixed.push_str(rest);
        out.push_str(fixed.trim_end());
        out.push('\n');
    }
    out
}

/// Moves rust-hdl's clock fan-out out of its combinational blocks.
///
/// rust-hdl drives each register's clock from inside the block's
/// `always @(*)` (`x$clock = clock;`), which makes every combinational
/// block re-run on both clock edges — the main cost of simulating rust-hdl
/// designs in Icarus. This rewrites `reg x$clock;` into `wire x$clock =
/// clock;` and drops the assignment; the circuit is unchanged.
pub fn wire_clocks(text: &str) -> String {
    let mut map = std::collections::HashMap::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some((lhs, rhs)) = t.strip_suffix(';').and_then(|x| x.split_once(" = ")) {
            let ident = |x: &str| {
                !x.is_empty()
                    && x.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            };
            if let Some(name) = lhs.strip_suffix("$clock") {
                if ident(name) && ident(rhs) {
                    map.insert(lhs.to_string(), rhs.to_string());
                }
            }
        }
    }
    if map.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim();
        if let Some((lhs, _)) = t.strip_suffix(';').and_then(|x| x.split_once(" = ")) {
            if map.contains_key(lhs) {
                continue;
            }
        }
        if let Some(name) = t.strip_prefix("reg  ").and_then(|x| x.strip_suffix(';')) {
            if let Some(rhs) = map.get(name) {
                let indent = &line[..line.len() - line.trim_start().len()];
                out.push_str(&format!("{indent}wire  {name} = {rhs};\n"));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Names of the modules a Verilog text defines, in order.
pub fn module_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("module "))
        .filter_map(|rest| {
            let n: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
                .collect();
            (!n.is_empty()).then_some(n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_wiring_moves_out_of_always_blocks_once() {
        let v = "module m(clock);\n    input wire  clock;\n    reg  q$clock;\n    always @(*) begin\n        q$clock = clock;\n        x = y;\n    end\nendmodule\n";
        let once = wire_clocks(v);
        assert!(once.contains("    wire  q$clock = clock;\n"), "{once}");
        assert!(!once.contains("        q$clock = clock;\n"), "{once}");
        assert_eq!(wire_clocks(&once), once, "idempotent");
    }
}
