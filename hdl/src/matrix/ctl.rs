//! `MatCtl`: the matrix unit's controller — instruction latch, the loop
//! nests, buffer read requests, array control and the ACC write-back
//! pipeline. Config values arrive as constant inputs (`c_*`), tied off by
//! the generated top, so this one module serves every config.
//!
//! Timeline (cycle 0 = `start`; `W_b = 2 + b·R` is block `b`'s issue
//! window; see `llmfab_isa::timing::matrix` for the resulting counts):
//!
//! | what | matrix-matrix | matrix-vector |
//! |---|---|---|
//! | issue nest | block `b`: A word of row `m0+r` in `W_b + r`, B tile in `W_b + R − 1` | one A word + B tile per cycle from cycle 2, a stall cycle before a group whose scale row is not cached |
//! | compute nest | DSP `P` clear and drain capture at `W_b + R + 2`; `LaneAcc` `clr`/`cap` one cycle later | — |
//! | scale nest | scale row of a group ending at block `b` read in `W_b + 2R + 2` | — |
//! | drain nest | result row `d` of that group at stage A in `W_b + 2R + 4 + d` | issue bundle delayed by `c_lat = log2 R + 3` |
//! | ACC read / write | stage A + 1 / stage A + 2 | same |
//! | `done` | drain nest's `fin` + 2 | issue nest's `fin` + `c_lat` + 2 |

use super::nest::Nest;
use rust_hdl::prelude::*;

/// Depth of the matrix-vector control delay line (`log2 R + 3 ≤ 10`).
pub const MV_DELAY: usize = 10;

/// `MV_DELAY` is enough for `R ≤ 128` (`log2 R + 3 ≤ 10`).
const _: () = assert!(7 + 3 <= MV_DELAY);

/// The controller (see the module docs).
#[derive(LogicBlock)]
pub struct MatCtl {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub rst: Signal<In, Bit>,
    /// Start pulse; the `f_*` fields are valid in this cycle.
    pub start: Signal<In, Bit>,
    /// `mode` field.
    pub f_mode: Signal<In, Bit>,
    /// `bsrc` field.
    pub f_bsrc: Signal<In, Bit>,
    /// `btrans` field.
    pub f_btrans: Signal<In, Bit>,
    /// `accumulate` field.
    pub f_accum: Signal<In, Bit>,
    /// `dequant` field.
    pub f_dequant: Signal<In, Bit>,
    /// `dq_shift` field.
    pub f_dqsh: Signal<In, Bits<6>>,
    /// `m` field.
    pub f_m: Signal<In, Bits<32>>,
    /// `n` field.
    pub f_n: Signal<In, Bits<32>>,
    /// `k` field.
    pub f_k: Signal<In, Bits<32>>,
    /// `a_addr` field.
    pub f_aaddr: Signal<In, Bits<32>>,
    /// `a_pitch` field.
    pub f_apitch: Signal<In, Bits<32>>,
    /// `b_addr` field.
    pub f_baddr: Signal<In, Bits<32>>,
    /// `acc_addr` field.
    pub f_accaddr: Signal<In, Bits<32>>,
    /// `acc_pitch` field.
    pub f_accpitch: Signal<In, Bits<32>>,
    /// `s_addr` field.
    pub f_saddr: Signal<In, Bits<32>>,
    /// `R`.
    pub c_r: Signal<In, Bits<32>>,
    /// `C`.
    pub c_c: Signal<In, Bits<32>>,
    /// `log2 R`.
    pub c_lgr: Signal<In, Bits<5>>,
    /// `R·act_bits/8` (one A word).
    pub c_rab: Signal<In, Bits<32>>,
    /// `log2 TILE`.
    pub c_lgtile: Signal<In, Bits<5>>,
    /// `4C` (one ACC word).
    pub c_4c: Signal<In, Bits<32>>,
    /// `log2 kv_row_bytes`.
    pub c_lgkvr: Signal<In, Bits<5>>,
    /// `C·kv_bits/8`: KV bytes of an n-tile in a row (`btrans = 0`).
    pub c_ckb: Signal<In, Bits<32>>,
    /// `R·kv_bits/8`: KV bytes of a k-tile in a row (`btrans = 1`).
    pub c_rkb: Signal<In, Bits<32>>,
    /// `C·kv_row_bytes`: KV bytes of an n-tile of rows (`btrans = 1`).
    pub c_ckvr: Signal<In, Bits<32>>,
    /// `R·kv_row_bytes`: KV bytes of a k-tile of rows (`btrans = 0`).
    pub c_rkvr: Signal<In, Bits<32>>,
    /// `KW − 1` (`KW = max(R, C)·kv_bits/8`, one bank word).
    pub c_kwm1: Signal<In, Bits<32>>,
    /// `log2(C·kv_bits/8)`.
    pub c_lgckb: Signal<In, Bits<5>>,
    /// `log2(R·kv_bits/8)`.
    pub c_lgrkb: Signal<In, Bits<5>>,
    /// KV banks − 1.
    pub c_nbm1: Signal<In, Bits<32>>,
    /// `G/R − 1`.
    pub c_gtm1: Signal<In, Bits<32>>,
    /// Matrix-matrix without dequantisation: k-tiles per drain − 1 (all
    /// ones: one drain per output tile). Set when the lanes accumulate in
    /// the DSPs' `P` registers, whose guard bits allow a limited run.
    pub c_ctm1: Signal<In, Bits<32>>,
    /// `log2 SPR` (scale vectors per weight row).
    pub c_lgspr: Signal<In, Bits<5>>,
    /// `SPR − 1`.
    pub c_sprm1: Signal<In, Bits<32>>,
    /// Matrix-vector latency from issue to stage A: `log2 R + 3`.
    pub c_lat: Signal<In, Bits<8>>,
    /// `done` pulse.
    pub done: Signal<Out, Bit>,
    /// Latched `mode`.
    pub mode: Signal<Out, Bit>,
    /// Latched `dequant`.
    pub dq: Signal<Out, Bit>,
    /// Latched `dq_shift`.
    pub dqsh: Signal<Out, Bits<6>>,
    /// B source for `BSel`: 0 weights, 1 KV, 2 KV transposed.
    pub bsrc: Signal<Out, Bits<8>>,
    /// ABUF read.
    pub ab_ren: Signal<Out, Bit>,
    /// ABUF address.
    pub ab_raddr: Signal<Out, Bits<32>>,
    /// WBUF read.
    pub wb_ren: Signal<Out, Bit>,
    /// WBUF address.
    pub wb_raddr: Signal<Out, Bits<32>>,
    /// KV block read (per-bank enables from `KvAddr`).
    pub kv_en: Signal<Out, Bit>,
    /// KV word address of block row 0.
    pub kv_base: Signal<Out, Bits<32>>,
    /// Bank of block row 0.
    pub kv_rot: Signal<Out, Bits<32>>,
    /// Block rows to read.
    pub kv_nrows: Signal<Out, Bits<32>>,
    /// `kv_rot` one cycle later (data routing).
    pub kv_rot_d: Signal<Out, Bits<32>>,
    /// Chunk of the bank word, one cycle later.
    pub kv_csel_d: Signal<Out, Bits<32>>,
    /// A word data valid (cycle after the read).
    pub a_valid: Signal<Out, Bit>,
    /// Valid elements of that A word.
    pub a_kcnt: Signal<Out, Bits<32>>,
    /// B rows (k) inside the operand, with the B data.
    pub b_kcnt: Signal<Out, Bits<32>>,
    /// B columns (n) inside the operand, with the B data.
    pub b_ncnt: Signal<Out, Bits<32>>,
    /// Stager enable.
    pub st_en: Signal<Out, Bit>,
    /// Stager phase (1 vertical).
    pub phase: Signal<Out, Bit>,
    /// Load the B tile shift register.
    pub tload: Signal<Out, Bit>,
    /// Lane accumulators (`LaneAcc`): start a group.
    pub lane_clr: Signal<Out, Bit>,
    /// Lane accumulators: capture into the drain chain (with `P`
    /// accumulation: hold the drain chain this cycle).
    pub lane_cap: Signal<Out, Bit>,
    /// DSP `P` accumulation: the first product of a group enters `P` (one
    /// cycle before `lane_clr`).
    pub dsp_clr: Signal<Out, Bit>,
    /// DSP `P` accumulation: capture the read-back of `P` into the drain
    /// chain (one cycle before `lane_cap`).
    pub dsp_cap: Signal<Out, Bit>,
    /// Load the scale row register from `wb_rdata`.
    pub sreg_load: Signal<Out, Bit>,
    /// Load the issued scale vector.
    pub iss_load: Signal<Out, Bit>,
    /// Scale vector slot in the row.
    pub s_slot: Signal<Out, Bits<32>>,
    /// Stage A: tree sum starts a group.
    pub col_cfirst: Signal<Out, Bit>,
    /// Stage A: tree sum valid.
    pub col_cvalid: Signal<Out, Bit>,
    /// Stage C: add the running total.
    pub col_keep: Signal<Out, Bit>,
    /// Stage C: add the old ACC value.
    pub col_addold: Signal<Out, Bit>,
    /// Stage C: update the running total.
    pub col_ev: Signal<Out, Bit>,
    /// ACC read.
    pub acc_ren: Signal<Out, Bit>,
    /// ACC read address.
    pub acc_raddr: Signal<Out, Bits<32>>,
    /// ACC write.
    pub acc_wen: Signal<Out, Bit>,
    /// ACC write address.
    pub acc_waddr: Signal<Out, Bits<32>>,
    /// Columns of the ACC word to write.
    pub acc_ncnt: Signal<Out, Bits<32>>,
    issue: Nest,
    comp: Nest,
    scale: Nest,
    drain: Nest,
    busyr: DFF<Bit>,
    moder: DFF<Bit>,
    bsrcr: DFF<Bit>,
    btransr: DFF<Bit>,
    accumr: DFF<Bit>,
    dqr: DFF<Bit>,
    dqshr: DFF<Bits<6>>,
    mr: DFF<Bits<32>>,
    nr: DFF<Bits<32>>,
    kr: DFF<Bits<32>>,
    aaddr: DFF<Bits<32>>,
    apitch: DFF<Bits<32>>,
    ablk: DFF<Bits<32>>,
    baddr: DFF<Bits<32>>,
    trow0: DFF<Bits<32>>,
    srow0: DFF<Bits<32>>,
    accaddr: DFF<Bits<32>>,
    accpitch: DFF<Bits<32>>,
    accblk: DFF<Bits<32>>,
    rb: DFF<Bits<32>>,
    slm1: DFF<Bits<32>>,
    gtm1: DFF<Bits<32>>,
    kvns: DFF<Bits<32>>,
    kvts: DFF<Bits<32>>,
    cyc: DFF<Bits<32>>,
    go_comp: DFF<Bits<32>>,
    lclr: DFF<Bit>,
    lcap: DFF<Bit>,
    go_scale: DFF<Bits<32>>,
    go_drain: DFF<Bits<32>>,
    crow: DFF<Bits<32>>,
    crowv: DFF<Bit>,
    sfetch: DFF<Bit>,
    sslot_d: DFF<Bits<32>>,
    av: DFF<Bit>,
    akc: DFF<Bits<32>>,
    bkc: DFF<Bits<32>>,
    bnc: DFF<Bits<32>>,
    rot_d: DFF<Bits<32>>,
    csel_d: DFF<Bits<32>>,
    tl: DFF<Bit>,
    ph: DFF<Bit>,
    started: DFF<Bit>,
    dla0: DFF<Bits<32>>,
    dlc0: DFF<Bits<32>>,
    dla1: DFF<Bits<32>>,
    dlc1: DFF<Bits<32>>,
    dla2: DFF<Bits<32>>,
    dlc2: DFF<Bits<32>>,
    dla3: DFF<Bits<32>>,
    dlc3: DFF<Bits<32>>,
    dla4: DFF<Bits<32>>,
    dlc4: DFF<Bits<32>>,
    dla5: DFF<Bits<32>>,
    dlc5: DFF<Bits<32>>,
    dla6: DFF<Bits<32>>,
    dlc6: DFF<Bits<32>>,
    dla7: DFF<Bits<32>>,
    dlc7: DFF<Bits<32>>,
    dla8: DFF<Bits<32>>,
    dlc8: DFF<Bits<32>>,
    dla9: DFF<Bits<32>>,
    dlc9: DFF<Bits<32>>,
    sba: DFF<Bits<32>>,
    sbc: DFF<Bits<32>>,
    sca: DFF<Bits<32>>,
    scc: DFF<Bits<32>>,
    dact: DFF<Bit>,
    dcnt: DFF<Bits<8>>,
    dinit: DFF<Bits<8>>,
    need_s: Signal<Local, Bit>,
    srow: Signal<Local, Bits<32>>,
    issue_w: Signal<Local, Bit>,
    kmin: Signal<Local, Bits<32>>,
    nmin: Signal<Local, Bits<32>>,
    dnmin: Signal<Local, Bits<32>>,
    kvfirst: Signal<Local, Bits<32>>,
    bnda: Signal<Local, Bits<32>>,
    bndc: Signal<Local, Bits<32>>,
    saa: Signal<Local, Bits<32>>,
    sac: Signal<Local, Bits<32>>,
    wr: Signal<Local, Bit>,
    unused_nest_words: Signal<Local, Bits<32>>,
    unused_nest_bits: Signal<Local, Bit>,
    arow_ok: Signal<Local, Bit>,
    cslot0: Signal<Local, Bit>,
    ld: Signal<Local, Bit>,
    bf0: Signal<Local, Bits<32>>,
    bf1: Signal<Local, Bits<32>>,
    bf2: Signal<Local, Bits<32>>,
    bf3: Signal<Local, Bits<32>>,
    bf4: Signal<Local, Bits<32>>,
    df0: Signal<Local, Bits<32>>,
    df1: Signal<Local, Bits<32>>,
    z32: Constant<Bits<32>>,
    k_cvalid: Constant<Bits<32>>,
    k_cfirst: Constant<Bits<32>>,
    k_ev: Constant<Bits<32>>,
    k_keep: Constant<Bits<32>>,
    k_addold: Constant<Bits<32>>,
    k_wr: Constant<Bits<32>>,
}

/// Control word of the write-back bundle (the other word is the ACC
/// address): `[15:0]` columns to write, then one bit each.
pub mod bundle {
    /// Bit of "tree sum valid".
    pub const CVALID: usize = 16;
    /// Bit of "tree sum starts a group".
    pub const CFIRST: usize = 17;
    /// Bit of "group event".
    pub const EV: usize = 18;
    /// Bit of "keep the running total".
    pub const KEEP: usize = 19;
    /// Bit of "add the old ACC value".
    pub const ADDOLD: usize = 20;
    /// Bit of "write the ACC word".
    pub const WR: usize = 21;
}

impl Default for MatCtl {
    fn default() -> Self {
        MatCtl {
            clock: Default::default(),
            rst: Default::default(),
            start: Default::default(),
            f_mode: Default::default(),
            f_bsrc: Default::default(),
            f_btrans: Default::default(),
            f_accum: Default::default(),
            f_dequant: Default::default(),
            f_dqsh: Default::default(),
            f_m: Default::default(),
            f_n: Default::default(),
            f_k: Default::default(),
            f_aaddr: Default::default(),
            f_apitch: Default::default(),
            f_baddr: Default::default(),
            f_accaddr: Default::default(),
            f_accpitch: Default::default(),
            f_saddr: Default::default(),
            c_r: Default::default(),
            c_c: Default::default(),
            c_lgr: Default::default(),
            c_rab: Default::default(),
            c_lgtile: Default::default(),
            c_4c: Default::default(),
            c_lgkvr: Default::default(),
            c_ckb: Default::default(),
            c_rkb: Default::default(),
            c_ckvr: Default::default(),
            c_rkvr: Default::default(),
            c_kwm1: Default::default(),
            c_lgckb: Default::default(),
            c_lgrkb: Default::default(),
            c_nbm1: Default::default(),
            c_gtm1: Default::default(),
            c_ctm1: Default::default(),
            c_lgspr: Default::default(),
            c_sprm1: Default::default(),
            c_lat: Default::default(),
            done: Default::default(),
            mode: Default::default(),
            dq: Default::default(),
            dqsh: Default::default(),
            bsrc: Default::default(),
            ab_ren: Default::default(),
            ab_raddr: Default::default(),
            wb_ren: Default::default(),
            wb_raddr: Default::default(),
            kv_en: Default::default(),
            kv_base: Default::default(),
            kv_rot: Default::default(),
            kv_nrows: Default::default(),
            kv_rot_d: Default::default(),
            kv_csel_d: Default::default(),
            a_valid: Default::default(),
            a_kcnt: Default::default(),
            b_kcnt: Default::default(),
            b_ncnt: Default::default(),
            st_en: Default::default(),
            phase: Default::default(),
            tload: Default::default(),
            lane_clr: Default::default(),
            lane_cap: Default::default(),
            dsp_clr: Default::default(),
            dsp_cap: Default::default(),
            lclr: Default::default(),
            lcap: Default::default(),
            sreg_load: Default::default(),
            iss_load: Default::default(),
            s_slot: Default::default(),
            col_cfirst: Default::default(),
            col_cvalid: Default::default(),
            col_keep: Default::default(),
            col_addold: Default::default(),
            col_ev: Default::default(),
            acc_ren: Default::default(),
            acc_raddr: Default::default(),
            acc_wen: Default::default(),
            acc_waddr: Default::default(),
            acc_ncnt: Default::default(),
            issue: Default::default(),
            comp: Default::default(),
            scale: Default::default(),
            drain: Default::default(),
            busyr: Default::default(),
            moder: Default::default(),
            bsrcr: Default::default(),
            btransr: Default::default(),
            accumr: Default::default(),
            dqr: Default::default(),
            dqshr: Default::default(),
            mr: Default::default(),
            nr: Default::default(),
            kr: Default::default(),
            aaddr: Default::default(),
            apitch: Default::default(),
            ablk: Default::default(),
            baddr: Default::default(),
            trow0: Default::default(),
            srow0: Default::default(),
            accaddr: Default::default(),
            accpitch: Default::default(),
            accblk: Default::default(),
            rb: Default::default(),
            slm1: Default::default(),
            gtm1: Default::default(),
            kvns: Default::default(),
            kvts: Default::default(),
            cyc: Default::default(),
            go_comp: Default::default(),
            go_scale: Default::default(),
            go_drain: Default::default(),
            crow: Default::default(),
            crowv: Default::default(),
            sfetch: Default::default(),
            sslot_d: Default::default(),
            av: Default::default(),
            akc: Default::default(),
            bkc: Default::default(),
            bnc: Default::default(),
            rot_d: Default::default(),
            csel_d: Default::default(),
            tl: Default::default(),
            ph: Default::default(),
            started: Default::default(),
            dla0: Default::default(),
            dlc0: Default::default(),
            dla1: Default::default(),
            dlc1: Default::default(),
            dla2: Default::default(),
            dlc2: Default::default(),
            dla3: Default::default(),
            dlc3: Default::default(),
            dla4: Default::default(),
            dlc4: Default::default(),
            dla5: Default::default(),
            dlc5: Default::default(),
            dla6: Default::default(),
            dlc6: Default::default(),
            dla7: Default::default(),
            dlc7: Default::default(),
            dla8: Default::default(),
            dlc8: Default::default(),
            dla9: Default::default(),
            dlc9: Default::default(),
            sba: Default::default(),
            sbc: Default::default(),
            sca: Default::default(),
            scc: Default::default(),
            dact: Default::default(),
            dcnt: Default::default(),
            dinit: Default::default(),
            need_s: Default::default(),
            srow: Default::default(),
            issue_w: Default::default(),
            kmin: Default::default(),
            nmin: Default::default(),
            dnmin: Default::default(),
            kvfirst: Default::default(),
            bnda: Default::default(),
            bndc: Default::default(),
            saa: Default::default(),
            sac: Default::default(),
            wr: Default::default(),
            unused_nest_words: Default::default(),
            unused_nest_bits: Default::default(),
            arow_ok: Default::default(),
            cslot0: Default::default(),
            ld: Default::default(),
            bf0: Default::default(),
            bf1: Default::default(),
            bf2: Default::default(),
            bf3: Default::default(),
            bf4: Default::default(),
            df0: Default::default(),
            df1: Default::default(),
            z32: Constant::new((0u64).to_bits()),
            k_cvalid: Constant::new((1u64 << 16).to_bits()),
            k_cfirst: Constant::new((1u64 << 17).to_bits()),
            k_ev: Constant::new((1u64 << 18).to_bits()),
            k_keep: Constant::new((1u64 << 19).to_bits()),
            k_addold: Constant::new((1u64 << 20).to_bits()),
            k_wr: Constant::new((1u64 << 21).to_bits()),
        }
    }
}

impl Logic for MatCtl {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, busyr, moder, bsrcr, btransr, accumr, dqr, dqshr, mr, nr, kr, aaddr,
            apitch, ablk, baddr, trow0, srow0, accaddr, accpitch, accblk, rb, slm1, gtm1, kvns,
            kvts, cyc, lclr, lcap, go_comp, go_scale, go_drain, crow, crowv, sfetch, sslot_d, av,
            akc, bkc, bnc, rot_d, csel_d, tl, ph, started, dla0, dlc0, dla1, dlc1, dla2, dlc2,
            dla3, dlc3, dla4, dlc4, dla5, dlc5, dla6, dlc6, dla7, dlc7, dla8, dlc8, dla9, dlc9,
            sba, sbc, sca, scc, dact, dcnt, dinit
        );
        // Every nest shares the latched parameters.
        self.issue.clock.next = self.clock.val();
        self.comp.clock.next = self.clock.val();
        self.scale.clock.next = self.clock.val();
        self.drain.clock.next = self.clock.val();
        self.issue.rst.next = self.rst.val();
        self.comp.rst.next = self.rst.val();
        self.scale.rst.next = self.rst.val();
        self.drain.rst.next = self.rst.val();
        self.issue.slm1.next = self.slm1.q.val();
        self.comp.slm1.next = self.slm1.q.val();
        self.scale.slm1.next = self.slm1.q.val();
        self.drain.slm1.next = self.slm1.q.val();
        self.issue.rb.next = self.rb.q.val();
        self.comp.rb.next = self.rb.q.val();
        self.scale.rb.next = self.rb.q.val();
        self.drain.rb.next = self.rb.q.val();
        self.issue.m.next = self.mr.q.val();
        self.comp.m.next = self.mr.q.val();
        self.scale.m.next = self.mr.q.val();
        self.drain.m.next = self.mr.q.val();
        self.issue.n.next = self.nr.q.val();
        self.comp.n.next = self.nr.q.val();
        self.scale.n.next = self.nr.q.val();
        self.drain.n.next = self.nr.q.val();
        self.issue.k.next = self.kr.q.val();
        self.comp.k.next = self.kr.q.val();
        self.scale.k.next = self.kr.q.val();
        self.drain.k.next = self.kr.q.val();
        self.issue.cr.next = self.c_r.val();
        self.comp.cr.next = self.c_r.val();
        self.scale.cr.next = self.c_r.val();
        self.drain.cr.next = self.c_r.val();
        self.issue.cc.next = self.c_c.val();
        self.comp.cc.next = self.c_c.val();
        self.scale.cc.next = self.c_c.val();
        self.drain.cc.next = self.c_c.val();
        self.issue.gtm1.next = self.gtm1.q.val();
        self.comp.gtm1.next = self.gtm1.q.val();
        self.scale.gtm1.next = self.gtm1.q.val();
        self.drain.gtm1.next = self.gtm1.q.val();
        self.issue.a0.next = self.aaddr.q.val();
        self.comp.a0.next = self.aaddr.q.val();
        self.scale.a0.next = self.aaddr.q.val();
        self.drain.a0.next = self.aaddr.q.val();
        self.issue.apitch.next = self.apitch.q.val();
        self.comp.apitch.next = self.apitch.q.val();
        self.scale.apitch.next = self.apitch.q.val();
        self.drain.apitch.next = self.apitch.q.val();
        self.issue.ablk.next = self.ablk.q.val();
        self.comp.ablk.next = self.ablk.q.val();
        self.scale.ablk.next = self.ablk.q.val();
        self.drain.ablk.next = self.ablk.q.val();
        self.issue.rab.next = self.c_rab.val();
        self.comp.rab.next = self.c_rab.val();
        self.scale.rab.next = self.c_rab.val();
        self.drain.rab.next = self.c_rab.val();
        self.issue.trow0.next = self.trow0.q.val();
        self.comp.trow0.next = self.trow0.q.val();
        self.scale.trow0.next = self.trow0.q.val();
        self.drain.trow0.next = self.trow0.q.val();
        self.issue.kv0.next = self.baddr.q.val();
        self.comp.kv0.next = self.baddr.q.val();
        self.scale.kv0.next = self.baddr.q.val();
        self.drain.kv0.next = self.baddr.q.val();
        self.issue.kvns.next = self.kvns.q.val();
        self.comp.kvns.next = self.kvns.q.val();
        self.scale.kvns.next = self.kvns.q.val();
        self.drain.kvns.next = self.kvns.q.val();
        self.issue.kvts.next = self.kvts.q.val();
        self.comp.kvts.next = self.kvts.q.val();
        self.scale.kvts.next = self.kvts.q.val();
        self.drain.kvts.next = self.kvts.q.val();
        self.issue.acc0.next = self.accaddr.q.val();
        self.comp.acc0.next = self.accaddr.q.val();
        self.scale.acc0.next = self.accaddr.q.val();
        self.drain.acc0.next = self.accaddr.q.val();
        self.issue.accpitch.next = self.accpitch.q.val();
        self.comp.accpitch.next = self.accpitch.q.val();
        self.scale.accpitch.next = self.accpitch.q.val();
        self.drain.accpitch.next = self.accpitch.q.val();
        self.issue.accblk.next = self.accblk.q.val();
        self.comp.accblk.next = self.accblk.q.val();
        self.scale.accblk.next = self.accblk.q.val();
        self.drain.accblk.next = self.accblk.q.val();
        self.issue.accns.next = self.c_4c.val();
        self.comp.accns.next = self.c_4c.val();
        self.scale.accns.next = self.c_4c.val();
        self.drain.accns.next = self.c_4c.val();

        // Nest outputs a copy does not need (named for Verilator's default `--unused-regexp`).
        self.unused_nest_words.next = self.comp.mrem.val()
            ^ self.comp.nrem.val()
            ^ self.comp.krem.val()
            ^ self.comp.v.val()
            ^ self.comp.aaddr.val()
            ^ self.comp.trow.val()
            ^ self.comp.kvaddr.val()
            ^ self.comp.accaddr.val()
            ^ self.scale.mrem.val()
            ^ self.scale.nrem.val()
            ^ self.scale.krem.val()
            ^ self.scale.aaddr.val()
            ^ self.scale.trow.val()
            ^ self.scale.kvaddr.val()
            ^ self.scale.accaddr.val()
            ^ self.drain.krem.val()
            ^ self.drain.v.val()
            ^ self.drain.aaddr.val()
            ^ self.drain.trow.val()
            ^ self.drain.kvaddr.val();
        self.unused_nest_bits.next = self.comp.glast.val()
            | self.comp.gnz.val()
            | self.comp.klast.val()
            | self.scale.gfirst.val()
            | self.scale.gnz.val()
            | self.scale.klast.val()
            | self.scale.fin.val()
            | self.drain.gfirst.val()
            | self.drain.klast.val();

        // Latch the instruction and its derived parameters.
        if self.start.val() {
            self.moder.d.next = self.f_mode.val();
            self.bsrcr.d.next = self.f_bsrc.val();
            self.btransr.d.next = self.f_btrans.val();
            self.accumr.d.next = self.f_accum.val();
            self.dqr.d.next = self.f_dequant.val();
            self.dqshr.d.next = self.f_dqsh.val();
            self.mr.d.next = self.f_m.val();
            self.nr.d.next = self.f_n.val();
            self.kr.d.next = self.f_k.val();
            self.aaddr.d.next = self.f_aaddr.val();
            self.apitch.d.next = self.f_apitch.val();
            self.baddr.d.next = self.f_baddr.val();
            self.trow0.d.next = self.f_baddr.val() >> self.c_lgtile.val();
            self.srow0.d.next = self.f_saddr.val() >> self.c_lgtile.val();
            self.accaddr.d.next = self.f_accaddr.val();
            self.accpitch.d.next = self.f_accpitch.val();
            if self.f_mode.val() {
                self.slm1.d.next = 0u32.to_bits::<32>();
                self.rb.d.next = 1u32.to_bits::<32>();
                self.ablk.d.next = self.f_apitch.val();
                self.accblk.d.next = self.f_accpitch.val();
            } else {
                self.slm1.d.next = self.c_r.val() - 1u32.to_bits::<32>();
                self.rb.d.next = self.c_r.val();
                self.ablk.d.next = self.f_apitch.val() << self.c_lgr.val();
                self.accblk.d.next = self.f_accpitch.val() << self.c_lgr.val();
            }
            if self.f_dequant.val() {
                self.gtm1.d.next = self.c_gtm1.val();
            } else if self.f_mode.val() {
                self.gtm1.d.next = 0xFFFF_FFFFu32.to_bits::<32>();
            } else {
                self.gtm1.d.next = self.c_ctm1.val();
            }
            if self.f_btrans.val() {
                self.kvns.d.next = self.c_ckvr.val();
                self.kvts.d.next = self.c_rkb.val();
            } else {
                self.kvns.d.next = self.c_ckb.val();
                self.kvts.d.next = self.c_rkvr.val();
            }
            self.go_comp.d.next = self.c_r.val() + 2u32.to_bits::<32>();
            self.go_scale.d.next = self.c_r.val() + self.c_r.val() + 2u32.to_bits::<32>();
            self.go_drain.d.next = self.c_r.val() + self.c_r.val() + 4u32.to_bits::<32>();
            self.dinit.d.next = self.c_lat.val() + 1u8.to_bits::<8>();
        }
        self.mode.next = self.moder.q.val();
        self.dq.next = self.dqr.q.val();
        self.dqsh.next = self.dqshr.q.val();
        self.bsrc.next = 0u8.to_bits::<8>();
        if self.bsrcr.q.val() {
            if self.btransr.q.val() {
                self.bsrc.next = 2u8.to_bits::<8>();
            } else {
                self.bsrc.next = 1u8.to_bits::<8>();
            }
        }

        // Cycle counter and nest starts.
        if self.start.val() {
            self.cyc.d.next = 0u32.to_bits::<32>();
            self.busyr.d.next = true;
            self.started.d.next = false;
            self.crowv.d.next = false;
            self.ph.d.next = false;
        } else {
            self.cyc.d.next = self.cyc.q.val() + 1u32.to_bits::<32>();
        }
        self.issue.go.next = self.busyr.q.val() & (self.cyc.q.val() == 0u32.to_bits::<32>());
        self.comp.go.next =
            self.busyr.q.val() & !self.moder.q.val() & (self.cyc.q.val() == self.go_comp.q.val());
        self.scale.go.next =
            self.busyr.q.val() & !self.moder.q.val() & (self.cyc.q.val() == self.go_scale.q.val());
        self.drain.go.next =
            self.busyr.q.val() & !self.moder.q.val() & (self.cyc.q.val() == self.go_drain.q.val());
        self.comp.adv.next = true;
        self.scale.adv.next = true;
        self.drain.adv.next = true;

        // Issue: reads of A, B and (matrix-vector) scale rows.
        self.srow.next = self.issue.v.val() >> self.c_lgspr.val();
        self.need_s.next = self.moder.q.val()
            & self.dqr.q.val()
            & self.issue.act.val()
            & self.issue.gfirst.val()
            & !(self.crowv.q.val() & (self.crow.q.val() == self.srow.val()));
        self.issue_w.next = self.issue.act.val() & !self.need_s.val();
        self.issue.adv.next = !self.need_s.val();
        self.kmin.next = self.c_r.val();
        if self.issue.krem.val() < self.c_r.val() {
            self.kmin.next = self.issue.krem.val();
        }
        self.nmin.next = self.c_c.val();
        if self.issue.nrem.val() < self.c_c.val() {
            self.nmin.next = self.issue.nrem.val();
        }
        // A word: every weight cycle (matrix-vector), slot r < rows left (matrix-matrix).
        self.arow_ok.next = self.issue_w.val()
            & (self.moder.q.val() | (self.issue.slot.val() < self.issue.mrem.val()));
        self.ab_ren.next = self.arow_ok.val();
        self.ab_raddr.next = self.issue.aaddr.val();
        self.av.d.next = self.arow_ok.val();
        self.akc.d.next = self.kmin.val();
        // B tile: every weight cycle (matrix-vector), last slot (matrix-matrix).
        self.ld.next = self.issue_w.val() & (self.issue.slot.val() == self.slm1.q.val());
        self.tl.d.next = self.ld.val() & !self.moder.q.val();
        self.tload.next = self.tl.q.val();
        self.kvfirst.next = self.issue.kvaddr.val() & !self.c_kwm1.val();
        self.kv_en.next = self.ld.val() & self.bsrcr.q.val();
        self.kv_base.next = self.kvfirst.val();
        self.kv_rot.next = (self.kvfirst.val() >> self.c_lgkvr.val()) & self.c_nbm1.val();
        if self.btransr.q.val() {
            self.kv_nrows.next = self.nmin.val();
            self.csel_d.d.next =
                (self.issue.kvaddr.val() & self.c_kwm1.val()) >> self.c_lgrkb.val();
        } else {
            self.kv_nrows.next = self.kmin.val();
            self.csel_d.d.next =
                (self.issue.kvaddr.val() & self.c_kwm1.val()) >> self.c_lgckb.val();
        }
        self.rot_d.d.next = (self.kvfirst.val() >> self.c_lgkvr.val()) & self.c_nbm1.val();
        self.kv_rot_d.next = self.rot_d.q.val();
        self.kv_csel_d.next = self.csel_d.q.val();
        self.bkc.d.next = self.kmin.val();
        self.bnc.d.next = self.nmin.val();
        self.b_kcnt.next = self.bkc.q.val();
        self.b_ncnt.next = self.bnc.q.val();
        self.a_valid.next = self.av.q.val();
        self.a_kcnt.next = self.akc.q.val();

        // WBUF port: weight tiles (issue), scale rows (matrix-vector stall, matrix-matrix scale nest).
        self.wb_ren.next = false;
        self.wb_raddr.next = self.issue.trow.val() << self.c_lgtile.val();
        if self.ld.val() & !self.bsrcr.q.val() {
            self.wb_ren.next = true;
        }
        self.sfetch.d.next = false;
        if self.need_s.val() {
            self.wb_ren.next = true;
            self.wb_raddr.next = (self.srow0.q.val() + self.srow.val()) << self.c_lgtile.val();
            self.crow.d.next = self.srow.val();
            self.crowv.d.next = true;
            self.sfetch.d.next = true;
        }
        if self.scale.act.val()
            & (self.scale.slot.val() == 0u32.to_bits::<32>())
            & self.scale.glast.val()
            & self.dqr.q.val()
        {
            self.wb_ren.next = true;
            self.wb_raddr.next = (self.srow0.q.val() + (self.scale.v.val() >> self.c_lgspr.val()))
                << self.c_lgtile.val();
            self.sfetch.d.next = true;
            self.sslot_d.d.next = self.scale.v.val() & self.c_sprm1.val();
        }
        self.sreg_load.next = self.sfetch.q.val();
        if self.moder.q.val() {
            self.iss_load.next = self.issue_w.val() & self.issue.gfirst.val() & self.dqr.q.val();
            self.s_slot.next = self.issue.v.val() & self.c_sprm1.val();
        } else {
            self.iss_load.next = self.sfetch.q.val();
            self.s_slot.next = self.sslot_d.q.val();
        }

        // Matrix-matrix stager and lanes.
        self.st_en.next = !self.moder.q.val();
        if self.tl.q.val() {
            self.ph.d.next = !self.ph.q.val();
        }
        self.phase.next = self.ph.q.val();
        self.cslot0.next = self.comp.act.val()
            & (self.comp.slot.val() == 0u32.to_bits::<32>())
            & self.comp.gfirst.val();
        self.dsp_clr.next = self.cslot0.val();
        self.dsp_cap.next = (self.cslot0.val() & self.started.q.val()) | self.comp.fin.val();
        self.lclr.d.next = self.cslot0.val();
        self.lcap.d.next = (self.cslot0.val() & self.started.q.val()) | self.comp.fin.val();
        self.lane_clr.next = self.lclr.q.val();
        self.lane_cap.next = self.lcap.q.val();
        if self.comp.act.val() {
            self.started.d.next = true;
        }

        // Matrix-vector bundle at issue, delayed to stage A.
        self.wr.next = self.issue.glast.val() & self.issue.klast.val();
        self.bnda.next = self.issue.accaddr.val();
        self.bndc.next = self.z32.val();
        if self.issue_w.val() & self.moder.q.val() {
            self.bf0.next = self.z32.val();
            if self.issue.gfirst.val() {
                self.bf0.next = self.k_cfirst.val();
            }
            self.bf1.next = self.z32.val();
            if self.issue.glast.val() {
                self.bf1.next = self.k_ev.val();
            }
            self.bf2.next = self.z32.val();
            if self.issue.gnz.val() {
                self.bf2.next = self.k_keep.val();
            }
            self.bf3.next = self.z32.val();
            if self.wr.val() {
                self.bf3.next = self.k_wr.val();
            }
            self.bf4.next = self.z32.val();
            if self.wr.val() & self.accumr.q.val() {
                self.bf4.next = self.k_addold.val();
            }
            self.bndc.next = self.nmin.val()
                | self.k_cvalid.val()
                | self.bf0.val()
                | self.bf1.val()
                | self.bf2.val()
                | self.bf3.val()
                | self.bf4.val();
        }
        self.dla0.d.next = self.bnda.val();
        self.dlc0.d.next = self.bndc.val();
        self.dla1.d.next = self.dla0.q.val();
        self.dlc1.d.next = self.dlc0.q.val();
        self.dla2.d.next = self.dla1.q.val();
        self.dlc2.d.next = self.dlc1.q.val();
        self.dla3.d.next = self.dla2.q.val();
        self.dlc3.d.next = self.dlc2.q.val();
        self.dla4.d.next = self.dla3.q.val();
        self.dlc4.d.next = self.dlc3.q.val();
        self.dla5.d.next = self.dla4.q.val();
        self.dlc5.d.next = self.dlc4.q.val();
        self.dla6.d.next = self.dla5.q.val();
        self.dlc6.d.next = self.dlc5.q.val();
        self.dla7.d.next = self.dla6.q.val();
        self.dlc7.d.next = self.dlc6.q.val();
        self.dla8.d.next = self.dla7.q.val();
        self.dlc8.d.next = self.dlc7.q.val();
        self.dla9.d.next = self.dla8.q.val();
        self.dlc9.d.next = self.dlc8.q.val();

        // Matrix-matrix: result row `slot` of a finished group.
        self.dnmin.next = self.c_c.val();
        if self.drain.nrem.val() < self.c_c.val() {
            self.dnmin.next = self.drain.nrem.val();
        }
        self.df0.next = self.z32.val();
        if self.drain.slot.val() < self.drain.mrem.val() {
            self.df0.next = self.k_wr.val();
        }
        self.df1.next = self.z32.val();
        if self.drain.gnz.val() | self.accumr.q.val() {
            self.df1.next = self.k_addold.val();
        }
        self.saa.next = self.drain.accaddr.val();
        self.sac.next = self.z32.val();
        if self.moder.q.val() {
            match self.c_lat.val().index() {
                4 => {
                    self.saa.next = self.dla3.q.val();
                    self.sac.next = self.dlc3.q.val();
                }
                5 => {
                    self.saa.next = self.dla4.q.val();
                    self.sac.next = self.dlc4.q.val();
                }
                6 => {
                    self.saa.next = self.dla5.q.val();
                    self.sac.next = self.dlc5.q.val();
                }
                7 => {
                    self.saa.next = self.dla6.q.val();
                    self.sac.next = self.dlc6.q.val();
                }
                8 => {
                    self.saa.next = self.dla7.q.val();
                    self.sac.next = self.dlc7.q.val();
                }
                9 => {
                    self.saa.next = self.dla8.q.val();
                    self.sac.next = self.dlc8.q.val();
                }
                _ => {
                    self.saa.next = self.dla9.q.val();
                    self.sac.next = self.dlc9.q.val();
                }
            }
        } else if self.drain.act.val() & self.drain.glast.val() {
            self.sac.next = self.dnmin.val() | self.k_ev.val() | self.df0.val() | self.df1.val();
        }
        self.col_cvalid.next = self.sac.val().get_bit(16);
        self.col_cfirst.next = self.sac.val().get_bit(17);
        self.sba.d.next = self.saa.val();
        self.sbc.d.next = self.sac.val();
        self.sca.d.next = self.sba.q.val();
        self.scc.d.next = self.sbc.q.val();
        self.acc_ren.next = self.sbc.q.val().get_bit(21) & self.sbc.q.val().get_bit(20);
        self.acc_raddr.next = self.sba.q.val();
        self.acc_wen.next = self.scc.q.val().get_bit(21);
        self.acc_waddr.next = self.sca.q.val();
        self.acc_ncnt.next = self.scc.q.val() & 0xFFFFu32.to_bits::<32>();
        self.col_keep.next = self.scc.q.val().get_bit(19);
        self.col_addold.next = self.scc.q.val().get_bit(20);
        self.col_ev.next = self.scc.q.val().get_bit(18);

        // Done.
        self.done.next = self.dact.q.val() & (self.dcnt.q.val() == 0u8.to_bits::<8>());
        if self.dact.q.val() {
            self.dcnt.d.next = self.dcnt.q.val() - 1u8.to_bits::<8>();
            if self.dcnt.q.val() == 0u8.to_bits::<8>() {
                self.dact.d.next = false;
                self.busyr.d.next = false;
            }
        }
        if self.moder.q.val() & self.issue.fin.val() {
            self.dact.d.next = true;
            self.dcnt.d.next = self.dinit.q.val();
        }
        if !self.moder.q.val() & self.drain.fin.val() {
            self.dact.d.next = true;
            self.dcnt.d.next = 1u8.to_bits::<8>();
        }
        if self.rst.val() {
            self.busyr.d.next = false;
            self.dact.d.next = false;
            self.crowv.d.next = false;
            self.ph.d.next = false;
            self.started.d.next = false;
        }
    }
}
