//! Binary encoding of instructions (256-bit little-endian words) and of
//! whole programs (a header, then the words).

use crate::instr::{Deps, FieldKind, Instr, Op, INSTR_BYTES, LAYOUTS};
use crate::IsaError;

/// Magic bytes at the start of a program file.
pub const MAGIC: &[u8; 8] = b"LLMFABPG";
/// Program file format version.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes of the program file header: magic, version, instruction count,
/// and a 16-byte reserved area (zero).
pub const HEADER_BYTES: usize = 32;

fn get_bits(w: &[u8; INSTR_BYTES], lsb: u32, width: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..width {
        let bit = lsb + i;
        if w[(bit / 8) as usize] >> (bit % 8) & 1 == 1 {
            v |= 1 << i;
        }
    }
    v
}

fn set_bits(w: &mut [u8; INSTR_BYTES], lsb: u32, width: u32, v: u64) {
    for i in 0..width {
        let bit = lsb + i;
        if v >> i & 1 == 1 {
            w[(bit / 8) as usize] |= 1 << (bit % 8);
        }
    }
}

/// Interprets a raw field value of `width` bits as two's complement.
pub fn sign_extend(v: u64, width: u32) -> i64 {
    let shift = 64 - width;
    ((v << shift) as i64) >> shift
}

/// Raw bits of a signed value in a `width`-bit field, or `None` if out of range.
pub fn to_field_signed(v: i64, width: u32) -> Option<u64> {
    let min = -(1i64 << (width - 1));
    let max = (1i64 << (width - 1)) - 1;
    (min..=max)
        .contains(&v)
        .then(|| (v as u64) & ((1u64 << width) - 1))
}

/// Encodes one instruction; fails when a field value does not fit its width.
pub fn encode(ins: &Instr) -> Result<[u8; INSTR_BYTES], IsaError> {
    let layout = ins.op.layout();
    let mut w = [0u8; INSTR_BYTES];
    set_bits(&mut w, 0, 8, layout.opcode as u64);
    set_bits(&mut w, 8, 4, ins.deps.bits());
    for (f, v) in layout.fields.iter().zip(ins.op.values()) {
        if f.width < 64 && v >> f.width != 0 {
            return Err(IsaError::FieldRange {
                mnemonic: layout.mnemonic,
                field: f.name,
                value: if f.kind == FieldKind::I {
                    format!("{}", v as i64)
                } else {
                    v.to_string()
                },
                width: f.width,
            });
        }
        set_bits(&mut w, f.lsb, f.width, v);
    }
    Ok(w)
}

/// Decodes one instruction word; `index` names it in errors. Unknown
/// opcodes and set bits outside the operation's fields are errors.
pub fn decode(w: &[u8; INSTR_BYTES], index: usize) -> Result<Instr, IsaError> {
    let opcode = get_bits(w, 0, 8) as u8;
    let layout = LAYOUTS
        .iter()
        .find(|l| l.opcode == opcode)
        .ok_or(IsaError::BadOpcode { index, opcode })?;
    let deps = Deps::from_bits(get_bits(w, 8, 4));
    let values: Vec<u64> = layout
        .fields
        .iter()
        .map(|f| get_bits(w, f.lsb, f.width))
        .collect();
    let op = Op::from_values(opcode, &values).ok_or(IsaError::BadOpcode { index, opcode })?;
    let ins = Instr { deps, op };
    if encode(&ins)? != *w {
        return Err(IsaError::ReservedBits {
            index,
            mnemonic: layout.mnemonic,
        });
    }
    Ok(ins)
}

/// Encodes a whole program with its header.
pub fn encode_program(prog: &[Instr]) -> Result<Vec<u8>, IsaError> {
    let mut out = Vec::with_capacity(HEADER_BYTES + prog.len() * INSTR_BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(prog.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0u8; 16]);
    for ins in prog {
        out.extend_from_slice(&encode(ins)?);
    }
    Ok(out)
}

/// Instruction words of a program without the header (what the engine fetches).
pub fn encode_words(prog: &[Instr]) -> Result<Vec<u8>, IsaError> {
    let mut out = Vec::with_capacity(prog.len() * INSTR_BYTES);
    for ins in prog {
        out.extend_from_slice(&encode(ins)?);
    }
    Ok(out)
}

/// Decodes a program file; errors name the byte offset and what was expected.
pub fn decode_program(bytes: &[u8]) -> Result<Vec<Instr>, IsaError> {
    if bytes.len() < HEADER_BYTES {
        return Err(IsaError::Binary {
            offset: bytes.len(),
            expected: format!(
                "a {HEADER_BYTES}-byte header, file has {} bytes",
                bytes.len()
            ),
        });
    }
    if &bytes[..8] != MAGIC {
        return Err(IsaError::Binary {
            offset: 0,
            expected: "magic bytes \"LLMFABPG\"".into(),
        });
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION {
        return Err(IsaError::Binary {
            offset: 8,
            expected: format!("format version {FORMAT_VERSION}, found {version}"),
        });
    }
    let count = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    let body = &bytes[HEADER_BYTES..];
    if body.len() != count.saturating_mul(INSTR_BYTES) {
        return Err(IsaError::Binary {
            offset: HEADER_BYTES + body.len().min(count.saturating_mul(INSTR_BYTES)),
            expected: format!(
                "{count} instructions of {INSTR_BYTES} bytes ({} bytes) after the header, found {} bytes",
                count.saturating_mul(INSTR_BYTES),
                body.len()
            ),
        });
    }
    body.chunks_exact(INSTR_BYTES)
        .enumerate()
        .map(|(i, c)| {
            let mut w = [0u8; INSTR_BYTES];
            w.copy_from_slice(c);
            decode(&w, i)
        })
        .collect()
}
