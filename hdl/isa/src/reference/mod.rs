//! The integer reference interpreter: the numerical truth of the engine.
//!
//! A [`Machine`] holds the on-chip buffers as flat byte arrays, one memory
//! image per channel and the four token counters, and executes instructions
//! one at a time in program order exactly as docs/engine.md §5 specifies.
//! The simulator's functional mode, the rust-hdl simulation and the Verilog
//! co-simulation must agree with it bit for bit.
//!
//! Every instruction is checked ([`crate::check::check_instr`]) before it
//! runs; invalid instructions, memory accesses outside a channel's image and
//! token underflow / overflow are errors naming the instruction index, the
//! field and (in [`Machine::run`]) the provenance — never panics.

mod dma;
mod matmul;
pub mod mem;
mod requant;
mod sfu;

use crate::check::check_instr;
use crate::config::EngineConfig;
use crate::instr::{Buf, Instr, Op};
use crate::program::Program;
use crate::tokens::Tokens;
use crate::IsaError;

/// Engine state: buffers, memory, token counters.
#[derive(Clone, Debug, PartialEq)]
pub struct Machine {
    /// The configuration (validated).
    pub cfg: EngineConfig,
    /// Memory image of each channel (channel-local byte addresses).
    pub hbm: Vec<Vec<u8>>,
    /// Activation buffer.
    pub abuf: Vec<u8>,
    /// Weight buffer (tile-major rows, scales).
    pub wbuf: Vec<u8>,
    /// KV buffer (rows of `kv_row_bytes`).
    pub kvbuf: Vec<u8>,
    /// Scale / table buffer (int16).
    pub sbuf: Vec<u8>,
    /// Accumulators (int32).
    pub acc: Vec<u8>,
    /// Token counters.
    pub tokens: Tokens,
    /// Instructions executed by [`Machine::step`] so far (the index the next
    /// one is reported under).
    pub executed: usize,
    /// Set once a `halt` has executed.
    pub halted: bool,
}

/// Names the instruction being executed in errors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ex {
    pub index: usize,
    pub mnemonic: &'static str,
}

impl Ex {
    /// An execution error with `field`.
    pub fn err(&self, field: &'static str, message: impl Into<String>) -> IsaError {
        IsaError::Exec {
            index: self.index,
            mnemonic: self.mnemonic,
            field,
            message: message.into(),
            provenance: None,
        }
    }
}

/// `bytes[start .. start + len]`, or an error naming `field` (a guard behind
/// the checker: valid instructions never hit it).
pub(crate) fn sub<'a>(
    bytes: &'a [u8],
    start: u64,
    len: u64,
    ex: &Ex,
    field: &'static str,
    what: &str,
) -> Result<&'a [u8], IsaError> {
    let end = start as u128 + len as u128;
    if end > bytes.len() as u128 {
        return Err(ex.err(
            field,
            format!(
                "{what}: bytes [{start}, {end}) past the end ({} bytes)",
                bytes.len()
            ),
        ));
    }
    Ok(&bytes[start as usize..end as usize])
}

/// Mutable variant of [`sub`].
pub(crate) fn sub_mut<'a>(
    bytes: &'a mut [u8],
    start: u64,
    len: u64,
    ex: &Ex,
    field: &'static str,
    what: &str,
) -> Result<&'a mut [u8], IsaError> {
    let end = start as u128 + len as u128;
    if end > bytes.len() as u128 {
        return Err(ex.err(
            field,
            format!(
                "{what}: bytes [{start}, {end}) past the end ({} bytes)",
                bytes.len()
            ),
        ));
    }
    Ok(&mut bytes[start as usize..end as usize])
}

impl Machine {
    /// A machine with zeroed buffers and the given memory image per channel.
    pub fn new(cfg: EngineConfig, hbm: Vec<Vec<u8>>) -> Result<Self, IsaError> {
        cfg.validate()?;
        if hbm.len() != cfg.channels as usize {
            return Err(IsaError::Config {
                file: cfg.name.clone(),
                problems: vec![format!(
                    "memory image: expected one image per channel ({}), got {}",
                    cfg.channels,
                    hbm.len()
                )],
            });
        }
        let z = |n: u64| vec![0u8; n as usize];
        Ok(Machine {
            abuf: z(cfg.abuf_bytes),
            wbuf: z(cfg.wbuf_bytes),
            kvbuf: z(cfg.kvbuf_bytes),
            sbuf: z(cfg.sbuf_bytes),
            acc: z(cfg.acc_bytes),
            cfg,
            hbm,
            tokens: Tokens::default(),
            executed: 0,
            halted: false,
        })
    }

    /// A machine with `bytes` zeroed memory bytes on every channel.
    pub fn with_memory(cfg: EngineConfig, bytes: usize) -> Result<Self, IsaError> {
        let hbm = vec![vec![0u8; bytes]; cfg.channels as usize];
        Machine::new(cfg, hbm)
    }

    /// Contents of a buffer.
    pub fn buffer(&self, buf: Buf) -> &[u8] {
        match buf {
            Buf::Abuf => &self.abuf,
            Buf::Wbuf => &self.wbuf,
            Buf::Kvbuf => &self.kvbuf,
            Buf::Sbuf => &self.sbuf,
            Buf::Acc => &self.acc,
        }
    }

    /// Mutable contents of a buffer (for tests and for presetting state).
    pub fn buffer_mut(&mut self, buf: Buf) -> &mut [u8] {
        match buf {
            Buf::Abuf => &mut self.abuf,
            Buf::Wbuf => &mut self.wbuf,
            Buf::Kvbuf => &mut self.kvbuf,
            Buf::Sbuf => &mut self.sbuf,
            Buf::Acc => &mut self.acc,
        }
    }

    /// `len` bytes of `buf` from byte `addr`, or `None` when out of bounds.
    pub fn region(&self, buf: Buf, addr: u64, len: u64) -> Option<&[u8]> {
        let b = self.buffer(buf);
        let end = addr.checked_add(len)?;
        b.get(usize::try_from(addr).ok()?..usize::try_from(end).ok()?)
    }

    /// `len` bytes of channel `ch`'s memory from byte `addr`, or `None`.
    pub fn memory(&self, ch: usize, addr: u64, len: u64) -> Option<&[u8]> {
        let m = self.hbm.get(ch)?;
        let end = addr.checked_add(len)?;
        m.get(usize::try_from(addr).ok()?..usize::try_from(end).ok()?)
    }

    /// The int32 accumulator at byte `addr`, or `None` when out of bounds.
    pub fn acc_i32(&self, addr: u64) -> Option<i32> {
        self.region(Buf::Acc, addr, 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Executes one instruction in program order: checks it, takes the
    /// tokens it pops, applies its effect, gives the tokens it pushes. It is
    /// reported as instruction [`Machine::executed`].
    pub fn step(&mut self, ins: &Instr) -> Result<(), IsaError> {
        let index = self.executed;
        let ex = Ex {
            index,
            mnemonic: ins.op.layout().mnemonic,
        };
        self.check(index, ins)?;
        let q = ins.queue();
        self.tokens.pop(q, ins.deps).map_err(|(f, c)| {
            ex.err(
                f.name(),
                format!(
                    "token underflow: no {} token is available (program order)",
                    c.name()
                ),
            )
        })?;
        self.apply(ex, ins)?;
        self.tokens.push(q, ins.deps).map_err(|(f, c)| {
            ex.err(
                f.name(),
                format!(
                    "token overflow: the {} counter already holds 255 tokens",
                    c.name()
                ),
            )
        })?;
        self.executed += 1;
        Ok(())
    }

    /// Runs a program from its first instruction until `halt` or its end;
    /// returns the number of instructions executed. Errors carry the
    /// instruction's provenance.
    pub fn run(&mut self, prog: &Program) -> Result<usize, IsaError> {
        self.executed = 0;
        self.halted = false;
        for (index, (ins, prov)) in prog.iter().enumerate() {
            self.step(ins)
                .map_err(|e| with_provenance(e, index, prov))?;
            if self.halted {
                break;
            }
        }
        Ok(self.executed)
    }

    /// Checks an instruction and applies its effect on buffers and memory,
    /// without touching the token counters (for simulators that schedule
    /// instructions themselves). `index` names it in errors.
    pub fn execute(&mut self, index: usize, ins: &Instr) -> Result<(), IsaError> {
        self.check(index, ins)?;
        self.apply(
            Ex {
                index,
                mnemonic: ins.op.layout().mnemonic,
            },
            ins,
        )
    }

    fn check(&self, index: usize, ins: &Instr) -> Result<(), IsaError> {
        let problems = check_instr(&self.cfg, index, ins);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(IsaError::Invalid { problems })
        }
    }

    fn apply(&mut self, ex: Ex, ins: &Instr) -> Result<(), IsaError> {
        match &ins.op {
            Op::Nop(_) => Ok(()),
            Op::Halt(_) => {
                self.halted = true;
                Ok(())
            }
            Op::Load(x) => dma::load(self, &ex, x),
            Op::Store(x) => dma::store(self, &ex, x),
            Op::Matmul(x) => matmul::matmul(self, &ex, x),
            Op::Requant(x) => requant::requant(self, &ex, x),
            Op::Softmax(x) => sfu::softmax(self, &ex, x),
            Op::Rmsnorm(x) => sfu::rmsnorm(self, &ex, x),
            Op::Layernorm(x) => sfu::layernorm(self, &ex, x),
            Op::Silu(x) => sfu::table(
                self,
                &ex,
                &sfu::Rows::of(x.m, x.n, x.src, x.src_pitch, x.dst, x.dst_pitch),
                x.s_addr,
            ),
            Op::Gelu(x) => sfu::table(
                self,
                &ex,
                &sfu::Rows::of(x.m, x.n, x.src, x.src_pitch, x.dst, x.dst_pitch),
                x.s_addr,
            ),
            Op::Rope(x) => sfu::rope(self, &ex, x),
            Op::Add(x) => sfu::add(self, &ex, x),
            Op::Mul(x) => sfu::mul(self, &ex, x),
        }
    }
}

/// Adds the provenance to errors naming instruction `index`.
fn with_provenance(e: IsaError, index: usize, prov: Option<&str>) -> IsaError {
    let Some(p) = prov else { return e };
    match e {
        IsaError::Exec {
            index: i,
            mnemonic,
            field,
            message,
            ..
        } if i == index => IsaError::Exec {
            index,
            mnemonic,
            field,
            message,
            provenance: Some(p.to_string()),
        },
        IsaError::Invalid { mut problems } => {
            for pr in problems.iter_mut().filter(|pr| pr.index == index) {
                pr.provenance = Some(p.to_string());
            }
            IsaError::Invalid { problems }
        }
        other => other,
    }
}
