//! The work of an instruction or of a group of them (an op): MACs, SFU
//! elements, memory bytes per channel, buffer traffic — and the roofline
//! bound of that work on the same engine: the fewest cycles in which the
//! engine's peaks could do it (`R·C` MACs, `sfu_lanes` elements and one
//! beat per AXI direction per channel in each cycle).

use llmfab_isa::instr::{Instr, Op};
use llmfab_isa::timing::{matrix, sfu};
use llmfab_isa::EngineConfig;
use serde::Serialize;

/// Which unit runs an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Matrix unit (`matmul`).
    Matrix,
    /// Special-function unit (`requant` and §5.4 operations).
    Sfu,
    /// Read DMA engine of a channel (`load`).
    Read(u64),
    /// Write DMA engine of a channel (`store`).
    Write(u64),
    /// `nop`, `halt`: no unit.
    Control,
}

/// The unit of `ins`.
pub fn unit(ins: &Instr) -> Unit {
    match &ins.op {
        Op::Load(x) => Unit::Read(x.ch),
        Op::Store(x) => Unit::Write(x.ch),
        op if matrix::handles(op) => Unit::Matrix,
        op if sfu::handles(op) => Unit::Sfu,
        _ => Unit::Control,
    }
}

/// Arithmetic ops per SFU element (an assumption of the energy estimate:
/// the operations each lane performs per element, counting a table lookup
/// as one).
pub fn sfu_ops_per_element(op: &Op) -> f64 {
    match op {
        Op::Requant(_) | Op::Silu(_) | Op::Gelu(_) | Op::Add(_) | Op::Mul(_) => 1.0,
        Op::Rope(_) => 3.0,
        Op::Rmsnorm(_) => 3.0,
        Op::Layernorm(_) => 5.0,
        Op::Softmax(_) => 5.0,
        _ => 0.0,
    }
}

/// Work of one instruction or of a group.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Work {
    /// Multiply-accumulates on the matrix unit.
    pub macs: u64,
    /// Matrix products' arithmetic ops (2 per MAC), by operand widths
    /// `(a_bits, b_bits)` → ops.
    pub matmul_ops: Vec<((u64, u64), f64)>,
    /// Elements through the SFU.
    pub sfu_elements: u64,
    /// SFU arithmetic ops (elements × [`sfu_ops_per_element`]).
    pub sfu_ops: f64,
    /// Memory bytes read, per channel.
    pub read_bytes: Vec<u64>,
    /// Memory bytes written, per channel.
    pub write_bytes: Vec<u64>,
    /// On-chip buffer bytes moved (DMA both ends in the buffer, matrix
    /// operand reads per tile pass, accumulator writes, SFU reads/writes).
    pub buffer_bytes: f64,
}

impl Work {
    /// No work, for `channels` channels.
    pub fn new(channels: usize) -> Self {
        Work {
            read_bytes: vec![0; channels],
            write_bytes: vec![0; channels],
            ..Default::default()
        }
    }

    /// The work of `ins` added to this.
    pub fn add_instr(&mut self, ins: &Instr, cfg: &EngineConfig) {
        let (r, c) = (cfg.rows.max(1) as u64, cfg.cols.max(1) as u64);
        match &ins.op {
            Op::Load(x) => {
                let b = x.rows.max(1) * x.row_bytes;
                if let Some(v) = self.read_bytes.get_mut(x.ch as usize) {
                    *v += b;
                }
                self.buffer_bytes += b as f64;
            }
            Op::Store(x) => {
                let b = x.rows.max(1) * x.row_bytes;
                if let Some(v) = self.write_bytes.get_mut(x.ch as usize) {
                    *v += b;
                }
                self.buffer_bytes += b as f64;
            }
            Op::Matmul(x) => {
                let (m, n, k) = (x.m.max(1), x.n.max(1), x.k.max(1));
                let macs = m * n * k;
                self.macs += macs;
                let key = (x.abits, x.bbits);
                match self.matmul_ops.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => *v += 2.0 * macs as f64,
                    None => self.matmul_ops.push((key, 2.0 * macs as f64)),
                }
                let b_passes = if x.mode == 0 { m.div_ceil(r) } else { m };
                let a = (m * k * n.div_ceil(c)) as f64 * x.abits as f64 / 8.0;
                let b = (k * n * b_passes) as f64 * x.bbits as f64 / 8.0;
                self.buffer_bytes += a + b + (m * n * 4) as f64;
            }
            op if sfu::handles(op) => {
                let (m, n) = sfu_shape(op);
                let e = m.max(1) * n.max(1);
                self.sfu_elements += e;
                self.sfu_ops += e as f64 * sfu_ops_per_element(op);
                self.buffer_bytes += 2.0 * e as f64 * cfg.act_bytes() as f64;
            }
            _ => {}
        }
    }

    /// Memory bytes read and written.
    pub fn hbm_bytes(&self) -> u64 {
        self.read_bytes.iter().sum::<u64>() + self.write_bytes.iter().sum::<u64>()
    }

    /// The roofline bound in cycles: the largest of MACs over `R·C` lanes,
    /// SFU elements over its lanes, and each channel's read and write bytes
    /// over one beat per cycle.
    pub fn bound_cycles(&self, cfg: &EngineConfig) -> u64 {
        let beat = cfg.beat_bytes().max(1);
        let mem = self
            .read_bytes
            .iter()
            .chain(&self.write_bytes)
            .map(|b| b.div_ceil(beat))
            .max()
            .unwrap_or(0);
        self.macs
            .div_ceil(cfg.mac_lanes().max(1))
            .max(self.sfu_elements.div_ceil(cfg.sfu_lanes.max(1) as u64))
            .max(mem)
    }

    /// Which peak sets [`Work::bound_cycles`]: `compute`, `sfu` or `memory`.
    pub fn bound_kind(&self, cfg: &EngineConfig) -> &'static str {
        let b = self.bound_cycles(cfg);
        if b == 0 {
            "none"
        } else if self.macs.div_ceil(cfg.mac_lanes().max(1)) == b {
            "compute"
        } else if self.sfu_elements.div_ceil(cfg.sfu_lanes.max(1) as u64) == b {
            "sfu"
        } else {
            "memory"
        }
    }
}

/// Rows and columns of an SFU instruction.
fn sfu_shape(op: &Op) -> (u64, u64) {
    match op {
        Op::Requant(x) => (x.m, x.n),
        Op::Softmax(x) => (x.m, x.n),
        Op::Rmsnorm(x) => (x.m, x.n),
        Op::Layernorm(x) => (x.m, x.n),
        Op::Silu(x) => (x.m, x.n),
        Op::Gelu(x) => (x.m, x.n),
        Op::Rope(x) => (x.m, x.n),
        Op::Add(x) => (x.m, x.n),
        Op::Mul(x) => (x.m, x.n),
        _ => (0, 0),
    }
}
