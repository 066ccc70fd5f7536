//! `load`: one entry point for zoo names, config.json files and folders,
//! GGUF and safetensors files.

mod common;

use llmfab_models::*;

#[test]
fn zoo_names_load_case_insensitively() {
    let m = load("Mixtral-8x7B").unwrap();
    assert_eq!(m.spec.name, "mixtral-8x7b");
    assert_eq!(m.source, "zoo:mixtral-8x7b");
    assert!(m.quant.is_none());
}

#[test]
fn config_files_and_folders_load() {
    let d = common::scratch("load-cfg/Tiny");
    std::fs::write(d.join("config.json"), zoo::entry("gpt2").unwrap().json).unwrap();
    let by_dir = load(d.to_str().unwrap()).unwrap();
    let by_file = load(d.join("config.json").to_str().unwrap()).unwrap();
    assert_eq!(by_dir.spec, by_file.spec);
    assert_eq!(by_dir.spec.name, "Tiny");
    assert_eq!(by_dir.spec.param_count(), 124_439_808);
    assert!(by_dir.quant.is_none());
    let empty = common::scratch("load-empty");
    let e = load(empty.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        e.contains("a folder holding a Hugging Face config.json"),
        "{e}"
    );
    let junk = empty.join("weights.bin");
    std::fs::write(&junk, b"\x00\x01junk").unwrap();
    assert!(load(junk.to_str().unwrap())
        .unwrap_err()
        .to_string()
        .contains("a config.json, a .gguf or a .safetensors file"));
}

#[test]
fn unknown_names_get_suggestions_and_missing_paths_say_so() {
    let e = load("llama2-7b").unwrap_err();
    let ModelError::Unknown {
        what, suggestions, ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(what, "model");
    assert_eq!(suggestions[0], "llama-2-7b");
    assert!(
        e.to_string()
            .starts_with("unknown model 'llama2-7b' (did you mean: llama-2-7b"),
        "{e}"
    );
    let e = load("qwen-7b").unwrap_err().to_string();
    assert!(e.contains("qwen2.5-7b"), "{e}");
    let e = load("/no/such/dir/config.json").unwrap_err();
    assert!(matches!(e, ModelError::Io { .. }), "{e}");
    assert!(load("missing.gguf")
        .unwrap_err()
        .to_string()
        .contains("missing.gguf"));
}
