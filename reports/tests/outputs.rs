//! Report outputs: golden tables (re-bless with `LLMFAB_BLESS=1`), the JSON
//! contract, CSV, and plots whose PNG text renders with the embedded font.

mod common;

use common::*;
use llmfab_models::catalog;
use llmfab_reports::format::{render, Format};
use llmfab_reports::plot::{self, PlotFormat};
use std::path::PathBuf;

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("LLMFAB_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with LLMFAB_BLESS=1", path.display()));
    if want != actual {
        let line = want
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{} differs from the output at line {}:\n  want: {}\n  got:  {}\n(re-bless with LLMFAB_BLESS=1 if the change is intended)",
            path.display(),
            line + 1,
            want.lines().nth(line).unwrap_or(""),
            actual.lines().nth(line).unwrap_or("")
        );
    }
}

#[test]
fn golden_decode_table() {
    let r = run(&llama2_7b(), "fp16", "h100-sxm", false, 1, decode(1, 1024));
    golden(
        "llama2-7b_h100-sxm_fp16_decode.txt",
        &render(&r, Format::Table, false).unwrap(),
    );
}

#[test]
fn golden_fpga_request_markdown() {
    let r = run(
        &llama3_8b(),
        "w4a8kv4",
        "u280",
        true,
        1,
        request(1, 256, 32),
    );
    golden(
        "llama3-8b_u280_w4a8kv4_request.md",
        &render(&r, Format::Markdown, false).unwrap(),
    );
}

#[test]
fn golden_tensor_parallel_prefill_table() {
    let r = run(&llama3_8b(), "w8a8", "a100-80gb", true, 4, prefill(4, 1024));
    golden(
        "llama3-8b_a100-80gb_w8a8_tp4_prefill.txt",
        &render(&r, Format::Table, false).unwrap(),
    );
}

#[test]
fn json_holds_the_contract_fields() {
    let r = run(
        &llama2_7b(),
        "w4a16",
        "h100-sxm",
        false,
        2,
        request(2, 128, 4),
    );
    let v: serde_json::Value =
        serde_json::from_str(&render(&r, Format::Json, false).unwrap()).unwrap();
    for k in [
        "model", "device", "quant", "phase", "batch", "seq_len", "kv_len", "totals", "ops",
        "memory",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    for k in [
        "ops",
        "bytes",
        "weight_bytes",
        "kv_bytes",
        "time_roofline_s",
        "time_estimate_s",
        "energy_j",
        "bound",
    ] {
        assert!(v["totals"].get(k).is_some(), "missing totals.{k}");
    }
    let ops = v["ops"].as_array().unwrap();
    assert!(ops.len() > 500);
    for o in ops {
        for k in [
            "name",
            "layer",
            "kind",
            "ops",
            "bytes_read",
            "bytes_written",
            "intensity",
            "bound",
            "time_roofline_s",
            "time_estimate_s",
            "energy_j",
        ] {
            assert!(o.get(k).is_some(), "missing ops[].{k} in {o}");
        }
    }
    for k in [
        "weights_bytes",
        "kv_cache_bytes",
        "activation_bytes",
        "fits",
    ] {
        assert!(v["memory"].get(k).is_some(), "missing memory.{k}");
    }
    assert_eq!(v["phase"], "request");
    assert_eq!(v["batch"], 2);
    assert_eq!(v["seq_len"], 128);
    assert_eq!(v["kv_len"], 131);
    assert_eq!(v["totals"]["bound"], "memory");
    assert!(v["request"]["ttft_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn csv_has_one_line_per_op() {
    let r = run(&llama2_7b(), "fp16", "h100-sxm", false, 1, prefill(1, 64));
    let text = render(&r, Format::Csv, false).unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(rd.headers().unwrap().get(1), Some("name"));
    assert_eq!(rd.records().count(), r.ops.len());
}

fn png_pixels(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(bytes);
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    (info.width, info.height, buf)
}

#[test]
fn plots_render_with_the_embedded_font() {
    let d = catalog::lookup("h100-sxm").unwrap();
    let r = run(
        &llama2_7b(),
        "fp16",
        "h100-sxm",
        true,
        1,
        request(1, 128, 8),
    );
    let png = plot::render(&r, &d, PlotFormat::Png).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h, px) = png_pixels(&png);
    // the title is the only thing in the top 28 rows: dark pixels there mean text was drawn
    let dark_in = |y0: u32, y1: u32| {
        (y0..y1)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| px[((y * w + x) * 3) as usize] < 100)
            .count()
    };
    assert!(dark_in(0, 28) > 300, "no title text rendered");
    assert!(dark_in(h - 40, h) > 50, "no axis text at the bottom");
    let svg = String::from_utf8(plot::render(&r, &d, PlotFormat::Svg).unwrap()).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("llama-2-7b on NVIDIA H100"),
        "{}",
        &svg[..200]
    );
    assert!(svg.contains("attn.flash") && svg.contains("prefill") && svg.contains("decode"));
    assert_eq!(
        PlotFormat::from_path(std::path::Path::new("x.PNG")),
        Some(PlotFormat::Png)
    );
    assert_eq!(PlotFormat::from_path(std::path::Path::new("x.pdf")), None);
}
