//! The instruction set, declared once.
//!
//! Every instruction is a 256-bit little-endian word: `opcode` in bits
//! `[7:0]`, four dependency flags in `[11:8]`, and the operation's fields at
//! the positions the table below gives. The encoder, decoder, assembler,
//! disassembler, the simulator and the hardware decoder's constants are all
//! generated from [`LAYOUTS`]; `docs/engine.md` gives each instruction's
//! meaning.

use serde::{Deserialize, Serialize};

/// Bits per instruction word.
pub const INSTR_BITS: u32 = 256;
/// Bytes per instruction word.
pub const INSTR_BYTES: usize = 32;

/// How a field's raw bits are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Unsigned integer.
    U,
    /// Two's-complement signed integer.
    I,
    /// A buffer id (see [`Buf`]), printed by name in assembly.
    B,
    /// A one-bit flag.
    F,
}

/// Position of one field in the instruction word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// Field name, as written in assembly (`rows=4`).
    pub name: &'static str,
    /// Least significant bit in the 256-bit word.
    pub lsb: u32,
    /// Width in bits.
    pub width: u32,
    /// How the bits are read.
    pub kind: FieldKind,
}

/// Which queue executes an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Queue {
    /// DMA loads (memory → buffers).
    Load,
    /// Matrix unit and SFU.
    Compute,
    /// DMA stores (buffers → memory).
    Store,
    /// The dispatcher itself (`halt`).
    Control,
}

/// Layout of one operation: opcode, mnemonic, queue and fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpLayout {
    /// Opcode in bits `[7:0]`.
    pub opcode: u8,
    /// Assembly mnemonic.
    pub mnemonic: &'static str,
    /// Executing queue (`None` for `nop`, whose `queue` field says).
    pub queue: Option<Queue>,
    /// Operand fields.
    pub fields: &'static [FieldLayout],
}

/// On-chip buffers, as encoded in buffer-id fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Buf {
    /// Activations (act_bits elements).
    Abuf = 0,
    /// Weights in tile-major order, plus dequantisation scales.
    Wbuf = 1,
    /// KV cache rows (kv_bits elements).
    Kvbuf = 2,
    /// Scales and tables (int16).
    Sbuf = 3,
    /// Accumulators (int32); not reachable by DMA.
    Acc = 4,
}

impl Buf {
    /// All buffers.
    pub const ALL: [Buf; 5] = [Buf::Abuf, Buf::Wbuf, Buf::Kvbuf, Buf::Sbuf, Buf::Acc];
    /// Assembly name.
    pub fn name(self) -> &'static str {
        match self {
            Buf::Abuf => "abuf",
            Buf::Wbuf => "wbuf",
            Buf::Kvbuf => "kvbuf",
            Buf::Sbuf => "sbuf",
            Buf::Acc => "acc",
        }
    }
    /// Buffer with this id.
    pub fn from_id(id: u64) -> Option<Buf> {
        Buf::ALL.get(id as usize).copied()
    }
    /// Buffer with this assembly name.
    pub fn from_name(s: &str) -> Option<Buf> {
        Buf::ALL.into_iter().find(|b| b.name() == s)
    }
}

/// Dependency-token flags of an instruction (VTA-style). For the load queue
/// "next" is compute; for compute "prev" is load and "next" is store; for
/// the store queue "prev" is compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub struct Deps {
    /// Wait for and take a token from the previous queue (bit 8).
    pub pop_prev: bool,
    /// Wait for and take a token from the next queue (bit 9).
    pub pop_next: bool,
    /// Give a token to the previous queue when done (bit 10).
    pub push_prev: bool,
    /// Give a token to the next queue when done (bit 11).
    pub push_next: bool,
}

impl Deps {
    /// The four flags as bits `[3:0]` = pop_prev, pop_next, push_prev, push_next.
    pub fn bits(self) -> u64 {
        self.pop_prev as u64
            | (self.pop_next as u64) << 1
            | (self.push_prev as u64) << 2
            | (self.push_next as u64) << 3
    }
    /// Flags from bits `[3:0]`.
    pub fn from_bits(b: u64) -> Self {
        Deps {
            pop_prev: b & 1 != 0,
            pop_next: b & 2 != 0,
            push_prev: b & 4 != 0,
            push_next: b & 8 != 0,
        }
    }
}

macro_rules! isa {
    ($(
        $(#[$doc:meta])*
        $name:ident = $opcode:literal, $mnem:literal, $queue:expr, {
            $( $(#[$fdoc:meta])* $field:ident : $kind:ident $width:literal @ $lsb:literal ),* $(,)?
        };
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
            pub struct $name {
                $( $(#[$fdoc])* pub $field: u64, )*
            }
            impl $name {
                /// Field values in layout order (raw bits).
                pub fn values(&self) -> Vec<u64> {
                    vec![$( self.$field ),*]
                }
                /// Builds from raw field values in layout order.
                pub fn from_values(v: &[u64]) -> Self {
                    let mut _it = v.iter().copied();
                    $name { $( $field: _it.next().unwrap_or(0), )* }
                }
            }
        )*

        /// One operation with its fields.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(tag = "op", rename_all = "lowercase")]
        pub enum Op {
            $( $(#[$doc])* $name($name), )*
        }

        /// The instruction table: one entry per operation.
        pub static LAYOUTS: &[OpLayout] = &[
            $( OpLayout {
                opcode: $opcode,
                mnemonic: $mnem,
                queue: $queue,
                fields: &[ $( FieldLayout { name: stringify!($field), lsb: $lsb, width: $width, kind: FieldKind::$kind } ),* ],
            }, )*
        ];

        impl Op {
            /// This operation's table entry.
            pub fn layout(&self) -> &'static OpLayout {
                let code = self.opcode();
                LAYOUTS.iter().find(|l| l.opcode == code).expect("every Op has a layout")
            }
            /// Opcode.
            pub fn opcode(&self) -> u8 {
                match self { $( Op::$name(_) => $opcode, )* }
            }
            /// Raw field values in layout order.
            pub fn values(&self) -> Vec<u64> {
                match self { $( Op::$name(x) => x.values(), )* }
            }
            /// Builds an operation from its opcode and raw field values.
            pub fn from_values(opcode: u8, v: &[u64]) -> Option<Op> {
                match opcode { $( $opcode => Some(Op::$name($name::from_values(v))), )* _ => None }
            }
        }
    };
}

isa! {
    /// No operation; exists to pass dependency tokens on a queue.
    Nop = 0x00, "nop", None, {
        /// Queue that executes it: 0 load, 1 compute, 2 store.
        queue: U 2 @ 16,
    };
    /// DMA memory → buffer: `rows` rows of `row_bytes`, memory rows `hbm_stride`
    /// apart, buffer rows `buf_stride` apart (see docs/engine.md for the
    /// weight- and KV-buffer addressing).
    Load = 0x01, "load", Some(Queue::Load), {
        /// Memory channel (DMA engine) used.
        ch: U 6 @ 16,
        /// Destination buffer.
        buf: B 3 @ 22,
        /// Rows to copy.
        rows: U 16 @ 25,
        /// Bytes per row (multiple of the beat).
        row_bytes: U 24 @ 41,
        /// Channel-local memory byte address (beat aligned).
        hbm_addr: U 40 @ 65,
        /// Memory bytes between rows (beat aligned).
        hbm_stride: U 32 @ 105,
        /// Buffer byte address.
        buf_addr: U 32 @ 137,
        /// Buffer bytes between rows.
        buf_stride: U 32 @ 169,
    };
    /// DMA buffer → memory; fields as `load`.
    Store = 0x02, "store", Some(Queue::Store), {
        /// Memory channel (DMA engine) used.
        ch: U 6 @ 16,
        /// Source buffer.
        buf: B 3 @ 22,
        /// Rows to copy.
        rows: U 16 @ 25,
        /// Bytes per row (multiple of the beat).
        row_bytes: U 24 @ 41,
        /// Channel-local memory byte address (beat aligned).
        hbm_addr: U 40 @ 65,
        /// Memory bytes between rows (beat aligned).
        hbm_stride: U 32 @ 105,
        /// Buffer byte address.
        buf_addr: U 32 @ 137,
        /// Buffer bytes between rows.
        buf_stride: U 32 @ 169,
    };
    /// `ACC[m][n] (+)= Σ_k A[m][k]·B[k][n]`, optionally dequantised per group.
    Matmul = 0x03, "matmul", Some(Queue::Compute), {
        /// 0: matrix-matrix (output-stationary R×C tiles); 1: matrix-vector
        /// (R-wide dot products into C columns).
        mode: F 1 @ 16,
        /// B operand buffer: 0 weight buffer (tile-major), 1 KV buffer (rows).
        bsrc: F 1 @ 17,
        /// KV-buffer B only: 1 when KV rows hold B's columns (B = Kᵀ).
        btrans: F 1 @ 18,
        /// Add to the accumulators instead of overwriting them.
        accumulate: F 1 @ 19,
        /// Apply per-group int16 scales (weight buffer only).
        dequant: F 1 @ 20,
        /// Right shift (rounding) after each group's scale multiply.
        dq_shift: U 6 @ 21,
        /// Rows of A and of the result.
        m: U 16 @ 27,
        /// Columns of B and of the result.
        n: U 20 @ 43,
        /// Reduction length.
        k: U 20 @ 63,
        /// A operand byte address in the activation buffer.
        a_addr: U 32 @ 83,
        /// Bytes between rows of A.
        a_pitch: U 24 @ 115,
        /// B operand byte address (weight or KV buffer).
        b_addr: U 32 @ 139,
        /// Result byte address in the accumulator buffer.
        acc_addr: U 24 @ 171,
        /// Bytes between result rows.
        acc_pitch: U 20 @ 195,
        /// Weight-buffer byte address of the dequantisation scales.
        s_addr: U 32 @ 215,
        /// Bits of each B element (must match the B buffer's configured width).
        bbits: U 4 @ 247,
        /// Bits of each A element (must match act_bits).
        abits: U 5 @ 251,
    };
    /// `dst[m][n] = sat(round(src[m][n] · mult[n] >> shift))`, from
    /// accumulators or activations to activations or KV rows.
    Requant = 0x04, "requant", Some(Queue::Compute), {
        /// Source buffer (acc or abuf).
        src: B 3 @ 16,
        /// Destination buffer (abuf or kvbuf).
        dst: B 3 @ 19,
        /// Per-column int16 multipliers from the scale buffer instead of `mult`.
        col_scale: F 1 @ 22,
        /// Rounding right shift.
        shift: U 6 @ 23,
        /// Rows.
        m: U 16 @ 29,
        /// Columns.
        n: U 20 @ 45,
        /// Source byte address.
        src_addr: U 32 @ 65,
        /// Bytes between source rows.
        src_pitch: U 24 @ 97,
        /// Destination byte address.
        dst_addr: U 32 @ 121,
        /// Bytes between destination rows.
        dst_pitch: U 24 @ 153,
        /// Multiplier applied to every element (when `col_scale` is 0).
        mult: I 16 @ 177,
        /// Scale-buffer byte address of per-column multipliers.
        s_addr: U 32 @ 193,
    };
    /// Row softmax of int32 scores in the accumulators into activations.
    Softmax = 0x10, "softmax", Some(Queue::Compute), {
        /// Bit 0: causal mask (column `j` of row `i` valid when `j <= i + imm2`).
        flags: U 4 @ 16,
        /// Shift turning `(max - x) · imm0` into an exp-table index.
        shift: U 6 @ 20,
        /// Rows.
        m: U 16 @ 26,
        /// Columns.
        n: U 20 @ 42,
        /// Source byte address (accumulator buffer).
        src: U 32 @ 62,
        /// Bytes between source rows.
        src_pitch: U 20 @ 94,
        /// Destination byte address (activation buffer).
        dst: U 32 @ 114,
        /// Bytes between destination rows.
        dst_pitch: U 20 @ 146,
        /// Score multiplier (unsigned).
        imm0: U 16 @ 166,
        /// Causal row offset.
        imm2: U 26 @ 182,
    };
    /// RMSNorm of activation rows with int16 weights from the scale buffer.
    Rmsnorm = 0x11, "rmsnorm", Some(Queue::Compute), {
        /// Rounding right shift of the output.
        shift: U 6 @ 20,
        /// Rows.
        m: U 16 @ 26,
        /// Row length.
        n: U 20 @ 42,
        /// Source byte address.
        src: U 32 @ 62,
        /// Bytes between source rows.
        src_pitch: U 20 @ 94,
        /// Destination byte address.
        dst: U 32 @ 114,
        /// Bytes between destination rows.
        dst_pitch: U 20 @ 146,
        /// Scale-buffer byte address of the weights (int16 × n).
        s_addr: U 32 @ 166,
        /// Multiplier approximating 1/n (with `imm1`).
        imm0: U 16 @ 198,
        /// Shift approximating 1/n (with `imm0`).
        imm1: U 6 @ 214,
        /// Epsilon added to the mean square (in squared input units).
        imm2: U 26 @ 220,
    };
    /// LayerNorm: as `rmsnorm`, subtracting the mean and adding int16 biases
    /// stored after the weights.
    Layernorm = 0x12, "layernorm", Some(Queue::Compute), {
        /// Rounding right shift of the output.
        shift: U 6 @ 20,
        /// Rows.
        m: U 16 @ 26,
        /// Row length.
        n: U 20 @ 42,
        /// Source byte address.
        src: U 32 @ 62,
        /// Bytes between source rows.
        src_pitch: U 20 @ 94,
        /// Destination byte address.
        dst: U 32 @ 114,
        /// Bytes between destination rows.
        dst_pitch: U 20 @ 146,
        /// Scale-buffer byte address of weights then biases (int16 × 2n).
        s_addr: U 32 @ 166,
        /// Multiplier approximating 1/n.
        imm0: U 16 @ 198,
        /// Shift approximating 1/n.
        imm1: U 6 @ 214,
        /// Epsilon added to the variance.
        imm2: U 26 @ 220,
    };
    /// SiLU through a 257-entry int16 table in the scale buffer.
    Silu = 0x13, "silu", Some(Queue::Compute), {
        /// Rows.
        m: U 16 @ 26,
        /// Row length.
        n: U 20 @ 42,
        /// Source byte address.
        src: U 32 @ 62,
        /// Bytes between source rows.
        src_pitch: U 20 @ 94,
        /// Destination byte address.
        dst: U 32 @ 114,
        /// Bytes between destination rows.
        dst_pitch: U 20 @ 146,
        /// Scale-buffer byte address of the table.
        s_addr: U 32 @ 166,
    };
    /// GELU through a 257-entry int16 table in the scale buffer.
    Gelu = 0x14, "gelu", Some(Queue::Compute), {
        /// Rows.
        m: U 16 @ 26,
        /// Row length.
        n: U 20 @ 42,
        /// Source byte address.
        src: U 32 @ 62,
        /// Bytes between source rows.
        src_pitch: U 20 @ 94,
        /// Destination byte address.
        dst: U 32 @ 114,
        /// Bytes between destination rows.
        dst_pitch: U 20 @ 146,
        /// Scale-buffer byte address of the table.
        s_addr: U 32 @ 166,
    };
    /// Rotary embedding (rotate-half pairing) with Q1.14 cos/sin tables.
    Rope = 0x15, "rope", Some(Queue::Compute), {
        /// Rows (one position each).
        m: U 16 @ 26,
        /// Row length (heads × head_dim).
        n: U 20 @ 42,
        /// Source byte address.
        src: U 32 @ 62,
        /// Bytes between source rows.
        src_pitch: U 20 @ 94,
        /// Destination byte address.
        dst: U 32 @ 114,
        /// Bytes between destination rows.
        dst_pitch: U 20 @ 146,
        /// Scale-buffer byte address of row 0's (cos, sin) pairs.
        s_addr: U 32 @ 166,
        /// Head width (even).
        imm0: U 16 @ 198,
        /// Scale-buffer bytes between table rows.
        imm2: U 26 @ 220,
    };
    /// `dst = sat(round((a·imm0 + b·imm1) >> shift))`.
    Add = 0x16, "add", Some(Queue::Compute), {
        /// Rounding right shift.
        shift: U 6 @ 20,
        /// Rows.
        m: U 16 @ 26,
        /// Row length.
        n: U 20 @ 42,
        /// First operand byte address.
        src: U 32 @ 62,
        /// Bytes between rows of both operands.
        src_pitch: U 20 @ 94,
        /// Destination byte address.
        dst: U 32 @ 114,
        /// Bytes between destination rows.
        dst_pitch: U 20 @ 146,
        /// Second operand byte address.
        src2: U 32 @ 166,
        /// Multiplier of the first operand.
        imm0: I 16 @ 198,
        /// Multiplier of the second operand.
        imm1: I 16 @ 214,
    };
    /// `dst = sat(round((a·b·imm0) >> shift))`.
    Mul = 0x17, "mul", Some(Queue::Compute), {
        /// Rounding right shift.
        shift: U 6 @ 20,
        /// Rows.
        m: U 16 @ 26,
        /// Row length.
        n: U 20 @ 42,
        /// First operand byte address.
        src: U 32 @ 62,
        /// Bytes between rows of both operands.
        src_pitch: U 20 @ 94,
        /// Destination byte address.
        dst: U 32 @ 114,
        /// Bytes between destination rows.
        dst_pitch: U 20 @ 146,
        /// Second operand byte address.
        src2: U 32 @ 166,
        /// Multiplier of the product.
        imm0: I 16 @ 198,
    };
    /// Stop fetching; the engine reports done when every queue has drained.
    Halt = 0xff, "halt", Some(Queue::Control), {};
}

/// One instruction: dependency flags and an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Instr {
    /// Dependency tokens.
    pub deps: Deps,
    /// The operation.
    pub op: Op,
}

impl Instr {
    /// An instruction without dependency flags.
    pub fn new(op: Op) -> Self {
        Instr {
            deps: Deps::default(),
            op,
        }
    }
    /// The queue that executes this instruction.
    pub fn queue(&self) -> Queue {
        match self.op {
            Op::Nop(n) => match n.queue {
                0 => Queue::Load,
                2 => Queue::Store,
                _ => Queue::Compute,
            },
            other => other.layout().queue.unwrap_or(Queue::Control),
        }
    }
}
