//! GGUF importer (versions 2 and 3, little-endian): the header's metadata
//! and tensor infos give the model's hyper-parameters and, from the tensor
//! types, a [`QuantScheme`] with every weight's real bits per weight.
//!
//! Only the header is read, never the tensor data, so importing a 40 GB file
//! reads a few megabytes.

mod ggml_type;
mod model;
mod reader;

pub use ggml_type::{file_type_name, GgmlType, TYPES};
pub use model::{check_tensors, quant_from_gguf, spec_from_gguf, ARCHITECTURES};
pub use reader::{parse, GgufFile, GgufValue, TensorInfo};

use crate::quant::QuantScheme;
use crate::spec::ModelSpec;
use crate::ModelError;
use std::path::Path;

/// A model imported from a GGUF file.
#[derive(Clone, Debug)]
pub struct GgufModel {
    /// Hyper-parameters.
    pub spec: ModelSpec,
    /// Precision of the stored weights.
    pub quant: QuantScheme,
    /// Tensors the header holds that llmfab does not model (ignored).
    pub ignored_tensors: usize,
}

/// Reads the header of a GGUF file.
pub fn read_header(path: &Path) -> Result<GgufFile, ModelError> {
    let file = path.display().to_string();
    let io = |source| ModelError::Io {
        file: file.clone(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    parse(std::io::BufReader::new(f), len, &file)
}

/// Imports a GGUF header already in memory (`file` names it in errors).
pub fn import_bytes(bytes: &[u8], name: &str, file: &str) -> Result<GgufModel, ModelError> {
    let f = parse(bytes, bytes.len() as u64, file)?;
    import(&f, name, file)
}

/// Imports a parsed header: hyper-parameters, shape checks and the scheme.
pub fn import(f: &GgufFile, name: &str, file: &str) -> Result<GgufModel, ModelError> {
    let spec = spec_from_gguf(f, name, file)?;
    let ignored_tensors = check_tensors(f, &spec, file)?;
    let quant = quant_from_gguf(f, &spec);
    Ok(GgufModel {
        spec,
        quant,
        ignored_tensors,
    })
}

/// Imports a `.gguf` file; the model is named after the file stem.
pub fn load(path: &Path) -> Result<GgufModel, ModelError> {
    let file = path.display().to_string();
    let name = path
        .file_stem()
        .map_or_else(|| file.clone(), |s| s.to_string_lossy().into_owned());
    let f = read_header(path)?;
    import(&f, &name, &file)
}
