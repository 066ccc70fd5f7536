//! Shared helpers of the compiler's integration tests: a tiny model, a small
//! engine, and running a compiled phase on the reference interpreter.

#![allow(dead_code)]

use llmfab_compiler::data::{random_input, Weights};
use llmfab_compiler::golden::{self, KvCache};
use llmfab_compiler::lower::{lower_phase, prepare, CompiledPhase, LowerOptions, Phase, Prepared};
use llmfab_compiler::{engine_quant, pack, EngineQuant};
use llmfab_isa::{EngineConfig, Machine};
use llmfab_models::spec::{ActFn, Family, ModelSpec, NormKind, Positions};
use llmfab_models::{BuildOptions, Graph, QuantScheme};

/// A tiny Llama: `layers` layers, 64 wide, 4 query heads of 16, `kv_heads` KV heads.
pub fn tiny_llama(layers: u64, kv_heads: u64) -> ModelSpec {
    ModelSpec {
        name: "tiny-llama".into(),
        family: Family::Llama,
        hidden: 64,
        layers,
        heads: 4,
        kv_heads,
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

/// A small engine: R×C = 8×16, `channels` channels of 256 bits.
pub fn small_engine(eq: &EngineQuant, channels: u32) -> EngineConfig {
    EngineConfig {
        name: "small".into(),
        rows: 8,
        cols: 16,
        weight_bits: eq.weight_bits,
        act_bits: eq.act_bits,
        kv_bits: eq.kv_bits,
        group_size: eq.group_size,
        clock_mhz: 200.0,
        channels,
        port_bits: 256,
        wbuf_bytes: 64 * 8 * 16 * eq.weight_bits as u64 / 8,
        abuf_bytes: 64 * 1024,
        kvbuf_bytes: 32 * 1024,
        kv_row_bytes: 32,
        acc_bytes: 32 * 1024,
        sbuf_bytes: 8 * 1024,
        sfu_lanes: 8,
        queue_depth: 16,
        max_burst: 16,
        max_outstanding: 4,
    }
}

/// Everything a test needs about one build.
pub struct Build {
    pub spec: ModelSpec,
    pub graph: Graph,
    pub eq: EngineQuant,
    pub cfg: EngineConfig,
    pub pre: Prepared,
    pub weights: Weights,
    pub opts: LowerOptions,
}

pub fn build(
    spec: ModelSpec,
    quant: &str,
    cfg: impl Fn(&EngineQuant) -> EngineConfig,
    phases: &[Phase],
    bo: BuildOptions,
) -> Build {
    let graph = Graph::build(&spec, bo);
    let eq = engine_quant(&QuantScheme::parse(quant).unwrap()).unwrap();
    let cfg = cfg(&eq);
    let opts = LowerOptions {
        debug_dumps: true,
        ..Default::default()
    };
    let pre = prepare(&graph, &cfg, &eq, phases, &opts, &spec.name).unwrap();
    let weights = Weights::random(&graph, &pre.plan, 7);
    Build {
        spec,
        graph,
        eq,
        cfg,
        pre,
        weights,
        opts,
    }
}

impl Build {
    pub fn lower(&self, ph: &Phase) -> CompiledPhase {
        lower_phase(&self.pre, &self.graph, &self.cfg, ph, &self.opts)
            .unwrap_or_else(|e| panic!("{}: {e}", ph.name))
    }

    pub fn machine(&self) -> Machine {
        let img = pack::image(&self.cfg, &self.pre, &self.weights, 10000.0);
        Machine::new(self.cfg.clone(), img).unwrap()
    }

    /// Runs `ph` on `m` with `input` rows and compares logits, the KV cache
    /// rows written and every layer's output with the golden model.
    pub fn run_and_compare(
        &self,
        m: &mut Machine,
        ph: &Phase,
        input: &[Vec<i64>],
        cache: &mut KvCache,
    ) {
        let cp = self.lower(ph);
        pack::write_input(&self.cfg, &self.pre, &mut m.hbm, input);
        let prog = cp.program(&self.pre.names);
        m.run(&prog).unwrap_or_else(|e| panic!("{}: {e}", ph.name));
        let out = golden::run(
            &self.graph,
            &self.pre.plan,
            &self.weights,
            10000.0,
            input,
            ph.start(),
            cache,
        );
        for (l, rows) in out.layers.iter().enumerate() {
            let got = pack::read_debug(&self.cfg, &self.pre, &m.hbm, l as u64, input.len() as u64)
                .unwrap();
            assert_eq!(&got, rows, "{}: layer {l} output rows differ", ph.name);
        }
        let d = self.spec.head_dim;
        for (l, (ck, cv)) in cache.k.iter().zip(&cache.v).enumerate() {
            for p in ph.start()..ph.kv_len {
                for j in 0..self.spec.kv_heads {
                    let row = |kind| pack::KvRow {
                        seq: 0,
                        layer: l as u64,
                        head: j,
                        kind,
                        pos: p,
                    };
                    let gk = pack::read_kv(&self.cfg, &self.pre, &m.hbm, row(0), d);
                    let gv = pack::read_kv(&self.cfg, &self.pre, &m.hbm, row(1), d);
                    let r = (j * d) as usize..((j + 1) * d) as usize;
                    assert_eq!(
                        gk,
                        ck[p as usize][r.clone()].to_vec(),
                        "{}: layer {l} K head {j} pos {p}",
                        ph.name
                    );
                    assert_eq!(
                        gv,
                        cv[p as usize][r].to_vec(),
                        "{}: layer {l} V head {j} pos {p}",
                        ph.name
                    );
                }
            }
        }
        let logits = pack::read_logits(&self.cfg, &self.pre, &m.hbm);
        assert_eq!(logits, out.logits, "{}: logits differ", ph.name);
        let top = llmfab_compiler::qplan::qmax(self.eq.act_bits) as i64;
        let sat = logits.iter().filter(|v| v.abs() >= top).count();
        assert!(
            sat * 4 < logits.len(),
            "{}: {sat} of {} logits saturate: the test data is not meaningful",
            ph.name,
            logits.len()
        );
        assert!(
            logits.iter().any(|v| *v != 0),
            "{}: all logits are zero",
            ph.name
        );
    }

    pub fn input(&self, rows: u64, seed: u64) -> Vec<Vec<i64>> {
        random_input(rows, self.spec.hidden, self.eq.act_bits, seed)
    }
}
