//! Static validation of instructions and programs against an
//! [`EngineConfig`]: every rule of docs/engine.md §4–5 that the fields and
//! the configuration decide (alignment, the bounds of every buffer access,
//! channel / slice / KV-row rules, dependency flags valid for the queue,
//! element widths matching the configuration, buffer ids allowed per
//! instruction, the in-place / overlap rule, RoPE head width), and for a
//! whole program the token counters in program order.
//!
//! Checks collect every problem instead of stopping at the first; each
//! [`Problem`] names the instruction index, mnemonic and field and says what
//! was expected. Memory (HBM) bounds depend on the image, not the config:
//! the reference interpreter checks those.

mod compute;
mod dma;
mod sfu;

use crate::config::EngineConfig;
use crate::instr::{Buf, FieldKind, Instr, Op, Queue};
use crate::program::Program;
use crate::tokens::{Flag, Tokens};
use crate::IsaError;
use std::fmt;

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Instruction index in the program.
    pub index: usize,
    /// Instruction mnemonic.
    pub mnemonic: &'static str,
    /// Field (or dependency flag) at fault.
    pub field: &'static str,
    /// The value found and what was expected.
    pub message: String,
    /// Provenance of the instruction, when known.
    pub provenance: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "instruction {} ({}", self.index, self.mnemonic)?;
        if let Some(p) = &self.provenance {
            write!(f, " @ {p}")?;
        }
        write!(f, "): field '{}': {}", self.field, self.message)
    }
}

/// Checks one instruction (at program index `index`) against `cfg`,
/// returning every problem found (empty when valid). `cfg` is assumed valid
/// ([`EngineConfig::validate`]).
pub fn check_instr(cfg: &EngineConfig, index: usize, ins: &Instr) -> Vec<Problem> {
    let layout = ins.op.layout();
    let mut cx = Ctx {
        cfg,
        index,
        mnemonic: layout.mnemonic,
        problems: Vec::new(),
    };
    for (f, v) in layout.fields.iter().zip(ins.op.values()) {
        if f.width < 64 && v >> f.width != 0 {
            let shown = if f.kind == FieldKind::I {
                format!("{}", v as i64)
            } else {
                v.to_string()
            };
            cx.bad(
                f.name,
                format!("= {shown} does not fit in {} bits", f.width),
            );
        }
    }
    if !cx.problems.is_empty() {
        return cx.problems;
    }
    let queue = match ins.op {
        Op::Nop(n) if n.queue > 2 => {
            cx.bad(
                "queue",
                format!("= {}, expected 0 (load), 1 (compute) or 2 (store)", n.queue),
            );
            None
        }
        _ => Some(ins.queue()),
    };
    if let Some(q) = queue {
        for flag in Flag::ALL {
            if flag.is_set(ins.deps) && flag.counter(q).is_none() {
                cx.bad(
                    flag.name(),
                    format!("must be 0 on the {} queue", queue_name(q)),
                );
            }
        }
    }
    match &ins.op {
        Op::Nop(_) | Op::Halt(_) => {}
        Op::Load(l) => dma::load(&mut cx, l),
        Op::Store(s) => dma::store(&mut cx, s),
        Op::Matmul(x) => compute::matmul(&mut cx, x),
        Op::Requant(x) => compute::requant(&mut cx, x),
        Op::Softmax(x) => sfu::softmax(&mut cx, x),
        Op::Rmsnorm(x) => sfu::rmsnorm(&mut cx, x),
        Op::Layernorm(x) => sfu::layernorm(&mut cx, x),
        Op::Silu(x) => sfu::table(
            &mut cx,
            x.m,
            x.n,
            x.src,
            x.src_pitch,
            x.dst,
            x.dst_pitch,
            x.s_addr,
        ),
        Op::Gelu(x) => sfu::table(
            &mut cx,
            x.m,
            x.n,
            x.src,
            x.src_pitch,
            x.dst,
            x.dst_pitch,
            x.s_addr,
        ),
        Op::Rope(x) => sfu::rope(&mut cx, x),
        Op::Add(x) => sfu::binary(
            &mut cx,
            x.m,
            x.n,
            x.src,
            x.src_pitch,
            x.dst,
            x.dst_pitch,
            x.src2,
        ),
        Op::Mul(x) => sfu::binary(
            &mut cx,
            x.m,
            x.n,
            x.src,
            x.src_pitch,
            x.dst,
            x.dst_pitch,
            x.src2,
        ),
    }
    cx.problems
}

/// Every problem of a program: each instruction's, then the token counters
/// simulated in program order (a pop with no token left, a push past 255)
/// up to the first `halt`.
pub fn program_problems(cfg: &EngineConfig, prog: &Program) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut tokens = Tokens::default();
    let mut halted = false;
    for (index, (ins, prov)) in prog.iter().enumerate() {
        let mut problems = check_instr(cfg, index, ins);
        if !halted {
            let mnemonic = ins.op.layout().mnemonic;
            let q = ins.queue();
            if let Err((flag, c)) = tokens.pop(q, ins.deps) {
                problems.push(Problem {
                    index,
                    mnemonic,
                    field: flag.name(),
                    message: format!(
                        "token underflow: no {} token is left from earlier instructions",
                        c.name()
                    ),
                    provenance: None,
                });
            }
            if let Err((flag, c)) = tokens.push(q, ins.deps) {
                problems.push(Problem {
                    index,
                    mnemonic,
                    field: flag.name(),
                    message: format!(
                        "token overflow: the {} counter already holds 255 tokens",
                        c.name()
                    ),
                    provenance: None,
                });
            }
            halted = matches!(ins.op, Op::Halt(_));
        }
        for mut p in problems {
            p.provenance = prov.map(str::to_string);
            out.push(p);
        }
    }
    out
}

/// Checks a whole program against `cfg` (which is validated first).
pub fn check_program(cfg: &EngineConfig, prog: &Program) -> Result<(), IsaError> {
    cfg.validate()?;
    let problems = program_problems(cfg, prog);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(IsaError::Invalid { problems })
    }
}

fn queue_name(q: Queue) -> &'static str {
    match q {
        Queue::Load => "load",
        Queue::Compute => "compute",
        Queue::Store => "store",
        Queue::Control => "control (halt)",
    }
}

/// Byte size of a buffer.
pub(crate) fn buf_bytes(cfg: &EngineConfig, buf: Buf) -> u64 {
    match buf {
        Buf::Abuf => cfg.abuf_bytes,
        Buf::Wbuf => cfg.wbuf_bytes,
        Buf::Kvbuf => cfg.kvbuf_bytes,
        Buf::Sbuf => cfg.sbuf_bytes,
        Buf::Acc => cfg.acc_bytes,
    }
}

/// End (exclusive) of `rows` rows of `row_bytes` bytes, `pitch` apart from
/// `addr` (`addr` when `rows` is 0).
pub(crate) fn span(addr: u64, rows: u64, pitch: u64, row_bytes: u64) -> u128 {
    if rows == 0 {
        return addr as u128;
    }
    addr as u128 + (rows as u128 - 1) * pitch as u128 + row_bytes as u128
}

/// Collects the problems of one instruction.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a EngineConfig,
    index: usize,
    mnemonic: &'static str,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    /// Records a problem with `field`.
    pub fn bad(&mut self, field: &'static str, message: impl Into<String>) {
        self.problems.push(Problem {
            index: self.index,
            mnemonic: self.mnemonic,
            field,
            message: message.into(),
            provenance: None,
        });
    }

    /// Requires `value` to be a multiple of `unit` (`what` explains the unit).
    pub fn multiple(&mut self, field: &'static str, value: u64, unit: u64, what: &str) -> bool {
        if unit > 1 && !value.is_multiple_of(unit) {
            self.bad(
                field,
                format!("= {value}, expected a multiple of {unit} ({what})"),
            );
            return false;
        }
        true
    }

    /// Requires `value ≥ 1`.
    pub fn positive(&mut self, field: &'static str, value: u64) -> bool {
        if value == 0 {
            self.bad(field, "= 0, expected at least 1");
            return false;
        }
        true
    }

    /// Requires an access ending at byte `end` (exclusive) to fit in `buf`.
    pub fn within(&mut self, field: &'static str, end: u128, buf: Buf, what: &str) {
        let size = buf_bytes(self.cfg, buf);
        if end > size as u128 {
            self.bad(
                field,
                format!(
                    "{what} ends at byte {end}, past the end of {} ({size} bytes)",
                    buf.name()
                ),
            );
        }
    }

    /// Destination rows must not overlap each other: `m ≤ 1` or `pitch ≥ row`.
    pub fn distinct_rows(&mut self, pitch_field: &'static str, pitch: u64, m: u64, row: u64) {
        if m > 1 && pitch < row {
            self.bad(pitch_field, format!("= {pitch}, expected at least {row} (the bytes of one destination row) so that destination rows do not overlap"));
        }
    }

    /// The in-place / overlap rule (docs/engine.md §5.4): the `m` destination
    /// rows either equal the source rows (same address and pitch, rows not
    /// overlapping each other) or do not overlap the source's byte range.
    #[allow(clippy::too_many_arguments)]
    pub fn overlap(
        &mut self,
        dst_field: &'static str,
        dst: u64,
        dst_pitch: u64,
        src_field: &str,
        src: u64,
        src_pitch: u64,
        m: u64,
        row: u64,
    ) {
        let (w0, w1) = (dst as u128, span(dst, m, dst_pitch, row));
        let (r0, r1) = (src as u128, span(src, m, src_pitch, row));
        if w1 <= r0 || r1 <= w0 {
            return;
        }
        if dst == src && dst_pitch == src_pitch {
            return;
        }
        self.bad(
            dst_field,
            format!(
                "destination bytes [{w0}, {w1}) overlap the {src_field} bytes [{r0}, {r1}); expected either the same address and pitch as {src_field} (in place) or no overlap"
            ),
        );
    }
}
