//! safetensors importer: reads the header's dtypes and shapes, checks every
//! tensor against the `config.json` beside the file, and derives the stored
//! weight precision (fp16, bf16, int8, fp8, or GPTQ/AWQ 4-bit packed into
//! `int32` `qweight` tensors with `quantization_config` in the config).
//!
//! Tensors llmfab does not model are ignored but counted. Shards
//! (`model-00001-of-00003.safetensors`) may lack tensors; a single file must
//! hold every weight the graph needs.

mod header;
mod names;

pub use header::{parse, Dtype, SafetensorsHeader, StTensor, MAX_HEADER};
pub use names::{canonical, expected, Expected};

use crate::quant::{FloatFormat, QuantOverride, QuantScheme};
use crate::spec::ModelSpec;
use crate::ModelError;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// GPTQ/AWQ parameters from `quantization_config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedQuant {
    /// `quant_method` (`gptq`, `awq`).
    pub method: String,
    /// Bits per weight.
    pub bits: u32,
    /// Group size (`None` for per-channel, `group_size: -1`).
    pub group: Option<u32>,
}

/// A model imported from a safetensors file and its config.
#[derive(Clone, Debug)]
pub struct SafetensorsModel {
    /// Hyper-parameters (from config.json).
    pub spec: ModelSpec,
    /// Precision of the stored weights.
    pub quant: QuantScheme,
    /// Tensors checked against the config.
    pub checked: usize,
    /// Tensors llmfab does not model.
    pub ignored: usize,
}

/// Reads the header of a safetensors file.
pub fn read_header(path: &Path) -> Result<SafetensorsHeader, ModelError> {
    let file = path.display().to_string();
    let io = |source| ModelError::Io {
        file: file.clone(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    parse(f, len, &file)
}

/// Imports a `.safetensors` file with the `config.json` in its folder.
pub fn load(path: &Path) -> Result<SafetensorsModel, ModelError> {
    let file = path.display().to_string();
    let cfg_path = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("config.json");
    if !cfg_path.is_file() {
        return Err(ModelError::Parse {
            file,
            field: "config.json".into(),
            expected: format!(
                "a config.json beside the safetensors file (looked for {})",
                cfg_path.display()
            ),
        });
    }
    let cfg_file = cfg_path.display().to_string();
    let cfg = crate::hf::parse_json(&crate::hf::read_text(&cfg_path)?, &cfg_file)?;
    let mut spec = crate::hf::spec_from_json(&cfg, &cfg_file)?;
    spec.name = path
        .file_stem()
        .map_or_else(|| file.clone(), |s| s.to_string_lossy().into_owned());
    spec.source = format!("{file} (config {cfg_file})");
    let packed = packed_quant(&cfg, &cfg_file)?;
    let header = read_header(path)?;
    let shard = path
        .file_name()
        .is_some_and(|n| is_shard(&n.to_string_lossy()));
    import(&header, spec, packed.as_ref(), shard, &file)
}

/// True for shard file names (`model-00001-of-00003.safetensors`), which
/// may hold only some of the tensors.
pub fn is_shard(file_name: &str) -> bool {
    file_name.contains("-of-")
}

/// Reads `quantization_config` (GPTQ/AWQ) from a parsed config.json.
pub fn packed_quant(cfg: &Value, file: &str) -> Result<Option<PackedQuant>, ModelError> {
    let Some(q) = cfg.get("quantization_config").filter(|q| !q.is_null()) else {
        return Ok(None);
    };
    let bad = |field: &str, expected: &str| ModelError::Parse {
        file: file.to_string(),
        field: format!("quantization_config.{field}"),
        expected: expected.to_string(),
    };
    let method = q
        .get("quant_method")
        .and_then(Value::as_str)
        .unwrap_or("gptq")
        .to_string();
    let Some(bits) = q.get("bits").or_else(|| q.get("w_bit")) else {
        return Ok(None);
    };
    let bits = bits
        .as_u64()
        .filter(|b| [2, 3, 4, 8].contains(b))
        .ok_or_else(|| bad("bits", "2, 3, 4 or 8"))? as u32;
    let group = match q
        .get("group_size")
        .or_else(|| q.get("q_group_size"))
        .and_then(Value::as_i64)
    {
        None | Some(-1) => None,
        Some(g) if g > 0 && g <= 1 << 20 => Some(g as u32),
        Some(_) => return Err(bad("group_size", "a positive group size or -1")),
    };
    Ok(Some(PackedQuant {
        method,
        bits,
        group,
    }))
}

/// How one op's weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stored {
    /// Unpacked elements of this dtype (int8 and fp8 with per-channel scales).
    Plain(Dtype),
    /// GPTQ/AWQ packed integers.
    Packed,
}

/// Storage of one op's weights, summed over its tensors (experts, tables).
#[derive(Clone, Copy, Debug)]
struct OpStore {
    stored: Stored,
    elements: u64,
    /// Input features (per-channel scales are amortised over them).
    k: u64,
}

fn record(ops: &mut BTreeMap<String, OpStore>, op: &str, stored: Stored, e: &Expected) {
    let entry = ops.entry(op.to_string()).or_insert(OpStore {
        stored,
        elements: 0,
        k: e.k,
    });
    entry.elements += e.k * e.n;
}

/// Checks a header against the spec and derives the scheme. Mismatches are
/// collected and reported together, each naming its tensor.
pub fn import(
    h: &SafetensorsHeader,
    spec: ModelSpec,
    packed: Option<&PackedQuant>,
    shard: bool,
    file: &str,
) -> Result<SafetensorsModel, ModelError> {
    let want = expected(&spec);
    let mut problems = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut ops: BTreeMap<String, OpStore> = BTreeMap::new();
    let (mut checked, mut ignored) = (0, 0);
    for (name, t) in &h.tensors {
        let canon = canonical(name, spec.family);
        if let Some((key, e)) = want.get_key_value(&canon) {
            checked += 1;
            seen.insert(key.as_str());
            if t.shape != e.shape {
                problems.push(format!(
                    "tensor '{name}': expected shape {:?} from config.json, found {:?}",
                    e.shape, t.shape
                ));
            } else if let Some(op) = &e.op {
                record(&mut ops, op, Stored::Plain(t.dtype), e);
            }
            continue;
        }
        // GPTQ / AWQ packed tensors: <linear>.qweight, .qzeros, .scales, .g_idx
        let packed_part = ["qweight", "qzeros", "scales", "g_idx"]
            .iter()
            .find_map(|s| {
                canon
                    .strip_suffix(&format!(".{s}"))
                    .map(|base| (*s, format!("{base}.weight")))
            });
        match packed_part
            .and_then(|(part, base)| want.get_key_value(&base).map(|(k, e)| (part, k, e)))
        {
            Some((part, key, e)) => {
                checked += 1;
                let Some(p) = packed else {
                    problems.push(format!("tensor '{name}': packed {part} tensors need quantization_config.bits in config.json"));
                    continue;
                };
                if let Some(why) = check_packed(part, t, e, p) {
                    problems.push(format!("tensor '{name}': {why}"));
                } else if part == "qweight" {
                    seen.insert(key.as_str());
                    if let Some(op) = &e.op {
                        record(&mut ops, op, Stored::Packed, e);
                    }
                }
            }
            None => ignored += 1,
        }
    }
    if !shard {
        let missing: Vec<&str> = want
            .iter()
            .filter(|(k, e)| !e.optional && !seen.contains(k.as_str()))
            .map(|(k, _)| k.as_str())
            .collect();
        if !missing.is_empty() {
            let more = if missing.len() > 8 {
                format!(" and {} more", missing.len() - 8)
            } else {
                String::new()
            };
            problems.push(format!(
                "missing tensors the config implies: {}{more}",
                missing[..missing.len().min(8)].join(", ")
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ModelError::Invalid {
            what: format!("{file}: tensors do not match config.json"),
            problems,
        });
    }
    let quant = scheme(&ops, packed);
    Ok(SafetensorsModel {
        spec,
        quant,
        checked,
        ignored,
    })
}

/// Element-count checks of a GPTQ/AWQ tensor (layouts differ between the
/// two, element counts do not).
fn check_packed(part: &str, t: &StTensor, e: &Expected, p: &PackedQuant) -> Option<String> {
    let groups = p.group.map_or(1, |g| e.k.div_ceil(u64::from(g)));
    let bits = u64::from(p.bits);
    let (want, what) = match part {
        "qweight" => (
            e.k * e.n * bits / 32,
            format!("{}x{} weights of {bits} bits packed in int32", e.k, e.n),
        ),
        "qzeros" => (
            (groups * e.n * bits).div_ceil(32),
            format!("{groups} groups x {} zero points packed in int32", e.n),
        ),
        "scales" => (groups * e.n, format!("{groups} groups x {} scales", e.n)),
        _ => (e.k, format!("{} group indices", e.k)),
    };
    let int = matches!(t.dtype, Dtype::I32 | Dtype::U32);
    if part != "scales" && !int {
        return Some(format!("expected an I32 tensor, found {}", t.dtype.name()));
    }
    (t.elements() != want).then(|| {
        format!(
            "expected {want} elements ({what}), found {} (shape {:?})",
            t.elements(),
            t.shape
        )
    })
}

/// A scheme with 16-bit activations and KV cache.
fn base(
    name: &str,
    weight_bits: u32,
    group: Option<u32>,
    scale_bits: u32,
    zero_point_bits: u32,
) -> QuantScheme {
    QuantScheme {
        name: name.into(),
        weight_bits,
        act_bits: 16,
        kv_bits: 16,
        group_size: group,
        scale_bits,
        zero_point_bits,
        float: FloatFormat::Fp16,
        overrides: Vec::new(),
    }
}

/// The scheme of weights stored as `s`: GPTQ/AWQ with fp16 scales and
/// `bits`-wide zero points per group; int8 and fp8 with one fp16 scale per
/// output channel; floats as they are.
fn stored_scheme(s: Stored, packed: Option<&PackedQuant>) -> QuantScheme {
    match (s, packed) {
        (Stored::Packed, Some(p)) => {
            let name = match p.group {
                Some(g) => format!("{}:w{}a16g{g}", p.method, p.bits),
                None => format!("{}:w{}a16", p.method, p.bits),
            };
            base(&name, p.bits, p.group, 16, p.bits)
        }
        (Stored::Plain(Dtype::Bf16), _) => {
            let mut q = base("bf16", 16, None, 0, 0);
            q.float = FloatFormat::Bf16;
            q
        }
        (Stored::Plain(Dtype::F32), _) => base("fp32", 32, None, 0, 0),
        (Stored::Plain(Dtype::F64), _) => base("fp64", 64, None, 0, 0),
        (Stored::Plain(Dtype::I8 | Dtype::U8), _) => base("int8", 8, None, 16, 0),
        (Stored::Plain(Dtype::F8E4M3), _) => base("fp8-e4m3", 8, None, 16, 0),
        (Stored::Plain(Dtype::F8E5M2), _) => base("fp8-e5m2", 8, None, 16, 0),
        _ => base("fp16", 16, None, 0, 0),
    }
}

/// The base scheme is how most decoder-layer weights are stored; every op
/// stored differently gets an exact override, and so does the embedding
/// when it is not 16-bit (the embedding defaults to 16 bits).
fn scheme(ops: &BTreeMap<String, OpStore>, packed: Option<&PackedQuant>) -> QuantScheme {
    let mut by_kind: BTreeMap<Stored, u64> = BTreeMap::new();
    for (op, o) in ops {
        if op.starts_with("layer") {
            *by_kind.entry(o.stored).or_default() += o.elements;
        }
    }
    let dominant = by_kind
        .iter()
        .max_by_key(|(s, n)| (**n, std::cmp::Reverse(**s)))
        .map_or(Stored::Plain(Dtype::F16), |(s, _)| *s);
    let mut q = stored_scheme(dominant, packed);
    for (op, o) in ops {
        let own = stored_scheme(o.stored, packed);
        let embed_16 = op == "embed" && own.weight_bits == 16;
        if (o.stored != dominant || op == "embed") && !embed_16 {
            q.overrides.push(QuantOverride {
                pattern: op.clone(),
                bits_per_weight: own.bits_per_weight_for(own.weight_bits, o.k),
                weight_bits: own.weight_bits,
                label: format!("safetensors {}", own.name),
            });
        }
    }
    q
}
