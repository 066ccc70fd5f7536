//! The quantisation recipe is numerically sound: the integer golden model
//! (which compiled programs match bit for bit) stays close to an f64 forward
//! pass of the same model with dequantised weights and exact functions
//! (RMSNorm, RoPE, softmax, SiLU). This catches wrong scales, shifts and
//! constants that a bit-exact comparison cannot see.

mod common;

use common::tiny_llama;
use llmfab_compiler::data::{random_input, Weights};
use llmfab_compiler::golden::{self, KvCache};
use llmfab_compiler::lower::{prepare, LowerOptions, Phase};
use llmfab_compiler::qplan::{Calibration, OpQuant};
use llmfab_compiler::{engine_quant, sfu};
use llmfab_models::graph::{LinearRole, OpKind};
use llmfab_models::{BuildOptions, Graph, OpId, QuantScheme};

type T = Vec<Vec<f64>>;

/// f64 forward pass of a Llama-style graph over `x` (rows = positions 0..).
/// Also returns every op output's absolute maximum (a calibration table).
fn float_forward(
    g: &Graph,
    plan: &llmfab_compiler::QuantPlan,
    w: &Weights,
    x: T,
) -> (Vec<f64>, Vec<T>, Calibration) {
    let mut calib = Calibration::default();
    let n = plan.ops.len();
    let mut val: Vec<Option<T>> = vec![None; n];
    let mut kv: Vec<Option<(T, T)>> = vec![None; n];
    let mut layers = Vec::new();
    let rows = x.len();
    let get = |val: &Vec<Option<T>>, id: OpId| val[id.0 as usize].clone().unwrap();
    for (id, op) in g.ops() {
        let ins: Vec<OpId> = g.inputs(id).iter().map(|(p, _)| *p).collect();
        let out: Option<T> = match &op.kind {
            OpKind::Embedding { .. } => Some(x.clone()),
            OpKind::Norm { .. } => {
                let OpQuant::Norm(q) = plan.op(id) else {
                    unreachable!()
                };
                let nw = w.norm(id);
                Some(
                    get(&val, ins[0])
                        .iter()
                        .map(|r| {
                            let ms = r.iter().map(|v| v * v).sum::<f64>() / r.len() as f64;
                            let inv = 1.0 / (ms + 1e-5).sqrt();
                            r.iter()
                                .zip(&nw.gamma)
                                .map(|(v, gm)| v * inv * *gm as f64 / q.gamma_one)
                                .collect()
                        })
                        .collect(),
                )
            }
            OpKind::Linear { .. } => {
                let OpQuant::Linear(q) = plan.op(id) else {
                    unreachable!()
                };
                let lw = w.linear(id);
                let (k, nn) = (lw.k as usize, lw.n as usize);
                let gs = plan.group_size as usize;
                let scale = 2f64.powi(-q.w_exp);
                Some(
                    get(&val, ins[0])
                        .iter()
                        .map(|r| {
                            (0..nn)
                                .map(|c| {
                                    (0..k)
                                        .map(|kk| {
                                            r[kk]
                                                * lw.q[kk * nn + c] as f64
                                                * lw.s[(kk / gs) * nn + c] as f64
                                                * scale
                                        })
                                        .sum()
                                })
                                .collect()
                        })
                        .collect(),
                )
            }
            OpKind::Rope { head_dim, .. } => {
                let (a, b) = (get(&val, ins[0]), get(&val, ins[1]));
                let h = *head_dim as usize;
                Some(
                    a.iter()
                        .zip(&b)
                        .enumerate()
                        .map(|(p, (ra, rb))| {
                            let r: Vec<f64> = ra.iter().chain(rb).copied().collect();
                            let mut y = r.clone();
                            for j in 0..r.len() / h {
                                for i in 0..h / 2 {
                                    let ang = p as f64 * 10000f64.powf(-2.0 * i as f64 / h as f64);
                                    let (x1, x2) = (r[j * h + i], r[j * h + i + h / 2]);
                                    y[j * h + i] = x1 * ang.cos() - x2 * ang.sin();
                                    y[j * h + i + h / 2] = x2 * ang.cos() + x1 * ang.sin();
                                }
                            }
                            y
                        })
                        .collect(),
                )
            }
            OpKind::KvWrite { kv_heads, head_dim } => {
                let kvd = (kv_heads * head_dim) as usize;
                let k: T = get(&val, ins[0])
                    .into_iter()
                    .map(|r| r[r.len() - kvd..].to_vec())
                    .collect();
                kv[id.0 as usize] = Some((k, get(&val, ins[1])));
                None
            }
            OpKind::AttnQk {
                heads,
                kv_heads,
                head_dim,
            } => {
                let (kc, vc) = kv[ins[1].0 as usize].clone().unwrap();
                let q = get(&val, ins[0]);
                let (h, d, grp) = (
                    *heads as usize,
                    *head_dim as usize,
                    (heads / kv_heads) as usize,
                );
                let mut out = vec![vec![0.0; h * d]; rows];
                for hh in 0..h {
                    let j = hh / grp;
                    for m in 0..rows {
                        let s: Vec<f64> = (0..=m)
                            .map(|l| {
                                (0..d)
                                    .map(|e| q[m][hh * d + e] * kc[l][j * d + e])
                                    .sum::<f64>()
                                    / (d as f64).sqrt()
                            })
                            .collect();
                        let mx = s.iter().cloned().fold(f64::MIN, f64::max);
                        let e: Vec<f64> = s.iter().map(|v| (v - mx).exp()).collect();
                        let z: f64 = e.iter().sum();
                        for c in 0..d {
                            out[m][hh * d + c] = (0..=m).map(|l| e[l] / z * vc[l][j * d + c]).sum();
                        }
                    }
                }
                let sv = llmfab_compiler::qplan::attention_out(g, id).unwrap();
                val[sv.0 as usize] = Some(out);
                None
            }
            OpKind::Act { .. } => Some(
                get(&val, ins[0])
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|v| sfu::act_f64(llmfab_models::ActFn::Silu, *v))
                            .collect()
                    })
                    .collect(),
            ),
            OpKind::Add | OpKind::Mul => {
                let (a, b) = (get(&val, ins[0]), get(&val, ins[1]));
                let add = op.kind == OpKind::Add;
                let y: T = a
                    .iter()
                    .zip(&b)
                    .map(|(x, y)| {
                        x.iter()
                            .zip(y)
                            .map(|(p, q)| if add { p + q } else { p * q })
                            .collect()
                    })
                    .collect();
                if add
                    && op.layer.is_some()
                    && g.consumers(id).iter().all(|c| g.op(*c).layer != op.layer)
                {
                    layers.push(y.clone());
                }
                Some(y)
            }
            _ => None,
        };
        if let Some(o) = out {
            calib.absmax.insert(
                op.name.clone(),
                o.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs())),
            );
            val[id.0 as usize] = Some(o);
        }
    }
    for (id, op) in g.ops() {
        if let (OpKind::AttnSv { .. }, Some(v)) = (&op.kind, &val[id.0 as usize]) {
            calib.absmax.insert(
                op.name.clone(),
                v.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs())),
            );
        }
    }
    let lm = g
        .ops()
        .find(|(_, o)| {
            matches!(
                o.kind,
                OpKind::Linear {
                    role: LinearRole::LmHead,
                    ..
                }
            )
        })
        .unwrap()
        .0;
    let logits = get(&val, lm).last().unwrap().clone();
    (logits, layers, calib)
}

fn rel_err(got: &[f64], want: &[f64]) -> f64 {
    let num: f64 = got.iter().zip(want).map(|(a, b)| (a - b) * (a - b)).sum();
    let den: f64 = want.iter().map(|b| b * b).sum();
    (num / den.max(1e-30)).sqrt()
}

/// Relative errors (last layer, logits) of the integer model against f64,
/// with nominal scales or scales calibrated on the float run.
fn errors(quant: &str, calibrate: bool) -> (f64, f64) {
    let spec = tiny_llama(2, 2);
    let graph = Graph::build(&spec, BuildOptions::default());
    let eq = engine_quant(&QuantScheme::parse(quant).unwrap()).unwrap();
    let cfg = common::small_engine(&eq, 1);
    let phases = [Phase::prefill(8)];
    let nominal = prepare(&graph, &cfg, &eq, &phases, &LowerOptions::default(), "t").unwrap();
    let w = Weights::random(&graph, &nominal.plan, 3);
    let input = random_input(8, spec.hidden, eq.act_bits, 9);
    let embed = graph.ops().next().unwrap().0;
    let x: T = input
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| *v as f64 * nominal.plan.sigma(embed))
                .collect()
        })
        .collect();
    let (logits, layers, calib) = float_forward(&graph, &nominal.plan, &w, x);
    let pre = if calibrate {
        let lo = LowerOptions {
            calibration: Some(calib),
            ..Default::default()
        };
        prepare(&graph, &cfg, &eq, &phases, &lo, "t").unwrap()
    } else {
        nominal.clone()
    };
    let w = w.reencode(&graph, &nominal.plan, &pre.plan);
    // The embedding's σ may change with calibration: requantise the input.
    let s_in = pre.plan.sigma(embed);
    let q = llmfab_compiler::qplan::qmax(eq.act_bits);
    let input: Vec<Vec<i64>> = input
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| {
                    ((*v as f64 * nominal_sigma(&graph, &eq, embed)) / s_in)
                        .round()
                        .clamp(-q, q) as i64
                })
                .collect()
        })
        .collect();
    let out = golden::run(
        &graph,
        &pre.plan,
        &w,
        10000.0,
        &input,
        0,
        &mut KvCache::default(),
    );
    let got: Vec<f64> = out
        .logits
        .iter()
        .map(|v| *v as f64 * pre.plan.sigma(pre.kernels.lm_head))
        .collect();
    let res = graph
        .ops()
        .filter(|(_, o)| o.kind == OpKind::Add)
        .last()
        .unwrap()
        .0;
    let gl: Vec<f64> = out
        .layers
        .last()
        .unwrap()
        .iter()
        .flatten()
        .map(|v| *v as f64 * pre.plan.sigma(res))
        .collect();
    let fl: Vec<f64> = layers.last().unwrap().iter().flatten().copied().collect();
    (rel_err(&gl, &fl), rel_err(&got, &logits))
}

fn nominal_sigma(g: &Graph, eq: &llmfab_compiler::EngineQuant, id: OpId) -> f64 {
    llmfab_compiler::QuantPlan::new(g, eq, None).sigma(id)
}

#[test]
fn integer_model_tracks_the_float_model() {
    for (quant, bound_cal, bound_nom) in [
        ("w8a8", 0.03, 0.12),
        ("w4a8", 0.05, 0.15),
        ("w4a16", 0.03, 0.15),
    ] {
        let (nl, ne) = errors(quant, false);
        let (cl, ce) = errors(quant, true);
        println!("{quant}: nominal scales: last layer {nl:.4}, logits {ne:.4}; calibrated: last layer {cl:.4}, logits {ce:.4}");
        assert!(
            cl < bound_cal && ce < bound_cal,
            "{quant}: calibrated errors {cl}, {ce}"
        );
        assert!(
            nl < bound_nom && ne < bound_nom,
            "{quant}: nominal errors {nl}, {ne}"
        );
    }
}
