//! Lowering: Graph × EngineConfig × quantisation → one engine program per
//! phase. The pipeline is written out in [`lower_phase`] (per phase) and
//! [`prepare`] (what all phases of a build share), one pass per file, with
//! an optional verifier after the passes that produce instructions.
//!
//! | pass | file | what it does |
//! |---|---|---|
//! | kernels | `kernels.rs` | graph ops → engine kernels over ABUF values (legalize) |
//! | quant | `../qplan.rs` | static scales → integer constants |
//! | tiling | `tiling.rs` | weight matrices → chunks of one weight-buffer slot |
//! | params | `params.rs` | SBUF blobs per layer (analysis) |
//! | place | `place.rs` | the HBM memory map |
//! | alloc | `alloc.rs` | per phase: block height and on-chip layout |
//! | emit | `emit/` | kernels → instructions with provenance |
//! | tokens | `tokens.rs` | dependency flags from footprints (uses `deps.rs`) |
//! | verify | `verify.rs` | bounds, token balance, races, `llmfab_isa::check` |

pub mod alloc;
pub mod deps;
pub mod emit;
pub mod footprint;
pub mod kernels;
pub mod params;
pub mod place;
pub mod tiling;
pub mod tokens;
pub mod verify;

use crate::memmap::MemMap;
use crate::qplan::{Calibration, QuantPlan};
use crate::support::EngineQuant;
use crate::CompileError;
use llmfab_isa::instr::Instr;
use llmfab_isa::{EngineConfig, Program};
use llmfab_models::graph::OpKind;
use llmfab_models::Graph;
use serde::{Deserialize, Serialize};

/// One phase to compile: `seq` new tokens of each of `batch` sequences,
/// whose last one attends to `kv_len` positions (the first new token is at
/// position `kv_len - seq`). A batch of more than one sequence is a batched
/// decode step (`seq = 1`): row `i` of the program is sequence `i`, every
/// sequence at the same position, each with its own KV cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// File stem (`prefill_128`, `decode_4096`, `decode_4096_b8`).
    pub name: String,
    /// New tokens per sequence.
    pub seq: u64,
    /// Positions the last new token attends to (its own included).
    pub kv_len: u64,
    /// Sequences decoded together (1 but in a batched decode step).
    #[serde(default = "crate::one_sequence")]
    pub batch: u64,
}

impl Phase {
    /// Prefill of a prompt of `seq` tokens.
    pub fn prefill(seq: u64) -> Phase {
        Phase {
            name: format!("prefill_{seq}"),
            seq,
            kv_len: seq,
            batch: 1,
        }
    }
    /// One decode step whose token attends to `kv_len` positions.
    pub fn decode(kv_len: u64) -> Phase {
        Phase {
            name: format!("decode_{kv_len}"),
            seq: 1,
            kv_len,
            batch: 1,
        }
    }
    /// One decode step of `batch` sequences, each attending to `kv_len`
    /// positions of its own KV cache (`decode_{kv_len}` for one sequence).
    pub fn decode_batch(kv_len: u64, batch: u64) -> Phase {
        if batch == 1 {
            return Phase::decode(kv_len);
        }
        Phase {
            name: format!("decode_{kv_len}_b{batch}"),
            seq: 1,
            kv_len,
            batch,
        }
    }
    /// Program rows: new tokens of every sequence.
    pub fn rows(&self) -> u64 {
        self.seq * self.batch
    }
    /// True for a decode step of more than one sequence.
    pub fn is_batched(&self) -> bool {
        self.batch > 1
    }
    /// Position of the first new token.
    pub fn start(&self) -> u64 {
        self.kv_len - self.seq
    }
    /// True for a one-token (decode) phase.
    pub fn is_decode(&self) -> bool {
        self.seq == 1
    }
}

/// Lowering options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LowerOptions {
    /// Run the verifiers after the passes (bounds, tokens, races, ISA check).
    pub verify: bool,
    /// Store every layer's output rows to a debug region (for tests).
    pub debug_dumps: bool,
    /// Calibration statistics (nominal ranges when `None`).
    pub calibration: Option<Calibration>,
    /// Capacity of one memory channel in bytes.
    pub channel_bytes: u64,
    /// RoPE base frequency (from the model spec).
    pub rope_theta: f64,
}

impl Default for LowerOptions {
    fn default() -> Self {
        LowerOptions {
            verify: true,
            debug_dumps: false,
            calibration: None,
            channel_bytes: 256 << 20,
            rope_theta: 10000.0,
        }
    }
}

/// What every phase of a build shares: kernels, quantisation plan, weight
/// tiling, SBUF blobs and the memory map.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The kernel program.
    pub kernels: kernels::Kernels,
    /// Quantisation plan.
    pub plan: QuantPlan,
    /// Weight chunks.
    pub tiling: tiling::WeightTiling,
    /// SBUF blobs.
    pub params: params::Params,
    /// HBM memory map.
    pub map: MemMap,
    /// Provenance names (op names by op id, then extra names).
    pub names: Vec<String>,
    /// Remarks for the report (host fallbacks).
    pub notes: Vec<String>,
}

/// Shared context of the emit passes.
pub struct Ctx<'a> {
    /// Engine.
    pub cfg: &'a EngineConfig,
    /// Model graph.
    pub graph: &'a Graph,
    /// Kernels.
    pub ks: &'a kernels::Kernels,
    /// Quantisation plan.
    pub plan: &'a QuantPlan,
    /// Weight chunks.
    pub wt: &'a tiling::WeightTiling,
    /// SBUF blobs.
    pub params: &'a params::Params,
    /// Memory map.
    pub map: &'a MemMap,
    /// Per op id: layer ordinal of a kv_write op (its KV-cache slot).
    pub kv_slot: Vec<Option<u64>>,
    /// Per op id: kernel index of a kv_write op.
    pub kv_kernel: Vec<Option<usize>>,
    /// Head width (0 without attention).
    pub head_dim: u64,
}

/// A compiled phase: instructions with provenance ids into `names`.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledPhase {
    /// The phase.
    pub phase: Phase,
    /// Instructions in program order.
    pub instrs: Vec<Instr>,
    /// Provenance of each instruction (index into the build's names).
    pub prov: Vec<u32>,
    /// The on-chip layout.
    pub layout: alloc::Layout,
}

impl CompiledPhase {
    /// The program with provenance strings.
    pub fn program(&self, names: &[String]) -> Program {
        let mut p = Program::new();
        for (ins, &pv) in self.instrs.iter().zip(&self.prov) {
            p.push_from(*ins, names.get(pv as usize).cloned().unwrap_or_default());
        }
        p
    }
}

/// Checks what the lowering needs of `cfg` for this model, collecting every problem.
pub fn check_config(
    cfg: &EngineConfig,
    ks: &kernels::Kernels,
    eq: &EngineQuant,
) -> Result<(), CompileError> {
    let mut p = Vec::new();
    if let Err(e) = cfg.validate() {
        p.push(e.to_string());
    }
    if cfg.weight_bits != eq.weight_bits {
        p.push(format!(
            "weight_bits = {}, but the scheme quantizes weights to {} bits",
            cfg.weight_bits, eq.weight_bits
        ));
    }
    if cfg.act_bits != eq.act_bits {
        p.push(format!(
            "act_bits = {}, but the scheme uses {}-bit activations",
            cfg.act_bits, eq.act_bits
        ));
    }
    if cfg.kv_bits != eq.kv_bits {
        p.push(format!(
            "kv_bits = {}, but the scheme stores the KV cache at {} bits",
            cfg.kv_bits, eq.kv_bits
        ));
    }
    if cfg.group_size != eq.group_size {
        p.push(format!(
            "group_size = {}, but the scheme's scales cover groups of {}",
            cfg.group_size, eq.group_size
        ));
    }
    let unit = (cfg.rows as u64).max(cfg.sfu_lanes as u64);
    for k in &ks.kernels {
        for v in k.views() {
            if v.col % unit != 0 {
                p.push(format!(
                    "op {}: a view starts at column {} of '{}', not a multiple of max(rows, sfu_lanes) = {unit}",
                    k.op, v.col, ks.values[v.value as usize].name
                ));
            }
        }
        if let kernels::KernelKind::Attention { head_dim, .. }
        | kernels::KernelKind::KvWrite { head_dim, .. } = k.kind
        {
            if head_dim % unit != 0 {
                p.push(format!(
                    "head_dim = {head_dim} is not a multiple of max(rows, sfu_lanes) = {unit}"
                ));
            }
            if head_dim * cfg.kv_bits as u64 > cfg.kv_row_bytes as u64 * 8 {
                p.push(format!(
                    "kv_row_bytes = {} cannot hold a head of {head_dim} × {} bits",
                    cfg.kv_row_bytes, cfg.kv_bits
                ));
            }
        }
    }
    p.dedup();
    if p.is_empty() {
        Ok(())
    } else {
        Err(CompileError::Config {
            name: cfg.name.clone(),
            problems: p,
        })
    }
}

/// The build-level passes: kernels, quantisation plan, tiling, SBUF blobs
/// and the memory map for every phase in `phases`.
pub fn prepare(
    graph: &Graph,
    cfg: &EngineConfig,
    eq: &EngineQuant,
    phases: &[Phase],
    opts: &LowerOptions,
    model: &str,
) -> Result<Prepared, CompileError> {
    let ks = kernels::run(graph)?;
    check_config(cfg, &ks, eq)?;
    let plan = QuantPlan::new(graph, eq, opts.calibration.as_ref());
    let n_ops = plan.ops.len();
    let wt = tiling::run(cfg, &ks, n_ops)?;
    let params = params::run(cfg, &ks);
    let rope_dim = ks
        .kernels
        .iter()
        .find_map(|k| {
            if let kernels::KernelKind::Rope { head_dim, .. } = k.kind {
                Some(head_dim)
            } else {
                None
            }
        })
        .unwrap_or(0);
    let need = place::Need {
        max_seq: phases.iter().map(|p| p.rows()).max().unwrap_or(1),
        max_batch: phases.iter().map(|p| p.batch).max().unwrap_or(1),
        max_positions: phases.iter().map(|p| p.kv_len).max().unwrap_or(1),
        channel_bytes: opts.channel_bytes,
        debug: opts.debug_dumps,
        rope_dim,
    };
    let map = place::run(cfg, graph, &ks, &wt, &params, &need, model)?;
    let mut names: Vec<String> = vec![String::new(); n_ops];
    for (id, op) in graph.ops() {
        names[id.0 as usize] = op.name.clone();
    }
    let notes = ks.notes.clone();
    Ok(Prepared {
        kernels: ks,
        plan,
        tiling: wt,
        params,
        map,
        names,
        notes,
    })
}

/// The per-phase pipeline: alloc → emit → tokens, verified after emit and tokens.
pub fn lower_phase(
    pre: &Prepared,
    graph: &Graph,
    cfg: &EngineConfig,
    phase: &Phase,
    opts: &LowerOptions,
) -> Result<CompiledPhase, CompileError> {
    if phase.seq == 0 || phase.kv_len < phase.seq || phase.batch == 0 {
        return Err(CompileError::Arg {
            what: format!("phase {}", phase.name),
            message: format!(
                "expected 1 ≤ seq ≤ kv_len and batch ≥ 1, got seq {}, kv_len {}, batch {}",
                phase.seq, phase.kv_len, phase.batch
            ),
        });
    }
    if phase.batch > 1 && phase.seq != 1 {
        return Err(CompileError::Arg {
            what: format!("phase {}", phase.name),
            message: format!(
                "a batch of {} sequences is lowered for decode steps (seq 1), not for seq {}",
                phase.batch, phase.seq
            ),
        });
    }
    if phase.kv_len > pre.map.kv.positions.max(1)
        || phase.rows() > pre.map.input.2
        || phase.batch > pre.map.kv.seqs.max(1)
    {
        return Err(CompileError::Arg {
            what: format!("phase {}", phase.name),
            message: "was not among the phases the memory map was prepared for".into(),
        });
    }
    let cx = ctx(pre, graph, cfg);
    let t = std::time::Instant::now();
    let layout = alloc::run(cfg, &pre.kernels, &pre.tiling, &pre.params, phase)?;
    let (instrs, prov) = emit::run(&cx, &layout, phase);
    trace("emit", t);
    if opts.verify {
        verify::bounds(cfg, &pre.map, &instrs, &prov, &pre.names).map_err(|p| {
            CompileError::Verify {
                pass: "emit",
                problems: p,
            }
        })?;
        trace("bounds", t);
    }
    let (instrs, prov) = tokens::run(cfg, instrs, prov);
    trace("tokens", t);
    if opts.verify {
        verify::tokens(&instrs, &prov, &pre.names).map_err(|p| CompileError::Verify {
            pass: "tokens",
            problems: p,
        })?;
        verify::races(cfg, &instrs, &prov, &pre.names).map_err(|p| CompileError::Verify {
            pass: "tokens",
            problems: p,
        })?;
        trace("races", t);
        let cp = CompiledPhase {
            phase: phase.clone(),
            instrs: instrs.clone(),
            prov: prov.clone(),
            layout: layout.clone(),
        };
        llmfab_isa::check_program(cfg, &cp.program(&pre.names)).map_err(|e| {
            CompileError::Verify {
                pass: "tokens",
                problems: vec![truncate(e.to_string())],
            }
        })?;
    }
    Ok(CompiledPhase {
        phase: phase.clone(),
        instrs,
        prov,
        layout,
    })
}

fn trace(what: &str, t: std::time::Instant) {
    if std::env::var_os("LLMFAB_TRACE").is_some() {
        eprintln!("  {what}: {:?}", t.elapsed());
    }
}

fn truncate(s: String) -> String {
    if s.len() > 2000 {
        format!(
            "{}…",
            &s[..s
                .char_indices()
                .take_while(|(i, _)| *i < 2000)
                .last()
                .map_or(0, |(i, _)| i)]
        )
    } else {
        s
    }
}

/// The emit context of a prepared build.
pub fn ctx<'a>(pre: &'a Prepared, graph: &'a Graph, cfg: &'a EngineConfig) -> Ctx<'a> {
    let n = pre.plan.ops.len();
    let mut kv_slot = vec![None; n];
    let mut kv_kernel = vec![None; n];
    let mut head_dim = 0;
    let mut slot = 0;
    for (i, k) in pre.kernels.kernels.iter().enumerate() {
        if let kernels::KernelKind::KvWrite { head_dim: d, .. } = k.kind {
            kv_slot[k.op.0 as usize] = Some(slot);
            kv_kernel[k.op.0 as usize] = Some(i);
            slot += 1;
            head_dim = d;
        }
    }
    let _ = graph
        .ops()
        .any(|(_, o)| matches!(o.kind, OpKind::Rope { .. }));
    Ctx {
        cfg,
        graph,
        ks: &pre.kernels,
        plan: &pre.plan,
        wt: &pre.tiling,
        params: &pre.params,
        map: &pre.map,
        kv_slot,
        kv_kernel,
        head_dim,
    }
}
