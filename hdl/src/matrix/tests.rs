//! Tests of the matrix unit: leaves (rust-hdl simulation and Icarus), the
//! emitted unit (Icarus co-simulation against `llmfab_isa::reference`,
//! cycle counts against `llmfab_isa::timing::matrix`), lint and Yosys.

mod control;
mod cosim;
mod dump;
mod leaves;
mod lint;
mod unit;
mod yosys;
