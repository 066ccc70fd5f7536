//! Dependency tokens (docs/engine.md §5.1): which counter each dependency
//! flag of an instruction takes from or gives to, and the four counters.
//!
//! | queue | `pop_prev` | `pop_next` | `push_prev` | `push_next` |
//! |---|---|---|---|---|
//! | load | — | C→L | — | L→C |
//! | compute | L→C | S→C | C→L | C→S |
//! | store | C→S | — | S→C | — |
//!
//! A `nop` belongs to the queue its `queue` field names; `halt` (the
//! dispatcher) has no token flags.

use crate::instr::{Deps, Queue};

/// Most tokens a counter holds.
pub const MAX_TOKENS: u32 = 255;

/// One of the four token counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    /// Load → compute.
    LoadToCompute = 0,
    /// Compute → load.
    ComputeToLoad = 1,
    /// Compute → store.
    ComputeToStore = 2,
    /// Store → compute.
    StoreToCompute = 3,
}

impl Counter {
    /// Name as docs/engine.md writes it (`L→C`).
    pub fn name(self) -> &'static str {
        match self {
            Counter::LoadToCompute => "L→C",
            Counter::ComputeToLoad => "C→L",
            Counter::ComputeToStore => "C→S",
            Counter::StoreToCompute => "S→C",
        }
    }
}

/// A dependency flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flag {
    /// Take a token from the previous queue.
    PopPrev,
    /// Take a token from the next queue.
    PopNext,
    /// Give a token to the previous queue.
    PushPrev,
    /// Give a token to the next queue.
    PushNext,
}

impl Flag {
    /// All flags in encoding order (bits 8..=11).
    pub const ALL: [Flag; 4] = [Flag::PopPrev, Flag::PopNext, Flag::PushPrev, Flag::PushNext];

    /// Name as written in assembly (without the `+`).
    pub fn name(self) -> &'static str {
        match self {
            Flag::PopPrev => "pop_prev",
            Flag::PopNext => "pop_next",
            Flag::PushPrev => "push_prev",
            Flag::PushNext => "push_next",
        }
    }

    /// Whether `deps` has this flag set.
    pub fn is_set(self, deps: Deps) -> bool {
        match self {
            Flag::PopPrev => deps.pop_prev,
            Flag::PopNext => deps.pop_next,
            Flag::PushPrev => deps.push_prev,
            Flag::PushNext => deps.push_next,
        }
    }

    /// Sets this flag in `deps`.
    pub fn set(self, deps: &mut Deps, on: bool) {
        match self {
            Flag::PopPrev => deps.pop_prev = on,
            Flag::PopNext => deps.pop_next = on,
            Flag::PushPrev => deps.push_prev = on,
            Flag::PushNext => deps.push_next = on,
        }
    }

    /// True for the two pop flags.
    pub fn is_pop(self) -> bool {
        matches!(self, Flag::PopPrev | Flag::PopNext)
    }

    /// The counter this flag uses on `queue`, or `None` where the flag must be 0.
    pub fn counter(self, queue: Queue) -> Option<Counter> {
        use Counter::*;
        match (queue, self) {
            (Queue::Load, Flag::PopNext) => Some(ComputeToLoad),
            (Queue::Load, Flag::PushNext) => Some(LoadToCompute),
            (Queue::Compute, Flag::PopPrev) => Some(LoadToCompute),
            (Queue::Compute, Flag::PopNext) => Some(StoreToCompute),
            (Queue::Compute, Flag::PushPrev) => Some(ComputeToLoad),
            (Queue::Compute, Flag::PushNext) => Some(ComputeToStore),
            (Queue::Store, Flag::PopPrev) => Some(ComputeToStore),
            (Queue::Store, Flag::PushPrev) => Some(StoreToCompute),
            _ => None,
        }
    }
}

/// The four token counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tokens {
    /// Tokens held, indexed by `Counter as usize`.
    pub counts: [u32; 4],
}

impl Tokens {
    /// Tokens held by `c`.
    pub fn get(&self, c: Counter) -> u32 {
        self.counts[c as usize]
    }

    /// True when every token an instruction of `queue` with `deps` pops is available.
    pub fn can_pop(&self, queue: Queue, deps: Deps) -> bool {
        let mut need = [0u32; 4];
        for f in Flag::ALL
            .into_iter()
            .filter(|f| f.is_pop() && f.is_set(deps))
        {
            if let Some(c) = f.counter(queue) {
                need[c as usize] += 1;
            }
        }
        (0..4).all(|i| self.counts[i] >= need[i])
    }

    /// Takes the tokens an instruction pops. On underflow nothing changes and
    /// the offending flag and counter are returned. Flags without a counter
    /// on `queue` are ignored (the checker rejects them).
    pub fn pop(&mut self, queue: Queue, deps: Deps) -> Result<(), (Flag, Counter)> {
        let mut next = *self;
        for f in Flag::ALL
            .into_iter()
            .filter(|f| f.is_pop() && f.is_set(deps))
        {
            if let Some(c) = f.counter(queue) {
                if next.counts[c as usize] == 0 {
                    return Err((f, c));
                }
                next.counts[c as usize] -= 1;
            }
        }
        *self = next;
        Ok(())
    }

    /// Gives the tokens an instruction pushes. On overflow (more than
    /// [`MAX_TOKENS`]) nothing changes and the flag and counter are returned.
    pub fn push(&mut self, queue: Queue, deps: Deps) -> Result<(), (Flag, Counter)> {
        let mut next = *self;
        for f in Flag::ALL
            .into_iter()
            .filter(|f| !f.is_pop() && f.is_set(deps))
        {
            if let Some(c) = f.counter(queue) {
                if next.counts[c as usize] >= MAX_TOKENS {
                    return Err((f, c));
                }
                next.counts[c as usize] += 1;
            }
        }
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_follow_the_table() {
        let mut t = Tokens::default();
        let push_next = Deps {
            push_next: true,
            ..Default::default()
        };
        let pop_prev = Deps {
            pop_prev: true,
            ..Default::default()
        };
        assert_eq!(
            t.pop(Queue::Compute, pop_prev),
            Err((Flag::PopPrev, Counter::LoadToCompute))
        );
        t.push(Queue::Load, push_next).unwrap();
        assert!(t.can_pop(Queue::Compute, pop_prev));
        assert!(!t.can_pop(Queue::Store, pop_prev));
        t.pop(Queue::Compute, pop_prev).unwrap();
        assert_eq!(t, Tokens::default());
        for _ in 0..MAX_TOKENS {
            t.push(Queue::Compute, push_next).unwrap();
        }
        assert_eq!(
            t.push(Queue::Compute, push_next),
            Err((Flag::PushNext, Counter::ComputeToStore))
        );
        assert_eq!(Flag::PopPrev.counter(Queue::Load), None);
        assert_eq!(Flag::PushNext.counter(Queue::Control), None);
    }
}
