//! The compute units as the core sees them: each unit's Verilog text and
//! its blocks for the resource report (docs/rtl.md §2). A unit that has not
//! delivered its `verilog(cfg)` yet reports a clear error.

use crate::emit::BlockUse;
use crate::HdlError;
use llmfab_isa::EngineConfig;

/// Verilog (top module `llmfab_matrix`) and blocks of the matrix unit.
pub fn matrix(cfg: &EngineConfig) -> Result<(String, Vec<BlockUse>), HdlError> {
    let err = |e: crate::matrix::MatrixError| HdlError::Unit {
        unit: "matrix unit".into(),
        message: e.to_string(),
    };
    let text = crate::matrix::verilog(cfg).map_err(err)?;
    let blocks = crate::matrix::blocks(cfg)
        .map_err(err)?
        .into_iter()
        .map(|l| BlockUse {
            module: l.name,
            verilog: l.verilog,
            count: l.count,
        })
        .collect();
    Ok((text, blocks))
}

/// Verilog (top module `llmfab_sfu`) and blocks of the SFU.
pub fn sfu(cfg: &EngineConfig) -> Result<(String, Vec<BlockUse>), HdlError> {
    let err = |e: crate::sfu::SfuError| HdlError::Unit {
        unit: "SFU".into(),
        message: e.to_string(),
    };
    let text = crate::sfu::verilog(cfg).map_err(err)?;
    let blocks = crate::sfu::blocks(cfg).map_err(err)?;
    Ok((text, blocks))
}
