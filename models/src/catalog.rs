//! The built-in device catalog: one TOML file per device under
//! `models/devices/`, embedded in the binary, plus user files
//! (`--device path.toml`) read with the same schema ([`crate::device_file`]).
//!
//! Names are looked up case-insensitively; a miss suggests the closest names.

use crate::device::Device;
use crate::device_file::parse_device;
use crate::ModelError;
use std::path::Path;

/// One built-in entry: its catalog name and embedded TOML text.
#[derive(Clone, Copy, Debug)]
pub struct CatalogEntry {
    /// Catalog name (`h100-sxm`).
    pub name: &'static str,
    /// The embedded TOML.
    pub toml: &'static str,
}

macro_rules! devices {
    ($($name:literal),* $(,)?) => {
        &[$(CatalogEntry { name: $name, toml: include_str!(concat!("../devices/", $name, ".toml")) }),*]
    };
}

/// Every built-in device, GPUs first, in listing order.
pub const CATALOG: &[CatalogEntry] = devices![
    "v100",
    "a100-40gb",
    "a100-80gb",
    "a6000",
    "l40s",
    "rtx4090",
    "h100-pcie",
    "h100-sxm",
    "h200",
    "mi300x",
    "u50",
    "u55c",
    "u280",
    "u250",
    "v80",
];

/// Other spellings accepted for catalog names.
const ALIASES: &[(&str, &str)] = &[
    ("h100", "h100-sxm"),
    ("a100", "a100-80gb"),
    ("h200-sxm", "h200"),
    ("rtx-4090", "rtx4090"),
    ("4090", "rtx4090"),
    ("v100-sxm2", "v100"),
    ("rtx-a6000", "a6000"),
    ("alveo-u280", "u280"),
];

/// Catalog names in listing order.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|e| e.name)
}

/// The embedded entry for a name (case-insensitive, aliases included).
pub fn entry(name: &str) -> Option<&'static CatalogEntry> {
    let lower = name.trim().to_ascii_lowercase();
    let canonical = ALIASES
        .iter()
        .find(|(a, _)| *a == lower)
        .map_or(lower.as_str(), |(_, c)| c);
    CATALOG.iter().find(|e| e.name == canonical)
}

/// A built-in device by name, or an error suggesting the closest names.
pub fn lookup(name: &str) -> Result<Device, ModelError> {
    let e = entry(name).ok_or_else(|| ModelError::Unknown {
        what: "device".into(),
        name: name.to_string(),
        suggestions: crate::suggest::closest(
            name.trim(),
            names().chain(ALIASES.iter().map(|(a, _)| *a)),
        ),
    })?;
    parse_device(e.toml, &format!("models/devices/{}.toml", e.name))
}

/// Every built-in device, parsed.
pub fn all() -> Result<Vec<Device>, ModelError> {
    CATALOG.iter().map(|e| lookup(e.name)).collect()
}

/// Reads a user device file.
pub fn load_file(path: &Path) -> Result<Device, ModelError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        file: file.clone(),
        source,
    })?;
    parse_device(&text, &file)
}

/// What `--device` names: a path to a TOML file (ends in `.toml` or names an
/// existing file) or a catalog name.
pub fn resolve(arg: &str) -> Result<Device, ModelError> {
    let p = Path::new(arg);
    if arg.ends_with(".toml") || arg.contains(std::path::MAIN_SEPARATOR) || p.is_file() {
        load_file(p)
    } else {
        lookup(arg)
    }
}
