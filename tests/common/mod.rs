//! Helpers shared by the `llmfab` binary's integration tests: running the
//! binary, fresh scratch folders, and the tiny models the tests build
//! themselves (nothing is downloaded).

// Each test binary uses a subset of these helpers.
#![allow(dead_code)]

use llmfab_models::spec::{ActFn, Family, ModelSpec, NormKind, Positions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `llmfab` binary with `args`.
pub fn llmfab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmfab"))
        .args(args)
        .output()
        .expect("runs llmfab")
}

/// Runs the `llmfab` binary with `args` in the working folder `dir`.
pub fn llmfab_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmfab"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs llmfab")
}

/// Bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh, empty folder `llmfab-<prefix>-<pid>-<name>` in the system's
/// temporary folder, removed when dropped — unless the test is failing,
/// so that what it wrote can be inspected.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Creates a [`Scratch`] folder (removing what an earlier run left there).
pub fn scratch(prefix: &str, name: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!("llmfab-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

/// `p` as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The process's standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes a 2-layer, 64-wide Llama (4 query heads over 2 KV heads) as a
/// Hugging Face `config.json` in `d`; returns its path.
pub fn tiny_config_json(d: &Path) -> PathBuf {
    let p = d.join("config.json");
    std::fs::write(
        &p,
        r#"{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "intermediate_size": 96, "vocab_size": 80,
            "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0}"#,
    )
    .unwrap();
    p
}

/// A 64-wide Llama of `layers` layers: 4 query heads of 16 over 2 KV heads,
/// intermediate 96, vocabulary 80, RoPE, SiLU-gated MLP.
pub fn tiny_llama(layers: u64) -> ModelSpec {
    ModelSpec {
        name: "tiny-llama".into(),
        family: Family::Llama,
        hidden: 64,
        layers,
        heads: 4,
        kv_heads: 2,
        head_dim: 16,
        intermediate: 96,
        vocab: 80,
        max_positions: 256,
        norm: NormKind::RmsNorm,
        act: ActFn::Silu,
        gated_mlp: true,
        qkv_bias: false,
        linear_bias: false,
        tied_embeddings: false,
        positions: Positions::Rope { theta: 10000.0 },
        moe: None,
        source: "test".into(),
    }
}
