//! The cluster: `N` devices of one catalog kind, grouped in nodes, with one
//! link kind inside a node and one between nodes. A ring of QSFP links
//! between Alveo boards is one "node" whose intra-node link is the ring.
//!
//! Devices are numbered `0..N`; node `i` holds devices
//! `i·per_node .. (i+1)·per_node`. Plans place tensor-parallel groups on
//! consecutive devices (see [`super::plan`]), so a group stays inside a node
//! whenever it can.

use super::error::ClusterError;
use llmfab_models::device::{Device, DeviceKind};
use serde::{Deserialize, Serialize};

/// A link kind: bandwidth per direction and one-way latency per hop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkSpec {
    /// Name (`nvlink`, `pcie5`, `qsfp`, `infiniband`).
    pub name: String,
    /// Bytes per second per direction, per device.
    pub bandwidth: f64,
    /// One-way latency of one hop in seconds.
    pub latency: f64,
    /// Where the figures come from.
    pub source: String,
}

/// Links every cluster may use between nodes, whatever the device offers.
/// Figures are public line rates; latencies are typical one-way figures.
pub fn builtin_link(name: &str) -> Option<LinkSpec> {
    let l = |name: &str, bw: f64, lat: f64, src: &str| LinkSpec {
        name: name.into(),
        bandwidth: bw,
        latency: lat,
        source: src.into(),
    };
    Some(match name.to_ascii_lowercase().as_str() {
        "infiniband" | "ib" | "ndr" => l(
            "infiniband",
            50e9,
            5e-6,
            "InfiniBand NDR 400 Gb/s per GPU = 50 GB/s per direction (one HCA per GPU, as in DGX H100); \
             5 us one-way across a switch (NCCL tuning model's network latency, approx.)",
        ),
        "ethernet" | "eth" | "100gbe" => l(
            "ethernet",
            12.5e9,
            10e-6,
            "100 GbE = 12.5 GB/s per direction; 10 us one-way through a TCP/RoCE stack and a switch (assumption)",
        ),
        "qsfp" => l(
            "qsfp",
            25e9,
            1e-6,
            "2 x QSFP28 100 GbE on an Alveo board = 25 GB/s per direction; 1 us per direct-cable hop (assumption)",
        ),
        _ => return None,
    })
}

/// N devices in nodes with intra- and inter-node links.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// The device kind (all devices are the same).
    pub device: Device,
    /// Number of devices.
    pub devices: u32,
    /// Devices per node.
    pub per_node: u32,
    /// Link between devices of one node.
    pub intra: LinkSpec,
    /// Link between nodes.
    pub inter: LinkSpec,
}

/// Parses `--devices` as `COUNTxNAME` (`8xh100`, `16xu280`) into (count, name).
pub fn parse_devices(text: &str) -> Result<(u32, String), ClusterError> {
    let bad = || {
        ClusterError::input(
            "--devices",
            format!("expected COUNTxDEVICE such as 8xh100, found '{text}'"),
        )
    };
    let (n, name) = text.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let n: u32 = n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    if name.trim().is_empty() {
        return Err(bad());
    }
    Ok((n, name.trim().to_string()))
}

impl Cluster {
    /// A cluster of `n` devices. `link` names the intra-node link (default:
    /// `nvlink` when the device has it, else its first link; `qsfp` for FPGA
    /// boards, which then form one ring); `per_node` defaults to 8 GPUs per
    /// node (all boards of a ring for FPGAs); `inter` defaults to InfiniBand
    /// for GPUs.
    pub fn new(
        device: Device,
        n: u32,
        link: Option<&str>,
        per_node: Option<u32>,
        inter: Option<&str>,
    ) -> Result<Cluster, ClusterError> {
        if n == 0 {
            return Err(ClusterError::input(
                "--devices",
                "at least one device is needed",
            ));
        }
        let fpga = device.kind == DeviceKind::Fpga;
        let default_link = if fpga {
            "qsfp"
        } else if device.links.contains_key("nvlink") {
            "nvlink"
        } else {
            device.links.keys().next().map_or("pcie4", String::as_str)
        };
        let intra = resolve_link(&device, link.unwrap_or(default_link))?;
        let per_node = match per_node {
            Some(0) => {
                return Err(ClusterError::input(
                    "--devices-per-node",
                    "must be at least 1",
                ))
            }
            Some(p) => p.min(n),
            None if fpga && intra.name == "qsfp" => n,
            None => n.min(8),
        };
        let inter = match inter {
            Some(name) => resolve_link(&device, name)?,
            None if fpga => intra.clone(),
            None => builtin_link("infiniband").expect("built-in"),
        };
        Ok(Cluster {
            device,
            devices: n,
            per_node,
            intra,
            inter,
        })
    }

    /// True when devices `a` and `b` are in the same node.
    pub fn same_node(&self, a: u32, b: u32) -> bool {
        a / self.per_node == b / self.per_node
    }

    /// The link a group of `size` devices spaced `stride` apart, starting at
    /// device `first`, communicates over: intra-node when all are in one node,
    /// else the inter-node link (the ring's bottleneck hop).
    pub fn group_link(&self, first: u32, size: u32, stride: u32) -> &LinkSpec {
        let last = first + (size.max(1) - 1) * stride;
        if self.same_node(first, last) {
            &self.intra
        } else {
            &self.inter
        }
    }

    /// The link between two devices.
    pub fn link_between(&self, a: u32, b: u32) -> &LinkSpec {
        if self.same_node(a, b) {
            &self.intra
        } else {
            &self.inter
        }
    }
}

/// A link by name: the device's own (catalog) links first, then the
/// built-in inter-node kinds.
pub fn resolve_link(device: &Device, name: &str) -> Result<LinkSpec, ClusterError> {
    match device.link(name) {
        Ok((n, l)) => Ok(LinkSpec {
            name: n.to_string(),
            bandwidth: l.bandwidth.value,
            latency: l.latency.value,
            source: format!("{}; {}", l.bandwidth.source, l.latency.source),
        }),
        Err(e) => builtin_link(name).ok_or_else(|| {
            ClusterError::input(
                "--link",
                format!("{e}; built-in network links: infiniband, ethernet, qsfp"),
            )
        }),
    }
}
