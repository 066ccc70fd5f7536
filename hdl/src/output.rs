//! What `llmfab hdl` produces for a config — the design's Verilog files,
//! the resource report and a summary — and writing it to a folder without
//! ever leaving a partial one (temporary sibling folder, then rename).

use crate::design::{design, Design, Parts};
use crate::gen::geometry::Geometry;
use crate::resources::{core_lines, units_lines, Capacity, Report};
use crate::HdlError;
use llmfab_isa::EngineConfig;
use std::path::{Path, PathBuf};

/// Everything `llmfab hdl` writes.
#[derive(Clone, Debug)]
pub struct Emitted {
    /// The Verilog files.
    pub design: Design,
    /// The resource estimate.
    pub report: Report,
    /// The config (written back as `engine.toml`).
    pub config: EngineConfig,
}

/// Builds the design and its resource report.
pub fn emit(
    cfg: &EngineConfig,
    parts: Parts,
    capacity: Option<Capacity>,
) -> Result<Emitted, HdlError> {
    let d = design(cfg, parts)?;
    let g = Geometry::new(cfg)?;
    let mut lines = core_lines(&g);
    if parts == Parts::Full {
        let matrix = crate::units::matrix(cfg)?.1;
        let sfu = crate::units::sfu(cfg)?.1;
        lines.extend(units_lines(&[("matrix unit", &matrix), ("SFU", &sfu)]));
    }
    Ok(Emitted {
        design: d,
        report: Report::new(&cfg.name, lines, capacity),
        config: cfg.clone(),
    })
}

impl Emitted {
    /// A short summary: files, size, module count, fit.
    pub fn summary(&self) -> String {
        let (lines, bytes) = self.design.size();
        let t = self.report.total;
        let mut s = format!(
            "engine '{}': {} Verilog files, {lines} lines, {bytes} bytes, {} modules\nestimate (Yosys + formulas): {} LUT, {} FF, {} DSP, {} BRAM36, {} URAM",
            self.config.name,
            self.design.files.len(),
            self.design.modules().len(),
            t.lut,
            t.ff,
            t.dsp,
            t.bram36,
            t.uram
        );
        for o in self.report.overflows() {
            s += &format!("\nwarning: does not fit the board's user region: {o}");
        }
        s
    }

    /// Writes every file into `dir` (created or replaced as a whole).
    pub fn write(&self, dir: &Path) -> Result<(), HdlError> {
        let mut files: Vec<(String, Vec<u8>)> = self
            .design
            .files
            .iter()
            .map(|f| (f.name.clone(), f.text.clone().into_bytes()))
            .collect();
        files.push(("resources.md".into(), self.report.markdown().into_bytes()));
        files.push(("engine.toml".into(), self.config.to_toml().into_bytes()));
        files.push(("summary.txt".into(), (self.summary() + "\n").into_bytes()));
        write_folder(dir, files.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
    }
}

/// Writes `files` (paths relative to `dir`, sub-folders created) into `dir`
/// as a whole: into a temporary sibling first, then renamed into place, so
/// a failure leaves nothing half-written and an existing `dir` untouched
/// (it is replaced only once the new one is complete).
pub(crate) fn write_folder<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<(), HdlError> {
    let io = |p: &Path, e: std::io::Error| HdlError::Io {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp: PathBuf = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| {
        std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
        for (path, bytes) in files {
            let p = tmp.join(path);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
            }
            std::fs::write(&p, bytes).map_err(|e| io(&p, e))?;
        }
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(|e| io(dir, e))?;
        }
        if let Err(e) = std::fs::rename(&tmp, dir) {
            if old.exists() {
                let _ = std::fs::rename(&old, dir);
            }
            return Err(io(dir, e));
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}
