//! The built-in model zoo: official Hugging Face `config.json` fields of
//! well-known models, embedded in the binary (`models/zoo/*.json`) and read
//! with the same importer as a user's file ([`crate::hf`]). Each file names
//! its Hugging Face repository in `_source`.

use crate::spec::ModelSpec;
use crate::ModelError;

/// One zoo entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZooEntry {
    /// Lower-case zoo name (`llama-2-7b`).
    pub name: &'static str,
    /// The embedded `config.json` text.
    pub json: &'static str,
}

macro_rules! zoo {
    ($($name:literal),* $(,)?) => {
        &[$(ZooEntry { name: $name, json: include_str!(concat!("../zoo/", $name, ".json")) }),*]
    };
}

/// Every entry, in listing order.
pub const ZOO: &[ZooEntry] = zoo![
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-8b",
    "llama-3-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "mistral-7b",
    "mixtral-8x7b",
    "qwen2.5-7b",
    "qwen2.5-72b",
    "opt-6.7b",
    "opt-66b",
    "gpt2",
    "gpt2-medium",
    "gpt2-xl",
];

/// Other spellings accepted for zoo names.
const ALIASES: &[(&str, &str)] = &[
    ("gpt2-small", "gpt2"),
    ("mistral-7b-v0.1", "mistral-7b"),
    ("mixtral-8x7b-v0.1", "mixtral-8x7b"),
];

/// Zoo names, in listing order.
pub fn names() -> impl Iterator<Item = &'static str> {
    ZOO.iter().map(|e| e.name)
}

/// Finds an entry by name, case-insensitively (aliases included).
pub fn entry(name: &str) -> Option<&'static ZooEntry> {
    let lower = name.trim().to_ascii_lowercase();
    let canonical = ALIASES
        .iter()
        .find(|(a, _)| *a == lower)
        .map_or(lower.as_str(), |(_, c)| c);
    ZOO.iter().find(|e| e.name == canonical)
}

impl ZooEntry {
    /// The Hugging Face repository the numbers come from (`_source`).
    pub fn repo(&self) -> String {
        serde_json::from_str::<serde_json::Value>(self.json)
            .ok()
            .and_then(|v| {
                v.get("_source")
                    .and_then(|s| s.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default()
    }

    /// Imports the entry's configuration.
    pub fn spec(&self) -> Result<ModelSpec, ModelError> {
        let file = format!("zoo/{}.json", self.name);
        let mut spec = crate::hf::parse_config(self.json, &file)?;
        spec.name = self.name.to_string();
        spec.source = format!("zoo:{} ({} config.json)", self.name, self.repo());
        Ok(spec)
    }
}

/// The spec of a zoo model; an unknown name gets the closest zoo names.
pub fn get(name: &str) -> Result<ModelSpec, ModelError> {
    match entry(name) {
        Some(e) => e.spec(),
        None => Err(unknown(name)),
    }
}

/// The error for a name that is neither a zoo model nor a file.
pub fn unknown(name: &str) -> ModelError {
    ModelError::Unknown {
        what: "model".into(),
        name: name.to_string(),
        suggestions: crate::suggest::closest(name, names()),
    }
}
