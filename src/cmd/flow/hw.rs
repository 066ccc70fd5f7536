//! The hardware-side steps of the flow: cycle-level simulation of the
//! compiled prefill and decode programs, the engine's Verilog (and the
//! board project, when this build has it), and the energy of the simulated
//! runs.

use super::state::{Flow, Hdl, PhaseSim, RoleSim};
use crate::cmd::CliError;
use llmfab_compiler::explore::perf::mem_timing;
use llmfab_hdl::design::Parts;
use llmfab_hdl::resources::cells::Cells;
use llmfab_hdl::resources::Capacity;
use llmfab_hdl::HdlError;
use llmfab_isa::instr::Op;
use llmfab_sim::engine::energy::EnergyModel;
use llmfab_sim::engine::report;
use std::collections::BTreeMap;

/// Bins of the utilisation timeline.
const BINS: usize = 120;

/// `layer12.attn.qk` → `attn.qk`; other names unchanged.
pub fn role(name: &str) -> &str {
    match name.split_once('.') {
        Some((l, rest)) if l.starts_with("layer") && l[5..].bytes().all(|b| b.is_ascii_digit()) => {
            rest
        }
        _ => name,
    }
}

/// Adds `amount` spread evenly over cycles `[a, b)` into `bins` over `[0, total)`.
fn spread(bins: &mut [f64], total: u64, a: u64, b: u64, amount: f64) {
    if total == 0 || b <= a {
        return;
    }
    let w = total as f64 / bins.len() as f64;
    let (fa, fb) = (a as f64, b.min(total) as f64);
    let first = ((fa / w) as usize).min(bins.len() - 1);
    let last = ((fb / w).ceil() as usize).min(bins.len());
    let per = amount / (fb - fa).max(1e-9);
    for (i, bin) in bins.iter_mut().enumerate().take(last).skip(first) {
        let lo = fa.max(i as f64 * w);
        let hi = fb.min((i + 1) as f64 * w);
        if hi > lo {
            *bin += per * (hi - lo);
        }
    }
}

/// Simulates every compiled phase of the kind (prefill, or the decode steps
/// of one sequence and of a batch).
fn simulate(f: &mut Flow, decode: bool) -> Result<(), CliError> {
    let art = f
        .art
        .as_ref()
        .ok_or_else(|| CliError::Internal("simulation before compilation".into()))?;
    let which: Vec<usize> = (0..art.phases.len())
        .filter(|&i| art.phases[i].phase.name.starts_with("decode") == decode)
        .collect();
    if which.is_empty() {
        return Err(CliError::Internal("the build has no such phase".into()));
    }
    for i in which {
        simulate_phase(f, i)?;
    }
    Ok(())
}

/// Simulates compiled phase `i` and records it in `f.sims`.
fn simulate_phase(f: &mut Flow, i: usize) -> Result<(), CliError> {
    let art = f
        .art
        .as_ref()
        .ok_or_else(|| CliError::Internal("simulation before compilation".into()))?;
    let cp = &art.phases[i];
    let cfg = &art.config;
    let prog = cp.program(&art.prepared.names);
    // The same memory timing and energy constants as `llmfab sim`.
    let mem = mem_timing(cfg, &f.board);
    let t = llmfab_sim::engine::simulate(cfg, &mem, prog.instrs(), None)
        .map_err(|e| CliError::Internal(format!("simulation of {}: {e}", cp.phase.name)))?;
    let model = EnergyModel::from_device(&f.device);
    let rep = report::build(
        cfg,
        &prog,
        &t,
        Some(f.device.memory.bandwidth.value),
        Some(&model),
    );
    let mut busy = vec![0.0; BINS];
    let mut mem_bins = vec![0.0; BINS];
    for (i, ins) in cp.instrs.iter().enumerate() {
        let it = t.instrs.get(i).copied().unwrap_or_default();
        match ins.op {
            Op::Load(x) => spread(
                &mut mem_bins,
                t.cycles,
                it.issue,
                it.done,
                (x.rows * x.row_bytes) as f64,
            ),
            Op::Store(x) => spread(
                &mut mem_bins,
                t.cycles,
                it.issue,
                it.done,
                (x.rows * x.row_bytes) as f64,
            ),
            Op::Nop(_) | Op::Halt(_) => {}
            _ => {
                let c = it.done.saturating_sub(it.issue);
                spread(&mut busy, t.cycles, it.issue, it.done, c as f64);
            }
        }
    }
    let bin_cycles = t.cycles as f64 / BINS as f64;
    // The peak of the simulator's report (engine ports, capped by the board).
    let peak_per_bin = rep.hbm_peak_bandwidth * cfg.cycle_s() * bin_cycles;
    let timeline = (0..BINS)
        .map(|i| {
            (
                (i as f64 + 0.5) / BINS as f64,
                (busy[i] / bin_cycles.max(1e-9)).min(1.0),
                (mem_bins[i] / peak_per_bin.max(1e-9)).min(1.0),
            )
        })
        .collect();
    let mut roles: BTreeMap<&str, RoleSim> = BTreeMap::new();
    for o in &rep.ops {
        let r = roles.entry(role(&o.op)).or_default();
        r.compute_cycles += o.matrix_cycles + o.sfu_cycles;
        r.hbm_bytes += o.hbm_bytes;
        r.roofline_cycles += o.roofline_cycles;
    }
    let mut roles: Vec<(String, RoleSim)> =
        roles.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    roles.sort_by(|a, b| {
        b.1.compute_cycles
            .cmp(&a.1.compute_cycles)
            .then(b.1.hbm_bytes.cmp(&a.1.hbm_bytes))
            .then(a.0.cmp(&b.0))
    });
    let sim = PhaseSim {
        name: cp.phase.name.clone(),
        seq: cp.phase.seq,
        batch: cp.phase.batch,
        kv_len: cp.phase.kv_len,
        seconds: rep.seconds,
        roles,
        timeline,
        mem,
        report: rep,
    };
    f.sims.push(sim);
    Ok(())
}

/// Step 4a: the prefill program on the cycle-level timing model.
pub fn simulate_prefill(f: &mut Flow) -> Result<(), CliError> {
    simulate(f, false)
}

/// Step 4b: the decode program on the cycle-level timing model.
pub fn simulate_decode(f: &mut Flow) -> Result<(), CliError> {
    simulate(f, true)
}

/// Step 5: the engine's Verilog with a resource estimate against the
/// board's user region (written to `verilog/`), then the board project.
pub fn verilog(f: &mut Flow) -> Result<(), CliError> {
    let art = f
        .art
        .as_ref()
        .ok_or_else(|| CliError::Internal("Verilog before compilation".into()))?;
    let cap = f.device.fpga.as_ref().map(|x| Capacity {
        board: f.board.name.clone(),
        cells: Cells {
            lut: x.user.lut,
            ff: x.user.ff,
            dsp: x.user.dsp,
            bram36: x.user.bram36 as f64,
            uram: x.user.uram,
        },
    });
    let hdl_err = |e: HdlError| match e {
        HdlError::Config(m) => CliError::Input(m),
        other => CliError::Internal(other.to_string()),
    };
    let (emitted, partial) = match llmfab_hdl::output::emit(&art.config, Parts::Full, cap.clone()) {
        Ok(e) => (e, None),
        Err(HdlError::Unit { unit, message }) => {
            let why = format!(
                "the {unit} is left out of the Verilog and of the resource estimate ({message})"
            );
            let e = llmfab_hdl::output::emit(&art.config, Parts::CoreOnly, cap).map_err(hdl_err)?;
            f.missing.push(why.clone());
            (e, Some(why))
        }
        Err(e) => return Err(hdl_err(e)),
    };
    emitted
        .write(&f.dir.join("verilog"))
        .map_err(|e| CliError::Internal(e.to_string()))?;
    f.hdl = Some(Hdl { emitted, partial });
    match board_project(f)? {
        Ok(files) => f.project = Some(files),
        Err(why) => f.missing.push(format!("board project: {why}")),
    }
    Ok(())
}

/// The Vitis board project of the compiled engine in `project/` (as
/// `llmfab bitstream --build build/` writes it, less the assembly listings,
/// which stay in `build/programs`): the file list, or why this build cannot
/// make one.
fn board_project(f: &Flow) -> Result<Result<Vec<String>, String>, CliError> {
    use llmfab_hdl::project::{self, BuildInfo, ProjectError, ProjectFile, ProjectInput};
    let art = f
        .art
        .as_ref()
        .ok_or_else(|| CliError::Internal("board project before compilation".into()))?;
    let board = match crate::cmd::bitstream::board_facts(&f.board.name) {
        Ok((b, _)) => b,
        Err(e) => {
            return Ok(Err(format!(
                "no board project template for '{}' ({e})",
                f.board.name
            )))
        }
    };
    let build = f.dir.join("build");
    let read = |rel: &str| {
        std::fs::read(build.join(rel))
            .map_err(|e| CliError::Internal(format!("{}: {e}", build.join(rel).display())))
    };
    let mut programs = Vec::new();
    for rel in ["memmap.json", "build.json"] {
        programs.push(ProjectFile {
            path: format!("programs/{rel}"),
            bytes: read(rel)?,
        });
    }
    let mut phases = Vec::new();
    for cp in &art.phases {
        let name = &cp.phase.name;
        let words = llmfab_isa::encode::encode_words(&cp.instrs)
            .map_err(|e| CliError::Internal(format!("{name}: {e}")))?;
        programs.push(ProjectFile {
            path: format!("programs/{name}.instr"),
            bytes: words,
        });
        // The assembly (`.s`, hundreds of MB for a 7B prefill) stays in build/.
        programs.push(ProjectFile {
            path: format!("programs/{name}.bin"),
            bytes: read(&format!("programs/{name}.bin"))?,
        });
        phases.push((name.clone(), cp.instrs.len() as u64));
    }
    let input = ProjectInput {
        config: art.config.clone(),
        board,
        programs,
        build: Some(BuildInfo {
            folder: "build".into(),
            model: art.model.clone(),
            quant: art.quant.clone(),
            phases,
        }),
    };
    let p = match project::generate(&input) {
        Ok(p) => p,
        Err(ProjectError::Hdl(HdlError::Unit { unit, message })) => {
            return Ok(Err(format!(
                "the {unit} has no Verilog in this build ({message})"
            )))
        }
        Err(ProjectError::Input(m)) => return Err(CliError::Input(m)),
        Err(e) => return Err(CliError::Internal(e.to_string())),
    };
    project::write(&f.dir.join("project"), &p, false)
        .map_err(|e| CliError::Internal(e.to_string()))?;
    Ok(Ok(p.files.iter().map(|x| x.path.clone()).collect()))
}

/// Step 6: energy of each simulated phase — the simulator's activity
/// priced with the board's energy figures (`llmfab_sim::engine::energy`).
pub fn energy(f: &mut Flow) -> Result<(), CliError> {
    f.energy = f
        .sims
        .iter()
        .filter_map(|s| s.report.energy.map(|e| (s.name.clone(), s.seconds, e)))
        .collect();
    if f.energy.len() != f.sims.len() {
        return Err(CliError::Internal(
            "the simulator priced no energy for a phase".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_drop_the_layer_and_spread_conserves_amounts() {
        assert_eq!(role("layer12.attn.qk"), "attn.qk");
        assert_eq!(role("final.norm"), "final.norm");
        assert_eq!(role("layers.x"), "layers.x");
        let mut b = vec![0.0; 4];
        spread(&mut b, 100, 10, 60, 50.0);
        assert!((b.iter().sum::<f64>() - 50.0).abs() < 1e-9);
        assert_eq!(b[0], 15.0);
        assert_eq!(b[3], 0.0);
    }
}
