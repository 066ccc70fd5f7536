//! The cluster / parallel-plan simulator: how to split a model over many
//! devices and how to batch requests, answered by simulating a request
//! trace on every valid plan.
//!
//! Pipeline, one module per concept:
//!
//! ```text
//! request (traces, synthetic)      topology (devices, nodes, links)
//!        │                                │
//!        ▼                                ▼
//! plan (dp × tp × pp × ep, batching) ─► model (shard, balance, grid, cost/profile)
//!        │                                │ per-stage iteration costs, cached
//!        ▼                                ▼
//! scheduler (vLLM-like) ─► replica (event simulation, pipeline engines)
//!        │
//!        ▼
//! evaluate (replicas, disaggregation, metrics) ─► search (rank, Pareto, shards, capacity)
//!        │
//!        ▼
//! report (table, CSV, JSON) · validate (predicted vs measured)
//! ```

pub mod balance;
pub mod collective;
pub mod cost;
pub mod engine_cost;
pub mod error;
pub mod evaluate;
pub mod grid;
pub mod metrics;
pub mod model;
pub mod plan;
pub mod profile;
pub mod replica;
pub mod report;
pub mod request;
pub mod rng;
pub mod scheduler;
pub mod search;
pub mod shard;
pub mod topology;
pub mod validate;

pub use cost::{
    AnalyzerCost, BlockQuery, Component, OpCost, OpCostProvider, OpQuery, PerShapeCache,
};
pub use engine_cost::{BlockProgram, BlockProgramSource, EngineCost, Region};
pub use error::ClusterError;
pub use evaluate::{evaluate, Evaluation, Setup, Slo};
pub use metrics::{Metrics, Stats};
pub use model::ServeConfig;
pub use plan::{Batching, Plan, SpaceOptions};
pub use profile::ProfileCost;
pub use request::{load_trace, Request, Synthetic};
pub use search::{capacity, search, Entry, Objective, ShardSpec};
pub use topology::{Cluster, LinkSpec};
