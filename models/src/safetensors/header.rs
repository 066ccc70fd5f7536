//! The safetensors container: an 8-byte little-endian header length, a JSON
//! header mapping tensor names to `{dtype, shape, data_offsets}` (plus an
//! optional `__metadata__` map of strings), then the data. Only the header
//! is read.

use crate::ModelError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

/// Largest header accepted (the reference implementation's limit).
pub const MAX_HEADER: u64 = 100_000_000;

/// Element type of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dtype {
    /// Boolean, one byte.
    Bool,
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// 8-bit float, 4 exponent and 3 mantissa bits.
    F8E4M3,
    /// 8-bit float, 5 exponent and 2 mantissa bits.
    F8E5M2,
    /// 8-bit power-of-two scale (MX formats).
    F8E8M0,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 16-bit integer.
    U16,
    /// IEEE half.
    F16,
    /// bfloat16.
    Bf16,
    /// Signed 32-bit integer (GPTQ/AWQ packed weights).
    I32,
    /// Unsigned 32-bit integer.
    U32,
    /// IEEE single.
    F32,
    /// IEEE double.
    F64,
    /// Signed 64-bit integer.
    I64,
    /// Unsigned 64-bit integer.
    U64,
}

/// (name in the header, dtype, bits per element).
const DTYPES: &[(&str, Dtype, u32)] = &[
    ("BOOL", Dtype::Bool, 8),
    ("U8", Dtype::U8, 8),
    ("I8", Dtype::I8, 8),
    ("F8_E4M3", Dtype::F8E4M3, 8),
    ("F8_E5M2", Dtype::F8E5M2, 8),
    ("F8_E8M0", Dtype::F8E8M0, 8),
    ("I16", Dtype::I16, 16),
    ("U16", Dtype::U16, 16),
    ("F16", Dtype::F16, 16),
    ("BF16", Dtype::Bf16, 16),
    ("I32", Dtype::I32, 32),
    ("U32", Dtype::U32, 32),
    ("F32", Dtype::F32, 32),
    ("F64", Dtype::F64, 64),
    ("I64", Dtype::I64, 64),
    ("U64", Dtype::U64, 64),
];

impl Dtype {
    /// Parses a header dtype name (`F16`).
    pub fn parse(s: &str) -> Option<Dtype> {
        DTYPES.iter().find(|(n, _, _)| *n == s).map(|(_, d, _)| *d)
    }
    /// Name as written in headers.
    pub fn name(self) -> &'static str {
        DTYPES
            .iter()
            .find(|(_, d, _)| *d == self)
            .map_or("?", |(n, _, _)| n)
    }
    /// Bits per element.
    pub fn bits(self) -> u32 {
        DTYPES
            .iter()
            .find(|(_, d, _)| *d == self)
            .map_or(0, |(_, _, b)| *b)
    }
    /// True for floating-point types.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            Dtype::F8E4M3 | Dtype::F8E5M2 | Dtype::F16 | Dtype::Bf16 | Dtype::F32 | Dtype::F64
        )
    }
}

/// One tensor of the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StTensor {
    /// Element type.
    pub dtype: Dtype,
    /// Shape (row-major, as stored).
    pub shape: Vec<u64>,
    /// Begin and end of the data, relative to the end of the header.
    pub data_offsets: (u64, u64),
}

impl StTensor {
    /// Number of elements.
    pub fn elements(&self) -> u64 {
        self.shape.iter().product()
    }
}

/// A parsed safetensors header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetensorsHeader {
    /// Tensors by name.
    pub tensors: BTreeMap<String, StTensor>,
    /// The `__metadata__` map.
    pub metadata: BTreeMap<String, String>,
    /// Length of the JSON header in bytes.
    pub header_len: u64,
    /// Total file size in bytes.
    pub file_len: u64,
}

/// Parses the header of a safetensors file of `len` bytes read from `r`.
pub fn parse<R: Read>(mut r: R, len: u64, file: &str) -> Result<SafetensorsHeader, ModelError> {
    let bin = |offset: u64, message: String| ModelError::Binary {
        file: file.to_string(),
        offset,
        message,
    };
    if len < 8 {
        return Err(bin(
            0,
            format!("expected an 8-byte header length, but the file has {len} bytes"),
        ));
    }
    let mut n = [0u8; 8];
    r.read_exact(&mut n)
        .map_err(|e| bin(0, format!("cannot read the header length: {e}")))?;
    let header_len = u64::from_le_bytes(n);
    if header_len > len - 8 || header_len > MAX_HEADER {
        return Err(bin(
            0,
            format!(
                "header length {header_len} exceeds the {} bytes after it (limit {MAX_HEADER}); is the file truncated or not safetensors?",
                len - 8
            ),
        ));
    }
    let mut buf = vec![0u8; header_len as usize];
    r.read_exact(&mut buf)
        .map_err(|e| bin(8, format!("cannot read the {header_len}-byte header: {e}")))?;
    let text = String::from_utf8(buf).map_err(|e| {
        bin(
            8 + e.utf8_error().valid_up_to() as u64,
            "expected a UTF-8 JSON header".into(),
        )
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        let off = byte_offset(&text, e.line(), e.column());
        let full = e.to_string();
        let msg = full
            .rfind(" at line ")
            .map_or(full.as_str(), |i| &full[..i]);
        bin(8 + off, format!("invalid JSON header: {msg}"))
    })?;
    let obj = v
        .as_object()
        .ok_or_else(|| bin(8, "expected the header to be a JSON object".into()))?;
    let data_len = len - 8 - header_len;
    let mut tensors = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    for (name, entry) in obj {
        if name == "__metadata__" {
            let m = entry
                .as_object()
                .ok_or_else(|| parse_err(file, name, "an object of strings"))?;
            for (k, v) in m {
                let s = v
                    .as_str()
                    .ok_or_else(|| parse_err(file, &format!("__metadata__.{k}"), "a string"))?;
                metadata.insert(k.clone(), s.to_string());
            }
            continue;
        }
        let t = tensor_entry(name, entry, file)?;
        if t.data_offsets.1 > data_len {
            return Err(parse_err(
                file,
                name,
                &format!(
                    "data_offsets ending within the {data_len} data bytes, found end {}; is the file truncated?",
                    t.data_offsets.1
                ),
            ));
        }
        tensors.insert(name.clone(), t);
    }
    Ok(SafetensorsHeader {
        tensors,
        metadata,
        header_len,
        file_len: len,
    })
}

fn parse_err(file: &str, field: &str, expected: &str) -> ModelError {
    ModelError::Parse {
        file: file.to_string(),
        field: field.to_string(),
        expected: expected.to_string(),
    }
}

/// One `{dtype, shape, data_offsets}` entry.
fn tensor_entry(name: &str, entry: &Value, file: &str) -> Result<StTensor, ModelError> {
    let known: Vec<&str> = DTYPES.iter().map(|(n, _, _)| *n).collect();
    let dt = entry
        .get("dtype")
        .and_then(Value::as_str)
        .ok_or_else(|| parse_err(file, &format!("{name}.dtype"), "a dtype string"))?;
    let dtype = Dtype::parse(dt).ok_or_else(|| {
        parse_err(
            file,
            &format!("{name}.dtype"),
            &format!("one of {} (found \"{dt}\")", known.join(", ")),
        )
    })?;
    let ints = |key: &str| -> Option<Vec<u64>> {
        entry
            .get(key)?
            .as_array()?
            .iter()
            .map(Value::as_u64)
            .collect()
    };
    let shape = ints("shape").ok_or_else(|| {
        parse_err(
            file,
            &format!("{name}.shape"),
            "an array of non-negative integers",
        )
    })?;
    let offs = ints("data_offsets")
        .filter(|o| o.len() == 2 && o[0] <= o[1])
        .ok_or_else(|| {
            parse_err(
                file,
                &format!("{name}.data_offsets"),
                "[begin, end] with begin <= end",
            )
        })?;
    let bytes = shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .and_then(|n| n.checked_mul(u64::from(dtype.bits() / 8)));
    if bytes != Some(offs[1] - offs[0]) {
        return Err(parse_err(
            file,
            &format!("{name}.data_offsets"),
            &format!(
                "{} bytes for dtype {dt} and shape {shape:?}, found {}",
                bytes.map_or("too many".into(), |b| b.to_string()),
                offs[1] - offs[0]
            ),
        ));
    }
    Ok(StTensor {
        dtype,
        shape,
        data_offsets: (offs[0], offs[1]),
    })
}

/// Byte offset of a 1-based (line, column) position in `text`.
fn byte_offset(text: &str, line: usize, column: usize) -> u64 {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)) as u64
}
