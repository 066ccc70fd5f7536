//! Executing a program in a random order the hardware could choose, to
//! find data races (docs/engine.md §5.1).
//!
//! The model: the dispatcher hands instructions in program order to the
//! load, compute and store queues (queue depth is ignored: that only adds
//! orders); each queue starts its instructions in order once the tokens they
//! pop are available. A compute instruction executes atomically. A `load`
//! or `store` hands its transfer to a DMA engine and completes; the
//! transfer happens later, in any order relative to the other outstanding
//! transfers. An instruction of the load or store queue that pushes a token
//! first waits until every transfer its queue handed out has happened.
//!
//! A race-free program ends in the same state under every such order as in
//! program order ([`crate::reference::Machine::run`]); [`find_race`] tries
//! random orders and reports the first difference.

use crate::instr::{Buf, Instr, Op, Queue};
use crate::program::Program;
use crate::random::Rng;
use crate::reference::Machine;
use crate::IsaError;

/// Runs `prog` (up to its first `halt`) on `m` in a random legal order
/// chosen by `seed`.
pub fn run_random_schedule(m: &mut Machine, prog: &Program, seed: u64) -> Result<(), IsaError> {
    let mut rng = Rng::new(seed);
    let end = prog
        .instrs()
        .iter()
        .position(|i| matches!(i.op, Op::Halt(_)))
        .unwrap_or(prog.len());
    let mut queues: [Vec<usize>; 3] = Default::default();
    for (i, ins) in prog.instrs()[..end].iter().enumerate() {
        queues[qi(ins.queue())].push(i);
    }
    let mut head = [0usize; 3];
    // Head instruction has popped and handed out its transfer; waits to push.
    let mut draining = [false; 3];
    // Outstanding transfers: (queue, instruction index).
    let mut pending: Vec<(usize, usize)> = Vec::new();
    loop {
        let mut actions: Vec<Action> = Vec::new();
        for q in 0..3 {
            let Some(&i) = queues[q].get(head[q]) else {
                continue;
            };
            let ins = &prog.instrs()[i];
            if draining[q] {
                if !pending.iter().any(|&(pq, _)| pq == q) {
                    actions.push(Action::Push(q));
                }
            } else if m.tokens.can_pop(ins.queue(), ins.deps) {
                actions.push(Action::Issue(q));
            }
        }
        for p in 0..pending.len() {
            actions.push(Action::Transfer(p));
        }
        if actions.is_empty() {
            if (0..3).all(|q| head[q] == queues[q].len()) {
                return Ok(());
            }
            let stuck: Vec<usize> = (0..3)
                .filter_map(|q| queues[q].get(head[q]).copied())
                .collect();
            let i = stuck[0];
            return Err(IsaError::Exec {
                index: i,
                mnemonic: prog.instrs()[i].op.layout().mnemonic,
                field: "pop_prev",
                message: format!(
                    "deadlock: instructions {stuck:?} wait for tokens that never come"
                ),
                provenance: prog.provenance(i).map(str::to_string),
            });
        }
        match actions[rng.below(actions.len() as u64) as usize] {
            Action::Issue(q) => {
                let i = queues[q][head[q]];
                let ins = prog.instrs()[i];
                pop(m, i, &ins)?;
                if q == 1 {
                    m.execute(i, &ins)?;
                    push(m, i, &ins)?;
                    head[q] += 1;
                } else {
                    if !matches!(ins.op, Op::Nop(_)) {
                        pending.push((q, i));
                    }
                    if ins.deps.push_next || ins.deps.push_prev {
                        draining[q] = true;
                    } else {
                        head[q] += 1;
                    }
                }
            }
            Action::Push(q) => {
                let i = queues[q][head[q]];
                push(m, i, &prog.instrs()[i])?;
                draining[q] = false;
                head[q] += 1;
            }
            Action::Transfer(p) => {
                let (_, i) = pending.remove(p);
                m.execute(i, &prog.instrs()[i])?;
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Action {
    Issue(usize),
    Push(usize),
    Transfer(usize),
}

fn qi(q: Queue) -> usize {
    match q {
        Queue::Load => 0,
        Queue::Compute | Queue::Control => 1,
        Queue::Store => 2,
    }
}

fn pop(m: &mut Machine, i: usize, ins: &Instr) -> Result<(), IsaError> {
    m.tokens
        .pop(ins.queue(), ins.deps)
        .map_err(|(f, c)| IsaError::Exec {
            index: i,
            mnemonic: ins.op.layout().mnemonic,
            field: f.name(),
            message: format!("token underflow on {}", c.name()),
            provenance: None,
        })
}

fn push(m: &mut Machine, i: usize, ins: &Instr) -> Result<(), IsaError> {
    m.tokens
        .push(ins.queue(), ins.deps)
        .map_err(|(f, c)| IsaError::Exec {
            index: i,
            mnemonic: ins.op.layout().mnemonic,
            field: f.name(),
            message: format!("token overflow on {}", c.name()),
            provenance: None,
        })
}

/// Runs `prog` from state `start` in program order and under `schedules`
/// random orders; returns a description of the first difference in buffers
/// or memory (a data race), or `None`.
pub fn find_race(
    start: &Machine,
    prog: &Program,
    schedules: u64,
    seed: u64,
) -> Result<Option<String>, IsaError> {
    let mut want = start.clone();
    want.run(prog)?;
    for s in 0..schedules {
        let mut got = start.clone();
        let sched_seed = seed.wrapping_mul(1000).wrapping_add(s);
        run_random_schedule(&mut got, prog, sched_seed)?;
        if let Some(d) = first_difference(&want, &got) {
            return Ok(Some(format!("schedule seed {sched_seed}: {d}")));
        }
    }
    Ok(None)
}

/// The first byte where two machines' buffers or memories differ.
pub fn first_difference(a: &Machine, b: &Machine) -> Option<String> {
    let mut spaces: Vec<(String, &[u8], &[u8])> = Buf::ALL
        .iter()
        .map(|&x| (x.name().to_string(), a.buffer(x), b.buffer(x)))
        .collect();
    for (c, (x, y)) in a.hbm.iter().zip(&b.hbm).enumerate() {
        spaces.push((format!("hbm{c}"), x, y));
    }
    for (name, x, y) in spaces {
        if let Some(i) = x.iter().zip(y).position(|(p, q)| p != q) {
            return Some(format!(
                "{name} byte {i:#x}: program order {:#04x}, other order {:#04x}",
                x[i], y[i]
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm::parse;
    use crate::config::EngineConfig;

    fn machine() -> Machine {
        let mut m = Machine::with_memory(EngineConfig::tiny(), 4096).unwrap();
        for (i, b) in m.hbm[0].iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        m
    }

    const LOAD_THEN_USE: &str =
        "load ch=0 buf=abuf rows=1 row_bytes=32 hbm_addr=0x0 buf_addr=0x0 {LFLAG}
requant src=abuf dst=abuf m=1 n=32 src_addr=0x0 dst_addr=0x40 mult=1 {CFLAG}
halt
";

    #[test]
    fn finds_a_missing_token_and_accepts_the_fixed_program() {
        let racy = parse(&LOAD_THEN_USE.replace("{LFLAG}", "").replace("{CFLAG}", "")).unwrap();
        let race = find_race(&machine(), &racy, 20, 1).unwrap();
        assert!(race.is_some_and(|d| d.contains("abuf byte 0x40")));
        let fixed = parse(
            &LOAD_THEN_USE
                .replace("{LFLAG}", "+push_next")
                .replace("{CFLAG}", "+pop_prev"),
        )
        .unwrap();
        assert_eq!(find_race(&machine(), &fixed, 20, 1).unwrap(), None);
    }

    #[test]
    fn reports_deadlock() {
        let p = parse("requant src=abuf dst=abuf m=1 n=4 dst_addr=0x40 mult=1 +pop_prev\nhalt")
            .unwrap();
        let e = run_random_schedule(&mut machine(), &p, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("deadlock"), "{e}");
    }
}
