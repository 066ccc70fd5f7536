//! llmfab-hdl: the engine in rust-hdl, its Verilog emission and the Vitis
//! RTL-kernel shell.

pub mod matrix;
pub mod sfu;
