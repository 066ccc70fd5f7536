//! `llmfab sim` end to end on a build folder of a tiny model: JSON figures
//! that agree with each other, the per-op rows, deterministic output, a
//! loadable trace, the text summary with its assumptions; bad input (no
//! folder, a changed program, a length or batch the folder was not compiled
//! for, an unwritable trace) exits with code 2 and writes nothing.

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

/// A compiled 2-layer, 64-wide Llama (decode at kv_len 48 of one sequence
/// and of a batch of 4, prefill 16 and 32).
fn build(name: &str) -> (Scratch, PathBuf) {
    let d = scratch("sim-cli", name);
    let model = tiny_config_json(&d);
    let out = d.join("build");
    let o = llmfab(&[
        "compile",
        "--model",
        s(&model),
        "--board",
        "u280",
        "--quant",
        "w4a8",
        "--kv-len",
        "48",
        "--buckets",
        "16,32",
        "--batch",
        "4",
        "-q",
        "-o",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    (d, out)
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn decode_and_prefill_report_consistent_figures() {
    let (d, b) = build("ok");
    let trace = d.join("decode.trace.json");
    let args = ["sim", s(&b), "--phase", "decode", "--format", "json"];
    let o = llmfab(&[&args[..], &["--trace", s(&trace)]].concat());
    let v = json(&o);
    let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {v}"));
    let cycles = f("cycles");
    assert!(cycles > 1000.0);
    let clock = f("clock_mhz") * 1e6;
    assert!((f("seconds") - cycles / clock).abs() <= 1e-12 * cycles);
    assert!((f("tokens_per_s") - 1.0 / f("seconds")).abs() < 1e-6 * f("tokens_per_s"));
    assert!(f("hbm_bytes") > 0.0);
    let util = f("hbm_bandwidth_utilization");
    assert!(util > 0.0 && util <= 1.0, "{util}");
    assert!(f("roofline_bound_s") > 0.0 && f("roofline_bound_s") <= f("seconds"));
    assert!(f("energy_j") > 0.0);
    assert_eq!(v["phase"], "decode_48");
    assert!(v["time_to_first_token_s"].is_null());
    let ops = v["ops"].as_array().unwrap();
    assert!(ops.len() > 10);
    for op in ops {
        assert!(
            op["cycles"].as_u64() >= op["roofline_cycles"].as_u64(),
            "{op}"
        );
    }
    let bytes: u64 = v["units"]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["read_bytes"].as_u64().unwrap() + c["write_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(bytes as f64, f("hbm_bytes"));
    assert!(!v["sources"].as_array().unwrap().is_empty());
    assert!(v["stalls"]["compute"]["wait_load_token"].as_u64().is_some());
    // Deterministic: the same bytes twice, trace included.
    let t1 = std::fs::read(&trace).unwrap();
    let o2 = llmfab(&[&args[..], &["--trace", s(&trace)]].concat());
    assert_eq!(o.stdout, o2.stdout);
    assert_eq!(t1, std::fs::read(&trace).unwrap());
    let tr: Value = serde_json::from_slice(&t1).unwrap();
    let ev = tr["traceEvents"].as_array().unwrap();
    assert!(ev.iter().any(|e| e["args"]["name"] == "matrix unit"));
    assert!(ev.iter().any(|e| e["args"]["name"] == "ch0 read"));
    assert!(ev.iter().filter(|e| e["ph"] == "X").count() > 100);
    // Prefill of 20 tokens runs the 32-position bucket.
    let p = json(&llmfab(&[
        "sim",
        s(&b),
        "--phase",
        "prefill",
        "--seq",
        "20",
        "--format",
        "json",
    ]));
    assert_eq!(p["phase"], "prefill_32");
    assert_eq!(p["tokens"], 20);
    assert_eq!(p["time_to_first_token_s"], p["seconds"]);
    // Text: the summary and its assumptions.
    let t = llmfab(&["sim", s(&b), "--phase", "decode", "--kv-len", "48"]);
    assert!(t.status.success(), "{}", stderr(&t));
    let text = String::from_utf8_lossy(&t.stdout);
    for want in [
        "cycles",
        "tokens/s",
        "roofline bound",
        "stalls",
        "assumptions:",
        "energy",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// A batched decode step: 4 sequences in one program, weights read once.
#[test]
fn batched_decode_amortises_the_weights() {
    let (d, b) = build("batch");
    let run = |batch: &str| {
        json(&llmfab(&[
            "sim",
            s(&b),
            "--phase",
            "decode",
            "--batch",
            batch,
            "--format",
            "json",
        ]))
    };
    let (one, four) = (run("1"), run("4"));
    assert_eq!(four["phase"], "decode_48_b4");
    assert_eq!(four["batch"], 4);
    assert_eq!(four["tokens"], 4);
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {v}"));
    assert!(
        (f(&four, "tokens_per_s") - 4.0 / f(&four, "seconds")).abs()
            < 1e-6 * f(&four, "tokens_per_s")
    );
    // Four KV caches are read, but the weights only once.
    assert!(f(&four, "hbm_bytes") < 4.0 * f(&one, "hbm_bytes"));
    assert!(
        f(&four, "tokens_per_s") > 1.5 * f(&one, "tokens_per_s"),
        "batch 4: {} tokens/s, batch 1: {}",
        f(&four, "tokens_per_s"),
        f(&one, "tokens_per_s")
    );
    assert!(f(&four, "energy_per_token_j") < f(&one, "energy_per_token_j"));
    let notes = four["assumptions"].to_string();
    assert!(notes.contains("batch 4"), "{notes}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let (d, b) = build("bad");
    let trace = d.join("t.json");
    let fails = |args: &[&str], want: &str| {
        let mut a = vec!["sim"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--trace", s(&trace)]);
        let o = llmfab(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!trace.exists(), "{args:?} wrote a trace");
    };
    let missing = d.join("nothing");
    fails(&[s(&missing), "--phase", "decode"], "build.json");
    fails(
        &[s(&b), "--phase", "decode", "--kv-len", "100"],
        "kv_len 48",
    );
    fails(
        &[s(&b), "--phase", "prefill", "--seq", "1000"],
        "prefill_32",
    );
    fails(
        &[s(&b), "--phase", "decode", "--batch", "3"],
        "decode_48_b4 (seq 1, kv_len 48, batch 4)",
    );
    fails(&[s(&b), "--phase", "decode", "--batch", "0"], "--batch 0");
    fails(&[s(&b), "--phase", "prefill", "--batch", "4"], "--batch 4");
    fails(&[s(&b), "--phase", "decode", "--seq", "4"], "--seq");
    // A changed program.
    let bin = b.join("programs/decode_48.bin");
    let mut bytes = std::fs::read(&bin).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&bin, &bytes).unwrap();
    fails(&[s(&b), "--phase", "decode"], "programs/decode_48.bin");
    // An unwritable trace path.
    let o = llmfab(&[
        "sim",
        s(&b),
        "--phase",
        "prefill",
        "--trace",
        s(&d.join("no/such/dir/t.json")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&d);
}
