//! The explorer's resource model (`compiler::explore::resources`, per-lane
//! and per-channel constants) and the RTL's resource report (`llmfab hdl`:
//! Yosys per block, scaled by instance counts) agree on the logic of every
//! board's default engine, and each default fits its board's user region.
//! Without this the explorer could pick an engine that `llmfab hdl` then
//! reports as not fitting (it did, by 46 % of the LUTs, before the two
//! models were reconciled).
//!
//! Tolerances: DSPs are counted the same way (packed lanes, column units,
//! SFU lanes, DMA address arithmetic): within 1 %. LUTs and flip-flops
//! come from per-lane averages measured on two engines (64×64 KV8 and
//! 64×128 KV4), so other shapes differ by the parts that do not scale
//! with lanes (FIFO depths, mux widths): within 5 % and 15 %.

use llmfab_compiler::explore::resources::logic;
use llmfab_compiler::Board;
use llmfab_hdl::design::Parts;
use llmfab_isa::EngineConfig;

fn default_engine(board: &str) -> EngineConfig {
    let path = format!(
        "{}/bitstreams/{board}/engine.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    EngineConfig::from_toml(&text, &path).unwrap()
}

#[test]
fn explorer_and_hdl_estimates_agree_and_defaults_fit() {
    for board in ["u280", "u50"] {
        let cfg = default_engine(board);
        let dev = llmfab_models::catalog::lookup(board).unwrap();
        let b = Board::from_device(&dev).unwrap();
        let model = logic(&cfg, &b);
        let rtl = llmfab_hdl::output::emit(&cfg, Parts::Full, None)
            .unwrap()
            .report
            .total;
        let rel = |a: f64, b: f64| (a - b).abs() / b;
        eprintln!(
            "{board}: explorer LUT {:.0} FF {:.0} DSP {:.0}; hdl LUT {} FF {} DSP {}",
            model.lut, model.ff, model.dsp, rtl.lut, rtl.ff, rtl.dsp
        );
        assert!(rel(model.dsp, rtl.dsp as f64) <= 0.01, "{board}: DSP");
        assert!(rel(model.lut, rtl.lut as f64) <= 0.05, "{board}: LUT");
        assert!(rel(model.ff, rtl.ff as f64) <= 0.15, "{board}: FF");
        let user = dev.fpga.unwrap().user;
        assert!(
            rtl.lut <= user.lut,
            "{board}: {} LUT > {}",
            rtl.lut,
            user.lut
        );
        assert!(
            rtl.dsp <= user.dsp,
            "{board}: {} DSP > {}",
            rtl.dsp,
            user.dsp
        );
        assert!(rtl.bram36 <= user.bram36 as f64, "{board}: BRAM36");
        assert!(rtl.uram <= user.uram, "{board}: URAM");
    }
}
