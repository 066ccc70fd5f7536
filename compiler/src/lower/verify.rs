//! Verifiers run between passes (errors here are compiler bugs):
//! - [`bounds`]: every access stays inside its buffer or its channel's
//!   used memory (the allocator's capacity guarantee, re-checked);
//! - [`tokens`]: in program order no pop finds an empty counter, no counter
//!   passes 255, and every counter is back to 0 at the end;
//! - [`races`]: no two instructions that may run at the same time touch the
//!   same bytes with at least one write (happens-before from queue order and
//!   tokens, with vector clocks over the three queues).

use crate::lower::deps::qidx;
use crate::lower::footprint::{self, Space};
use crate::memmap::MemMap;
use llmfab_isa::instr::{Buf, Instr};
use llmfab_isa::EngineConfig;
use std::collections::VecDeque;

const MAX_REPORTS: usize = 20;

fn name(prov: &[u32], names: &[String], i: usize) -> String {
    prov.get(i)
        .and_then(|p| names.get(*p as usize))
        .cloned()
        .unwrap_or_default()
}

fn buf_bytes(cfg: &EngineConfig, b: Buf) -> u64 {
    match b {
        Buf::Abuf => cfg.abuf_bytes,
        Buf::Wbuf => cfg.wbuf_bytes,
        Buf::Kvbuf => cfg.kvbuf_bytes,
        Buf::Sbuf => cfg.sbuf_bytes,
        Buf::Acc => cfg.acc_bytes,
    }
}

/// Every access inside its buffer / the channel's used memory.
pub fn bounds(
    cfg: &EngineConfig,
    map: &MemMap,
    instrs: &[Instr],
    prov: &[u32],
    names: &[String],
) -> Result<(), Vec<String>> {
    let mut bad = Vec::new();
    for (i, ins) in instrs.iter().enumerate() {
        for a in footprint::of(cfg, ins).iter() {
            let (limit, what) = match a.space {
                Space::Buf(b) => (buf_bytes(cfg, b), b.name().to_string()),
                Space::Hbm(ch) => (
                    map.used.get(ch as usize).copied().unwrap_or(0),
                    format!("channel {ch}"),
                ),
            };
            if a.hi() > limit {
                bad.push(format!(
                    "instruction {i} ({} @ {}): {} bytes [{}, {}) past {limit}",
                    ins.op.layout().mnemonic,
                    name(prov, names, i),
                    what,
                    a.lo,
                    a.hi()
                ));
                if bad.len() >= MAX_REPORTS {
                    return Err(bad);
                }
            }
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad)
    }
}

/// Counter index of each flag of `ins`: (pops, pushes).
fn counters(ins: &Instr) -> (Vec<usize>, Vec<usize>) {
    let d = ins.deps;
    match qidx(ins) {
        Some(0) => (
            if d.pop_next { vec![1] } else { vec![] },
            if d.push_next { vec![0] } else { vec![] },
        ),
        Some(1) => {
            let mut pops = vec![];
            let mut pushes = vec![];
            if d.pop_prev {
                pops.push(0);
            }
            if d.pop_next {
                pops.push(3);
            }
            if d.push_prev {
                pushes.push(1);
            }
            if d.push_next {
                pushes.push(2);
            }
            (pops, pushes)
        }
        Some(2) => (
            if d.pop_prev { vec![2] } else { vec![] },
            if d.push_prev { vec![3] } else { vec![] },
        ),
        _ => (vec![], vec![]),
    }
}

const COUNTER: [&str; 4] = ["L→C", "C→L", "C→S", "S→C"];

/// Token counters in program order: no underflow, at most 255, balanced at the end.
pub fn tokens(instrs: &[Instr], prov: &[u32], names: &[String]) -> Result<(), Vec<String>> {
    let mut count = [0u32; 4];
    let mut bad = Vec::new();
    for (i, ins) in instrs.iter().enumerate() {
        let (pops, pushes) = counters(ins);
        for c in pops {
            if count[c] == 0 {
                bad.push(format!(
                    "instruction {i} ({}) pops an empty {} counter",
                    name(prov, names, i),
                    COUNTER[c]
                ));
            } else {
                count[c] -= 1;
            }
        }
        for c in pushes {
            count[c] += 1;
            if count[c] > 255 {
                bad.push(format!(
                    "instruction {i} ({}) pushes the {} counter past 255",
                    name(prov, names, i),
                    COUNTER[c]
                ));
            }
        }
        if bad.len() >= MAX_REPORTS {
            break;
        }
    }
    for (c, n) in count.iter().enumerate() {
        if *n != 0 {
            bad.push(format!(
                "{} tokens left on the {} counter at the end",
                n, COUNTER[c]
            ));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad)
    }
}

/// One access remembered by the race verifier.
#[derive(Clone, Copy, Debug)]
struct Entry {
    pos: u32,
    instr: u32,
    lo: u64,
    hi: u64,
    write: bool,
}

/// Dense index of a space: the five buffers, then the channels.
fn space_index(s: Space) -> usize {
    match s {
        Space::Buf(b) => b as usize,
        Space::Hbm(ch) => 5 + ch as usize,
    }
}

/// No data races between instructions that may overlap in time.
///
/// Happens-before: compute runs in order; a load or store starts after the
/// previous one of its queue was handed out and, when that one pushed, after
/// every earlier transfer of the queue finished; a pop starts after the
/// matching push. Each instruction is checked against the instructions of
/// other queues (and earlier loads / stores of its own) that it does not
/// know to have finished, space by space.
pub fn races(
    cfg: &EngineConfig,
    instrs: &[Instr],
    prov: &[u32],
    names: &[String],
) -> Result<(), Vec<String>> {
    let n = instrs.len();
    let spaces = 5 + cfg.channels as usize;
    // Per queue and space: accesses in order (queue position, instruction, bounding range, written).
    let mut lists: Vec<Vec<Vec<Entry>>> = vec![vec![Vec::new(); spaces]; 3];
    let mut count = [0u32; 3];
    let mut comp = vec![[0u32; 3]; n];
    let mut last_start: [[u32; 3]; 3] = [[0; 3]; 3];
    let mut last_instr: [Option<usize>; 3] = [None; 3];
    let mut fifo: [VecDeque<usize>; 4] = Default::default();
    let mut bad = Vec::new();
    for i in 0..n {
        let Some(q) = qidx(&instrs[i]) else { continue };
        let mut s = last_start[q];
        if let Some(p) = last_instr[q] {
            let (_, pushes) = counters(&instrs[p]);
            if q == 1 || !pushes.is_empty() {
                for k in 0..3 {
                    s[k] = s[k].max(comp[p][k]);
                }
            }
        }
        let (pops, pushes) = counters(&instrs[i]);
        for c in pops {
            let Some(src) = fifo[c].pop_front() else {
                bad.push(format!(
                    "instruction {i} pops an empty {} counter",
                    COUNTER[c]
                ));
                continue;
            };
            for k in 0..3 {
                s[k] = s[k].max(comp[src][k]);
            }
        }
        let fp = footprint::of(cfg, &instrs[i]);
        let pos = count[q];
        for x in fp.iter() {
            let sp = space_index(x.space);
            if sp >= spaces {
                continue;
            }
            for qq in 0..3 {
                if qq == q && q == 1 {
                    continue;
                }
                let list = &lists[qq][sp];
                let lo = list.partition_point(|e| e.pos < s[qq]);
                for e in &list[lo..] {
                    if !((x.write || e.write) && x.lo < e.hi && e.lo < x.hi()) {
                        continue;
                    }
                    let j = e.instr;
                    let other = footprint::of(cfg, &instrs[j as usize]);
                    let hit = other
                        .iter()
                        .any(|y| y.space == x.space && (x.write || y.write) && x.overlaps(y));
                    if hit {
                        bad.push(format!(
                            "instructions {j} ({} @ {}) and {i} ({} @ {}) may run at the same time and touch the same bytes",
                            instrs[j as usize].op.layout().mnemonic,
                            name(prov, names, j as usize),
                            instrs[i].op.layout().mnemonic,
                            name(prov, names, i)
                        ));
                        if bad.len() >= MAX_REPORTS {
                            return Err(bad);
                        }
                    }
                }
            }
        }
        for a in fp.iter() {
            let sp = space_index(a.space);
            if sp < spaces {
                lists[q][sp].push(Entry {
                    pos,
                    instr: i as u32,
                    lo: a.lo,
                    hi: a.hi(),
                    write: a.write,
                });
            }
        }
        let mut c = s;
        if q == 1 || !pushes.is_empty() {
            c[q] = c[q].max(pos + 1);
        }
        comp[i] = c;
        for k in pushes {
            fifo[k].push_back(i);
        }
        count[q] += 1;
        last_start[q] = s;
        last_instr[q] = Some(i);
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad)
    }
}
