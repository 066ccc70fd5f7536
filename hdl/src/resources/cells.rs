//! FPGA cell counts and Yosys: running `synth_xilinx -family xcup
//! -flatten` on a block and reading its `stat` (Yosys 0.23 maps
//! multipliers to DSP48E2 but leaves their pipeline registers in fabric and
//! knows nothing of placement: its counts are estimates).

use crate::HdlError;
use std::ops::{Add, Mul};
use std::process::Command;

/// Resource counts of a block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cells {
    /// LUTs (logic and LUT-RAM).
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// DSP48E2 slices.
    pub dsp: u64,
    /// 36 Kb block RAMs (a BRAM18 counts one half).
    pub bram36: f64,
    /// UltraRAMs.
    pub uram: u64,
}

impl Cells {
    /// A count of LUTs only.
    pub const fn luts(lut: u64) -> Cells {
        Cells {
            lut,
            ff: 0,
            dsp: 0,
            bram36: 0.0,
            uram: 0,
        }
    }
}

impl Add for Cells {
    type Output = Cells;
    fn add(self, o: Cells) -> Cells {
        Cells {
            lut: self.lut + o.lut,
            ff: self.ff + o.ff,
            dsp: self.dsp + o.dsp,
            bram36: self.bram36 + o.bram36,
            uram: self.uram + o.uram,
        }
    }
}

impl Mul<u64> for Cells {
    type Output = Cells;
    fn mul(self, k: u64) -> Cells {
        Cells {
            lut: self.lut * k,
            ff: self.ff * k,
            dsp: self.dsp * k,
            bram36: self.bram36 * k as f64,
            uram: self.uram * k,
        }
    }
}

/// LUTs one LUT-RAM primitive occupies.
fn lutram_luts(cell: &str) -> Option<u64> {
    Some(match cell {
        "RAM32M16" | "RAM64M8" => 8,
        "RAM32M" | "RAM64M" | "RAM128X1D" => 4,
        "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => 2,
        "RAM32X1S" | "RAM64X1S" | "SRL16E" | "SRLC32E" | "SRLC16E" => 1,
        "RAM256X1S" => 4,
        _ => return None,
    })
}

/// Cells of a Yosys `stat` report (the last module listed, or the design
/// total when several are listed).
pub fn parse_stat(text: &str) -> Cells {
    let mut c = Cells::default();
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (Some(cell), Some(n)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        if it.next().is_some() {
            continue;
        }
        match cell {
            c_ if c_.starts_with("LUT") && c_.len() == 4 => c.lut += n,
            c_ if c_.starts_with("FD") => c.ff += n,
            "DSP48E2" | "DSP48E1" => c.dsp += n,
            "RAMB36E2" | "RAMB36E1" => c.bram36 += n as f64,
            "RAMB18E2" | "RAMB18E1" => c.bram36 += n as f64 / 2.0,
            "URAM288" | "URAM288_BASE" => c.uram += n,
            other => {
                if let Some(l) = lutram_luts(other) {
                    c.lut += l * n;
                }
            }
        }
    }
    c
}

/// Synthesises module `top` of `verilog` with Yosys and returns its cells.
pub fn synth(verilog: &str, top: &str) -> Result<Cells, HdlError> {
    synth_with("yosys", verilog, top)
}

/// [`synth`] with the Yosys binary `bin`.
fn synth_with(bin: &str, verilog: &str, top: &str) -> Result<Cells, HdlError> {
    // One folder per call: threads of one process may synthesise modules
    // of the same name (from different configs) at the same time.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("llmfab-yosys-{}-{call}-{top}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| HdlError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let src = dir.join("design.v");
    std::fs::write(&src, verilog).map_err(|e| HdlError::Io {
        path: src.display().to_string(),
        message: e.to_string(),
    })?;
    let script = format!("read_verilog -sv design.v; synth_xilinx -family xcup -flatten -top {top}; tee -q -o stat.txt stat");
    let out = Command::new(bin)
        .args(["-q", "-p", &script])
        .current_dir(&dir)
        .output();
    let stat = std::fs::read_to_string(dir.join("stat.txt")).unwrap_or_default();
    // The scratch folder goes whether or not Yosys could be started.
    let _ = std::fs::remove_dir_all(&dir);
    let out = out.map_err(|e| HdlError::Tool {
        tool: "yosys".into(),
        message: format!("cannot run yosys (install the Debian package yosys): {e}"),
    })?;
    if !out.status.success() || stat.is_empty() {
        return Err(HdlError::Tool {
            tool: "yosys".into(),
            message: format!(
                "synthesis of {top} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(parse_stat(&stat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_become_cells() {
        let s = "   Number of cells:  10\n     FDRE   5\n     FDSE 1\n     LUT6  3\n     LUT2 2\n     RAMB18E2 3\n     RAM64M 2\n     DSP48E2 4\n     IBUF 9\n";
        let c = parse_stat(s);
        assert_eq!(
            c,
            Cells {
                lut: 13,
                ff: 6,
                dsp: 4,
                bram36: 1.5,
                uram: 0
            }
        );
    }

    /// A Yosys that cannot be started: a clear error and no scratch folder left.
    #[test]
    fn missing_yosys_is_an_error_and_leaves_nothing() {
        let top = "llmfab_cells_test_missing_yosys";
        let r = synth_with(
            "/nonexistent/yosys",
            "module llmfab_cells_test_missing_yosys; endmodule",
            top,
        );
        let e = r.expect_err("no such binary").to_string();
        assert!(e.contains("cannot run yosys"), "{e}");
        // One folder per call: threads of one process may synthesise modules
        // of the same name (from different configs) at the same time.
        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("llmfab-yosys-{}-{call}-{top}", std::process::id()));
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}
