//! `verilator --lint-only -Wall` on the emitted engine and kernel, with the
//! one waiver file (`hdl/lint/waivers.vlt`), for the small configs and the
//! U280 default.
//!
//! The CI tests lint the core with the compute units as test doubles; the
//! ignored test (run by `cargo xtask verilog-check`) lints with every unit
//! that has delivered its Verilog, and becomes the CI test once the units
//! lint clean (docs/rtl.md, "Waivers").

use llmfab_hdl::cosim::available_units;
use llmfab_hdl::design::{build, UnitImpl};
use llmfab_hdl::lint::lint;
use llmfab_isa::EngineConfig;

fn check(cfg: &EngineConfig, units: (UnitImpl, UnitImpl)) {
    let d = build(cfg, units.0, units.1).unwrap_or_else(|e| panic!("{}: {e}", cfg.name));
    let tops: &[&str] = if cfg.name == "u280" {
        &["llmfab_kernel"]
    } else {
        &["llmfab_kernel", "llmfab_engine"]
    };
    for top in tops {
        let w = lint(&d, top).unwrap();
        assert!(w.is_empty(), "{} ({top}, units {units:?}):\n{w}", cfg.name);
    }
}

fn u280() -> EngineConfig {
    EngineConfig::from_toml(include_str!("../../bitstreams/u280/engine.toml"), "u280").unwrap()
}

const DOUBLES: (UnitImpl, UnitImpl) = (UnitImpl::Double, UnitImpl::Double);

#[test]
fn small_configs_lint_clean() {
    for cfg in llmfab_isa::random::small_configs() {
        check(&cfg, DOUBLES);
    }
}

#[test]
fn u280_default_lints_clean() {
    check(&u280(), DOUBLES);
}

#[test]
#[ignore = "the units' own lint status: run by cargo xtask verilog-check"]
fn with_delivered_units_lint_clean() {
    for cfg in llmfab_isa::random::small_configs()
        .into_iter()
        .chain([u280()])
    {
        let units = available_units(&cfg);
        check(&cfg, units);
    }
}
