//! Pass `tokens`: dependency flags (docs/engine.md §5.1) from the
//! cross-queue edges of [`crate::lower::deps`].
//!
//! Load↔store edges have no counter of their own: they go through a
//! compute `nop` inserted just before the later instruction. For each of the
//! four counters, the edges into one instruction collapse to the latest
//! source, and an edge whose source is not later than the previous kept
//! edge's is implied (a pop waits for the matching push; a pushing load or
//! store first waits for every earlier transfer of its queue; compute runs
//! in order). What remains is strictly increasing on both sides, so the k-th
//! pop of a counter matches its k-th push and every pop follows its push in
//! program order.
//!
//! ```text
//! before:  load wbuf slot0 | matmul slot0 | load wbuf slot0 (next chunk)
//! after:   load +push_next | matmul +pop_prev +push_prev | load +pop_next
//! ```

use crate::lower::deps::{self, qidx, Edge};
use llmfab_isa::instr::{Instr, Nop, Op};
use llmfab_isa::EngineConfig;

/// Runs the pass: returns the program with nops inserted and flags set.
pub fn run(cfg: &EngineConfig, instrs: Vec<Instr>, prov: Vec<u32>) -> (Vec<Instr>, Vec<u32>) {
    let edges = deps::edges(&deps::run(cfg, &instrs));
    let q: Vec<Option<usize>> = instrs.iter().map(qidx).collect();
    // Load↔store edges need a compute nop before their destination, unless
    // implied: a load (store) issues after the earlier ones of its queue,
    // so an edge from a transfer no later than the latest source an
    // earlier destination already waits for adds no order.
    let mut nop_before = vec![false; instrs.len()];
    let mut cross: [Vec<Edge>; 2] = Default::default();
    for e in &edges {
        match (q[e.src as usize], q[e.dst as usize]) {
            (Some(2), Some(0)) => cross[0].push(*e),
            (Some(0), Some(2)) => cross[1].push(*e),
            _ => {}
        }
    }
    for list in cross.iter_mut() {
        list.sort_by_key(|e| (e.dst, std::cmp::Reverse(e.src)));
        list.dedup_by_key(|e| e.dst);
        let mut last: Option<u32> = None;
        for e in list.iter() {
            if last.is_some_and(|l| e.src <= l) {
                continue;
            }
            last = Some(e.src);
            nop_before[e.dst as usize] = true;
        }
    }
    let mut new_index = Vec::with_capacity(instrs.len());
    let mut out = Vec::with_capacity(instrs.len());
    let mut out_prov = Vec::with_capacity(instrs.len());
    for (i, ins) in instrs.into_iter().enumerate() {
        if nop_before[i] {
            out.push(Instr::new(Op::Nop(Nop { queue: 1 })));
            out_prov.push(prov[i]);
        }
        new_index.push(out.len() as u32);
        out.push(ins);
        out_prov.push(prov[i]);
    }
    let mut by_dir: [Vec<Edge>; 4] = Default::default();
    let dir = |a: usize, b: usize| match (a, b) {
        (0, 1) => Some(0), // L→C
        (1, 0) => Some(1), // C→L
        (1, 2) => Some(2), // C→S
        (2, 1) => Some(3), // S→C
        _ => None,
    };
    for e in &edges {
        let (a, b) = (
            q[e.src as usize].unwrap_or(3),
            q[e.dst as usize].unwrap_or(3),
        );
        let (s, d) = (new_index[e.src as usize], new_index[e.dst as usize]);
        if let Some(k) = dir(a, b) {
            by_dir[k].push(Edge { src: s, dst: d });
        } else if nop_before[e.dst as usize] {
            let nop = d - 1;
            if let (Some(k1), Some(k2)) = (dir(a, 1), dir(1, b)) {
                by_dir[k1].push(Edge { src: s, dst: nop });
                by_dir[k2].push(Edge { src: nop, dst: d });
            }
        }
    }
    for (k, list) in by_dir.iter_mut().enumerate() {
        // Latest source per destination, then drop implied edges.
        list.sort_by_key(|e| (e.dst, std::cmp::Reverse(e.src)));
        list.dedup_by_key(|e| e.dst);
        let mut last: Option<u32> = None;
        for e in list.iter() {
            if last.is_some_and(|l| e.src <= l) {
                continue;
            }
            last = Some(e.src);
            let d = e.dst as usize;
            match k {
                0 => {
                    out[e.src as usize].deps.push_next = true;
                    out[d].deps.pop_prev = true;
                }
                1 => {
                    out[e.src as usize].deps.push_prev = true;
                    out[d].deps.pop_next = true;
                }
                2 => {
                    out[e.src as usize].deps.push_next = true;
                    out[d].deps.pop_prev = true;
                }
                _ => {
                    out[e.src as usize].deps.push_prev = true;
                    out[d].deps.pop_next = true;
                }
            }
        }
    }
    (out, out_prov)
}
