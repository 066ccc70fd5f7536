//! `llmfab devices`: lists the device catalog, or shows one device (a
//! catalog name or a TOML file) with the source of every figure.

use super::models::emit;
use super::CliError;
use clap::{Args, ValueEnum};
use llmfab_models::catalog;
use llmfab_models::device::{Device, DeviceKind, Val};
use llmfab_models::Precision;

/// Output format of `llmfab devices`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DevicesFormat {
    /// An aligned table (one device: every figure with its source).
    Table,
    /// JSON: every figure with its source.
    Json,
    /// One device's TOML (a template for `--device FILE.toml`).
    Toml,
}

/// Arguments of `llmfab devices`.
#[derive(Args, Debug)]
pub struct DevicesArgs {
    /// Show this device (catalog name or TOML file) instead of listing the catalog.
    pub device: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DevicesFormat::Table)]
    pub format: DevicesFormat,
}

fn human(x: f64, unit: &str) -> String {
    llmfab_reports::units::si(x, unit)
}

fn peak(d: &Device, p: Precision) -> String {
    d.peak_ops
        .get(&p)
        .map_or("-".into(), |v| human(v.value, "OP/s"))
}

fn list(devs: &[Device]) -> String {
    let head = [
        "name",
        "kind",
        "memory",
        "bandwidth",
        "fp16",
        "int8",
        "power",
        "links",
        "device",
    ];
    let rows: Vec<Vec<String>> = devs
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                match d.kind {
                    DeviceKind::Gpu => "gpu".into(),
                    DeviceKind::Fpga => "fpga".into(),
                },
                format!(
                    "{} GiB {}",
                    llmfab_reports::units::sig3(d.memory.capacity.value / (1u64 << 30) as f64),
                    d.memory.kind
                ),
                human(d.memory.bandwidth.value, "B/s"),
                peak(d, Precision::Fp16),
                peak(d, Precision::Int8),
                format!("{} W", d.energy.max_w.value),
                d.links.keys().cloned().collect::<Vec<_>>().join(","),
                d.display.clone(),
            ]
        })
        .collect();
    let mut w: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |r: &[String]| {
        r.iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![
        line(&head.map(String::from)),
        w.iter()
            .map(|n| "-".repeat(*n))
            .collect::<Vec<_>>()
            .join("  "),
    ];
    out.extend(rows.iter().map(|r| line(r)));
    out.push(String::new());
    out.push("FPGA peaks come from each board's default engine (rows x cols MAC lanes x clock); `llmfab devices NAME` shows every figure with its source.".into());
    out.join("\n") + "\n"
}

fn show(d: &Device) -> String {
    let mut o = format!("{} ({})\n", d.display, d.name);
    let mut line = |name: &str, v: &Val, unit: &str| {
        let shown = if unit.is_empty() {
            llmfab_reports::units::sig3(v.value)
        } else {
            human(v.value, unit)
        };
        o += &format!("  {name}: {shown} — {}\n", v.source);
    };
    line("memory capacity", &d.memory.capacity, "B");
    line(
        &format!("{} bandwidth", d.memory.kind),
        &d.memory.bandwidth,
        "B/s",
    );
    line("on-chip memory", &d.on_chip_bytes, "B");
    for (p, v) in &d.peak_ops {
        line(&format!("{} peak", p.as_str()), v, "OP/s");
    }
    line("vector peak", &d.vector_ops, "OP/s");
    if let Some(c) = &d.compute_units {
        line("compute units", c, "");
    }
    for (p, v) in &d.energy.pj_per_op {
        line(&format!("{} energy pJ/op", p.as_str()), v, "");
    }
    let e = &d.energy;
    line("vector energy pJ/op", &e.pj_per_vector_op, "");
    line("DRAM energy pJ/bit", &e.dram_pj_per_bit, "");
    line("SRAM energy pJ/bit", &e.sram_pj_per_bit, "");
    line("static power", &e.static_w, "W");
    line("board power", &e.max_w, "W");
    let f = &d.efficiency;
    line("bandwidth efficiency", &f.bandwidth, "");
    line("matmul efficiency", &f.matmul, "");
    line("attention efficiency", &f.attention, "");
    line("vector efficiency", &f.vector, "");
    line("kernel overhead", &f.kernel_overhead_s, "s");
    line("skinny m", &f.skinny_m, "");
    for (name, l) in &d.links {
        line(
            &format!("{name} bandwidth per direction"),
            &l.bandwidth,
            "B/s",
        );
        line(&format!("{name} latency per hop"), &l.latency, "s");
    }
    if let Some(p) = &d.price_per_hour {
        line("price per hour (USD)", p, "");
    }
    if let Some(fp) = &d.fpga {
        o += &format!(
            "  part {}, platform {}, {} SLRs, {} {}\n  device: {} LUT, {} FF, {} DSP, {} BRAM36, {} URAM\n  user region: {} LUT, {} FF, {} DSP, {} BRAM36, {} URAM — {}\n  memory channels: {} x {} — {}\n  clock: {} — {}\n  default engine: {} x {} MAC lanes, {} SFU lanes\n",
            fp.part,
            fp.platform,
            fp.slrs,
            fp.dsp_kind,
            "DSPs",
            fp.device.lut,
            fp.device.ff,
            fp.device.dsp,
            fp.device.bram36,
            fp.device.uram,
            fp.user.lut,
            fp.user.ff,
            fp.user.dsp,
            fp.user.bram36,
            fp.user.uram,
            fp.user_source,
            fp.mem_channels,
            human(fp.channel_bandwidth.value, "B/s"),
            fp.channel_bandwidth.source,
            human(fp.clock_hz.value, "Hz"),
            fp.clock_hz.source,
            fp.default_rows,
            fp.default_cols,
            fp.default_sfu_lanes
        );
        for (p, v) in &fp.macs_per_dsp {
            o += &format!(
                "  {} MACs per DSP: {} — {}\n",
                p.as_str(),
                v.value,
                v.source
            );
        }
    }
    o
}

/// Runs `llmfab devices`.
pub fn run(args: DevicesArgs) -> Result<(), CliError> {
    let json = |v: serde_json::Value| {
        serde_json::to_string_pretty(&v)
            .map(|s| s + "\n")
            .map_err(|e| CliError::Internal(e.to_string()))
    };
    let text = match &args.device {
        None => {
            let devs =
                catalog::all().map_err(|e| CliError::Internal(format!("built-in catalog: {e}")))?;
            match args.format {
                DevicesFormat::Table => list(&devs),
                DevicesFormat::Json => json(serde_json::to_value(&devs).map_err(|e| CliError::Internal(e.to_string()))?)?,
                DevicesFormat::Toml => return Err(CliError::Input("--format toml shows one device: name it (llmfab devices h100-sxm --format toml)".into())),
            }
        }
        Some(name) => {
            let d = catalog::resolve(name)?;
            match args.format {
                DevicesFormat::Table => show(&d),
                DevicesFormat::Json => {
                    json(serde_json::to_value(&d).map_err(|e| CliError::Internal(e.to_string()))?)?
                }
                DevicesFormat::Toml => match catalog::entry(name) {
                    Some(e) if !std::path::Path::new(name).is_file() => e.toml.to_string(),
                    _ => std::fs::read_to_string(name)
                        .map_err(|e| CliError::Input(format!("{name}: {e}")))?,
                },
            }
        }
    };
    emit(text.as_bytes())
}
