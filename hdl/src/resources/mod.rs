//! The resource report of `llmfab hdl`: LUT/FF/DSP/BRAM/URAM per block
//! against the board's user region. Core leaves come from a checked-in
//! Yosys table ([`table`]), compute-unit blocks from Yosys runs (cached),
//! buffers and FIFOs from size formulas ([`memory`]), port muxes from a
//! LUT formula. Every figure is an estimate and the report says which kind.

pub mod cells;
pub mod memory;
pub mod table;

use crate::emit::BlockUse;
use crate::gen::buffers::style;
use crate::gen::geometry::Geometry;
use crate::HdlError;
use cells::Cells;
use llmfab_isa::timing::{DESC_DEPTH, W_FIFO_BEATS};
use std::fmt::Write as _;
use std::path::PathBuf;

/// How a line's figures were obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Yosys `synth_xilinx -family xcup -flatten` of the block.
    Yosys,
    /// A size formula (memories, FIFOs).
    Formula,
    /// Not estimated (reason in the line's note).
    Missing,
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Block (module or buffer) name.
    pub block: String,
    /// Instances.
    pub count: u64,
    /// Cells of all instances.
    pub total: Cells,
    /// How they were obtained.
    pub source: Source,
    /// Remark.
    pub note: String,
}

/// User-region capacity of a board.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    /// Board name.
    pub board: String,
    /// Resources left to user logic (0 = unknown).
    pub cells: Cells,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Config name.
    pub config: String,
    /// Rows.
    pub lines: Vec<Line>,
    /// Sum of all rows.
    pub total: Cells,
    /// Board capacity, when known.
    pub capacity: Option<Capacity>,
}

fn line(block: &str, count: u64, each: Cells, source: Source, note: &str) -> Line {
    Line {
        block: block.into(),
        count,
        total: each * count,
        source,
        note: note.into(),
    }
}

/// Rows of the core: leaves, FIFO storage, buffers, port muxes.
pub fn core_lines(g: &Geometry) -> Vec<Line> {
    let ch = g.ch;
    let leaf = |n: &str| table::core_leaf(n).unwrap_or_default();
    let mut v = vec![
        line(
            "llmfab_ctrl",
            1,
            leaf("llmfab_ctrl"),
            Source::Yosys,
            "AXI4-Lite control",
        ),
        line("llmfab_fetch", 1, leaf("llmfab_fetch"), Source::Yosys, ""),
        line(
            "llmfab_dispatch",
            1,
            leaf("llmfab_dispatch"),
            Source::Yosys,
            "",
        ),
        line("llmfab_tokens", 1, leaf("llmfab_tokens"), Source::Yosys, ""),
        line(
            "llmfab_xfer_exec",
            2,
            leaf("llmfab_xfer_exec"),
            Source::Yosys,
            "load and store executors",
        ),
        line(
            "llmfab_comp_exec",
            1,
            leaf("llmfab_comp_exec"),
            Source::Yosys,
            "",
        ),
        line(
            "llmfab_dma_rd",
            ch,
            leaf("llmfab_dma_rd"),
            Source::Yosys,
            "one per channel",
        ),
        line(
            "llmfab_dma_wr",
            ch,
            leaf("llmfab_dma_wr"),
            Source::Yosys,
            "one per channel",
        ),
        line(
            "llmfab_fifo_ctl",
            4 + 4 * ch,
            leaf("llmfab_fifo_ctl"),
            Source::Yosys,
            "FIFO pointers",
        ),
    ];
    let fifo_luts = memory::lutram(g.fetch_depth, g.pb)
        + 3 * memory::lutram(g.queue_depth, 256)
        + ch * (memory::lutram(DESC_DEPTH, 93)
            + memory::lutram(DESC_DEPTH, 100)
            + memory::lutram(DESC_DEPTH, 2)
            + memory::lutram(W_FIFO_BEATS, g.pb + 1));
    v.push(line(
        "FIFO storage",
        1,
        Cells::luts(fifo_luts),
        Source::Formula,
        "instruction FIFO, queues, DMA FIFOs (LUT-RAM)",
    ));
    let bank = |name: &str, n: u64, words: u64, bytes: u64| {
        let s = style(words * bytes, bytes);
        line(
            name,
            n,
            memory::bank(s, words, bytes * 8),
            Source::Formula,
            &format!("{words} × {} bits, {s}", bytes * 8),
        )
    };
    v.push(bank("ABUF", 1, g.abuf_words, g.wa));
    v.push(bank("WBUF bank", ch, g.wbuf_rows, g.slice));
    v.push(bank("KVBUF bank", g.nb, g.kv_words, g.wk));
    v.push(bank("SBUF", 1, g.sbuf_words, g.ws));
    v.push(bank("ACC", 1, g.acc_words, g.wc));
    // Muxes: a LUT6 is a 4:1 mux of one bit (three 2:1 muxes), so a
    // `ways`:1 mux of `bits` takes about bits·(ways−1)/3 LUTs. Lane selects
    // of narrow readers, writer muxes (data replicated), store-data bank muxes.
    let sel = |bits: u64, ways: u64| (bits * ways.saturating_sub(1)).div_ceil(3);
    let mut mux = sel(g.beat * 8, g.wa / g.beat)
        + sel(g.r * g.ab * 8, g.wa / (g.r * g.ab))
        + sel(g.l * g.ab * 8, g.wa / (g.l * g.ab));
    mux += sel(g.wa * 8, 2)
        + sel(g.l * 16, g.ws / (2 * g.l))
        + sel(g.c * 32, g.wc / (4 * g.c))
        + sel(g.l * 32, g.wc / (4 * g.l));
    mux += g.nb * (sel(g.kw * 8, g.wk / g.kw) + sel(g.beat * 8, g.wk / g.beat) + sel(g.wk * 8, 2));
    mux += ch * sel(g.beat * 8, g.nb / ch) + sel(g.beat * 8, 2);
    v.push(line(
        "port muxes",
        1,
        Cells::luts(mux),
        Source::Formula,
        "lane selects and port sharing",
    ));
    v
}

/// Cache directory of Yosys results (`LLMFAB_YOSYS_CACHE`, else
/// `$HOME/.cache/llmfab/yosys`).
fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("LLMFAB_YOSYS_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/llmfab/yosys")))
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Yosys figures of `b`'s module, from the cache when it has them.
pub fn synth_cached(b: &BlockUse) -> Result<Cells, HdlError> {
    let key = format!("{}-{:016x}", b.module, fnv(b.verilog.as_bytes()));
    let file = cache_dir().map(|d| d.join(format!("{key}.txt")));
    if let Some(text) = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) {
        let n: Vec<f64> = text
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if let [lut, ff, dsp, bram, uram] = n[..] {
            return Ok(Cells {
                lut: lut as u64,
                ff: ff as u64,
                dsp: dsp as u64,
                bram36: bram,
                uram: uram as u64,
            });
        }
    }
    let c = cells::synth(&b.verilog, &b.module)?;
    if let Some(f) = file {
        if let Some(d) = f.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        let _ = std::fs::write(
            f,
            format!("{} {} {} {} {}\n", c.lut, c.ff, c.dsp, c.bram36, c.uram),
        );
    }
    Ok(c)
}

/// Rows of a compute unit's blocks (Yosys, cached); a block Yosys cannot
/// synthesise gets a `Missing` row naming the reason.
pub fn unit_lines(unit: &str, blocks: &[BlockUse]) -> Vec<Line> {
    units_lines(&[(unit, blocks)])
}

/// [`unit_lines`] of several units, in order; the Yosys runs of all their
/// blocks share one pool of worker threads (one per available core).
pub fn units_lines(units: &[(&str, &[BlockUse])]) -> Vec<Line> {
    let jobs: Vec<(&str, &BlockUse)> = units
        .iter()
        .flat_map(|(u, bs)| bs.iter().map(move |b| (*u, b)))
        .collect();
    let row = |(unit, b): (&str, &BlockUse)| match synth_cached(b) {
        Ok(c) => line(&b.module, b.count, c, Source::Yosys, unit),
        Err(e) => line(
            &b.module,
            b.count,
            Cells::default(),
            Source::Missing,
            &format!("{unit}: {e}"),
        ),
    };
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(jobs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Line>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&job) = jobs.get(i) else { break };
                let r = row(job);
                *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .zip(&jobs)
        .map(|(m, &job)| {
            m.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| row(job))
        })
        .collect()
}

impl Report {
    /// A report from rows.
    pub fn new(config: &str, lines: Vec<Line>, capacity: Option<Capacity>) -> Report {
        let total = lines.iter().fold(Cells::default(), |a, l| a + l.total);
        Report {
            config: config.into(),
            lines,
            total,
            capacity,
        }
    }

    /// Resources over the capacity (empty when it fits or is unknown).
    pub fn overflows(&self) -> Vec<String> {
        let Some(cap) = &self.capacity else {
            return Vec::new();
        };
        let (t, c) = (self.total, cap.cells);
        let mut v = Vec::new();
        for (name, used, have) in [
            ("LUT", t.lut as f64, c.lut as f64),
            ("FF", t.ff as f64, c.ff as f64),
            ("DSP", t.dsp as f64, c.dsp as f64),
            ("BRAM36", t.bram36, c.bram36),
            ("URAM", t.uram as f64, c.uram as f64),
        ] {
            if have > 0.0 && used > have {
                v.push(format!("{name}: {used} needed, {have} available"));
            }
        }
        v
    }

    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# Resource estimate: {}\n\nAll figures are **estimates**: \"yosys\" rows come from Yosys 0.23 `synth_xilinx -family xcup -flatten` of the block alone (scaled by the instance count; DSP pipeline registers stay in fabric, no placement), \"formula\" rows from memory and mux size formulas (docs/rtl.md §6). Vivado will differ.\n\n| block | count | LUT | FF | DSP | BRAM36 | URAM | source | note |\n|---|---:|---:|---:|---:|---:|---:|---|---|\n",
            self.config
        );
        for l in &self.lines {
            let src = match l.source {
                Source::Yosys => "yosys",
                Source::Formula => "formula",
                Source::Missing => "missing",
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {src} | {} |",
                l.block,
                l.count,
                l.total.lut,
                l.total.ff,
                l.total.dsp,
                l.total.bram36,
                l.total.uram,
                l.note
            );
        }
        let t = self.total;
        let _ = writeln!(
            s,
            "| **total** | | **{}** | **{}** | **{}** | **{}** | **{}** | | |",
            t.lut, t.ff, t.dsp, t.bram36, t.uram
        );
        if let Some(cap) = &self.capacity {
            let c = cap.cells;
            let pct = |u: f64, h: f64| {
                if h > 0.0 {
                    format!("{:.1}%", 100.0 * u / h)
                } else {
                    "unknown".into()
                }
            };
            let _ = writeln!(
                s,
                "| {} user region | | {} | {} | {} | {} | {} | | |\n| utilisation | | {} | {} | {} | {} | {} | | |",
                cap.board,
                c.lut,
                c.ff,
                c.dsp,
                c.bram36,
                c.uram,
                pct(t.lut as f64, c.lut as f64),
                pct(t.ff as f64, c.ff as f64),
                pct(t.dsp as f64, c.dsp as f64),
                pct(t.bram36, c.bram36),
                pct(t.uram as f64, c.uram as f64)
            );
            let over = self.overflows();
            if over.is_empty() {
                s += "\nThe estimate fits the user region.\n";
            } else {
                let _ = writeln!(
                    s,
                    "\n**Warning: the engine does not fit the {} user region** ({}).",
                    cap.board,
                    over.join("; ")
                );
            }
        }
        if self.lines.iter().any(|l| l.source == Source::Missing) {
            s += "\nRows marked \"missing\" are not included in the total.\n";
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthesises `names` in parallel and compares with the table; on a
    /// difference prints the rows to paste into `table.rs`.
    fn rederive(names: &[&str]) {
        let results: Vec<(String, Result<Cells, HdlError>)> = std::thread::scope(|s| {
            let hs: Vec<_> = names
                .iter()
                .map(|n| {
                    s.spawn(move || {
                        let v = crate::core::leaf(n).expect("known leaf").expect("emits");
                        (n.to_string(), cells::synth(&v, n))
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        let mut bad = Vec::new();
        for (n, r) in results {
            let c = r.unwrap_or_else(|e| panic!("{n}: {e}"));
            if Some(c) != table::core_leaf(&n) {
                bad.push(format!(
                    "    (\"{n}\", Cells {{ lut: {}, ff: {}, dsp: {}, bram36: {:.1}, uram: {} }}),",
                    c.lut, c.ff, c.dsp, c.bram36, c.uram
                ));
            }
        }
        assert!(
            bad.is_empty(),
            "update resources/table.rs:\n{}",
            bad.join("\n")
        );
    }

    /// Yosys synthesis of the small core leaves (every CI run).
    #[test]
    fn small_leaves_match_yosys() {
        rederive(&[
            "llmfab_dispatch",
            "llmfab_tokens",
            "llmfab_xfer_exec",
            "llmfab_comp_exec",
            "llmfab_fifo_ctl",
        ]);
    }

    /// Yosys synthesis of every core leaf (~1 min; `cargo xtask verilog-check`).
    #[test]
    #[ignore = "slow: run by cargo xtask verilog-check"]
    fn all_leaves_match_yosys() {
        rederive(crate::core::LEAVES);
    }

    #[test]
    fn tiny_core_report_fits_a_u280() {
        let g = Geometry::new(&llmfab_isa::EngineConfig::tiny()).unwrap();
        let cap = Capacity {
            board: "u280".into(),
            cells: Cells {
                lut: 1_131_000,
                ff: 2_262_000,
                dsp: 8304,
                bram36: 1776.0,
                uram: 960,
            },
        };
        let r = Report::new("tiny", core_lines(&g), Some(cap));
        assert!(r.overflows().is_empty());
        let md = r.markdown();
        assert!(md.contains("estimates") && md.contains("fits"), "{md}");
        let small = Capacity {
            board: "toy".into(),
            cells: Cells {
                lut: 10,
                ..Default::default()
            },
        };
        let r = Report::new("tiny", core_lines(&g), Some(small));
        assert!(r.markdown().contains("does not fit"));
    }
}
