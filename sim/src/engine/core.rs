//! The whole engine, cycle by cycle: fetch, dispatch, queues, tokens,
//! executors, DMA engines and memories (the rules of `llmfab_isa::timing`).
//! Quiet cycles — in which no state can change until a memory or a compute
//! unit acts — are skipped, and in a stepped cycle only the channels that
//! are due step: a channel that would change nothing sleeps until its
//! memory's next last beat or a command (docs/sim.md §5).

use super::dma::{ReadEngine, WriteEngine, Xfer};
use super::mem::{MemOut, MemPort};
use super::stall::{blocked, queue_cause, ComputeCause, QueueCause, Sample, Stalls};
use super::{EngineSimError, InstrTime, Timing};
use llmfab_isa::instr::{Instr, Op};
use llmfab_isa::timing::{burst_beats, fetch_fifo_beats, ports};
use llmfab_isa::{EngineConfig, MemTiming};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Token counters: 0 L→C, 1 C→L, 2 C→S, 3 S→C.
const LC: usize = 0;
const CL: usize = 1;
const CS: usize = 2;
const SC: usize = 3;

struct Engine<'a> {
    cfg: &'a EngineConfig,
    prog: &'a [Instr],
    compute: &'a dyn Fn(&Instr) -> u64,
    // fetch
    imem: MemPort,
    f_addr: u64,
    f_left: u64,
    f_out: u64,
    f_credit: u64,
    ififo: u64,
    ipb: u64,
    // dispatch
    next: usize,
    half: u64,
    halted: bool,
    queues: [VecDeque<usize>; 3],
    tokens: [u64; 4],
    // executors
    l_wait: bool,
    s_wait: bool,
    c_run: Option<(usize, u64, u8)>,
    // channels
    mems: Vec<MemPort>,
    rd: Vec<ReadEngine>,
    wr: Vec<WriteEngine>,
    times: Vec<InstrTime>,
    read_beats: Vec<u64>,
    write_beats: Vec<u64>,
    compute_busy: u64,
    // stall causes of the last stepped cycle (a channel's stay until it is
    // stepped again)
    sample: Sample,
    stalls: Stalls,
    // Per channel: the first cycle in which it must be stepped again
    // (`u64::MAX`: quiet until a command), and since when its stall causes
    // in `sample.dma` hold (they are added to `stalls` when they change).
    wake: Vec<u64>,
    since: Vec<u64>,
    // The channels with `wake = t + 1` after cycle `t`; those asleep
    // longer, by wake cycle (an entry is stale once its channel stepped
    // again: `steps` counts each channel's steps); the cycle each channel
    // last stepped; a scratch list.
    due_next: Vec<usize>,
    later: BinaryHeap<Reverse<(u64, usize, u64)>>,
    steps: Vec<u64>,
    stepped: Vec<u64>,
    list: Vec<usize>,
    // The channels' engines at the start of the cycle: busy flags and held
    // ports, with their counts (kept up to date as channels step).
    rd_busy: Vec<bool>,
    wr_busy: Vec<bool>,
    hold: Vec<u8>,
    n_rd_busy: usize,
    n_wr_busy: usize,
    n_hold: [u32; 8],
    dma_hold: u8,
}

fn xfer(ins: &Instr, index: usize) -> Option<(usize, Xfer)> {
    let (ch, rows, row_bytes, hbm_addr, hbm_stride, buf, store) = match ins.op {
        Op::Load(x) => (
            x.ch,
            x.rows,
            x.row_bytes,
            x.hbm_addr,
            x.hbm_stride,
            x.buf,
            false,
        ),
        Op::Store(x) => (
            x.ch,
            x.rows,
            x.row_bytes,
            x.hbm_addr,
            x.hbm_stride,
            x.buf,
            true,
        ),
        _ => return None,
    };
    use llmfab_isa::timing::port::*;
    let need = match (buf, store) {
        (0, false) => ABUF_W,
        (0, true) => ABUF_R,
        (2, false) => KV_W,
        (2, true) => KV_R,
        _ => 0,
    };
    Some((
        ch as usize,
        Xfer {
            rows: rows.max(1),
            row_bytes,
            hbm_addr,
            hbm_stride,
            need,
            index,
        },
    ))
}

impl<'a> Engine<'a> {
    fn new(
        cfg: &'a EngineConfig,
        mem: &MemTiming,
        prog: &'a [Instr],
        compute: &'a dyn Fn(&Instr) -> u64,
    ) -> Self {
        let ch = cfg.channels as usize;
        let ipb = cfg.beat_bytes() / 32;
        let beats = (prog.len() as u64).div_ceil(ipb);
        Engine {
            cfg,
            prog,
            compute,
            imem: MemPort::new(mem, true),
            f_addr: 0,
            f_left: beats,
            f_out: 0,
            f_credit: fetch_fifo_beats(cfg),
            ififo: 0,
            ipb,
            next: 0,
            half: 0,
            halted: false,
            queues: Default::default(),
            tokens: [0; 4],
            l_wait: false,
            s_wait: false,
            c_run: None,
            mems: vec![MemPort::new(mem, false); ch],
            rd: vec![ReadEngine::default(); ch],
            wr: vec![WriteEngine::default(); ch],
            times: vec![InstrTime::default(); prog.len()],
            read_beats: vec![0; ch],
            write_beats: vec![0; ch],
            compute_busy: 0,
            sample: Sample::new(ch),
            stalls: Stalls::new(ch),
            wake: vec![u64::MAX; ch],
            since: vec![0; ch],
            due_next: Vec::with_capacity(ch),
            later: BinaryHeap::with_capacity(2 * ch),
            steps: vec![0; ch],
            stepped: vec![0; ch],
            list: Vec::with_capacity(ch + 2),
            rd_busy: vec![false; ch],
            wr_busy: vec![false; ch],
            hold: vec![0; ch],
            n_rd_busy: 0,
            n_wr_busy: 0,
            n_hold: [0; 8],
            dma_hold: 0,
        }
    }

    /// Channel `c`'s stall causes from cycle `t` on.
    fn set_dma(&mut self, c: usize, code: (u8, u8), t: u64) {
        let old = self.sample.dma[c];
        if old != code {
            self.stalls.add_channel(c, old, t - self.since[c]);
            self.sample.dma[c] = code;
            self.since[c] = t;
        }
    }

    /// Updates the aggregates after channel `c`'s engines stepped.
    fn refresh(&mut self, c: usize) {
        let rb = self.rd[c].busy();
        if rb != self.rd_busy[c] {
            self.rd_busy[c] = rb;
            if rb {
                self.n_rd_busy += 1;
            } else {
                self.n_rd_busy -= 1;
            }
        }
        let wb = self.wr[c].busy();
        if wb != self.wr_busy[c] {
            self.wr_busy[c] = wb;
            if wb {
                self.n_wr_busy += 1;
            } else {
                self.n_wr_busy -= 1;
            }
        }
        let h = self.rd[c].hold() | self.wr[c].hold();
        let old = self.hold[c];
        if h != old {
            self.hold[c] = h;
            for (bit, n) in self.n_hold.iter_mut().enumerate() {
                let m = 1u8 << bit;
                if old & m != 0 {
                    *n -= 1;
                }
                if h & m != 0 {
                    *n += 1;
                }
            }
            self.dma_hold =
                self.n_hold
                    .iter()
                    .enumerate()
                    .fold(0, |a, (bit, &n)| if n > 0 { a | 1u8 << bit } else { a });
        }
    }

    fn idle(&self) -> bool {
        self.next == self.prog.len()
            && self.queues.iter().all(|q| q.is_empty())
            && !self.l_wait
            && !self.s_wait
            && self.c_run.is_none()
            && self.n_rd_busy == 0
            && self.n_wr_busy == 0
            && self.f_left == 0
            && self.f_out == 0
    }

    /// Steps channel `c` in cycle `t` (`rcmd`/`wcmd` the commands it
    /// receives, `claim` the compute executor's port claim); sets
    /// `wake[c]`; returns whether any state changed.
    fn step_channel(
        &mut self,
        c: usize,
        t: u64,
        rcmd: Option<Xfer>,
        wcmd: Option<Xfer>,
        claim: u8,
    ) -> bool {
        let cfg = self.cfg;
        let mut changed = false;
        // A quiet side (no command, engine and memory side empty) can
        // neither act nor change: skip it (exactly as stepping it).
        let r_on = rcmd.is_some() || !self.rd[c].quiet() || !self.mems[c].read_quiet();
        let w_on = wcmd.is_some() || !self.wr[c].quiet() || !self.mems[c].write_quiet();
        if !r_on && !w_on {
            self.set_dma(c, (0, 0), t);
            self.wake[c] = u64::MAX; // until a command
            return false;
        }
        let mo: MemOut = self.mems[c].outputs(t);
        // Reading between two last beats with nothing to present (at the
        // outstanding limit, or all bursts issued) and the write side
        // quiet: nothing moves on this channel either.
        if !w_on && rcmd.is_none() && !mo.rlast {
            if let Some(code) = self.rd[c].walk.waiting(self.rd[c].out(), cfg) {
                self.set_dma(c, (code, 0), t);
                // until the next last beat (or a command)
                self.wake[c] = self.mems[c].wakeup(t).unwrap_or(t + 1);
                return false;
            }
        }
        let (rburst, rblock) = if r_on {
            let out = self.rd[c].out();
            (
                self.rd[c].walk.present(out, claim, cfg),
                self.rd[c].walk.blocked(out, claim, cfg),
            )
        } else {
            (None, 0)
        };
        let (wburst, wblock, wvalid) = if w_on {
            let out = self.wr[c].out();
            (
                self.wr[c].walk.present(out, claim, cfg),
                self.wr[c].walk.blocked(out, claim, cfg),
                self.wr[c].wvalid(),
            )
        } else {
            (None, 0, false)
        };
        self.set_dma(c, (rblock, wblock), t);
        let wmove = mo.wready && wvalid;
        if mo.rlast
            || mo.bvalid
            || wmove
            || rburst.is_some()
            || wburst.is_some()
            || rcmd.is_some()
            || wcmd.is_some()
            || (r_on && self.rd[c].walk.moving())
            || (w_on && (self.wr[c].walk.moving() || self.wr[c].streaming()))
        {
            changed = true;
        }
        if r_on {
            if let Some(i) = self.rd[c].update(rburst, mo.rbeat && mo.rlast, rcmd, cfg) {
                self.times[i].done = t;
            }
        }
        if w_on {
            if let Some(i) = self.wr[c].update(wburst, wmove, mo.bvalid, wcmd, cfg) {
                self.times[i].done = t;
            }
        }
        self.mems[c].update(
            t,
            mo,
            rburst.map(|b| {
                self.read_beats[c] += b.beats;
                b.beats
            }),
            wburst.map(|b| {
                self.write_beats[c] += b.beats;
                b.beats
            }),
            wvalid,
        );
        self.refresh(c);
        self.wake[c] = t + 1;
        changed
    }

    /// One cycle; returns whether any state changed.
    fn step(&mut self, t: u64) -> Result<bool, EngineSimError> {
        let cfg = self.cfg;
        let qd = cfg.queue_depth as usize;
        let mut changed = false;
        // ---- start-of-cycle decisions ----
        let avail: [bool; 4] = [0, 1, 2, 3].map(|i| self.tokens[i] > 0);
        let mut inc = [0u64; 4];
        let mut dec = [0u64; 4];
        // compute executor (first: its claim steers the DMA engines)
        let dma_hold: u8 = self.dma_hold;
        let mut claim = self.c_run.map_or(0, |(_, _, need)| need);
        let mut c_pop = false;
        let mut c_start: Option<(usize, u64, u8)> = None;
        let mut c_fin = false;
        self.sample.compute = if self.queues[1].is_empty() {
            ComputeCause::Empty
        } else {
            ComputeCause::None
        };
        if let Some((i, done_at, _)) = self.c_run {
            self.sample.compute = ComputeCause::None;
            if t == done_at {
                c_fin = true;
                let d = self.prog[i].deps;
                inc[CL] += d.push_prev as u64;
                inc[CS] += d.push_next as u64;
                self.times[i].done = t;
            }
        } else if let Some(&i) = self.queues[1].front() {
            let ins = &self.prog[i];
            let d = ins.deps;
            let nop = matches!(ins.op, Op::Nop(_));
            let need = ports(ins);
            self.sample.compute = if d.pop_prev && !avail[LC] {
                ComputeCause::LoadToken
            } else if d.pop_next && !avail[SC] {
                ComputeCause::StoreToken
            } else if !nop && need & dma_hold != 0 {
                ComputeCause::Port
            } else {
                ComputeCause::None
            };
            if (!d.pop_prev || avail[LC])
                && (!d.pop_next || avail[SC])
                && (nop || need & dma_hold == 0)
            {
                c_pop = true;
                dec[LC] += d.pop_prev as u64;
                dec[SC] += d.pop_next as u64;
                self.times[i].issue = t;
                if nop {
                    inc[CL] += d.push_prev as u64;
                    inc[CS] += d.push_next as u64;
                    self.times[i].done = t;
                } else {
                    let c = (self.compute)(ins).max(1);
                    c_start = Some((i, t + c, need));
                    self.compute_busy += c;
                    claim = need;
                }
            }
        }
        // load / store executors
        let rd_idle = self.n_rd_busy == 0;
        let wr_idle = self.n_wr_busy == 0;
        let mut rd_cmd: Option<(usize, Xfer)> = None;
        let mut wr_cmd: Option<(usize, Xfer)> = None;
        let mut l_pop = false;
        let mut s_pop = false;
        let (mut l_wait, mut s_wait) = (self.l_wait, self.s_wait);
        self.sample.load = queue_cause(self.l_wait, self.queues[0].is_empty());
        self.sample.store = queue_cause(self.s_wait, self.queues[2].is_empty());
        if self.l_wait {
            if rd_idle {
                self.sample.load = QueueCause::None;
                inc[LC] += 1;
                l_wait = false;
            }
        } else if let Some(&i) = self.queues[0].front() {
            let ins = &self.prog[i];
            let x = xfer(ins, i);
            let ch_ready = x
                .as_ref()
                .map(|(c, _)| self.rd.get(*c).is_some_and(|e| e.walk.ready()))
                .unwrap_or(true);
            self.sample.load = blocked(ins.deps.pop_next && !avail[CL], ch_ready);
            if (!ins.deps.pop_next || avail[CL]) && ch_ready {
                l_pop = true;
                dec[CL] += ins.deps.pop_next as u64;
                rd_cmd = x;
                l_wait = ins.deps.push_next;
                self.times[i].issue = t;
                self.times[i].done = t;
            }
        }
        if self.s_wait {
            if wr_idle {
                self.sample.store = QueueCause::None;
                inc[SC] += 1;
                s_wait = false;
            }
        } else if let Some(&i) = self.queues[2].front() {
            let ins = &self.prog[i];
            let x = xfer(ins, i);
            let ch_ready = x
                .as_ref()
                .map(|(c, _)| self.wr.get(*c).is_some_and(|e| e.walk.ready()))
                .unwrap_or(true);
            self.sample.store = blocked(ins.deps.pop_prev && !avail[CS], ch_ready);
            if (!ins.deps.pop_prev || avail[CS]) && ch_ready {
                s_pop = true;
                dec[CS] += ins.deps.pop_prev as u64;
                wr_cmd = x;
                s_wait = ins.deps.push_prev;
                self.times[i].issue = t;
                self.times[i].done = t;
            }
        }
        // dispatch
        let mut disp: Option<(Option<usize>, bool)> = None; // (queue, beat_pop)
        self.sample.dispatch_full = None;
        self.sample.dispatch_starved = self.next < self.prog.len() && self.ififo == 0;
        if self.next < self.prog.len() && self.ififo > 0 {
            let ins = &self.prog[self.next];
            let target = if self.halted || matches!(ins.op, Op::Halt(_)) {
                None
            } else {
                Some(match ins.queue() {
                    llmfab_isa::Queue::Load => 0,
                    llmfab_isa::Queue::Store => 2,
                    _ => 1,
                })
            };
            if let Some(q) = target.filter(|&q| self.queues[q].len() >= qd) {
                self.sample.dispatch_full = Some(q);
            } else {
                disp = Some((
                    target,
                    self.half + 1 == self.ipb || self.next + 1 == self.prog.len(),
                ));
            }
        }
        // fetch and its memory
        let im = self.imem.outputs(t);
        let mut f_fire: Option<u64> = None;
        if self.f_left > 0 && self.f_out < cfg.max_outstanding as u64 {
            let n = burst_beats(self.f_addr, self.f_left, cfg);
            if self.f_credit >= n {
                f_fire = Some(n);
            }
        }
        // DMA engines and their memories: the channels due in this cycle
        // (the others are asleep: stepping them would change nothing) and
        // those receiving a command
        let ch = cfg.channels as usize;
        let mut list = std::mem::take(&mut self.list);
        list.clear();
        std::mem::swap(&mut list, &mut self.due_next);
        while let Some(&Reverse((w, c, n))) = self.later.peek() {
            if w > t {
                break;
            }
            self.later.pop();
            if self.steps[c] == n {
                list.push(c);
            }
        }
        for c in [rd_cmd.map(|(c, _)| c), wr_cmd.map(|(c, _)| c)]
            .into_iter()
            .flatten()
        {
            if c < ch {
                list.push(c);
            }
        }
        for &c in &list {
            if self.stepped[c] == t {
                continue;
            }
            self.stepped[c] = t;
            self.steps[c] += 1;
            let rcmd = rd_cmd.filter(|(cc, _)| *cc == c).map(|(_, x)| x);
            let wcmd = wr_cmd.filter(|(cc, _)| *cc == c).map(|(_, x)| x);
            changed |= self.step_channel(c, t, rcmd, wcmd, claim);
            let w = self.wake[c];
            if w == t + 1 {
                self.due_next.push(c);
            } else if w != u64::MAX {
                self.later.push(Reverse((w, c, self.steps[c])));
            }
        }
        self.list = list;
        if rd_cmd.is_some_and(|(c, _)| c >= ch) || wr_cmd.is_some_and(|(c, _)| c >= ch) {
            return Err(EngineSimError::Channel { cycle: t });
        }
        // ---- end of cycle: apply ----
        if im.rbeat {
            self.ififo += 1;
            if im.rlast {
                self.f_out -= 1;
            }
            changed = true;
        }
        if let Some(n) = f_fire {
            self.f_addr += n * cfg.beat_bytes();
            self.f_left -= n;
            self.f_out += 1;
            self.f_credit -= n;
            changed = true;
        }
        self.imem.update(t, im, f_fire, None, false);
        if let Some((target, beat_pop)) = disp {
            if matches!(self.prog[self.next].op, Op::Halt(_)) {
                self.halted = true;
            }
            if let Some(q) = target {
                self.queues[q].push_back(self.next);
            }
            if beat_pop {
                self.f_credit += 1;
                self.ififo -= 1;
                self.half = 0;
            } else {
                self.half += 1;
            }
            self.next += 1;
            changed = true;
        }
        if l_pop {
            self.queues[0].pop_front();
        }
        if s_pop {
            self.queues[2].pop_front();
        }
        if c_pop {
            self.queues[1].pop_front();
        }
        if let Some(r) = c_start {
            self.c_run = Some(r);
        }
        if c_fin {
            self.c_run = None;
        }
        changed |=
            l_pop || s_pop || c_pop || c_fin || l_wait != self.l_wait || s_wait != self.s_wait;
        self.l_wait = l_wait;
        self.s_wait = s_wait;
        for k in 0..4 {
            if inc[k] + dec[k] > 0 {
                changed = true;
            }
            self.tokens[k] =
                (self.tokens[k] + inc[k])
                    .checked_sub(dec[k])
                    .ok_or(EngineSimError::Token {
                        cycle: t,
                        counter: k,
                    })?;
        }
        Ok(changed)
    }

    fn wakeup(&mut self, t: u64) -> Option<u64> {
        let mut w = self.imem.wakeup(t);
        let mut at = |x: u64| w = Some(w.map_or(x, |y: u64| y.min(x)));
        // Channels stepped in cycle `t` that stay due: their memories'
        // next events. Asleep ones: their wake cycle, which is their
        // memory's next event. Quiet ones: none.
        for &c in &self.due_next {
            if let Some(x) = self.mems[c].wakeup(t) {
                at(x);
            }
        }
        while let Some(&Reverse((x, c, n))) = self.later.peek() {
            if self.steps[c] == n {
                at(x);
                break;
            }
            self.later.pop(); // stale
        }
        if let Some((_, done_at, _)) = self.c_run {
            if done_at > t {
                w = Some(w.map_or(done_at, |y| y.min(done_at)));
            }
        }
        w
    }
}

/// Runs `prog` from the engine's `start` (cycle 0) to `done`.
pub fn run(
    cfg: &EngineConfig,
    mem: &MemTiming,
    prog: &[Instr],
    compute: &dyn Fn(&Instr) -> u64,
    max_cycles: u64,
) -> Result<Timing, EngineSimError> {
    let mut e = Engine::new(cfg, mem, prog, compute);
    let mut t = 1u64;
    let mut skipped = 0u64;
    loop {
        if e.idle() {
            let mut stalls = e.stalls;
            for (c, &code) in e.sample.dma.iter().enumerate() {
                stalls.add_channel(c, code, t - e.since[c]);
            }
            return Ok(Timing {
                cycles: t,
                instrs: e.times,
                skipped,
                read_beats: e.read_beats,
                write_beats: e.write_beats,
                compute_busy: e.compute_busy,
                stalls,
            });
        }
        if t > max_cycles {
            return Err(EngineSimError::Timeout { cycles: max_cycles });
        }
        let changed = e.step(t)?;
        if changed {
            e.stalls.add(&e.sample, 1);
            t += 1;
        } else {
            match e.wakeup(t) {
                Some(w) => {
                    // The cycles up to `w` repeat cycle `t`'s state.
                    e.stalls.add(&e.sample, w - t);
                    skipped += w - t - 1;
                    t = w;
                }
                None => return Err(EngineSimError::Deadlock { cycle: t }),
            }
        }
    }
}
