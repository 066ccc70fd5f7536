//! `cargo xtask bench [plan] [sim]`: benchmarks (not timed tests); `sim`
//! (the engine simulator) lives in [`sim`]. Builds the
//! release binary, runs each case once (after one warm-up run of the first),
//! and prints a Markdown table of wall-clock times for the README.
//!
//! `plan` (`llmfab plan`): Llama-3-70B fp16 on H100s —
//! the whole plan search and one plan's simulation on the bundled
//! 1,024-request LMSYS trace, then scaling with devices (8, 64, 512; a
//! synthetic 1,000-request workload at one request/s per device) and with
//! requests (10^3, 10^5 synthetic requests on 8 devices); then Llama-2-7B
//! w4a8 on 8 U280 boards with the analyzer and with the engine simulator
//! (`--cost engine`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

mod sim;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    target.join("release").join("llmfab")
}

/// One benchmark case: a name, a target (if any) and the `llmfab` arguments.
struct Case {
    name: String,
    target: &'static str,
    args: Vec<String>,
}

fn plan_cases() -> Vec<Case> {
    let trace = root()
        .join("sim/traces/apex_llama_lmsys_05.jsonl")
        .display()
        .to_string();
    let base = ["plan", "--model", "llama-3-70b", "--format", "csv"];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let mut v = vec![
        Case {
            name: "8xH100, 1,024-request trace: whole plan search".into(),
            target: "< 30 s",
            args: with(&["--devices", "8xh100", "--trace", &trace]),
        },
        Case {
            name: "8xH100, 1,024-request trace: one plan (tp8, continuous)".into(),
            target: "< 1 s",
            args: with(&[
                "--devices",
                "8xh100",
                "--trace",
                &trace,
                "--tp",
                "8",
                "--batching",
                "continuous",
                "--no-disagg",
            ]),
        },
    ];
    for n in [8u32, 64, 512] {
        let syn = format!("{n},1000");
        let dev = format!("{n}xh100");
        v.push(Case {
            name: format!("{n}xH100, 1,000 synthetic requests: whole plan search"),
            target: "",
            args: with(&["--devices", &dev, "--synthetic", &syn]),
        });
    }
    for r in [1_000u32, 100_000] {
        let syn = format!("8,{r}");
        v.push(Case {
            name: format!("8xH100, {r} synthetic requests: whole plan search"),
            target: "",
            args: with(&["--devices", "8xh100", "--synthetic", &syn]),
        });
        v.push(Case {
            name: format!("8xH100, {r} synthetic requests: one plan (tp8, continuous)"),
            target: "",
            args: with(&[
                "--devices",
                "8xh100",
                "--synthetic",
                &syn,
                "--tp",
                "8",
                "--batching",
                "continuous",
                "--no-disagg",
            ]),
        });
    }
    // FPGA clusters: the same search costed by the analyzer and by the
    // engine simulator (compiled one-layer blocks, cached per shape), so the
    // difference is the engine provider's overhead.
    for cost in ["analyzer", "engine"] {
        v.push(Case {
            name: format!("Llama-2-7B w4a8, 8xU280, 1,000 synthetic requests: whole plan search, --cost {cost}"),
            target: "",
            args: [
                "plan", "--model", "llama-2-7b", "--quant", "w4a8", "--devices", "8xu280",
                "--synthetic", "8,1000", "--format", "csv", "--cost", cost,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        });
    }
    v
}

/// Runs the benchmarks of `groups` (all when empty): `plan`, `sim`.
pub fn run(groups: &[String]) -> bool {
    let all = groups.is_empty();
    if let Some(g) = groups
        .iter()
        .find(|g| !["plan", "sim"].contains(&g.as_str()))
    {
        eprintln!("xtask bench: unknown group {g:?}; known: plan, sim");
        return false;
    }
    let want = |g: &str| all || groups.iter().any(|x| x == g);
    let mut ok = true;
    if want("plan") {
        ok &= run_plan();
    }
    if want("sim") {
        ok &= sim::run(&root(), &binary());
    }
    ok
}

/// The `plan` group.
fn run_plan() -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("xtask bench: building the release binary");
    if !Command::new(&cargo)
        .current_dir(root())
        .args(["build", "--release", "-p", "llmfab"])
        .status()
        .is_ok_and(|s| s.success())
    {
        return false;
    }
    let bin = binary();
    let out = std::env::temp_dir().join(format!("llmfab-bench-{}.csv", std::process::id()));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("llmfab plan benchmarks ({cores} cores; wall clock, one run each, after a warm-up)\n");
    println!("| case | wall time | target |\n|---|---|---|");
    let cases = plan_cases();
    let mut ok = true;
    for (i, c) in cases.iter().enumerate() {
        let go = || {
            let t = Instant::now();
            let s = Command::new(&bin)
                .args(&c.args)
                .arg("-o")
                .arg(&out)
                .stderr(std::process::Stdio::null())
                .status();
            (s.is_ok_and(|s| s.success()), t.elapsed().as_secs_f64())
        };
        if i == 0 {
            go();
        }
        let (success, secs) = go();
        ok &= success;
        let shown = if success {
            format!("{secs:.2} s")
        } else {
            "FAILED".into()
        };
        println!("| {} | {} | {} |", c.name, shown, c.target);
    }
    let _ = std::fs::remove_file(&out);
    println!(
        "\ncommand lines: `llmfab {}` and the variants above (see xtask/src/bench.rs)",
        cases[0].args.join(" ")
    );
    ok
}
