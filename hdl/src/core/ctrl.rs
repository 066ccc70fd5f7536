//! `llmfab_ctrl`: the AXI4-Lite slave `s_axi_control` with the Vitis
//! register map of engine.md §7 (12-bit addresses, 32-bit data; writes
//! ignore `wstrb` and write whole words).
//!
//! | word (byte) | register |
//! |---|---|
//! | 0 (0x00) | bit 0 ap_start (write 1 to start; reads 1 while running), bit 1 ap_done (clear on read), bit 2 ap_idle, bit 3 ap_ready (= ap_done) |
//! | 1 (0x04) | global interrupt enable |
//! | 2 (0x08) | interrupt enable (bit 0 done, bit 1 ready) |
//! | 3 (0x0C) | interrupt status (write 1 toggles) |
//! | 4, 5 (0x10, 0x14) | `instr_addr` low, high |
//! | 6 (0x18) | `instr_count` |
//! | 8 + 2c, 9 + 2c (0x20 + 8c) | channel `c` base pointer low, high (stored outside, `ext_*`) |
//! | 8 + 2·CH, 9 + 2·CH | cycle counter low, high (read only) |
//!
//! Timing: a write handshake in cycle `w` to word 0 with bit 0 set while
//! idle raises `start` in cycle `s = w+1`. `done` in cycle `d` ends the
//! run; the cycle counter then reads `d − s`.

use rust_hdl::prelude::*;

/// AXI4-Lite control slave.
#[derive(LogicBlock)]
pub struct Ctrl {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// AW valid.
    pub awvalid: Signal<In, Bit>,
    /// AW ready.
    pub awready: Signal<Out, Bit>,
    /// AW address.
    pub awaddr: Signal<In, Bits<12>>,
    /// W valid.
    pub wvalid: Signal<In, Bit>,
    /// W ready.
    pub wready: Signal<Out, Bit>,
    /// W data.
    pub wdata: Signal<In, Bits<32>>,
    /// B valid.
    pub bvalid: Signal<Out, Bit>,
    /// B ready.
    pub bready: Signal<In, Bit>,
    /// AR valid.
    pub arvalid: Signal<In, Bit>,
    /// AR ready.
    pub arready: Signal<Out, Bit>,
    /// AR address.
    pub araddr: Signal<In, Bits<12>>,
    /// R valid.
    pub rvalid: Signal<Out, Bit>,
    /// R ready.
    pub rready: Signal<In, Bit>,
    /// R data.
    pub rdata: Signal<Out, Bits<32>>,
    /// Channels (constant).
    pub channels: Signal<In, Bits<7>>,
    /// Start the engine (one-cycle pulse).
    pub start: Signal<Out, Bit>,
    /// The engine finished (one-cycle pulse).
    pub done: Signal<In, Bit>,
    /// `instr_addr`.
    pub instr_addr: Signal<Out, Bits<64>>,
    /// `instr_count`.
    pub instr_count: Signal<Out, Bits<32>>,
    /// Interrupt line.
    pub interrupt: Signal<Out, Bit>,
    /// Write a channel-pointer word.
    pub ext_we: Signal<Out, Bit>,
    /// Its index (0 = channel 0 low, 1 = channel 0 high, …).
    pub ext_widx: Signal<Out, Bits<7>>,
    /// Its data.
    pub ext_wdata: Signal<Out, Bits<32>>,
    /// Channel-pointer word being read (combinational from `araddr`).
    pub ext_ridx: Signal<Out, Bits<7>>,
    /// Its value.
    pub ext_rdata: Signal<In, Bits<32>>,
    running: DFF<Bit>,
    done_s: DFF<Bit>,
    start_r: DFF<Bit>,
    gie: DFF<Bit>,
    ier: DFF<Bits<2>>,
    isr: DFF<Bits<2>>,
    ia_lo: DFF<Bits<32>>,
    ia_hi: DFF<Bits<32>>,
    icount: DFF<Bits<32>>,
    cnt: DFF<Bits<64>>,
    bv: DFF<Bit>,
    rv: DFF<Bit>,
    rd: DFF<Bits<32>>,
    w_go: Signal<Local, Bit>,
    r_go: Signal<Local, Bit>,
    widx: Signal<Local, Bits<10>>,
    ridx: Signal<Local, Bits<10>>,
    ext_end: Signal<Local, Bits<10>>,
    wdiff: Signal<Local, Bits<10>>,
    rdiff: Signal<Local, Bits<10>>,
    ctl_word: Signal<Local, Bits<32>>,
    w0: Constant<Bits<10>>,
    w1: Constant<Bits<10>>,
    w2: Constant<Bits<10>>,
    w3: Constant<Bits<10>>,
    w4: Constant<Bits<10>>,
    w5: Constant<Bits<10>>,
    w6: Constant<Bits<10>>,
    w8: Constant<Bits<10>>,
    one10: Constant<Bits<10>>,
    one64: Constant<Bits<64>>,
    zero32: Constant<Bits<32>>,
    zero64: Constant<Bits<64>>,
    zero2: Constant<Bits<2>>,
}

impl Default for Ctrl {
    fn default() -> Self {
        Ctrl {
            clock: Default::default(),
            rst: Default::default(),
            awvalid: Default::default(),
            awready: Default::default(),
            awaddr: Default::default(),
            wvalid: Default::default(),
            wready: Default::default(),
            wdata: Default::default(),
            bvalid: Default::default(),
            bready: Default::default(),
            arvalid: Default::default(),
            arready: Default::default(),
            araddr: Default::default(),
            rvalid: Default::default(),
            rready: Default::default(),
            rdata: Default::default(),
            channels: Default::default(),
            start: Default::default(),
            done: Default::default(),
            instr_addr: Default::default(),
            instr_count: Default::default(),
            interrupt: Default::default(),
            ext_we: Default::default(),
            ext_widx: Default::default(),
            ext_wdata: Default::default(),
            ext_ridx: Default::default(),
            ext_rdata: Default::default(),
            running: Default::default(),
            done_s: Default::default(),
            start_r: Default::default(),
            gie: Default::default(),
            ier: Default::default(),
            isr: Default::default(),
            ia_lo: Default::default(),
            ia_hi: Default::default(),
            icount: Default::default(),
            cnt: Default::default(),
            bv: Default::default(),
            rv: Default::default(),
            rd: Default::default(),
            w_go: Default::default(),
            r_go: Default::default(),
            widx: Default::default(),
            ridx: Default::default(),
            ext_end: Default::default(),
            wdiff: Default::default(),
            rdiff: Default::default(),
            ctl_word: Default::default(),
            w0: Constant::new(0u64.to_bits()),
            w1: Constant::new(1u64.to_bits()),
            w2: Constant::new(2u64.to_bits()),
            w3: Constant::new(3u64.to_bits()),
            w4: Constant::new(4u64.to_bits()),
            w5: Constant::new(5u64.to_bits()),
            w6: Constant::new(6u64.to_bits()),
            w8: Constant::new(8u64.to_bits()),
            one10: Constant::new(1u64.to_bits()),
            one64: Constant::new(1u64.to_bits()),
            zero32: Constant::new(0u64.to_bits()),
            zero64: Constant::new(0u64.to_bits()),
            zero2: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for Ctrl {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, running, done_s, start_r, gie, ier, isr, ia_lo, ia_hi, icount, cnt, bv,
            rv, rd
        );
        self.w_go.next = self.awvalid.val() & self.wvalid.val() & !self.bv.q.val();
        self.r_go.next = self.arvalid.val() & !self.rv.q.val();
        self.awready.next = self.w_go.val();
        self.wready.next = self.w_go.val();
        self.arready.next = self.r_go.val();
        self.bvalid.next = self.bv.q.val();
        self.rvalid.next = self.rv.q.val();
        self.rdata.next = self.rd.q.val();
        self.widx.next = self.awaddr.val().get_bits::<10>(2);
        self.ridx.next = self.araddr.val().get_bits::<10>(2);
        self.ext_end.next = self.w8.val() + (bit_cast::<10, 7>(self.channels.val()) << 1);
        self.wdiff.next = self.widx.val() - self.w8.val();
        self.rdiff.next = self.ridx.val() - self.w8.val();
        self.ext_widx.next = self.wdiff.val().get_bits::<7>(0);
        self.ext_ridx.next = self.rdiff.val().get_bits::<7>(0);
        self.ext_wdata.next = self.wdata.val();
        self.ext_we.next = self.w_go.val()
            & (self.widx.val() >= self.w8.val())
            & (self.widx.val() < self.ext_end.val());
        self.start.next = self.start_r.q.val();
        self.instr_addr.next =
            bit_cast::<64, 32>(self.ia_lo.q.val()) | (bit_cast::<64, 32>(self.ia_hi.q.val()) << 32);
        self.instr_count.next = self.icount.q.val();
        self.interrupt.next = self.gie.q.val() & (self.isr.q.val() != self.zero2.val());
        self.ctl_word.next = bit_cast::<32, 1>(self.running.q.val().into())
            | (bit_cast::<32, 1>(self.done_s.q.val().into()) << 1)
            | (bit_cast::<32, 1>((!self.running.q.val()).into()) << 2)
            | (bit_cast::<32, 1>(self.done_s.q.val().into()) << 3);
        // B and R handshakes.
        if self.bv.q.val() & self.bready.val() {
            self.bv.d.next = false;
        }
        if self.rv.q.val() & self.rready.val() {
            self.rv.d.next = false;
        }
        // Writes.
        self.start_r.d.next = false;
        if self.w_go.val() {
            self.bv.d.next = true;
            if (self.widx.val() == self.w0.val())
                & self.wdata.val().get_bit(0)
                & !self.running.q.val()
                & !self.start_r.q.val()
            {
                self.start_r.d.next = true;
            }
            if self.widx.val() == self.w1.val() {
                self.gie.d.next = self.wdata.val().get_bit(0);
            }
            if self.widx.val() == self.w2.val() {
                self.ier.d.next = self.wdata.val().get_bits::<2>(0);
            }
            if self.widx.val() == self.w3.val() {
                self.isr.d.next = self.isr.q.val() ^ self.wdata.val().get_bits::<2>(0);
            }
            if self.widx.val() == self.w4.val() {
                self.ia_lo.d.next = self.wdata.val();
            }
            if self.widx.val() == self.w5.val() {
                self.ia_hi.d.next = self.wdata.val();
            }
            if self.widx.val() == self.w6.val() {
                self.icount.d.next = self.wdata.val();
            }
        }
        // Reads.
        if self.r_go.val() {
            self.rv.d.next = true;
            self.rd.d.next = self.zero32.val();
            if self.ridx.val() == self.w0.val() {
                self.rd.d.next = self.ctl_word.val();
                self.done_s.d.next = false;
            }
            if self.ridx.val() == self.w1.val() {
                self.rd.d.next = bit_cast::<32, 1>(self.gie.q.val().into());
            }
            if self.ridx.val() == self.w2.val() {
                self.rd.d.next = bit_cast::<32, 2>(self.ier.q.val());
            }
            if self.ridx.val() == self.w3.val() {
                self.rd.d.next = bit_cast::<32, 2>(self.isr.q.val());
            }
            if self.ridx.val() == self.w4.val() {
                self.rd.d.next = self.ia_lo.q.val();
            }
            if self.ridx.val() == self.w5.val() {
                self.rd.d.next = self.ia_hi.q.val();
            }
            if self.ridx.val() == self.w6.val() {
                self.rd.d.next = self.icount.q.val();
            }
            if (self.ridx.val() >= self.w8.val()) & (self.ridx.val() < self.ext_end.val()) {
                self.rd.d.next = self.ext_rdata.val();
            }
            if self.ridx.val() == self.ext_end.val() {
                self.rd.d.next = self.cnt.q.val().get_bits::<32>(0);
            }
            if self.ridx.val() == self.ext_end.val() + self.one10.val() {
                self.rd.d.next = self.cnt.q.val().get_bits::<32>(32);
            }
        }
        // Run state and cycle counter.
        if self.start_r.q.val() {
            self.running.d.next = true;
            self.cnt.d.next = self.zero64.val();
        }
        if self.running.q.val() {
            self.cnt.d.next = self.cnt.q.val() + self.one64.val();
        }
        if self.running.q.val() & self.done.val() {
            self.running.d.next = false;
            self.done_s.d.next = true;
            self.isr.d.next = self.isr.q.val() | self.ier.q.val();
        }
        if self.rst.val() {
            self.running.d.next = false;
            self.done_s.d.next = false;
            self.start_r.d.next = false;
            self.gie.d.next = false;
            self.ier.d.next = self.zero2.val();
            self.isr.d.next = self.zero2.val();
            self.bv.d.next = false;
            self.rv.d.next = false;
        }
    }
}
