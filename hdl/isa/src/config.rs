//! `EngineConfig`: the shape of one engine instance, read from TOML.
//!
//! Every size is in bytes unless the field says otherwise. Derived
//! quantities (tile size, per-channel slice, KV banks) are methods, so a
//! config file only holds the free parameters.

use crate::IsaError;
use serde::{Deserialize, Serialize};

/// Free parameters of an engine instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Name used in reports and file names.
    pub name: String,
    /// Matrix-unit rows `R` (reduction lanes in matrix-vector mode, output
    /// rows in matrix-matrix mode). Power of two, 2..=128.
    pub rows: u32,
    /// Matrix-unit columns `C` (output columns in both modes). Power of two, 2..=256.
    pub cols: u32,
    /// Weight bits: 2, 4 or 8.
    pub weight_bits: u32,
    /// Activation bits: 8 or 16.
    pub act_bits: u32,
    /// KV-cache bits: 4 or 8.
    pub kv_bits: u32,
    /// Weights sharing one dequantisation scale along K; a multiple of `rows`.
    pub group_size: u32,
    /// Kernel clock in MHz.
    pub clock_mhz: f64,
    /// Memory channels (HBM pseudo-channels or DDR banks) used, 1..=32; one
    /// DMA engine and one AXI4 master each.
    pub channels: u32,
    /// AXI data width of each channel: 256 or 512 bits.
    pub port_bits: u32,
    /// Weight buffer bytes (a multiple of the tile size).
    pub wbuf_bytes: u64,
    /// Activation buffer bytes.
    pub abuf_bytes: u64,
    /// KV buffer bytes (a multiple of `kv_row_bytes`).
    pub kvbuf_bytes: u64,
    /// Bytes per KV-buffer row (one position of one head at `kv_bits`).
    pub kv_row_bytes: u32,
    /// Accumulator buffer bytes (int32 entries).
    pub acc_bytes: u64,
    /// Scale/table buffer bytes (norm weights, LUTs, RoPE tables, per-column multipliers).
    pub sbuf_bytes: u64,
    /// SFU lanes (elements per cycle). Power of two, 1..=256.
    pub sfu_lanes: u32,
    /// Depth of each instruction queue (load, compute, store).
    pub queue_depth: u32,
    /// Longest AXI burst the DMA engines issue, in beats (1..=256).
    pub max_burst: u32,
    /// Bursts a DMA engine keeps in flight (1..=16).
    pub max_outstanding: u32,
}

/// Timing of the memory behind each AXI port, shared by the simulator and
/// the Verilog testbench's memory model so their cycle counts can agree.
///
/// Reads: a burst accepted at cycle `t` delivers its first beat at
/// `max(t + read_latency, bus_free)`, then one beat per cycle; the data bus
/// is then busy for `burst_gap` more cycles. Writes: data beats are accepted
/// one per cycle once the write bus is free; the response comes
/// `write_latency` cycles after the last beat; the bus then idles `burst_gap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemTiming {
    /// Cycles from read-address acceptance to the first data beat.
    pub read_latency: u32,
    /// Cycles from the last write beat to the write response.
    pub write_latency: u32,
    /// Idle cycles of the data bus after each burst.
    pub burst_gap: u32,
}

impl Default for MemTiming {
    /// HBM2 behind the Alveo HBM switch at a 225–300 MHz kernel clock:
    /// about 64 cycles (~250 ns) of read latency, and a gap that makes
    /// 64-beat bursts reach ~91% of the port's peak.
    fn default() -> Self {
        MemTiming {
            read_latency: 64,
            write_latency: 32,
            burst_gap: 6,
        }
    }
}

impl MemTiming {
    /// Zero-latency, gap-free memory (for unit tests).
    pub fn ideal() -> Self {
        MemTiming {
            read_latency: 1,
            write_latency: 1,
            burst_gap: 0,
        }
    }
}

impl EngineConfig {
    /// Bytes per AXI beat.
    pub fn beat_bytes(&self) -> u64 {
        self.port_bits as u64 / 8
    }
    /// Bytes per activation element.
    pub fn act_bytes(&self) -> u64 {
        self.act_bits as u64 / 8
    }
    /// Bytes of one weight tile (`R × C` weights): one weight-buffer row.
    pub fn tile_bytes(&self) -> u64 {
        self.rows as u64 * self.cols as u64 * self.weight_bits as u64 / 8
    }
    /// Bytes of a weight-buffer row that each channel fills.
    pub fn slice_bytes(&self) -> u64 {
        self.tile_bytes() / self.channels as u64
    }
    /// Rows of the weight buffer.
    pub fn wbuf_rows(&self) -> u64 {
        self.wbuf_bytes / self.tile_bytes()
    }
    /// Rows of the KV buffer.
    pub fn kvbuf_rows(&self) -> u64 {
        self.kvbuf_bytes / self.kv_row_bytes as u64
    }
    /// Banks of the KV buffer: `max(R, C, channels)`; row `r` lives in bank
    /// `r mod banks` and only channel `r mod channels` loads or stores it.
    pub fn kv_banks(&self) -> u64 {
        self.rows.max(self.cols).max(self.channels) as u64
    }
    /// Bytes of one activation-buffer word (`R` activations).
    pub fn a_word_bytes(&self) -> u64 {
        self.rows as u64 * self.act_bytes()
    }
    /// Bytes of one accumulator word (`C` int32 values).
    pub fn acc_word_bytes(&self) -> u64 {
        self.cols as u64 * 4
    }
    /// Multiply-accumulate lanes of the matrix unit.
    pub fn mac_lanes(&self) -> u64 {
        self.rows as u64 * self.cols as u64
    }
    /// Clock period in seconds.
    pub fn cycle_s(&self) -> f64 {
        1e-6 / self.clock_mhz
    }

    /// Parses and validates a TOML config; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Self, IsaError> {
        let cfg: EngineConfig = toml::from_str(text).map_err(|e| IsaError::Config {
            file: file.to_string(),
            problems: vec![e.to_string()],
        })?;
        cfg.validate().map_err(|e| match e {
            IsaError::Config { problems, .. } => IsaError::Config {
                file: file.to_string(),
                problems,
            },
            other => other,
        })?;
        Ok(cfg)
    }

    /// TOML text of this config.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Checks every constraint, collecting all violations (each names its field).
    pub fn validate(&self) -> Result<(), IsaError> {
        let mut p = Vec::new();
        let pow2 = |v: u64| v != 0 && v & (v - 1) == 0;
        if !pow2(self.rows as u64) || !(2..=128).contains(&self.rows) {
            p.push(format!(
                "rows: expected a power of two in 2..=128, got {}",
                self.rows
            ));
        }
        if !pow2(self.cols as u64) || !(2..=256).contains(&self.cols) {
            p.push(format!(
                "cols: expected a power of two in 2..=256, got {}",
                self.cols
            ));
        }
        if ![2, 4, 8].contains(&self.weight_bits) {
            p.push(format!(
                "weight_bits: expected 2, 4 or 8, got {}",
                self.weight_bits
            ));
        }
        if ![8, 16].contains(&self.act_bits) {
            p.push(format!("act_bits: expected 8 or 16, got {}", self.act_bits));
        }
        if ![4, 8].contains(&self.kv_bits) {
            p.push(format!("kv_bits: expected 4 or 8, got {}", self.kv_bits));
        }
        if self.group_size == 0 || self.rows == 0 || !self.group_size.is_multiple_of(self.rows) {
            p.push(format!(
                "group_size: expected a positive multiple of rows ({}), got {}",
                self.rows, self.group_size
            ));
        }
        if !(self.clock_mhz.is_finite() && self.clock_mhz > 0.0 && self.clock_mhz <= 1000.0) {
            p.push(format!(
                "clock_mhz: expected a value in (0, 1000], got {}",
                self.clock_mhz
            ));
        }
        if !pow2(self.channels as u64) || !(1..=32).contains(&self.channels) {
            p.push(format!(
                "channels: expected a power of two in 1..=32, got {}",
                self.channels
            ));
        }
        if ![256, 512].contains(&self.port_bits) {
            p.push(format!(
                "port_bits: expected 256 or 512, got {}",
                self.port_bits
            ));
        }
        if !pow2(self.sfu_lanes as u64) || !(1..=256).contains(&self.sfu_lanes) {
            p.push(format!(
                "sfu_lanes: expected a power of two in 1..=256, got {}",
                self.sfu_lanes
            ));
        }
        if !(2..=1024).contains(&self.queue_depth) {
            p.push(format!(
                "queue_depth: expected 2..=1024, got {}",
                self.queue_depth
            ));
        }
        if !(1..=256).contains(&self.max_burst) {
            p.push(format!(
                "max_burst: expected 1..=256 beats, got {}",
                self.max_burst
            ));
        }
        if !(1..=16).contains(&self.max_outstanding) {
            p.push(format!(
                "max_outstanding: expected 1..=16, got {}",
                self.max_outstanding
            ));
        }
        if p.is_empty() {
            let beat = self.beat_bytes();
            let tile = self.tile_bytes();
            if !tile.is_multiple_of(self.channels as u64)
                || !self.slice_bytes().is_multiple_of(beat)
            {
                p.push(format!(
                    "rows × cols × weight_bits / 8 = {tile} B per weight tile must split into {} channel slices of a multiple of the {beat}-byte AXI beat (raise rows or cols, or lower channels)",
                    self.channels
                ));
            }
            if self.kv_row_bytes == 0 || !(self.kv_row_bytes as u64).is_multiple_of(beat) {
                p.push(format!(
                    "kv_row_bytes: expected a positive multiple of the {beat}-byte beat, got {}",
                    self.kv_row_bytes
                ));
            } else if (self.kv_row_bytes as u64) * 8
                < self.rows.max(self.cols) as u64 * self.kv_bits as u64
            {
                p.push(format!(
                    "kv_row_bytes: expected at least max(rows, cols) × kv_bits / 8 = {} bytes, got {}",
                    self.rows.max(self.cols) as u64 * self.kv_bits as u64 / 8,
                    self.kv_row_bytes
                ));
            }
            let checks: [(&str, u64, u64); 5] = [
                ("wbuf_bytes", self.wbuf_bytes, tile.max(1)),
                (
                    "abuf_bytes",
                    self.abuf_bytes,
                    beat.max(self.a_word_bytes())
                        .max(self.sfu_lanes as u64 * self.act_bytes()),
                ),
                (
                    "kvbuf_bytes",
                    self.kvbuf_bytes,
                    (self.kv_row_bytes as u64).max(1) * self.kv_banks(),
                ),
                (
                    "acc_bytes",
                    self.acc_bytes,
                    self.acc_word_bytes().max(self.sfu_lanes as u64 * 4),
                ),
                ("sbuf_bytes", self.sbuf_bytes, beat),
            ];
            for (field, v, unit) in checks {
                if v == 0 || v % unit != 0 {
                    p.push(format!(
                        "{field}: expected a positive multiple of {unit} bytes, got {v}"
                    ));
                } else if v > (1 << 32) {
                    p.push(format!(
                        "{field}: expected at most 4 GiB (32-bit buffer addresses), got {v}"
                    ));
                }
            }
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(IsaError::Config {
                file: self.name.clone(),
                problems: p,
            })
        }
    }

    /// A small configuration for tests and co-simulation: 4×8 lanes, one
    /// 256-bit channel, int8 weights.
    pub fn tiny() -> Self {
        EngineConfig {
            name: "tiny".into(),
            rows: 4,
            cols: 8,
            weight_bits: 8,
            act_bits: 8,
            kv_bits: 8,
            group_size: 8,
            clock_mhz: 100.0,
            channels: 1,
            port_bits: 256,
            wbuf_bytes: 4096,
            abuf_bytes: 4096,
            kvbuf_bytes: 4096,
            kv_row_bytes: 32,
            acc_bytes: 4096,
            sbuf_bytes: 2048,
            sfu_lanes: 4,
            queue_depth: 8,
            max_burst: 4,
            max_outstanding: 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_is_valid_and_errors_name_fields() {
        EngineConfig::tiny().validate().unwrap();
        let mut c = EngineConfig::tiny();
        c.rows = 3;
        c.weight_bits = 5;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("rows") && e.contains("weight_bits"), "{e}");
        let text = EngineConfig::tiny().to_toml();
        assert_eq!(
            EngineConfig::from_toml(&text, "t.toml").unwrap(),
            EngineConfig::tiny()
        );
        let e = EngineConfig::from_toml("rows = 4", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml"), "{e}");
    }
}
