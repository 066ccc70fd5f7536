//! rust-hdl simulation tests of the DMA engines against small Rust models
//! of an always-ready memory.

use super::dma_rd::DmaRd;
use super::dma_wr::DmaWr;
use super::testing::{settle, tick};
use rust_hdl::prelude::*;
use std::collections::VecDeque;

/// A 2-D load to ABUF with rows longer than a burst and a 4 KiB crossing:
/// the bursts, the buffer write addresses and the port claim.
#[test]
fn dma_rd_walks_rows_bursts_and_claims_its_port() {
    let mut u = DmaRd::default();
    u.connect_all();
    u.beat_shift.next = 5u64.to_bits();
    u.max_burst.next = 4u64.to_bits();
    u.max_out.next = 2u64.to_bits();
    u.tile_shift.next = 5u64.to_bits();
    u.slice_shift.next = 5u64.to_bits();
    u.base.next = 0x7000_0000u64.to_bits();
    u.ar_ready.next = true;
    // 2 rows of 6 beats at 0xfa0 (crosses 4 KiB after 3 beats), stride 0x400.
    u.cmd_valid.next = true;
    u.cmd_buf.next = 0u64.to_bits();
    u.cmd_rows.next = 2u64.to_bits();
    u.cmd_row_bytes.next = 192u64.to_bits();
    u.cmd_hbm_addr.next = 0xfa0u64.to_bits();
    u.cmd_hbm_stride.next = 0x400u64.to_bits();
    u.cmd_buf_addr.next = 0x100u64.to_bits();
    u.cmd_buf_stride.next = 0x200u64.to_bits();
    u.claim.next = 2u64.to_bits(); // compute holds ABUF write
    settle(&mut u);
    assert!(u.ready.val());
    tick(&mut u, |x| &mut x.clock);
    u.cmd_valid.next = false;
    let mut desc: VecDeque<Bits<93>> = VecDeque::new();
    let mut mem: VecDeque<(u64, u64)> = VecDeque::new(); // (beats, ready cycle)
    let mut cur: Option<(u64, u64)> = None;
    let (mut bursts, mut writes) = (Vec::new(), Vec::new());
    for cyc in 0..200u64 {
        if cyc == 5 {
            u.claim.next = 0u64.to_bits();
        }
        if cur.is_none() {
            if let Some(&(n, rdy)) = mem.front() {
                if rdy <= cyc {
                    mem.pop_front();
                    cur = Some((n, 0));
                }
            }
        }
        u.r_valid.next = cur.is_some();
        u.r_last.next = matches!(cur, Some((n, i)) if i + 1 == n);
        u.desc_out.next = desc.front().cloned().unwrap_or_default();
        settle(&mut u);
        if cyc < 5 {
            assert!(
                !u.ar_valid.val(),
                "must wait while the compute unit claims ABUF write"
            );
        }
        if u.ar_valid.val() {
            let n = u.ar_len.val().to_u64() + 1;
            bursts.push((u.ar_addr.val().to_u64(), n));
            mem.push_back((n, cyc + 2));
            assert!(u.desc_push.val());
            desc.push_back(u.desc_in.val());
            assert_eq!(u.hold.val().to_u64(), if bursts.len() == 1 { 0 } else { 2 });
        }
        if u.wr_en.val() {
            assert_eq!(u.wr_buf.val().to_u64(), 0);
            writes.push(u.wr_addr.val().to_u64());
        }
        if u.desc_pop.val() {
            desc.pop_front();
        }
        if let Some((n, i)) = cur {
            cur = if i + 1 == n { None } else { Some((n, i + 1)) };
        }
        tick(&mut u, |x| &mut x.clock);
    }
    let b = 0x7000_0000u64;
    assert_eq!(
        bursts,
        vec![
            (b + 0xfa0, 3),
            (b + 0x1000, 3),
            (b + 0x13a0, 4),
            (b + 0x1420, 2)
        ]
    );
    let want: Vec<u64> = (0..6)
        .map(|i| 0x100 + 32 * i)
        .chain((0..6).map(|i| 0x300 + 32 * i))
        .collect();
    assert_eq!(writes, want);
    settle(&mut u);
    assert!(!u.busy.val());
    assert_eq!(
        u.hold.val().to_u64(),
        0,
        "claim released after the last beat"
    );
}

/// A store from KVBUF: AW bursts, buffer reads in order paced by the W
/// FIFO, `wlast` flags, and completion on the last B response.
#[test]
fn dma_wr_reads_paced_by_the_w_fifo() {
    let mut u = DmaWr::default();
    u.connect_all();
    u.beat_shift.next = 5u64.to_bits();
    u.max_burst.next = 4u64.to_bits();
    u.max_out.next = 2u64.to_bits();
    u.base.next = 0u64.to_bits();
    u.aw_ready.next = true;
    u.cmd_valid.next = true;
    u.cmd_buf.next = 2u64.to_bits();
    u.cmd_rows.next = 2u64.to_bits();
    u.cmd_row_bytes.next = 160u64.to_bits(); // 5 beats: bursts of 4 + 1
    u.cmd_hbm_addr.next = 0x2000u64.to_bits();
    u.cmd_hbm_stride.next = 0x100u64.to_bits();
    u.cmd_buf_addr.next = 0x40u64.to_bits();
    u.cmd_buf_stride.next = 0x400u64.to_bits();
    u.desc_empty.next = true;
    tick(&mut u, |x| &mut x.clock);
    u.cmd_valid.next = false;
    let mut desc: VecDeque<Bits<100>> = VecDeque::new();
    let mut bflags: VecDeque<u64> = VecDeque::new();
    let mut wfifo: VecDeque<bool> = VecDeque::new();
    let mut pending: Option<bool> = None; // beat read last cycle (its last flag comes with wf_push)
    let mut aw = Vec::new();
    let mut reads = Vec::new();
    let mut wlasts = Vec::new();
    let mut b_due: VecDeque<u64> = VecDeque::new();
    for cyc in 0..300u64 {
        u.desc_out.next = desc.front().cloned().unwrap_or_default();
        u.desc_empty.next = desc.is_empty();
        u.bflag_out.next = bflags.front().copied().unwrap_or(0).to_bits();
        u.wf_count.next = (wfifo.len() as u64).to_bits();
        let bvalid = b_due.front().is_some_and(|&t| t <= cyc);
        u.b_valid.next = bvalid;
        settle(&mut u);
        if u.aw_valid.val() {
            aw.push((u.aw_addr.val().to_u64(), u.aw_len.val().to_u64() + 1));
            desc.push_back(u.desc_in.val());
            bflags.push_back(u.bflag_in.val().to_u64());
        }
        if u.desc_pop.val() {
            desc.pop_front();
        }
        // W side: the memory takes a beat every third cycle.
        if cyc % 3 == 0 {
            if let Some(last) = wfifo.pop_front() {
                wlasts.push(last);
                if last {
                    b_due.push_back(cyc + 4);
                }
            }
        }
        if u.wf_push.val() {
            assert!(
                pending.is_some(),
                "cycle {cyc}: a W FIFO push without a read in the previous cycle"
            );
            wfifo.push_back(u.wf_last.val());
        }
        assert!(wfifo.len() <= 4, "W FIFO overflow");
        pending = None;
        if u.rd_en.val() {
            assert_eq!(u.rd_buf.val().to_u64(), 2);
            reads.push(u.rd_addr.val().to_u64());
            pending = Some(true);
        }
        if bvalid {
            b_due.pop_front();
            bflags.pop_front();
        }
        tick(&mut u, |x| &mut x.clock);
    }
    assert_eq!(aw, vec![(0x2000, 4), (0x2080, 1), (0x2100, 4), (0x2180, 1)]);
    let want: Vec<u64> = (0..5)
        .map(|i| 0x40 + 32 * i)
        .chain((0..5).map(|i| 0x440 + 32 * i))
        .collect();
    assert_eq!(reads, want);
    assert_eq!(
        wlasts,
        vec![false, false, false, true, true, false, false, false, true, true]
    );
    settle(&mut u);
    assert!(!u.busy.val());
    assert_eq!(u.hold.val().to_u64(), 0);
}

/// Runs one load on a `DmaRd` (beat 32 B, `max_burst` 4, 2 outstanding,
/// memory always ready, first beat 2 cycles after the AR handshake):
/// returns the AR bursts (address, beats) and the buffer write addresses.
fn run_rd(
    rows: u64,
    row_bytes: u64,
    hbm: u64,
    hbm_stride: u64,
    buf: u64,
    buf_addr: u64,
    buf_stride: u64,
) -> (Vec<(u64, u64)>, Vec<u64>) {
    let mut u = DmaRd::default();
    u.connect_all();
    u.beat_shift.next = 5u64.to_bits();
    u.max_burst.next = 4u64.to_bits();
    u.max_out.next = 2u64.to_bits();
    u.tile_shift.next = 10u64.to_bits();
    u.slice_shift.next = 8u64.to_bits();
    u.base.next = 0u64.to_bits();
    u.ar_ready.next = true;
    u.cmd_valid.next = true;
    u.cmd_buf.next = buf.to_bits();
    u.cmd_rows.next = rows.to_bits();
    u.cmd_row_bytes.next = row_bytes.to_bits();
    u.cmd_hbm_addr.next = hbm.to_bits();
    u.cmd_hbm_stride.next = hbm_stride.to_bits();
    u.cmd_buf_addr.next = buf_addr.to_bits();
    u.cmd_buf_stride.next = buf_stride.to_bits();
    tick(&mut u, |x| &mut x.clock);
    u.cmd_valid.next = false;
    let mut desc: VecDeque<Bits<93>> = VecDeque::new();
    let mut mem: VecDeque<(u64, u64)> = VecDeque::new();
    let mut cur: Option<(u64, u64)> = None;
    let (mut bursts, mut writes) = (Vec::new(), Vec::new());
    for cyc in 0..400u64 {
        if cur.is_none() {
            if let Some(&(n, rdy)) = mem.front() {
                if rdy <= cyc {
                    mem.pop_front();
                    cur = Some((n, 0));
                }
            }
        }
        u.r_valid.next = cur.is_some();
        u.r_last.next = matches!(cur, Some((n, i)) if i + 1 == n);
        u.desc_out.next = desc.front().cloned().unwrap_or_default();
        settle(&mut u);
        if u.ar_valid.val() {
            let n = u.ar_len.val().to_u64() + 1;
            bursts.push((u.ar_addr.val().to_u64(), n));
            mem.push_back((n, cyc + 2));
            desc.push_back(u.desc_in.val());
        }
        if u.wr_en.val() {
            assert_eq!(u.wr_buf.val().to_u64(), buf);
            writes.push(u.wr_addr.val().to_u64());
        }
        if u.desc_pop.val() {
            desc.pop_front();
        }
        if let Some((n, i)) = cur {
            cur = if i + 1 == n { None } else { Some((n, i + 1)) };
        }
        tick(&mut u, |x| &mut x.clock);
    }
    settle(&mut u);
    assert!(!u.busy.val());
    (bursts, writes)
}

/// P-COMP-1: contiguous memory rows (`hbm_stride = row_bytes`) are one
/// range for the bursts (split at `max_burst` and 4 KiB, across rows),
/// while each row still lands at its own buffer address.
#[test]
fn dma_rd_merges_contiguous_rows_into_long_bursts() {
    // 5 rows of 3 beats from 0xfc0 (4 KiB crossing after 2 beats) into
    // KVBUF rows 0x100 apart.
    let (bursts, writes) = run_rd(5, 96, 0xfc0, 96, 2, 0x200, 0x100);
    assert_eq!(
        bursts,
        vec![
            (0xfc0, 2),
            (0x1000, 4),
            (0x1080, 4),
            (0x1100, 4),
            (0x1180, 1)
        ]
    );
    let want: Vec<u64> = (0..5)
        .flat_map(|r| (0..3).map(move |b| 0x200 + 0x100 * r + 32 * b))
        .collect();
    assert_eq!(writes, want);
    // The same rows strided: one burst per row (split at 4 KiB).
    let (bursts, writes2) = run_rd(5, 96, 0xfc0, 128, 2, 0x200, 0x100);
    assert_eq!(
        bursts,
        vec![
            (0xfc0, 2),
            (0x1000, 1),
            (0x1040, 3),
            (0x10c0, 3),
            (0x1140, 3),
            (0x11c0, 3)
        ]
    );
    assert_eq!(writes2, want);
    // WBUF: one stream from the bank-local address, rows back to back.
    let (bursts, writes) = run_rd(3, 64, 0, 64, 1, 0x800 + 0x100, 0);
    assert_eq!(bursts, vec![(0, 4), (0x80, 2)]);
    let want: Vec<u64> = (0..6).map(|b| (0x900 >> 10 << 8) + 32 * b).collect();
    assert_eq!(writes, want);
}

/// Runs one store from KVBUF on a `DmaWr` (beat 32 B, `max_burst` 4, 2
/// outstanding; W takes a beat every second cycle, B 3 cycles after the
/// last): returns the AW bursts and the buffer read addresses.
fn run_wr(
    rows: u64,
    row_bytes: u64,
    hbm: u64,
    hbm_stride: u64,
    buf_addr: u64,
    buf_stride: u64,
) -> (Vec<(u64, u64)>, Vec<u64>) {
    let mut u = DmaWr::default();
    u.connect_all();
    u.beat_shift.next = 5u64.to_bits();
    u.max_burst.next = 4u64.to_bits();
    u.max_out.next = 2u64.to_bits();
    u.base.next = 0u64.to_bits();
    u.aw_ready.next = true;
    u.cmd_valid.next = true;
    u.cmd_buf.next = 2u64.to_bits();
    u.cmd_rows.next = rows.to_bits();
    u.cmd_row_bytes.next = row_bytes.to_bits();
    u.cmd_hbm_addr.next = hbm.to_bits();
    u.cmd_hbm_stride.next = hbm_stride.to_bits();
    u.cmd_buf_addr.next = buf_addr.to_bits();
    u.cmd_buf_stride.next = buf_stride.to_bits();
    u.desc_empty.next = true;
    tick(&mut u, |x| &mut x.clock);
    u.cmd_valid.next = false;
    let mut desc: VecDeque<Bits<100>> = VecDeque::new();
    let mut bflags: VecDeque<u64> = VecDeque::new();
    let mut wfifo: VecDeque<bool> = VecDeque::new();
    let (mut aw, mut reads) = (Vec::new(), Vec::new());
    let mut b_due: VecDeque<u64> = VecDeque::new();
    for cyc in 0..400u64 {
        u.desc_out.next = desc.front().cloned().unwrap_or_default();
        u.desc_empty.next = desc.is_empty();
        u.bflag_out.next = bflags.front().copied().unwrap_or(0).to_bits();
        u.wf_count.next = (wfifo.len() as u64).to_bits();
        let bvalid = b_due.front().is_some_and(|&t| t <= cyc);
        u.b_valid.next = bvalid;
        settle(&mut u);
        if u.aw_valid.val() {
            aw.push((u.aw_addr.val().to_u64(), u.aw_len.val().to_u64() + 1));
            desc.push_back(u.desc_in.val());
            bflags.push_back(u.bflag_in.val().to_u64());
        }
        if u.desc_pop.val() {
            desc.pop_front();
        }
        if cyc % 2 == 0 {
            if let Some(last) = wfifo.pop_front() {
                if last {
                    b_due.push_back(cyc + 3);
                }
            }
        }
        if u.wf_push.val() {
            wfifo.push_back(u.wf_last.val());
        }
        assert!(wfifo.len() <= 4, "W FIFO overflow");
        if u.rd_en.val() {
            reads.push(u.rd_addr.val().to_u64());
        }
        if bvalid {
            b_due.pop_front();
            bflags.pop_front();
        }
        tick(&mut u, |x| &mut x.clock);
    }
    settle(&mut u);
    assert!(!u.busy.val());
    assert_eq!(u.hold.val().to_u64(), 0);
    (aw, reads)
}

/// P-COMP-1 for stores: contiguous memory rows are one burst range; the
/// read side still reads each row from its own buffer address.
#[test]
fn dma_wr_merges_contiguous_rows_into_long_bursts() {
    // 3 rows of 3 beats from KVBUF rows 0x400 apart into 0x1fc0.. (4 KiB
    // crossing after 2 beats).
    let (aw, reads) = run_wr(3, 96, 0x1fc0, 96, 0x40, 0x400);
    assert_eq!(aw, vec![(0x1fc0, 2), (0x2000, 4), (0x2080, 3)]);
    let want: Vec<u64> = (0..3)
        .flat_map(|r| (0..3).map(move |b| 0x40 + 0x400 * r + 32 * b))
        .collect();
    assert_eq!(reads, want);
    let (aw, reads) = run_wr(3, 96, 0x1fc0, 0x100, 0x40, 0x400);
    assert_eq!(
        aw,
        vec![(0x1fc0, 2), (0x1fc0 + 64, 1), (0x20c0, 3), (0x21c0, 3)]
    );
    assert_eq!(reads, want);
}
