//! Hand-written model specs (official hyper-parameters) and helpers shared by
//! the analyzer tests, so the tests do not depend on the zoo's files.
#![allow(dead_code)]

use llmfab_models::*;
use llmfab_reports::report::{OpRow, Report};
use llmfab_reports::{analyze, Input, Phase, Scenario};

/// meta-llama/Llama-2-7b-hf.
pub fn llama2_7b() -> ModelSpec {
    ModelSpec {
        name: "llama-2-7b".into(),
        family: Family::Llama,
        hidden: 4096,
        layers: 32,
        heads: 32,
        kv_heads: 32,
        head_dim: 128,
        intermediate: 11008,
        vocab: 32000,
        max_positions: 4096,
        norm: NormKind::RmsNorm,
        act: ActFn::Silu,
        gated_mlp: true,
        qkv_bias: false,
        linear_bias: false,
        tied_embeddings: false,
        positions: Positions::Rope { theta: 10000.0 },
        moe: None,
        source: "test".into(),
    }
}

/// meta-llama/Meta-Llama-3-8B: GQA with 8 KV heads.
pub fn llama3_8b() -> ModelSpec {
    ModelSpec {
        name: "llama-3-8b".into(),
        intermediate: 14336,
        kv_heads: 8,
        vocab: 128256,
        max_positions: 8192,
        positions: Positions::Rope { theta: 500000.0 },
        ..llama2_7b()
    }
}

/// Analyzes with everything spelled out.
pub fn run(
    spec: &ModelSpec,
    quant: &str,
    device: &str,
    flash: bool,
    tp: u32,
    sc: Scenario,
) -> Report {
    let q = QuantScheme::parse(quant).unwrap();
    let d = catalog::lookup(device).unwrap();
    let input = Input {
        spec,
        model_source: "test",
        quant: &q,
        device: &d,
        attention: if flash {
            Attention::Flash
        } else {
            Attention::Unfused
        },
        tp,
        link: None,
        calibration: None,
    };
    analyze(&input, &sc).unwrap()
}

/// A decode step.
pub fn decode(batch: u64, kv_len: u64) -> Scenario {
    Scenario {
        phase: Phase::Decode,
        batch,
        seq: 1,
        kv_len,
        gen: 1,
    }
}

/// A prefill.
pub fn prefill(batch: u64, seq: u64) -> Scenario {
    Scenario {
        phase: Phase::Prefill,
        batch,
        seq,
        kv_len: seq,
        gen: 1,
    }
}

/// A whole request.
pub fn request(batch: u64, seq: u64, gen: u64) -> Scenario {
    Scenario {
        phase: Phase::Request,
        batch,
        seq,
        kv_len: seq,
        gen,
    }
}

/// The row of op `name` in `phase`.
pub fn op<'a>(r: &'a Report, phase: &str, name: &str) -> &'a OpRow {
    r.ops
        .iter()
        .find(|o| o.phase == phase && o.name == name)
        .unwrap_or_else(|| panic!("no op {name} in {phase}"))
}

/// Relative closeness.
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}
