//! `llmfab_dma_wr`: a channel's DMA write engine (stores). The address
//! side ([`DmaWalk`]) issues AXI AW bursts; each AW handshake pushes a
//! descriptor (`[31:0]` the transfer's first buffer byte, `[39:32]` AXI
//! length, `[42:40]` buffer, `[43]` first burst, `[67:44]` beats per row,
//! `[99:68]` row gap in bytes) into an external FIFO for the read side and a flag pair
//! (`[0]` last burst of the transfer, `[1]` KVBUF) into another for the
//! response side (both `llmfab_fifo`, depth 16).
//!
//! Read side: reads the descriptors' beats from the buffer in order, one
//! per cycle, while `wf_count + (read in the previous cycle) ≤ 2`
//! (`wf_count` = registered occupancy of the 4-entry W FIFO); a burst's
//! first beat is read straight from the descriptor FIFO head (no bubble).
//! The beats walk the transfer's buffer rows: the transfer's first beat is
//! at `dest`, each next one at the previous + beat, + `gap` after a row's
//! last beat (a burst may span rows when the memory rows are contiguous).
//! A beat read in cycle `t` is pushed into the W FIFO in `t+1` (with its
//! `last` flag) and can be sent on W from `t+2`.
//!
//! Response side: `b_ready` is always high; a B response in cycle `t`
//! ends a burst (`out` drops in `t+1`) and, for the transfer's last burst,
//! the transfer's port claim (from `t+1`).

use super::dma_walk::DmaWalk;
use rust_hdl::prelude::*;

/// DMA write engine (control only; beat data flows structurally).
#[derive(LogicBlock)]
pub struct DmaWr {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// Hand a transfer over.
    pub cmd_valid: Signal<In, Bit>,
    /// Buffer id.
    pub cmd_buf: Signal<In, Bits<3>>,
    /// Rows.
    pub cmd_rows: Signal<In, Bits<16>>,
    /// Bytes per row.
    pub cmd_row_bytes: Signal<In, Bits<24>>,
    /// Channel-local memory address.
    pub cmd_hbm_addr: Signal<In, Bits<40>>,
    /// Memory stride.
    pub cmd_hbm_stride: Signal<In, Bits<32>>,
    /// Buffer address.
    pub cmd_buf_addr: Signal<In, Bits<32>>,
    /// Buffer stride.
    pub cmd_buf_stride: Signal<In, Bits<32>>,
    /// The channel's base pointer (low 12 bits ignored).
    pub base: Signal<In, Bits<64>>,
    /// log2 beat bytes (constant).
    pub beat_shift: Signal<In, Bits<3>>,
    /// Longest burst (constant).
    pub max_burst: Signal<In, Bits<32>>,
    /// Most bursts outstanding (constant, ≤ 16).
    pub max_out: Signal<In, Bits<5>>,
    /// Ports claimed by the compute unit.
    pub claim: Signal<In, Bits<4>>,
    /// AXI AW valid.
    pub aw_valid: Signal<Out, Bit>,
    /// AXI AW address.
    pub aw_addr: Signal<Out, Bits<64>>,
    /// AXI AW length.
    pub aw_len: Signal<Out, Bits<8>>,
    /// AXI AW ready.
    pub aw_ready: Signal<In, Bit>,
    /// AXI B valid.
    pub b_valid: Signal<In, Bit>,
    /// Read-side descriptor FIFO push.
    pub desc_push: Signal<Out, Bit>,
    /// Read-side descriptor pushed.
    pub desc_in: Signal<Out, Bits<100>>,
    /// Read-side descriptor FIFO head.
    pub desc_out: Signal<In, Bits<100>>,
    /// Read-side descriptor FIFO empty.
    pub desc_empty: Signal<In, Bit>,
    /// Read-side descriptor FIFO pop.
    pub desc_pop: Signal<Out, Bit>,
    /// Response flag pushed (`[0]` last, `[1]` KVBUF).
    pub bflag_in: Signal<Out, Bits<2>>,
    /// Response flag FIFO head.
    pub bflag_out: Signal<In, Bits<2>>,
    /// Buffer read enable.
    pub rd_en: Signal<Out, Bit>,
    /// Buffer read: which buffer.
    pub rd_buf: Signal<Out, Bits<3>>,
    /// Buffer read byte address (logical).
    pub rd_addr: Signal<Out, Bits<32>>,
    /// Push the beat read in the previous cycle into the W FIFO.
    pub wf_push: Signal<Out, Bit>,
    /// That beat is its burst's last.
    pub wf_last: Signal<Out, Bit>,
    /// W FIFO occupancy (registered).
    pub wf_count: Signal<In, Bits<11>>,
    /// The command slot is empty.
    pub ready: Signal<Out, Bit>,
    /// A transfer is pending, active or outstanding.
    pub busy: Signal<Out, Bit>,
    /// Shared ports held (bit 0 ABUF read, bit 2 KVBUF read).
    pub hold: Signal<Out, Bits<4>>,
    walk: DmaWalk,
    out: DFF<Bits<5>>,
    n_abr: DFF<Bits<5>>,
    n_kvr: DFF<Bits<5>>,
    rd_active: DFF<Bit>,
    rd_left: DFF<Bits<9>>,
    rd_ptr: DFF<Bits<32>>,
    rd_rl: DFF<Bits<24>>,
    rd_rbq: DFF<Bits<24>>,
    rd_gap: DFF<Bits<32>>,
    rd_b: DFF<Bits<3>>,
    push_d: DFF<Bit>,
    last_d: DFF<Bit>,
    space: Signal<Local, Bit>,
    start_burst: Signal<Local, Bit>,
    beat: Signal<Local, Bits<32>>,
    d_len: Signal<Local, Bits<9>>,
    fb: Signal<Local, Bit>,
    step: Signal<Local, Bit>,
    rbv: Signal<Local, Bits<24>>,
    gv: Signal<Local, Bits<32>>,
    a: Signal<Local, Bits<32>>,
    r: Signal<Local, Bits<24>>,
    nx: Signal<Local, Bits<32>>,
    nxg: Signal<Local, Bits<32>>,
    rm1: Signal<Local, Bits<24>>,
    one24: Constant<Bits<24>>,
    done_x: Signal<Local, Bit>,
    done_kv: Signal<Local, Bit>,
    acq_ab: Signal<Local, Bit>,
    acq_kv: Signal<Local, Bit>,
    inflight: Signal<Local, Bits<11>>,
    one5: Constant<Bits<5>>,
    one9: Constant<Bits<9>>,
    zero5s: Constant<Bits<5>>,
    two11: Constant<Bits<11>>,
    one32: Constant<Bits<32>>,
    zero5: Constant<Bits<5>>,
    zero9: Constant<Bits<9>>,
    hi_mask: Constant<Bits<64>>,
    b_kvbuf: Constant<Bits<3>>,
    p_abr: Constant<Bits<4>>,
    p_kvr: Constant<Bits<4>>,
}

impl Default for DmaWr {
    fn default() -> Self {
        DmaWr {
            clock: Default::default(),
            rst: Default::default(),
            cmd_valid: Default::default(),
            cmd_buf: Default::default(),
            cmd_rows: Default::default(),
            cmd_row_bytes: Default::default(),
            cmd_hbm_addr: Default::default(),
            cmd_hbm_stride: Default::default(),
            cmd_buf_addr: Default::default(),
            cmd_buf_stride: Default::default(),
            base: Default::default(),
            beat_shift: Default::default(),
            max_burst: Default::default(),
            max_out: Default::default(),
            claim: Default::default(),
            aw_valid: Default::default(),
            aw_addr: Default::default(),
            aw_len: Default::default(),
            aw_ready: Default::default(),
            b_valid: Default::default(),
            desc_push: Default::default(),
            desc_in: Default::default(),
            desc_out: Default::default(),
            desc_empty: Default::default(),
            desc_pop: Default::default(),
            bflag_in: Default::default(),
            bflag_out: Default::default(),
            rd_en: Default::default(),
            rd_buf: Default::default(),
            rd_addr: Default::default(),
            wf_push: Default::default(),
            wf_last: Default::default(),
            wf_count: Default::default(),
            ready: Default::default(),
            busy: Default::default(),
            hold: Default::default(),
            walk: Default::default(),
            out: Default::default(),
            n_abr: Default::default(),
            n_kvr: Default::default(),
            rd_active: Default::default(),
            rd_left: Default::default(),
            rd_ptr: Default::default(),
            rd_rl: Default::default(),
            rd_rbq: Default::default(),
            rd_gap: Default::default(),
            rd_b: Default::default(),
            push_d: Default::default(),
            last_d: Default::default(),
            space: Default::default(),
            start_burst: Default::default(),
            beat: Default::default(),
            d_len: Default::default(),
            fb: Default::default(),
            step: Default::default(),
            rbv: Default::default(),
            gv: Default::default(),
            a: Default::default(),
            r: Default::default(),
            nx: Default::default(),
            nxg: Default::default(),
            rm1: Default::default(),
            one24: Constant::new(1u64.to_bits()),
            done_x: Default::default(),
            done_kv: Default::default(),
            acq_ab: Default::default(),
            acq_kv: Default::default(),
            inflight: Default::default(),
            one5: Constant::new(1u64.to_bits()),
            one9: Constant::new(1u64.to_bits()),
            zero5s: Constant::new(0u64.to_bits()),
            two11: Constant::new(2u64.to_bits()),
            one32: Constant::new(1u64.to_bits()),
            zero5: Constant::new(0u64.to_bits()),
            zero9: Constant::new(0u64.to_bits()),
            hi_mask: Constant::new((!0xfffu64).to_bits()),
            b_kvbuf: Constant::new(2u64.to_bits()),
            p_abr: Constant::new(1u64.to_bits()),
            p_kvr: Constant::new(4u64.to_bits()),
        }
    }
}

impl Logic for DmaWr {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, out, n_abr, n_kvr, rd_active, rd_left, rd_ptr, rd_rl, rd_rbq, rd_gap,
            rd_b, push_d, last_d
        );
        self.walk.clock.next = self.clock.val();
        self.walk.rst.next = self.rst.val();
        self.walk.cmd_valid.next = self.cmd_valid.val();
        self.walk.cmd_buf.next = self.cmd_buf.val();
        self.walk.cmd_rows.next = self.cmd_rows.val();
        self.walk.cmd_row_bytes.next = self.cmd_row_bytes.val();
        self.walk.cmd_hbm_addr.next = self.cmd_hbm_addr.val();
        self.walk.cmd_hbm_stride.next = self.cmd_hbm_stride.val();
        self.walk.cmd_buf_addr.next = self.cmd_buf_addr.val();
        self.walk.cmd_buf_stride.next = self.cmd_buf_stride.val();
        self.walk.beat_shift.next = self.beat_shift.val();
        self.walk.max_burst.next = self.max_burst.val();
        self.walk.max_out.next = self.max_out.val();
        self.walk.tile_shift.next = self.zero5s.val();
        self.walk.slice_shift.next = self.zero5s.val();
        self.walk.claim.next = self.claim.val();
        self.walk.out.next = self.out.q.val();
        self.walk.is_store.next = true;
        self.walk.a_ready.next = self.aw_ready.val();
        self.ready.next = self.walk.ready.val();
        // AW channel.
        self.aw_valid.next = self.walk.valid.val();
        self.aw_addr.next =
            (self.base.val() & self.hi_mask.val()) + bit_cast::<64, 40>(self.walk.mem.val());
        self.aw_len.next = self.walk.len.val();
        self.desc_push.next = self.walk.fire.val();
        self.desc_in.next = bit_cast::<100, 32>(self.walk.dest.val())
            | (bit_cast::<100, 8>(self.walk.len.val()) << 32)
            | (bit_cast::<100, 3>(self.walk.bsel.val()) << 40)
            | (bit_cast::<100, 1>(self.walk.first.val().into()) << 43)
            | (bit_cast::<100, 24>(self.walk.rbeats.val()) << 44)
            | (bit_cast::<100, 32>(self.walk.gap.val()) << 68);
        self.bflag_in.next = bit_cast::<2, 1>(self.walk.last.val().into())
            | (bit_cast::<2, 1>((self.walk.bsel.val() == self.b_kvbuf.val()).into()) << 1);
        // Read side.
        self.beat.next = self.one32.val() << self.beat_shift.val();
        self.inflight.next = bit_cast::<11, 1>(self.push_d.q.val().into());
        self.space.next = (self.wf_count.val() + self.inflight.val()) <= self.two11.val();
        self.start_burst.next = !self.rd_active.q.val() & !self.desc_empty.val() & self.space.val();
        self.d_len.next = bit_cast::<9, 8>(self.desc_out.val().get_bits::<8>(32));
        self.desc_pop.next = self.start_burst.val();
        // Buffer walk: this cycle's beat address and the next one.
        self.fb.next = self.start_burst.val() & self.desc_out.val().get_bit(43);
        if self.start_burst.val() {
            self.rbv.next = self.desc_out.val().get_bits::<24>(44);
            self.gv.next = self.desc_out.val().get_bits::<32>(68);
        } else {
            self.rbv.next = self.rd_rbq.q.val();
            self.gv.next = self.rd_gap.q.val();
        }
        if self.fb.val() {
            self.a.next = self.desc_out.val().get_bits::<32>(0);
            self.r.next = self.rbv.val();
        } else {
            self.a.next = self.rd_ptr.q.val();
            self.r.next = self.rd_rl.q.val();
        }
        self.nx.next = self.a.val() + self.beat.val();
        self.nxg.next = self.nx.val() + self.gv.val();
        self.rm1.next = self.r.val() - self.one24.val();
        self.step.next = self.start_burst.val() | (self.rd_active.q.val() & self.space.val());
        if self.step.val() {
            if self.r.val() == self.one24.val() {
                self.rd_ptr.d.next = self.nxg.val();
                self.rd_rl.d.next = self.rbv.val();
            } else {
                self.rd_ptr.d.next = self.nx.val();
                self.rd_rl.d.next = self.rm1.val();
            }
        }
        self.rd_en.next = false;
        self.rd_addr.next = self.a.val();
        self.rd_buf.next = self.rd_b.q.val();
        self.push_d.d.next = false;
        self.last_d.d.next = false;
        if self.start_burst.val() {
            self.rd_en.next = true;
            self.rd_buf.next = self.desc_out.val().get_bits::<3>(40);
            self.push_d.d.next = true;
            self.rd_b.d.next = self.desc_out.val().get_bits::<3>(40);
            self.rd_rbq.d.next = self.rbv.val();
            self.rd_gap.d.next = self.gv.val();
            self.rd_left.d.next = self.d_len.val();
            if self.d_len.val() == self.zero9.val() {
                self.last_d.d.next = true;
            } else {
                self.rd_active.d.next = true;
            }
        }
        if self.rd_active.q.val() & self.space.val() {
            self.rd_en.next = true;
            self.push_d.d.next = true;
            self.rd_left.d.next = self.rd_left.q.val() - self.one9.val();
            if self.rd_left.q.val() == self.one9.val() {
                self.last_d.d.next = true;
                self.rd_active.d.next = false;
            }
        }
        self.wf_push.next = self.push_d.q.val();
        self.wf_last.next = self.last_d.q.val();
        // Outstanding bursts and port holds.
        if self.walk.fire.val() & !self.b_valid.val() {
            self.out.d.next = self.out.q.val() + self.one5.val();
        }
        if !self.walk.fire.val() & self.b_valid.val() {
            self.out.d.next = self.out.q.val() - self.one5.val();
        }
        self.done_x.next = self.b_valid.val() & self.bflag_out.val().get_bit(0);
        self.done_kv.next = self.bflag_out.val().get_bit(1);
        self.acq_ab.next = self.walk.acq_now.val() & (self.walk.need.val() == self.p_abr.val());
        self.acq_kv.next = self.walk.acq_now.val() & (self.walk.need.val() == self.p_kvr.val());
        if self.acq_ab.val() & !(self.done_x.val() & !self.done_kv.val()) {
            self.n_abr.d.next = self.n_abr.q.val() + self.one5.val();
        }
        if !self.acq_ab.val() & (self.done_x.val() & !self.done_kv.val()) {
            self.n_abr.d.next = self.n_abr.q.val() - self.one5.val();
        }
        if self.acq_kv.val() & !(self.done_x.val() & self.done_kv.val()) {
            self.n_kvr.d.next = self.n_kvr.q.val() + self.one5.val();
        }
        if !self.acq_kv.val() & (self.done_x.val() & self.done_kv.val()) {
            self.n_kvr.d.next = self.n_kvr.q.val() - self.one5.val();
        }
        self.hold.next = bit_cast::<4, 1>((self.n_abr.q.val() != self.zero5.val()).into())
            | (bit_cast::<4, 1>((self.n_kvr.q.val() != self.zero5.val()).into()) << 2);
        self.busy.next = self.walk.pending.val() | (self.out.q.val() != self.zero5.val());
        if self.rst.val() {
            self.out.d.next = self.zero5.val();
            self.n_abr.d.next = self.zero5.val();
            self.n_kvr.d.next = self.zero5.val();
            self.rd_active.d.next = false;
            self.push_d.d.next = false;
            self.last_d.d.next = false;
        }
    }
}
