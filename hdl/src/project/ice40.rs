//! An iCE40 bitstream of a tiny engine through the open toolchain:
//! Yosys `synth_ice40`, `nextpnr-ice40` and `icepack` (Debian packages
//! yosys, nextpnr-ice40, fpga-icestorm). The engine is
//! `bitstreams/ice40/engine.toml`; the kernel (`llmfab_kernel`: control,
//! fetch, dispatch, tokens, queues, DMA engines, buffers) is built with both
//! compute units replaced by the core's test doubles (the real 4 x 8 matrix
//! unit needs 32 16 x 16 multipliers in logic, which neither fits an iCE40
//! nor synthesises in minutes with Yosys 0.23); `llmfab_ice40_top.v`
//! replaces the host and the memories by a little logic (the 256-bit AXI
//! ports need far more pins than any iCE40 has) and runs
//! `bitstreams/ice40/program.s` from a ROM, forever (docs/bitstream.md §2).

use super::{write_files, ProjectError, ProjectFile};
use crate::design::{build as build_design, UnitImpl};
use crate::HdlError;
use llmfab_isa::{EngineConfig, Program};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The board name `llmfab bitstream` knows this flow by.
pub const BOARD: &str = "ice40-hx8k";
/// nextpnr's device and package options (the iCE40-HX8K breakout board).
pub const NEXTPNR_DEVICE: [&str; 4] = ["--hx8k", "--package", "ct256", "--freq"];
/// The breakout board's oscillator, MHz (the timing target).
pub const CLOCK_MHZ: u32 = 12;
/// Bytes of an uncompressed iCE40-HX8K bitstream from `icepack`.
pub const HX8K_BIN_BYTES: u64 = 135_100;

const ENGINE_TOML: &str = include_str!("../../../bitstreams/ice40/engine.toml");
const PROGRAM: &str = include_str!("../../../bitstreams/ice40/program.s");
const TOP: &str = include_str!("../../../bitstreams/ice40/llmfab_ice40_top.v");
const SYNTH: &str = include_str!("../../../bitstreams/ice40/synth.ys");
const PCF: &str = include_str!("../../../bitstreams/ice40/hx8k-breakout.pcf");
const FLOW: &str = include_str!("../../../bitstreams/ice40/flow.sh");

/// The outcome of a build.
#[derive(Clone, Debug, PartialEq)]
pub struct Ice40Result {
    /// Logic cells used and available (`ICESTORM_LC`).
    pub lc: (u64, u64),
    /// Block RAMs used and available (`ICESTORM_RAM`).
    pub ram: (u64, u64),
    /// Post-route maximum frequency of the clock, MHz.
    pub fmax_mhz: f64,
    /// Size of the `.bin`.
    pub bin_bytes: u64,
    /// Seconds per step: synthesis, place and route, packing.
    pub seconds: [f64; 3],
}

impl Ice40Result {
    /// A few lines for the terminal and `report.md`.
    pub fn summary(&self) -> String {
        format!(
            "iCE40-HX8K (ct256): {}/{} logic cells, {}/{} RAM4K, Fmax {:.2} MHz (target {CLOCK_MHZ} MHz), llmfab_ice40.bin {} bytes",
            self.lc.0,
            self.lc.1,
            self.ram.0,
            self.ram.1,
            self.fmax_mhz,
            self.bin_bytes,
        )
    }

    /// How long each tool took (not in `report.md`, which is deterministic).
    pub fn times(&self) -> String {
        format!(
            "times: yosys {:.0} s, nextpnr-ice40 {:.0} s, icepack {:.0} s",
            self.seconds[0], self.seconds[1], self.seconds[2]
        )
    }
}

fn input(m: String) -> ProjectError {
    ProjectError::Input(m)
}

/// The iCE40 engine configuration.
pub fn config() -> Result<EngineConfig, ProjectError> {
    EngineConfig::from_toml(ENGINE_TOML, "bitstreams/ice40/engine.toml")
        .map_err(|e| input(e.to_string()))
}

/// The program the bitstream runs, checked against [`config`].
pub fn program() -> Result<Program, ProjectError> {
    let cfg = config()?;
    let p = llmfab_isa::asm::parse(PROGRAM)
        .map_err(|e| input(format!("bitstreams/ice40/program.s: {e}")))?;
    llmfab_isa::check_program(&cfg, &p)
        .map_err(|e| input(format!("bitstreams/ice40/program.s: {e}")))?;
    Ok(p)
}

/// The flow's input files: the kernel's Verilog, the top, the program
/// ROM image, the Yosys script, the pin constraints and `flow.sh`.
pub fn files() -> Result<Vec<ProjectFile>, ProjectError> {
    let cfg = config()?;
    let prog = program()?;
    let design = build_design(&cfg, UnitImpl::Double, UnitImpl::Double)?;
    let mut out = Vec::new();
    let mut names = Vec::new();
    for f in &design.files {
        // iCE40 has no distributed RAM: drop the Xilinx RAM-style hints so
        // Yosys picks FFs or SB_RAM40_4K itself.
        let text = f
            .text
            .replace("(* ram_style = \"distributed\" *)", "")
            .replace("(* ram_style = \"block\" *)", "")
            .replace("(* ram_style = \"ultra\" *)", "");
        names.push(format!("src/{}", f.name));
        out.push(ProjectFile {
            path: format!("src/{}", f.name),
            bytes: text.into_bytes(),
        });
    }
    let words =
        llmfab_isa::encode::encode_words(prog.instrs()).map_err(|e| input(e.to_string()))?;
    let mut hex = String::new();
    llmfab_isa::image::write_words(&mut hex, &words, cfg.beat_bytes() as usize);
    let n = prog.instrs().len();
    let top = TOP
        .replace(
            "parameter [31:0] COUNT = 32'd6;",
            &format!("parameter [31:0] COUNT = 32'd{n};"),
        )
        .replace(
            "parameter IWORDS = 8;",
            &format!("parameter IWORDS = {};", n.max(1)),
        );
    let sources = format!(
        "# Generated by llmfab bitstream --board {BOARD}: the design's files.\nread_verilog -DLLMFAB_ICE40 {} llmfab_ice40_top.v\n",
        names.join(" ")
    );
    for (path, text) in [
        ("program.s", PROGRAM.to_string()),
        ("program.hex", hex),
        ("llmfab_ice40_top.v", top),
        ("engine.toml", cfg.to_toml()),
        ("sources.ys", sources),
        ("synth.ys", SYNTH.to_string()),
        ("hx8k-breakout.pcf", PCF.to_string()),
        ("flow.sh", FLOW.to_string()),
    ] {
        out.push(ProjectFile {
            path: path.into(),
            bytes: text.into_bytes(),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The last post-route `Max frequency for clock ...: F MHz` of a nextpnr log.
pub fn parse_fmax(log: &str) -> Option<f64> {
    log.lines()
        .rev()
        .filter(|l| l.contains("Max frequency for clock"))
        .filter_map(|l| {
            let after = l.split("': ").nth(1)?;
            after.split_whitespace().next()?.parse::<f64>().ok()
        })
        .next()
}

/// `used/available` of a cell type from nextpnr's device utilisation.
pub fn parse_util(log: &str, cell: &str) -> Option<(u64, u64)> {
    let l = log.lines().find(|l| {
        l.trim_start_matches("Info:")
            .trim()
            .starts_with(&format!("{cell}:"))
    })?;
    let rest = l.split_once(&format!("{cell}:"))?.1;
    let (used, rest) = rest.split_once('/')?;
    let avail = rest.split_whitespace().next()?;
    Some((used.trim().parse().ok()?, avail.parse().ok()?))
}

fn tool(name: &str, m: impl Into<String>) -> ProjectError {
    ProjectError::Hdl(HdlError::Tool {
        tool: name.into(),
        message: m.into(),
    })
}

fn run(dir: &Path, prog: &str, args: &[&str], log: &str) -> Result<f64, ProjectError> {
    let t = Instant::now();
    let out = Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| {
            tool(
                prog,
                format!("cannot run {prog} (install its Debian package; `cargo xtask tools`): {e}"),
            )
        })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text += &String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::write(dir.join(log), &text);
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        return Err(tool(
            prog,
            format!(
                "failed ({}); last lines of {log}:\n{}",
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ),
        ));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Runs the whole flow into `out` (refused if it exists unless `force`):
/// files are written and the tools run in a temporary sibling, which is
/// renamed into place only when the `.bin` exists.
pub fn build(out: &Path, force: bool) -> Result<Ice40Result, ProjectError> {
    if out.exists() && !force {
        return Err(ProjectError::Exists(out.display().to_string()));
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ice40".into());
    let work: PathBuf = parent.join(format!(".{name}.build-{}", std::process::id()));
    write_files(&work, &files()?, true)?;
    let result = flow(&work);
    match result {
        Ok(r) => {
            let report = format!("# llmfab iCE40 bitstream\n\n```\n{}\n```\n\nBuilt by `flow.sh` (the same steps: yosys -s synth.ys, nextpnr-ice40 --hx8k --package ct256, icepack). Logs: yosys.log, nextpnr.log.\n", r.summary());
            let _ = std::fs::write(work.join("report.md"), report);
            let files = read_tree(&work)?;
            let _ = std::fs::remove_dir_all(&work);
            write_files(out, &files, force)?;
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&work);
            Err(e)
        }
    }
}

fn read_tree(dir: &Path) -> Result<Vec<ProjectFile>, ProjectError> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| super::io(&d, e))?;
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                let bytes = std::fs::read(&p).map_err(|e| super::io(&p, e))?;
                v.push(ProjectFile {
                    path: rel.to_string_lossy().replace('\\', "/"),
                    bytes,
                });
            }
        }
    }
    v.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(v)
}

/// Yosys, nextpnr-ice40 and icepack in `dir` (which holds [`files`]).
pub fn flow(dir: &Path) -> Result<Ice40Result, ProjectError> {
    let t0 = run(dir, "yosys", &["-q", "-s", "synth.ys"], "yosys.log")?;
    let freq = CLOCK_MHZ.to_string();
    let mut args: Vec<&str> = NEXTPNR_DEVICE.to_vec();
    args.extend([
        freq.as_str(),
        "--seed",
        "1",
        "--json",
        "llmfab_ice40.json",
        "--pcf",
        "hx8k-breakout.pcf",
        "--asc",
        "llmfab_ice40.asc",
    ]);
    let t1 = run(dir, "nextpnr-ice40", &args, "nextpnr.log")?;
    let t2 = run(
        dir,
        "icepack",
        &["llmfab_ice40.asc", "llmfab_ice40.bin"],
        "icepack.log",
    )?;
    let log = std::fs::read_to_string(dir.join("nextpnr.log")).map_err(|e| super::io(dir, e))?;
    let fmax = parse_fmax(&log).ok_or_else(|| {
        tool(
            "nextpnr-ice40",
            "no 'Max frequency for clock' line in nextpnr.log",
        )
    })?;
    let lc = parse_util(&log, "ICESTORM_LC")
        .ok_or_else(|| tool("nextpnr-ice40", "no ICESTORM_LC utilisation in nextpnr.log"))?;
    let ram = parse_util(&log, "ICESTORM_RAM").unwrap_or((0, 32));
    let bin = dir.join("llmfab_ice40.bin");
    let bin_bytes = std::fs::metadata(&bin)
        .map_err(|e| super::io(&bin, e))?
        .len();
    // The netlist and the ASCII bitstream are large and rebuilt in seconds.
    let _ = std::fs::remove_file(dir.join("llmfab_ice40.json"));
    let _ = std::fs::remove_file(dir.join("llmfab_ice40.asc"));
    Ok(Ice40Result {
        lc,
        ram,
        fmax_mhz: fmax,
        bin_bytes,
        seconds: [t0, t1, t2],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_checks_and_files_are_complete() {
        let p = program().unwrap();
        assert_eq!(p.instrs().len(), 4);
        let f = files().unwrap();
        for want in [
            "src/llmfab_kernel.v",
            "src/llmfab_test_doubles.v",
            "program.hex",
            "synth.ys",
            "flow.sh",
        ] {
            assert!(f.iter().any(|x| x.path == want), "{want} missing");
        }
        assert!(f
            .iter()
            .all(|x| !String::from_utf8_lossy(&x.bytes).contains("ram_style")));
    }

    #[test]
    fn parses_nextpnr_logs() {
        let log = "Info: Device utilisation:\nInfo: \t         ICESTORM_LC:  5012/ 7680    65%\nInfo: \t        ICESTORM_RAM:     4/   32    12%\nInfo: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 30.10 MHz (PASS at 12.00 MHz)\nInfo: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 28.52 MHz (PASS at 12.00 MHz)\n";
        assert_eq!(parse_fmax(log), Some(28.52));
        assert_eq!(parse_util(log, "ICESTORM_LC"), Some((5012, 7680)));
        assert_eq!(parse_util(log, "ICESTORM_RAM"), Some((4, 32)));
        assert_eq!(parse_fmax("nothing"), None);
    }
}
