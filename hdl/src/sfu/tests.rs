//! Tests of the SFU leaves: rust-hdl simulation and Icarus simulation of the
//! emitted Verilog, both against the Rust functions of the semantics.

mod icarus;
mod leaves;
