//! Op costs: one trait, several providers.
//!
//! - [`AnalyzerCost`]: the analyzer's realistic estimate
//!   ([`llmfab_models::estimate::Estimator`]) — roofline with achievable
//!   bandwidth and matrix efficiencies, kernel overhead, energy model.
//! - [`super::profile::ProfileCost`]: a measured profile table (CSV of op,
//!   shape, time), interpolated, flagging extrapolation.
//! - [`super::engine_cost::EngineCost`]: the cycle-level engine simulator
//!   on compiled one-layer blocks, priced per block component through
//!   [`OpCostProvider::block_time`] and cached per shape.

use super::error::ClusterError;
use llmfab_models::calibration::Calibration;
use llmfab_models::device::Device;
use llmfab_models::estimate::Estimator;
use llmfab_models::graph::Op;
use llmfab_models::{Bindings, OpWork, QuantScheme};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::{Add, AddAssign, Mul};
use std::sync::Mutex;

/// What an op-cost provider is asked: one op of a device's shard, under
/// concrete bindings, with its work already computed.
#[derive(Clone, Copy, Debug)]
pub struct OpQuery<'a> {
    /// The op (kind, provenance name).
    pub op: &'a Op,
    /// Shape bindings.
    pub bindings: Bindings,
    /// Its work ([`llmfab_models::op_work`]).
    pub work: &'a OpWork,
    /// Tensor-parallel degree of the shard it belongs to.
    pub tp: u32,
}

/// Time and energy of one op on one device.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OpCost {
    /// Seconds.
    pub time_s: f64,
    /// Joules on this device (static power over the op's time included).
    pub energy_j: f64,
    /// True when the provider had to extrapolate beyond its data.
    pub extrapolated: bool,
}

/// Time, energy and work of something run on one device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Seconds.
    pub time_s: f64,
    /// Joules (one device).
    pub energy_j: f64,
    /// Arithmetic ops.
    pub flops: f64,
    /// Off-chip bytes moved.
    pub bytes: f64,
}

impl Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            time_s: self.time_s + o.time_s,
            energy_j: self.energy_j + o.energy_j,
            flops: self.flops + o.flops,
            bytes: self.bytes + o.bytes,
        }
    }
}

impl AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        *self = *self + o;
    }
}

impl Mul<f64> for Cost {
    type Output = Cost;
    fn mul(self, k: f64) -> Cost {
        Cost {
            time_s: self.time_s * k,
            energy_j: self.energy_j * k,
            flops: self.flops * k,
            bytes: self.bytes * k,
        }
    }
}

/// A component of one decoder block on one device, for providers that price
/// whole programs rather than single ops (the engine simulator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Component {
    /// Every per-layer op but the attention core, for `tokens` new tokens
    /// (from any mix of sequences).
    Dense {
        /// New tokens of the iteration.
        tokens: u64,
    },
    /// The attention core of `seqs` decoding sequences, each attending to
    /// `kv_len` positions.
    AttnDecode {
        /// Sequences.
        seqs: u64,
        /// Positions each attends to (its new token included).
        kv_len: u64,
    },
    /// The attention core of `chunks` prompt chunks of `chunk` tokens whose
    /// last token attends to `kv_len` positions.
    AttnPrefill {
        /// Chunks sharing the kernel.
        chunks: u64,
        /// Tokens per chunk.
        chunk: u64,
        /// Positions attended by a chunk's last token.
        kv_len: u64,
    },
}

/// What a block-level provider is asked: one component of one device's
/// shard of a decoder block.
#[derive(Clone, Copy, Debug)]
pub struct BlockQuery<'a> {
    /// The one-layer shard ([`super::shard::Shard::spec`]).
    pub shard: &'a llmfab_models::ModelSpec,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Expert-parallel degree.
    pub ep: u32,
    /// The component.
    pub component: Component,
}

/// A source of op costs.
pub trait OpCostProvider: Send + Sync {
    /// Short name for reports (`analyzer`, `profile:FILE`).
    fn name(&self) -> String;
    /// Cost of one op.
    fn op_cost(&self, q: &OpQuery) -> Result<OpCost, ClusterError>;
    /// Seconds of a whole block component on one device, for providers that
    /// simulate programs (`None`, the default: sum [`Self::op_cost`] over its
    /// ops). The caller keeps the ops' dynamic energy and charges static
    /// power over the returned time.
    fn block_time(&self, _q: &BlockQuery) -> Option<Result<f64, ClusterError>> {
        None
    }
    /// Remarks for the report (extrapolation, assumptions); none by default.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The analyzer's realistic estimate on one catalog device.
#[derive(Clone, Debug)]
pub struct AnalyzerCost {
    /// The device.
    pub device: Device,
    /// The quantization scheme.
    pub quant: QuantScheme,
    /// Optional user calibration.
    pub calibration: Option<Calibration>,
}

impl AnalyzerCost {
    /// A provider for `device` under `quant`.
    pub fn new(device: Device, quant: QuantScheme, calibration: Option<Calibration>) -> Self {
        AnalyzerCost {
            device,
            quant,
            calibration,
        }
    }
}

impl OpCostProvider for AnalyzerCost {
    fn name(&self) -> String {
        match &self.calibration {
            Some(c) => format!("analyzer (calibrated by {})", c.file),
            None => "analyzer".into(),
        }
    }

    fn op_cost(&self, q: &OpQuery) -> Result<OpCost, ClusterError> {
        let est = Estimator::new(&self.device, &self.quant, self.calibration.as_ref())
            .op(&q.op.kind, q.work);
        Ok(OpCost {
            time_s: est.estimate_s,
            energy_j: est.energy.total(),
            extrapolated: false,
        })
    }
}

/// Key of a shape: op name, bindings and tensor-parallel degree.
type ShapeKey = (String, u64, u64, u64, u32);

/// Memoises any provider per (op, shape), for providers whose op costs are
/// expensive to compute.
pub struct PerShapeCache<P> {
    inner: P,
    cache: Mutex<HashMap<ShapeKey, OpCost>>,
}

impl<P: OpCostProvider> PerShapeCache<P> {
    /// Wraps a provider.
    pub fn new(inner: P) -> Self {
        PerShapeCache {
            inner,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Distinct shapes costed so far.
    pub fn len(&self) -> usize {
        self.cache.lock().map_or(0, |c| c.len())
    }

    /// True when nothing has been costed yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<P: OpCostProvider> OpCostProvider for PerShapeCache<P> {
    fn name(&self) -> String {
        format!("{} (cached per shape)", self.inner.name())
    }

    fn op_cost(&self, q: &OpQuery) -> Result<OpCost, ClusterError> {
        let key = (
            q.op.name.clone(),
            q.bindings.batch,
            q.bindings.seq,
            q.bindings.kv_len,
            q.tp,
        );
        if let Some(c) = self.cache.lock().ok().and_then(|c| c.get(&key).copied()) {
            return Ok(c);
        }
        let c = self.inner.op_cost(q)?;
        if let Ok(mut m) = self.cache.lock() {
            m.insert(key, c);
        }
        Ok(c)
    }

    fn notes(&self) -> Vec<String> {
        self.inner.notes()
    }
}
