//! Closed forms of the timing rules (docs/rtl.md §7) on small programs.

use super::simulate;
use llmfab_isa::asm::parse;
use llmfab_isa::{EngineConfig, MemTiming};

fn cycles(src: &str, mt: MemTiming) -> u64 {
    let p = parse(src).unwrap();
    simulate(&EngineConfig::tiny(), &mt, p.instrs(), Some(&|_| 5))
        .unwrap()
        .cycles
}

#[test]
fn halt_only_takes_three_plus_read_latency() {
    for rl in [1, 7, 64] {
        let mt = MemTiming {
            read_latency: rl,
            write_latency: 3,
            burst_gap: 2,
        };
        assert_eq!(cycles("halt\n", mt), 3 + rl as u64);
    }
}

#[test]
fn single_load_and_store_paths() {
    let mt = MemTiming {
        read_latency: 10,
        write_latency: 4,
        burst_gap: 0,
    };
    // load: word arrives at 1 + RL = 11, at the queue head 13, issued 13,
    // AR 15, beats 25..=28, engine idle from 29: done in 29.
    let t = cycles("load ch=0 buf=abuf rows=1 row_bytes=128 hbm_addr=0x0 hbm_stride=0 buf_addr=0x0 buf_stride=0\nhalt\n", mt);
    assert_eq!(t, 29);
    // store of one beat: issued 13, AW 15, W beat 18, B 18 + WL = 22, idle 23.
    let t = cycles("store ch=0 buf=abuf rows=1 row_bytes=32 hbm_addr=0x0 hbm_stride=0 buf_addr=0x0 buf_stride=0\nhalt\n", mt);
    assert_eq!(t, 23);
}

#[test]
fn compute_nop_and_unit_cycles() {
    let mt = MemTiming {
        read_latency: 10,
        write_latency: 4,
        burst_gap: 0,
    };
    // Two instructions fetched in one burst (words at 11, 12); the matmul
    // starts at 14 (head at 13 + dispatch of the nop first), done at 19.
    let t = cycles(
        "nop queue=1\nmatmul m=1 n=1 k=1 abits=8 bbits=8\nhalt\n",
        mt,
    );
    assert_eq!(t, 20);
}

/// The bursts (beats each) the address side walks for one transfer.
fn walk_bursts(x: super::dma::Xfer, cfg: &EngineConfig) -> Vec<u64> {
    let mut w = super::dma::Walk::default();
    w.update(None, Some(x), cfg);
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let b = w.present(0, 0, cfg);
        w.update(b, None, cfg);
        if let Some(b) = b {
            out.push(b.beats);
            if b.last {
                break;
            }
        }
    }
    out
}

/// P-COMP-1: contiguous memory rows (`hbm_stride = row_bytes`) are burst
/// as one range (split at `max_burst` and 4 KiB), strided rows one by one.
#[test]
fn contiguous_rows_merge_into_long_bursts() {
    let cfg = EngineConfig::tiny(); // beat 32 B, max_burst 4, 2 outstanding
    let x = |hbm_addr, hbm_stride| super::dma::Xfer {
        rows: 12,
        row_bytes: 32,
        hbm_addr,
        hbm_stride,
        need: 0,
        index: 0,
    };
    assert_eq!(walk_bursts(x(0, 32), &cfg), vec![4, 4, 4]);
    // 0xf40: 6 beats to the 4 KiB boundary.
    assert_eq!(walk_bursts(x(0xf40, 32), &cfg), vec![4, 2, 4, 2]);
    assert_eq!(walk_bursts(x(0, 64), &cfg), vec![1; 12]);
    assert_eq!(walk_bursts(x(0, 0), &cfg), vec![1; 12]);
    // Rows of 3 beats, contiguous from 0xfc0 (2 beats to 4 KiB): 9 beats.
    let y = super::dma::Xfer {
        rows: 3,
        row_bytes: 96,
        hbm_addr: 0xfc0,
        hbm_stride: 96,
        need: 0,
        index: 0,
    };
    assert_eq!(walk_bursts(y, &cfg), vec![2, 4, 3]);
    assert_eq!(
        walk_bursts(
            super::dma::Xfer {
                hbm_stride: 128,
                ..y
            },
            &cfg
        ),
        vec![2, 1, 3, 3]
    );
}

/// The cycles of one 8-row load, contiguous vs strided (RL 10, no gap).
#[test]
fn contiguous_load_cycles() {
    let mt = MemTiming {
        read_latency: 10,
        write_latency: 4,
        burst_gap: 0,
    };
    let load = |stride: u64| {
        format!("load ch=0 buf=abuf rows=8 row_bytes=32 hbm_addr=0x0 hbm_stride={stride} buf_addr=0x0 buf_stride=32\nhalt\n")
    };
    // Contiguous: two 4-beat bursts, AR in 15 and 16; beats 25..=28 and
    // 29..=32; idle from 33.
    assert_eq!(cycles(&load(32), mt), 33);
    // Strided: eight 1-beat bursts, two in flight: AR 15, 16 (beats 25,
    // 26), 26, 27 (36, 37), 37, 38 (47, 48), 48, 49 (58, 59); idle 60.
    assert_eq!(cycles(&load(64), mt), 60);
}
