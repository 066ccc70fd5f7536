//! The flow's steps, in order, and the first three of them: the roofline of
//! the model on the board, the engine exploration and the compilation (the
//! hardware-side steps are in [`super::hw`]). A step reads what earlier
//! steps left in the [`Flow`] and adds its own result; one that cannot run
//! in this build records why in `Flow::missing` instead of failing.

use super::hw;
use super::state::{compile_err, report_err, Flow};
use crate::cmd::CliError;
use llmfab_compiler::explore::{explore, ExploreOptions};
use llmfab_compiler::{compile, engine_quant, folder, CompileRequest};
use llmfab_models::{Attention, BuildOptions, Graph};
use llmfab_reports::{analyze, Input, Phase, Scenario};

/// Sequences of the batched decode step the flow also compiles and
/// simulates (one program, weights streamed once for all of them).
pub const FLOW_BATCH: u64 = 8;

/// One step of the flow.
pub struct Step {
    /// Shown in the progress display.
    pub name: &'static str,
    /// Runs the step.
    pub run: fn(&mut Flow) -> Result<(), CliError>,
}

/// The pipeline, top to bottom.
pub const STEPS: &[Step] = &[
    Step {
        name: "roofline",
        run: roofline,
    },
    Step {
        name: "engine exploration",
        run: exploration,
    },
    Step {
        name: "compilation",
        run: compilation,
    },
    Step {
        name: "simulation (prefill)",
        run: hw::simulate_prefill,
    },
    Step {
        name: "simulation (decode)",
        run: hw::simulate_decode,
    },
    Step {
        name: "Verilog and board project",
        run: hw::verilog,
    },
    Step {
        name: "energy",
        run: hw::energy,
    },
];

/// Step 1: per-op roofline, realistic time and energy of a whole request
/// (prompt, then generated tokens) on the board's datasheet figures.
fn roofline(f: &mut Flow) -> Result<(), CliError> {
    let input = Input {
        spec: &f.spec,
        model_source: &f.source,
        quant: &f.quant,
        device: &f.device,
        attention: Attention::Unfused,
        tp: 1,
        link: None,
        calibration: None,
    };
    let sc = Scenario {
        phase: Phase::Request,
        batch: 1,
        seq: f.prompt,
        kv_len: f.kv_len(),
        gen: f.gen,
    };
    f.roofline = Some(analyze(&input, &sc).map_err(report_err)?);
    Ok(())
}

/// Step 2: the engine's shape for the board (MILP over candidates).
fn exploration(f: &mut Flow) -> Result<(), CliError> {
    let graph = Graph::build(&f.spec, BuildOptions::default());
    let eq = engine_quant(&f.quant).map_err(compile_err)?;
    let opts = ExploreOptions {
        objective: f.objective,
        kv_len: f.kv_len(),
        prompt: f.prompt,
        ..Default::default()
    };
    f.exploration = Some(explore(&f.board, &graph, &eq, &opts, &f.spec.name).map_err(compile_err)?);
    Ok(())
}

/// Step 3: lowering of the prompt's prefill and of the last decode step
/// (one sequence, and [`FLOW_BATCH`] sequences when their KV caches fit)
/// onto the chosen engine, written as `build/` (what `llmfab sim` and
/// `llmfab bitstream` read).
fn compilation(f: &mut Flow) -> Result<(), CliError> {
    let x = f
        .exploration
        .clone()
        .ok_or_else(|| CliError::Internal("compilation before exploration".into()))?;
    let mut req = CompileRequest {
        spec: f.spec.clone(),
        source: f.source.clone(),
        quant: f.quant.clone(),
        board: f.board.clone(),
        objective: f.objective,
        kv_len: f.kv_len(),
        buckets: vec![f.prompt],
        batches: vec![1, FLOW_BATCH],
        config: Some(x.chosen.config.clone()),
        verify: true,
        calibration: None,
    };
    // The batched step needs FLOW_BATCH KV caches; a model that fits one
    // sequence only gets the single-sequence step, and the report says so.
    let mut art = match compile(&req) {
        Ok(a) => a,
        Err(e @ llmfab_compiler::CompileError::DoesNotFit { .. }) => {
            f.missing.push(format!(
                "the decode step of {FLOW_BATCH} sequences is not compiled: {e}"
            ));
            req.batches = vec![1];
            compile(&req).map_err(compile_err)?
        }
        Err(e) => return Err(compile_err(e)),
    };
    art.report.exploration = Some(x);
    folder::write(&f.dir.join("build"), &art, false).map_err(compile_err)?;
    f.art = Some(art);
    Ok(())
}
