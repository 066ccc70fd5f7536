//! `cargo xtask bench sim` (the engine simulator): Llama-2-7B W4A8
//! compiled for the U280 on the engine the explorer picks, then
//!
//! 1. the timing-only simulation of one decode token (`simulate` alone, wall
//!    and CPU seconds, from `sim/tests/engine_speed.rs`), and the whole
//!    `llmfab sim DIR --phase decode` command (folder checks included);
//! 2. simulated cycles per second of the timing model against the Verilog
//!    under Verilator on the same program and config (`tests/sim_speed.rs`);
//! 3. the simulated decode tokens/s as a fraction of the HBM-bound tokens/s,
//!    next to published U280 results.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// A number after `"key":` in JSON text (xtask has no JSON parser).
fn field(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json[at..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// `key=value` from a line starting with `tag` in `text`.
fn kv(text: &str, tag: &str, key: &str) -> Option<String> {
    let line = text.lines().find(|l| l.starts_with(tag))?;
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")).map(str::to_string))
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn output(c: &mut Command) -> Option<String> {
    let o = c.output().ok()?;
    if !o.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&o.stderr));
        return None;
    }
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Runs the group; prints a Markdown table.
pub fn run(root: &Path, bin: &Path) -> bool {
    eprintln!("xtask bench sim: building the release binary");
    if !cargo()
        .current_dir(root)
        .args(["build", "--release", "-p", "llmfab"])
        .status()
        .is_ok_and(|s| s.success())
    {
        return false;
    }
    let dir: PathBuf =
        std::env::temp_dir().join(format!("llmfab-bench-sim-{}", std::process::id()));
    let build = dir.join("build");
    let compile = [
        "compile",
        "--model",
        "llama-2-7b",
        "--board",
        "u280",
        "--quant",
        "w4a8",
        "--kv-len",
        "4096",
        "--buckets",
        "128",
        "--no-verify",
        "-q",
        "-o",
    ];
    let t = Instant::now();
    let ok = Command::new(bin)
        .args(compile)
        .arg(&build)
        .status()
        .is_ok_and(|s| s.success());
    let compile_s = t.elapsed().as_secs_f64();
    if !ok {
        return false;
    }
    let sim_args = [
        "sim",
        build.to_str().unwrap_or(""),
        "--phase",
        "decode",
        "--format",
        "json",
    ];
    let _ = output(Command::new(bin).args(sim_args)); // warm the page cache
    let t = Instant::now();
    let Some(json) = output(Command::new(bin).args(sim_args)) else {
        return false;
    };
    let cli_s = t.elapsed().as_secs_f64();
    let engine = std::fs::read_to_string(build.join("engine.toml")).unwrap_or_default();
    let engine_name = engine
        .lines()
        .find_map(|l| l.strip_prefix("name = "))
        .unwrap_or("?")
        .trim_matches('"')
        .to_string();
    eprintln!("xtask bench sim: timing model alone on the decode program");
    let speed = output(
        cargo()
            .current_dir(root)
            .env("LLMFAB_SIM_BUILD", &build)
            .args([
                "test",
                "--release",
                "-p",
                "llmfab-sim",
                "--test",
                "engine_speed",
                "--",
            ])
            .args(["--ignored", "--nocapture", "compiled_program_speed"]),
    )
    .unwrap_or_default();
    eprintln!("xtask bench sim: timing model against Verilator (builds the testbench once)");
    let vs = output(
        cargo()
            .current_dir(root)
            .args([
                "test",
                "--release",
                "-p",
                "llmfab",
                "--test",
                "sim_speed",
                "--",
            ])
            .args(["--ignored", "--nocapture"]),
    )
    .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let f = |k: &str| field(&json, k).unwrap_or(f64::NAN);
    let p = |k: &str| kv(&speed, "SIM-PROGRAM", k).unwrap_or_else(|| "?".into());
    let v = |k: &str| kv(&vs, "SIM-SPEED", k).unwrap_or_else(|| "?".into());
    let tps = f("tokens_per_s");
    let bound = f("hbm_bound_tokens_per_s");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("\nllmfab sim benchmarks ({cores} cores): Llama-2-7B w4a8 on the U280 engine the explorer picks ({engine_name}; compile {compile_s:.1} s)\n");
    println!("| figure | value | target |\n|---|---|---|");
    println!(
        "| one decode token (kv 4096), timing-only `simulate` | {} s CPU ({} s wall), {} cycles, {} instructions | < 1 s |",
        p("simulate_cpu_s"),
        p("simulate_wall_s"),
        p("cycles"),
        p("instrs")
    );
    println!("| `llmfab sim DIR --phase decode --format json` (folder checks, parse, simulate, report) | {cli_s:.2} s wall | |");
    println!(
        "| simulated cycles/s: timing model vs Verilator, config {}, {} cycles | {} vs {} = {}x | >= 1000x |",
        v("config"),
        v("cycles"),
        v("model_cps"),
        v("verilator_cps"),
        v("ratio")
    );
    println!(
        "| decode tokens/s in simulation / HBM-bound tokens/s | {tps:.1} / {bound:.1} = {:.1} % | >= 80 % |",
        100.0 * tps / bound
    );
    println!(
        "| achieved HBM bandwidth | {:.1} % of {:.0} GB/s | |",
        100.0 * f("hbm_bandwidth_utilization"),
        f("hbm_peak_bandwidth") / 1e9
    );
    println!(
        "| energy per decode token (device constants on simulated activity) | {:.3} J | |",
        f("energy_j")
    );
    println!("| published, U280: FlightLLM (FPGA'24), Llama-2-7B | 55 tokens/s | |");
    println!("| published, U280: AccLLM, Llama-2-7B W2A8KV4 | 164 tokens/s | |");
    println!(
        "\ncommands: `llmfab {} DIR` then `llmfab {}`; `cargo test --release -p llmfab-sim --test engine_speed -- --ignored --nocapture compiled_program_speed` (LLMFAB_SIM_BUILD=DIR); `cargo test --release --test sim_speed -- --ignored --nocapture`",
        compile.join(" "),
        sim_args.join(" ").replace(build.to_str().unwrap_or(""), "DIR")
    );
    !(speed.is_empty() || vs.is_empty())
}
