//! Building the testbench with Icarus once per config and running
//! programs on it: program and memory files in, cycle count and a logical
//! [`Dump`] of every buffer and memory out.

use super::bench::{banks, testbench, BenchSize};
use super::mem_model::MEM_MODEL;
use crate::design::Design;
use crate::gen::geometry::Geometry;
use crate::HdlError;
use llmfab_isa::image::{write_words, Dump, HbmImage, Region, Space};
use llmfab_isa::instr::{Buf, Instr};
use llmfab_isa::{EngineConfig, MemTiming};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which simulator runs the testbench.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simulator {
    /// Icarus Verilog (`iverilog -g2012`, `vvp`): builds in a fraction of
    /// a second, runs a few thousand cycles per second.
    Icarus,
    /// Verilator (`--binary --timing`): builds in ~30 s, runs ~100× faster.
    Verilator,
}

/// A compiled testbench for one config.
#[derive(Debug)]
pub struct Bench {
    dir: PathBuf,
    sim: Simulator,
    cfg: EngineConfig,
    g: Geometry,
    size: BenchSize,
    runs: std::cell::Cell<u64>,
}

/// The result of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchRun {
    /// Cycles from `start` to `done` (the kernel's cycle counter).
    pub cycles: u64,
    /// Every buffer (logical addresses) and every channel's memory.
    pub dump: Dump,
}

fn io(path: &Path, e: std::io::Error) -> HdlError {
    HdlError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn tool(name: &str, message: impl Into<String>) -> HdlError {
    HdlError::Tool {
        tool: name.to_string(),
        message: message.into(),
    }
}

/// FNV-1a hash (build-cache key).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Little-endian bytes of one `%h` word line of `bytes` bytes.
fn hex_bytes(line: &str, bytes: usize) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = line
        .trim()
        .chars()
        .map(|c| {
            c.to_digit(16)
                .map(|d| d as u8)
                .ok_or_else(|| format!("not a hex digit: '{c}' (x/z: undefined bits)"))
        })
        .collect::<Result<_, _>>()?;
    let mut out = vec![0u8; bytes];
    for (k, d) in digits.iter().rev().enumerate() {
        if k / 2 < bytes {
            out[k / 2] |= d << (4 * (k % 2));
        }
    }
    Ok(out)
}

impl Bench {
    /// Writes `design` and the testbench into `dir` and compiles them
    /// with `iverilog -g2012 -DLLMFAB_SIM`.
    pub fn build(
        cfg: &EngineConfig,
        mt: &MemTiming,
        design: &Design,
        size: BenchSize,
        dir: &Path,
    ) -> Result<Bench, HdlError> {
        Self::build_with(Simulator::Icarus, cfg, mt, design, size, dir)
    }

    /// As [`Bench::build`] with a choice of simulator. A Verilator build
    /// is reused when `dir` already holds one of the same sources.
    pub fn build_with(
        sim: Simulator,
        cfg: &EngineConfig,
        mt: &MemTiming,
        design: &Design,
        size: BenchSize,
        dir: &Path,
    ) -> Result<Bench, HdlError> {
        let g = Geometry::new(cfg)?;
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let mut files = Vec::new();
        for f in &design.files {
            let p = dir.join(&f.name);
            std::fs::write(&p, &f.text).map_err(|e| io(&p, e))?;
            files.push(f.name.clone());
        }
        let tb = format!("{MEM_MODEL}{}", testbench(&g, mt, size));
        std::fs::write(dir.join("llmfab_tb.v"), tb).map_err(|e| io(dir, e))?;
        files.push("llmfab_tb.v".into());
        match sim {
            Simulator::Icarus => {
                let out = Command::new("iverilog")
                    .args(["-g2012", "-DLLMFAB_SIM", "-o", "sim.vvp", "-s", "llmfab_tb"])
                    .args(&files)
                    .current_dir(dir)
                    .output()
                    .map_err(|e| {
                        tool(
                            "iverilog",
                            format!(
                                "cannot run iverilog (install the Debian package iverilog): {e}"
                            ),
                        )
                    })?;
                if !out.status.success() {
                    return Err(tool(
                        "iverilog",
                        String::from_utf8_lossy(&out.stderr).into_owned(),
                    ));
                }
            }
            Simulator::Verilator => {
                let mut all = String::new();
                for f in &files {
                    all += &std::fs::read_to_string(dir.join(f)).map_err(|e| io(dir, e))?;
                }
                let stamp = format!("{:016x}", fnv(all.as_bytes()));
                let stamp_file = dir.join("vtb.stamp");
                let fresh = std::fs::read_to_string(&stamp_file)
                    .map(|s| s == stamp)
                    .unwrap_or(false)
                    && dir.join("obj_dir/vtb").exists();
                if !fresh {
                    let out = Command::new("verilator")
                        .args(["--binary", "--timing", "-Wno-fatal", "-Wno-lint", "-Wno-style", "-DLLMFAB_SIM"])
                        .args(["--top-module", "llmfab_tb", "-j", "2", "-o", "vtb"])
                        .args(["-MAKEFLAGS", "OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1"])
                        .args(&files)
                        .current_dir(dir)
                        .output()
                        .map_err(|e| tool("verilator", format!("cannot run verilator (install the Debian package verilator): {e}")))?;
                    if !out.status.success() {
                        return Err(tool(
                            "verilator",
                            String::from_utf8_lossy(&out.stderr).into_owned(),
                        ));
                    }
                    std::fs::write(&stamp_file, stamp).map_err(|e| io(&stamp_file, e))?;
                }
            }
        }
        Ok(Bench {
            dir: dir.to_path_buf(),
            sim,
            cfg: cfg.clone(),
            g,
            size,
            runs: std::cell::Cell::new(0),
        })
    }

    /// Runs `prog` on memory `img`; `max_cycles` bounds the simulation.
    pub fn run(
        &self,
        prog: &[Instr],
        img: &HbmImage,
        max_cycles: u64,
    ) -> Result<BenchRun, HdlError> {
        let n = self.runs.get();
        self.runs.set(n + 1);
        let tag = format!("run{n}");
        let beat = self.g.beat as usize;
        let mut bytes = Vec::with_capacity(prog.len() * 32);
        for ins in prog {
            bytes.extend_from_slice(
                &llmfab_isa::encode(ins).map_err(|e| HdlError::Config(e.to_string()))?,
            );
        }
        let iwords = bytes.len().div_ceil(beat) as u64;
        if iwords > self.size.instr_words {
            return Err(HdlError::Config(format!(
                "program of {iwords} beats exceeds the testbench's {}",
                self.size.instr_words
            )));
        }
        let mut text = String::new();
        write_words(&mut text, &bytes, beat);
        let pfile = self.dir.join(format!("{tag}.prog.hex"));
        std::fs::write(&pfile, text).map_err(|e| io(&pfile, e))?;
        let mut args = vec![
            format!("+prog={tag}.prog.hex"),
            format!("+iwords={iwords}"),
            format!("+count={}", prog.len()),
            format!("+dump={tag}.dump"),
            format!("+maxcycles={max_cycles}"),
        ];
        for c in 0..self.g.ch as usize {
            let data = img.channels.get(c).map(|v| v.as_slice()).unwrap_or(&[]);
            let words = (data.len() / beat) as u64;
            if words > self.size.hbm_words {
                return Err(HdlError::Config(format!(
                    "channel {c} image of {words} beats exceeds the testbench's {}",
                    self.size.hbm_words
                )));
            }
            let f = self.dir.join(format!("{tag}.hbm{c}.hex"));
            let mut t = String::new();
            write_words(&mut t, data, beat);
            std::fs::write(&f, t).map_err(|e| io(&f, e))?;
            args.push(format!("+hbm{c}={tag}.hbm{c}.hex"));
            args.push(format!("+hwords{c}={words}"));
        }
        let mut cmd = match self.sim {
            Simulator::Icarus => {
                let mut c = Command::new("vvp");
                c.args(["-n", "sim.vvp"]);
                c
            }
            Simulator::Verilator => Command::new(self.dir.join("obj_dir/vtb")),
        };
        let out = cmd
            .args(&args)
            .current_dir(&self.dir)
            .output()
            .map_err(|e| tool("simulator", format!("cannot run the testbench: {e}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if let Some(l) = stdout.lines().find(|l| l.contains("LLMFAB-TB-ERROR")) {
            return Err(tool("testbench", l.to_string()));
        }
        if !out.status.success() || !stdout.contains("LLMFAB-TB-DONE") {
            return Err(tool(
                "vvp",
                format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
            ));
        }
        let dpath = self.dir.join(format!("{tag}.dump"));
        let raw = std::fs::read_to_string(&dpath).map_err(|e| io(&dpath, e))?;
        let run = self.parse(&raw)?;
        for suffix in ["prog.hex", "dump"] {
            let _ = std::fs::remove_file(self.dir.join(format!("{tag}.{suffix}")));
        }
        for c in 0..self.g.ch {
            let _ = std::fs::remove_file(self.dir.join(format!("{tag}.hbm{c}.hex")));
        }
        Ok(run)
    }

    /// Raw bank dump → logical buffers and memories.
    fn parse(&self, raw: &str) -> Result<BenchRun, HdlError> {
        let g = &self.g;
        let bad = |m: String| tool("testbench dump", m);
        let mut lines = raw.lines();
        let cycles = lines
            .next()
            .and_then(|l| l.strip_prefix("cycles "))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| bad("missing 'cycles N' line".into()))?;
        let mut abuf = vec![0u8; self.cfg.abuf_bytes as usize];
        let mut sbuf = vec![0u8; self.cfg.sbuf_bytes as usize];
        let mut acc = vec![0u8; self.cfg.acc_bytes as usize];
        let mut wbuf = vec![0u8; self.cfg.wbuf_bytes as usize];
        let mut kvbuf = vec![0u8; self.cfg.kvbuf_bytes as usize];
        let mut hbm: Vec<Vec<u8>> = vec![Vec::new(); g.ch as usize];
        let known: Vec<String> = banks(g).into_iter().map(|b| b.0).collect();
        while let Some(head) = lines.next() {
            let p: Vec<&str> = head.split_whitespace().collect();
            let (name, words, wb) = match p.as_slice() {
                ["bank", n, w, b] => (
                    n.to_string(),
                    w.parse::<usize>().map_err(|e| bad(e.to_string()))?,
                    b.parse::<usize>().map_err(|e| bad(e.to_string()))?,
                ),
                _ => {
                    return Err(bad(format!(
                        "expected 'bank NAME WORDS BYTES', found '{head}'"
                    )))
                }
            };
            if !known.contains(&name) && !name.starts_with("hbm") {
                return Err(bad(format!("unknown bank '{name}'")));
            }
            for w in 0..words {
                let line = lines
                    .next()
                    .ok_or_else(|| bad(format!("bank {name} ends early")))?;
                let b =
                    hex_bytes(line, wb).map_err(|m| bad(format!("bank {name} word {w}: {m}")))?;
                for (j, &x) in b.iter().enumerate() {
                    let k = w * wb + j;
                    match name.as_str() {
                        "abuf" => abuf[k] = x,
                        "sbuf" => sbuf[k] = x,
                        "acc" => acc[k] = x,
                        n if n.starts_with("wbuf") => {
                            let c: usize = n[4..].parse().unwrap_or(0);
                            wbuf[w * g.tile as usize + c * g.slice as usize + j] = x;
                        }
                        n if n.starts_with("kvbuf") => {
                            let b: usize = n[5..].parse().unwrap_or(0);
                            let (lr, off) = (k / g.kvr as usize, k % g.kvr as usize);
                            kvbuf[(lr * g.nb as usize + b) * g.kvr as usize + off] = x;
                        }
                        n => {
                            let c: usize =
                                n[3..].parse().map_err(|_| bad(format!("bad bank '{n}'")))?;
                            if let Some(h) = hbm.get_mut(c) {
                                h.push(x);
                            }
                        }
                    }
                }
            }
        }
        let word = g.beat as usize;
        let mut regions = vec![
            Region {
                space: Space::Buf(Buf::Abuf),
                base: 0,
                word_bytes: word,
                bytes: abuf,
            },
            Region {
                space: Space::Buf(Buf::Wbuf),
                base: 0,
                word_bytes: word,
                bytes: wbuf,
            },
            Region {
                space: Space::Buf(Buf::Kvbuf),
                base: 0,
                word_bytes: word,
                bytes: kvbuf,
            },
            Region {
                space: Space::Buf(Buf::Sbuf),
                base: 0,
                word_bytes: word,
                bytes: sbuf,
            },
            Region {
                space: Space::Buf(Buf::Acc),
                base: 0,
                word_bytes: word,
                bytes: acc,
            },
        ];
        for (c, h) in hbm.into_iter().enumerate() {
            regions.push(Region {
                space: Space::Hbm(c),
                base: 0,
                word_bytes: word,
                bytes: h,
            });
        }
        Ok(BenchRun {
            cycles,
            dump: Dump {
                cycles: Some(cycles),
                regions,
            },
        })
    }
}
