//! End-to-end tests of `llmfab plan`: formats, plot, shards merged back to
//! the unsharded CSV, validation, and bad input (exit code 2, a message
//! naming what is wrong, no output file).

mod common;

use common::{llmfab_in as llmfab, scratch, text, Scratch};
use std::path::Path;
use std::process::Output;

fn tmp(name: &str) -> Scratch {
    scratch("plan-cli", name)
}

const BASE: &[&str] = &[
    "plan",
    "--model",
    "gpt2",
    "--devices",
    "4xh100",
    "--synthetic",
    "20,60",
    "--seed",
    "3",
];

fn with(extra: &[&str]) -> Vec<String> {
    BASE.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run(dir: &Path, args: &[String]) -> Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    llmfab(dir, &a)
}

#[test]
fn json_names_the_best_plan_and_lists_every_plan() {
    let d = tmp("json");
    let out = run(
        &d,
        &with(&["--format", "json", "--slo-ttft", "200", "--slo-tpot", "50"]),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plans = v["plans"].as_array().unwrap();
    assert!(plans.len() >= 12, "{}", plans.len());
    let best = v["best"].as_str().unwrap();
    let b = plans.iter().find(|p| p["plan"] == best).unwrap();
    assert_eq!(b["rank"], 1);
    for key in ["dp", "tp", "pp", "ep", "batching"] {
        assert!(b.get(key).is_some(), "{key}");
    }
    for key in [
        "ttft",
        "tpot",
        "tbt",
        "e2e",
        "tokens_per_s",
        "slo_both",
        "mfu",
        "j_per_token",
        "weight_bytes_per_device",
    ] {
        assert!(b["metrics"].get(key).is_some(), "{key}");
    }
    assert!(plans.iter().any(|p| p["pareto"] == true));
}

#[test]
fn shards_merge_to_the_unsharded_csv_and_table_and_plot_work() {
    let d = tmp("shard");
    let all = run(&d, &with(&["--format", "csv", "-o", "all.csv"]));
    assert!(all.status.success(), "{}", text(&all.stderr));
    let mut files = Vec::new();
    for i in 0..3 {
        let f = format!("s{i}.csv");
        let o = run(
            &d,
            &with(&["--format", "csv", "--shard", &format!("{i}/3"), "-o", &f]),
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        files.push(f);
    }
    let mut args = vec!["plan", "--merge"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", "merged.csv"]);
    let m = llmfab(&d, &args);
    assert!(m.status.success(), "{}", text(&m.stderr));
    assert_eq!(
        std::fs::read(d.join("merged.csv")).unwrap(),
        std::fs::read(d.join("all.csv")).unwrap()
    );
    let t = run(&d, &with(&["--plot", "p.png"]));
    assert!(t.status.success(), "{}", text(&t.stderr));
    assert!(text(&t.stdout).contains("best by throughput"));
    assert_eq!(&std::fs::read(d.join("p.png")).unwrap()[..4], b"\x89PNG");
}

#[test]
fn validate_replays_a_trace_on_one_plan() {
    let d = tmp("validate");
    let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sim/traces/apex_llama_creation_05_vllm_actual.jsonl");
    let measured = d.join("m.csv");
    std::fs::write(
        &measured,
        "ttft_s,tpot_s,e2e_s\n0.02,0.01,1.0\n0.03,0.012,2.0\n",
    )
    .unwrap();
    let o = llmfab(
        &d,
        &[
            "plan",
            "--model",
            "gpt2",
            "--devices",
            "1xh100",
            "--trace",
            trace.to_str().unwrap(),
            "--validate",
            "--batching",
            "continuous",
            "--measured",
            "m.csv",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = text(&o.stdout);
    assert!(
        s.contains("validation of dp1.tp1.pp1+continuous")
            && s.contains("p99")
            && s.contains("e2e"),
        "{s}"
    );
    // Without the degrees pinned there is more than one plan.
    let o = llmfab(
        &d,
        &[
            "plan",
            "--model",
            "gpt2",
            "--devices",
            "2xh100",
            "--trace",
            trace.to_str().unwrap(),
            "--validate",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("exactly one plan"));
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let d = tmp("bad");
    std::fs::write(d.join("bad.jsonl"), "{\"StartTimeOffset\": 0, \"ContextTokens\": 5, \"GeneratedTokens\": 3}\n{\"StartTimeOffset\": 1, \"ContextTokens\": -4, \"GeneratedTokens\": 3}\n").unwrap();
    std::fs::write(d.join("empty.jsonl"), "\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "plan",
                "--model",
                "gpt2",
                "--devices",
                "1xh100",
                "--trace",
                "bad.jsonl",
            ],
            "bad.jsonl:2: field 'ContextTokens'",
        ),
        (
            vec![
                "plan",
                "--model",
                "gpt2",
                "--devices",
                "1xh100",
                "--trace",
                "empty.jsonl",
            ],
            "no requests",
        ),
        (
            vec![
                "plan",
                "--model",
                "llama-3-70b",
                "--devices",
                "1xh100",
                "--synthetic",
                "1,5",
            ],
            "exceed",
        ),
        (
            vec![
                "plan",
                "--model",
                "llama-3-70b",
                "--devices",
                "3xh100",
                "--tp",
                "3",
                "--synthetic",
                "1,5",
            ],
            "does not divide the 64 attention heads",
        ),
        (
            vec![
                "plan",
                "--model",
                "gpt2",
                "--devices",
                "4xh100",
                "--synthetic",
                "1,5",
                "--shard",
                "3/2",
            ],
            "--shard",
        ),
        (
            vec![
                "plan",
                "--model",
                "gpt2",
                "--devices",
                "eightxh100",
                "--synthetic",
                "1,5",
            ],
            "--devices",
        ),
        (
            vec![
                "plan",
                "--model",
                "gpt2",
                "--devices",
                "1xh100",
                "--synthetic",
                "1",
            ],
            "RATE,N",
        ),
        (
            vec![
                "plan",
                "--model",
                "gpt2",
                "--devices",
                "1xh100",
                "--synthetic",
                "1,5",
                "--objective",
                "speed",
            ],
            "--objective",
        ),
    ];
    for (args, want) in cases {
        let mut a = args.clone();
        a.extend(["-o", "out.txt"]);
        let o = llmfab(&d, &a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(want),
            "{args:?}: {}",
            text(&o.stderr)
        );
        assert!(!d.join("out.txt").exists(), "{args:?} left an output file");
    }
}

/// A small FPGA cluster costed by the engine simulator (GPT-2, w4a8, two
/// U280s on a QSFP ring): the plans run, the report names the provider and
/// how many blocks it simulated, and the plan's TPOT is at least 0.8× the
/// analyzer's and below 10× (the engine streams the same bytes at the same
/// 92% channel efficiency the analyzer assumes, plus latencies it does not,
/// so it cannot be much faster; the analyzer's 1 µs per op is the slack;
/// 10× would mean a component counted per layer twice). A GPU with
/// `--cost engine` is a clear input error.
#[test]
fn engine_simulator_costs_a_small_fpga_cluster() {
    let d = tmp("engine");
    let args = |cost: &str| -> Vec<String> {
        [
            "plan",
            "--model",
            "gpt2",
            "--devices",
            "2xu280",
            "--quant",
            "w4a8",
            "--synthetic",
            "4,16",
            "--prompt-dist",
            "fixed:48",
            "--output-dist",
            "fixed:16",
            "--seed",
            "1",
            "--batching",
            "continuous",
            "--no-disagg",
            "--tp",
            "2",
            "--pp",
            "1",
            "--format",
            "json",
            "--cost",
            cost,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let e = run(&d, &args("engine"));
    assert!(e.status.success(), "{}", text(&e.stderr));
    let ev: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    assert!(ev["op_costs"]
        .as_str()
        .unwrap_or_default()
        .starts_with("engine simulator"));
    let notes = ev["notes"].to_string();
    assert!(
        notes.contains("block programs compiled and simulated"),
        "{notes}"
    );
    let a = run(&d, &args("analyzer"));
    assert!(a.status.success(), "{}", text(&a.stderr));
    let av: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let tpot = |v: &serde_json::Value, plan: &str| -> f64 {
        v["plans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["plan"] == plan)
            .map(|p| p["metrics"]["tpot"]["mean"].as_f64().unwrap())
            .unwrap()
    };
    let best = ev["best"].as_str().unwrap().to_string();
    let (te, ta) = (tpot(&ev, &best), tpot(&av, &best));
    assert!(te > 0.0 && (0.8..10.0).contains(&(te / ta)), "{te} vs {ta}");
    let g = run(
        &d,
        &[
            "plan",
            "--model",
            "gpt2",
            "--devices",
            "2xh100",
            "--synthetic",
            "4,8",
            "--cost",
            "engine",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>(),
    );
    assert_eq!(g.status.code(), Some(2), "{}", text(&g.stderr));
    assert!(text(&g.stderr).contains("FPGA"), "{}", text(&g.stderr));
}
