//! Plot of a plan search (`llmfab plan --plot`): on the left every plan as
//! a point of P90 end-to-end latency against output tokens/s (Pareto front
//! joined and labelled, the best plan ringed, point area growing with
//! J/token); on the right the cumulative distribution of the best plan's
//! time to first token and end-to-end latency.
//!
//! The inputs are plain numbers (the reports crate does not depend on the
//! simulator); text uses the embedded font of [`crate::plot`].

use crate::plot::{PlotFormat, FONT};
use crate::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::OnceLock;

/// One evaluated plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanPoint {
    /// Plan label (`dp2.tp4.pp1+chunked`).
    pub label: String,
    /// P90 end-to-end latency, seconds.
    pub latency_s: f64,
    /// Output tokens per second.
    pub tokens_per_s: f64,
    /// Joules per output token.
    pub j_per_token: f64,
    /// On the Pareto front.
    pub pareto: bool,
    /// The best plan by the objective.
    pub best: bool,
}

const W: u32 = 1500;
const H: u32 = 700;
const FAMILY: &str = "sans-serif";

fn font_ok() -> Result<(), ReportError> {
    static OK: OnceLock<bool> = OnceLock::new();
    if *OK.get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok()) {
        Ok(())
    } else {
        Err(ReportError::Output(
            "the embedded font could not be loaded".into(),
        ))
    }
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&BLACK)
}

/// A tick label with at most 3 significant digits.
fn sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

fn e2s<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Renders the plot as SVG or PNG bytes. `ttft_s` and `e2e_s` are the best
/// plan's per-request latencies (may be empty).
pub fn render(
    title: &str,
    points: &[PlanPoint],
    best: &str,
    ttft_s: &[f64],
    e2e_s: &[f64],
    f: PlotFormat,
) -> Result<Vec<u8>, ReportError> {
    font_ok()?;
    let err = ReportError::Output;
    match f {
        PlotFormat::Svg => {
            let mut s = String::new();
            {
                let root = SVGBackend::with_string(&mut s, (W, H)).into_drawing_area();
                draw(&root, title, points, best, ttft_s, e2e_s).map_err(err)?;
                root.present()
                    .map_err(|e| ReportError::Output(e.to_string()))?;
            }
            Ok(s.into_bytes())
        }
        PlotFormat::Png => {
            let mut buf = vec![255u8; (W * H * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut buf, (W, H)).into_drawing_area();
                draw(&root, title, points, best, ttft_s, e2e_s).map_err(err)?;
                root.present()
                    .map_err(|e| ReportError::Output(e.to_string()))?;
            }
            let mut out = Vec::new();
            let mut enc = png::Encoder::new(&mut out, W, H);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc
                .write_header()
                .map_err(|e| ReportError::Output(e.to_string()))?;
            w.write_image_data(&buf)
                .map_err(|e| ReportError::Output(e.to_string()))?;
            w.finish().map_err(|e| ReportError::Output(e.to_string()))?;
            Ok(out)
        }
    }
}

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = v
        .filter(|x| x.is_finite() && *x > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    if lo.is_finite() {
        (lo, hi.max(lo * 1.01))
    } else {
        (1e-3, 1.0)
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    points: &[PlanPoint],
    best: &str,
    ttft: &[f64],
    e2e: &[f64],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(e2s)?;
    let root = root.titled(title, font(22)).map_err(e2s)?;
    let (left, right) = root.split_horizontally((W as f64 * 0.58) as u32);
    let (x0, x1) = range(points.iter().map(|p| p.latency_s));
    let (y0, y1) = range(points.iter().map(|p| p.tokens_per_s));
    let mut c = ChartBuilder::on(&left)
        .caption(
            "plans: P90 end-to-end latency vs throughput (area ~ J/token)",
            font(16),
        )
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (x0 / 1.3..x1 * 1.3).log_scale(),
            (y0 / 1.3..y1 * 1.3).log_scale(),
        )
        .map_err(e2s)?;
    c.configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| sig(*v))
        .y_label_formatter(&|v| sig(*v))
        .x_desc("P90 end-to-end latency (s)")
        .y_desc("output tokens/s")
        .label_style(font(13))
        .axis_desc_style(font(15))
        .draw()
        .map_err(e2s)?;
    let (e0, e1) = range(points.iter().map(|p| p.j_per_token));
    let size = |j: f64| {
        if e1 > e0 {
            3.0 + 7.0 * ((j - e0) / (e1 - e0)).clamp(0.0, 1.0)
        } else {
            5.0
        }
    };
    let grey = RGBColor(150, 150, 150);
    let blue = RGBColor(31, 119, 180);
    c.draw_series(points.iter().filter(|p| !p.pareto).map(|p| {
        Circle::new(
            (p.latency_s, p.tokens_per_s),
            size(p.j_per_token) as i32,
            grey.filled(),
        )
    }))
    .map_err(e2s)?;
    let mut front: Vec<&PlanPoint> = points.iter().filter(|p| p.pareto).collect();
    front.sort_by(|a, b| a.latency_s.total_cmp(&b.latency_s));
    c.draw_series(LineSeries::new(
        front.iter().map(|p| (p.latency_s, p.tokens_per_s)),
        blue.stroke_width(2),
    ))
    .map_err(e2s)?
    .label("Pareto front")
    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    c.draw_series(front.iter().map(|p| {
        Circle::new(
            (p.latency_s, p.tokens_per_s),
            size(p.j_per_token) as i32,
            blue.filled(),
        )
    }))
    .map_err(e2s)?;
    c.draw_series(
        front
            .iter()
            .take(12)
            .map(|p| Text::new(p.label.clone(), (p.latency_s, p.tokens_per_s), font(11))),
    )
    .map_err(e2s)?;
    if let Some(b) = points.iter().find(|p| p.best) {
        let red = RGBColor(214, 39, 40);
        c.draw_series(std::iter::once(Circle::new(
            (b.latency_s, b.tokens_per_s),
            12,
            red.stroke_width(3),
        )))
        .map_err(e2s)?
        .label(format!("best: {}", b.label))
        .legend(move |(x, y)| Circle::new((x + 10, y), 6, red.stroke_width(2)));
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(font(13))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(e2s)?;
    // Latency CDFs of the best plan.
    let (l0, l1) = range(ttft.iter().chain(e2e).copied());
    let mut d = ChartBuilder::on(&right)
        .caption(format!("latency distribution of {best}"), font(16))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d((l0 / 1.3..l1 * 1.3).log_scale(), 0.0..1.0)
        .map_err(e2s)?;
    d.configure_mesh()
        .x_labels(8)
        .x_label_formatter(&|v| sig(*v))
        .x_desc("seconds")
        .y_desc("fraction of requests")
        .label_style(font(13))
        .axis_desc_style(font(15))
        .draw()
        .map_err(e2s)?;
    for (name, v, color) in [
        ("TTFT", ttft, RGBColor(44, 160, 44)),
        ("end-to-end", e2e, RGBColor(148, 103, 189)),
    ] {
        let mut s: Vec<f64> = v.iter().copied().filter(|x| *x > 0.0).collect();
        s.sort_by(f64::total_cmp);
        let n = s.len().max(1) as f64;
        d.draw_series(LineSeries::new(
            s.iter().enumerate().map(|(i, x)| (*x, (i + 1) as f64 / n)),
            color.stroke_width(2),
        ))
        .map_err(e2s)?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    d.configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(font(13))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(e2s)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_svg_and_png() {
        let pts = vec![
            PlanPoint {
                label: "a".into(),
                latency_s: 1.0,
                tokens_per_s: 100.0,
                j_per_token: 1.0,
                pareto: true,
                best: true,
            },
            PlanPoint {
                label: "b".into(),
                latency_s: 2.0,
                tokens_per_s: 50.0,
                j_per_token: 2.0,
                pareto: false,
                best: false,
            },
        ];
        let svg = render("t", &pts, "a", &[0.1, 0.2], &[1.0, 2.0], PlotFormat::Svg).unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
        let png = render("t", &pts, "a", &[], &[], PlotFormat::Png).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
