//! Physical sizes of the engine for one config (docs/rtl.md §6): word
//! widths, depths and shifts of every buffer, derived once and checked.

use crate::HdlError;
use llmfab_isa::EngineConfig;

/// `log2` of a power of two.
pub fn log2(v: u64) -> u32 {
    63 - v.max(1).leading_zeros()
}

/// Address bits for `n` words (at least 1).
pub fn clog2(n: u64) -> u32 {
    if n <= 2 {
        1
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// Every derived size the generated Verilog needs (bytes unless noted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Matrix rows `R`.
    pub r: u64,
    /// Matrix columns `C`.
    pub c: u64,
    /// SFU lanes `L`.
    pub l: u64,
    /// Activation bytes `ab`.
    pub ab: u64,
    /// KV bits.
    pub kb: u64,
    /// Channels.
    pub ch: u64,
    /// AXI data bits.
    pub pb: u64,
    /// AXI beat bytes.
    pub beat: u64,
    /// WBUF tile (row) bytes.
    pub tile: u64,
    /// WBUF slice (bank word) bytes.
    pub slice: u64,
    /// WBUF rows (bank depth).
    pub wbuf_rows: u64,
    /// KV banks `NB`.
    pub nb: u64,
    /// Matrix-unit KV read bytes `KW`.
    pub kw: u64,
    /// KV row bytes.
    pub kvr: u64,
    /// SFU KV write bits `KVW`.
    pub kvw_bits: u64,
    /// KV bank word bytes `WK`.
    pub wk: u64,
    /// KV bank depth in words.
    pub kv_words: u64,
    /// KV write-enable granularity in bits (4 with 4-bit KV, else 8).
    pub kv_gran: u64,
    /// ABUF word bytes `WA` and depth.
    pub wa: u64,
    /// ABUF words.
    pub abuf_words: u64,
    /// SBUF word bytes `WS`.
    pub ws: u64,
    /// SBUF words.
    pub sbuf_words: u64,
    /// ACC word bytes `WC`.
    pub wc: u64,
    /// ACC words.
    pub acc_words: u64,
    /// Instruction-queue depth.
    pub queue_depth: u64,
    /// Instruction FIFO depth in beats.
    pub fetch_depth: u64,
    /// Longest burst.
    pub max_burst: u64,
    /// Bursts in flight per engine.
    pub max_out: u64,
}

impl Geometry {
    /// Sizes of `cfg`, or every reason the hardware cannot build it.
    pub fn new(cfg: &EngineConfig) -> Result<Self, HdlError> {
        cfg.validate()
            .map_err(|e| HdlError::Config(e.to_string()))?;
        let mut p = Vec::new();
        let pow2 = |v: u64| v != 0 && v & (v - 1) == 0;
        let kvr = cfg.kv_row_bytes as u64;
        if !pow2(kvr) {
            p.push(format!(
                "kv_row_bytes: the hardware needs a power of two (docs/rtl.md P-CORE-1), got {kvr}"
            ));
        }
        let (r, c, l) = (cfg.rows as u64, cfg.cols as u64, cfg.sfu_lanes as u64);
        let ab = cfg.act_bytes();
        let kb = cfg.kv_bits as u64;
        let beat = cfg.beat_bytes();
        let kvw_bits = (kb * l).max(8);
        if kvw_bits / 8 > kvr {
            p.push(format!(
                "sfu_lanes × kv_bits / 8 = {} bytes must not exceed kv_row_bytes = {kvr} (docs/rtl.md P-CORE-2)",
                kvw_bits / 8
            ));
        }
        let nb = cfg.kv_banks();
        let kw = r.max(c) * kb / 8;
        let wk = kw.max(beat).max(kvw_bits / 8);
        let wa = beat.max(r * ab).max(l * ab);
        let ws = beat.max(2 * l);
        let wc = (4 * c).max(4 * l);
        for (field, bytes, unit) in [
            ("abuf_bytes", cfg.abuf_bytes, wa),
            ("sbuf_bytes", cfg.sbuf_bytes, ws),
            ("acc_bytes", cfg.acc_bytes, wc),
            ("kvbuf_bytes", cfg.kvbuf_bytes, nb * wk.max(kvr)),
        ] {
            if bytes % unit != 0 {
                p.push(format!("{field}: the hardware needs a multiple of its {unit}-byte physical word (× banks), got {bytes}"));
            }
        }
        if !p.is_empty() {
            return Err(HdlError::Config(format!(
                "config '{}': {}",
                cfg.name,
                p.join("; ")
            )));
        }
        Ok(Geometry {
            r,
            c,
            l,
            ab,
            kb,
            ch: cfg.channels as u64,
            pb: cfg.port_bits as u64,
            beat,
            tile: cfg.tile_bytes(),
            slice: cfg.slice_bytes(),
            wbuf_rows: cfg.wbuf_rows(),
            nb,
            kw,
            kvr,
            kvw_bits,
            wk,
            kv_words: cfg.kvbuf_bytes / (nb * wk),
            kv_gran: if kb == 4 { 4 } else { 8 },
            wa,
            abuf_words: cfg.abuf_bytes / wa,
            ws,
            sbuf_words: cfg.sbuf_bytes / ws,
            wc,
            acc_words: cfg.acc_bytes / wc,
            queue_depth: cfg.queue_depth as u64,
            fetch_depth: (2 * cfg.max_burst as u64).clamp(4, 1024),
            max_burst: cfg.max_burst as u64,
            max_out: cfg.max_outstanding as u64,
        })
    }
}
