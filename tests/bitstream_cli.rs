//! `llmfab bitstream` end to end: a tiny model compiled for the U280 with a
//! small engine becomes a complete board project whose kernel top passes
//! Verilator lint and whose Tcl scripts run under `tclsh` with the Vivado
//! commands stubbed (the recorded calls are checked); bad input exits 2 and
//! writes nothing; the iCE40 flow builds a real bitstream (Yosys,
//! nextpnr-ice40, icepack) and its design runs the program in Icarus with
//! the result the reference interpreter predicts.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(name: &str) -> Scratch {
    scratch("bitstream", name)
}

/// A small engine (8 x 16 lanes, two 256-bit channels) for the U280.
const SMALL: &str = r#"name = "small"
rows = 8
cols = 16
weight_bits = 4
act_bits = 8
kv_bits = 8
group_size = 128
clock_mhz = 200.0
channels = 2
port_bits = 256
wbuf_bytes = 4096
abuf_bytes = 65536
kvbuf_bytes = 32768
kv_row_bytes = 32
acc_bytes = 32768
sbuf_bytes = 8192
sfu_lanes = 8
queue_depth = 16
max_burst = 16
max_outstanding = 4
"#;

/// Compiles a 2-layer, 64-wide Llama for the U280 on [`SMALL`] into `d/build`.
fn compiled(d: &Path) -> PathBuf {
    let model = d.join("config.json");
    std::fs::write(
        &model,
        r#"{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "intermediate_size": 96, "vocab_size": 80,
            "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0}"#,
    )
    .unwrap();
    let cfg = d.join("small.toml");
    std::fs::write(&cfg, SMALL).unwrap();
    let out = d.join("build");
    let o = llmfab(&[
        "compile",
        "--model",
        s(&model),
        "--board",
        "u280",
        "--quant",
        "w4a8",
        "--config",
        s(&cfg),
        "--kv-len",
        "32",
        "--buckets",
        "16",
        "-q",
        "-o",
        s(&out),
    ]);
    assert!(o.status.success(), "compile failed: {}", stderr(&o));
    out
}

/// Runs `gen_xo.tcl` (which sources package_kernel.tcl) under tclsh with
/// the stubs; returns the recorded calls, one Tcl list per line.
fn tcl_calls(project: &Path) -> Vec<String> {
    let stubs = Path::new(env!("CARGO_MANIFEST_DIR")).join("bitstreams/common/vivado_stubs.tcl");
    let calls = project.join("calls.txt");
    let driver = format!(
        "source {{{}}}\nset ::argc 3\nset ::argv {{build/llmfab_kernel.xo hw xilinx_u280_gen3x16_xdma_1_202211_1}}\nsource {{{}}}\nllmfab_dump_calls {{{}}}\n",
        stubs.display(),
        project.join("gen_xo.tcl").display(),
        calls.display()
    );
    let o = Command::new("tclsh")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(driver.as_bytes())?;
            c.wait_with_output()
        })
        .expect("tclsh (Debian package tcl)");
    assert!(
        o.status.success(),
        "tclsh: {}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    let text = std::fs::read_to_string(&calls).unwrap();
    std::fs::remove_file(&calls).unwrap();
    text.lines().map(String::from).collect()
}

#[test]
fn build_folder_becomes_a_checked_vitis_project() {
    let d = dir("u280");
    let build = compiled(&d);
    let out = d.join("project");
    let o = llmfab(&[
        "bitstream",
        "--board",
        "u280",
        "--build",
        s(&build),
        "-o",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "src/llmfab_kernel.v",
        "src/llmfab_engine.v",
        "kernel.xml",
        "kernel_params.tcl",
        "package_kernel.tcl",
        "gen_xo.tcl",
        "link.cfg",
        "Makefile",
        "README.md",
        "resources.md",
        "engine.toml",
        "programs/decode_32.bin",
        "programs/decode_32.s",
        "programs/decode_32.instr",
        "programs/memmap.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let masters = ["m_axi_instr", "m_axi_ch0", "m_axi_ch1"];
    // link.cfg: every master on its HBM pseudo-channel, the kernel in SLR0, the clock.
    let link = std::fs::read_to_string(out.join("link.cfg")).unwrap();
    for l in [
        "nk=llmfab_kernel:1:llmfab_kernel_1",
        "sp=llmfab_kernel_1.instr:HBM[0]",
        "sp=llmfab_kernel_1.ch0:HBM[0]",
        "sp=llmfab_kernel_1.ch1:HBM[16]",
        "slr=llmfab_kernel_1:SLR0",
        "freqHz=200000000:llmfab_kernel_1.ap_clk",
    ] {
        assert!(link.lines().any(|x| x == l), "link.cfg lacks {l}:\n{link}");
    }
    let xml = std::fs::read_to_string(out.join("kernel.xml")).unwrap();
    assert_eq!(xml.matches("<arg ").count(), 4, "{xml}");
    assert!(xml.contains(
        r#"name="ch1" addressQualifier="1" id="3" port="m_axi_ch1" size="0x8" offset="0x028""#
    ));
    let mk = std::fs::read_to_string(out.join("Makefile")).unwrap();
    assert!(mk.contains("v++ --link --target $(TARGET)") && mk.contains("hw_emu:"));
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("make hw")
            && readme.contains("user region")
            && readme.contains("| `decode_32` |")
    );
    assert!(!readme.contains(s(&d)), "absolute paths in README");

    // Tcl under tclsh with Vivado stubbed.
    let calls = tcl_calls(&out);
    let has = |want: &str| calls.iter().any(|c| c == want);
    assert!(
        calls[0].starts_with("create_project -force kernel_pack "),
        "{}",
        calls[0]
    );
    assert!(
        calls[0].ends_with("-part xcu280-fsvh2892-2L-e"),
        "{}",
        calls[0]
    );
    for m in masters.iter().chain(["s_axi_control"].iter()) {
        assert!(
            has(&format!(
                "ipx::associate_bus_interfaces -busif {m} -clock ap_clk core0"
            )),
            "{m} not on ap_clk"
        );
    }
    assert!(has("set_property value 200000000 busparam0"));
    for (reg, off) in [
        ("instr", "0x010"),
        ("instr_count", "0x018"),
        ("ch0", "0x020"),
        ("ch1", "0x028"),
        ("CYCLES", "0x030"),
    ] {
        assert!(
            has(&format!("ipx::add_register -quiet {reg} block0")),
            "register {reg}"
        );
        assert!(
            has(&format!("set_property address_offset {off} reg:{reg}")),
            "offset of {reg}"
        );
    }
    assert!(has("set_property value m_axi_ch1 regparam0"));
    assert!(
        has("set_property sdx_kernel true core0") && has("set_property sdx_kernel_type rtl core0")
    );
    assert!(has("ipx::check_integrity -kernel core0"));
    let add = calls.iter().find(|c| c.starts_with("add_files")).unwrap();
    assert!(
        add.contains("llmfab_kernel.v") && add.contains("llmfab_matrix.v"),
        "{add}"
    );
    let xo = calls
        .iter()
        .find(|c| c.starts_with("package_xo"))
        .expect("package_xo called");
    assert!(xo.starts_with(
        "package_xo -xo_path build/llmfab_kernel.xo -kernel_name llmfab_kernel -ip_directory "
    ));
    assert!(xo.ends_with("kernel.xml"), "{xo}");

    // Verilator lint of the kernel top, with the repository's waivers.
    let waivers = Path::new(env!("CARGO_MANIFEST_DIR")).join("hdl/lint/waivers.vlt");
    let mut srcs: Vec<String> = std::fs::read_dir(out.join("src"))
        .unwrap()
        .flatten()
        .map(|e| format!("src/{}", e.file_name().to_string_lossy()))
        .collect();
    srcs.sort();
    let o = Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "--top-module",
            "llmfab_kernel",
            s(&waivers),
        ])
        .args(&srcs)
        .current_dir(&out)
        .output()
        .expect("verilator (Debian package verilator)");
    // The compute units' own lint status is tracked by `cargo xtask
    // verilog-check` (hdl/tests/lint.rs); everything else must be clean.
    let e = stderr(&o);
    let ours: Vec<&str> = e
        .lines()
        .filter(|l| l.starts_with("%Warning") || l.starts_with("%Error"))
        .filter(|l| !l.contains("src/llmfab_matrix.v") && !l.contains("src/llmfab_sfu.v"))
        .filter(|l| !l.starts_with("%Error: Exiting due to"))
        .collect();
    assert!(ours.is_empty(), "verilator lint of the kernel top:\n{e}");
    if !o.status.success() {
        eprintln!("note: warnings in the compute units (their own lint status):\n{e}");
    }

    // Deterministic: the same input gives byte-identical files.
    let again = d.join("again");
    let o = llmfab(&[
        "bitstream",
        "--board",
        "u280",
        "--build",
        s(&build),
        "-o",
        s(&again),
    ]);
    assert!(o.status.success());
    for f in [
        "link.cfg",
        "kernel.xml",
        "README.md",
        "src/llmfab_kernel.v",
        "resources.md",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }

    // Bad input: exit 2, nothing written.
    let o = llmfab(&[
        "bitstream",
        "--board",
        "u280",
        "--build",
        s(&build),
        "-o",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let other = d.join("other");
    let o = llmfab(&[
        "bitstream",
        "--board",
        "u55c",
        "--build",
        s(&build),
        "-o",
        s(&other),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("compiled for board 'u280'"),
        "{}",
        stderr(&o)
    );
    assert!(!other.exists());
    let manifest = build.join("build.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let old = text.replace(
        &format!("\"llmfab_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"llmfab_version\": \"0.0.0-old\"",
    );
    assert_ne!(old, text);
    std::fs::write(&manifest, old).unwrap();
    let o = llmfab(&[
        "bitstream",
        "--board",
        "u280",
        "--build",
        s(&build),
        "-o",
        s(&other),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("recompile"), "{}", stderr(&o));
    assert!(!other.exists());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unknown_board_suggests_and_writes_nothing() {
    let d = dir("unknown");
    let out = d.join("p");
    let o = llmfab(&["bitstream", "--board", "u28", "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("unknown board 'u28'") && e.contains("did you mean") && e.contains("u280"),
        "{e}"
    );
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&d);
}

/// The iCE40 design (kernel + wrapper) under Icarus: the first checksum of
/// the memory writes equals the fold of the row the reference interpreter
/// stores, and the kernel's cycle counter is read back.
fn ice40_design_matches_the_reference(out: &Path) {
    use llmfab_hdl::project::ice40;
    let cfg = ice40::config().unwrap();
    let prog = ice40::program().unwrap();
    let mut img = llmfab_isa::image::HbmImage::zeroed(&cfg, 1024);
    for (i, b) in img.channels[0].iter_mut().enumerate() {
        // the wrapper's read pattern: byte j of word w is w ^ (37 j + 11)
        *b = ((i / 32) as u8) ^ (37u32 * (i % 32) as u32 + 11) as u8;
    }
    let mut m = img.machine(&cfg).unwrap();
    m.run(&prog).unwrap();
    let row = &m.hbm[0][0x200..0x220];
    let fold = row
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .fold(0u32, |a, w| a ^ w);
    assert_ne!(fold, 0);
    let tb = "module tb;\n  reg clk = 0; always #5 clk = ~clk;\n  wire [7:0] led;\n  llmfab_ice40_top dut(.clk(clk), .led(led));\n  integer n = 0;\n  always @(posedge clk) begin\n    n <= n + 1;\n    if (dut.st == 3'd5 && dut.s_rvalid) begin $display(\"RUN cycles=%0d checksum=%h\", dut.s_rdata, dut.checksum); $finish; end\n    if (n == 5000) begin $display(\"TIMEOUT\"); $finish; end\n  end\nendmodule\n";
    std::fs::write(out.join("tb.v"), tb).unwrap();
    let mut srcs: Vec<String> = std::fs::read_dir(out.join("src"))
        .unwrap()
        .flatten()
        .map(|e| format!("src/{}", e.file_name().to_string_lossy()))
        .collect();
    srcs.sort();
    let o = Command::new("iverilog")
        .args(["-g2012", "-o", "tb.vvp", "-s", "tb"])
        .args(&srcs)
        .args(["llmfab_ice40_top.v", "tb.v"])
        .current_dir(out)
        .output()
        .expect("iverilog");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = Command::new("vvp")
        .args(["-n", "tb.vvp"])
        .current_dir(out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.starts_with("RUN"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.ends_with(&format!("checksum={fold:08x}")),
        "{line}, expected {fold:08x}"
    );
    let cycles: u64 = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("cycles="))
        .and_then(|c| c.parse().ok())
        .unwrap();
    assert!(cycles > 5 && cycles < 1000, "{line}");
}

/// The open-toolchain bitstream: ~1 min of Yosys and ~1 min of
/// nextpnr-ice40 on an idle core.
#[test]
fn ice40_bitstream_builds_with_fmax() {
    let d = dir("ice40");
    let out = d.join("ice40");
    let t = std::time::Instant::now();
    let o = llmfab(&["bitstream", "--board", "ice40-hx8k", "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bin = std::fs::metadata(out.join("llmfab_ice40.bin")).unwrap();
    assert_eq!(bin.len(), llmfab_hdl::project::ice40::HX8K_BIN_BYTES);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let fmax: f64 = report
        .split("Fmax ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|f| f.parse().ok())
        .unwrap_or_else(|| panic!("no Fmax in report.md:\n{report}"));
    let log = std::fs::read_to_string(out.join("nextpnr.log")).unwrap();
    assert_eq!(llmfab_hdl::project::ice40::parse_fmax(&log), Some(fmax));
    assert!(fmax >= 12.0, "Fmax {fmax} MHz below the board's 12 MHz");
    eprintln!(
        "iCE40 flow: {:.0} s; {}",
        t.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&o.stdout)
    );
    ice40_design_matches_the_reference(&out);
    let o = llmfab(&["bitstream", "--board", "ice40-hx8k", "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "existing output without --force");
    let _ = std::fs::remove_dir_all(&d);
}
