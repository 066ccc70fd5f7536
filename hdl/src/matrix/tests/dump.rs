use crate::matrix::emit::leaf_verilog;

#[test]
fn dump_ctl() {
    let Some(dir) = std::env::var_os("MX_DUMP_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::write(
        dir.join("ctl.v"),
        leaf_verilog("llmfab_mx_ctl", crate::matrix::ctl::MatCtl::default()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("col.v"),
        leaf_verilog("llmfab_mx_col", crate::matrix::col::ColUnit::default()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("dsp.v"),
        leaf_verilog(
            "llmfab_mx_dsp",
            crate::matrix::dsp::DspPack::<8, 8, 18, 2, 16>::default(),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("lane.v"),
        leaf_verilog("llmfab_mx_lane", crate::matrix::lane::LaneAcc::default()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("arow.v"),
        leaf_verilog("llmfab_mx_arow", crate::matrix::lane::ARow::<8>::default()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("bsel.v"),
        leaf_verilog("llmfab_mx_bsel", crate::matrix::lane::BSel::<8>::default()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("kv.v"),
        leaf_verilog("llmfab_mx_kv", crate::matrix::kv::KvAddr::default()).unwrap(),
    )
    .unwrap();
}

#[test]
fn dump_unit() {
    let Some(dir) = std::env::var_os("MX_DUMP_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let cfg = llmfab_isa::EngineConfig::tiny();
    std::fs::write(
        dir.join("llmfab_matrix.v"),
        crate::matrix::verilog(&cfg).unwrap(),
    )
    .unwrap();
}

#[test]
fn dump_big() {
    let Some(dir) = std::env::var_os("MX_DUMP_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    for cfg in super::lint::extra_configs() {
        std::fs::write(
            dir.join(format!("{}.v", cfg.name)),
            crate::matrix::verilog(&cfg).unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn dump_blocks() {
    let Some(dir) = std::env::var_os("MX_DUMP_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir).join("blocks");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = super::lint::extra_configs().pop().unwrap();
    for b in crate::matrix::blocks(&cfg).unwrap() {
        std::fs::write(dir.join(format!("{}.v", b.name)), &b.verilog).unwrap();
        eprintln!("{} {}", b.name, b.count);
    }
}
