//! Board projects (`llmfab bitstream`): a complete Vitis RTL-kernel project
//! for one engine on one Alveo-class board — the kernel's Verilog,
//! `kernel.xml`, `kernel_params.tcl` + `package_kernel.tcl` + `gen_xo.tcl`
//! (Vivado IP packaging and `package_xo`), the `v++` link configuration
//! `link.cfg` (one `sp=` per AXI4 master, `slr=` placement, kernel clock),
//! a Makefile with the `v++` commands, the compiled programs, the resource
//! estimate and a README — and an open-toolchain iCE40 bitstream of a tiny
//! engine ([`ice40`]).
//!
//! This crate depends only on `llmfab-isa`: board facts come in as data
//! ([`Board`], filled by the CLI from `llmfab-models`' device catalog and
//! `bitstreams/<board>/board.toml`). Usage:
//!
//! ```no_run
//! # use llmfab_hdl::project::*;
//! # fn f(cfg: llmfab_isa::EngineConfig, board: Board) -> Result<(), ProjectError> {
//! let p = generate(&ProjectInput { config: cfg, board, programs: vec![], build: None })?;
//! write(std::path::Path::new("out/u280-project"), &p, false)?;
//! # Ok(()) }
//! ```

pub mod ice40;
mod readme;
mod vitis;

use crate::resources::cells::Cells;
use crate::resources::{Capacity, Report};
use crate::HdlError;
use llmfab_isa::EngineConfig;
use std::path::Path;

/// The Tcl body that packages the kernel (`bitstreams/common`).
pub const PACKAGE_KERNEL_TCL: &str = include_str!("../../../bitstreams/common/package_kernel.tcl");
/// The Tcl script that builds the `.xo` (`bitstreams/common`).
pub const GEN_XO_TCL: &str = include_str!("../../../bitstreams/common/gen_xo.tcl");

/// Errors of board-project generation and writing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    /// The board facts or the engine do not make a project (user input).
    #[error("{0}")]
    Input(String),
    /// The output folder exists and `force` was not given.
    #[error("{0} exists; pass --force to replace it")]
    Exists(String),
    /// The hardware generator failed.
    #[error(transparent)]
    Hdl(#[from] HdlError),
}

/// Memory technology behind the kernel's channel masters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
pub enum Memory {
    /// HBM pseudo-channels, `HBM[i]`.
    #[serde(rename = "HBM")]
    Hbm,
    /// DDR banks, `DDR[i]`.
    #[serde(rename = "DDR")]
    Ddr,
}

impl Memory {
    /// The `v++` memory-resource prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Memory::Hbm => "HBM",
            Memory::Ddr => "DDR",
        }
    }
}

/// Link-step facts of a board: `bitstreams/<board>/board.toml`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkFacts {
    /// HBM or DDR.
    pub memory: Memory,
    /// Memory banks (pseudo-channels) the platform exposes.
    pub banks: u32,
    /// The SLR the kernel is placed in (`SLR0`).
    pub kernel_slr: String,
    /// Bank of the instruction master.
    pub instr_bank: u32,
    /// Vivado implementation strategy (`[vivado] prop=run.impl_1.strategy`).
    pub impl_strategy: String,
    /// One sentence for the README about placement or caveats.
    pub note: String,
}

impl LinkFacts {
    /// Parses a `board.toml`; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<LinkFacts, ProjectError> {
        let f: LinkFacts =
            toml::from_str(text).map_err(|e| ProjectError::Input(format!("{origin}: {e}")))?;
        if f.banks == 0 || f.instr_bank >= f.banks {
            return Err(ProjectError::Input(format!(
                "{origin}: expected banks >= 1 and instr_bank < banks, got {} and {}",
                f.banks, f.instr_bank
            )));
        }
        Ok(f)
    }
}

/// Everything about the target board a project needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Board {
    /// Catalog key (`u280`).
    pub name: String,
    /// Display name (`AMD Alveo U280`).
    pub display: String,
    /// FPGA part (`xcu280-fsvh2892-2L-e`).
    pub part: String,
    /// Vitis platform (`xilinx_u280_gen3x16_xdma_1_202211_1`).
    pub platform: String,
    /// Super logic regions.
    pub slrs: u32,
    /// Resources left to user logic (the estimate is checked against them).
    pub user: Cells,
    /// Link-step facts.
    pub link: LinkFacts,
}

/// One file copied into the project from the build folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectFile {
    /// Path relative to the project (`programs/decode.bin`).
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// What the compiled build folder says about itself (for the README).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// The build folder's name (no directories, for determinism).
    pub folder: String,
    /// Model name.
    pub model: String,
    /// Quantisation scheme.
    pub quant: String,
    /// Phases: (name, instructions).
    pub phases: Vec<(String, u64)>,
}

/// The inputs of [`generate`].
#[derive(Clone, Debug)]
pub struct ProjectInput {
    /// The engine.
    pub config: EngineConfig,
    /// The board.
    pub board: Board,
    /// Files copied in (programs, memory map, manifest).
    pub programs: Vec<ProjectFile>,
    /// The build folder the engine came from (`None`: the board default).
    pub build: Option<BuildInfo>,
}

/// A generated project: relative paths and contents, sorted by path.
#[derive(Clone, Debug)]
pub struct Project {
    /// Files.
    pub files: Vec<ProjectFile>,
    /// The resource estimate of the engine against the board.
    pub report: Report,
    /// The AXI4 master interfaces (`m_axi_instr`, `m_axi_ch0`, ...).
    pub masters: Vec<String>,
}

impl Project {
    /// A file's contents as text, if the project has it.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .and_then(|f| std::str::from_utf8(&f.bytes).ok())
    }
}

/// Generates the project (nothing is written; see [`write`]).
pub fn generate(input: &ProjectInput) -> Result<Project, ProjectError> {
    let cfg = &input.config;
    let b = &input.board;
    cfg.validate()
        .map_err(|e| ProjectError::Input(e.to_string()))?;
    if cfg.channels > b.link.banks {
        return Err(ProjectError::Input(format!(
            "engine '{}' uses {} memory channels; {} has {} {} banks",
            cfg.name,
            cfg.channels,
            b.display,
            b.link.banks,
            b.link.memory.prefix()
        )));
    }
    let cap = Capacity {
        board: b.name.clone(),
        cells: b.user,
    };
    let emitted = crate::output::emit(cfg, crate::design::Parts::Full, Some(cap))?;
    let masters = vitis::masters(cfg);
    let mut files: Vec<ProjectFile> = Vec::new();
    let mut add = |path: &str, text: String| {
        files.push(ProjectFile {
            path: path.to_string(),
            bytes: text.into_bytes(),
        })
    };
    for f in &emitted.design.files {
        add(&format!("src/{}", f.name), f.text.clone());
    }
    add("kernel.xml", vitis::kernel_xml(cfg));
    add("kernel_params.tcl", vitis::params_tcl(cfg, b));
    add("package_kernel.tcl", PACKAGE_KERNEL_TCL.to_string());
    add("gen_xo.tcl", GEN_XO_TCL.to_string());
    add("link.cfg", vitis::link_cfg(cfg, b));
    add("Makefile", vitis::makefile(b));
    add("engine.toml", cfg.to_toml());
    add("resources.md", emitted.report.markdown());
    add(
        "README.md",
        readme::readme(input, &emitted.report, &masters, &emitted.summary()),
    );
    for p in &input.programs {
        if p.path.starts_with('/') || p.path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(ProjectError::Input(format!(
                "program file path '{}' must be relative without '..'",
                p.path
            )));
        }
        files.push(p.clone());
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(w) = files.windows(2).find(|w| w[0].path == w[1].path) {
        return Err(ProjectError::Input(format!(
            "two project files named '{}'",
            w[0].path
        )));
    }
    Ok(Project {
        files,
        report: emitted.report,
        masters,
    })
}

fn io(p: &Path, e: std::io::Error) -> ProjectError {
    ProjectError::Hdl(HdlError::Io {
        path: p.display().to_string(),
        message: e.to_string(),
    })
}

/// Writes `project` into `dir`: refused when `dir` exists unless `force`;
/// written into a temporary sibling first and renamed into place, so a
/// failure leaves nothing half-written (and an old `dir` untouched).
pub fn write(dir: &Path, project: &Project, force: bool) -> Result<(), ProjectError> {
    write_files(dir, &project.files, force)
}

/// [`write`] for any list of files (also used by the iCE40 flow).
pub fn write_files(dir: &Path, files: &[ProjectFile], force: bool) -> Result<(), ProjectError> {
    if dir.exists() && !force {
        return Err(ProjectError::Exists(dir.display().to_string()));
    }
    crate::output::write_folder(
        dir,
        files.iter().map(|f| (f.path.as_str(), f.bytes.as_slice())),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(banks: u32) -> Board {
        Board {
            name: "b".into(),
            display: "Board B".into(),
            part: "xcu280-fsvh2892-2L-e".into(),
            platform: "p".into(),
            slrs: 3,
            user: Cells::default(),
            link: LinkFacts {
                memory: Memory::Hbm,
                banks,
                kernel_slr: "SLR0".into(),
                instr_bank: 0,
                impl_strategy: "Performance_Explore".into(),
                note: String::new(),
            },
        }
    }

    #[test]
    fn link_facts_are_checked() {
        let ok = "memory = \"DDR\"\nbanks = 4\nkernel_slr = \"SLR0\"\ninstr_bank = 0\nimpl_strategy = \"x\"\nnote = \"\"\n";
        assert_eq!(LinkFacts::from_toml(ok, "t").unwrap().memory, Memory::Ddr);
        let bad = ok.replace("instr_bank = 0", "instr_bank = 4");
        assert!(LinkFacts::from_toml(&bad, "t").is_err());
        assert!(LinkFacts::from_toml("memory = \"QDR\"", "t").is_err());
    }

    #[test]
    fn more_channels_than_banks_is_refused() {
        let cfg = EngineConfig {
            channels: 4,
            wbuf_bytes: 8192,
            kvbuf_bytes: 8192,
            rows: 8,
            cols: 16,
            ..EngineConfig::tiny()
        };
        cfg.validate().unwrap();
        let input = ProjectInput {
            config: cfg,
            board: board(2),
            programs: vec![],
            build: None,
        };
        let e = generate(&input).unwrap_err();
        assert!(
            matches!(e, ProjectError::Input(ref m) if m.contains("2 HBM banks")),
            "{e}"
        );
    }

    #[test]
    fn write_refuses_an_existing_folder_and_replaces_it_with_force() {
        let d = std::env::temp_dir().join(format!("llmfab-project-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let out = d.join("p");
        let f = |t: &str| {
            vec![ProjectFile {
                path: "a/b.txt".into(),
                bytes: t.as_bytes().to_vec(),
            }]
        };
        write_files(&out, &f("one"), false).unwrap();
        assert!(matches!(
            write_files(&out, &f("two"), false),
            Err(ProjectError::Exists(_))
        ));
        assert_eq!(std::fs::read_to_string(out.join("a/b.txt")).unwrap(), "one");
        write_files(&out, &f("two"), true).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/b.txt")).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "temporary folders left: {names:?}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
