//! The explorer picks a valid engine under the board's budgets, reports the
//! constraints, never estimates above the HBM roofline, and the engine it
//! picks compiles the model.

mod common;

use common::tiny_llama;
use llmfab_compiler::explore::{explore, report, ExploreOptions, Objective};
use llmfab_compiler::lower::{lower_phase, prepare, LowerOptions, Phase};
use llmfab_compiler::{engine_quant, Board};
use llmfab_models::{BuildOptions, Graph, QuantScheme};

#[test]
fn tiny_model_on_every_fpga_board_and_objective() {
    let spec = tiny_llama(2, 2);
    let graph = Graph::build(&spec, BuildOptions::default());
    let eq = engine_quant(&QuantScheme::parse("w4a8").unwrap()).unwrap();
    // The V80's catalog entry has no BRAM/URAM counts: a clear error.
    let v80 = Board::lookup("v80").unwrap();
    let e = explore(&v80, &graph, &eq, &ExploreOptions::default(), "tiny")
        .unwrap_err()
        .to_string();
    assert!(e.contains("0 URAM and 0 BRAM36"), "{e}");
    for board in ["u280", "u55c", "u50", "u250"] {
        let board = Board::lookup(board).unwrap();
        for objective in [
            Objective::Decode,
            Objective::Prefill,
            Objective::Energy,
            Objective::parse("decode=1,energy=1").unwrap(),
        ] {
            let opts = ExploreOptions {
                objective,
                kv_len: 64,
                prompt: 32,
                ..Default::default()
            };
            let x = explore(&board, &graph, &eq, &opts, "tiny")
                .unwrap_or_else(|e| panic!("{}: {e}", board.name));
            let c = &x.chosen;
            assert!(
                c.estimate.decode_tokens_per_s <= x.roofline_tokens_per_s,
                "{}",
                report::render(&x)
            );
            assert!(
                c.dsp <= board.user.dsp as f64
                    && c.uram <= board.user.uram
                    && c.bram <= board.user.bram36
            );
            for r in &x.runners_up {
                assert!(r.estimate.decode_tokens_per_s <= x.roofline_tokens_per_s);
            }
            for s in &x.slacks {
                assert!(s.used <= s.limit * 1.0001, "{}: {s:?}", board.name);
            }
            // The chosen engine compiles the model.
            let phases = [Phase::prefill(32), Phase::decode(64)];
            let lo = LowerOptions {
                channel_bytes: board.channel_bytes,
                ..Default::default()
            };
            let pre = prepare(&graph, &c.config, &eq, &phases, &lo, "tiny").unwrap();
            for ph in &phases {
                lower_phase(&pre, &graph, &c.config, ph, &lo)
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", board.name, ph.name));
            }
        }
    }
}

#[test]
fn objectives_parse_and_reject_nonsense() {
    assert_eq!(Objective::parse("decode").unwrap(), Objective::Decode);
    assert!(matches!(
        Objective::parse("decode=0.5,prefill=0.5").unwrap(),
        Objective::Mix { .. }
    ));
    for bad in ["speed", "decode=x", "decode=-1", "decode=0", "power=1"] {
        assert!(Objective::parse(bad).is_err(), "{bad}");
    }
}

#[test]
#[ignore = "slow in debug; run with --release --ignored"]
fn llama2_7b_w4a8_on_u280() {
    let spec = llmfab_models::zoo::get("llama-2-7b").unwrap();
    let graph = Graph::build(&spec, BuildOptions::default());
    let eq = engine_quant(&QuantScheme::parse("w4a8").unwrap()).unwrap();
    let board = Board::lookup("u280").unwrap();
    let t = std::time::Instant::now();
    let x = explore(
        &board,
        &graph,
        &eq,
        &ExploreOptions::default(),
        "llama-2-7b",
    )
    .unwrap();
    println!("{}", report::render(&x));
    println!("explore took {:?}", t.elapsed());
    assert!(x.chosen.estimate.decode_tokens_per_s <= x.roofline_tokens_per_s);
    assert!(x.chosen.estimate.decode_tokens_per_s >= 0.8 * x.roofline_tokens_per_s);
}
