//! The iteration-level scheduler of one engine, after vLLM's:
//!
//! - **Continuous** (vLLM's default before chunked prefill): waiting
//!   requests are admitted first-come first-served while the token budget,
//!   the sequence limit and free KV blocks (less a 1% watermark) allow; if
//!   any was admitted the iteration prefills them, otherwise every running
//!   request decodes one token. A decode that needs a new KV block when none
//!   is free preempts the most recently admitted request, which frees its
//!   blocks and is later recomputed (prompt plus tokens generated so far).
//! - **Chunked**: decodes first (one token each, with the same
//!   preemption), then partly prefilled requests and waiting ones take
//!   prompt chunks from what is left of the token budget.
//! - **Static**: when the engine is idle, up to `max_seqs` waiting requests
//!   form a batch padded to its longest prompt and longest output; it runs
//!   to the end without admitting anyone.
//!
//! A request needs KV for `prompt + generated` tokens before it emits its
//! next token; `computed` of them are cached. Decoding is the case where
//! exactly one is missing.

use super::error::ClusterError;
use super::model::{BatchShape, ServeConfig};
use super::plan::Batching;
use std::collections::VecDeque;

/// State of one request inside an engine.
#[derive(Clone, Debug, PartialEq)]
pub struct ReqState {
    /// Index in the workload.
    pub id: u32,
    /// Prompt tokens.
    pub prompt: u32,
    /// Tokens to generate here in total.
    pub output: u32,
    /// Tokens generated so far.
    pub generated: u32,
    /// Tokens whose KV is cached.
    pub computed: u32,
    /// KV blocks held.
    pub blocks: u32,
    /// First token time.
    pub first_token_s: Option<f64>,
    /// Last token time (arrival time before any).
    pub last_token_s: f64,
    /// Completion time.
    pub done_s: Option<f64>,
    /// Times preempted.
    pub preemptions: u32,
}

impl ReqState {
    /// A request that has generated `generated` tokens elsewhere (their KV
    /// arriving with it).
    pub fn new(
        id: u32,
        prompt: u32,
        output: u32,
        generated: u32,
        arrival_s: f64,
        last_token_s: f64,
    ) -> Self {
        let computed = if generated > 0 {
            prompt + generated - 1
        } else {
            0
        };
        ReqState {
            id,
            prompt,
            output: output.max(generated + 1),
            generated,
            computed,
            blocks: 0,
            first_token_s: None,
            last_token_s: last_token_s.max(arrival_s),
            done_s: None,
            preemptions: 0,
        }
    }

    /// Tokens to compute before the next token is emitted.
    pub fn need(&self) -> u32 {
        self.prompt + self.generated - self.computed
    }

    /// True when the next step is a decode (one token, KV cached).
    pub fn decoding(&self) -> bool {
        self.computed > 0 && self.need() == 1
    }
}

/// A static batch in flight.
#[derive(Clone, Debug, PartialEq)]
struct StaticBatch {
    members: Vec<usize>,
    max_prompt: u32,
    max_output: u32,
    step: u32,
}

/// One engine's queues and KV blocks.
#[derive(Clone, Debug)]
pub struct Engine {
    /// Waiting requests (indices into the state table), in order.
    pub waiting: VecDeque<usize>,
    /// Running requests, in admission order.
    pub running: Vec<usize>,
    /// Free KV blocks.
    pub free_blocks: u32,
    /// All KV blocks.
    pub total_blocks: u32,
    /// When the engine can start its next iteration.
    pub ready_s: f64,
    batch: Option<StaticBatch>,
}

/// One iteration: its shape and the requests that emit a token at its end.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// What the cost model prices.
    pub shape: BatchShape,
    /// Requests emitting a token.
    pub emit: Vec<usize>,
}

impl Engine {
    /// An idle engine with `blocks` KV blocks.
    pub fn new(blocks: u32) -> Engine {
        Engine {
            waiting: VecDeque::new(),
            running: Vec::new(),
            free_blocks: blocks,
            total_blocks: blocks,
            ready_s: 0.0,
            batch: None,
        }
    }

    /// True when it has anything to do.
    pub fn has_work(&self) -> bool {
        !self.waiting.is_empty() || !self.running.is_empty() || self.batch.is_some()
    }

    /// Requests waiting or running.
    pub fn load(&self) -> usize {
        self.waiting.len() + self.running.len() + self.batch.as_ref().map_or(0, |b| b.members.len())
    }

    /// Blocks in use.
    pub fn used_blocks(&self) -> u32 {
        self.total_blocks - self.free_blocks
    }

    /// Takes blocks so request `r` holds enough for `tokens` tokens.
    fn grow(&mut self, r: &mut ReqState, tokens: u32, bs: u32, reserve: u32) -> bool {
        let want = tokens.div_ceil(bs);
        let extra = want.saturating_sub(r.blocks);
        if extra + reserve > self.free_blocks {
            return false;
        }
        self.free_blocks -= extra;
        r.blocks += extra;
        true
    }

    fn release(&mut self, r: &mut ReqState) {
        self.free_blocks += r.blocks;
        r.blocks = 0;
    }

    /// A request finished: free its blocks (continuous batching; a static
    /// batch frees everything when it ends).
    pub fn finish(&mut self, i: usize, states: &mut [ReqState]) {
        if self.batch.is_some() {
            return;
        }
        if let Some(pos) = self.running.iter().position(|&j| j == i) {
            self.running.remove(pos);
        }
        let r = &mut states[i];
        self.free_blocks += r.blocks;
        r.blocks = 0;
    }

    /// Preempts the last running request (recompute); returns it.
    fn preempt_last(&mut self, states: &mut [ReqState]) -> Option<usize> {
        let v = self.running.pop()?;
        let r = &mut states[v];
        self.release(r);
        r.computed = 0;
        r.preemptions += 1;
        self.waiting.push_front(v);
        Some(v)
    }
}

/// Plans the next iteration of `e` (None when it has nothing it can run).
pub fn schedule(
    e: &mut Engine,
    states: &mut [ReqState],
    serve: &ServeConfig,
    batching: Batching,
) -> Result<Option<Step>, ClusterError> {
    match batching {
        Batching::Static => Ok(schedule_static(e, states, serve)),
        Batching::Continuous => Ok(schedule_continuous(e, states, serve, false)),
        Batching::Chunked => Ok(schedule_continuous(e, states, serve, true)),
    }
}

/// Adds one decoding request to the step, preempting from the back of the
/// running list while it cannot get a block. Returns false if it was itself preempted.
fn add_decode(
    e: &mut Engine,
    states: &mut [ReqState],
    i: usize,
    bs: u32,
    shape: &mut BatchShape,
) -> bool {
    loop {
        let tokens = states[i].computed + 1;
        if e.grow(&mut states[i], tokens, bs, 0) {
            break;
        }
        match e.preempt_last(states) {
            Some(v) if v == i => return false,
            Some(_) => continue,
            None => return false,
        }
    }
    shape.tokens += 1;
    shape.decodes += 1;
    shape.decode_kv += states[i].computed as u64 + 1;
    true
}

fn schedule_continuous(
    e: &mut Engine,
    states: &mut [ReqState],
    serve: &ServeConfig,
    chunked: bool,
) -> Option<Step> {
    let bs = serve.block_size.max(1);
    let watermark = e.total_blocks / 100;
    let max_seqs = serve.max_seqs.max(1) as usize;
    let budget = serve.max_tokens.max(1) as u64;
    let mut shape = BatchShape::default();
    let mut work: Vec<(usize, u32)> = Vec::new(); // (request, tokens scheduled)
    if !chunked {
        // Admit waiting requests; prefill them if any need it.
        let mut prefills = Vec::new();
        while let Some(&i) = e.waiting.front() {
            if e.running.len() >= max_seqs {
                break;
            }
            let need = states[i].need();
            let prefill = !states[i].decoding();
            if prefill && !prefills.is_empty() && shape.tokens + need as u64 > budget {
                break;
            }
            let target = states[i].computed + need;
            if !e.grow(
                &mut states[i],
                target,
                bs,
                if prefill { watermark } else { 0 },
            ) {
                break;
            }
            e.waiting.pop_front();
            e.running.push(i);
            if prefill {
                shape.tokens += need as u64;
                prefills.push((i, need));
            }
        }
        if !prefills.is_empty() {
            for &(i, need) in &prefills {
                shape
                    .prefills
                    .push((need as u64, (states[i].computed + need) as u64));
            }
            work = prefills;
        } else {
            let mut k = 0;
            while k < e.running.len() {
                let i = e.running[k];
                if add_decode(e, states, i, bs, &mut shape) {
                    work.push((i, 1));
                    k += 1;
                }
            }
        }
    } else {
        let mut left = budget;
        // 1. Decodes.
        let mut k = 0;
        while k < e.running.len() {
            let i = e.running[k];
            if states[i].decoding() {
                if left == 0 {
                    break;
                }
                if !add_decode(e, states, i, bs, &mut shape) {
                    continue;
                }
                work.push((i, 1));
                left -= 1;
            }
            k += 1;
        }
        // 2. Partly prefilled running requests, then 3. waiting ones.
        let partial: Vec<usize> = e
            .running
            .iter()
            .copied()
            .filter(|&i| !states[i].decoding())
            .collect();
        for i in partial {
            if left == 0 {
                break;
            }
            let chunk = (states[i].need() as u64).min(left) as u32;
            let tokens = states[i].computed + chunk;
            if e.grow(&mut states[i], tokens, bs, 0) {
                shape.tokens += chunk as u64;
                shape.prefills.push((chunk as u64, tokens as u64));
                work.push((i, chunk));
                left -= chunk as u64;
            }
        }
        while let Some(&i) = e.waiting.front() {
            if e.running.len() >= max_seqs {
                break;
            }
            let decoding = states[i].decoding();
            if !decoding && left == 0 {
                break;
            }
            let chunk = if decoding {
                1
            } else {
                (states[i].need() as u64).min(left) as u32
            };
            let tokens = states[i].computed + chunk;
            if !e.grow(
                &mut states[i],
                tokens,
                bs,
                if decoding { 0 } else { watermark },
            ) {
                break;
            }
            e.waiting.pop_front();
            e.running.push(i);
            if decoding {
                if left == 0 {
                    continue;
                }
                shape.tokens += 1;
                shape.decodes += 1;
                shape.decode_kv += tokens as u64;
            } else {
                shape.tokens += chunk as u64;
                shape.prefills.push((chunk as u64, tokens as u64));
            }
            work.push((i, chunk));
            left -= chunk as u64;
        }
    }
    if work.is_empty() {
        return None;
    }
    let mut emit = Vec::new();
    for (i, n) in work {
        let r = &mut states[i];
        r.computed += n;
        if r.need() == 0 {
            emit.push(i);
        }
    }
    shape.logits = emit.len() as u64;
    Some(Step { shape, emit })
}

fn schedule_static(e: &mut Engine, states: &mut [ReqState], serve: &ServeConfig) -> Option<Step> {
    let bs = serve.block_size.max(1);
    if e.batch.is_none() {
        let (mut maxp, mut maxo) = (0u32, 0u32);
        let mut members = Vec::new();
        while let Some(&i) = e.waiting.front() {
            if members.len() >= serve.max_seqs.max(1) as usize {
                break;
            }
            let r = &states[i];
            let (p, o) = (
                maxp.max(r.prompt + r.generated),
                maxo.max(r.output - r.generated),
            );
            let blocks = (members.len() as u32 + 1) * (p + o).div_ceil(bs);
            if blocks > e.total_blocks && !members.is_empty() {
                break;
            }
            (maxp, maxo) = (p, o);
            members.push(i);
            e.waiting.pop_front();
        }
        if members.is_empty() {
            return None;
        }
        let blocks = (members.len() as u32 * (maxp + maxo).div_ceil(bs)).min(e.total_blocks);
        e.free_blocks = e.total_blocks - blocks;
        e.batch = Some(StaticBatch {
            members,
            max_prompt: maxp,
            max_output: maxo,
            step: 0,
        });
    }
    let b = e.batch.as_mut()?;
    let n = b.members.len() as u64;
    let mut shape = BatchShape::default();
    if b.step == 0 {
        shape.tokens = n * b.max_prompt as u64;
        shape.prefills = vec![(b.max_prompt as u64, b.max_prompt as u64); n as usize];
    } else {
        shape.tokens = n;
        shape.decodes = n;
        shape.decode_kv = n * (b.max_prompt + b.step) as u64;
    }
    shape.logits = n;
    let emit: Vec<usize> = b
        .members
        .iter()
        .copied()
        .filter(|&i| states[i].generated < states[i].output)
        .collect();
    b.step += 1;
    if b.step >= b.max_output {
        e.batch = None;
        e.free_blocks = e.total_blocks;
    }
    Some(Step { shape, emit })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve() -> ServeConfig {
        ServeConfig {
            max_seqs: 8,
            max_tokens: 64,
            block_size: 4,
            mem_util: 0.9,
        }
    }

    #[test]
    fn continuous_prefills_then_decodes() {
        let mut st = vec![
            ReqState::new(0, 10, 3, 0, 0.0, 0.0),
            ReqState::new(1, 6, 2, 0, 0.0, 0.0),
        ];
        let mut e = Engine::new(100);
        e.waiting.extend([0, 1]);
        let s = schedule(&mut e, &mut st, &serve(), Batching::Continuous)
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.shape.tokens, s.shape.prefills.len(), s.emit.len()),
            (16, 2, 2)
        );
        for &i in &s.emit {
            st[i].generated += 1;
        }
        let s = schedule(&mut e, &mut st, &serve(), Batching::Continuous)
            .unwrap()
            .unwrap();
        assert_eq!((s.shape.decodes, s.shape.decode_kv), (2, 11 + 7));
    }

    #[test]
    fn preemption_when_blocks_run_out() {
        // 6 blocks of 4 tokens: two prompts of 8 take 4 blocks; decoding grows them.
        let mut st = vec![
            ReqState::new(0, 8, 20, 0, 0.0, 0.0),
            ReqState::new(1, 8, 20, 0, 0.0, 0.0),
        ];
        let mut e = Engine::new(6);
        e.waiting.extend([0, 1]);
        let mut preempted = false;
        for _ in 0..12 {
            let Some(s) = schedule(&mut e, &mut st, &serve(), Batching::Continuous).unwrap() else {
                break;
            };
            for &i in &s.emit {
                st[i].generated += 1;
            }
            preempted |= st[1].preemptions > 0;
        }
        assert!(preempted, "{st:?}");
        assert!(e.free_blocks <= 6);
    }

    #[test]
    fn chunked_prefill_splits_long_prompts() {
        let mut st = vec![ReqState::new(0, 100, 2, 0, 0.0, 0.0)];
        let mut e = Engine::new(100);
        e.waiting.push_back(0);
        let s = schedule(&mut e, &mut st, &serve(), Batching::Chunked)
            .unwrap()
            .unwrap();
        assert_eq!((s.shape.tokens, s.emit.len()), (64, 0));
        let s = schedule(&mut e, &mut st, &serve(), Batching::Chunked)
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.shape.tokens, s.shape.prefills[0], s.emit.len()),
            (36, (36, 100), 1)
        );
    }
}
