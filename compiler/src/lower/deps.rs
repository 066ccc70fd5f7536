//! Analysis `deps`: the cross-queue dependencies of a program in program
//! order (RAW, WAR and WAW on every buffer and memory channel), found from
//! the instruction footprints with one interval map per space. Each map
//! segment remembers its last writer and, per queue, its last reader.
//! Same-queue pairs need no edge (compute runs in order; the race verifier
//! checks the load and store queues).

use crate::lower::footprint::{self, Space};
use llmfab_isa::instr::{Buf, Instr, Queue};
use llmfab_isa::EngineConfig;
use std::collections::BTreeMap;

/// `dst` must not start before `src` has finished (`src < dst` in program order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// Earlier instruction.
    pub src: u32,
    /// Later instruction.
    pub dst: u32,
}

/// Queue index: load 0, compute 1, store 2 (`None` for the dispatcher).
pub fn qidx(ins: &Instr) -> Option<usize> {
    match ins.queue() {
        Queue::Load => Some(0),
        Queue::Compute => Some(1),
        Queue::Store => Some(2),
        Queue::Control => None,
    }
}

#[derive(Clone, Copy, Debug)]
struct Seg {
    end: u64,
    writer: Option<u32>,
    readers: [Option<u32>; 3],
}

/// No source.
pub const NONE: u32 = u32::MAX;

fn latest(out: &mut [u32; 3], q: usize, src: u32) {
    if out[q] == NONE || src > out[q] {
        out[q] = src;
    }
}

#[derive(Default)]
struct IMap {
    m: BTreeMap<u64, Seg>,
}

impl IMap {
    fn split(&mut self, at: u64) {
        let hit = self.m.range(..at).next_back().map(|(s, seg)| (*s, *seg));
        if let Some((s, seg)) = hit {
            if seg.end > at {
                self.m.get_mut(&s).expect("segment").end = at;
                self.m.insert(at, seg);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn access(
        &mut self,
        lo: u64,
        hi: u64,
        idx: u32,
        q: usize,
        write: bool,
        queue_of: &[u8],
        out: &mut [u32; 3],
        gaps: &mut Vec<(u64, u64)>,
    ) {
        if hi <= lo {
            return;
        }
        self.split(lo);
        self.split(hi);
        gaps.clear();
        let mut cur = lo;
        for (&k, seg) in self.m.range_mut(lo..hi) {
            if k > cur {
                gaps.push((cur, k));
            }
            if let Some(w) = seg.writer {
                let wq = queue_of[w as usize] as usize;
                if wq != q {
                    latest(out, wq, w);
                }
            }
            if write {
                for (qq, r) in seg.readers.iter().enumerate() {
                    if let (true, Some(r)) = (qq != q, r) {
                        latest(out, qq, *r);
                    }
                }
                seg.writer = Some(idx);
                seg.readers = [None; 3];
            } else {
                seg.readers[q] = Some(idx);
            }
            cur = seg.end;
        }
        if cur < hi {
            gaps.push((cur, hi));
        }
        for &(s, e) in gaps.iter() {
            let mut seg = Seg {
                end: e,
                writer: None,
                readers: [None; 3],
            };
            if write {
                seg.writer = Some(idx);
            } else {
                seg.readers[q] = Some(idx);
            }
            self.m.insert(s, seg);
        }
    }
}

/// For every instruction, the latest earlier instruction of each other
/// queue it must wait for ([`NONE`] when none): the cross-queue edges with
/// only the latest source per queue kept (an earlier source of the same
/// queue is implied: compute runs in order, and a pushing load or store
/// waits for every earlier transfer of its queue).
pub fn run(cfg: &EngineConfig, instrs: &[Instr]) -> Vec<[u32; 3]> {
    let queue_of: Vec<u8> = instrs.iter().map(|i| qidx(i).unwrap_or(3) as u8).collect();
    let mut maps: Vec<IMap> = (0..5 + cfg.channels as usize)
        .map(|_| IMap::default())
        .collect();
    let mut gaps = Vec::new();
    let mut out = vec![[NONE; 3]; instrs.len()];
    let tile = cfg.tile_bytes();
    // KV rows are grouped by channel count: a window fill's per-channel
    // loads then cover one range.
    let kv_group = cfg.channels as u64 * cfg.kv_row_bytes as u64;
    for (i, ins) in instrs.iter().enumerate() {
        let Some(q) = qidx(ins) else { continue };
        let fp = footprint::of(cfg, ins);
        // Reads before writes: an instruction reading and writing the same
        // bytes (in-place SFU ops) depends on the earlier writer either way.
        for a in fp
            .iter()
            .filter(|a| !a.write)
            .chain(fp.iter().filter(|a| a.write))
        {
            // Coarse ranges are supersets: whole weight-buffer rows (every
            // channel's slice of a row is one range), whole groups of
            // `channels` KV rows.
            let (lo, hi) = match a.space {
                Space::Buf(Buf::Wbuf) => (a.lo / tile * tile, a.hi().div_ceil(tile) * tile),
                Space::Buf(Buf::Kvbuf) => (
                    a.lo / kv_group * kv_group,
                    a.hi().div_ceil(kv_group) * kv_group,
                ),
                _ => (a.lo, a.hi()),
            };
            let sp = match a.space {
                Space::Buf(b) => b as usize,
                Space::Hbm(ch) => 5 + ch as usize,
            };
            if let Some(m) = maps.get_mut(sp) {
                m.access(
                    lo,
                    hi,
                    i as u32,
                    q,
                    a.write,
                    &queue_of,
                    &mut out[i],
                    &mut gaps,
                );
            }
        }
    }
    out
}

/// The edges of [`run`]'s result (for inspection and tests).
pub fn edges(latest: &[[u32; 3]]) -> Vec<Edge> {
    let mut e = Vec::new();
    for (dst, srcs) in latest.iter().enumerate() {
        for &s in srcs.iter().filter(|s| **s != NONE) {
            e.push(Edge {
                src: s,
                dst: dst as u32,
            });
        }
    }
    e
}
