//! DMA throughput from the engine's timing rules (`llmfab_isa::timing`,
//! "DMA engines" and "Memory"; docs/rtl.md §7): a channel's read engine
//! walks a transfer in address rows (one range when `hbm_stride =
//! row_bytes`, [`llmfab_isa::timing::address_rows`]) and splits each into
//! bursts of at most `max_burst` beats that do not
//! cross a 4 KiB boundary ([`llmfab_isa::timing::burst_beats`]); the data
//! bus is busy `n + burst_gap` cycles per burst of `n` beats, and at most
//! `max_outstanding` bursts are in flight, each for `read_latency + n + 1`
//! cycles. A long stream of `n`-beat bursts therefore takes
//! `max(n + G, (RL + n + 1) / MO)` cycles per burst.

use llmfab_isa::timing::{burst_beats, read_latency};
use llmfab_isa::{EngineConfig, MemTiming};

/// Cycles one burst of `n` beats occupies its read engine in a long stream.
pub fn burst_cycles(n: u64, cfg: &EngineConfig, mt: &MemTiming) -> f64 {
    let mo = cfg.max_outstanding.max(1) as f64;
    let n = n as f64;
    (n + mt.burst_gap as f64).max((read_latency(mt) as f64 + n + 1.0) / mo)
}

/// Cycles of one contiguous row of `bytes` at channel-local `addr`.
pub fn row_cycles(addr: u64, bytes: u64, cfg: &EngineConfig, mt: &MemTiming) -> f64 {
    let beat = cfg.beat_bytes().max(1);
    let (mut a, mut left) = (addr, bytes.div_ceil(beat));
    let mut c = 0.0;
    while left > 0 {
        let n = burst_beats(a, left, cfg).max(1);
        c += burst_cycles(n, cfg, mt);
        a += n * beat;
        left -= n.min(left);
    }
    c
}

/// Cycles of a transfer of `rows` rows of `row_bytes` at `addr + i·stride`
/// on one read engine (streaming; the first burst's latency is not
/// included). Contiguous rows (`stride = row_bytes`) are one range.
pub fn transfer_cycles(
    addr: u64,
    rows: u64,
    row_bytes: u64,
    stride: u64,
    cfg: &EngineConfig,
    mt: &MemTiming,
) -> f64 {
    if rows == 0 {
        return 0.0;
    }
    if stride == row_bytes && rows > 1 {
        return row_cycles(addr, rows * row_bytes, cfg, mt);
    }
    // Rows repeat their 4 KiB phase when the stride is a multiple of the
    // row's alignment period; measuring a few rows is then exact.
    let sample = rows.min(8);
    let c: f64 = (0..sample)
        .map(|i| row_cycles(addr + i * stride, row_bytes, cfg, mt))
        .sum();
    c * rows as f64 / sample as f64
}

/// Beats per cycle a long stream of `max_burst`-beat bursts reaches.
pub fn stream_efficiency(cfg: &EngineConfig, mt: &MemTiming) -> f64 {
    let n = cfg.max_burst.max(1) as u64;
    n as f64 / burst_cycles(n, cfg, mt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_follow_the_rules() {
        let mut cfg = EngineConfig::tiny();
        cfg.port_bits = 512;
        cfg.max_burst = 64;
        cfg.max_outstanding = 8;
        let mt = MemTiming::default(); // RL 64, gap 6
                                       // 64-beat bursts: bus-bound, 70 cycles each.
        assert_eq!(burst_cycles(64, &cfg, &mt), 70.0);
        // 2-beat bursts: 8 cycles on the bus, (64+3)/8 = 8.375 in flight.
        assert_eq!(burst_cycles(2, &cfg, &mt), 8.375);
        // A 4 KiB-aligned 8 KiB row is two full bursts; shifted by 64 bytes
        // it is split at the page boundaries into 63, 64 and 1 beats.
        assert_eq!(row_cycles(0, 8192, &cfg, &mt), 140.0);
        assert_eq!(
            row_cycles(64, 8192, &cfg, &mt),
            burst_cycles(63, &cfg, &mt) + burst_cycles(64, &cfg, &mt) + burst_cycles(1, &cfg, &mt)
        );
        // 100 strided rows of 2 beats: one 2-beat burst each.
        assert_eq!(transfer_cycles(0, 100, 128, 256, &cfg, &mt), 837.5);
        // Contiguous rows are one range of 200 beats: 64, 64, 64, 8.
        assert_eq!(
            transfer_cycles(0, 100, 128, 128, &cfg, &mt),
            3.0 * 70.0 + burst_cycles(8, &cfg, &mt)
        );
        assert!((stream_efficiency(&cfg, &mt) - 64.0 / 70.0).abs() < 1e-12);
    }
}
