//! `llmfab flow` end to end on a tiny model: the report, the CSV behind
//! every table (cell for cell the same as the HTML), the JSON behind every
//! step, the build folder and the Verilog; byte-identical reruns; and bad
//! input (unknown board, OUT exists, a failure halfway) exiting with code 2
//! and leaving no OUT and no temporary folder behind.
//!
//! Yosys is hidden from the flow (an empty PATH) so that the test does not
//! wait for synthesis: the resource rows it would fill are marked missing
//! (and the report says so). The Yosys cache is pointed at an empty folder
//! so that figures cached by an earlier run on this machine do not fill
//! those rows either.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};

fn flow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmfab"))
        .arg("flow")
        .args(args)
        .env("PATH", "")
        .env(
            "LLMFAB_YOSYS_CACHE",
            std::env::temp_dir().join(format!("llmfab-flow-cli-{}-no-cache", std::process::id())),
        )
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

fn dir(name: &str) -> Scratch {
    scratch("flow-cli", name)
}

fn tiny_flow(model: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut a = vec![
        "--model",
        s(model),
        "--board",
        "u280",
        "--quant",
        "w4a8",
        "--prompt",
        "16",
        "--gen",
        "16",
        "-o",
        s(out),
    ];
    a.extend_from_slice(extra);
    flow(&a)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The tables of the report: (csv path, rows of cell texts, header first).
fn html_tables(html: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    for part in html.split("<table id=\"tbl-").skip(1) {
        let csv = part
            .split("data-csv=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_string();
        let body = part.split("</table>").next().unwrap();
        let rows = body
            .lines()
            .filter(|l| l.starts_with("<tr>"))
            .map(|l| {
                l.split("</td>")
                    .flat_map(|x| x.split("</th>"))
                    .filter_map(|c| c.rsplit_once('>').map(|(_, t)| unescape(t)))
                    .collect::<Vec<_>>()
            })
            .map(|mut r: Vec<String>| {
                // the split leaves the trailing "</tr>" piece
                r.pop();
                r
            })
            .collect();
        out.push((csv, rows));
    }
    out
}

/// RFC 4180 records (quoted fields may hold commas, quotes and newlines).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

#[test]
fn tiny_model_report_tables_match_their_csv_and_reruns_are_identical() {
    let d = dir("ok");
    let model = tiny_config_json(&d);
    let out = d.join("out");
    let o = tiny_flow(&model, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Not a terminal: one plain line per step, no escape codes.
    let err = stderr(&o);
    assert!(err.contains("[1/7] roofline"), "{err}");
    assert!(err.contains("[7/7] energy done"), "{err}");
    assert!(!err.contains('\x1b'), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("tokens/s"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Self-contained: no fetches (the SVG namespace is a name, not a fetch).
    let stripped = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for bad in ["http://", "https://", "src=", "<link", "@import", "url("] {
        assert!(!stripped.contains(bad), "report.html refers to {bad}");
    }
    for id in [
        "summary",
        "roofline",
        "exploration",
        "compilation",
        "simulation",
        "hardware",
        "energy",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    for fig in [
        "fig-roofline",
        "fig-pareto",
        "fig-resources",
        "fig-energy_decode",
    ] {
        assert!(html.contains(fig), "{fig} missing");
    }
    assert!(html.contains("timeline_prefill_16") && html.contains("timeline_decode_32"));
    for badge in [
        "b-simulation",
        "b-model",
        "b-datasheet",
        "b-compiler",
        "b-mixed",
    ] {
        assert!(html.contains(badge), "no {badge} source badge");
    }
    // The board project, as `llmfab bitstream --build` writes it.
    for f in [
        "Makefile",
        "link.cfg",
        "kernel.xml",
        "src/llmfab_kernel.v",
        "programs/decode_32.bin",
    ] {
        assert!(out.join("project").join(f).is_file(), "project/{f} missing");
    }
    let tables = html_tables(&html);
    assert!(tables.len() >= 12, "{} tables", tables.len());
    let csvs = std::fs::read_dir(out.join("data"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "csv")
        })
        .count();
    assert_eq!(csvs, tables.len(), "one CSV per table");
    for (path, rows) in &tables {
        let text = std::fs::read_to_string(out.join(path)).unwrap();
        let csv = parse_csv(&text);
        assert_eq!(&csv, rows, "{path} differs from its HTML table");
        assert!(rows.len() >= 2, "{path} has no rows");
    }
    for j in [
        "roofline",
        "exploration",
        "compile",
        "simulation",
        "summary",
    ] {
        let p = out.join(format!("data/{j}.json"));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert!(!v.is_null(), "{j}.json");
    }
    let sim: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("data/simulation.json")).unwrap()).unwrap();
    assert_eq!(sim[1][0], "decode_32");
    assert!(sim[1][1]["cycles"].as_u64().unwrap() > 0);
    assert!(sim[1][1]["energy"]["total_j"].as_f64().unwrap() > 0.0);
    // The batched decode step: 8 sequences in one program, more tokens/s
    // than one sequence (the weights are read once for all of them).
    assert_eq!(sim[2][0], "decode_32_b8");
    let secs = |i: usize| sim[i][1]["seconds"].as_f64().unwrap();
    assert!(8.0 / secs(2) > 1.0 / secs(1), "batch 8 no faster per token");
    assert!(html.contains("timeline_decode_32_b8"));
    llmfab_compiler::folder::open(&out.join("build")).unwrap();
    assert!(out.join("verilog/llmfab_engine.v").is_file());
    assert!(out.join("verilog/resources.md").is_file());
    assert!(
        html.contains("blocks not estimated"),
        "missing Yosys rows not flagged"
    );
    // Nothing left beside OUT.
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // OUT exists: refused without --force, replaced with it, same bytes.
    let o = tiny_flow(&model, &out, &["--quiet"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let o = tiny_flow(&model, &out, &["--quiet", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "--quiet printed: {}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        html
    );
}

#[test]
fn bad_input_exits_2_and_leaves_nothing() {
    let d = dir("bad");
    let model = tiny_config_json(&d);
    // Unknown board: the closest names.
    let out = d.join("a");
    let m = s(&model);
    let o = flow(&[
        "--model",
        m,
        "--board",
        "u28",
        "--prompt",
        "16",
        "--gen",
        "16",
        "-o",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("did you mean"), "{}", stderr(&o));
    assert!(stderr(&o).contains("u280"), "{}", stderr(&o));
    // A GPU is not a board.
    let o = flow(&[
        "--model",
        m,
        "--board",
        "h100-sxm",
        "--prompt",
        "16",
        "--gen",
        "16",
        "-o",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("FPGA"), "{}", stderr(&o));
    // A folder that is not a flow output is not replaced even with --force.
    let mine = d.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    let o = tiny_flow(&model, &mine, &["--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(mine.join("notes.txt").is_file());
    // A failure halfway: the roofline runs, then a 70B model does not fit
    // the U280's memory when the engine is explored.
    let o = flow(&[
        "--model",
        "llama-2-70b",
        "--board",
        "u280",
        "--prompt",
        "16",
        "--gen",
        "16",
        "-o",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("[1/7] roofline done"), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not fit"), "{}", stderr(&o));
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "temporary folders left: {left:?}");
}
