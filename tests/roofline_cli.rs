//! End-to-end tests of `llmfab roofline` and `llmfab devices`: the bare
//! default run, the output formats, and bad input (exit code 2, a message
//! naming what is wrong, and no output file).

mod common;

use common::{llmfab_in as llmfab, scratch, text, Scratch};
use std::path::Path;

fn tmp(name: &str) -> Scratch {
    scratch("roofline-cli", name)
}

#[test]
fn bare_roofline_writes_a_report_and_a_plot() {
    let d = tmp("bare");
    let out = llmfab(&d, &["roofline"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("llama-2-7b") && stdout.contains("H100") && stdout.contains("TTFT"),
        "{stdout}"
    );
    assert!(stdout.contains("sources") && stdout.contains("assumptions"));
    let png = std::fs::read(d.join("out/roofline.png")).expect("default plot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(text(&out.stderr).contains("wrote out/roofline.png"));
    // no temporary files left behind
    let left: Vec<_> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn json_csv_markdown_and_svg_outputs() {
    let d = tmp("formats");
    let out = llmfab(
        &d,
        &[
            "roofline",
            "--model",
            "llama-3-8b",
            "--device",
            "A100-80GB",
            "--quant",
            "w4a16",
            "--phase",
            "decode",
            "--batch",
            "4",
            "--kv-len",
            "2048",
            "--format",
            "json",
            "-o",
            "r.json",
            "--plot",
            "r.svg",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap()).unwrap();
    for k in [
        "model", "device", "quant", "phase", "batch", "seq_len", "kv_len", "totals", "ops",
        "memory",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert_eq!(v["device"], "a100-80gb");
    assert_eq!(v["phase"], "decode");
    assert_eq!(v["kv_len"], 2048);
    // Llama-3-8B: 32 layers x 8 KV heads x 128 x 2 (K, V) x 2048 positions x 4 sequences x 2 bytes
    assert_eq!(
        v["totals"]["kv_read_bytes"].as_f64().unwrap(),
        32.0 * 8.0 * 128.0 * 2.0 * 2048.0 * 4.0 * 2.0
    );
    assert!(std::fs::read_to_string(d.join("r.svg"))
        .unwrap()
        .starts_with("<svg"));
    let out = llmfab(
        &d,
        &[
            "roofline", "--phase", "prefill", "--seq", "128", "--format", "csv",
        ],
    );
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("phase,name,layer,kind"));
    let out = llmfab(
        &d,
        &[
            "roofline",
            "--phase",
            "prefill",
            "--seq",
            "128",
            "--format",
            "markdown",
            "--flash",
            "--all-ops",
        ],
    );
    assert!(out.status.success());
    let md = text(&out.stdout);
    assert!(
        md.starts_with("# llmfab roofline") && md.contains("| layer0.attn.flash"),
        "{md}"
    );
}

#[test]
fn tensor_parallel_and_calibration_from_the_command_line() {
    let d = tmp("tp");
    std::fs::write(
        d.join("cal.toml"),
        "copy_bandwidth = 3.0e12\nkernel_overhead_s = 1.5e-6\n",
    )
    .unwrap();
    let out = llmfab(
        &d,
        &[
            "roofline",
            "--model",
            "llama-2-13b",
            "--tp",
            "2",
            "--link",
            "pcie5",
            "--calibration",
            "cal.toml",
            "--phase",
            "decode",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tp"], 2);
    assert_eq!(v["link"], "pcie5");
    let sources: Vec<String> = v["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"].as_str().unwrap().to_string())
        .collect();
    assert!(
        sources.iter().any(|s| s == "calibration cal.toml"),
        "{sources:?}"
    );
}

#[test]
fn a_model_that_does_not_fit_is_reported_with_a_warning() {
    let d = tmp("nofit");
    let out = llmfab(
        &d,
        &[
            "roofline",
            "--model",
            "llama-2-70b",
            "--device",
            "rtx4090",
            "--phase",
            "decode",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("warning: does not fit"),
        "{}",
        text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["memory"]["fits"], false);
}

/// Runs a bad command line with `-o` and `--plot`: exit code 2, a message
/// containing every `want`, and neither file written.
fn refused(d: &Path, args: &[&str], want: &[&str]) {
    let mut all: Vec<&str> = vec!["roofline", "-o", "report.txt", "--plot", "plot.png"];
    all.extend_from_slice(args);
    let out = llmfab(d, &all);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for w in want {
        assert!(err.contains(w), "{args:?}: expected '{w}' in: {err}");
    }
    assert!(
        !d.join("report.txt").exists() && !d.join("plot.png").exists(),
        "{args:?} wrote output"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_exits_2_without_output_files() {
    let d = tmp("bad");
    refused(
        &d,
        &["--device", "h100-sxn"],
        &["unknown device", "h100-sxm"],
    );
    refused(&d, &["--model", "lama-2-7b"], &["llama-2-7b"]);
    refused(&d, &["--quant", "w5a7"], &["quantization"]);
    refused(&d, &["--batch", "0"], &["--batch"]);
    refused(&d, &["--phase", "decode", "--kv-len", "0"], &["--kv-len"]);
    refused(&d, &["--tp", "3"], &["--tp 3", "32 attention heads"]);
    refused(
        &d,
        &["--tp", "2", "--link", "infiniband"],
        &["infiniband", "nvlink"],
    );
    let out = llmfab(&d, &["roofline", "-o", "report.txt", "--plot", "plot.pdf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(".svg or .png"),
        "{}",
        text(&out.stderr)
    );
    assert!(!d.join("report.txt").exists() && !d.join("plot.pdf").exists());
    std::fs::write(
        d.join("dev.toml"),
        "name = \"x\"\nkind = \"gpu\"\n[memory]\nkind = \"HBM\"\ncapacity = { value = 1e9 }\n",
    )
    .unwrap();
    refused(
        &d,
        &["--device", "dev.toml"],
        &["dev.toml", "memory.capacity.source", "memory.bandwidth"],
    );
    std::fs::write(d.join("cal.toml"), "copy_bandwidth = \"fast\"\n").unwrap();
    refused(
        &d,
        &["--calibration", "cal.toml"],
        &["cal.toml", "copy_bandwidth"],
    );
    refused(&d, &["--calibration", "missing.toml"], &["missing.toml"]);
}

#[test]
fn devices_lists_the_catalog_and_round_trips_a_device_file() {
    let d = tmp("devices");
    let out = llmfab(&d, &["devices"]);
    assert!(out.status.success());
    let t = text(&out.stdout);
    for name in [
        "v100",
        "a100-40gb",
        "a6000",
        "l40s",
        "h100-sxm",
        "h100-pcie",
        "h200",
        "mi300x",
        "u280",
        "u55c",
        "u50",
        "u250",
        "v80",
    ] {
        assert!(t.contains(name), "{name} missing from:\n{t}");
    }
    let out = llmfab(&d, &["devices", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 15);
    let out = llmfab(&d, &["devices", "U280"]);
    assert!(text(&out.stdout).contains("xilinx_u280_gen3x16_xdma_1_202211_1"));
    // `--format toml` is a template for --device FILE.toml
    let out = llmfab(&d, &["devices", "h100", "--format", "toml"]);
    std::fs::write(
        d.join("mine.toml"),
        text(&out.stdout).replace("name = \"h100-sxm\"", "name = \"my-h100\""),
    )
    .unwrap();
    let out = llmfab(
        &d,
        &[
            "roofline",
            "--device",
            "mine.toml",
            "--phase",
            "decode",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["device"], "my-h100");
    let out = llmfab(&d, &["devices", "h1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("h100"));
}
