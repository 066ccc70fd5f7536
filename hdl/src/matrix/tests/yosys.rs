//! Yosys 0.23 `synth_xilinx -family xcup -flatten` of the leaves: the
//! packed DSP leaf maps to exactly one DSP48E2 (always run); the whole
//! table of `resources::leaf_cost` is re-measured with `MX_YOSYS=1`.

use crate::matrix::resources;
use std::process::Command;

/// `(DSP48E2, LUT, FF)` of `verilog` with top `top`, or `None` if Yosys failed.
fn synth(name: &str, verilog: &str, top: &str) -> Option<(u64, u64, u64)> {
    let d = crate::testing::icarus::scratch(&format!("yosys-{name}"));
    std::fs::write(d.join("x.v"), verilog).unwrap();
    let out = Command::new("yosys")
        .args(["-q", "-p", &format!("read_verilog -sv x.v; synth_xilinx -family xcup -flatten -top {top}; tee -o stat.txt stat")])
        .current_dir(&d)
        .output()
        .expect("yosys is installed (Debian package yosys)");
    let stat = std::fs::read_to_string(d.join("stat.txt")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&d);
    if !out.status.success() {
        return None;
    }
    let count = |pred: &dyn Fn(&str) -> bool| -> u64 {
        stat.lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let (cell, n) = (it.next()?, it.next()?);
                pred(cell).then(|| n.parse::<u64>().ok()).flatten()
            })
            .sum()
    };
    Some((
        count(&|c| c == "DSP48E2"),
        count(&|c| c.starts_with("LUT") || c.starts_with("SRL")),
        count(&|c| c == "FDRE" || c == "FDSE"),
    ))
}

#[test]
fn packed_dsp_leaf_is_one_dsp48e2() {
    let cfg = llmfab_isa::EngineConfig::tiny();
    let blocks = crate::matrix::blocks(&cfg).unwrap();
    let dsp = blocks
        .iter()
        .find(|b| b.name.starts_with("llmfab_mx_dsp"))
        .unwrap();
    let (dsps, _, _) =
        synth("dsp", &dsp.verilog, &dsp.name).expect("yosys synthesises the DSP leaf");
    assert_eq!(dsps, 1, "two packed int8 products in one DSP48E2");
}

#[test]
fn measure_every_leaf_when_asked() {
    if std::env::var_os("MX_YOSYS").is_none() {
        return;
    }
    let cfg = super::lint::extra_configs().pop().unwrap();
    let s = crate::matrix::top::Shape::new(&cfg).unwrap();
    for b in crate::matrix::blocks(&cfg).unwrap() {
        let got = synth(&b.name, &b.verilog, &b.name).expect("yosys");
        let table = resources::leaf_cost(&b.name, &s);
        eprintln!(
            "{:24} x{:5}  yosys dsp {} lut {} ff {}  table {:?}",
            b.name, b.count, got.0, got.1, got.2, table
        );
    }
    let lane = resources::per_lane(&cfg).unwrap();
    eprintln!(
        "per lane: {lane:?}; total {:?}",
        resources::total(&cfg).unwrap()
    );
}

/// The resource model of the U280-sized 64×64 W4A8KV4 unit: DSPs exactly
/// `R·C/2` packed lanes + 2 per column unit; LUT/FF per lane in the range
/// the measured leaves give.
#[test]
fn estimate_of_a_u280_sized_array() {
    let cfg = super::lint::extra_configs().pop().unwrap();
    let t = resources::total(&cfg).unwrap();
    assert_eq!(t.dsp, (64 * 64 / 2 + 2 * 64) as f64);
    let lane = resources::per_lane(&cfg).unwrap();
    eprintln!("64x64 W4A8KV4: total {t:?}, per lane {lane:?}");
    assert!(
        (100.0..200.0).contains(&lane.lut) && (60.0..150.0).contains(&lane.ff),
        "{lane:?}"
    );
}
