//! `llmfab_dma_walk`: the address side of a DMA engine, shared by the read
//! and write engines: a one-transfer command slot, the 2-D walk over a
//! transfer's rows, the split of each row into AXI bursts and the claim of
//! the transfer's buffer port (engine.md §4, §6; docs/rtl.md P-CORE-4).
//!
//! Timing: a command handed over in cycle `t` (`cmd_valid` while `ready`)
//! sits in the slot from `t+1`; in the first cycle `u ≥ t+1` in which no
//! transfer is active it becomes active (from `u+1`). An active transfer
//! presents bursts in order: burst `k` is presented (`valid`) in every
//! cycle in which fewer than `max_out` bursts are outstanding and either
//! the transfer needs no shared port, has already claimed it, or the
//! compute unit does not claim it in that cycle; the first such cycle of
//! a transfer claims its port (`acq_now`). A burst handshake (`fire`) in
//! cycle `v` moves to the next burst (presentable from `v+1`); after the
//! last burst the transfer stops being active (from `v+1`).
//!
//! Bursts: the memory side is walked in address rows: one range of
//! `rows·row_bytes` bytes when `hbm_stride = row_bytes` (P-COMP-1), else
//! each row; `n = min(max_burst, beats left in the address row, beats to
//! the next 4 KiB boundary of the channel-local address)`.
//!
//! Buffer side: every burst carries the transfer's buffer walk (`dest` its
//! first byte, `first` for its first burst, `rbeats` beats per row, `gap`
//! bytes from a row's end to the next row's start); the data side walks it
//! beat by beat (row `i` at `buf_addr + i·buf_stride`, logical byte
//! address, for ABUF, SBUF, KVBUF; WBUF one stream from the bank-local
//! address `buf_addr >> tile_shift << slice_shift` of bank `ch`, gap 0).

use rust_hdl::prelude::*;

/// DMA address walker.
#[derive(LogicBlock)]
pub struct DmaWalk {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// Hand a transfer over (only while `ready`).
    pub cmd_valid: Signal<In, Bit>,
    /// Buffer id (0 ABUF, 1 WBUF, 2 KVBUF, 3 SBUF).
    pub cmd_buf: Signal<In, Bits<3>>,
    /// Rows.
    pub cmd_rows: Signal<In, Bits<16>>,
    /// Bytes per row (a multiple of the beat).
    pub cmd_row_bytes: Signal<In, Bits<24>>,
    /// Channel-local memory address.
    pub cmd_hbm_addr: Signal<In, Bits<40>>,
    /// Memory bytes between rows.
    pub cmd_hbm_stride: Signal<In, Bits<32>>,
    /// Buffer byte address.
    pub cmd_buf_addr: Signal<In, Bits<32>>,
    /// Buffer bytes between rows.
    pub cmd_buf_stride: Signal<In, Bits<32>>,
    /// log2 of the beat in bytes (constant).
    pub beat_shift: Signal<In, Bits<3>>,
    /// Longest burst in beats (constant).
    pub max_burst: Signal<In, Bits<32>>,
    /// Most bursts outstanding (constant).
    pub max_out: Signal<In, Bits<5>>,
    /// log2 of the WBUF tile in bytes (constant).
    pub tile_shift: Signal<In, Bits<5>>,
    /// log2 of the WBUF slice in bytes (constant).
    pub slice_shift: Signal<In, Bits<5>>,
    /// Shared ports claimed by the compute unit in this cycle.
    pub claim: Signal<In, Bits<4>>,
    /// Bursts outstanding (the engine's count).
    pub out: Signal<In, Bits<5>>,
    /// 1 for a store (claims read ports), 0 for a load (write ports).
    pub is_store: Signal<In, Bit>,
    /// AXI address ready.
    pub a_ready: Signal<In, Bit>,
    /// The slot is empty.
    pub ready: Signal<Out, Bit>,
    /// A transfer is in the slot or active.
    pub pending: Signal<Out, Bit>,
    /// A burst is presented.
    pub valid: Signal<Out, Bit>,
    /// Its channel-local memory address.
    pub mem: Signal<Out, Bits<40>>,
    /// Its AXI length (beats − 1).
    pub len: Signal<Out, Bits<8>>,
    /// The transfer's first buffer byte (logical; WBUF: bank-local).
    pub dest: Signal<Out, Bits<32>>,
    /// The burst is the transfer's first.
    pub first: Signal<Out, Bit>,
    /// The transfer's beats per (buffer) row.
    pub rbeats: Signal<Out, Bits<24>>,
    /// Buffer bytes from a row's end to the next row's start.
    pub gap: Signal<Out, Bits<32>>,
    /// It is the transfer's last burst.
    pub last: Signal<Out, Bit>,
    /// The transfer's buffer.
    pub bsel: Signal<Out, Bits<3>>,
    /// The transfer's shared port (one-hot in the `claim` order, or 0).
    pub need: Signal<Out, Bits<4>>,
    /// The transfer claims its port in this cycle.
    pub acq_now: Signal<Out, Bit>,
    /// Burst handshake.
    pub fire: Signal<Out, Bit>,
    s_valid: DFF<Bit>,
    s_buf: DFF<Bits<3>>,
    s_rows: DFF<Bits<16>>,
    s_rb: DFF<Bits<24>>,
    s_hbm: DFF<Bits<40>>,
    s_hs: DFF<Bits<32>>,
    s_ba: DFF<Bits<32>>,
    s_bs: DFF<Bits<32>>,
    a_valid: DFF<Bit>,
    a_buf: DFF<Bits<3>>,
    a_need: DFF<Bits<4>>,
    acq: DFF<Bit>,
    rows_left: DFF<Bits<16>>,
    row_beats: DFF<Bits<40>>,
    beats_left: DFF<Bits<40>>,
    cur_mem: DFF<Bits<40>>,
    row_mem: DFF<Bits<40>>,
    hs: DFF<Bits<40>>,
    cur_dest: DFF<Bits<32>>,
    a_first: DFF<Bit>,
    a_rb: DFF<Bits<24>>,
    a_gap: DFF<Bits<32>>,
    low: Signal<Local, Bits<32>>,
    to4k: Signal<Local, Bits<32>>,
    mb40: Signal<Local, Bits<40>>,
    n40: Signal<Local, Bits<40>>,
    n_a: Signal<Local, Bits<32>>,
    s_rbeats: Signal<Local, Bits<32>>,
    s_lo: Signal<Local, Bits<16>>,
    s_hi: Signal<Local, Bits<16>>,
    p_lo: Signal<Local, Bits<32>>,
    p_hi: Signal<Local, Bits<32>>,
    s_total: Signal<Local, Bits<40>>,
    s_merge: Signal<Local, Bit>,
    s_gap: Signal<Local, Bits<32>>,
    nm1: Signal<Local, Bits<32>>,
    n: Signal<Local, Bits<32>>,
    nbytes: Signal<Local, Bits<32>>,
    row_end: Signal<Local, Bit>,
    is_last: Signal<Local, Bit>,
    ok: Signal<Local, Bit>,
    v: Signal<Local, Bit>,
    f: Signal<Local, Bit>,
    s_need: Signal<Local, Bits<4>>,
    c4096: Constant<Bits<32>>,
    mask12: Constant<Bits<32>>,
    one16: Constant<Bits<16>>,
    one32: Constant<Bits<32>>,
    zero32: Constant<Bits<32>>,
    zero4: Constant<Bits<4>>,
    b_abuf: Constant<Bits<3>>,
    b_wbuf: Constant<Bits<3>>,
    b_kvbuf: Constant<Bits<3>>,
    p_abr: Constant<Bits<4>>,
    p_abw: Constant<Bits<4>>,
    p_kvr: Constant<Bits<4>>,
    p_kvw: Constant<Bits<4>>,
}

impl Default for DmaWalk {
    fn default() -> Self {
        DmaWalk {
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
            beat_shift: Default::default(),
            max_burst: Default::default(),
            max_out: Default::default(),
            tile_shift: Default::default(),
            slice_shift: Default::default(),
            claim: Default::default(),
            out: Default::default(),
            is_store: Default::default(),
            a_ready: Default::default(),
            ready: Default::default(),
            pending: Default::default(),
            valid: Default::default(),
            mem: Default::default(),
            len: Default::default(),
            dest: Default::default(),
            first: Default::default(),
            rbeats: Default::default(),
            gap: Default::default(),
            last: Default::default(),
            bsel: Default::default(),
            need: Default::default(),
            acq_now: Default::default(),
            fire: Default::default(),
            s_valid: Default::default(),
            s_buf: Default::default(),
            s_rows: Default::default(),
            s_rb: Default::default(),
            s_hbm: Default::default(),
            s_hs: Default::default(),
            s_ba: Default::default(),
            s_bs: Default::default(),
            a_valid: Default::default(),
            a_buf: Default::default(),
            a_need: Default::default(),
            acq: Default::default(),
            rows_left: Default::default(),
            row_beats: Default::default(),
            beats_left: Default::default(),
            cur_mem: Default::default(),
            row_mem: Default::default(),
            hs: Default::default(),
            cur_dest: Default::default(),
            a_first: Default::default(),
            a_rb: Default::default(),
            a_gap: Default::default(),
            low: Default::default(),
            to4k: Default::default(),
            mb40: Default::default(),
            n40: Default::default(),
            n_a: Default::default(),
            s_rbeats: Default::default(),
            s_lo: Default::default(),
            s_hi: Default::default(),
            p_lo: Default::default(),
            p_hi: Default::default(),
            s_total: Default::default(),
            s_merge: Default::default(),
            s_gap: Default::default(),
            nm1: Default::default(),
            n: Default::default(),
            nbytes: Default::default(),
            row_end: Default::default(),
            is_last: Default::default(),
            ok: Default::default(),
            v: Default::default(),
            f: Default::default(),
            s_need: Default::default(),
            c4096: Constant::new(4096u64.to_bits()),
            mask12: Constant::new(0xfffu64.to_bits()),
            one16: Constant::new(1u64.to_bits()),
            one32: Constant::new(1u64.to_bits()),
            zero32: Constant::new(0u64.to_bits()),
            zero4: Constant::new(0u64.to_bits()),
            b_abuf: Constant::new(0u64.to_bits()),
            b_wbuf: Constant::new(1u64.to_bits()),
            b_kvbuf: Constant::new(2u64.to_bits()),
            p_abr: Constant::new(1u64.to_bits()),
            p_abw: Constant::new(2u64.to_bits()),
            p_kvr: Constant::new(4u64.to_bits()),
            p_kvw: Constant::new(8u64.to_bits()),
        }
    }
}

impl Logic for DmaWalk {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, s_valid, s_buf, s_rows, s_rb, s_hbm, s_hs, s_ba, s_bs, a_valid, a_buf,
            a_need, acq, rows_left, row_beats, beats_left, cur_mem, row_mem, hs, cur_dest, a_first,
            a_rb, a_gap
        );
        // Burst length.
        self.low.next = self.cur_mem.q.val().get_bits::<32>(0) & self.mask12.val();
        self.to4k.next = (self.c4096.val() - self.low.val()) >> self.beat_shift.val();
        self.mb40.next = bit_cast::<40, 32>(self.max_burst.val());
        if self.beats_left.q.val() < self.mb40.val() {
            self.n_a.next = self.beats_left.q.val().get_bits::<32>(0);
        } else {
            self.n_a.next = self.max_burst.val();
        }
        if self.to4k.val() < self.n_a.val() {
            self.n.next = self.to4k.val();
        } else {
            self.n.next = self.n_a.val();
        }
        self.nbytes.next = self.n.val() << self.beat_shift.val();
        self.n40.next = bit_cast::<40, 32>(self.n.val());
        self.row_end.next = self.beats_left.q.val() == self.n40.val();
        self.is_last.next = self.row_end.val() & (self.rows_left.q.val() == self.one16.val());
        // Presentation and port claim.
        self.ok.next =
            self.acq.q.val() | ((self.a_need.q.val() & self.claim.val()) == self.zero4.val());
        self.v.next = self.a_valid.q.val() & (self.out.val() < self.max_out.val()) & self.ok.val();
        self.f.next = self.v.val() & self.a_ready.val();
        self.valid.next = self.v.val();
        self.fire.next = self.f.val();
        self.acq_now.next =
            self.v.val() & !self.acq.q.val() & (self.a_need.q.val() != self.zero4.val());
        self.mem.next = self.cur_mem.q.val();
        self.nm1.next = self.n.val() - self.one32.val();
        self.len.next = self.nm1.val().get_bits::<8>(0);
        self.dest.next = self.cur_dest.q.val();
        self.first.next = self.a_first.q.val();
        self.rbeats.next = self.a_rb.q.val();
        self.gap.next = self.a_gap.q.val();
        self.last.next = self.is_last.val();
        self.bsel.next = self.a_buf.q.val();
        self.need.next = self.a_need.q.val();
        self.ready.next = !self.s_valid.q.val();
        self.pending.next = self.s_valid.q.val() | self.a_valid.q.val();
        if self.acq_now.val() {
            self.acq.d.next = true;
        }
        if self.f.val() {
            self.a_first.d.next = false;
            if self.row_end.val() {
                self.beats_left.d.next = self.row_beats.q.val();
                self.rows_left.d.next = self.rows_left.q.val() - self.one16.val();
                self.cur_mem.d.next = self.row_mem.q.val() + self.hs.q.val();
                self.row_mem.d.next = self.row_mem.q.val() + self.hs.q.val();
            } else {
                self.beats_left.d.next = self.beats_left.q.val() - self.n40.val();
                self.cur_mem.d.next = self.cur_mem.q.val() + bit_cast::<40, 32>(self.nbytes.val());
            }
            if self.is_last.val() {
                self.a_valid.d.next = false;
                self.acq.d.next = false;
            }
        }
        // Command slot.
        if self.cmd_valid.val() & !self.s_valid.q.val() {
            self.s_valid.d.next = true;
            self.s_buf.d.next = self.cmd_buf.val();
            self.s_rows.d.next = self.cmd_rows.val();
            self.s_rb.d.next = self.cmd_row_bytes.val();
            self.s_hbm.d.next = self.cmd_hbm_addr.val();
            self.s_hs.d.next = self.cmd_hbm_stride.val();
            self.s_ba.d.next = self.cmd_buf_addr.val();
            self.s_bs.d.next = self.cmd_buf_stride.val();
        }
        // Slot → active.
        if self.s_buf.q.val() == self.b_abuf.val() {
            if self.is_store.val() {
                self.s_need.next = self.p_abr.val();
            } else {
                self.s_need.next = self.p_abw.val();
            }
        } else if self.s_buf.q.val() == self.b_kvbuf.val() {
            if self.is_store.val() {
                self.s_need.next = self.p_kvr.val();
            } else {
                self.s_need.next = self.p_kvw.val();
            }
        } else {
            self.s_need.next = self.zero4.val();
        }
        // Address rows: contiguous memory rows are one range of
        // rows × row beats (two 16 × 16 products; row beats < 2^24).
        self.s_rbeats.next = bit_cast::<32, 24>(self.s_rb.q.val()) >> self.beat_shift.val();
        self.s_lo.next = self.s_rbeats.val().get_bits::<16>(0);
        self.s_hi.next = self.s_rbeats.val().get_bits::<16>(16);
        self.p_lo.next = self.s_rows.q.val() * self.s_lo.val();
        self.p_hi.next = self.s_rows.q.val() * self.s_hi.val();
        self.s_total.next =
            bit_cast::<40, 32>(self.p_lo.val()) + (bit_cast::<40, 32>(self.p_hi.val()) << 16);
        self.s_merge.next = self.s_hs.q.val() == bit_cast::<32, 24>(self.s_rb.q.val());
        self.s_gap.next = self.s_bs.q.val() - bit_cast::<32, 24>(self.s_rb.q.val());
        if self.s_valid.q.val() & !self.a_valid.q.val() {
            self.s_valid.d.next = false;
            self.a_valid.d.next = true;
            self.a_buf.d.next = self.s_buf.q.val();
            self.a_need.d.next = self.s_need.val();
            self.acq.d.next = false;
            self.a_first.d.next = true;
            self.a_rb.d.next = self.s_rbeats.val().get_bits::<24>(0);
            if self.s_merge.val() {
                self.rows_left.d.next = self.one16.val();
                self.row_beats.d.next = self.s_total.val();
                self.beats_left.d.next = self.s_total.val();
            } else {
                self.rows_left.d.next = self.s_rows.q.val();
                self.row_beats.d.next = bit_cast::<40, 32>(self.s_rbeats.val());
                self.beats_left.d.next = bit_cast::<40, 32>(self.s_rbeats.val());
            }
            self.cur_mem.d.next = self.s_hbm.q.val();
            self.row_mem.d.next = self.s_hbm.q.val();
            self.hs.d.next = bit_cast::<40, 32>(self.s_hs.q.val());
            if self.s_buf.q.val() == self.b_wbuf.val() {
                self.cur_dest.d.next =
                    (self.s_ba.q.val() >> self.tile_shift.val()) << self.slice_shift.val();
                self.a_gap.d.next = self.zero32.val();
            } else {
                self.cur_dest.d.next = self.s_ba.q.val();
                self.a_gap.d.next = self.s_gap.val();
            }
        }
        if self.rst.val() {
            self.s_valid.d.next = false;
            self.a_valid.d.next = false;
            self.acq.d.next = false;
        }
    }
}
