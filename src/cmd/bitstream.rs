//! `llmfab bitstream`: write a Vitis RTL-kernel board project for the engine
//! of a build folder (or a board's default engine), or build an iCE40
//! bitstream of a tiny engine with the open toolchain (docs/bitstream.md).

use super::CliError;
use clap::Args;
use llmfab_hdl::project::{
    self, Board, BuildInfo, LinkFacts, ProjectError, ProjectFile, ProjectInput,
};
use llmfab_hdl::resources::cells::Cells;
use llmfab_isa::EngineConfig;
use std::path::{Path, PathBuf};

/// Alveo-class boards: name, default engine, link facts.
const BOARDS: &[(&str, &str, &str)] = &[
    (
        "u280",
        include_str!("../../bitstreams/u280/engine.toml"),
        include_str!("../../bitstreams/u280/board.toml"),
    ),
    (
        "u55c",
        include_str!("../../bitstreams/u55c/engine.toml"),
        include_str!("../../bitstreams/u55c/board.toml"),
    ),
    (
        "u50",
        include_str!("../../bitstreams/u50/engine.toml"),
        include_str!("../../bitstreams/u50/board.toml"),
    ),
    (
        "u250",
        include_str!("../../bitstreams/u250/engine.toml"),
        include_str!("../../bitstreams/u250/board.toml"),
    ),
    (
        "v80",
        include_str!("../../bitstreams/v80/engine.toml"),
        include_str!("../../bitstreams/v80/board.toml"),
    ),
];

/// Arguments of `llmfab bitstream`.
#[derive(Args, Debug)]
pub struct BitstreamArgs {
    /// Board: u280, u55c, u50, u250, v80 (a Vitis project) or ice40-hx8k
    /// (an iCE40 bitstream of a tiny engine, built here with Yosys,
    /// nextpnr-ice40 and icepack).
    #[arg(long)]
    pub board: String,
    /// Build folder from `llmfab compile` (its engine.toml and programs);
    /// without it, the board's default engine (bitstreams/<board>/engine.toml).
    #[arg(long)]
    pub build: Option<PathBuf>,
    /// Output folder (default out/bitstream-<board>; git-ignored).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Replace the output folder if it exists.
    #[arg(long)]
    pub force: bool,
}

fn all_names() -> Vec<&'static str> {
    let mut v: Vec<&str> = BOARDS.iter().map(|b| b.0).collect();
    v.push(project::ice40::BOARD);
    v
}

fn unknown(b: &str) -> CliError {
    let names = all_names();
    let close = llmfab_models::suggest::closest(b, names.iter().copied());
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", close.join(", "))
    };
    CliError::Input(format!(
        "unknown board '{b}'{hint}; boards: {}",
        names.join(", ")
    ))
}

fn project_err(e: ProjectError) -> CliError {
    match e {
        ProjectError::Input(_) | ProjectError::Exists(_) => CliError::Input(e.to_string()),
        ProjectError::Hdl(llmfab_hdl::HdlError::Config(m)) => CliError::Input(m),
        ProjectError::Hdl(llmfab_hdl::HdlError::Io { .. }) => CliError::Input(e.to_string()),
        ProjectError::Hdl(other) => CliError::Internal(other.to_string()),
    }
}

/// Board facts from the device catalog and `bitstreams/<board>/board.toml`.
pub fn board_facts(name: &str) -> Result<(Board, EngineConfig), CliError> {
    let (_, engine, link) = BOARDS
        .iter()
        .find(|b| b.0 == name)
        .ok_or_else(|| unknown(name))?;
    let dev = llmfab_models::catalog::lookup(name)
        .map_err(|e| CliError::Internal(format!("device catalog: {e}")))?;
    let f = dev
        .fpga
        .ok_or_else(|| CliError::Internal(format!("{name} is not an FPGA in the catalog")))?;
    let link = LinkFacts::from_toml(link, &format!("bitstreams/{name}/board.toml"))
        .map_err(|e| CliError::Internal(e.to_string()))?;
    let cfg = EngineConfig::from_toml(engine, &format!("bitstreams/{name}/engine.toml"))
        .map_err(|e| CliError::Internal(e.to_string()))?;
    let u = f.user;
    let board = Board {
        name: name.to_string(),
        display: dev.display.clone(),
        part: f.part,
        platform: f.platform,
        slrs: f.slrs,
        user: Cells {
            lut: u.lut,
            ff: u.ff,
            dsp: u.dsp,
            bram36: u.bram36 as f64,
            uram: u.uram,
        },
        link,
    };
    Ok((board, cfg))
}

/// The engine, programs and README facts of a build folder compiled for `board`.
fn from_build(
    dir: &Path,
    board: &str,
) -> Result<(EngineConfig, Vec<ProjectFile>, BuildInfo), CliError> {
    let b = llmfab_compiler::folder::open(dir).map_err(|e| CliError::Input(e.to_string()))?;
    if b.manifest.board != board {
        return Err(CliError::Input(format!(
            "{} was compiled for board '{}', not '{board}'; recompile it with `llmfab compile --board {board}` or pass --board {}",
            dir.display(),
            b.manifest.board,
            b.manifest.board
        )));
    }
    let read = |rel: &str| {
        std::fs::read(dir.join(rel))
            .map_err(|e| CliError::Input(format!("{}: {e}", dir.join(rel).display())))
    };
    let mut files = Vec::new();
    for rel in ["memmap.json", "build.json"] {
        files.push(ProjectFile {
            path: format!("programs/{rel}"),
            bytes: read(rel)?,
        });
    }
    let mut phases = Vec::new();
    for ph in &b.manifest.phases {
        let prog = b
            .program(&ph.name)
            .map_err(|e| CliError::Input(e.to_string()))?;
        let words = llmfab_isa::encode::encode_words(prog.instrs())
            .map_err(|e| CliError::Input(e.to_string()))?;
        files.push(ProjectFile {
            path: format!("programs/{}.instr", ph.name),
            bytes: words,
        });
        for rel in [&ph.binary, &ph.assembly] {
            let name = Path::new(rel)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push(ProjectFile {
                path: format!("programs/{name}"),
                bytes: read(rel)?,
            });
        }
        phases.push((ph.name.clone(), ph.instructions));
    }
    let folder = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "build".into());
    let info = BuildInfo {
        folder,
        model: b.manifest.model.clone(),
        quant: b.manifest.quant.clone(),
        phases,
    };
    Ok((b.config, files, info))
}

/// Writes the Vitis project for `board` into `out` (what `llmfab bitstream`
/// and `llmfab flow` call): the engine is `config` if given, else the build
/// folder's, else the board default; programs come from `build`.
pub fn write_project(
    board: &str,
    config: Option<EngineConfig>,
    build: Option<&Path>,
    out: &Path,
    force: bool,
) -> Result<(project::Project, ProjectInput), CliError> {
    let (board, default_cfg) = board_facts(board)?;
    let (cfg, programs, info) = match build {
        Some(dir) => {
            let (c, p, i) = from_build(dir, &board.name)?;
            (c, p, Some(i))
        }
        None => (default_cfg, Vec::new(), None),
    };
    let input = ProjectInput {
        config: config.unwrap_or(cfg),
        board,
        programs,
        build: info,
    };
    let p = project::generate(&input).map_err(project_err)?;
    project::write(out, &p, force).map_err(project_err)?;
    Ok((p, input))
}

/// Runs `llmfab bitstream`.
pub fn run(a: BitstreamArgs) -> Result<(), CliError> {
    let out = a
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("out/bitstream-{}", a.board)));
    if out.exists() && !a.force {
        return Err(CliError::Input(format!(
            "{} exists; pass --force to replace it",
            out.display()
        )));
    }
    if a.board == project::ice40::BOARD {
        if a.build.is_some() {
            return Err(CliError::Input(format!(
                "--build is not used with {}: its tiny engine is bitstreams/ice40/engine.toml",
                project::ice40::BOARD
            )));
        }
        let r = project::ice40::build(&out, a.force).map_err(project_err)?;
        println!(
            "{}\n{}\nwritten to {}",
            r.summary(),
            r.times(),
            out.display()
        );
        return Ok(());
    }
    let (p, input) = write_project(&a.board, None, a.build.as_deref(), &out, a.force)?;
    println!(
        "board project for engine '{}' on {}: {} files, {} AXI4 masters ({} .. {})\nwritten to {} (see its README.md)",
        input.config.name,
        input.board.display,
        p.files.len(),
        p.masters.len(),
        p.masters.first().map(String::as_str).unwrap_or(""),
        p.masters.last().map(String::as_str).unwrap_or(""),
        out.display()
    );
    for o in p.report.overflows() {
        println!("warning: does not fit the board's user region: {o}");
    }
    Ok(())
}
