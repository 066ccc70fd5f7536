//! `llmfab compile` end to end: a tiny model compiles to a complete,
//! deterministic build folder that `llmfab_compiler::folder::open` accepts;
//! bad input (unknown board, a GPU, 3-bit or fp16 weights, a model that does
//! not fit, a context past the model's) exits with code 2 and writes
//! nothing; a folder from another version or with a changed engine is refused.

mod common;

use common::*;
use std::path::Path;
use std::process::Output;

fn dir(name: &str) -> Scratch {
    scratch("compile-cli", name)
}

fn compile(model: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "compile",
        "--model",
        s(model),
        "--board",
        "u280",
        "--quant",
        "w4a8",
        "--kv-len",
        "48",
        "--buckets",
        "16,32",
        "-q",
        "-o",
        s(out),
    ];
    args.extend_from_slice(extra);
    llmfab(&args)
}

#[test]
fn tiny_model_builds_a_complete_deterministic_folder() {
    let d = dir("ok");
    let model = tiny_config_json(&d);
    let out = d.join("build");
    let o = compile(&model, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "build.json",
        "engine.toml",
        "memmap.json",
        "quant.json",
        "compile.json",
        "programs/prefill_16.bin",
        "programs/prefill_16.s",
        "programs/prefill_32.s",
        "programs/decode_48.bin",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let b = llmfab_compiler::folder::open(&out).unwrap();
    assert_eq!(b.manifest.phases.len(), 3);
    let prog = b.program("decode_48").unwrap();
    llmfab_isa::check_program(&b.config, &prog).unwrap();
    assert!(
        prog.iter().all(|(_, p)| p.is_some_and(|p| !p.is_empty())),
        "every instruction has provenance"
    );
    assert!(prog.iter().any(|(_, p)| p == Some("layer1.attn.q_proj")));
    // The folder reloads into what an HBM image needs, and its prefill
    // program runs on the reference interpreter like the golden model.
    let re = b.reload().unwrap();
    let w = llmfab_compiler::data::Weights::random(&re.graph, &re.prepared.plan, 5);
    let img = llmfab_compiler::pack::image(&b.config, &re.prepared, &w, b.quant.rope_theta);
    let mut m = llmfab_isa::Machine::new(b.config.clone(), img).unwrap();
    let input = llmfab_compiler::data::random_input(16, 64, 8, 6);
    llmfab_compiler::pack::write_input(&b.config, &re.prepared, &mut m.hbm, &input);
    m.run(&b.program("prefill_16").unwrap()).unwrap();
    let mut cache = llmfab_compiler::golden::KvCache::default();
    let want = llmfab_compiler::golden::run(
        &re.graph,
        &re.prepared.plan,
        &w,
        b.quant.rope_theta,
        &input,
        0,
        &mut cache,
    );
    assert_eq!(
        llmfab_compiler::pack::read_logits(&b.config, &re.prepared, &m.hbm),
        want.logits
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compile.json")).unwrap()).unwrap();
    assert!(
        report["exploration"]["chosen"]["estimate"]["decode_tokens_per_s"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // Same inputs, byte-identical files.
    let again = d.join("again");
    let o = compile(&model, &again, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for e in &b.manifest.files {
        assert_eq!(
            std::fs::read(out.join(&e.path)).unwrap(),
            std::fs::read(again.join(&e.path)).unwrap(),
            "{} differs",
            e.path
        );
    }
    assert_eq!(
        std::fs::read(out.join("build.json")).unwrap(),
        std::fs::read(again.join("build.json")).unwrap()
    );
    // Recompiling into an existing build folder replaces it.
    let o = compile(&model, &out, &["--objective", "prefill"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A changed engine or another version is refused.
    let toml = out.join("engine.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("clock_mhz", "clock_mhz = 1.0\n#")).unwrap();
    let e = llmfab_compiler::folder::open(&out).unwrap_err().to_string();
    assert!(e.contains("engine.toml"), "{e}");
    std::fs::write(&toml, text).unwrap();
    let manifest = out.join("build.json");
    let m = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        m.replace(llmfab_compiler::folder::VERSION, "0.0.0-other"),
    )
    .unwrap();
    let e = llmfab_compiler::folder::open(&out).unwrap_err().to_string();
    assert!(e.contains("0.0.0-other") && e.contains("recompile"), "{e}");
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let d = dir("bad");
    let model = tiny_config_json(&d);
    let cases: &[(&[&str], &str)] = &[
        (&["--board", "u28"], "u280"),
        (&["--board", "h100-sxm"], "GPU"),
        (&["--quant", "w3a16"], "weight_bits = 3"),
        (&["--quant", "fp16"], "floating-point"),
        (&["--kv-len", "4096"], "--kv-len"),
        (&["--objective", "speed"], "--objective"),
        (&["--batch", "0"], "--batch: 0 sequences"),
        (&["--batch", "1,5000"], "expected 1..=4096"),
        (&["--batch", "two"], "--batch"),
    ];
    for (i, (extra, want)) in cases.iter().enumerate() {
        let out = d.join(format!("out{i}"));
        let mut args = vec![
            "compile",
            "--model",
            s(&model),
            "--kv-len",
            "48",
            "--buckets",
            "16",
            "-o",
            s(&out),
        ];
        args.extend_from_slice(extra);
        let o = llmfab(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{extra:?}: {}", stderr(&o));
        assert!(!out.exists(), "{extra:?} wrote {out:?}");
    }
    // MoE routing has no engine lowering and no host fallback: every op is named.
    let out = d.join("moe");
    let o = llmfab(&[
        "compile",
        "--model",
        "mixtral-8x7b",
        "--board",
        "u280",
        "--quant",
        "w4a8",
        "--buckets",
        "128",
        "-o",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("layer0.moe.router") && stderr(&o).contains("mixture-of-experts"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    // A 70B model does not fit the U280's 8 GB.
    let out = d.join("big");
    let o = llmfab(&[
        "compile",
        "--model",
        "llama-2-70b",
        "--board",
        "u280",
        "--quant",
        "w4a8",
        "--buckets",
        "128",
        "-o",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not fit"), "{}", stderr(&o));
    assert!(!out.exists());
    // An existing folder that is not a build folder is left alone.
    let other = d.join("mine");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "keep").unwrap();
    let o = compile(&model, &other, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert!(other.join("notes.txt").is_file());
}
