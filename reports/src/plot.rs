//! Plots of a [`Report`]: a log-log roofline per phase (one ceiling per
//! precision the device has, the memory roof, and each op role as a
//! labelled point at its realistic attained performance; prefill and decode
//! in separate panels and colours) above a time-breakdown chart (one
//! stacked bar per phase, segments by op role).
//!
//! SVG or PNG. Text uses DejaVu Sans embedded in the binary
//! (`reports/assets/`), registered with plotters' `ab_glyph` backend, so a
//! PNG renders on a machine with no fonts installed.

use crate::aggregate::{by_role, RoleRow};
use crate::report::Report;
use crate::units::{si, sig3, time};
use crate::ReportError;
use llmfab_models::Device;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::OnceLock;

/// The embedded font (see `reports/assets/README.md`).
pub const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
const W: u32 = 1500;
const H: u32 = 1050;

/// Image format, chosen by the file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotFormat {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

impl PlotFormat {
    /// `.svg` or `.png` (case-insensitive), else `None`.
    pub fn from_path(path: &std::path::Path) -> Option<PlotFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "svg" => Some(PlotFormat::Svg),
            "png" => Some(PlotFormat::Png),
            _ => None,
        }
    }
}

pub(crate) fn register_font() -> Result<(), ReportError> {
    static OK: OnceLock<bool> = OnceLock::new();
    let ok =
        *OK.get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ReportError::Output(
            "the embedded font could not be loaded".into(),
        ))
    }
}

/// Draws `r` (whose device is `dev`) as an image file's bytes.
pub fn render(r: &Report, dev: &Device, f: PlotFormat) -> Result<Vec<u8>, ReportError> {
    register_font()?;
    let err = |e: String| ReportError::Output(e);
    match f {
        PlotFormat::Svg => {
            let mut s = String::new();
            {
                let root = SVGBackend::with_string(&mut s, (W, H)).into_drawing_area();
                draw(&root, r, dev).map_err(err)?;
                root.present().map_err(|e| err(e.to_string()))?;
            }
            Ok(s.into_bytes())
        }
        PlotFormat::Png => {
            let mut buf = vec![255u8; (W * H * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut buf, (W, H)).into_drawing_area();
                draw(&root, r, dev).map_err(err)?;
                root.present().map_err(|e| err(e.to_string()))?;
            }
            let mut out = Vec::new();
            let mut enc = png::Encoder::new(&mut out, W, H);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().map_err(|e| err(e.to_string()))?;
            w.write_image_data(&buf).map_err(|e| err(e.to_string()))?;
            w.finish().map_err(|e| err(e.to_string()))?;
            Ok(out)
        }
    }
}

const PHASE_COLORS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(230, 110, 20)];
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn e2s<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&BLACK)
}

fn draw<DB: DrawingBackend>(
    full: &DrawingArea<DB, Shift>,
    r: &Report,
    dev: &Device,
) -> Result<(), String> {
    full.fill(&WHITE).map_err(e2s)?;
    let what = match r.phase.as_str() {
        "prefill" => format!("prefill, batch {}, prompt {}", r.batch, r.seq_len),
        "decode" => format!("decode, batch {}, context {}", r.batch, r.kv_len),
        _ => format!(
            "request, batch {}, prompt {}, {} generated",
            r.batch,
            r.seq_len,
            r.gen_tokens.unwrap_or(0)
        ),
    };
    let tp = if r.tp > 1 {
        format!(", tp {}", r.tp)
    } else {
        String::new()
    };
    let title = format!(
        "{} on {} · {} · {}{tp}",
        r.model, r.device_display, r.quant, what
    );
    let root = full.titled(&title, font(24)).map_err(e2s)?;
    let (upper, lower) = root.split_vertically((H as f64 * 0.60) as u32);
    let phases = r.phase_names();
    let panels = upper.split_evenly((1, phases.len().max(1)));
    for (i, (phase, panel)) in phases.iter().zip(panels.iter()).enumerate() {
        roofline_panel(panel, r, dev, phase, PHASE_COLORS[i % 2])?;
    }
    breakdown(&lower, r, &phases)?;
    Ok(())
}

fn roofline_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &Report,
    dev: &Device,
    phase: &str,
    color: RGBColor,
) -> Result<(), String> {
    let roles: Vec<RoleRow> = by_role(&r.ops, Some(phase))
        .into_iter()
        .filter(|g| g.ops > 0.0 && g.bytes() > 0.0 && g.estimate_s > 0.0)
        .collect();
    let bw = dev.memory.bandwidth.value;
    let peaks: Vec<(String, f64)> = dev
        .peak_ops
        .iter()
        .map(|(p, v)| (p.as_str().to_string(), v.value))
        .collect();
    let top = peaks
        .iter()
        .map(|p| p.1)
        .fold(dev.vector_ops.value, f64::max);
    let ridge_max = top / bw;
    let xs = roles.iter().map(|g| g.intensity());
    let xmin = xs
        .clone()
        .fold(f64::INFINITY, f64::min)
        .min(ridge_max / 100.0)
        .max(1e-3)
        / 3.0;
    let xmax = xs.fold(0.0, f64::max).max(ridge_max) * 10.0;
    let attained = |g: &RoleRow| g.ops / g.estimate_s;
    let ymin = roles.iter().map(attained).fold(bw * xmin, f64::min) / 3.0;
    let ymax = top * 3.0;
    let total = r
        .phases
        .iter()
        .find(|p| p.phase == phase)
        .map_or(0.0, |p| p.totals.time_estimate_s);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{phase}: roofline ({}), estimate {}", dev.name, time(total)),
            font(18),
        )
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d((xmin..xmax).log_scale(), (ymin..ymax).log_scale())
        .map_err(e2s)?;
    chart
        .configure_mesh()
        .x_desc("arithmetic intensity (ops/byte)")
        .y_desc("performance (ops/s)")
        .x_label_formatter(&|v| sig3(*v))
        .y_label_formatter(&|v| si(*v, "OP/s"))
        .label_style(font(12))
        .axis_desc_style(font(14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e2s)?;
    let grey = RGBColor(90, 90, 90);
    // memory roof up to the highest ridge, then one ceiling per precision
    chart
        .draw_series(LineSeries::new(
            [(xmin, bw * xmin), (ridge_max, top)],
            grey.stroke_width(2),
        ))
        .map_err(e2s)?;
    let lbl = font(12).color(&grey);
    let roof_label = format!("{} {}", dev.memory.kind, si(bw, "B/s"));
    let ridge_min = peaks.iter().map(|p| p.1).fold(top, f64::min) / bw;
    let lx = (ridge_min / 8.0).max(xmin * 1.5);
    chart
        .draw_series(std::iter::once(Text::new(
            roof_label,
            (lx, bw * lx * 1.6),
            lbl.clone().pos(Pos::new(HPos::Right, VPos::Bottom)),
        )))
        .map_err(e2s)?;
    let mut ceilings = peaks.clone();
    ceilings.push(("vector".to_string(), dev.vector_ops.value));
    ceilings.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut last_y = f64::INFINITY;
    let mut names: Vec<String> = Vec::new();
    for (name, peak) in &ceilings {
        let ridge = peak / bw;
        let style = if name == "vector" {
            grey.stroke_width(1)
        } else {
            grey.stroke_width(2)
        };
        chart
            .draw_series(LineSeries::new([(ridge, *peak), (xmax, *peak)], style))
            .map_err(e2s)?;
        // precisions with the same peak share one label
        let same = ceilings
            .iter()
            .filter(|c| c.1 == *peak)
            .map(|c| c.0.clone())
            .collect::<Vec<_>>()
            .join("/");
        if names.contains(&same) {
            continue;
        }
        names.push(same.clone());
        let y = if *peak < last_y / 1.25 {
            *peak
        } else {
            last_y / 1.25
        };
        last_y = y;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{same} {}", si(*peak, "OP/s")),
                (xmax / 1.05, y / 1.08),
                lbl.clone().pos(Pos::new(HPos::Right, VPos::Top)),
            )))
            .map_err(e2s)?;
    }
    // ops: filled = realistic attained, hollow = roofline attained
    chart
        .draw_series(roles.iter().map(|g| {
            Circle::new(
                (g.intensity(), g.ops / g.roofline_s.max(1e-30)),
                4,
                color.stroke_width(1),
            )
        }))
        .map_err(e2s)?;
    chart
        .draw_series(
            roles
                .iter()
                .map(|g| Circle::new((g.intensity(), attained(g)), 5, color.filled())),
        )
        .map_err(e2s)?;
    // labels, nudged down so they do not overlap
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    let mut order: Vec<&RoleRow> = roles.iter().collect();
    order.sort_by(|a, b| {
        attained(b)
            .total_cmp(&attained(a))
            .then(a.role.cmp(&b.role))
    });
    let base = area.get_base_pixel();
    for g in order {
        let (px, py) = chart.backend_coord(&(g.intensity(), attained(g)));
        let (x, mut y) = (px - base.0 + 8, py - base.1 - 6);
        let w = 7 * g.role.chars().count() as i32;
        while placed
            .iter()
            .any(|&(ax, ay, aw, ah)| x < ax + aw && ax < x + w && y < ay + ah && ay < y + 13)
        {
            y += 13;
        }
        placed.push((x, y, w, 13));
        area.draw(&Text::new(g.role.clone(), (x, y), font(11).color(&color)))
            .map_err(e2s)?;
    }
    Ok(())
}

fn breakdown<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &Report,
    phases: &[String],
) -> Result<(), String> {
    // role -> colour by total estimated time, biggest first; small ones become "other"
    let all = by_role(&r.ops, None);
    let mut roles: Vec<(String, f64)> = Vec::new();
    for g in &all {
        match roles.iter_mut().find(|x| x.0 == g.role) {
            Some(x) => x.1 += g.estimate_s,
            None => roles.push((g.role.clone(), g.estimate_s)),
        }
    }
    roles.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let named: Vec<String> = roles
        .iter()
        .take(PALETTE.len() - 1)
        .map(|x| x.0.clone())
        .collect();
    let color_of = |role: &str| {
        named
            .iter()
            .position(|n| n == role)
            .map_or(PALETTE[PALETTE.len() - 1], |i| PALETTE[i])
    };
    let n = phases.len().max(1) as f64;
    let (chart_area, legend) = area.split_horizontally((W as f64 * 0.78) as u32);
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(
            "time breakdown by op role (realistic estimate, share of each phase)",
            font(18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..100.0, 0.0..n)
        .map_err(e2s)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("% of phase time")
        .label_style(font(12))
        .axis_desc_style(font(14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e2s)?;
    for (i, phase) in phases.iter().enumerate() {
        let y0 = n - 1.0 - i as f64 + 0.2;
        let rows = by_role(&r.ops, Some(phase));
        let total: f64 = rows.iter().map(|g| g.estimate_s).sum();
        let mut segs: Vec<(String, f64)> = Vec::new();
        for g in &rows {
            let key = if named.contains(&g.role) {
                g.role.clone()
            } else {
                "other".to_string()
            };
            match segs.iter_mut().find(|s| s.0 == key) {
                Some(s) => s.1 += g.estimate_s,
                None => segs.push((key, g.estimate_s)),
            }
        }
        segs.sort_by_key(|(role, _)| named.iter().position(|n| n == role).unwrap_or(usize::MAX));
        let mut x = 0.0;
        for (role, t) in &segs {
            let w = if total > 0.0 { 100.0 * t / total } else { 0.0 };
            let c = if role == "other" {
                PALETTE[PALETTE.len() - 1]
            } else {
                color_of(role)
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y0), (x + w, y0 + 0.6)],
                    c.filled(),
                )))
                .map_err(e2s)?;
            x += w;
        }
        let (px, py) = chart.backend_coord(&(0.0, y0 + 0.3));
        let base = area.get_base_pixel();
        area.draw(&Text::new(
            format!("{phase} {}", time(total)),
            (px - base.0 - 6, py - base.1),
            font(13).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(e2s)?;
    }
    let mut entries: Vec<(String, RGBColor)> =
        named.iter().map(|n| (n.clone(), color_of(n))).collect();
    if roles.len() > named.len() {
        entries.push(("other".into(), PALETTE[PALETTE.len() - 1]));
    }
    for (i, (name, c)) in entries.iter().enumerate() {
        let y = 50 + 22 * i as i32;
        legend
            .draw(&Rectangle::new([(10, y), (26, y + 14)], c.filled()))
            .map_err(e2s)?;
        legend
            .draw(&Text::new(name.clone(), (34, y + 1), font(13)))
            .map_err(e2s)?;
    }
    Ok(())
}
