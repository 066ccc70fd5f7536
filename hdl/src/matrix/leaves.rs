//! The rust-hdl leaves of one config, emitted under their `llmfab_mx_*`
//! names, with their instance counts (for the resource report).

use super::cells::{AddNode, Reg, StageCell};
use super::col::ColUnit;
use super::ctl::MatCtl;
use super::dsp::{Dsp1, DspPack};
use super::emit::leaf_verilog;
use super::kv::KvAddr;
use super::lane::{ARow, BSel, LaneAcc};
use super::top::{names, Shape};
use super::MatrixError;

/// One distinct leaf module of the unit and how often the top instantiates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// Module name.
    pub name: String,
    /// Its Verilog (with its rust-hdl submodules; synthesisable alone).
    pub verilog: String,
    /// Instances in `llmfab_matrix`.
    pub count: u64,
}

fn add_node(w: u32) -> Result<String, MatrixError> {
    let name = format!("llmfab_mx_add{w}");
    macro_rules! widths {
        ($($n:literal)*) => {
            match w {
                $($n => leaf_verilog(&name, AddNode::<$n>::default()),)*
                _ => Err(MatrixError::Unsupported { config: String::new(), reason: format!("adder width {w}") }),
            }
        };
    }
    widths!(9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32)
}

fn dsp(s: &Shape, name: &str) -> Result<String, MatrixError> {
    if s.dsp_acc {
        return match (s.ab, s.v) {
            (8, 4) => leaf_verilog(name, DspPack::<8, 4, 22, 2, 22>::default()),
            (8, 8) => leaf_verilog(name, DspPack::<8, 8, 18, 2, 18>::default()),
            (16, 4) => leaf_verilog(name, DspPack::<16, 4, 22, 2, 22>::default()),
            (a, v) => Err(MatrixError::Unsupported {
                config: String::new(),
                reason: format!("P accumulation for act {a} x B {v} bits"),
            }),
        };
    }
    match (s.ab, s.v) {
        (8, 4) => leaf_verilog(name, DspPack::<8, 4, 22, 2, 12>::default()),
        (8, 8) => leaf_verilog(name, DspPack::<8, 8, 18, 2, 16>::default()),
        (16, 4) => leaf_verilog(name, DspPack::<16, 4, 22, 2, 20>::default()),
        (16, 8) => leaf_verilog(name, Dsp1::<16, 8, 24>::default()),
        (a, v) => Err(MatrixError::Unsupported {
            config: String::new(),
            reason: format!("act {a} x B {v} bits"),
        }),
    }
}

/// Every leaf of the unit for `s`, with instance counts.
pub fn leaves(s: &Shape) -> Result<Vec<Leaf>, MatrixError> {
    let n = names(s);
    let (r, c) = (s.r as u64, s.c as u64);
    let mut out = Vec::new();
    let mut push =
        |name: &str, verilog: Result<String, MatrixError>, count: u64| -> Result<(), MatrixError> {
            out.push(Leaf {
                name: name.to_string(),
                verilog: verilog?,
                count,
            });
            Ok(())
        };
    push(
        "llmfab_mx_ctl",
        leaf_verilog("llmfab_mx_ctl", MatCtl::default()),
        1,
    )?;
    let (arow, stage_a) = match s.ab {
        8 => (
            leaf_verilog("llmfab_mx_arow", ARow::<8>::default()),
            leaf_verilog("llmfab_mx_stage_a", StageCell::<8>::default()),
        ),
        _ => (
            leaf_verilog("llmfab_mx_arow", ARow::<16>::default()),
            leaf_verilog("llmfab_mx_stage_a", StageCell::<16>::default()),
        ),
    };
    push("llmfab_mx_arow", arow, r)?;
    push("llmfab_mx_stage_a", stage_a, r * r)?;
    let (bsel, stage_b) = match s.v {
        4 => (
            leaf_verilog("llmfab_mx_bsel", BSel::<4>::default()),
            leaf_verilog("llmfab_mx_stage_b", StageCell::<4>::default()),
        ),
        _ => (
            leaf_verilog("llmfab_mx_bsel", BSel::<8>::default()),
            leaf_verilog("llmfab_mx_stage_b", StageCell::<8>::default()),
        ),
    };
    push("llmfab_mx_bsel", bsel, r * c)?;
    push("llmfab_mx_stage_b", stage_b, r * c)?;
    push(
        "llmfab_mx_kvaddr",
        leaf_verilog("llmfab_mx_kvaddr", KvAddr::default()),
        s.nb as u64,
    )?;
    push(&n.dsp, dsp(s, &n.dsp), r * c / s.pack.per_dsp as u64)?;
    if s.dsp_acc {
        push(
            "llmfab_mx_shadow",
            leaf_verilog("llmfab_mx_shadow", StageCell::<32>::default()),
            r * c,
        )?;
        push(
            "llmfab_mx_reg32",
            leaf_verilog("llmfab_mx_reg32", Reg::<32>::default()),
            c,
        )?;
    } else {
        push(
            "llmfab_mx_lane",
            leaf_verilog("llmfab_mx_lane", LaneAcc::default()),
            r * c,
        )?;
    }
    for (l, name) in n.add.iter().enumerate() {
        push(name, add_node(s.pw + l as u32 + 1), c * (r >> (l + 1)))?;
    }
    let regs = (s.spr as u64 + 1 + s.lg_r as u64 + 2) * c;
    push(
        "llmfab_mx_reg16",
        leaf_verilog("llmfab_mx_reg16", Reg::<16>::default()),
        regs,
    )?;
    push(
        "llmfab_mx_col",
        leaf_verilog("llmfab_mx_col", ColUnit::default()),
        c,
    )?;
    Ok(out)
}
