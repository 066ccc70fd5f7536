//! The build folder `llmfab compile -o DIR` writes and `llmfab sim`,
//! `llmfab bitstream` and `llmfab flow` read:
//!
//! ```text
//! DIR/build.json           manifest: format, llmfab version, model, quant, board,
//!                          engine name and config hash, phases, every file with its size and hash
//! DIR/engine.toml          the EngineConfig
//! DIR/memmap.json          the HBM memory map (MemMap)
//! DIR/quant.json           the engine's view of the scheme and the quantisation plan
//! DIR/compile.json         the compile report (exploration, per-phase statistics)
//! DIR/programs/NAME.bin    each phase's program (llmfab_isa program file)
//! DIR/programs/NAME.s      the same program as assembly with provenance
//! ```
//!
//! Everything is written into a temporary sibling folder and renamed into
//! place at the end; the contents are deterministic (no times, no absolute
//! paths). [`open`] refuses a folder from another format or llmfab version,
//! one whose engine.toml does not match the manifest's hash, or one whose
//! files are missing or changed.

use crate::compile::Artefacts;
use crate::memmap::MemMap;
use crate::qplan::{Calibration, QuantPlan};
use crate::support::EngineQuant;
use crate::CompileError;
use llmfab_isa::{EngineConfig, Program};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Format version of the folder.
pub const FORMAT: u32 = 1;
/// Version of llmfab that writes folders.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One compiled phase in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseEntry {
    /// File stem (`prefill_512`, `decode_4096`).
    pub name: String,
    /// New tokens.
    pub seq: u64,
    /// Positions the last token attends to.
    pub kv_len: u64,
    /// Sequences of a batched decode step (1 otherwise).
    #[serde(default = "crate::one_sequence")]
    pub batch: u64,
    /// Program binary, relative to the folder.
    pub binary: String,
    /// Assembly with provenance, relative to the folder.
    pub assembly: String,
    /// Instructions.
    pub instructions: u64,
}

/// One file with its size and FNV-1a 64 hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the folder.
    pub path: String,
    /// Bytes.
    pub bytes: u64,
    /// FNV-1a 64 of the contents, hex.
    pub fnv64: String,
}

/// `build.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Folder format.
    pub format: u32,
    /// llmfab version that wrote it.
    pub llmfab_version: String,
    /// Model name.
    pub model: String,
    /// Where the model came from.
    pub model_source: String,
    /// Quantization scheme.
    pub quant: String,
    /// Board.
    pub board: String,
    /// Engine name.
    pub engine: String,
    /// FNV-1a 64 of engine.toml, hex.
    pub config_hash: String,
    /// Compiled phases.
    pub phases: Vec<PhaseEntry>,
    /// Every other file.
    pub files: Vec<FileEntry>,
}

/// `quant.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantFile {
    /// The engine's view of the scheme.
    pub engine: EngineQuant,
    /// Calibration statistics the scales came from (`None`: nominal).
    pub calibration: Option<Calibration>,
    /// RoPE base frequency of the model.
    pub rope_theta: f64,
    /// Static scales and constants.
    pub plan: QuantPlan,
}

/// A build re-derived from its folder: the model graph and the build-level
/// lowering results (what [`crate::pack::image`] needs to make an HBM image).
#[derive(Clone, Debug)]
pub struct Reloaded {
    /// The model.
    pub spec: llmfab_models::ModelSpec,
    /// Its graph.
    pub graph: llmfab_models::Graph,
    /// Kernels, plan, tiling, SBUF blobs and the memory map.
    pub prepared: crate::lower::Prepared,
}

/// FNV-1a 64.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn hex(h: u64) -> String {
    format!("{h:016x}")
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CompileError + '_ {
    move |source| CompileError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

/// The files of a build, in writing order (`build.json` last).
pub fn files(a: &Artefacts) -> Result<Vec<(String, Vec<u8>)>, CompileError> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let toml = a.config.to_toml().into_bytes();
    let config_hash = hex(fnv64(&toml));
    out.push(("engine.toml".into(), toml));
    out.push(("memmap.json".into(), json(&a.prepared.map)));
    out.push((
        "quant.json".into(),
        json(&QuantFile {
            engine: a.eq.clone(),
            calibration: a.calibration.clone(),
            rope_theta: a.rope_theta,
            plan: a.prepared.plan.clone(),
        }),
    ));
    out.push(("compile.json".into(), json(&a.report)));
    let mut phases = Vec::new();
    for cp in &a.phases {
        let prog = cp.program(&a.prepared.names);
        let bin = format!("programs/{}.bin", cp.phase.name);
        let asm = format!("programs/{}.s", cp.phase.name);
        let mut text = format!(
            "; llmfab {VERSION}: {} ({}) on engine {}, phase {} (seq {}, kv_len {}, batch {})\n",
            a.model,
            a.quant,
            a.config.name,
            cp.phase.name,
            cp.phase.seq,
            cp.phase.kv_len,
            cp.phase.batch
        );
        text.push_str(&llmfab_isa::asm::print(&prog));
        out.push((bin.clone(), prog.to_binary()?));
        out.push((asm.clone(), text.into_bytes()));
        phases.push(PhaseEntry {
            name: cp.phase.name.clone(),
            seq: cp.phase.seq,
            kv_len: cp.phase.kv_len,
            batch: cp.phase.batch,
            binary: bin,
            assembly: asm,
            instructions: cp.instrs.len() as u64,
        });
    }
    let manifest = Manifest {
        format: FORMAT,
        llmfab_version: VERSION.into(),
        model: a.model.clone(),
        model_source: a.source.clone(),
        quant: a.quant.clone(),
        board: a.board.clone(),
        engine: a.config.name.clone(),
        config_hash,
        phases,
        files: out
            .iter()
            .map(|(p, b)| FileEntry {
                path: p.clone(),
                bytes: b.len() as u64,
                fnv64: hex(fnv64(b)),
            })
            .collect(),
    };
    out.push(("build.json".into(), json(&manifest)));
    Ok(out)
}

/// Writes the build folder `dir` atomically. An existing `dir` is replaced
/// only when it is an llmfab build folder, empty, or `force` is set.
pub fn write(dir: &Path, a: &Artefacts, force: bool) -> Result<(), CompileError> {
    let files = files(a)?;
    if dir.exists() {
        let is_build = dir.join("build.json").is_file();
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !dir.is_dir() || !(is_build || empty || force) {
            return Err(CompileError::Folder {
                path: dir.display().to_string(),
                problem: "exists and is not an llmfab build folder (use --force to replace it)"
                    .into(),
            });
        }
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let stem = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "build".into());
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let tmp = parent.join(format!(".{stem}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{stem}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let res = (|| {
        std::fs::create_dir_all(tmp.join("programs")).map_err(io(&tmp))?;
        for (p, b) in &files {
            let path = tmp.join(p);
            std::fs::write(&path, b).map_err(io(&path))?;
        }
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(io(dir))?;
        }
        std::fs::rename(&tmp, dir).map_err(io(dir))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        if old.exists() && !dir.exists() {
            let _ = std::fs::rename(&old, dir);
        }
    }
    res
}

/// An opened, checked build folder.
#[derive(Clone, Debug)]
pub struct Build {
    /// The folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The engine.
    pub config: EngineConfig,
    /// The memory map.
    pub map: MemMap,
    /// The quantisation plan.
    pub quant: QuantFile,
}

impl Build {
    /// Re-derives the model graph and the build-level lowering results from
    /// the model source, the engine and the quantisation file, and checks
    /// that they reproduce this folder's memory map and plan.
    pub fn reload(&self) -> Result<Reloaded, CompileError> {
        let bad = |problem: String| CompileError::Folder {
            path: self.dir.display().to_string(),
            problem,
        };
        let src = &self.manifest.model_source;
        let spec = match src.strip_prefix("zoo:") {
            Some(name) => llmfab_models::zoo::get(name)?,
            None => llmfab_models::load::load(src)?.spec,
        };
        let graph = llmfab_models::Graph::build(&spec, llmfab_models::BuildOptions::default());
        let phases: Vec<crate::lower::Phase> = self
            .manifest
            .phases
            .iter()
            .map(|p| crate::lower::Phase {
                name: p.name.clone(),
                seq: p.seq,
                kv_len: p.kv_len,
                batch: p.batch,
            })
            .collect();
        let opts = crate::lower::LowerOptions {
            verify: false,
            calibration: self.quant.calibration.clone(),
            channel_bytes: self.map.channel_bytes,
            rope_theta: self.quant.rope_theta,
            debug_dumps: self.map.debug.is_some(),
        };
        let prepared = crate::lower::prepare(
            &graph,
            &self.config,
            &self.quant.engine,
            &phases,
            &opts,
            &spec.name,
        )?;
        if prepared.map != self.map || prepared.plan != self.quant.plan {
            return Err(bad(format!("the model at '{src}' no longer compiles to this folder's memory map and plan; recompile it")));
        }
        Ok(Reloaded {
            spec,
            graph,
            prepared,
        })
    }

    /// The manifest entry of phase `name`.
    pub fn phase(&self, name: &str) -> Option<&PhaseEntry> {
        self.manifest.phases.iter().find(|p| p.name == name)
    }
    /// The prefill phase for a prompt of `seq` tokens: the smallest bucket
    /// that holds it.
    pub fn prefill_for(&self, seq: u64) -> Option<&PhaseEntry> {
        self.manifest
            .phases
            .iter()
            .filter(|p| p.seq > 1 || p.name.starts_with("prefill"))
            .filter(|p| p.seq >= seq)
            .min_by_key(|p| p.seq)
    }
    /// The decode phase of one sequence (the first).
    pub fn decode(&self) -> Option<&PhaseEntry> {
        self.decode_batch(1)
    }
    /// The decode phase of a batch of `batch` sequences.
    pub fn decode_batch(&self, batch: u64) -> Option<&PhaseEntry> {
        self.manifest
            .phases
            .iter()
            .find(|p| p.name.starts_with("decode") && p.batch == batch)
    }
    /// Reads phase `name`'s program with its provenance (from the assembly),
    /// checked against the binary.
    pub fn program(&self, name: &str) -> Result<Program, CompileError> {
        let bad = |problem: String| CompileError::Folder {
            path: self.dir.display().to_string(),
            problem,
        };
        let e = self.phase(name).ok_or_else(|| {
            bad(format!(
                "no phase '{name}' (has: {})",
                self.manifest
                    .phases
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let asm_path = self.dir.join(&e.assembly);
        let text = std::fs::read_to_string(&asm_path).map_err(io(&asm_path))?;
        let prog =
            llmfab_isa::asm::parse(&text).map_err(|err| bad(format!("{}: {err}", e.assembly)))?;
        let bin_path = self.dir.join(&e.binary);
        let bin = std::fs::read(&bin_path).map_err(io(&bin_path))?;
        if prog.to_binary()? != bin {
            return Err(bad(format!("{} and {} differ", e.assembly, e.binary)));
        }
        Ok(prog)
    }
}

/// Opens and checks a build folder.
pub fn open(dir: &Path) -> Result<Build, CompileError> {
    let bad = |problem: String| CompileError::Folder {
        path: dir.display().to_string(),
        problem,
    };
    let mpath = dir.join("build.json");
    if !mpath.is_file() {
        return Err(bad(
            "has no build.json (not an llmfab build folder; run `llmfab compile -o DIR`)".into(),
        ));
    }
    let text = std::fs::read_to_string(&mpath).map_err(io(&mpath))?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| bad(format!("build.json: {e}")))?;
    if manifest.format != FORMAT {
        return Err(bad(format!(
            "format {} (this llmfab reads format {FORMAT}); recompile it",
            manifest.format
        )));
    }
    if manifest.llmfab_version != VERSION {
        return Err(bad(format!(
            "written by llmfab {} (this is {VERSION}); recompile it",
            manifest.llmfab_version
        )));
    }
    for f in &manifest.files {
        let p = dir.join(&f.path);
        let b = std::fs::read(&p).map_err(|_| bad(format!("{} is missing", f.path)))?;
        if b.len() as u64 != f.bytes || hex(fnv64(&b)) != f.fnv64 {
            return Err(bad(format!(
                "{} was changed after compilation (size or hash differs from build.json)",
                f.path
            )));
        }
    }
    let toml =
        std::fs::read_to_string(dir.join("engine.toml")).map_err(io(&dir.join("engine.toml")))?;
    if hex(fnv64(toml.as_bytes())) != manifest.config_hash {
        return Err(bad(
            "engine.toml does not match the engine this folder was compiled for".into(),
        ));
    }
    let config = EngineConfig::from_toml(&toml, &dir.join("engine.toml").display().to_string())?;
    let map: MemMap = serde_json::from_slice(
        &std::fs::read(dir.join("memmap.json")).map_err(io(&dir.join("memmap.json")))?,
    )
    .map_err(|e| bad(format!("memmap.json: {e}")))?;
    let quant: QuantFile = serde_json::from_slice(
        &std::fs::read(dir.join("quant.json")).map_err(io(&dir.join("quant.json")))?,
    )
    .map_err(|e| bad(format!("quant.json: {e}")))?;
    Ok(Build {
        dir: dir.to_path_buf(),
        manifest,
        config,
        map,
        quant,
    })
}
