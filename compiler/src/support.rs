//! What the engine can compute: maps a [`QuantScheme`] onto the engine's
//! integer datapath, or says clearly why it cannot.
//!
//! The engine multiplies 2-, 4- or 8-bit symmetric weights by 8- or 16-bit
//! integer activations with per-group int16 scales, and keeps a 4- or 8-bit
//! KV cache with static per-tensor scales. Schemes that ask for more are
//! either mapped with a recorded, documented substitution (listed in the
//! compile report) or rejected.

use crate::CompileError;
use llmfab_models::QuantScheme;
use serde::{Deserialize, Serialize};

/// The engine's view of a quantization scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineQuant {
    /// Scheme name as given.
    pub scheme: String,
    /// Integer weight width (2, 4 or 8).
    pub weight_bits: u32,
    /// Integer activation width (8 or 16).
    pub act_bits: u32,
    /// KV-cache width (4 or 8).
    pub kv_bits: u32,
    /// Weights sharing one int16 dequantisation scale along K.
    pub group_size: u32,
    /// Documented departures from the scheme as written (shown to the user).
    pub substitutions: Vec<String>,
}

/// Maps `q` onto the engine, collecting every reason it cannot run.
pub fn engine_quant(q: &QuantScheme) -> Result<EngineQuant, CompileError> {
    let mut problems = Vec::new();
    let mut subs = Vec::new();
    match q.weight_bits {
        2 | 4 | 8 => {}
        3 => problems.push("weight_bits = 3: the matrix unit multiplies 2-, 4- or 8-bit weights (use w4 or w2)".to_string()),
        16 => problems.push(format!(
            "weight_bits = 16 ({}): the engine has no floating-point unit; quantize the weights to 8, 4 or 2 bits (e.g. w8a8, w4a8)",
            q.float_name()
        )),
        b => problems.push(format!("weight_bits = {b}: expected 2, 4 or 8")),
    }
    for o in &q.overrides {
        if o.weight_bits != q.weight_bits {
            problems.push(format!(
                "override '{}' asks for {}-bit weights: one engine computes one weight width ({}-bit); mixed precision needs separate engines",
                o.pattern, o.weight_bits, q.weight_bits
            ));
        }
    }
    match q.act_bits {
        8 => {}
        16 => subs.push(
            "16-bit activations run as int16 fixed point with static per-tensor scales (the engine has no floating point)".to_string(),
        ),
        b => problems.push(format!("act_bits = {b}: expected 8 or 16")),
    }
    let kv_bits = match q.kv_bits {
        4 | 8 => q.kv_bits,
        16 if q.act_bits == 8 => {
            subs.push("16-bit KV cache stored at 8 bits: with 8-bit activations K and V are int8 already (lossless)".to_string());
            8
        }
        16 => {
            subs.push("16-bit KV cache stored at 8 bits with a static per-tensor scale (the engine's widest KV format)".to_string());
            8
        }
        b => {
            problems.push(format!(
                "kv_bits = {b}: the engine stores a 4- or 8-bit KV cache"
            ));
            8
        }
    };
    if q.kv_bits < 8 {
        subs.push("sub-8-bit KV cache uses one static scale per tensor (no per-vector scales on the engine)".to_string());
    }
    let group_size = match q.group_size {
        Some(g) if g > 0 && g.is_power_of_two() => g,
        Some(g) => {
            problems.push(format!(
                "group_size = {g}: the engine needs a power-of-two group size"
            ));
            128
        }
        None => {
            if q.weight_bits < 16 {
                subs.push(
                    "per-channel weight scales are repeated for every group of 128 weights"
                        .to_string(),
                );
            }
            128
        }
    };
    if q.zero_point_bits > 0 && q.weight_bits < 16 {
        subs.push(format!(
            "{}-bit zero points dropped: the engine runs symmetric weights (requantize asymmetric checkpoints)",
            q.zero_point_bits
        ));
    }
    if !problems.is_empty() {
        return Err(CompileError::Quant {
            scheme: q.name.clone(),
            problems,
        });
    }
    Ok(EngineQuant {
        scheme: q.name.clone(),
        weight_bits: q.weight_bits,
        act_bits: q.act_bits,
        kv_bits,
        group_size,
        substitutions: subs,
    })
}

trait FloatName {
    fn float_name(&self) -> &'static str;
}

impl FloatName for QuantScheme {
    fn float_name(&self) -> &'static str {
        match self.float {
            llmfab_models::quant::FloatFormat::Fp16 => "fp16",
            llmfab_models::quant::FloatFormat::Bf16 => "bf16",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_map_or_fail_clearly() {
        let q = engine_quant(&QuantScheme::parse("w4a8").unwrap()).unwrap();
        assert_eq!(
            (q.weight_bits, q.act_bits, q.kv_bits, q.group_size),
            (4, 8, 8, 128)
        );
        let q = engine_quant(&QuantScheme::parse("w2a8kv4").unwrap()).unwrap();
        assert_eq!((q.weight_bits, q.kv_bits, q.group_size), (2, 4, 64));
        let e = engine_quant(&QuantScheme::parse("w3a16").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("weight_bits = 3"), "{e}");
        let e = engine_quant(&QuantScheme::parse("fp16").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no floating-point unit"), "{e}");
        let e = engine_quant(&QuantScheme::parse("w4a8+lm_head=8").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("lm_head"), "{e}");
    }
}
