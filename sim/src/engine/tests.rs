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
