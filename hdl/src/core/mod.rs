//! The core's rust-hdl control blocks. Each has config-independent port
//! widths; config values arrive as constant inputs (docs/rtl.md §1), so
//! one emitted module serves every config.

pub mod comp_exec;
pub mod ctrl;
pub mod dispatch;
pub mod dma_rd;
pub mod dma_walk;
pub mod dma_wr;
pub mod fetch;
pub mod fifo;
pub mod tokens;
pub mod xfer_exec;

#[cfg(test)]
pub(crate) mod testing;

use crate::emit::{leaf_verilog, EmitError};

/// Names of the core's rust-hdl modules, in emission order.
pub const LEAVES: &[&str] = &[
    "llmfab_ctrl",
    "llmfab_fetch",
    "llmfab_dispatch",
    "llmfab_fifo_ctl",
    "llmfab_tokens",
    "llmfab_xfer_exec",
    "llmfab_comp_exec",
    "llmfab_dma_rd",
    "llmfab_dma_wr",
];

/// Verilog of one core leaf by name (`None` for an unknown name).
pub fn leaf(name: &str) -> Option<Result<String, EmitError>> {
    Some(match name {
        "llmfab_ctrl" => leaf_verilog(name, ctrl::Ctrl::default()),
        "llmfab_fetch" => leaf_verilog(name, fetch::Fetch::default()),
        "llmfab_dispatch" => leaf_verilog(name, dispatch::Dispatch::default()),
        "llmfab_fifo_ctl" => leaf_verilog(name, fifo::FifoCtl::default()),
        "llmfab_tokens" => leaf_verilog(name, tokens::Tokens::default()),
        "llmfab_xfer_exec" => leaf_verilog(name, xfer_exec::XferExec::default()),
        "llmfab_comp_exec" => leaf_verilog(name, comp_exec::CompExec::default()),
        "llmfab_dma_rd" => leaf_verilog(name, dma_rd::DmaRd::default()),
        "llmfab_dma_wr" => leaf_verilog(name, dma_wr::DmaWr::default()),
        _ => return None,
    })
}

/// Verilog of every core leaf (config independent).
pub fn leaves_verilog() -> Result<String, EmitError> {
    let mut v = String::new();
    for name in LEAVES {
        if let Some(text) = leaf(name) {
            v += &text?;
        }
    }
    Ok(v)
}

#[cfg(test)]
mod ctrl_tests;
#[cfg(test)]
mod dma_tests;
