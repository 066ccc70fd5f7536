//! Files exchanged with the Verilog testbench for co-simulation: the
//! program, the memory (HBM) image and the dump of the final state. All are
//! plain text a `$readmemh` can load and a `$fwrite` loop can write.
//!
//! **Words.** Every file stores words of `W` bytes, one per line, as `2W`
//! hexadecimal digits, most significant first; byte `i` of a word is bits
//! `[8i+7 : 8i]`, so the word's byte 0 is the rightmost digit pair. This is
//! what `$readmemh` expects for `reg [8W-1:0] mem [..]` and what
//! `$fwrite(fd, "%h\n", mem[i])` prints. Lines starting with `//` and blank
//! lines are ignored; `_` inside a word is ignored; a line `@<hex>` sets the
//! next word's index (as in `$readmemh`).
//!
//! **Program** ([`program_hex`]): one 256-bit instruction word per line
//! (64 digits), the instruction's bit 0 in the rightmost digit. No header:
//! the word count is the instruction count.
//!
//! **Memory image** ([`HbmImage`]): one file per channel, one beat
//! (`port_bits/8` bytes) per line, word `i` holding channel-local bytes
//! `[i·beat, (i+1)·beat)`. A first comment line records the channel, size
//! and beat: `// llmfab hbm channel=0 bytes=65536 beat=32`. The image size
//! is the number of words times the beat; bytes past the image are not
//! memory (the reference reports accesses there as errors).
//!
//! **Dump** ([`Dump`]): what the testbench writes when the engine is done:
//!
//! ```text
//! // any comments
//! cycles 1234
//! region abuf 0x0 4096 32
//! <4096/32 words of 32 bytes, lowest address first>
//! region hbm0 0x4000 1024 32
//! <1024/32 words>
//! ```
//!
//! `cycles N` (decimal) is the cycle count from `ap_start` to `ap_done`.
//! `region NAME BASE BYTES WORD` (numbers decimal or `0x` hex) starts a
//! region of `BYTES` bytes of buffer `NAME` (`abuf`, `wbuf`, `kvbuf`, `sbuf`,
//! `acc`) or of channel `c`'s memory (`hbm<c>`) from byte address `BASE`,
//! followed by exactly `BYTES / WORD` word lines of `WORD` bytes. Addresses
//! are the logical byte addresses of docs/engine.md (a banked KV buffer
//! dumps in row order). [`Dump::compare`] checks every dumped byte against a
//! [`Machine`]; an `x` or `z` digit is reported as undefined.

use crate::config::EngineConfig;
use crate::encode::encode;
use crate::instr::{Buf, Instr};
use crate::reference::Machine;
use crate::IsaError;
use std::fmt;
use std::fmt::Write as _;

/// Appends `bytes` as words of `word` bytes, one per line (the last word
/// zero-padded).
pub fn write_words(out: &mut String, bytes: &[u8], word: usize) {
    for chunk in bytes.chunks(word.max(1)) {
        for i in (0..word).rev() {
            let _ = write!(out, "{:02x}", chunk.get(i).copied().unwrap_or(0));
        }
        out.push('\n');
    }
}

/// Decodes one word line of at most `word` bytes into `out`
/// (little-endian bytes); `Err` describes the problem.
fn parse_word(line: &str, word: usize, out: &mut [u8]) -> Result<(), String> {
    let digits: Vec<char> = line.chars().filter(|&c| c != '_').collect();
    if digits.len() > 2 * word {
        return Err(format!(
            "expected at most {} hex digits ({word}-byte word), found {}",
            2 * word,
            digits.len()
        ));
    }
    out.fill(0);
    for (k, c) in digits.iter().rev().enumerate() {
        let v = match c.to_digit(16) {
            Some(v) => v as u8,
            None if matches!(c, 'x' | 'X' | 'z' | 'Z') => {
                return Err(
                    "undefined (x/z) bits: the testbench dumped uninitialised memory".into(),
                )
            }
            None => return Err(format!("expected a hex digit, found '{c}'")),
        };
        out[k / 2] |= v << (4 * (k % 2));
    }
    Ok(())
}

/// The program as `$readmemh` text: one 256-bit word per line.
pub fn program_hex(prog: &[Instr]) -> Result<String, IsaError> {
    let mut out = String::new();
    for ins in prog {
        write_words(&mut out, &encode(ins)?, 32);
    }
    Ok(out)
}

/// Initial memory of every channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HbmImage {
    /// Bytes per word (the AXI beat).
    pub beat_bytes: usize,
    /// Memory bytes per channel.
    pub channels: Vec<Vec<u8>>,
}

impl HbmImage {
    /// Zeroed memory of `bytes` (rounded up to a beat) on each of `cfg`'s channels.
    pub fn zeroed(cfg: &EngineConfig, bytes: usize) -> Self {
        let beat = cfg.beat_bytes() as usize;
        let bytes = bytes.div_ceil(beat) * beat;
        HbmImage {
            beat_bytes: beat,
            channels: vec![vec![0; bytes]; cfg.channels as usize],
        }
    }

    /// `$readmemh` text of channel `ch` (empty past the last channel).
    pub fn to_readmemh(&self, ch: usize) -> String {
        let Some(bytes) = self.channels.get(ch) else {
            return String::new();
        };
        let mut out = format!(
            "// llmfab hbm channel={ch} bytes={} beat={}\n",
            bytes.len(),
            self.beat_bytes
        );
        write_words(&mut out, bytes, self.beat_bytes);
        out
    }

    /// Reads one channel's `$readmemh` text (words of `beat_bytes`); the
    /// size is the highest word written plus one.
    pub fn channel_from_readmemh(
        text: &str,
        beat_bytes: usize,
        what: &str,
    ) -> Result<Vec<u8>, IsaError> {
        let mut bytes = Vec::new();
        let mut next = 0usize;
        let mut word = vec![0u8; beat_bytes];
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let err = |message: String| IsaError::Image {
                what: what.to_string(),
                line: i + 1,
                message,
            };
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            if let Some(addr) = line.strip_prefix('@') {
                next = usize::from_str_radix(addr, 16).map_err(|_| {
                    err(format!(
                        "expected a hex word address after '@', found '{addr}'"
                    ))
                })?;
                continue;
            }
            parse_word(line, beat_bytes, &mut word).map_err(err)?;
            let end = (next + 1) * beat_bytes;
            if bytes.len() < end {
                bytes.resize(end, 0);
            }
            bytes[next * beat_bytes..end].copy_from_slice(&word);
            next += 1;
        }
        Ok(bytes)
    }

    /// A machine for `cfg` holding this image.
    pub fn machine(&self, cfg: &EngineConfig) -> Result<Machine, IsaError> {
        Machine::new(cfg.clone(), self.channels.clone())
    }
}

/// Where a dump region lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Space {
    /// An on-chip buffer.
    Buf(Buf),
    /// A channel's memory.
    Hbm(usize),
}

impl Space {
    /// Parses `abuf` … `acc` or `hbm<c>`.
    pub fn parse(name: &str) -> Option<Space> {
        if let Some(c) = name.strip_prefix("hbm") {
            return c.parse().ok().map(Space::Hbm);
        }
        Buf::from_name(name).map(Space::Buf)
    }

    fn bytes<'a>(&self, m: &'a Machine) -> Option<&'a [u8]> {
        match *self {
            Space::Buf(b) => Some(m.buffer(b)),
            Space::Hbm(c) => m.hbm.get(c).map(|v| v.as_slice()),
        }
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Space::Buf(b) => f.write_str(b.name()),
            Space::Hbm(c) => write!(f, "hbm{c}"),
        }
    }
}

/// One dumped region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Buffer or channel.
    pub space: Space,
    /// First byte address.
    pub base: u64,
    /// Bytes per word line.
    pub word_bytes: usize,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Final state written by the testbench (or by [`Dump::from_machine`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dump {
    /// Cycles from start to done, when recorded.
    pub cycles: Option<u64>,
    /// Dumped regions.
    pub regions: Vec<Region>,
}

/// One byte that differs between a dump and the reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Buffer or channel.
    pub space: Space,
    /// Byte address.
    pub addr: u64,
    /// The reference's byte (`None` when the address is outside the reference's memory).
    pub expected: Option<u8>,
    /// The dumped byte.
    pub found: u8,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(e) => write!(
                f,
                "{} byte {:#x}: reference {e:#04x}, dump {:#04x}",
                self.space, self.addr, self.found
            ),
            None => write!(
                f,
                "{} byte {:#x}: outside the reference's memory",
                self.space, self.addr
            ),
        }
    }
}

fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl Dump {
    /// The regions `(space, base, bytes, word_bytes)` of `m`, with a cycle count.
    pub fn from_machine(
        m: &Machine,
        regions: &[(Space, u64, u64, usize)],
        cycles: Option<u64>,
    ) -> Result<Dump, IsaError> {
        let mut out = Dump {
            cycles,
            regions: Vec::new(),
        };
        for &(space, base, len, word) in regions {
            let err = |message: String| IsaError::Image {
                what: format!("dump region {space}"),
                line: 0,
                message,
            };
            let all = space
                .bytes(m)
                .ok_or_else(|| err("no such channel".into()))?;
            let end = base
                .checked_add(len)
                .filter(|&e| e <= all.len() as u64)
                .ok_or_else(|| {
                    err(format!(
                        "bytes [{base}, {base}+{len}) past the end ({} bytes)",
                        all.len()
                    ))
                })?;
            if word == 0 || len % word as u64 != 0 {
                return Err(err(format!(
                    "{len} bytes is not a whole number of {word}-byte words"
                )));
            }
            out.regions.push(Region {
                space,
                base,
                word_bytes: word,
                bytes: all[base as usize..end as usize].to_vec(),
            });
        }
        Ok(out)
    }

    /// Every buffer of `m` in words of `word` bytes (a typical dump).
    pub fn buffers(m: &Machine, word: usize, cycles: Option<u64>) -> Result<Dump, IsaError> {
        let spec: Vec<_> = Buf::ALL
            .iter()
            .map(|&b| (Space::Buf(b), 0, m.buffer(b).len() as u64, word))
            .collect();
        Dump::from_machine(m, &spec, cycles)
    }

    /// The dump text (see the module documentation).
    pub fn to_text(&self) -> String {
        let mut out = String::from("// llmfab dump v1\n");
        if let Some(c) = self.cycles {
            let _ = writeln!(out, "cycles {c}");
        }
        for r in &self.regions {
            let _ = writeln!(
                out,
                "region {} {:#x} {} {}",
                r.space,
                r.base,
                r.bytes.len(),
                r.word_bytes
            );
            write_words(&mut out, &r.bytes, r.word_bytes);
        }
        out
    }

    /// Parses a dump; errors name the line and what was expected.
    pub fn parse(text: &str) -> Result<Dump, IsaError> {
        let mut dump = Dump::default();
        let mut open: Option<(Region, usize)> = None; // region, words still expected
        let mut word = Vec::new();
        let mut last = 0;
        for (i, raw) in text.lines().enumerate() {
            last = i + 1;
            let line = raw.trim();
            let err = |message: String| IsaError::Image {
                what: "dump".into(),
                line: i + 1,
                message,
            };
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            if let Some((r, left)) = open.as_mut() {
                if *left > 0 {
                    word.resize(r.word_bytes, 0);
                    parse_word(line, r.word_bytes, &mut word)
                        .map_err(|m| err(format!("region {}: {m}", r.space)))?;
                    r.bytes.extend_from_slice(&word);
                    *left -= 1;
                    continue;
                }
            }
            if let Some((r, _)) = open.take() {
                dump.regions.push(r);
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["cycles", n] => {
                    dump.cycles =
                        Some(n.parse().map_err(|_| {
                            err(format!("expected a decimal cycle count, found '{n}'"))
                        })?)
                }
                ["region", name, base, bytes, w] => {
                    let space = Space::parse(name).ok_or_else(|| err(format!("unknown region '{name}'; expected abuf, wbuf, kvbuf, sbuf, acc or hbm<channel>")))?;
                    let (Some(base), Some(bytes), Some(w)) =
                        (number(base), number(bytes), number(w))
                    else {
                        return Err(err(
                            "expected 'region NAME BASE BYTES WORD_BYTES' with numbers".into(),
                        ));
                    };
                    if w == 0 || bytes % w != 0 {
                        return Err(err(format!(
                            "{bytes} bytes is not a whole number of {w}-byte words"
                        )));
                    }
                    let words = (bytes / w) as usize;
                    open = Some((
                        Region {
                            space,
                            base,
                            word_bytes: w as usize,
                            bytes: Vec::with_capacity(bytes as usize),
                        },
                        words,
                    ));
                }
                _ => {
                    return Err(err(format!(
                    "expected 'cycles N' or 'region NAME BASE BYTES WORD_BYTES', found '{line}'"
                )))
                }
            }
        }
        if let Some((r, left)) = open {
            if left > 0 {
                return Err(IsaError::Image {
                    what: "dump".into(),
                    line: last,
                    message: format!("region {} ends early: {left} more words expected", r.space),
                });
            }
            dump.regions.push(r);
        }
        Ok(dump)
    }

    /// Every byte of every region that differs from `m` (at most `limit`),
    /// and the total number of differing bytes.
    pub fn compare(&self, m: &Machine, limit: usize) -> (Vec<Mismatch>, usize) {
        let mut out = Vec::new();
        let mut total = 0;
        for r in &self.regions {
            let reference = r.space.bytes(m).unwrap_or(&[]);
            for (i, &found) in r.bytes.iter().enumerate() {
                let addr = r.base + i as u64;
                let expected = reference.get(addr as usize).copied();
                if expected != Some(found) {
                    total += 1;
                    if out.len() < limit {
                        out.push(Mismatch {
                            space: r.space,
                            addr,
                            expected,
                            found,
                        });
                    }
                }
            }
        }
        (out, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instr::{Halt, Nop, Op};

    #[test]
    fn words_are_little_endian_bytes_printed_msb_first() {
        let mut s = String::new();
        write_words(&mut s, &[0x01, 0x02, 0x03], 2);
        assert_eq!(s, "0201\n0003\n");
        let hex = program_hex(&[
            Instr::new(Op::Nop(Nop { queue: 1 })),
            Instr::new(Op::Halt(Halt {})),
        ])
        .unwrap();
        let lines: Vec<&str> = hex.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], format!("{}10000", "0".repeat(59)));
        assert_eq!(lines[1], format!("{}ff", "0".repeat(62)));
    }

    #[test]
    fn hbm_image_round_trips_through_readmemh() {
        let cfg = EngineConfig::tiny();
        let mut img = HbmImage::zeroed(&cfg, 100);
        assert_eq!(img.channels[0].len(), 128);
        for (i, b) in img.channels[0].iter_mut().enumerate() {
            *b = i as u8;
        }
        let text = img.to_readmemh(0);
        assert!(text.starts_with("// llmfab hbm channel=0 bytes=128 beat=32\n"));
        assert!(text.contains("\n1f1e1d1c"));
        let back = HbmImage::channel_from_readmemh(&text, 32, "ch0").unwrap();
        assert_eq!(back, img.channels[0]);
        let sparse = HbmImage::channel_from_readmemh("@2\nff_01\n// c\n", 4, "x").unwrap();
        assert_eq!(sparse, vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0]);
        let e = HbmImage::channel_from_readmemh("00\nzz\n", 4, "ch0.hex")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ch0.hex, line 2") && e.contains("undefined"),
            "{e}"
        );
    }

    #[test]
    fn dump_round_trips_and_compares() {
        let mut m = Machine::with_memory(EngineConfig::tiny(), 256).unwrap();
        m.abuf[5] = 7;
        m.hbm[0][40] = 9;
        let d = Dump::from_machine(
            &m,
            &[
                (Space::Buf(Buf::Abuf), 0, 64, 32),
                (Space::Hbm(0), 32, 32, 16),
            ],
            Some(99),
        )
        .unwrap();
        let text = d.to_text();
        let back = Dump::parse(&text).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.compare(&m, 10), (vec![], 0));
        m.abuf[5] = 8;
        let (mis, total) = back.compare(&m, 10);
        assert_eq!(total, 1);
        assert_eq!(
            mis[0].to_string(),
            "abuf byte 0x5: reference 0x08, dump 0x07"
        );
        let all = Dump::buffers(&m, 32, None).unwrap();
        assert_eq!(all.regions.len(), 5);
        for (bad, want) in [
            ("region abuf 0 64 32\n00\n", "ends early"),
            ("region dram 0 32 32\n", "unknown region"),
            ("cycles many\n", "decimal cycle count"),
            ("region abuf 0 30 32\n", "whole number"),
            ("hello\n", "expected 'cycles N'"),
            ("region acc 0 4 4\nxxxxxxxx\n", "undefined"),
            ("region acc 0 4 4\n123456789\n", "at most 8 hex digits"),
        ] {
            let e = Dump::parse(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad:?}: {e}");
        }
    }
}
