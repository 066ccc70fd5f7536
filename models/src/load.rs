//! One entry point for `--model`: a zoo name, a Hugging Face `config.json`
//! (or the folder holding it), a `.gguf` file, or a `.safetensors` file with
//! its `config.json` beside it.

use crate::quant::QuantScheme;
use crate::spec::ModelSpec;
use crate::ModelError;
use std::path::Path;

/// A model with where it came from.
#[derive(Clone, Debug)]
pub struct LoadedModel {
    /// Hyper-parameters.
    pub spec: ModelSpec,
    /// The precision the file stores its weights in (GGUF and safetensors
    /// only; a zoo name or config.json says nothing about it).
    pub quant: Option<QuantScheme>,
    /// What was loaded (`zoo:llama-2-7b`, a file path).
    pub source: String,
    /// Remarks worth showing the user (tensors ignored, ...).
    pub notes: Vec<String>,
}

/// Loads a model from a `--model` argument. Files and folders take
/// precedence over zoo names; a name that is neither gets the closest zoo
/// names as suggestions.
pub fn load(arg: &str) -> Result<LoadedModel, ModelError> {
    let path = Path::new(arg);
    if path.is_dir() {
        let cfg = path.join("config.json");
        if !cfg.is_file() {
            return Err(ModelError::Parse {
                file: arg.to_string(),
                field: "config.json".into(),
                expected: "a folder holding a Hugging Face config.json".into(),
            });
        }
        return load_file(&cfg);
    }
    if path.is_file() {
        return load_file(path);
    }
    if let Some(e) = crate::zoo::entry(arg) {
        let spec = e.spec()?;
        return Ok(LoadedModel {
            source: format!("zoo:{}", e.name),
            spec,
            quant: None,
            notes: Vec::new(),
        });
    }
    let looks_like_path = arg.contains('/')
        || arg.contains(std::path::MAIN_SEPARATOR)
        || [".json", ".gguf", ".safetensors"]
            .iter()
            .any(|x| arg.to_ascii_lowercase().ends_with(x));
    if looks_like_path {
        return Err(ModelError::Io {
            file: arg.to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file or folder (and not a zoo model name)",
            ),
        });
    }
    Err(crate::zoo::unknown(arg))
}

/// Loads a file, chosen by its extension or, failing that, its first bytes.
pub fn load_file(path: &Path) -> Result<LoadedModel, ModelError> {
    let file = path.display().to_string();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let kind = match ext.as_str() {
        "gguf" => "gguf",
        "safetensors" => "safetensors",
        "json" => "json",
        _ => sniff(path)?,
    };
    match kind {
        "gguf" => {
            let m = crate::gguf::load(path)?;
            let notes = ignored_note(m.ignored_tensors);
            Ok(LoadedModel {
                spec: m.spec,
                quant: Some(m.quant),
                source: file,
                notes,
            })
        }
        "safetensors" => {
            let m = crate::safetensors::load(path)?;
            let mut notes = ignored_note(m.ignored);
            notes.insert(
                0,
                format!("checked {} tensors against config.json", m.checked),
            );
            Ok(LoadedModel {
                spec: m.spec,
                quant: Some(m.quant),
                source: file,
                notes,
            })
        }
        _ => Ok(LoadedModel {
            spec: crate::hf::load_config(path)?,
            quant: None,
            source: file,
            notes: Vec::new(),
        }),
    }
}

fn ignored_note(n: usize) -> Vec<String> {
    if n == 0 {
        Vec::new()
    } else {
        vec![format!("ignored {n} tensors llmfab does not model")]
    }
}

/// Guesses a file's format from its first bytes.
fn sniff(path: &Path) -> Result<&'static str, ModelError> {
    use std::io::Read;
    let file = path.display().to_string();
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|source| ModelError::Io {
            file: file.clone(),
            source,
        })?;
    let head = &head[..n];
    if head.starts_with(b"GGUF") {
        Ok("gguf")
    } else if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        Ok("json")
    } else if n >= 9 && head[8] == b'{' {
        Ok("safetensors")
    } else {
        Err(ModelError::Parse {
            file,
            field: "(file type)".into(),
            expected: "a config.json, a .gguf or a .safetensors file".into(),
        })
    }
}
