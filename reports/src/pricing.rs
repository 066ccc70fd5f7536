//! Pricing the ops of one forward pass, with the collectives tensor
//! parallelism adds after the embedding, o_proj, down_proj and lm_head, and
//! summing a request's decode steps exactly: ops whose work does not depend
//! on the KV length are priced once and multiplied by the number of steps;
//! the others are priced at every step, once per distinct shape (every
//! layer's `attn.qk` has the same shape) and added to each of their rows.

use crate::report::OpRow;
use llmfab_models::collective::{ring_all_gather, ring_all_reduce};
use llmfab_models::device::Link;
use llmfab_models::estimate::{Bound, OpEstimate};
use llmfab_models::work::{op_work, OpWork};
use llmfab_models::{Bindings, Estimator, Graph, LinearRole, ModelSpec, OpId, OpKind};
use std::collections::BTreeMap;

/// What pricing one step needs, and the factors seen so far.
pub(crate) struct Ctx<'a> {
    /// The per-device graph.
    pub(crate) graph: Graph,
    /// The per-device (sharded) model.
    pub(crate) spec: ModelSpec,
    /// The whole model.
    pub(crate) full: &'a ModelSpec,
    /// Prices ops on the device.
    pub(crate) est: Estimator<'a>,
    /// Tensor-parallel degree.
    pub(crate) tp: u32,
    /// Link of the collectives (tp > 1).
    pub(crate) link: Option<(String, Link)>,
    /// Factor (name, source) -> (min, max) value seen.
    pub(crate) factors: BTreeMap<(String, String), (f64, f64)>,
}

/// An op name without its `layerN.` prefix.
pub(crate) fn role_of(name: &str) -> String {
    match name.strip_prefix("layer") {
        Some(rest) => match rest.find('.') {
            Some(i) if rest[..i].chars().all(|c| c.is_ascii_digit()) => rest[i + 1..].to_string(),
            _ => name.to_string(),
        },
        None => name.to_string(),
    }
}

impl Ctx<'_> {
    fn note_factors(&mut self, e: &OpEstimate) {
        for f in &e.factors {
            let ent = self
                .factors
                .entry((f.name.clone(), f.source.clone()))
                .or_insert((f.value, f.value));
            ent.0 = ent.0.min(f.value);
            ent.1 = ent.1.max(f.value);
        }
    }

    fn row(
        &mut self,
        name: &str,
        layer: Option<u32>,
        kind: &str,
        phase: &str,
        w: &OpWork,
        e: OpEstimate,
    ) -> OpRow {
        self.note_factors(&e);
        let bytes = w.bytes();
        OpRow {
            name: name.to_string(),
            layer,
            kind: kind.to_string(),
            role: role_of(name),
            phase: phase.to_string(),
            steps: 1,
            precision: e.precision.map(|p| p.as_str().to_string()),
            ops: w.ops,
            weight_bytes: w.weight_bytes,
            act_bytes: w.act_bytes,
            kv_bytes: w.kv_read_bytes,
            bytes_read: w.bytes_read(),
            bytes_written: w.bytes_written,
            kv_write_bytes: w.kv_write_bytes,
            link_bytes: 0.0,
            intensity: if bytes > 0.0 { w.ops / bytes } else { 0.0 },
            bound: e.bound,
            compute_s: e.compute_s,
            memory_s: e.memory_s,
            time_roofline_s: e.roofline_s,
            time_estimate_s: e.estimate_s,
            energy_j: e.energy.total(),
            energy: e.energy,
            factors: e
                .factors
                .iter()
                .map(|f| (f.name.clone(), f.value))
                .collect(),
        }
    }

    /// The collective that follows op `op` under tensor parallelism, if any:
    /// (name suffix, kind, bytes, all-reduce?).
    fn collective_after(
        &self,
        op: &OpKind,
        v: &Bindings,
    ) -> Option<(&'static str, &'static str, f64, bool)> {
        if self.tp <= 1 {
            return None;
        }
        let act = (v.batch * v.seq * self.spec.hidden) as f64 * 2.0;
        match op {
            OpKind::Embedding { .. } => Some(("all_reduce", "all_reduce", act, true)),
            OpKind::Linear {
                role: LinearRole::O | LinearRole::Down,
                ..
            } => Some(("all_reduce", "all_reduce", act, true)),
            OpKind::MoeLinear {
                role: LinearRole::Down,
                ..
            } => Some(("all_reduce", "all_reduce", act, true)),
            OpKind::Linear {
                role: LinearRole::LmHead,
                ..
            } => Some((
                "all_gather",
                "all_gather",
                (v.batch * self.full.vocab) as f64 * 2.0,
                false,
            )),
            _ => None,
        }
    }

    fn collective_row(
        &mut self,
        after: &str,
        layer: Option<u32>,
        c: (&str, &str, f64, bool),
        phase: &str,
        explain: bool,
    ) -> OpRow {
        let (suffix, kind, bytes, reduce) = c;
        let (lname, link) = self.link.clone().expect("link resolved when tp > 1");
        let cost = if reduce {
            ring_all_reduce(bytes, self.tp, &lname, &link)
        } else {
            ring_all_gather(bytes, self.tp, &lname, &link)
        };
        let e = self.est.collective(&cost, bytes, explain);
        self.note_factors(&e);
        let base = after.rsplit_once('.').map_or(after, |(p, _)| p);
        let name = if after == "embed" || after == "lm_head" {
            format!("{after}.{suffix}")
        } else {
            format!("{base}.{suffix}")
        };
        OpRow {
            role: role_of(&name),
            name,
            layer,
            kind: kind.to_string(),
            phase: phase.to_string(),
            steps: 1,
            precision: None,
            ops: 0.0,
            weight_bytes: 0.0,
            act_bytes: 0.0,
            kv_bytes: 0.0,
            bytes_read: 0.0,
            bytes_written: 0.0,
            kv_write_bytes: 0.0,
            link_bytes: bytes,
            intensity: 0.0,
            bound: Bound::Link,
            compute_s: 0.0,
            memory_s: 0.0,
            time_roofline_s: e.roofline_s,
            time_estimate_s: e.estimate_s,
            energy_j: e.energy.total(),
            energy: e.energy,
            factors: e
                .factors
                .iter()
                .map(|f| (f.name.clone(), f.value))
                .collect(),
        }
    }

    /// Every op of one forward pass under `v`, collectives included.
    pub(crate) fn step(&mut self, v: &Bindings, phase: &str, explain: bool) -> Vec<OpRow> {
        let ids: Vec<OpId> = self.graph.ops().map(|(id, _)| id).collect();
        let mut rows = Vec::with_capacity(ids.len() + 2 * self.spec.layers as usize + 2);
        for id in ids {
            let op = self.graph.op(id).clone();
            let w = op_work(&self.graph, id, v, self.est.quant);
            let e = if explain {
                self.est.op_explained(&op.kind, &w)
            } else {
                self.est.op(&op.kind, &w)
            };
            rows.push(self.row(&op.name, op.layer, op.kind.name(), phase, &w, e));
            if let Some(c) = self.collective_after(&op.kind, v) {
                let r = self.collective_row(&op.name, op.layer, c, phase, explain);
                rows.push(r);
            }
        }
        rows
    }

    /// The decode steps of a request (`kv_len` from `first_len` to
    /// `first_len + steps - 1`), summed op by op.
    pub(crate) fn decode_steps(&mut self, batch: u64, first_len: u64, steps: u64) -> Vec<OpRow> {
        let v1 = Bindings::decode(batch, first_len);
        let mut rows = self.step(&v1, "decode", true);
        if steps <= 1 {
            return rows;
        }
        let v2 = Bindings::decode(batch, first_len + 1);
        let ids: Vec<OpId> = self.graph.ops().map(|(id, _)| id).collect();
        // Ops whose work changes with the KV length, grouped by identical shape.
        let mut groups: Vec<(OpId, Vec<OpId>)> = Vec::new();
        let mut varying = std::collections::BTreeSet::new();
        for &id in &ids {
            let (a, b) = (
                op_work(&self.graph, id, &v1, self.est.quant),
                op_work(&self.graph, id, &v2, self.est.quant),
            );
            if a == b {
                continue;
            }
            varying.insert(id);
            let kind = &self.graph.op(id).kind;
            match groups.iter_mut().find(|(rep, _)| {
                self.graph.op(*rep).kind == *kind
                    && op_work(&self.graph, *rep, &v1, self.est.quant) == a
            }) {
                Some((_, members)) => members.push(id),
                None => groups.push((id, vec![id])),
            }
        }
        // Constant rows: the first step times the number of steps.
        let name_of = |g: &Graph, id: OpId| g.op(id).name.clone();
        let varying_names: std::collections::BTreeSet<String> =
            varying.iter().map(|&id| name_of(&self.graph, id)).collect();
        for r in rows.iter_mut() {
            r.steps = steps;
            if !varying_names.contains(&r.name) {
                scale(r, steps as f64);
            }
        }
        // Varying rows: add steps 2..=steps exactly.
        let index: BTreeMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        for s in 1..steps {
            let v = Bindings::decode(batch, first_len + s);
            for (rep, members) in &groups {
                let kind = self.graph.op(*rep).kind.clone();
                let w = op_work(&self.graph, *rep, &v, self.est.quant);
                let e = self.est.op(&kind, &w);
                for m in members {
                    let i = index[&self.graph.op(*m).name];
                    accumulate(&mut rows[i], &w, &e);
                }
            }
        }
        for r in rows.iter_mut() {
            let b = r.bytes_read + r.bytes_written;
            r.intensity = if b > 0.0 { r.ops / b } else { 0.0 };
            if r.bound != Bound::Link {
                r.bound = if r.compute_s > r.memory_s {
                    Bound::Compute
                } else {
                    Bound::Memory
                };
            }
        }
        rows
    }
}

fn scale(r: &mut OpRow, k: f64) {
    r.ops *= k;
    r.weight_bytes *= k;
    r.act_bytes *= k;
    r.kv_bytes *= k;
    r.bytes_read *= k;
    r.bytes_written *= k;
    r.kv_write_bytes *= k;
    r.link_bytes *= k;
    r.compute_s *= k;
    r.memory_s *= k;
    r.time_roofline_s *= k;
    r.time_estimate_s *= k;
    r.energy_j *= k;
    let e = r.energy;
    r.energy = Default::default();
    r.energy.add_scaled(&e, k);
}

fn accumulate(r: &mut OpRow, w: &OpWork, e: &OpEstimate) {
    r.ops += w.ops;
    r.weight_bytes += w.weight_bytes;
    r.act_bytes += w.act_bytes;
    r.kv_bytes += w.kv_read_bytes;
    r.bytes_read += w.bytes_read();
    r.bytes_written += w.bytes_written;
    r.kv_write_bytes += w.kv_write_bytes;
    r.compute_s += e.compute_s;
    r.memory_s += e.memory_s;
    r.time_roofline_s += e.roofline_s;
    r.time_estimate_s += e.estimate_s;
    r.energy_j += e.energy.total();
    r.energy.add_scaled(&e.energy, 1.0);
}
