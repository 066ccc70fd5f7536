//! Element access in flat little-endian byte arrays (docs/engine.md §3).
//!
//! Packed elements: element `i` of a row occupies bits `[i·bits, (i+1)·bits)`
//! counting from bit 0 of the row's first byte; every width used (2, 4, 8,
//! 16) keeps an element inside one byte or one aligned byte pair. Callers
//! pass row slices long enough for the elements they touch.

/// Signed `bits`-bit element `i` of `row` (`bits` ∈ {2, 4, 8, 16}).
#[inline]
pub fn get(row: &[u8], i: usize, bits: u32) -> i64 {
    match bits {
        8 => row[i] as i8 as i64,
        16 => i16::from_le_bytes([row[2 * i], row[2 * i + 1]]) as i64,
        _ => {
            let per = (8 / bits) as usize;
            let shift = (i % per) as u32 * bits;
            let raw = (row[i / per] >> shift) as i8;
            ((raw << (8 - bits)) >> (8 - bits)) as i64
        }
    }
}

/// Stores the low `bits` bits of `v` as element `i` of `row`, leaving the
/// other bits of the byte unchanged.
#[inline]
pub fn set(row: &mut [u8], i: usize, bits: u32, v: i64) {
    match bits {
        8 => row[i] = v as u8,
        16 => row[2 * i..2 * i + 2].copy_from_slice(&(v as i16).to_le_bytes()),
        _ => {
            let per = (8 / bits) as usize;
            let shift = (i % per) as u32 * bits;
            let mask = (((1u16 << bits) - 1) as u8) << shift;
            let b = &mut row[i / per];
            *b = (*b & !mask) | (((v as u8) << shift) & mask);
        }
    }
}

/// int16 at byte `addr` of `bytes`.
#[inline]
pub fn i16_at(bytes: &[u8], addr: usize) -> i64 {
    i16::from_le_bytes([bytes[addr], bytes[addr + 1]]) as i64
}

/// int32 at byte `addr` of `bytes`.
#[inline]
pub fn i32_at(bytes: &[u8], addr: usize) -> i64 {
    i32::from_le_bytes([
        bytes[addr],
        bytes[addr + 1],
        bytes[addr + 2],
        bytes[addr + 3],
    ]) as i64
}

/// Stores the low 32 bits of `v` at byte `addr`.
#[inline]
pub fn set_i32(bytes: &mut [u8], addr: usize, v: i64) {
    bytes[addr..addr + 4].copy_from_slice(&(v as i32).to_le_bytes());
}

/// Bytes holding `n` elements of `bits` bits.
pub fn bytes_for(n: u64, bits: u32) -> u64 {
    (n * bits as u64).div_ceil(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_elements_round_trip() {
        for bits in [2u32, 4, 8, 16] {
            let mut row = vec![0u8; 8];
            let lo = -(1i64 << (bits - 1));
            let hi = (1i64 << (bits - 1)) - 1;
            let n = 64 / bits as usize;
            for i in 0..n {
                let v = if i % 2 == 0 {
                    lo + i as i64 % (hi - lo + 1)
                } else {
                    hi - (i as i64 % 3)
                };
                set(&mut row, i, bits, v);
                assert_eq!(get(&row, i, bits), v, "bits {bits} element {i}");
            }
        }
        let mut row = [0u8; 1];
        set(&mut row, 1, 4, -1);
        assert_eq!(row[0], 0xf0, "element 1 of a 4-bit row is the high nibble");
        set(&mut row, 0, 2, 1);
        assert_eq!(row[0], 0xf1);
        assert_eq!(get(&row, 1, 2), 0);
        assert_eq!(get(&row, 3, 2), -1);
    }
}
