//! Quantization schemes: weight, activation and KV-cache bit-widths, group
//! size and scale format, with per-layer overrides for mixed precision.
//!
//! Bytes per weight always include the scales and zero points that travel with
//! the weights: a 4-bit weight with fp16 scales per group of 128 costs
//! `4/8 + 16/(8·128)` bytes.

use crate::ModelError;
use serde::{Deserialize, Serialize};

/// Arithmetic precision a matrix product runs at; selects a device peak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 2-bit integer (FPGA engines; GPUs dequantize instead).
    Int2,
    /// 4-bit integer.
    Int4,
    /// 8-bit integer.
    Int8,
    /// 8-bit float.
    Fp8,
    /// IEEE half.
    Fp16,
    /// bfloat16.
    Bf16,
    /// IEEE single.
    Fp32,
}

impl Precision {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Int2 => "int2",
            Precision::Int4 => "int4",
            Precision::Int8 => "int8",
            Precision::Fp8 => "fp8",
            Precision::Fp16 => "fp16",
            Precision::Bf16 => "bf16",
            Precision::Fp32 => "fp32",
        }
    }
    /// Parses a lower-case name.
    pub fn parse(s: &str) -> Option<Precision> {
        Some(match s {
            "int2" => Precision::Int2,
            "int4" => Precision::Int4,
            "int8" => Precision::Int8,
            "fp8" => Precision::Fp8,
            "fp16" => Precision::Fp16,
            "bf16" => Precision::Bf16,
            "fp32" => Precision::Fp32,
            _ => return None,
        })
    }
    /// Bits of one operand at this precision.
    pub fn bits(self) -> u32 {
        match self {
            Precision::Int2 => 2,
            Precision::Int4 => 4,
            Precision::Int8 | Precision::Fp8 => 8,
            Precision::Fp16 | Precision::Bf16 => 16,
            Precision::Fp32 => 32,
        }
    }
}

/// Number format of 16-bit (unquantized) tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FloatFormat {
    /// IEEE half precision.
    #[default]
    Fp16,
    /// bfloat16.
    Bf16,
}

/// A per-layer (or per-tensor) weight-precision override.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantOverride {
    /// Glob over op names (`layer0.*`, `*.mlp.down_proj`, `lm_head`); `*`
    /// matches any run of characters.
    pub pattern: String,
    /// Effective bits per weight, scales and zero points included.
    pub bits_per_weight: f64,
    /// Integer width the engine computes with for matching ops (e.g. 4 for Q4_K).
    pub weight_bits: u32,
    /// Human-readable origin (`gguf Q4_K`, `user override`).
    pub label: String,
}

/// A complete quantization scheme.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantScheme {
    /// Preset or user name (`w4a16`, `w4a8kv4`, `gguf:Q4_K_M`).
    pub name: String,
    /// Weight bits (2, 3, 4, 8 integer; 16 for fp16/bf16 weights).
    pub weight_bits: u32,
    /// Activation bits (8 integer or 16 float).
    pub act_bits: u32,
    /// KV-cache bits (2, 4, 8 integer or 16 float).
    pub kv_bits: u32,
    /// Weights sharing one scale along the input dimension; `None` means one
    /// scale per output channel (or no scale at 16 bits).
    pub group_size: Option<u32>,
    /// Bits of each scale (16 for fp16 scales).
    pub scale_bits: u32,
    /// Bits of each zero point (0 for symmetric quantization).
    pub zero_point_bits: u32,
    /// Format of 16-bit tensors.
    pub float: FloatFormat,
    /// Mixed-precision overrides, first match wins.
    pub overrides: Vec<QuantOverride>,
}

/// Names of the built-in presets, in the order `llmfab` lists them.
pub const PRESETS: &[&str] = &[
    "fp16", "bf16", "w8a8", "w8a16", "w4a16", "w4a8", "w4a8kv4", "w2a8kv4", "w3a16",
];

impl QuantScheme {
    fn base(name: &str, w: u32, a: u32, kv: u32, group: Option<u32>) -> Self {
        QuantScheme {
            name: name.to_string(),
            weight_bits: w,
            act_bits: a,
            kv_bits: kv,
            group_size: group,
            scale_bits: if w >= 16 { 0 } else { 16 },
            zero_point_bits: 0,
            float: FloatFormat::Fp16,
            overrides: Vec::new(),
        }
    }

    /// A built-in preset by name, or a generic `w{W}a{A}[kv{K}][g{G}]` spec.
    ///
    /// Presets: fp16, bf16 (unquantized); w8a8 (SmoothQuant-style, per-channel
    /// scales); w8a16 (per-channel); w4a16 (AWQ/GPTQ, g128 with fp16 scales and
    /// 4-bit zero points); w4a8 and w4a8kv4 (QServe-style, g128); w2a8kv4
    /// (g64); w3a16 (g128, fp16 scales and zero points).
    pub fn parse(spec: &str) -> Result<QuantScheme, ModelError> {
        let s = spec.trim().to_ascii_lowercase();
        let mut parts = s.split('+');
        let head = parts.next().unwrap_or("");
        let mut q = Self::preset(head)
            .or_else(|| Self::generic(head))
            .ok_or_else(|| ModelError::Unknown {
                what: "quantization scheme".into(),
                name: spec.to_string(),
                suggestions: crate::suggest::closest(head, PRESETS.iter().copied()),
            })?;
        for ov in parts {
            let (pat, bits) = ov.split_once('=').ok_or_else(|| ModelError::Parse {
                file: "--quant".into(),
                field: ov.to_string(),
                expected: "an override PATTERN=BITS such as lm_head=8".into(),
            })?;
            let b: u32 = bits
                .trim_start_matches('w')
                .parse()
                .map_err(|_| ModelError::Parse {
                    file: "--quant".into(),
                    field: ov.to_string(),
                    expected: "an integer bit-width after '='".into(),
                })?;
            if ![2, 3, 4, 8, 16].contains(&b) {
                return Err(ModelError::Parse {
                    file: "--quant".into(),
                    field: ov.to_string(),
                    expected: "weight bits of 2, 3, 4, 8 or 16".into(),
                });
            }
            let bpw = q.bits_per_weight_for(b, 4096);
            q.overrides.push(QuantOverride {
                pattern: pat.to_string(),
                bits_per_weight: bpw,
                weight_bits: b,
                label: format!("override {pat}={b}"),
            });
        }
        if !q.overrides.is_empty() {
            q.name = s;
        }
        Ok(q)
    }

    fn preset(name: &str) -> Option<QuantScheme> {
        let mut q = match name {
            "fp16" => Self::base("fp16", 16, 16, 16, None),
            "bf16" => {
                let mut q = Self::base("bf16", 16, 16, 16, None);
                q.float = FloatFormat::Bf16;
                q
            }
            "w8a8" => Self::base("w8a8", 8, 8, 16, None),
            "w8a16" => Self::base("w8a16", 8, 16, 16, None),
            "w4a16" => {
                let mut q = Self::base("w4a16", 4, 16, 16, Some(128));
                q.zero_point_bits = 4;
                q
            }
            "w4a8" => Self::base("w4a8", 4, 8, 16, Some(128)),
            "w4a8kv4" => Self::base("w4a8kv4", 4, 8, 4, Some(128)),
            "w2a8kv4" => Self::base("w2a8kv4", 2, 8, 4, Some(64)),
            "w3a16" => {
                let mut q = Self::base("w3a16", 3, 16, 16, Some(128));
                q.zero_point_bits = 16;
                q
            }
            _ => return None,
        };
        q.name = name.to_string();
        Some(q)
    }

    fn generic(s: &str) -> Option<QuantScheme> {
        // w{W}a{A}[kv{K}][g{G}]
        let rest = s.strip_prefix('w')?;
        let (w, rest) = split_num(rest)?;
        let rest = rest.strip_prefix('a')?;
        let (a, mut rest) = split_num(rest)?;
        let mut kv = 16;
        let mut group = None;
        if let Some(r) = rest.strip_prefix("kv") {
            let (k, r2) = split_num(r)?;
            kv = k;
            rest = r2;
        }
        if let Some(r) = rest.strip_prefix('g') {
            let (g, r2) = split_num(r)?;
            if g == 0 {
                return None;
            }
            group = Some(g);
            rest = r2;
        }
        if !rest.is_empty()
            || ![2, 3, 4, 8, 16].contains(&w)
            || ![8, 16].contains(&a)
            || ![2, 4, 8, 16].contains(&kv)
        {
            return None;
        }
        if group.is_none() && w <= 4 {
            group = Some(128);
        }
        Some(Self::base(s, w, a, kv, group))
    }

    /// Effective bits per weight for a `bits`-wide weight in a matrix whose
    /// input dimension is `k` (per-channel scales are amortised over `k`).
    pub fn bits_per_weight_for(&self, bits: u32, k: u64) -> f64 {
        if bits >= 16 {
            return bits as f64;
        }
        let meta = (self.scale_bits + self.zero_point_bits) as f64;
        let per = match self.group_size {
            Some(g) => g as f64,
            None => k.max(1) as f64,
        };
        bits as f64 + meta / per
    }

    /// The override matching an op name, if any.
    pub fn override_for(&self, op_name: &str) -> Option<&QuantOverride> {
        self.overrides
            .iter()
            .find(|o| glob_match(&o.pattern, op_name))
    }

    /// Effective bits per weight of the op `op_name` with input dimension `k`.
    pub fn weight_bits_per_weight(&self, op_name: &str, k: u64) -> f64 {
        match self.override_for(op_name) {
            Some(o) => o.bits_per_weight,
            None => self.bits_per_weight_for(self.weight_bits, k),
        }
    }

    /// Integer weight width of an op (before scales).
    pub fn weight_bits_of(&self, op_name: &str) -> u32 {
        self.override_for(op_name)
            .map_or(self.weight_bits, |o| o.weight_bits)
    }

    /// Bytes per activation element.
    pub fn act_bytes(&self) -> f64 {
        self.act_bits as f64 / 8.0
    }

    /// Bytes per KV-cache element, including one fp16 scale per head vector
    /// of 128 elements for sub-8-bit caches (KIVI / QServe style).
    pub fn kv_bytes(&self) -> f64 {
        if self.kv_bits >= 8 {
            self.kv_bits as f64 / 8.0
        } else {
            (self.kv_bits as f64 + 16.0 / 128.0) / 8.0
        }
    }

    /// Precision a matrix product with `w_bits` weights runs at on a device
    /// that dequantizes sub-8-bit weights to the activation type (GPUs).
    pub fn gpu_matmul_precision(&self, w_bits: u32) -> Precision {
        if self.act_bits >= 16 || w_bits >= 16 {
            match self.float {
                FloatFormat::Fp16 => Precision::Fp16,
                FloatFormat::Bf16 => Precision::Bf16,
            }
        } else {
            Precision::Int8
        }
    }

    /// Precision of a matrix product whose two operands are `w_bits` and
    /// the activation width (an FPGA engine multiplies them natively).
    pub fn native_precision(&self, w_bits: u32) -> Precision {
        match w_bits.max(self.act_bits) {
            0..=2 => Precision::Int2,
            3..=4 => Precision::Int4,
            5..=8 => Precision::Int8,
            _ => match self.float {
                FloatFormat::Fp16 => Precision::Fp16,
                FloatFormat::Bf16 => Precision::Bf16,
            },
        }
    }
}

fn split_num(s: &str) -> Option<(u32, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// Glob match where `*` matches any run of characters (including dots).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == t[ti] || p[pi] == '?') {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_with_expected_bits() {
        for p in PRESETS {
            let q = QuantScheme::parse(p).unwrap();
            assert_eq!(&q.name, p);
        }
        let q = QuantScheme::parse("w4a16").unwrap();
        // 4 bits + (16-bit scale + 4-bit zero) / 128
        assert!((q.bits_per_weight_for(4, 4096) - (4.0 + 20.0 / 128.0)).abs() < 1e-12);
        let q = QuantScheme::parse("fp16").unwrap();
        assert_eq!(q.bits_per_weight_for(16, 4096), 16.0);
        let q = QuantScheme::parse("w2a8kv4").unwrap();
        assert_eq!(
            (q.weight_bits, q.act_bits, q.kv_bits, q.group_size),
            (2, 8, 4, Some(64))
        );
    }

    #[test]
    fn overrides_and_generic_specs() {
        let q = QuantScheme::parse("w4a16+lm_head=8+layer0.*=8").unwrap();
        assert_eq!(q.weight_bits_of("lm_head"), 8);
        assert_eq!(q.weight_bits_of("layer0.mlp.up_proj"), 8);
        assert_eq!(q.weight_bits_of("layer10.mlp.up_proj"), 4);
        let q = QuantScheme::parse("w8a8kv8g64").unwrap();
        assert_eq!(q.group_size, Some(64));
        assert!(QuantScheme::parse("w5a8").is_err());
        assert!(QuantScheme::parse("w4a16+lm_head=x").is_err());
    }

    #[test]
    fn glob() {
        assert!(glob_match("layer1.*", "layer1.attn.q_proj"));
        assert!(!glob_match("layer1.*", "layer12.attn.q_proj"));
        assert!(glob_match("*.down_proj", "layer3.mlp.down_proj"));
        assert!(!glob_match("lm_head", "lm_head2"));
    }
}
