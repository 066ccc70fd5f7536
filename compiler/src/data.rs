//! Integer model data as the engine sees it: quantised weights with int16
//! group scales, norm weights and biases. [`Weights::random`] makes seeded
//! data shaped like a real checkpoint quantised with the plan's recipe
//! (tests, simulator functional runs); a real checkpoint would be quantised
//! into the same container.

use crate::qplan::{qmax, OpQuant, QuantPlan};
use llmfab_models::graph::OpKind;
use llmfab_models::{Graph, NormKind, OpId};

/// A small deterministic generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform integer in `[lo, hi]`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
    /// Uniform real in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One linear layer's integer weights.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearW {
    /// Input features.
    pub k: u64,
    /// Output features.
    pub n: u64,
    /// Weights, row-major `k × n` (`q[k·n + j]`).
    pub q: Vec<i8>,
    /// int16 scale mantissas, `ceil(k/G) × n` (`s[g·n + j]`).
    pub s: Vec<i16>,
    /// Bias at the output σ, when the layer has one.
    pub bias: Option<Vec<i64>>,
}

/// A norm's int16 weights (and LayerNorm biases).
#[derive(Clone, Debug, PartialEq)]
pub struct NormW {
    /// γ.
    pub gamma: Vec<i16>,
    /// β (empty for RMSNorm).
    pub beta: Vec<i16>,
}

/// The integer data of a model, by op id.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Weights {
    /// Linear layers.
    pub linear: Vec<Option<LinearW>>,
    /// Norms.
    pub norm: Vec<Option<NormW>>,
}

impl Weights {
    /// Seeded random data following the plan's recipe: symmetric weights,
    /// scale mantissas in `[s_nominal/2, s_nominal]`, γ in `[0.5, 1.5]`.
    pub fn random(graph: &Graph, plan: &QuantPlan, seed: u64) -> Weights {
        let n = plan.ops.len();
        let mut w = Weights {
            linear: vec![None; n],
            norm: vec![None; n],
        };
        let mut rng = Rng::new(seed);
        let wq = qmax(plan.weight_bits) as i64;
        let g = plan.group_size as u64;
        for (id, op) in graph.ops() {
            match (&op.kind, plan.op(id)) {
                (OpKind::Linear { k, n: nn, bias, .. }, OpQuant::Linear(lq)) => {
                    let q = (0..k * nn).map(|_| rng.range(-wq, wq) as i8).collect();
                    let s = (0..k.div_ceil(g) * nn)
                        .map(|_| rng.range((lq.s_nominal / 2).max(1), lq.s_nominal.max(1)) as i16)
                        .collect();
                    let bias = bias.then(|| (0..*nn).map(|_| rng.range(-8, 8)).collect());
                    w.linear[id.0 as usize] = Some(LinearW {
                        k: *k,
                        n: *nn,
                        q,
                        s,
                        bias,
                    });
                }
                (OpKind::Norm { kind, dim }, OpQuant::Norm(nq)) => {
                    let gamma = (0..*dim)
                        .map(|_| {
                            (nq.gamma_one * (0.5 + rng.unit()))
                                .round()
                                .clamp(-32768.0, 32767.0) as i16
                        })
                        .collect();
                    let beta = if *kind == NormKind::LayerNorm {
                        (0..*dim)
                            .map(|_| {
                                (nq.beta_one * (rng.unit() - 0.5))
                                    .round()
                                    .clamp(-32768.0, 32767.0) as i16
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    w.norm[id.0 as usize] = Some(NormW { gamma, beta });
                }
                _ => {}
            }
        }
        w
    }

    /// The same real-valued model encoded for plan `to` instead of `from`:
    /// norm weights and biases are stored in units of their op's scales
    /// (γ·gamma_one, β·beta_one, bias / σ_out), so they change with the
    /// plan; quantised weights and their mantissas do not.
    pub fn reencode(&self, graph: &Graph, from: &QuantPlan, to: &QuantPlan) -> Weights {
        let mut w = self.clone();
        for (id, _) in graph.ops() {
            let i = id.0 as usize;
            if let (Some(nw), OpQuant::Norm(a), OpQuant::Norm(b)) =
                (w.norm[i].as_mut(), from.op(id), to.op(id))
            {
                let re = |v: &mut i16, one_a: f64, one_b: f64| {
                    if one_a != 0.0 {
                        *v = (*v as f64 / one_a * one_b).round().clamp(-32768.0, 32767.0) as i16;
                    }
                };
                nw.gamma
                    .iter_mut()
                    .for_each(|v| re(v, a.gamma_one, b.gamma_one));
                nw.beta
                    .iter_mut()
                    .for_each(|v| re(v, a.beta_one, b.beta_one));
            }
            if let Some(lw) = w.linear[i].as_mut() {
                if let Some(bias) = lw.bias.as_mut() {
                    let r = from.sigma(id) / to.sigma(id);
                    bias.iter_mut()
                        .for_each(|v| *v = (*v as f64 * r).round() as i64);
                }
            }
        }
        w
    }

    /// Weights of a linear op.
    pub fn linear(&self, id: OpId) -> &LinearW {
        self.linear[id.0 as usize].as_ref().expect("linear weights")
    }
    /// Weights of a norm op.
    pub fn norm(&self, id: OpId) -> &NormW {
        self.norm[id.0 as usize].as_ref().expect("norm weights")
    }
}

/// Seeded random input rows (embedded tokens) of `width` activations.
pub fn random_input(rows: u64, width: u64, act_bits: u32, seed: u64) -> Vec<Vec<i64>> {
    let mut rng = Rng::new(seed);
    let m = qmax(act_bits) as i64;
    (0..rows)
        .map(|_| (0..width).map(|_| rng.range(-m, m)).collect())
        .collect()
}
