//! CLI tests of `llmfab models` and `llmfab graph`.

mod common;

use common::{llmfab, stderr};
use std::path::PathBuf;
use std::process::Output;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn models_lists_the_zoo_as_table_and_json() {
    let o = llmfab(&["models"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("name "), "{out}");
    for name in [
        "llama-2-7b",
        "llama-3.1-70b",
        "mixtral-8x7b",
        "qwen2.5-72b",
        "opt-66b",
        "gpt2-xl",
    ] {
        assert!(out.contains(name), "{name} missing from\n{out}");
    }
    assert!(
        out.contains("6.74B") && out.contains("meta-llama/Llama-2-7b-hf"),
        "{out}"
    );
    let o = llmfab(&["models", "--format", "json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 16);
    let l7 = list.iter().find(|m| m["name"] == "llama-2-7b").unwrap();
    assert_eq!(l7["params"], 6_738_415_616u64);
    assert_eq!(l7["kv_heads"], 32);
    assert_eq!(l7["source"], "meta-llama/Llama-2-7b-hf");
    let mx = list.iter().find(|m| m["name"] == "mixtral-8x7b").unwrap();
    assert_eq!(mx["experts"], 8);
}

#[test]
fn graph_prints_text_that_parses_back() {
    let o = llmfab(&["graph", "--model", "GPT2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("# llmfab graph of gpt2"), "{text}");
    let g = llmfab_models::text::parse(&text, "stdout").unwrap();
    let spec = llmfab_models::zoo::get("gpt2").unwrap();
    assert!(g == llmfab_models::Graph::build(&spec, Default::default()));
}

#[test]
fn graph_writes_dot_and_json_files() {
    let d = scratch("cli-graph");
    let dot = d.join("g.dot");
    let o = llmfab(&[
        "graph",
        "--model",
        "mistral-7b",
        "--flash",
        "--format",
        "dot",
        "-o",
        dot.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let text = std::fs::read_to_string(&dot).unwrap();
    assert!(
        text.starts_with("digraph llmfab {") && text.contains("layer31.attn.flash"),
        "{}",
        &text[..200]
    );
    let json = d.join("g.json");
    let o = llmfab(&[
        "graph",
        "--model",
        "mixtral-8x7b",
        "--format",
        "json",
        "--output",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["model"], "mixtral-8x7b");
    let ops = v["ops"].as_array().unwrap();
    let q = ops
        .iter()
        .find(|o| o["name"] == "layer0.attn.q_proj")
        .unwrap();
    assert_eq!(q["kind"], "linear");
    assert_eq!(q["params"]["n"], 4096);
    assert_eq!(q["out"], "[B*S,4096]");
    assert!(ops.iter().any(|o| o["kind"] == "moe_linear"));
}

#[test]
fn graph_of_a_config_file() {
    let d = scratch("cli-graph-cfg");
    std::fs::write(
        d.join("config.json"),
        r#"{"model_type": "qwen2", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
            "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100}"#,
    )
    .unwrap();
    let o = llmfab(&["graph", "--model", d.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("linear[role=k,k=64,n=32,bias=true]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_input_exits_with_2_and_a_clear_message() {
    let o = llmfab(&["graph", "--model", "lama-2-7b"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown model 'lama-2-7b' (did you mean: llama-2-7b"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());

    let d = scratch("cli-bad");
    let cfg = d.join("config.json");
    std::fs::write(&cfg, "{\"model_type\": \"llama\",\n \"hidden_size\": 4096,").unwrap();
    let out = d.join("never.txt");
    let o = llmfab(&[
        "graph",
        "--model",
        cfg.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("config.json:2:") && e.contains("truncated"),
        "{e}"
    );
    assert!(!out.exists(), "no output file on error");

    let gguf = d.join("broken.gguf");
    std::fs::write(&gguf, b"GGUF\x03\x00\x00\x00\xff\xff").unwrap();
    let o = llmfab(&["graph", "--model", gguf.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("broken.gguf: at byte offset 8"),
        "{}",
        stderr(&o)
    );

    let o = llmfab(&["graph", "--model", "gpt2", "-o", "/nonexistent-dir/x.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot write /nonexistent-dir/x.txt"));

    let o = llmfab(&["graph", "--model", "gpt2", "--format", "svg"]);
    assert_eq!(o.status.code(), Some(2));
}
