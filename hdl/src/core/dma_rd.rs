//! `llmfab_dma_rd`: a channel's DMA read engine (loads): the address side
//! ([`DmaWalk`]) issues AXI AR bursts; every R beat is written to the
//! destination buffer in the cycle it arrives (`r_ready` is always high;
//! the transfer's port is claimed, so the buffer port is free). Per-burst
//! destinations wait in an external descriptor FIFO (`llmfab_fifo`, depth
//! 16 ≥ `max_out`): pushed at the AR handshake, popped with the burst's
//! last beat. The beats walk the transfer's buffer rows: the transfer's
//! first beat goes to the descriptor's `dest`, each next one to the
//! previous address + beat, + `gap` after a row's last beat (a burst may
//! span rows when the memory rows are contiguous).
//!
//! A burst stops being outstanding in the cycle after its last beat; a
//! transfer's port claim (`hold`) ends in the cycle after its last beat;
//! `busy` (registered) is high while a transfer is in the slot, active or
//! has beats outstanding.

use super::dma_walk::DmaWalk;
use rust_hdl::prelude::*;

/// DMA read engine (control only; R data goes to the buffers structurally).
#[derive(LogicBlock)]
pub struct DmaRd {
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
    /// log2 tile bytes (constant).
    pub tile_shift: Signal<In, Bits<5>>,
    /// log2 slice bytes (constant).
    pub slice_shift: Signal<In, Bits<5>>,
    /// Ports claimed by the compute unit.
    pub claim: Signal<In, Bits<4>>,
    /// AXI AR valid.
    pub ar_valid: Signal<Out, Bit>,
    /// AXI AR address.
    pub ar_addr: Signal<Out, Bits<64>>,
    /// AXI AR length.
    pub ar_len: Signal<Out, Bits<8>>,
    /// AXI AR ready.
    pub ar_ready: Signal<In, Bit>,
    /// AXI R valid.
    pub r_valid: Signal<In, Bit>,
    /// AXI R last.
    pub r_last: Signal<In, Bit>,
    /// Descriptor FIFO push.
    pub desc_push: Signal<Out, Bit>,
    /// Descriptor pushed: `[31:0]` the transfer's first buffer byte,
    /// `[34:32]` buffer, `[35]` last burst, `[36]` first burst, `[60:37]`
    /// beats per row, `[92:61]` row gap (bytes).
    pub desc_in: Signal<Out, Bits<93>>,
    /// Descriptor FIFO head.
    pub desc_out: Signal<In, Bits<93>>,
    /// Descriptor FIFO pop.
    pub desc_pop: Signal<Out, Bit>,
    /// Buffer write of the current R beat.
    pub wr_en: Signal<Out, Bit>,
    /// Its buffer.
    pub wr_buf: Signal<Out, Bits<3>>,
    /// Its byte address (logical; WBUF: bank-local).
    pub wr_addr: Signal<Out, Bits<32>>,
    /// The command slot is empty.
    pub ready: Signal<Out, Bit>,
    /// A transfer is pending, active or outstanding.
    pub busy: Signal<Out, Bit>,
    /// Shared ports held (bit 1 ABUF write, bit 3 KVBUF write).
    pub hold: Signal<Out, Bits<4>>,
    walk: DmaWalk,
    out: DFF<Bits<5>>,
    cur: DFF<Bits<32>>,
    rl: DFF<Bits<24>>,
    mid: DFF<Bit>,
    n_abw: DFF<Bits<5>>,
    n_kvw: DFF<Bits<5>>,
    done_x: Signal<Local, Bit>,
    done_buf: Signal<Local, Bits<3>>,
    beat: Signal<Local, Bits<32>>,
    fb: Signal<Local, Bit>,
    d_rb: Signal<Local, Bits<24>>,
    d_gap: Signal<Local, Bits<32>>,
    a: Signal<Local, Bits<32>>,
    r: Signal<Local, Bits<24>>,
    nx: Signal<Local, Bits<32>>,
    nxg: Signal<Local, Bits<32>>,
    rm1: Signal<Local, Bits<24>>,
    one24: Constant<Bits<24>>,
    one5: Constant<Bits<5>>,
    one32: Constant<Bits<32>>,
    zero5: Constant<Bits<5>>,
    hi_mask: Constant<Bits<64>>,
    b_abuf: Constant<Bits<3>>,
    b_kvbuf: Constant<Bits<3>>,
    p_abw: Constant<Bits<4>>,
    p_kvw: Constant<Bits<4>>,
}

impl Default for DmaRd {
    fn default() -> Self {
        DmaRd {
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
            tile_shift: Default::default(),
            slice_shift: Default::default(),
            claim: Default::default(),
            ar_valid: Default::default(),
            ar_addr: Default::default(),
            ar_len: Default::default(),
            ar_ready: Default::default(),
            r_valid: Default::default(),
            r_last: Default::default(),
            desc_push: Default::default(),
            desc_in: Default::default(),
            desc_out: Default::default(),
            desc_pop: Default::default(),
            wr_en: Default::default(),
            wr_buf: Default::default(),
            wr_addr: Default::default(),
            ready: Default::default(),
            busy: Default::default(),
            hold: Default::default(),
            walk: Default::default(),
            out: Default::default(),
            cur: Default::default(),
            rl: Default::default(),
            mid: Default::default(),
            n_abw: Default::default(),
            n_kvw: Default::default(),
            done_x: Default::default(),
            done_buf: Default::default(),
            beat: Default::default(),
            fb: Default::default(),
            d_rb: Default::default(),
            d_gap: Default::default(),
            a: Default::default(),
            r: Default::default(),
            nx: Default::default(),
            nxg: Default::default(),
            rm1: Default::default(),
            one24: Constant::new(1u64.to_bits()),
            one5: Constant::new(1u64.to_bits()),
            one32: Constant::new(1u64.to_bits()),
            zero5: Constant::new(0u64.to_bits()),
            hi_mask: Constant::new((!0xfffu64).to_bits()),
            b_abuf: Constant::new(0u64.to_bits()),
            b_kvbuf: Constant::new(2u64.to_bits()),
            p_abw: Constant::new(2u64.to_bits()),
            p_kvw: Constant::new(8u64.to_bits()),
        }
    }
}

impl Logic for DmaRd {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, out, cur, rl, mid, n_abw, n_kvw);
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
        self.walk.tile_shift.next = self.tile_shift.val();
        self.walk.slice_shift.next = self.slice_shift.val();
        self.walk.claim.next = self.claim.val();
        self.walk.out.next = self.out.q.val();
        self.walk.is_store.next = false;
        self.walk.a_ready.next = self.ar_ready.val();
        self.ready.next = self.walk.ready.val();
        // AR channel.
        self.ar_valid.next = self.walk.valid.val();
        self.ar_addr.next =
            (self.base.val() & self.hi_mask.val()) + bit_cast::<64, 40>(self.walk.mem.val());
        self.ar_len.next = self.walk.len.val();
        self.desc_push.next = self.walk.fire.val();
        self.desc_in.next = bit_cast::<93, 32>(self.walk.dest.val())
            | (bit_cast::<93, 3>(self.walk.bsel.val()) << 32)
            | (bit_cast::<93, 1>(self.walk.last.val().into()) << 35)
            | (bit_cast::<93, 1>(self.walk.first.val().into()) << 36)
            | (bit_cast::<93, 24>(self.walk.rbeats.val()) << 37)
            | (bit_cast::<93, 32>(self.walk.gap.val()) << 61);
        // R channel: write each beat, walking the buffer rows.
        self.beat.next = self.one32.val() << self.beat_shift.val();
        self.fb.next = self.desc_out.val().get_bit(36) & !self.mid.q.val();
        self.d_rb.next = self.desc_out.val().get_bits::<24>(37);
        self.d_gap.next = self.desc_out.val().get_bits::<32>(61);
        if self.fb.val() {
            self.a.next = self.desc_out.val().get_bits::<32>(0);
            self.r.next = self.d_rb.val();
        } else {
            self.a.next = self.cur.q.val();
            self.r.next = self.rl.q.val();
        }
        self.nx.next = self.a.val() + self.beat.val();
        self.nxg.next = self.nx.val() + self.d_gap.val();
        self.rm1.next = self.r.val() - self.one24.val();
        self.wr_en.next = self.r_valid.val();
        self.wr_buf.next = self.desc_out.val().get_bits::<3>(32);
        self.wr_addr.next = self.a.val();
        self.desc_pop.next = self.r_valid.val() & self.r_last.val();
        if self.r_valid.val() {
            self.mid.d.next = !self.r_last.val();
            if self.r.val() == self.one24.val() {
                self.cur.d.next = self.nxg.val();
                self.rl.d.next = self.d_rb.val();
            } else {
                self.cur.d.next = self.nx.val();
                self.rl.d.next = self.rm1.val();
            }
        }
        if self.walk.fire.val() & !(self.r_valid.val() & self.r_last.val()) {
            self.out.d.next = self.out.q.val() + self.one5.val();
        }
        if !self.walk.fire.val() & self.r_valid.val() & self.r_last.val() {
            self.out.d.next = self.out.q.val() - self.one5.val();
        }
        // Port holds: from the claim to the transfer's last beat.
        self.done_x.next = self.r_valid.val() & self.r_last.val() & self.desc_out.val().get_bit(35);
        self.done_buf.next = self.desc_out.val().get_bits::<3>(32);
        if (self.walk.acq_now.val() & (self.walk.need.val() == self.p_abw.val()))
            & !(self.done_x.val() & (self.done_buf.val() == self.b_abuf.val()))
        {
            self.n_abw.d.next = self.n_abw.q.val() + self.one5.val();
        }
        if !(self.walk.acq_now.val() & (self.walk.need.val() == self.p_abw.val()))
            & (self.done_x.val() & (self.done_buf.val() == self.b_abuf.val()))
        {
            self.n_abw.d.next = self.n_abw.q.val() - self.one5.val();
        }
        if (self.walk.acq_now.val() & (self.walk.need.val() == self.p_kvw.val()))
            & !(self.done_x.val() & (self.done_buf.val() == self.b_kvbuf.val()))
        {
            self.n_kvw.d.next = self.n_kvw.q.val() + self.one5.val();
        }
        if !(self.walk.acq_now.val() & (self.walk.need.val() == self.p_kvw.val()))
            & (self.done_x.val() & (self.done_buf.val() == self.b_kvbuf.val()))
        {
            self.n_kvw.d.next = self.n_kvw.q.val() - self.one5.val();
        }
        self.hold.next = (bit_cast::<4, 1>((self.n_abw.q.val() != self.zero5.val()).into()) << 1)
            | (bit_cast::<4, 1>((self.n_kvw.q.val() != self.zero5.val()).into()) << 3);
        self.busy.next = self.walk.pending.val() | (self.out.q.val() != self.zero5.val());
        if self.rst.val() {
            self.out.d.next = self.zero5.val();
            self.mid.d.next = false;
            self.n_abw.d.next = self.zero5.val();
            self.n_kvw.d.next = self.zero5.val();
        }
    }
}
