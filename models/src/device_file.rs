//! Reading a device description from TOML (the built-in catalog's files and
//! the user's `--device FILE.toml` share one schema).
//!
//! Every number is an inline table `{ value = 3.35e12, source = "..." }`.
//! The reader checks the whole file and reports every problem at once, each
//! naming the file, the field (`memory.bandwidth`) and what was expected.
//! Unknown keys are errors too (with the closest known key), so a typo never
//! silently falls back to nothing. See `models/devices/h100-sxm.toml` for a
//! GPU and `models/devices/u280.toml` for an FPGA board.

use crate::device::{
    Device, DeviceKind, Efficiency, Energy, Fpga, FpgaResources, Link, Memory, Val,
};
use crate::quant::Precision;
use crate::ModelError;
use std::collections::BTreeMap;
use toml::{Table, Value};

const TOP: &[&str] = &[
    "name",
    "display",
    "kind",
    "memory",
    "on_chip_bytes",
    "peak_ops",
    "vector_ops",
    "compute_units",
    "energy",
    "efficiency",
    "links",
    "price_per_hour",
    "fpga",
];
const MEMORY: &[&str] = &["capacity", "bandwidth", "kind"];
const ENERGY: &[&str] = &[
    "pj_per_op",
    "pj_per_vector_op",
    "dram_pj_per_bit",
    "sram_pj_per_bit",
    "static_w",
    "max_w",
];
const EFFICIENCY: &[&str] = &[
    "bandwidth",
    "matmul",
    "attention",
    "vector",
    "kernel_overhead_s",
    "skinny_m",
];
const LINK: &[&str] = &["bandwidth", "latency"];
const FPGA: &[&str] = &[
    "part",
    "platform",
    "slrs",
    "device",
    "user",
    "user_source",
    "dsp_kind",
    "mem_channels",
    "channel_bandwidth",
    "clock_hz",
    "default_rows",
    "default_cols",
    "default_sfu_lanes",
    "macs_per_dsp",
];
const RESOURCES: &[&str] = &["lut", "ff", "dsp", "bram36", "uram"];
const PRECISIONS: &[&str] = &["int2", "int4", "int8", "fp8", "fp16", "bf16", "fp32"];

/// Which values a number may take.
#[derive(Clone, Copy)]
enum Range {
    /// Strictly positive.
    Positive,
    /// Zero or more.
    NonNegative,
    /// A fraction in (0, 1].
    Fraction,
}

struct Reader {
    problems: Vec<(String, String)>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Reader {
    fn fail(&mut self, field: String, expected: impl Into<String>) {
        self.problems.push((field, expected.into()));
    }

    fn keys(&mut self, t: &Table, path: &str, allowed: &[&str]) {
        for k in t.keys() {
            if !allowed.contains(&k.as_str()) {
                let near = crate::suggest::closest(k, allowed.iter().copied());
                let hint = near
                    .first()
                    .map(|n| format!(" (did you mean '{n}'?)"))
                    .unwrap_or_default();
                self.fail(
                    join(path, k),
                    format!("no such field{hint}; known fields: {}", allowed.join(", ")),
                );
            }
        }
    }

    /// A top-level section; when it is missing or not a table, the second
    /// value tells [`Reader::quiet`] where to cut its children's complaints.
    fn section<'a>(&mut self, t: &'a Table, key: &str) -> (Option<&'a Table>, Option<usize>) {
        let s = self.table(t, "", key);
        (
            s,
            if s.is_none() {
                Some(self.problems.len())
            } else {
                None
            },
        )
    }

    /// Drops the problems reported since `mark` (children of a missing section).
    fn quiet(&mut self, mark: Option<usize>) {
        if let Some(m) = mark {
            self.problems.truncate(m);
        }
    }

    fn table<'a>(&mut self, t: &'a Table, path: &str, key: &str) -> Option<&'a Table> {
        match t.get(key) {
            Some(Value::Table(x)) => Some(x),
            Some(_) => {
                self.fail(join(path, key), "a table");
                None
            }
            None => {
                self.fail(join(path, key), "a table (missing)");
                None
            }
        }
    }

    fn string(&mut self, t: &Table, path: &str, key: &str) -> String {
        match t.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(_) => {
                self.fail(join(path, key), "a non-empty string");
                String::new()
            }
            None => {
                self.fail(join(path, key), "a non-empty string (missing)");
                String::new()
            }
        }
    }

    fn uint(&mut self, t: &Table, path: &str, key: &str) -> u64 {
        match t.get(key) {
            Some(Value::Integer(i)) if *i > 0 => *i as u64,
            _ => {
                self.fail(join(path, key), "a positive integer");
                0
            }
        }
    }

    fn val_of(&mut self, v: Option<&Value>, field: String, range: Range) -> Val {
        let want = match range {
            Range::Positive => "a positive number",
            Range::NonNegative => "a number >= 0",
            Range::Fraction => "a fraction in (0, 1]",
        };
        let expected = format!("{{ value = <{want}>, source = \"<where it comes from>\" }}");
        let Some(Value::Table(t)) = v else {
            self.fail(
                field,
                format!("{expected}{}", if v.is_none() { " (missing)" } else { "" }),
            );
            return Val::new(0.0, "");
        };
        self.keys(t, &field, &["value", "source"]);
        let value = match t.get("value") {
            Some(Value::Float(f)) => Some(*f),
            Some(Value::Integer(i)) => Some(*i as f64),
            _ => None,
        };
        let ok = value.is_some_and(|x| {
            x.is_finite()
                && match range {
                    Range::Positive => x > 0.0,
                    Range::NonNegative => x >= 0.0,
                    Range::Fraction => x > 0.0 && x <= 1.0,
                }
        });
        if !ok {
            self.fail(format!("{field}.value"), want);
        }
        let source = match t.get("source") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => {
                self.fail(
                    format!("{field}.source"),
                    "a non-empty string naming where the value comes from",
                );
                String::new()
            }
        };
        Val::new(value.unwrap_or(0.0), source)
    }

    fn val(&mut self, t: &Table, path: &str, key: &str, range: Range) -> Val {
        self.val_of(t.get(key), join(path, key), range)
    }

    fn opt_val(&mut self, t: &Table, path: &str, key: &str, range: Range) -> Option<Val> {
        t.get(key)
            .map(|v| self.val_of(Some(v), join(path, key), range))
    }

    fn precision_map(&mut self, t: &Table, path: &str, key: &str) -> BTreeMap<Precision, Val> {
        let mut out = BTreeMap::new();
        let Some(m) = self.table(t, path, key) else {
            return out;
        };
        let here = join(path, key);
        self.keys(m, &here, PRECISIONS);
        for (k, v) in m {
            if let Some(p) = Precision::parse(k) {
                let val = self.val_of(Some(v), join(&here, k), Range::Positive);
                out.insert(p, val);
            }
        }
        if m.is_empty() {
            self.fail(
                here,
                format!("at least one precision ({})", PRECISIONS.join(", ")),
            );
        }
        out
    }

    fn resources(&mut self, t: &Table, path: &str, key: &str) -> FpgaResources {
        let empty = Table::new();
        let r = self.table(t, path, key).unwrap_or(&empty);
        let here = join(path, key);
        self.keys(r, &here, RESOURCES);
        FpgaResources {
            lut: self.uint(r, &here, "lut"),
            ff: self.uint(r, &here, "ff"),
            dsp: self.uint(r, &here, "dsp"),
            bram36: self.nonneg_uint(r, &here, "bram36"),
            uram: self.nonneg_uint(r, &here, "uram"),
        }
    }

    fn nonneg_uint(&mut self, t: &Table, path: &str, key: &str) -> u64 {
        match t.get(key) {
            Some(Value::Integer(i)) if *i >= 0 => *i as u64,
            _ => {
                self.fail(join(path, key), "an integer >= 0");
                0
            }
        }
    }

    fn fpga(&mut self, t: &Table) -> Fpga {
        let p = "fpga";
        self.keys(t, p, FPGA);
        let small = |r: &mut Self, k: &str| u32::try_from(r.uint(t, p, k)).unwrap_or(0);
        let macs_per_dsp = self.precision_map(t, p, "macs_per_dsp");
        Fpga {
            part: self.string(t, p, "part"),
            platform: self.string(t, p, "platform"),
            slrs: small(self, "slrs"),
            device: self.resources(t, p, "device"),
            user: self.resources(t, p, "user"),
            user_source: self.string(t, p, "user_source"),
            dsp_kind: self.string(t, p, "dsp_kind"),
            mem_channels: small(self, "mem_channels"),
            channel_bandwidth: self.val(t, p, "channel_bandwidth", Range::Positive),
            clock_hz: self.val(t, p, "clock_hz", Range::Positive),
            default_rows: small(self, "default_rows"),
            default_cols: small(self, "default_cols"),
            default_sfu_lanes: small(self, "default_sfu_lanes"),
            macs_per_dsp,
        }
    }

    fn device(&mut self, t: &Table) -> Device {
        self.keys(t, "", TOP);
        let kind = match t.get("kind").and_then(Value::as_str) {
            Some("gpu") => DeviceKind::Gpu,
            Some("fpga") => DeviceKind::Fpga,
            _ => {
                self.fail("kind".into(), "\"gpu\" or \"fpga\"");
                DeviceKind::Gpu
            }
        };
        let empty = Table::new();
        let (mem, n) = self.section(t, "memory");
        let mem = mem.unwrap_or(&empty);
        self.keys(mem, "memory", MEMORY);
        let memory = Memory {
            capacity: self.val(mem, "memory", "capacity", Range::Positive),
            bandwidth: self.val(mem, "memory", "bandwidth", Range::Positive),
            kind: self.string(mem, "memory", "kind"),
        };
        self.quiet(n);
        let (en, n) = self.section(t, "energy");
        let en = en.unwrap_or(&empty);
        self.keys(en, "energy", ENERGY);
        let energy = Energy {
            pj_per_op: self.precision_map(en, "energy", "pj_per_op"),
            pj_per_vector_op: self.val(en, "energy", "pj_per_vector_op", Range::Positive),
            dram_pj_per_bit: self.val(en, "energy", "dram_pj_per_bit", Range::Positive),
            sram_pj_per_bit: self.val(en, "energy", "sram_pj_per_bit", Range::Positive),
            static_w: self.val(en, "energy", "static_w", Range::NonNegative),
            max_w: self.val(en, "energy", "max_w", Range::Positive),
        };
        self.quiet(n);
        let (ef, n) = self.section(t, "efficiency");
        let ef = ef.unwrap_or(&empty);
        self.keys(ef, "efficiency", EFFICIENCY);
        let efficiency = Efficiency {
            bandwidth: self.val(ef, "efficiency", "bandwidth", Range::Fraction),
            matmul: self.val(ef, "efficiency", "matmul", Range::Fraction),
            attention: self.val(ef, "efficiency", "attention", Range::Fraction),
            vector: self.val(ef, "efficiency", "vector", Range::Fraction),
            kernel_overhead_s: self.val(ef, "efficiency", "kernel_overhead_s", Range::NonNegative),
            skinny_m: self.val(ef, "efficiency", "skinny_m", Range::Positive),
        };
        self.quiet(n);
        let mut links = BTreeMap::new();
        if let Some(lt) = t.get("links") {
            match lt {
                Value::Table(lt) => {
                    for (name, l) in lt {
                        let here = join("links", name);
                        let Value::Table(l) = l else {
                            self.fail(here, "a table { bandwidth = {...}, latency = {...} }");
                            continue;
                        };
                        self.keys(l, &here, LINK);
                        let link = Link {
                            bandwidth: self.val(l, &here, "bandwidth", Range::Positive),
                            latency: self.val(l, &here, "latency", Range::NonNegative),
                        };
                        links.insert(name.to_ascii_lowercase(), link);
                    }
                }
                _ => self.fail("links".into(), "a table of named links"),
            }
        }
        let fpga = match (kind, t.get("fpga")) {
            (DeviceKind::Fpga, Some(Value::Table(f))) => Some(self.fpga(f)),
            (DeviceKind::Fpga, _) => {
                self.fail(
                    "fpga".into(),
                    "a table describing the board (kind = \"fpga\")",
                );
                None
            }
            (DeviceKind::Gpu, Some(_)) => {
                self.fail("fpga".into(), "no [fpga] table on a GPU (kind = \"gpu\")");
                None
            }
            (DeviceKind::Gpu, None) => None,
        };
        let (peak_ops, vector_ops) = match kind {
            DeviceKind::Gpu => (
                self.precision_map(t, "", "peak_ops"),
                self.val(t, "", "vector_ops", Range::Positive),
            ),
            DeviceKind::Fpga => {
                for k in ["peak_ops", "vector_ops"] {
                    if t.contains_key(k) {
                        self.fail(
                            k.into(),
                            "nothing on an FPGA board: peaks come from the engine (fpga.default_rows, default_cols, clock_hz, macs_per_dsp, default_sfu_lanes)",
                        );
                    }
                }
                (
                    BTreeMap::new(),
                    Val::new(0.0, "filled from the default engine"),
                )
            }
        };
        Device {
            name: self.string(t, "", "name").to_ascii_lowercase(),
            display: self.string(t, "", "display"),
            kind,
            memory,
            on_chip_bytes: self.val(t, "", "on_chip_bytes", Range::NonNegative),
            peak_ops,
            vector_ops,
            compute_units: self.opt_val(t, "", "compute_units", Range::Positive),
            energy,
            efficiency,
            links,
            price_per_hour: self.opt_val(t, "", "price_per_hour", Range::Positive),
            fpga,
        }
    }
}

/// Parses and checks a device description; `file` names it in errors. FPGA
/// boards get their peaks from the default engine ([`Device::fill_fpga_peaks`]).
pub fn parse_device(text: &str, file: &str) -> Result<Device, ModelError> {
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        let at = e
            .span()
            .map(|s| line_col(text, s.start))
            .unwrap_or_else(|| "document".into());
        ModelError::Parse {
            file: file.to_string(),
            field: at,
            expected: format!("valid TOML ({})", e.message()),
        }
    })?;
    let mut r = Reader {
        problems: Vec::new(),
    };
    let mut dev = r.device(&table);
    if r.problems.is_empty() {
        dev.fill_fpga_peaks()?;
    }
    match r.problems.len() {
        0 => Ok(dev),
        1 => {
            let (field, expected) = r.problems.remove(0);
            Err(ModelError::Parse {
                file: file.to_string(),
                field,
                expected,
            })
        }
        _ => Err(ModelError::Invalid {
            what: file.to_string(),
            problems: r
                .problems
                .into_iter()
                .map(|(f, e)| format!("field '{f}': expected {e}"))
                .collect(),
        }),
    }
}

/// "line L, column C" of a byte offset.
pub fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {col}")
}
