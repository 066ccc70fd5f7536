//! SFU kernels: norms, RoPE, activation tables, residual add and multiply.

use super::linear::field_i16;
use super::{Block, Emitter};
use crate::lower::kernels::View;
use crate::qplan::OpQuant;
use llmfab_isa::instr::{Add, Gelu, Layernorm, Mul, Op, Rmsnorm, Rope, Silu};
use llmfab_models::{ActFn, NormKind, OpId};

impl Emitter<'_> {
    /// RMSNorm / LayerNorm of the block's rows (or only its last row).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn norm(
        &mut self,
        op: OpId,
        kind: NormKind,
        x: View,
        out: View,
        last_row: bool,
        s_addr: u64,
        b: &Block,
    ) {
        let OpQuant::Norm(q) = self.cx.plan.op(op).clone() else {
            unreachable!("norm constants")
        };
        let (src, sp) = self.at(x, if last_row { b.rows - 1 } else { 0 });
        let (dst, dp) = self.at(out, 0);
        let m = if last_row { 1 } else { b.rows };
        let (shift, n, imm0, imm1, imm2) = (
            q.shift as u64,
            x.width,
            q.imm0 as u64,
            q.imm1 as u64,
            q.imm2 as u64,
        );
        let ins = match kind {
            NormKind::RmsNorm => Op::Rmsnorm(Rmsnorm {
                shift,
                m,
                n,
                src,
                src_pitch: sp,
                dst,
                dst_pitch: dp,
                s_addr,
                imm0,
                imm1,
                imm2,
            }),
            NormKind::LayerNorm => Op::Layernorm(Layernorm {
                shift,
                m,
                n,
                src,
                src_pitch: sp,
                dst,
                dst_pitch: dp,
                s_addr,
                imm0,
                imm1,
                imm2,
            }),
        };
        self.push(ins, op);
    }

    /// RoPE in place over the q|k columns, with the block's table rows.
    pub(crate) fn rope(&mut self, op: OpId, head_dim: u64, x: View, b: &Block) {
        let (src, sp) = self.at(x, 0);
        self.push(
            Op::Rope(Rope {
                m: b.rows,
                n: x.width,
                src,
                src_pitch: sp,
                dst: src,
                dst_pitch: sp,
                s_addr: self.lay.sbuf_rope,
                imm0: head_dim,
                imm2: self.lay.rope_row_bytes,
            }),
            op,
        );
    }

    /// Activation through its table (ReLU runs on the `silu` table path).
    pub(crate) fn act(&mut self, op: OpId, x: View, out: View, s_addr: u64, b: &Block) {
        let (src, sp) = self.at(x, 0);
        let (dst, dp) = self.at(out, 0);
        let m = b.rows;
        let n = x.width;
        let func = match self.cx.graph.op(op).kind {
            llmfab_models::graph::OpKind::Act { func } => func,
            _ => ActFn::Silu,
        };
        let ins = match func {
            ActFn::Gelu => Op::Gelu(Gelu {
                m,
                n,
                src,
                src_pitch: sp,
                dst,
                dst_pitch: dp,
                s_addr,
            }),
            ActFn::Silu | ActFn::Relu => Op::Silu(Silu {
                m,
                n,
                src,
                src_pitch: sp,
                dst,
                dst_pitch: dp,
                s_addr,
            }),
        };
        self.push(ins, op);
    }

    /// `out = a·imm0 + b·imm1` (rows of `a` and `b` share one pitch).
    pub(crate) fn add(&mut self, op: OpId, a: View, bv: View, out: View, b: &Block) {
        let OpQuant::Add(q) = self.cx.plan.op(op).clone() else {
            unreachable!("add constants")
        };
        let (src, sp) = self.at(a, 0);
        let (src2, _) = self.at(bv, 0);
        let (dst, dp) = self.at(out, 0);
        self.push(
            Op::Add(Add {
                shift: q.shift as u64,
                m: b.rows,
                n: a.width,
                src,
                src_pitch: sp,
                dst,
                dst_pitch: dp,
                src2,
                imm0: field_i16(q.imm0),
                imm1: field_i16(q.imm1),
            }),
            op,
        );
    }

    /// `out = a·b·imm0`.
    pub(crate) fn mul(&mut self, op: OpId, a: View, bv: View, out: View, b: &Block) {
        let OpQuant::Mul { imm0, shift } = self.cx.plan.op(op).clone() else {
            unreachable!("mul constants")
        };
        let (src, sp) = self.at(a, 0);
        let (src2, _) = self.at(bv, 0);
        let (dst, dp) = self.at(out, 0);
        self.push(
            Op::Mul(Mul {
                shift: shift as u64,
                m: b.rows,
                n: a.width,
                src,
                src_pitch: sp,
                dst,
                dst_pitch: dp,
                src2,
                imm0: field_i16(imm0),
            }),
            op,
        );
    }
}
