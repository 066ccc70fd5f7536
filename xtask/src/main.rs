//! Project automation: `cargo xtask ci | tools | verilog-check | bless | bench`.
//!
//! `ci` is the test entry point the README and `.ci/run` use: it installs the
//! external tools the tests need (from Debian's packages) when they are
//! missing, then runs the format check, clippy with warnings denied, and
//! every test of the workspace.

mod bench;

use std::process::{Command, ExitCode};

/// Debian packages providing the tools tests call, with the binary each provides.
const TOOLS: &[(&str, &str)] = &[
    ("verilator", "verilator"),
    ("iverilog", "iverilog"),
    ("yosys", "yosys"),
    ("nextpnr-ice40", "nextpnr-ice40"),
    ("icepack", "fpga-icestorm"),
    ("tclsh", "tcl"),
    ("chromium", "chromium"),
];

fn run(cmd: &mut Command) -> bool {
    eprintln!("xtask: running {cmd:?}");
    match cmd.status() {
        Ok(s) => s.success(),
        Err(e) => {
            eprintln!("xtask: cannot start {cmd:?}: {e}");
            false
        }
    }
}

fn have(bin: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {bin} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Installs missing tools with apt-get (as root, or through sudo).
fn ensure_tools() -> bool {
    let missing: Vec<&str> = TOOLS
        .iter()
        .filter(|(bin, _)| !have(bin))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "xtask: installing missing tool packages: {}",
        missing.join(" ")
    );
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let prefix: Vec<&str> = if is_root { vec![] } else { vec!["sudo"] };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = prefix.clone();
        all.push("apt-get");
        all.extend_from_slice(args);
        let mut c = Command::new(all[0]);
        c.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut c)
    };
    if !apt(&["update", "-qq"]) {
        return false;
    }
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(missing.iter().copied());
    if !apt(&args) {
        return false;
    }
    let still: Vec<&str> = TOOLS
        .iter()
        .filter(|(bin, _)| !have(bin))
        .map(|(b, _)| *b)
        .collect();
    if !still.is_empty() {
        eprintln!("xtask: still missing after install: {}", still.join(" "));
        return false;
    }
    true
}

/// Makes `/dev/null` a real null device again when it is a regular file.
///
/// Some sandboxes start without the device node; the first `> /dev/null`
/// then creates a plain file, and whatever a build-script probe discards
/// into it (rustc's error text for a `#![feature]` probe, say) is read back
/// by the next process whose stdin is null: cargo's own `rustc -` query
/// then fails with "unknown start of token". As root we recreate the
/// device node; otherwise we empty the file before every step.
fn ensure_dev_null() -> bool {
    use std::os::unix::fs::FileTypeExt;
    let path = std::path::Path::new("/dev/null");
    let is_device = std::fs::metadata(path)
        .map(|m| m.file_type().is_char_device())
        .unwrap_or(false);
    if is_device {
        return true;
    }
    eprintln!("xtask: /dev/null is not a character device; recreating it");
    let _ = std::fs::remove_file(path);
    let made = Command::new("mknod")
        .args(["-m", "666", "/dev/null", "c", "1", "3"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !made {
        eprintln!("xtask: cannot create the /dev/null device node; emptying the file instead");
        if let Err(e) = std::fs::write(path, b"") {
            eprintln!("xtask: cannot empty /dev/null: {e}");
            return false;
        }
    }
    true
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn ci() -> bool {
    ensure_dev_null()
        && ensure_tools()
        && ensure_dev_null()
        && run(cargo().args(["fmt", "--all", "--", "--check"]))
        && ensure_dev_null()
        && run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
        && ensure_dev_null()
        && run(cargo().args(["test", "--workspace"]))
}

/// Everything about the emitted Verilog, including the slow checks CI
/// skips: lint, golden files, Icarus co-simulation, the Verilator
/// co-simulation with HBM-like timing, Yosys synthesis of every core leaf.
fn verilog_check() -> bool {
    ensure_tools()
        && run(cargo().args([
            "test",
            "-p",
            "llmfab-hdl",
            "--test",
            "lint",
            "--test",
            "golden",
            "--",
            "--include-ignored",
        ]))
        && run(cargo().args([
            "test",
            "-p",
            "llmfab",
            "--test",
            "engine_cosim",
            "--",
            "--include-ignored",
        ]))
        && run(cargo().args([
            "test",
            "-p",
            "llmfab-hdl",
            "--lib",
            "resources",
            "--",
            "--include-ignored",
        ]))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() && !ensure_dev_null() {
        return ExitCode::FAILURE;
    }
    let ok = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("tools") => ensure_tools(),
        Some("bless") => run(cargo()
            .args(["test", "--workspace"])
            .env("LLMFAB_BLESS", "1")),
        Some("verilog-check") => verilog_check(),
        Some("bench") => bench::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <ci|tools|bless|bench>");
            eprintln!("  ci     install missing tools, fmt check, clippy -D warnings, all tests");
            eprintln!("  tools  install the external tools the tests need (verilator, iverilog, yosys, ...)");
            eprintln!("  bless  re-run the tests with LLMFAB_BLESS=1, rewriting golden files");
            eprintln!("  verilog-check  Verilator lint, Icarus and Verilator co-simulation, Yosys synthesis of every block");
            eprintln!("  bench  [plan|sim] release-build benchmarks, printed as a Markdown table");
            return ExitCode::from(2);
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
