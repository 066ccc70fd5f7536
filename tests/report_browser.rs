//! The flow's report in a real browser: headless Chromium (Debian's
//! `chromium`, installed by `cargo xtask ci`) opens report.html from
//! file:// with no network, the page's own check (the script at the end of
//! the report) must find every plot rendered with a non-zero size and no
//! script error, Chromium must log no console message at all, and a
//! screenshot must be a real PNG of the page. A copy of the report with a
//! broken plot and a script error must fail the same checks.

mod common;

use common::{scratch, Scratch};
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(name: &str) -> Scratch {
    scratch("browser", name)
}

/// Chromium's binary, or a failure that says how to get it.
fn chromium() -> &'static str {
    for bin in ["chromium", "chromium-browser"] {
        if Command::new(bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return bin;
        }
    }
    panic!(
        "headless Chromium is needed by this test and was not found (binary `chromium`); run `cargo xtask ci`, which installs it (Debian package chromium)"
    );
}

/// Runs Chromium headless on `page` with `extra` arguments; (stdout, stderr).
fn run(page: &Path, profile: &Path, extra: &[&str]) -> (String, String) {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let o = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--hide-scrollbars",
            "--window-size=1280,2400",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// What the page's check wrote: (plots rendered, broken plot ids, script errors).
fn page_check(dom: &str) -> (usize, String, usize) {
    let attr = dom
        .split("data-figures=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| {
            panic!("the page's render check did not run: no data-figures in the DOM")
        });
    let field = |k: &str| {
        attr.split(' ')
            .find_map(|p| p.strip_prefix(k))
            .unwrap_or_default()
            .to_string()
    };
    (
        field("ok=").parse().unwrap(),
        field("broken="),
        field("errors=").parse().unwrap(),
    )
}

fn console(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

fn tiny_report(d: &Path) -> PathBuf {
    let cfg = d.join("config.json");
    std::fs::write(
        &cfg,
        r#"{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "intermediate_size": 96, "vocab_size": 80,
            "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0}"#,
    )
    .unwrap();
    let out = d.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_llmfab"))
        .args([
            "flow",
            "--model",
            cfg.to_str().unwrap(),
            "--board",
            "u280",
            "--quant",
            "w4a8",
        ])
        .args([
            "--prompt",
            "16",
            "--gen",
            "16",
            "--quiet",
            "-o",
            out.to_str().unwrap(),
        ])
        .env("PATH", "")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out.join("report.html")
}

#[test]
fn report_renders_in_headless_chromium() {
    chromium();
    let d = dir("ok");
    let page = tiny_report(&d);
    let html = std::fs::read_to_string(&page).unwrap();
    let plots = html.matches("<figure class=\"plot\"").count();
    assert!(plots >= 6, "{plots} plots");
    let (dom, err) = run(&page, &d.join("profile"), &["--dump-dom"]);
    assert_eq!(page_check(&dom), (plots, String::new(), 0), "render check");
    assert!(
        console(&err).is_empty(),
        "console output: {:?}",
        console(&err)
    );
    let shot = d.join("shot.png");
    run(
        &page,
        &d.join("profile2"),
        &[&format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot).expect("no screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (1280, 2400));
    assert!(
        png.len() > 50_000,
        "screenshot of {} bytes is nearly blank",
        png.len()
    );

    // The same checks catch a broken plot and a script error.
    let i = html
        .find("<figure class=\"plot\" id=\"fig-pareto\">")
        .unwrap();
    let j = i + html[i..].find("</svg>").unwrap() + "</svg>".len();
    let start = i + html[i..].find("<svg").unwrap();
    let mut bad = format!("{}<svg></svg>{}", &html[..start], &html[j..]);
    bad = bad.replace(
        "</footer>",
        "</footer><script>undefinedFunction();</script>",
    );
    let bad_page = d.join("broken.html");
    std::fs::write(&bad_page, bad).unwrap();
    let (dom, err) = run(&bad_page, &d.join("profile3"), &["--dump-dom"]);
    assert_eq!(page_check(&dom), (plots - 1, "fig-pareto".to_string(), 1));
    assert!(
        !console(&err).is_empty(),
        "the script error reached no console"
    );
}
