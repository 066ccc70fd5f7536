//! The controller's rust-hdl blocks in rust-hdl simulation: the loop nest
//! against a Rust loop, and `MatCtl`'s `done` against
//! `llmfab_isa::timing::matrix` (the emitted unit is checked under Icarus
//! by `unit.rs`).

use crate::matrix::ctl::MatCtl;
use crate::matrix::nest::Nest;
use llmfab_isa::instr::Matmul;
use llmfab_isa::random::Rng;
use llmfab_isa::timing::matrix::matmul_cycles;
use llmfab_isa::EngineConfig;
use rust_hdl::prelude::*;

fn tick<B: Block>(uut: &mut B, clock: impl Fn(&mut B, bool)) {
    clock(uut, false);
    assert!(simulate(uut, 500));
    clock(uut, true);
    assert!(simulate(uut, 500));
}

#[test]
fn nest_visits_every_position_in_order() {
    let mut rng = Rng::new(11);
    for (slots, rb, m, n, k, gt) in [
        (4u64, 4u64, 9u64, 11u64, 13u64, 2u64),
        (1, 1, 3, 17, 9, 1),
        (1, 1, 2, 8, 4, 0),
    ] {
        let (cr, cc) = (4u64, 8u64);
        let (a0, ap, rab, acc0, accp) = (64u64, 20u64, 4u64, 128u64, 96u64);
        let mut uut = Nest::default();
        uut.connect_all();
        let clk = |u: &mut Nest, c: bool| u.clock.next = Clock { clk: c };
        uut.rst.next = false;
        uut.slm1.next = (slots - 1).to_bits();
        uut.rb.next = rb.to_bits();
        uut.m.next = m.to_bits();
        uut.n.next = n.to_bits();
        uut.k.next = k.to_bits();
        uut.cr.next = cr.to_bits();
        uut.cc.next = cc.to_bits();
        uut.gtm1.next = if gt == 0 { 0xFFFF_FFFFu64 } else { gt - 1 }.to_bits();
        uut.a0.next = a0.to_bits();
        uut.apitch.next = ap.to_bits();
        uut.ablk.next = (rb * ap).to_bits();
        uut.rab.next = rab.to_bits();
        uut.trow0.next = 5u64.to_bits();
        uut.kv0.next = 1000u64.to_bits();
        uut.kvns.next = 3u64.to_bits();
        uut.kvts.next = 100u64.to_bits();
        uut.acc0.next = acc0.to_bits();
        uut.accpitch.next = accp.to_bits();
        uut.accblk.next = (rb * accp).to_bits();
        uut.accns.next = 32u64.to_bits();
        uut.go.next = true;
        uut.adv.next = false;
        tick(&mut uut, clk);
        uut.go.next = false;
        let (kt, nt, mb) = (k.div_ceil(cr), n.div_ceil(cc), m.div_ceil(rb));
        let ng = if gt == 0 { 1 } else { kt.div_ceil(gt) };
        let mut want = Vec::new();
        for b in 0..mb {
            for j in 0..nt {
                for t in 0..kt {
                    for s in 0..slots {
                        let g = t.checked_div(gt).unwrap_or(0);
                        let glast = if gt == 0 {
                            t == kt - 1
                        } else {
                            t % gt == gt - 1 || t == kt - 1
                        };
                        want.push(vec![
                            s,
                            a0 + (b * rb + s) * ap + t * rab,
                            5 + j * kt + t,
                            1000 + j * 3 + t * 100,
                            acc0 + (b * rb + s) * accp + j * 32,
                            j * ng + g,
                            (if gt == 0 { t == 0 } else { t % gt == 0 }) as u64,
                            glast as u64,
                            (g > 0) as u64,
                            m - b * rb,
                            n - j * cc,
                            k - t * cr,
                        ]);
                    }
                }
            }
        }
        let mut got = Vec::new();
        for _ in 0..10 * want.len() + 10 {
            let adv = rng.percent(70);
            uut.adv.next = adv;
            assert!(simulate(&mut uut, 500));
            if uut.fin.val() {
                break;
            }
            if uut.act.val() && adv {
                got.push(vec![
                    uut.slot.val().to_u64(),
                    uut.aaddr.val().to_u64(),
                    uut.trow.val().to_u64(),
                    uut.kvaddr.val().to_u64(),
                    uut.accaddr.val().to_u64(),
                    uut.v.val().to_u64(),
                    uut.gfirst.val() as u64,
                    uut.glast.val() as u64,
                    uut.gnz.val() as u64,
                    uut.mrem.val().to_u64(),
                    uut.nrem.val().to_u64(),
                    uut.krem.val().to_u64(),
                ]);
            }
            tick(&mut uut, clk);
        }
        assert_eq!(got.len(), want.len(), "positions");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                g, w,
                "position {i} of slots {slots} m {m} n {n} k {k} gt {gt}"
            );
        }
        assert!(!uut.act.val());
    }
}

/// `MatCtl` alone in rust-hdl: `done` comes exactly `matmul_cycles` after
/// `start` (matrix-matrix, matrix-vector with and without scale stalls).
#[test]
fn controller_done_matches_the_timing_model() {
    let cfg = EngineConfig::tiny();
    let (r, c) = (cfg.rows as u64, cfg.cols as u64);
    let mut uut = MatCtl::default();
    uut.connect_all();
    let clk = |u: &mut MatCtl, c: bool| u.clock.next = Clock { clk: c };
    let consts: [(u64, &str); 0] = [];
    let _ = consts;
    uut.c_r.next = r.to_bits();
    uut.c_c.next = c.to_bits();
    uut.c_lgr.next = 2u64.to_bits();
    uut.c_rab.next = r.to_bits();
    uut.c_lgtile.next = 5u64.to_bits();
    uut.c_4c.next = (4 * c).to_bits();
    uut.c_lgkvr.next = 5u64.to_bits();
    uut.c_ckb.next = c.to_bits();
    uut.c_rkb.next = r.to_bits();
    uut.c_ckvr.next = (c * 32).to_bits();
    uut.c_rkvr.next = (r * 32).to_bits();
    uut.c_kwm1.next = 7u64.to_bits();
    uut.c_lgckb.next = 3u64.to_bits();
    uut.c_lgrkb.next = 2u64.to_bits();
    uut.c_nbm1.next = 7u64.to_bits();
    uut.c_gtm1.next = 1u64.to_bits();
    uut.c_lgspr.next = 1u64.to_bits();
    uut.c_sprm1.next = 1u64.to_bits();
    uut.c_lat.next = 5u64.to_bits();
    uut.rst.next = true;
    tick(&mut uut, clk);
    uut.rst.next = false;
    let cases = [
        Matmul {
            mode: 0,
            m: 5,
            n: 9,
            k: 9,
            ..Default::default()
        },
        Matmul {
            mode: 1,
            m: 2,
            n: 16,
            k: 24,
            dequant: 1,
            ..Default::default()
        },
        Matmul {
            mode: 1,
            m: 3,
            n: 8,
            k: 8,
            dequant: 1,
            ..Default::default()
        },
        Matmul {
            mode: 0,
            m: 1,
            n: 1,
            k: 1,
            dequant: 1,
            ..Default::default()
        },
    ];
    for x in cases {
        uut.start.next = true;
        uut.f_mode.next = x.mode == 1;
        uut.f_dequant.next = x.dequant == 1;
        uut.f_m.next = x.m.to_bits();
        uut.f_n.next = x.n.to_bits();
        uut.f_k.next = x.k.to_bits();
        uut.f_apitch.next = 64u64.to_bits();
        uut.f_accpitch.next = 64u64.to_bits();
        tick(&mut uut, clk);
        uut.start.next = false;
        let mut cycles = 0;
        loop {
            cycles += 1;
            assert!(simulate(&mut uut, 500));
            if uut.done.val() || cycles > 10_000 {
                break;
            }
            tick(&mut uut, clk);
        }
        assert_eq!(cycles, matmul_cycles(&x, &cfg), "{x:?}");
        tick(&mut uut, clk);
    }
}
