//! A timeline of a timed run in the Chrome trace-event format (loadable in
//! Perfetto and chrome://tracing): one track per unit (matrix unit, SFU,
//! control), per queue (load, compute, store issue instants) and per
//! channel direction (read, write); each instruction is a slice from its
//! issue to its done cycle, named by mnemonic, with its provenance and
//! cycles as arguments. Times are microseconds at the config's clock.

use super::work::{unit, Unit};
use super::Timing;
use llmfab_isa::{EngineConfig, Program, Queue};
use serde_json::{json, Value};

const MATRIX: u64 = 1;
const SFU: u64 = 2;
const CONTROL: u64 = 3;
const QUEUES: u64 = 4; // 4 load, 5 compute, 6 store
const CHANNELS: u64 = 10; // 10 + 2c read, 11 + 2c write

/// The trace of timed run `t` of `prog` on `cfg`, as JSON text.
pub fn chrome_trace(cfg: &EngineConfig, prog: &Program, t: &Timing) -> String {
    let us = cfg.cycle_s() * 1e6;
    let mut ev: Vec<Value> = Vec::new();
    let name = |tid: u64, n: String| json!({"ph": "M", "name": "thread_name", "pid": 1, "tid": tid, "args": {"name": n}});
    ev.push(json!({"ph": "M", "name": "process_name", "pid": 1, "args": {"name": format!("engine {}", cfg.name)}}));
    ev.push(name(MATRIX, "matrix unit".into()));
    ev.push(name(SFU, "SFU".into()));
    ev.push(name(CONTROL, "control (nop)".into()));
    for (k, q) in ["load queue", "compute queue", "store queue"]
        .iter()
        .enumerate()
    {
        ev.push(name(QUEUES + k as u64, q.to_string()));
    }
    for c in 0..cfg.channels as u64 {
        ev.push(name(CHANNELS + 2 * c, format!("ch{c} read")));
        ev.push(name(CHANNELS + 2 * c + 1, format!("ch{c} write")));
    }
    for (i, (ins, prov)) in prog.iter().enumerate() {
        let Some(it) = t.instrs.get(i).filter(|x| x.issue > 0) else {
            continue;
        };
        let mnemonic = ins.op.layout().mnemonic;
        let tid = match unit(ins) {
            Unit::Matrix => MATRIX,
            Unit::Sfu => SFU,
            Unit::Control => CONTROL,
            Unit::Read(c) => CHANNELS + 2 * c,
            Unit::Write(c) => CHANNELS + 2 * c + 1,
        };
        let cycles = it.done - it.issue;
        ev.push(json!({
            "ph": "X", "name": mnemonic, "pid": 1, "tid": tid,
            "ts": it.issue as f64 * us, "dur": cycles.max(1) as f64 * us,
            "args": {"index": i, "op": prov.unwrap_or(""), "issue": it.issue, "done": it.done, "cycles": cycles}
        }));
        let q = match ins.queue() {
            Queue::Load => 0,
            Queue::Store => 2,
            _ => 1,
        };
        ev.push(json!({
            "ph": "i", "s": "t", "name": mnemonic, "pid": 1, "tid": QUEUES + q,
            "ts": it.issue as f64 * us, "args": {"index": i}
        }));
    }
    let doc = json!({"displayTimeUnit": "ns", "traceEvents": ev});
    let mut s = serde_json::to_string(&doc).unwrap_or_default();
    s.push('\n');
    s
}
