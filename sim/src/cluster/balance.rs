//! Layer-to-stage assignment for pipeline parallelism, balanced by a small
//! integer program (good_lp with the pure-Rust microlp solver):
//!
//! ```text
//! minimise   T
//! subject to n_s·t_layer + e_s ≤ T          for every stage s
//!            n_s·m_layer + f_s ≤ M          for every stage s (memory)
//!            Σ n_s = L,  n_s ≥ 1 integer
//! ```
//!
//! `e_s` is the stage's extra time (embedding on the first stage, final norm
//! and lm_head on the last) and `f_s` its extra weights. When stages do not
//! differ the program returns an even split (remainder spread over the
//! first stages); when the memory rows make it infeasible, the split that
//! balances time alone is returned and the memory check reports the misfit.

use super::error::ClusterError;
use good_lp::{constraint, microlp, variable, Expression, ProblemVariables, Solution, SolverModel};

/// Inputs of one balancing problem.
#[derive(Clone, Debug, PartialEq)]
pub struct StageProblem {
    /// Layers to place.
    pub layers: u32,
    /// Stages.
    pub stages: u32,
    /// Time of one layer (any consistent unit).
    pub layer_time: f64,
    /// Extra time of each stage.
    pub extra_time: Vec<f64>,
    /// Weight bytes of one layer.
    pub layer_bytes: f64,
    /// Extra weight bytes of each stage.
    pub extra_bytes: Vec<f64>,
    /// Memory available for weights on one device.
    pub capacity: f64,
}

/// An even split: `layers/stages` each, the remainder on the first stages.
pub fn even(layers: u32, stages: u32) -> Vec<u32> {
    let s = stages.max(1);
    (0..s)
        .map(|i| layers / s + u32::from(i < layers % s))
        .collect()
}

/// Layers per stage minimising the slowest stage.
pub fn balance(p: &StageProblem) -> Result<Vec<u32>, ClusterError> {
    let s = p.stages.max(1) as usize;
    if s == 1 {
        return Ok(vec![p.layers]);
    }
    let differ = p.extra_time.iter().any(|e| *e != p.extra_time[0])
        || p.extra_bytes.iter().any(|e| *e != p.extra_bytes[0]);
    if !differ || p.layer_time <= 0.0 {
        return Ok(even(p.layers, p.stages));
    }
    match solve(p, true) {
        Ok(v) => Ok(v),
        Err(_) => solve(p, false),
    }
}

fn solve(p: &StageProblem, with_memory: bool) -> Result<Vec<u32>, ClusterError> {
    let s = p.stages as usize;
    // Scale to keep the program well conditioned.
    let tscale = 1.0 / p.layer_time;
    let mut vars = ProblemVariables::new();
    let n: Vec<_> = (0..s)
        .map(|_| vars.add(variable().integer().min(1).max(p.layers as f64)))
        .collect();
    let t = vars.add(variable().min(0.0));
    let mut model = vars.minimise(t).using(microlp);
    let total: Expression = n.iter().copied().sum();
    model = model.with(constraint!(total == p.layers as f64));
    for (i, &ni) in n.iter().enumerate() {
        let e = p.extra_time.get(i).copied().unwrap_or(0.0) * tscale;
        model = model.with(constraint!(ni * 1.0 + e <= t));
        if with_memory && p.layer_bytes > 0.0 {
            let room = (p.capacity - p.extra_bytes.get(i).copied().unwrap_or(0.0)) / p.layer_bytes;
            model = model.with(constraint!(ni * 1.0 <= room));
        }
    }
    let sol = model
        .solve()
        .map_err(|e| ClusterError::Internal(format!("stage balancing: {e}")))?;
    let v: Vec<u32> = n
        .iter()
        .map(|x| sol.value(*x).round().max(1.0) as u32)
        .collect();
    if v.iter().sum::<u32>() != p.layers {
        return Err(ClusterError::Internal(format!(
            "stage balancing returned {v:?} for {} layers",
            p.layers
        )));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uneven_extras_move_layers_off_the_last_stage() {
        let p = StageProblem {
            layers: 80,
            stages: 4,
            layer_time: 1.0,
            extra_time: vec![0.0, 0.0, 0.0, 2.0],
            layer_bytes: 1.0,
            extra_bytes: vec![0.0; 4],
            capacity: 1e9,
        };
        let v = balance(&p).unwrap();
        assert_eq!(v.iter().sum::<u32>(), 80);
        assert!(v[3] <= 19, "{v:?}");
        let worst = v
            .iter()
            .enumerate()
            .map(|(i, n)| *n as f64 + p.extra_time[i])
            .fold(0.0, f64::max);
        assert!(worst <= 21.0, "{v:?}");
        assert_eq!(even(10, 4), vec![3, 3, 2, 2]);
        let same = StageProblem {
            extra_time: vec![0.0; 4],
            ..p
        };
        assert_eq!(balance(&same).unwrap(), vec![20; 4]);
    }
}
