//! The report of a timed run: cycles and seconds, per-op and
//! per-instruction cycles, unit utilisation, memory bandwidth per channel,
//! stall cycles by cause, the roofline bound on the same engine and energy.
//! Every figure comes from the simulation except energy (device constants,
//! [`EnergyModel`]) and the bandwidth peak (engine ports, capped by the
//! board's memory when given).

use super::energy::{Energy, EnergyModel};
use super::work::{unit, Unit, Work};
use super::{Stalls, Timing};
use llmfab_isa::{EngineConfig, Program};
use serde::Serialize;
use std::collections::BTreeMap;

/// One op (a provenance string) of the program.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpRow {
    /// Provenance (`layer3.attn.q_proj`; `(none)` for instructions without one).
    pub op: String,
    /// Instructions lowered from it.
    pub instructions: u64,
    /// First issue cycle of its instructions.
    pub first_issue: u64,
    /// Last done cycle.
    pub last_done: u64,
    /// `last_done − first_issue`: its simulated span.
    pub cycles: u64,
    /// Cycles its matrix-unit instructions ran.
    pub matrix_cycles: u64,
    /// Cycles its SFU instructions ran.
    pub sfu_cycles: u64,
    /// Multiply-accumulates.
    pub macs: u64,
    /// Memory bytes read and written.
    pub hbm_bytes: u64,
    /// Roofline bound of its work on this engine, cycles.
    pub roofline_cycles: u64,
    /// Which peak sets the bound (`compute`, `sfu`, `memory`).
    pub bound: &'static str,
    /// Energy of its work over its span (J), when a device is known.
    pub energy_j: Option<f64>,
}

/// One instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstrRow {
    /// Index in the program.
    pub index: usize,
    /// Mnemonic.
    pub mnemonic: &'static str,
    /// Provenance.
    pub op: Option<String>,
    /// Issue cycle.
    pub issue: u64,
    /// Done cycle.
    pub done: u64,
}

/// One channel's traffic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelRow {
    /// Channel.
    pub channel: usize,
    /// Bytes read.
    pub read_bytes: u64,
    /// Bytes written.
    pub write_bytes: u64,
    /// Fraction of cycles with a read beat.
    pub read_utilization: f64,
    /// Fraction of cycles with a write beat.
    pub write_utilization: f64,
    /// Achieved read + write bandwidth, bytes/s.
    pub bandwidth: f64,
}

/// Busy fractions of the compute units.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Units {
    /// Matrix unit busy cycles.
    pub matrix_busy_cycles: u64,
    /// Matrix unit busy fraction.
    pub matrix_utilization: f64,
    /// Fraction of the matrix unit's MAC-cycles doing MACs.
    pub mac_utilization: f64,
    /// SFU busy cycles.
    pub sfu_busy_cycles: u64,
    /// SFU busy fraction.
    pub sfu_utilization: f64,
    /// Per channel.
    pub channels: Vec<ChannelRow>,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Engine name.
    pub engine: String,
    /// Clock, MHz.
    pub clock_mhz: f64,
    /// Simulated cycles.
    pub cycles: u64,
    /// `cycles / clock`.
    pub seconds: f64,
    /// Instructions in the program.
    pub instructions: u64,
    /// Memory bytes read and written.
    pub hbm_bytes: u64,
    /// Memory bytes read.
    pub hbm_read_bytes: u64,
    /// Memory bytes written.
    pub hbm_write_bytes: u64,
    /// Peak memory bandwidth of this engine, bytes/s (its ports; capped by
    /// the board's memory when known).
    pub hbm_peak_bandwidth: f64,
    /// Achieved bandwidth, bytes/s.
    pub hbm_bandwidth: f64,
    /// Achieved over peak bandwidth.
    pub hbm_bandwidth_utilization: f64,
    /// The whole run's roofline bound on this engine, seconds.
    pub roofline_bound_s: f64,
    /// Which peak sets it.
    pub roofline_bound: &'static str,
    /// `roofline_bound_s / seconds`.
    pub roofline_fraction: f64,
    /// Unit utilisation.
    pub units: Units,
    /// Stall cycles by cause.
    pub stalls: Stalls,
    /// Energy breakdown (when a device is known).
    pub energy: Option<Energy>,
    /// Per op, in order of first issue.
    pub ops: Vec<OpRow>,
}

/// Builds the report of timed run `t` of `prog` on `cfg`. `board_bw`
/// caps the peak bandwidth (bytes/s); `energy` prices the activity.
pub fn build(
    cfg: &EngineConfig,
    prog: &Program,
    t: &Timing,
    board_bw: Option<f64>,
    energy: Option<&EnergyModel>,
) -> Report {
    let ch = cfg.channels as usize;
    let secs = t.cycles as f64 * cfg.cycle_s();
    let mut total = Work::new(ch);
    let (mut mat, mut sfu) = (0u64, 0u64);
    let mut ops: BTreeMap<&str, (OpRow, Work)> = BTreeMap::new();
    let end = prog.len().min(t.instrs.len());
    for (i, (ins, prov)) in prog.iter().enumerate().take(end) {
        let it = t.instrs[i];
        if it.issue == 0 {
            continue; // never issued: halt and what follows it
        }
        total.add_instr(ins, cfg);
        let busy = it.done.saturating_sub(it.issue);
        let u = unit(ins);
        match u {
            Unit::Matrix => mat += busy,
            Unit::Sfu => sfu += busy,
            _ => {}
        }
        let key = prov.unwrap_or("(none)");
        let (row, w) = ops.entry(key).or_insert_with(|| {
            (
                OpRow {
                    op: key.to_string(),
                    instructions: 0,
                    first_issue: u64::MAX,
                    last_done: 0,
                    cycles: 0,
                    matrix_cycles: 0,
                    sfu_cycles: 0,
                    macs: 0,
                    hbm_bytes: 0,
                    roofline_cycles: 0,
                    bound: "none",
                    energy_j: None,
                },
                Work::new(ch),
            )
        });
        row.instructions += 1;
        row.first_issue = row.first_issue.min(it.issue);
        row.last_done = row.last_done.max(it.done);
        match u {
            Unit::Matrix => row.matrix_cycles += busy,
            Unit::Sfu => row.sfu_cycles += busy,
            _ => {}
        }
        w.add_instr(ins, cfg);
    }
    let mut rows: Vec<OpRow> = ops
        .into_values()
        .map(|(mut r, w)| {
            r.cycles = r.last_done.saturating_sub(r.first_issue);
            r.macs = w.macs;
            r.hbm_bytes = w.hbm_bytes();
            r.roofline_cycles = w.bound_cycles(cfg);
            r.bound = w.bound_kind(cfg);
            r.energy_j = energy.map(|e| e.energy(&w, r.cycles as f64 * cfg.cycle_s()).total_j);
            r
        })
        .collect();
    rows.sort_by(|a, b| (a.first_issue, &a.op).cmp(&(b.first_issue, &b.op)));
    let beat = cfg.beat_bytes();
    let port_bw = (ch as u64 * beat) as f64 / cfg.cycle_s();
    let peak = board_bw.map_or(port_bw, |b| b.min(port_bw));
    let frac = |x: u64| {
        if t.cycles == 0 {
            0.0
        } else {
            x as f64 / t.cycles as f64
        }
    };
    let channels = (0..ch)
        .map(|c| {
            let (rb, wb) = (t.read_beats[c], t.write_beats[c]);
            ChannelRow {
                channel: c,
                read_bytes: rb * beat,
                write_bytes: wb * beat,
                read_utilization: frac(rb),
                write_utilization: frac(wb),
                bandwidth: if secs > 0.0 {
                    ((rb + wb) * beat) as f64 / secs
                } else {
                    0.0
                },
            }
        })
        .collect();
    let hbm_read: u64 = t.read_beats.iter().sum::<u64>() * beat;
    let hbm_write: u64 = t.write_beats.iter().sum::<u64>() * beat;
    let hbm = hbm_read + hbm_write;
    let bw = if secs > 0.0 { hbm as f64 / secs } else { 0.0 };
    // The memory side of the bound at the (possibly board-capped) peak.
    let mem_bound_s = hbm as f64 / peak;
    let eng_bound_s = total.bound_cycles(cfg) as f64 * cfg.cycle_s();
    let (bound_s, kind) = if mem_bound_s >= eng_bound_s && hbm > 0 {
        (mem_bound_s, "memory")
    } else {
        (eng_bound_s, total.bound_kind(cfg))
    };
    Report {
        engine: cfg.name.clone(),
        clock_mhz: cfg.clock_mhz,
        cycles: t.cycles,
        seconds: secs,
        instructions: prog.len() as u64,
        hbm_bytes: hbm,
        hbm_read_bytes: hbm_read,
        hbm_write_bytes: hbm_write,
        hbm_peak_bandwidth: peak,
        hbm_bandwidth: bw,
        hbm_bandwidth_utilization: bw / peak,
        roofline_bound_s: bound_s,
        roofline_bound: kind,
        roofline_fraction: if secs > 0.0 { bound_s / secs } else { 0.0 },
        units: Units {
            matrix_busy_cycles: mat,
            matrix_utilization: frac(mat),
            mac_utilization: frac(total.macs) / cfg.mac_lanes().max(1) as f64,
            sfu_busy_cycles: sfu,
            sfu_utilization: frac(sfu),
            channels,
        },
        stalls: t.stalls.clone(),
        energy: energy.map(|e| e.energy(&total, secs)),
        ops: rows,
    }
}

/// Per-instruction rows of a timed run (instructions never issued are left
/// out).
pub fn instructions(prog: &Program, t: &Timing) -> Vec<InstrRow> {
    prog.iter()
        .enumerate()
        .filter(|(i, _)| t.instrs.get(*i).is_some_and(|x| x.issue > 0))
        .map(|(i, (ins, prov))| InstrRow {
            index: i,
            mnemonic: ins.op.layout().mnemonic,
            op: prov.map(str::to_string),
            issue: t.instrs[i].issue,
            done: t.instrs[i].done,
        })
        .collect()
}
