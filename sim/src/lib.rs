//! llmfab-sim: the cycle-level engine simulator and the cluster /
//! parallel-plan simulator ([`cluster`]).

pub mod cluster;
pub mod engine;
