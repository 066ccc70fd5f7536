//! Linear layers: one matmul per weight chunk and row sub-block, dequantised
//! per group, requantised into the output columns once a column block's K
//! is complete; a bias (replicated rows loaded from channel 0) is added last.

use super::{Block, Emitter};
use crate::lower::kernels::View;
use llmfab_isa::instr::{Add, Buf, Load, Matmul, Op, Requant};
use llmfab_models::OpId;

impl Emitter<'_> {
    /// Emits linear kernel `ki` (op `op`): `out = x · W (+ b)`.
    pub(crate) fn linear(
        &mut self,
        ki: usize,
        op: OpId,
        x: View,
        out: View,
        bias: bool,
        b: &Block,
    ) {
        let cfg = self.cx.cfg;
        let q = self.cx.plan.linear(op);
        let m_rows = self.rows_of(x, b);
        let (xa, xp) = self.at(x, 0);
        let (oa, op_pitch) = self.at(out, 0);
        let ab = cfg.act_bytes();
        let tile = cfg.tile_bytes();
        let t = self.cx.wt.of(op);
        let lin_rows = self.lay.lin_rows;
        let acc_pitch = self.lay.lin_acc_pitch;
        let mode = if m_rows == 1 { 1 } else { self.mode() };
        if bias {
            let s = self.lay.scratch[ki].expect("bias scratch");
            self.push(
                Op::Load(Load {
                    ch: 0,
                    buf: Buf::Abuf as u64,
                    rows: m_rows,
                    row_bytes: (out.width * ab).div_ceil(cfg.beat_bytes()) * cfg.beat_bytes(),
                    hbm_addr: self.cx.map.bias[op.0 as usize].expect("bias placed"),
                    hbm_stride: 0,
                    buf_addr: s.addr,
                    buf_stride: s.pitch,
                }),
                op,
            );
        }
        for c in t.chunks.clone() {
            let slot = self.next_weights();
            let last_k = c.k0 + c.kc == t.k;
            let mut m0 = 0;
            while m0 < m_rows {
                // K-split results accumulate across chunks: keep every row's block.
                let mm = if t.k_split {
                    m_rows
                } else {
                    lin_rows.min(m_rows - m0)
                };
                let acc0 = 0;
                self.push(
                    Op::Matmul(Matmul {
                        mode,
                        bsrc: 0,
                        btrans: 0,
                        accumulate: u64::from(!c.first_k()),
                        dequant: 1,
                        dq_shift: q.dq_shift as u64,
                        m: mm,
                        n: c.nb,
                        k: c.kc,
                        a_addr: xa + m0 * xp + c.k0 * ab,
                        a_pitch: xp,
                        b_addr: slot * tile,
                        acc_addr: acc0,
                        acc_pitch,
                        s_addr: (slot + c.tiles) * tile,
                        bbits: cfg.weight_bits as u64,
                        abits: cfg.act_bits as u64,
                    }),
                    op,
                );
                if last_k {
                    self.push(
                        Op::Requant(Requant {
                            src: Buf::Acc as u64,
                            dst: Buf::Abuf as u64,
                            col_scale: 0,
                            shift: q.out.shift as u64,
                            m: mm,
                            n: c.nb,
                            src_addr: acc0,
                            src_pitch: acc_pitch,
                            dst_addr: oa + m0 * op_pitch + c.n0 * ab,
                            dst_pitch: op_pitch,
                            mult: field_i16(q.out.mult),
                            s_addr: 0,
                        }),
                        op,
                    );
                }
                m0 += mm;
            }
        }
        if let (true, Some(bq)) = (bias, q.bias) {
            let s = self.lay.scratch[ki].expect("bias scratch");
            self.push(
                Op::Add(Add {
                    shift: bq.shift as u64,
                    m: m_rows,
                    n: out.width,
                    src: oa,
                    src_pitch: op_pitch,
                    dst: oa,
                    dst_pitch: op_pitch,
                    src2: s.addr,
                    imm0: field_i16(bq.imm0),
                    imm1: field_i16(bq.imm1),
                }),
                op,
            );
        }
    }
}

/// Raw bits of a signed 16-bit field.
pub(crate) fn field_i16(v: i64) -> u64 {
    (v.clamp(i16::MIN as i64, i16::MAX as i64) as u64) & 0xffff
}
