//! The compile report: what was compiled for which engine, per-phase
//! instruction statistics, buffer use, memory map summary, substitutions and
//! host fallbacks (`compile.json` and the terminal summary).

use crate::explore::Exploration;
use crate::lower::{CompiledPhase, Prepared};
use crate::memmap::RegionKind;
use llmfab_isa::instr::Op;
use llmfab_isa::EngineConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Statistics of one compiled phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// File stem.
    pub name: String,
    /// New tokens.
    pub seq: u64,
    /// Positions attended by the last token.
    pub kv_len: u64,
    /// Instructions.
    pub instructions: u64,
    /// Instructions by mnemonic.
    pub by_mnemonic: BTreeMap<String, u64>,
    /// Dependency flags set.
    pub token_flags: u64,
    /// Tokens per block and blocks.
    pub block: (u64, u64),
    /// KV positions per window.
    pub kv_window: u64,
    /// Peak bytes used of ABUF, ACC and SBUF.
    pub peaks: (u64, u64, u64),
    /// Bytes loaded from and stored to memory.
    pub hbm_bytes: (u64, u64),
    /// Multiply-accumulates.
    pub macs: u64,
}

impl PhaseReport {
    /// Statistics of `cp`.
    pub fn of(cp: &CompiledPhase) -> PhaseReport {
        let mut by = BTreeMap::new();
        let (mut flags, mut ld, mut st, mut macs) = (0u64, 0u64, 0u64, 0u64);
        for ins in &cp.instrs {
            *by.entry(ins.op.layout().mnemonic.to_string()).or_insert(0) += 1;
            flags += ins.deps.bits().count_ones() as u64;
            match ins.op {
                Op::Load(l) => ld += l.rows * l.row_bytes,
                Op::Store(s) => st += s.rows * s.row_bytes,
                Op::Matmul(m) => macs += m.m * m.n * m.k,
                _ => {}
            }
        }
        let l = &cp.layout;
        PhaseReport {
            name: cp.phase.name.clone(),
            seq: cp.phase.seq,
            kv_len: cp.phase.kv_len,
            instructions: cp.instrs.len() as u64,
            by_mnemonic: by,
            token_flags: flags,
            block: (l.mb, l.blocks),
            kv_window: l.kv_chunk,
            peaks: (l.abuf_peak, l.acc_peak, l.sbuf_peak),
            hbm_bytes: (ld, st),
            macs,
        }
    }
}

/// Memory-map summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryReport {
    /// Channels used and bytes each.
    pub channels: u32,
    /// Capacity of one channel.
    pub channel_bytes: u64,
    /// Weight bytes per channel.
    pub weights: u64,
    /// KV-cache bytes per channel.
    pub kv_cache: u64,
    /// Channel-0 bytes beyond the striped regions.
    pub channel0_extra: u64,
    /// Highest use of any channel.
    pub max_used: u64,
}

/// The compile report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompileReport {
    /// Model name and where it came from.
    pub model: (String, String),
    /// Quantization scheme.
    pub quant: String,
    /// Board.
    pub board: String,
    /// Engine name.
    pub engine: String,
    /// Where the quantisation scales come from.
    pub scales: String,
    /// Departures from the scheme as written.
    pub substitutions: Vec<String>,
    /// Host fallbacks and other remarks.
    pub notes: Vec<String>,
    /// The design-space exploration, when the engine was chosen by it.
    pub exploration: Option<Exploration>,
    /// Memory map summary.
    pub memory: MemoryReport,
    /// Compiled phases.
    pub phases: Vec<PhaseReport>,
}

impl CompileReport {
    /// Builds the report.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: (String, String),
        quant: &str,
        board: &str,
        cfg: &EngineConfig,
        pre: &Prepared,
        phases: &[CompiledPhase],
        substitutions: Vec<String>,
        exploration: Option<Exploration>,
    ) -> CompileReport {
        let m = &pre.map;
        let sum = |k: RegionKind| {
            m.regions
                .iter()
                .filter(|r| r.kind == k && r.channel.is_none())
                .map(|r| r.bytes)
                .sum::<u64>()
        };
        let striped = m.used.iter().skip(1).copied().max().unwrap_or(0);
        CompileReport {
            model,
            quant: quant.to_string(),
            board: board.to_string(),
            engine: cfg.name.clone(),
            scales: pre.plan.source.clone(),
            substitutions,
            notes: pre.notes.clone(),
            exploration,
            memory: MemoryReport {
                channels: m.channels,
                channel_bytes: m.channel_bytes,
                weights: sum(RegionKind::Weights),
                kv_cache: sum(RegionKind::KvCache),
                channel0_extra: m.used.first().copied().unwrap_or(0).saturating_sub(striped),
                max_used: m.used.iter().copied().max().unwrap_or(0),
            },
            phases: phases.iter().map(PhaseReport::of).collect(),
        }
    }

    /// Plain-text summary for the terminal.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if let Some(x) = &self.exploration {
            s.push_str(&crate::explore::report::render(x));
        }
        let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
        let _ = writeln!(
            s,
            "compiled {} ({}) at {} for {} on {}",
            self.model.0, self.model.1, self.quant, self.engine, self.board
        );
        for sub in &self.substitutions {
            let _ = writeln!(s, "  note: {sub}");
        }
        for n in &self.notes {
            let _ = writeln!(s, "  host: {n}");
        }
        let m = &self.memory;
        let _ = writeln!(
            s,
            "  memory: {} channels, per channel {:.1} MiB weights + {:.1} MiB KV cache (channel 0 +{:.1} MiB tables and I/O) of {:.0} MiB",
            m.channels,
            mib(m.weights),
            mib(m.kv_cache),
            mib(m.channel0_extra),
            mib(m.channel_bytes)
        );
        let _ = writeln!(
            s,
            "  scales: {} (see docs/compiler.md, quantisation recipe)",
            self.scales
        );
        for p in &self.phases {
            let _ = writeln!(
                s,
                "  {:<14} {:>9} instructions ({} loads, {} matmuls, {} stores), blocks of {} × {}, KV window {}, abuf peak {:.2} MiB",
                p.name,
                p.instructions,
                p.by_mnemonic.get("load").copied().unwrap_or(0),
                p.by_mnemonic.get("matmul").copied().unwrap_or(0),
                p.by_mnemonic.get("store").copied().unwrap_or(0),
                p.block.0,
                p.block.1,
                p.kv_window,
                mib(p.peaks.0)
            );
        }
        s
    }
}
