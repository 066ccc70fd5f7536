//! Shared helpers of the unit tests that run emitted Verilog under Icarus
//! (`iverilog -g2012`): scratch directories, a simulation runner and a
//! combinational testbench with its output parser (used by the matrix unit
//! and the SFU tests).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Scratch directories made so far (keeps parallel tests apart).
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh scratch directory under the target dir (no absolute paths leak
/// into emitted files), unique per process and call.
pub fn scratch(name: &str) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let d = base.join(format!("hdl-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Compiles `sources` with `tb` (module `tb`) as top and returns the
/// simulation's stdout; the scratch directory is removed afterwards.
pub fn run_icarus(name: &str, sources: &str, tb: &str) -> String {
    let d = scratch(name);
    let out = run_icarus_in(&d, sources, tb);
    let _ = std::fs::remove_dir_all(&d);
    out
}

/// [`run_icarus`] in an existing directory `d`, which the testbench may
/// read input files from and write output files to (left in place).
pub fn run_icarus_in(d: &std::path::Path, sources: &str, tb: &str) -> String {
    std::fs::write(d.join("dut.v"), sources).unwrap();
    std::fs::write(d.join("tb.v"), tb).unwrap();
    let out = Command::new("iverilog")
        .args(["-g2012", "-o", "sim", "-s", "tb", "dut.v", "tb.v"])
        .current_dir(d)
        .output()
        .expect("iverilog is installed (Debian package iverilog)");
    assert!(
        out.status.success(),
        "iverilog failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("vvp")
        .args(["-n", "sim"])
        .current_dir(d)
        .output()
        .expect("vvp");
    assert!(
        out.status.success(),
        "vvp failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A combinational testbench: applies each vector to the inputs, waits,
/// prints the outputs in hex, one line per vector.
pub fn comb_tb(
    module: &str,
    inputs: &[(&str, usize)],
    outputs: &[(&str, usize)],
    vectors: &[Vec<u64>],
) -> String {
    let mut tb = String::from("module tb;\n");
    for (n, w) in inputs {
        tb += &format!("reg [{}:0] {n};\n", w - 1);
    }
    for (n, w) in outputs {
        tb += &format!("wire [{}:0] {n};\n", w - 1);
    }
    let ports: Vec<String> = inputs
        .iter()
        .chain(outputs)
        .map(|(n, _)| format!(".{n}({n})"))
        .collect();
    tb += &format!("{module} dut({});\ninitial begin\n", ports.join(", "));
    let fmt: Vec<&str> = outputs.iter().map(|_| "%h").collect();
    let outs: Vec<&str> = outputs.iter().map(|(n, _)| *n).collect();
    for v in vectors {
        for ((n, w), x) in inputs.iter().zip(v) {
            tb += &format!("  {n} = {w}'h{x:x};\n");
        }
        tb += &format!(
            "  #1 $display(\"{}\", {});\n",
            fmt.join(" "),
            outs.join(", ")
        );
    }
    tb += "  $finish;\nend\nendmodule\n";
    tb
}

/// Parses `comb_tb` output lines into numbers.
pub fn parse_hex(out: &str) -> Vec<Vec<u64>> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split_whitespace()
                .map(|h| u64::from_str_radix(h, 16).unwrap_or(u64::MAX))
                .collect()
        })
        .collect()
}
