//! The device catalog: every entry loads, every number has a source, FPGA
//! peaks come from the default engine, and bad files are reported by field.

use llmfab_models::catalog;
use llmfab_models::device::DeviceKind;
use llmfab_models::Precision;

/// Walks a JSON tree and returns the paths of `{value, source}` objects whose
/// source is empty.
fn unsourced(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.contains_key("value") {
                let ok = m
                    .get("source")
                    .and_then(|s| s.as_str())
                    .is_some_and(|s| !s.trim().is_empty());
                if !ok {
                    out.push(path.to_string());
                }
            }
            for (k, x) in m {
                unsourced(x, &format!("{path}.{k}"), out);
            }
        }
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| unsourced(x, &format!("{path}[{i}]"), out)),
        _ => {}
    }
}

#[test]
fn every_entry_loads_with_sources_on_every_value() {
    let all = catalog::all().unwrap();
    assert_eq!(all.len(), catalog::CATALOG.len());
    for d in &all {
        assert_eq!(
            catalog::entry(&d.name).unwrap().name,
            d.name,
            "file name matches the name field"
        );
        let json = serde_json::to_value(d).unwrap();
        let mut missing = Vec::new();
        unsourced(&json, &d.name, &mut missing);
        assert!(missing.is_empty(), "values without a source: {missing:?}");
        assert!(!d.peak_ops.is_empty(), "{}: no peaks", d.name);
        assert!(d.vector_ops.value > 0.0);
        assert!(d.memory.bandwidth.value > 0.0 && d.memory.capacity.value > 0.0);
        for p in d.peak_ops.keys() {
            assert!(
                d.energy.pj_per_op.contains_key(p) || *p == Precision::Fp32,
                "{}: no energy for {p:?}",
                d.name
            );
        }
        if d.kind == DeviceKind::Gpu {
            assert!(d.fpga.is_none());
            assert!(d.compute_units.is_some());
        }
    }
    let gpus = all.iter().filter(|d| d.kind == DeviceKind::Gpu).count();
    assert!(gpus >= 9, "{gpus}");
    for name in ["u280", "u55c", "u50", "u250", "v80"] {
        assert!(
            all.iter()
                .any(|d| d.name == name && d.kind == DeviceKind::Fpga),
            "{name}"
        );
    }
}

#[test]
fn lookup_is_case_insensitive_and_misses_suggest() {
    assert_eq!(catalog::lookup("H100-SXM").unwrap().name, "h100-sxm");
    assert_eq!(catalog::lookup("h100").unwrap().name, "h100-sxm");
    let e = catalog::lookup("h100-sxn").unwrap_err().to_string();
    assert!(
        e.contains("unknown device") && e.contains("h100-sxm"),
        "{e}"
    );
    let e = catalog::lookup("u208").unwrap_err().to_string();
    assert!(e.contains("u280") || e.contains("u250"), "{e}");
}

#[test]
fn fpga_peaks_come_from_the_default_engine() {
    let d = catalog::lookup("u280").unwrap();
    let f = d.fpga.as_ref().unwrap();
    assert_eq!(f.platform, "xilinx_u280_gen3x16_xdma_1_202211_1");
    assert_eq!((f.default_rows, f.default_cols), (64, 64));
    // 64*64 lanes x 2 ops x 225 MHz (bitstreams/u280/engine.toml)
    let int8 = &d.peak_ops[&Precision::Int8];
    assert!((int8.value - 2.0 * 4096.0 * 225e6).abs() < 1.0);
    assert!(
        int8.source.contains("default engine") && int8.source.contains("WP486"),
        "{}",
        int8.source
    );
    // int2 is not listed: falls back to the int4 packing
    let p = d.fpga_peak(Precision::Int2, 128, 128, 300e6).unwrap();
    assert!((p.value - 2.0 * 16384.0 * 300e6).abs() < 1.0);
    assert!(p.source.contains("int4"));
    // 128x256 = 32768 lanes at 1 MAC/DSP (16-bit) exceed 8304 DSPs: capped
    let capped = d.fpga_peak(Precision::Fp16, 128, 256, 225e6).unwrap();
    assert!((capped.value - 2.0 * 8304.0 * 225e6).abs() < 1.0);
    assert!(capped.source.contains("capped"));
    assert!(d.fpga_peak(Precision::Int8, 0, 4, 1e8).is_err());
    assert!(catalog::lookup("h100-sxm")
        .unwrap()
        .fpga_peak(Precision::Int8, 4, 4, 1e8)
        .is_err());
}

#[test]
fn user_files_use_the_same_schema_and_errors_name_file_and_field() {
    let dir = std::env::temp_dir().join(format!("llmfab-catalog-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A copy of a built-in entry loads as a user device.
    let good = dir.join("mygpu.toml");
    std::fs::write(
        &good,
        catalog::entry("a100-80gb")
            .unwrap()
            .toml
            .replace("\"a100-80gb\"", "\"MyGPU\""),
    )
    .unwrap();
    let d = catalog::resolve(good.to_str().unwrap()).unwrap();
    assert_eq!(d.name, "mygpu");
    // A missing source and a typo are both reported, with the file name.
    let bad = dir.join("bad.toml");
    let text = catalog::entry("a100-80gb")
        .unwrap()
        .toml
        .replacen("bandwidth = { value = 2.039e12, source = \"NVIDIA A100 datasheet (SXM4 80GB): 2039 GB/s\" }", "bandwidth = { value = 2.039e12 }", 1)
        .replacen("kernel_overhead_s", "kernel_overhead", 1);
    std::fs::write(&bad, text).unwrap();
    let e = catalog::resolve(bad.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.toml"), "{e}");
    assert!(e.contains("memory.bandwidth.source"), "{e}");
    assert!(
        e.contains("efficiency.kernel_overhead") && e.contains("did you mean 'kernel_overhead_s'"),
        "{e}"
    );
    // Broken TOML names the line.
    let broken = dir.join("broken.toml");
    std::fs::write(&broken, "name = \"x\"\nkind = \n").unwrap();
    let e = catalog::resolve(broken.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("broken.toml") && e.contains("line 2"), "{e}");
    // A missing file is an I/O error naming it.
    let e = catalog::resolve(dir.join("nope.toml").to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope.toml"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
