//! The Verilog testbench: an AXI4 memory model per port implementing
//! `MemTiming` exactly ([`mem_model`]), the bench top ([`bench`]) and the
//! Icarus runner that turns a program and a memory image into a cycle
//! count and a logical dump ([`run`]).

pub mod bench;
pub mod mem_model;
pub mod run;

pub use bench::BenchSize;
pub use run::{Bench, BenchRun, Simulator};
