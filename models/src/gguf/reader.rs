//! The GGUF container (versions 2 and 3, little-endian): header, metadata
//! key/value pairs and tensor infos. Tensor data is never read.
//!
//! Layout: magic `GGUF`, `u32` version, `u64` tensor count, `u64` metadata
//! count; metadata as (string key, `u32` value type, value); tensor infos as
//! (string name, `u32` dims, `u64` × dims, `u32` ggml type, `u64` offset);
//! then padding to `general.alignment` (32 by default) and the data. Strings
//! are a `u64` length and UTF-8 bytes.
//!
//! Every length and count read from the file is checked against the bytes
//! left before anything is allocated, so a corrupt file gives an error naming
//! the byte offset, never an out-of-memory abort or a panic.

use super::ggml_type::GgmlType;
use crate::ModelError;
use std::collections::BTreeMap;
use std::io::Read;

/// A metadata value.
#[derive(Clone, Debug, PartialEq)]
pub enum GgufValue {
    /// Type 0.
    U8(u8),
    /// Type 1.
    I8(i8),
    /// Type 2.
    U16(u16),
    /// Type 3.
    I16(i16),
    /// Type 4.
    U32(u32),
    /// Type 5.
    I32(i32),
    /// Type 6.
    F32(f32),
    /// Type 7.
    Bool(bool),
    /// Type 8.
    String(String),
    /// Type 9: element type id and the elements.
    Array(u32, Vec<GgufValue>),
    /// Type 10.
    U64(u64),
    /// Type 11.
    I64(i64),
    /// Type 12.
    F64(f64),
}

impl GgufValue {
    /// The value as a non-negative integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            GgufValue::U8(v) => Some(v.into()),
            GgufValue::U16(v) => Some(v.into()),
            GgufValue::U32(v) => Some(v.into()),
            GgufValue::U64(v) => Some(v),
            GgufValue::I8(v) => u64::try_from(v).ok(),
            GgufValue::I16(v) => u64::try_from(v).ok(),
            GgufValue::I32(v) => u64::try_from(v).ok(),
            GgufValue::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }
    /// The value as a float (integers convert).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            GgufValue::F32(v) => Some(v.into()),
            GgufValue::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64),
        }
    }
    /// The value as a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            GgufValue::String(s) => Some(s),
            _ => None,
        }
    }
    /// Name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            GgufValue::U8(_) => "uint8",
            GgufValue::I8(_) => "int8",
            GgufValue::U16(_) => "uint16",
            GgufValue::I16(_) => "int16",
            GgufValue::U32(_) => "uint32",
            GgufValue::I32(_) => "int32",
            GgufValue::F32(_) => "float32",
            GgufValue::Bool(_) => "bool",
            GgufValue::String(_) => "string",
            GgufValue::Array(..) => "array",
            GgufValue::U64(_) => "uint64",
            GgufValue::I64(_) => "int64",
            GgufValue::F64(_) => "float64",
        }
    }
}

/// One tensor's header entry.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorInfo {
    /// Tensor name (`blk.0.attn_q.weight`).
    pub name: String,
    /// Dimensions in ggml order: `dims[0]` is the contiguous (input) one.
    pub dims: Vec<u64>,
    /// Storage type.
    pub ggml_type: GgmlType,
    /// Offset of the data from the start of the data section.
    pub offset: u64,
    /// Byte offset of this entry in the file (for error messages).
    pub header_offset: u64,
}

impl TensorInfo {
    /// Number of elements.
    pub fn elements(&self) -> u64 {
        self.dims.iter().product()
    }
    /// Bytes of data, scales included.
    pub fn bytes(&self) -> u64 {
        self.ggml_type.tensor_bytes(self.elements()).unwrap_or(0)
    }
}

/// A parsed GGUF header.
#[derive(Clone, Debug, PartialEq)]
pub struct GgufFile {
    /// Format version (2 or 3).
    pub version: u32,
    /// Metadata, sorted by key.
    pub metadata: BTreeMap<String, GgufValue>,
    /// Tensor infos in file order.
    pub tensors: Vec<TensorInfo>,
    /// Alignment of the data section (`general.alignment`, default 32).
    pub alignment: u64,
    /// Byte offset where tensor data starts.
    pub data_offset: u64,
    /// Total file size in bytes.
    pub file_len: u64,
}

/// Longest string accepted (tokenizer JSON blobs embedded in metadata can
/// reach tens of megabytes).
const MAX_STRING: u64 = 256 << 20;
/// Deepest nesting of arrays accepted.
const MAX_DEPTH: u32 = 4;
/// Most dimensions of a ggml tensor.
const MAX_DIMS: u32 = 4;

/// Parses the header of a GGUF file of `len` bytes read from `r`.
pub fn parse<R: Read>(r: R, len: u64, file: &str) -> Result<GgufFile, ModelError> {
    let mut r = Reader {
        r,
        pos: 0,
        len,
        file,
    };
    let magic = r.take(4, "the GGUF magic")?;
    if magic != b"GGUF" {
        return Err(r.err_at(
            0,
            format!("expected the magic bytes 'GGUF', found {magic:02x?}"),
        ));
    }
    let vpos = r.pos;
    let version = r.u32("the format version")?;
    match version {
        2 | 3 => {}
        1 => {
            return Err(r.err_at(
                vpos,
                "GGUF version 1 is not supported (expected version 2 or 3)".into(),
            ))
        }
        v if v.swap_bytes() == 2 || v.swap_bytes() == 3 => {
            return Err(r.err_at(
                vpos,
                "big-endian GGUF is not supported (expected a little-endian file)".into(),
            ))
        }
        v => return Err(r.err_at(vpos, format!("expected GGUF version 2 or 3, found {v}"))),
    }
    let tcount_pos = r.pos;
    let tensor_count = r.u64("the tensor count")?;
    let kv_pos = r.pos;
    let kv_count = r.u64("the metadata count")?;
    // Smallest encodings: a tensor info is 8 + 4 + 4 + 8 bytes, a key/value 8 + 4 + 1.
    r.check_count(tensor_count, 24, tcount_pos, "tensor count")?;
    r.check_count(kv_count, 13, kv_pos, "metadata count")?;
    let mut metadata = BTreeMap::new();
    for _ in 0..kv_count {
        let at = r.pos;
        let key = r.string("a metadata key", true)?;
        let ty_pos = r.pos;
        let ty = r.u32("a metadata value type")?;
        let value = r.value(ty, ty_pos, 0, &key)?;
        if metadata.insert(key.clone(), value).is_some() {
            return Err(r.err_at(at, format!("metadata key '{key}' appears twice")));
        }
    }
    let alignment = match metadata.get("general.alignment") {
        None => 32,
        Some(v) => match v.as_u64() {
            Some(a) if a > 0 && a.is_power_of_two() => a,
            _ => {
                return Err(r.err_at(
                    kv_pos,
                    format!("general.alignment: expected a power of two, found {v:?}"),
                ))
            }
        },
    };
    let mut tensors = Vec::with_capacity(tensor_count.min(4096) as usize);
    for _ in 0..tensor_count {
        tensors.push(r.tensor_info()?);
    }
    let data_offset = r.pos.div_ceil(alignment) * alignment;
    let f = GgufFile {
        version,
        metadata,
        tensors,
        alignment,
        data_offset,
        file_len: len,
    };
    check_data(&f, file)?;
    Ok(f)
}

/// Every tensor's data must be aligned and lie inside the file.
fn check_data(f: &GgufFile, file: &str) -> Result<(), ModelError> {
    let mut names = std::collections::HashSet::new();
    for t in &f.tensors {
        let err = |message: String| ModelError::Binary {
            file: file.to_string(),
            offset: t.header_offset,
            message,
        };
        if !names.insert(t.name.as_str()) {
            return Err(err(format!("tensor '{}' appears twice", t.name)));
        }
        if t.offset % f.alignment != 0 {
            return Err(err(format!(
                "tensor '{}': data offset {} is not a multiple of the alignment {}",
                t.name, t.offset, f.alignment
            )));
        }
        let end = f
            .data_offset
            .checked_add(t.offset)
            .and_then(|s| s.checked_add(t.bytes()));
        match end {
            Some(end) if end <= f.file_len => {}
            _ => {
                return Err(err(format!(
                    "tensor '{}': {} bytes of data at offset {} end beyond the end of the file ({} bytes); is the file truncated?",
                    t.name,
                    t.bytes(),
                    f.data_offset.saturating_add(t.offset),
                    f.file_len
                )))
            }
        }
    }
    Ok(())
}

/// A byte reader that tracks its offset and the bytes left.
struct Reader<'a, R> {
    r: R,
    pos: u64,
    len: u64,
    file: &'a str,
}

impl<R: Read> Reader<'_, R> {
    fn err_at(&self, offset: u64, message: String) -> ModelError {
        ModelError::Binary {
            file: self.file.to_string(),
            offset,
            message,
        }
    }

    fn left(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// Reads `n` bytes (checked against the bytes left first).
    fn take(&mut self, n: u64, what: &str) -> Result<Vec<u8>, ModelError> {
        if n > self.left() {
            return Err(self.err_at(
                self.pos,
                format!(
                    "expected {what} ({n} bytes), but the file ends at byte {}; is it truncated?",
                    self.len
                ),
            ));
        }
        let mut buf = vec![0u8; n as usize];
        self.r
            .read_exact(&mut buf)
            .map_err(|e| self.err_at(self.pos, format!("cannot read {what}: {e}")))?;
        self.pos += n;
        Ok(buf)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ModelError> {
        let v = self.take(N as u64, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(&v);
        Ok(a)
    }

    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, ModelError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// `count` items of at least `min_bytes` each must fit in the bytes left.
    fn check_count(
        &self,
        count: u64,
        min_bytes: u64,
        at: u64,
        what: &str,
    ) -> Result<(), ModelError> {
        if count.saturating_mul(min_bytes) > self.left() {
            return Err(self.err_at(
                at,
                format!(
                    "{what} {count} is impossible: the {} bytes left hold at most {}",
                    self.left(),
                    self.left() / min_bytes
                ),
            ));
        }
        Ok(())
    }

    fn string(&mut self, what: &str, strict: bool) -> Result<String, ModelError> {
        let at = self.pos;
        let n = self.u64(&format!("the length of {what}"))?;
        if n > MAX_STRING || n > self.left() {
            return Err(self.err_at(
                at,
                format!(
                    "{what}: length {n} exceeds the {} bytes left in the file",
                    self.left().min(MAX_STRING)
                ),
            ));
        }
        let bytes = self.take(n, what)?;
        if strict {
            String::from_utf8(bytes).map_err(|e| {
                self.err_at(
                    at + 8 + e.utf8_error().valid_up_to() as u64,
                    format!("{what}: expected UTF-8 text"),
                )
            })
        } else {
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        }
    }

    fn value(
        &mut self,
        ty: u32,
        ty_pos: u64,
        depth: u32,
        key: &str,
    ) -> Result<GgufValue, ModelError> {
        let what = format!("the value of '{key}'");
        Ok(match ty {
            0 => GgufValue::U8(u8::from_le_bytes(self.array(&what)?)),
            1 => GgufValue::I8(i8::from_le_bytes(self.array(&what)?)),
            2 => GgufValue::U16(u16::from_le_bytes(self.array(&what)?)),
            3 => GgufValue::I16(i16::from_le_bytes(self.array(&what)?)),
            4 => GgufValue::U32(u32::from_le_bytes(self.array(&what)?)),
            5 => GgufValue::I32(i32::from_le_bytes(self.array(&what)?)),
            6 => GgufValue::F32(f32::from_le_bytes(self.array(&what)?)),
            7 => {
                let at = self.pos;
                match self.array::<1>(&what)?[0] {
                    0 => GgufValue::Bool(false),
                    1 => GgufValue::Bool(true),
                    b => {
                        return Err(
                            self.err_at(at, format!("{what}: expected a bool (0 or 1), found {b}"))
                        )
                    }
                }
            }
            8 => GgufValue::String(self.string(&what, false)?),
            9 => {
                if depth >= MAX_DEPTH {
                    return Err(self.err_at(
                        ty_pos,
                        format!("{what}: arrays nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let et_pos = self.pos;
                let et = self.u32(&format!("the element type of '{key}'"))?;
                let min = match et {
                    0 | 1 | 7 => 1,
                    2 | 3 => 2,
                    4..=6 => 4,
                    8 | 10..=12 => 8,
                    9 => 12,
                    _ => {
                        return Err(self.err_at(
                            et_pos,
                            format!("{what}: expected an element type 0-12, found {et}"),
                        ))
                    }
                };
                let count_pos = self.pos;
                let n = self.u64(&format!("the length of '{key}'"))?;
                self.check_count(n, min, count_pos, &format!("array length of '{key}'"))?;
                let mut items = Vec::with_capacity(n.min(1 << 16) as usize);
                for _ in 0..n {
                    items.push(self.value(et, et_pos, depth + 1, key)?);
                }
                GgufValue::Array(et, items)
            }
            10 => GgufValue::U64(u64::from_le_bytes(self.array(&what)?)),
            11 => GgufValue::I64(i64::from_le_bytes(self.array(&what)?)),
            12 => GgufValue::F64(f64::from_le_bytes(self.array(&what)?)),
            _ => {
                return Err(self.err_at(
                    ty_pos,
                    format!("{what}: expected a value type 0-12, found {ty}"),
                ))
            }
        })
    }

    fn tensor_info(&mut self) -> Result<TensorInfo, ModelError> {
        let header_offset = self.pos;
        let name = self.string("a tensor name", true)?;
        let nd_pos = self.pos;
        let n_dims = self.u32(&format!("the dimension count of tensor '{name}'"))?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(self.err_at(
                nd_pos,
                format!("tensor '{name}': expected 1 to {MAX_DIMS} dimensions, found {n_dims}"),
            ));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(self.u64(&format!("a dimension of tensor '{name}'"))?);
        }
        let elements = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        let ty_pos = self.pos;
        let ty = self.u32(&format!("the type of tensor '{name}'"))?;
        let ggml_type = GgmlType::from_id(ty)
            .map_err(|m| self.err_at(ty_pos, format!("tensor '{name}': {m}")))?;
        match elements.map(|e| ggml_type.tensor_bytes(e)) {
            Some(Some(_)) if dims[0] % u64::from(ggml_type.block) == 0 => {}
            _ => {
                return Err(self.err_at(
                    nd_pos,
                    format!(
                        "tensor '{name}': shape {dims:?} is not a whole number of {} blocks of {} weights along its first dimension",
                        ggml_type.name, ggml_type.block
                    ),
                ))
            }
        }
        let offset = self.u64(&format!("the data offset of tensor '{name}'"))?;
        Ok(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
            header_offset,
        })
    }
}
