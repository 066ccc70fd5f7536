//! Report sections of the hardware-side steps: simulation, Verilog and
//! board project, energy.

use super::sections::{num, pct};
use super::state::{report_err, Flow};
use crate::cmd::CliError;
use llmfab_hdl::resources::Source as ResSource;
use llmfab_reports::html::chart::{self, Bar, Series};
use llmfab_reports::html::{Block, Figure, Section, Source, SourceKind, Table};

/// The simulator's source line for memory timing `m`.
pub fn sim_source(m: &llmfab_isa::MemTiming) -> Source {
    Source::new(
        SourceKind::Simulation,
        format!(
            "cycle-level engine timing model (llmfab_sim::engine, docs/engine.md §6; its cycle counts equal the Verilog testbench's), the same run as `llmfab sim`; memory: {}-cycle read latency, {}-cycle write response, {}-cycle gap after each burst (the board's channel bandwidth × efficiency)",
            m.read_latency, m.write_latency, m.burst_gap
        ),
    )
}

/// Section 4: simulation of prefill and decode.
pub fn simulation(f: &Flow) -> Result<Section, CliError> {
    let art = f
        .art
        .as_ref()
        .ok_or_else(|| CliError::Internal("no compilation result".into()))?;
    let cfg = &art.config;
    let src = sim_source(&f.sims.first().map(|s| s.mem).unwrap_or_default());
    let mut t = Table::new("simulated_phases", "Simulated runs", src.clone());
    t.columns(&[
        "program",
        "sequences",
        "new tokens",
        "context",
        "instructions",
        "cycles",
        "time (ms)",
        "tokens/s",
        "matrix unit busy",
        "MAC utilisation",
        "SFU busy",
        "memory bandwidth (GB/s)",
        "of peak bandwidth",
        "engine roofline (ms)",
        "bound",
    ]);
    let mut blocks = vec![Block::Para(format!(
        "The compiled programs run on the timing model of the {} engine at {} MHz: prefill of the {}-token prompt gives the time to first token; one decode step at the final context ({} positions) gives the slowest step of the request; where it fits, the same step for a batch of sequences (one program, each sequence with its own KV cache at that context, the weights read once for all) shows what batching buys. The engine roofline is the least time the engine's own peaks (MACs, SFU lanes, memory ports capped by the board) allow for the same work.",
        cfg.name, num(cfg.clock_mhz), f.prompt, f.kv_len()
    ))];
    for s in &f.sims {
        let r = &s.report;
        t.row(vec![
            s.name.clone(),
            s.batch.to_string(),
            s.tokens().to_string(),
            s.kv_len.to_string(),
            r.instructions.to_string(),
            r.cycles.to_string(),
            num(s.seconds * 1e3),
            num(s.tokens() as f64 / s.seconds.max(1e-30)),
            pct(r.units.matrix_utilization),
            pct(r.units.mac_utilization),
            pct(r.units.sfu_utilization),
            num(r.hbm_bandwidth / 1e9),
            pct(r.hbm_bandwidth_utilization),
            num(r.roofline_bound_s * 1e3),
            r.roofline_bound.into(),
        ]);
    }
    blocks.push(Block::Table(t));
    let mut st = Table::new("stalls", "Stall cycles by unit and cause", src.clone());
    let mut cols = vec!["unit: cause".to_string()];
    cols.extend(f.sims.iter().map(|s| format!("{} (cycles)", s.name)));
    st.columns = cols;
    type Get = fn(&llmfab_sim::engine::Stalls) -> u64;
    let causes: [(&str, Get); 10] = [
        ("compute: waiting for a load", |x| x.compute.wait_load_token),
        ("compute: waiting for a store", |x| {
            x.compute.wait_store_token
        }),
        ("compute: buffer port held by DMA", |x| x.compute.port_claim),
        ("compute: queue empty (idle)", |x| x.compute.queue_empty),
        ("load: waiting for compute", |x| x.load.wait_token),
        ("load: DMA slot busy", |x| x.load.dma_slot_busy),
        ("load: draining before a token", |x| {
            x.load.drain_before_push
        }),
        ("store: waiting for compute", |x| x.store.wait_token),
        ("dispatch: a queue full", |x| {
            x.dispatch_queue_full.iter().sum()
        }),
        ("dispatch: fetch empty", |x| x.dispatch_fetch_empty),
    ];
    for (name, get) in causes {
        let mut row = vec![name.to_string()];
        row.extend(f.sims.iter().map(|s| get(&s.report.stalls).to_string()));
        st.row(row);
    }
    blocks.push(Block::Table(st));
    // Physics check: nothing beats the roofline of the same work.
    if let Some(r) = &f.roofline {
        let mut c = Table::new(
            "sim_vs_models",
            "Simulation against the models (seconds per phase)",
            Source::new(
                SourceKind::Mixed,
                "roofline and its estimate: model on datasheet figures (decode: mean step of the request); explorer: analytic engine model; simulated: cycle-level model",
            ),
        );
        c.columns(&[
            "phase",
            "roofline (s)",
            "roofline estimate (s)",
            "explorer estimate (s)",
            "simulated (s)",
            "simulated / roofline",
        ]);
        let x = f.exploration.as_ref().map(|x| &x.chosen.estimate);
        for s in &f.sims {
            let decode = s.name.starts_with("decode");
            let (rl, est) = match (&r.request, decode) {
                (Some(q), true) => (q.tpot_roofline_s, q.tpot_s),
                (Some(q), false) => (q.ttft_roofline_s, q.ttft_s),
                (None, _) => (0.0, 0.0),
            };
            let ex = x.map_or(0.0, |e| if decode { e.decode_s } else { e.prefill_s });
            c.row(vec![
                s.name.clone(),
                num(rl),
                num(est),
                num(ex),
                num(s.seconds),
                num(s.seconds / rl.max(1e-30)),
            ]);
        }
        blocks.push(Block::Table(c));
    }
    for s in &f.sims {
        let pts = |k: usize| -> Vec<(f64, f64)> {
            s.timeline
                .iter()
                .map(|p| (p.0 * s.seconds * 1e3, if k == 0 { p.1 } else { p.2 }))
                .collect()
        };
        let svg = chart::lines(
            &format!("{}: utilisation over time", s.name),
            ("time (ms)", "fraction busy"),
            &[
                Series {
                    name: "compute units busy".into(),
                    points: pts(0),
                    color: 0,
                    size: 2,
                },
                Series {
                    name: "memory bandwidth (read + write)".into(),
                    points: pts(1),
                    color: 1,
                    size: 2,
                },
            ],
            Some(1.0),
        )
        .map_err(report_err)?;
        blocks.push(Block::Figure(Figure {
            id: format!("timeline_{}", s.name),
            caption: format!(
                "Simulated timeline of {} ({} bins)",
                s.name,
                s.timeline.len()
            ),
            svg,
            source: src.clone(),
        }));
        let total: u64 = s.roles.iter().map(|r| r.1.compute_cycles).sum();
        let mut roles = Table::new(
            &format!("sim_roles_{}", s.name),
            &format!("{}: simulated work by op role (summed over layers)", s.name),
            src.clone(),
        );
        roles.columns(&[
            "role",
            "compute cycles",
            "share of compute",
            "memory traffic (MB)",
            "engine roofline (cycles)",
        ]);
        for (role, r) in &s.roles {
            roles.row(vec![
                role.clone(),
                r.compute_cycles.to_string(),
                pct(r.compute_cycles as f64 / total.max(1) as f64),
                num(r.hbm_bytes as f64 / 1e6),
                r.roofline_cycles.to_string(),
            ]);
        }
        blocks.push(Block::Table(roles));
    }
    Ok(Section::new("simulation", "4. Simulation", blocks))
}

/// Section 5: Verilog, resources against the board, board project.
pub fn hardware(f: &Flow) -> Result<Section, CliError> {
    let h = f
        .hdl
        .as_ref()
        .ok_or_else(|| CliError::Internal("no Verilog result".into()))?;
    let rep = &h.emitted.report;
    let (lines, bytes) = h.emitted.design.size();
    let mut blocks = vec![Block::Para(format!(
        "verilog/ holds the engine '{}' as {} Verilog files ({lines} lines, {bytes} bytes, {} modules) and resources.md.",
        h.emitted.config.name,
        h.emitted.design.files.len(),
        h.emitted.design.modules().len()
    ))];
    if let Some(p) = &h.partial {
        blocks.push(Block::Unavailable(p.clone()));
    }
    let mut t = Table::new(
        "resources",
        "Resource estimate by block",
        Source::new(SourceKind::Mixed, "yosys: Yosys `synth_xilinx -family xcup -flatten` of the block alone × instances (DSP pipeline registers stay in fabric, no placement); formula: memory and mux size formulas (docs/rtl.md §6). Estimates: Vivado will differ."),
    );
    t.columns(&[
        "block", "count", "LUT", "FF", "DSP", "BRAM36", "URAM", "source", "note",
    ]);
    for l in &rep.lines {
        let c = &l.total;
        t.row(vec![
            l.block.clone(),
            l.count.to_string(),
            c.lut.to_string(),
            c.ff.to_string(),
            c.dsp.to_string(),
            num(c.bram36),
            c.uram.to_string(),
            match l.source {
                ResSource::Yosys => "yosys estimate",
                ResSource::Formula => "formula",
                ResSource::Missing => "missing",
            }
            .into(),
            l.note.clone(),
        ]);
    }
    let tot = &rep.total;
    let mut fit = Table::new(
        "resource_fit",
        "Resources against the board's user region",
        Source::new(SourceKind::Mixed, "used: the estimate above (Yosys + formulas); explorer: its resource model; user region: device catalog (datasheet minus the Vitis shell)"),
    );
    fit.columns(&[
        "resource",
        "used (estimate)",
        "explorer model",
        "user region",
        "utilisation",
    ]);
    let u = f.device.fpga.as_ref().map(|x| x.user.clone());
    let c = f.exploration.as_ref().map(|x| &x.chosen);
    let mut bars = Vec::new();
    for (i, (name, used, model, cap)) in [
        (
            "LUT",
            tot.lut as f64,
            c.map(|d| d.lut),
            u.as_ref().map(|u| u.lut as f64),
        ),
        ("FF", tot.ff as f64, None, u.as_ref().map(|u| u.ff as f64)),
        (
            "DSP",
            tot.dsp as f64,
            c.map(|d| d.dsp),
            u.as_ref().map(|u| u.dsp as f64),
        ),
        (
            "BRAM36",
            tot.bram36,
            c.map(|d| d.bram as f64),
            u.as_ref().map(|u| u.bram36 as f64),
        ),
        (
            "URAM",
            tot.uram as f64,
            c.map(|d| d.uram as f64),
            u.as_ref().map(|u| u.uram as f64),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let cap = cap.unwrap_or(0.0);
        let share = if cap > 0.0 { used / cap } else { 0.0 };
        fit.row(vec![
            name.into(),
            num(used),
            model.map_or("-".into(), num),
            num(cap),
            pct(share),
        ]);
        bars.push(Bar {
            label: name.into(),
            value: 100.0 * share,
            color: i,
        });
    }
    let src = fit.source.clone();
    blocks.push(Block::Figure(Figure {
        id: "resources".into(),
        caption: "Estimated use of the board's user region (dashed: 100 %)".into(),
        svg: chart::bars(
            &format!("{} on {}: resources", h.emitted.config.name, f.board.name),
            "% of the user region",
            &bars,
            Some(100.0),
        )
        .map_err(report_err)?,
        source: src,
    }));
    blocks.push(Block::Table(fit));
    blocks.push(Block::Table(t));
    match &f.project {
        Some(files) => {
            let shown: Vec<String> = files
                .iter()
                .filter(|p| !p.starts_with("programs/") && !p.starts_with("src/"))
                .cloned()
                .collect();
            blocks.push(Block::List(
                format!(
                    "Board project (project/, as `llmfab bitstream --build build/` writes it): {} files — the kernel Verilog in src/, the compiled programs in programs/ (their assembly listings are in build/programs), and the Vitis packaging and link files below. Run `make` in project/ where Vitis is installed (see its README.md); nothing here has been through Vivado.",
                    files.len()
                ),
                shown,
            ))
        }
        None => {
            let why = f
                .missing
                .iter()
                .find_map(|m| m.strip_prefix("board project: "))
                .unwrap_or("no project generator in this build");
            blocks.push(Block::Unavailable(format!(
                "Board project: {why}; project/ was not written."
            )))
        }
    }
    Ok(Section::new(
        "hardware",
        "5. Verilog and board project",
        blocks,
    ))
}

/// Section 6: energy.
pub fn energy(f: &Flow) -> Result<Section, CliError> {
    let model = llmfab_sim::engine::energy::EnergyModel::from_device(&f.device);
    let src = Source::new(
        SourceKind::Mixed,
        format!(
            "simulated activity (MACs at their precision, SFU ops, memory and buffer bytes, time) × the {} energy figures of the device catalog: {}",
            f.board.display,
            model.sources.join("; ")
        ),
    );
    let mut t = Table::new("energy", "Energy per simulated phase", src.clone());
    t.columns(&[
        "program",
        "time (ms)",
        "compute (J)",
        "DRAM (J)",
        "SRAM (J)",
        "static (J)",
        "total (J)",
        "per token (J)",
    ]);
    let mut bars = Vec::new();
    for (name, secs, e) in &f.energy {
        let sim = f.sims.iter().find(|x| &x.name == name);
        let tokens = sim.map_or(1, |x| x.tokens()) as f64;
        let one_sequence = sim.is_none_or(|x| x.batch == 1);
        t.row(vec![
            name.clone(),
            num(secs * 1e3),
            num(e.compute_j),
            num(e.dram_j),
            num(e.sram_j),
            num(e.static_j),
            num(e.total_j),
            num(e.total_j / tokens),
        ]);
        if name.starts_with("decode") && one_sequence {
            for (i, (k, v)) in [
                ("compute", e.compute_j),
                ("DRAM", e.dram_j),
                ("SRAM", e.sram_j),
                ("static", e.static_j),
            ]
            .into_iter()
            .enumerate()
            {
                bars.push(Bar {
                    label: k.into(),
                    value: v * 1e3,
                    color: i,
                });
            }
        }
    }
    let mut blocks = vec![Block::Table(t)];
    if !bars.is_empty() {
        blocks.push(Block::Figure(Figure {
            id: "energy_decode".into(),
            caption: "Energy of one decode step by component".into(),
            svg: chart::bars(
                "decode step: energy by component",
                "mJ per token",
                &bars,
                None,
            )
            .map_err(report_err)?,
            source: src,
        }));
    }
    let mut cmp = Table::new(
        "energy_vs_models",
        "Decode energy per token: simulation against the models",
        Source::new(SourceKind::Mixed, "roofline: analyzer energy model on datasheet figures (mean over the request's decode steps); explorer: analytic engine model; simulated: the table above"),
    );
    cmp.columns(&["source", "energy per token (J)"]);
    if let Some(d) = f
        .roofline
        .as_ref()
        .and_then(|r| r.phases.iter().find(|p| p.phase == "decode"))
    {
        cmp.row(vec!["roofline model".into(), num(d.totals.j_per_token)]);
    }
    if let Some(x) = &f.exploration {
        cmp.row(vec![
            "explorer model".into(),
            num(x.chosen.estimate.energy_per_token_j),
        ]);
    }
    if let Some(e) = f.energy.iter().find(|e| e.0.starts_with("decode")) {
        cmp.row(vec!["simulation".into(), num(e.2.total_j)]);
    }
    blocks.push(Block::Table(cmp));
    Ok(Section::new("energy", "6. Energy", blocks))
}
