//! Tests of the SFU: leaves (rust-hdl simulation and Icarus against the
//! Rust functions of the semantics) and the whole unit (Icarus against
//! `llmfab_isa::reference`, cycles against `timing::sfu`), lint.

mod icarus;
mod lane;
mod leaves;
mod lint;
mod size;
mod unit;
