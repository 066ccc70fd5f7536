//! Generated Verilog: sizes per config ([`geometry`]), field slices from
//! the instruction table ([`fields`]), static template modules
//! ([`templates`]), the buffers ([`buffers`]) and the engine top
//! ([`engine`]).

pub mod buffers;
pub mod double;
pub mod engine;
pub mod fields;
pub mod geometry;
pub mod kernel;
pub mod templates;
