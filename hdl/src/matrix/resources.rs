//! Resource estimates of the matrix unit: per-leaf costs measured with
//! Yosys 0.23 (`synth_xilinx -family xcup -flatten`, each leaf alone),
//! scaled by the instance counts of a config.
//!
//! These are **Yosys estimates**, not Vivado results: Yosys maps the
//! multipliers to DSP48E2 but leaves the DSP's pipeline registers and the
//! pre-adder of the packed operand in fabric (about 50 FF and 85 LUT per
//! DSP that Vivado would absorb), and carry chains are not counted as LUTs.
//! `tests::yosys` re-measures the leaves (`MX_YOSYS=1`).

use super::leaves::Leaf;
use super::top::Shape;
use super::MatrixError;
use llmfab_isa::EngineConfig;

/// Estimated resources of one block (or a total).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
    /// DSP48E2 slices.
    pub dsp: f64,
    /// LUTs (LUT1–LUT6, MUXF excluded).
    pub lut: f64,
    /// Flip-flops (FDRE/FDSE; SRLs counted as LUTs).
    pub ff: f64,
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            dsp: self.dsp + o.dsp,
            lut: self.lut + o.lut,
            ff: self.ff + o.ff,
        }
    }
}

impl std::ops::Mul<f64> for Cost {
    type Output = Cost;
    fn mul(self, k: f64) -> Cost {
        Cost {
            dsp: self.dsp * k,
            lut: self.lut * k,
            ff: self.ff * k,
        }
    }
}

/// One leaf's estimate: per instance and for all its instances.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockCost {
    /// Module name.
    pub name: String,
    /// Instances.
    pub count: u64,
    /// Per instance.
    pub each: Cost,
    /// `count × each`.
    pub total: Cost,
}

fn c(dsp: f64, lut: f64, ff: f64) -> Cost {
    Cost { dsp, lut, ff }
}

/// Measured (Yosys 0.23) cost of one instance of a leaf of `s`.
pub fn leaf_cost(name: &str, s: &Shape) -> Cost {
    let (ab, v) = (s.ab as f64, s.v as f64);
    if let Some(w) = name.strip_prefix("llmfab_mx_add") {
        let w: f64 = w.parse().unwrap_or(32.0);
        return c(0.0, w, w);
    }
    match name {
        "llmfab_mx_ctl" => c(0.0, 4731.0, 2447.0),
        "llmfab_mx_col" => c(2.0, 969.0, 144.0),
        "llmfab_mx_lane" => c(0.0, 64.0, 64.0),
        "llmfab_mx_shadow" => c(0.0, 32.0, 32.0),
        "llmfab_mx_kvaddr" => c(0.0, 221.0, 0.0),
        "llmfab_mx_reg16" => c(0.0, 0.0, 16.0),
        "llmfab_mx_reg32" => c(0.0, 0.0, 32.0),
        "llmfab_mx_arow" => c(0.0, 46.0 * ab / 8.0, 0.0),
        "llmfab_mx_bsel" => c(0.0, 1.5 * v, 0.0),
        "llmfab_mx_stage_a" => c(0.0, ab, ab),
        "llmfab_mx_stage_b" => c(0.0, v, v),
        "llmfab_mx_dsp_a8_b4" => c(1.0, 85.0, 52.0),
        "llmfab_mx_dsp_a8_b8" => c(1.0, 52.0, 58.0),
        "llmfab_mx_dsp_a8_b4_acc" => c(1.0, 98.0, 60.0),
        // Not measured alone: the packed figures with the wider read-back.
        "llmfab_mx_dsp_a8_b8_acc" => c(1.0, 110.0, 64.0),
        "llmfab_mx_dsp_a16_b4_acc" => c(1.0, 117.0, 76.0),
        // Not measured alone: the a8_b4 figures scaled by the operand widths.
        "llmfab_mx_dsp_a16_b4" => c(1.0, 101.0, 68.0),
        "llmfab_mx_dsp_a16_b8" => c(1.0, 32.0, 48.0),
        _ => Cost::default(),
    }
}

/// Per-block estimates of the unit for `cfg` (the leaves of
/// [`super::blocks`] with their counts).
pub fn estimate(cfg: &EngineConfig) -> Result<Vec<BlockCost>, MatrixError> {
    let s = Shape::new(cfg)?;
    let leaves: Vec<Leaf> = super::leaves::leaves(&s)?;
    Ok(leaves
        .into_iter()
        .map(|l| {
            let each = leaf_cost(&l.name, &s);
            BlockCost {
                total: each * l.count as f64,
                each,
                count: l.count,
                name: l.name,
            }
        })
        .collect())
}

/// The unit's total estimate for `cfg`.
pub fn total(cfg: &EngineConfig) -> Result<Cost, MatrixError> {
    Ok(estimate(cfg)?
        .into_iter()
        .fold(Cost::default(), |a, b| a + b.total))
}

/// The estimate divided by the `R·C` MAC lanes.
pub fn per_lane(cfg: &EngineConfig) -> Result<Cost, MatrixError> {
    Ok(total(cfg)? * (1.0 / cfg.mac_lanes() as f64))
}
