//! Small SVG charts from plain data, drawn with plotters and the embedded
//! font, for [`super::Figure`]s: horizontal bars ([`bars`]), scatter plots
//! ([`scatter`]) and line charts ([`lines`]). Output is deterministic: the
//! same data gives the same bytes.

use crate::plot::register_font;
use crate::units::sig3;
use crate::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;

const FAMILY: &str = "sans-serif";

/// The colours of series and bars, in order.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
];

fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&BLACK)
}

fn e2s<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn svg(
    w: u32,
    h: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), String>,
) -> Result<String, ReportError> {
    register_font()?;
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| ReportError::Output(e2s(e)))?;
        draw(&root).map_err(ReportError::Output)?;
        root.present()
            .map_err(|e| ReportError::Output(e.to_string()))?;
    }
    Ok(s)
}

/// One bar: label, value, colour index into [`PALETTE`].
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Label left of the bar.
    pub label: String,
    /// Length.
    pub value: f64,
    /// Colour index.
    pub color: usize,
}

/// A horizontal bar chart, bars top to bottom in input order; `limit`
/// draws a dashed vertical line (a capacity, 100 %).
pub fn bars(
    title: &str,
    x_desc: &str,
    items: &[Bar],
    limit: Option<f64>,
) -> Result<String, ReportError> {
    let n = items.len().max(1);
    let h = 90 + 26 * n as u32;
    let xmax = items
        .iter()
        .map(|b| b.value)
        .chain(limit)
        .fold(0.0f64, f64::max)
        .max(1e-30)
        * 1.12;
    let label_w = items
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(4) as u32
        * 7
        + 16;
    svg(900, h, |root| {
        let mut c = ChartBuilder::on(root)
            .caption(title, font(16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(label_w.min(360))
            .build_cartesian_2d(0.0..xmax, 0.0..n as f64)
            .map_err(e2s)?;
        let labels: Vec<String> = items.iter().map(|b| b.label.clone()).collect();
        c.configure_mesh()
            .disable_y_mesh()
            .y_labels(n * 2 + 1)
            .y_label_formatter(&|y| {
                let f = y.fract();
                let i = n as f64 - 1.0 - y.floor();
                if (f - 0.5).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc(x_desc)
            .x_label_formatter(&|v| sig3(*v))
            .label_style(font(12))
            .axis_desc_style(font(13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e2s)?;
        c.draw_series(items.iter().enumerate().map(|(i, b)| {
            let y = (n - 1 - i) as f64;
            Rectangle::new(
                [(0.0, y + 0.18), (b.value.max(0.0), y + 0.82)],
                color(b.color).filled(),
            )
        }))
        .map_err(e2s)?;
        if let Some(l) = limit {
            c.draw_series(DashedLineSeries::new(
                [(l, 0.0), (l, n as f64)],
                6,
                4,
                RGBColor(192, 57, 43).stroke_width(2),
            ))
            .map_err(e2s)?;
        }
        Ok(())
    })
}

/// A named set of points or a line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Points (x, y).
    pub points: Vec<(f64, f64)>,
    /// Colour index into [`PALETTE`].
    pub color: usize,
    /// Marker radius in pixels (scatter), or line width (lines).
    pub size: u32,
}

fn range(vals: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        (lo / 1.5, hi * 1.5)
    } else {
        let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.05).max(1e-12);
        (
            (lo - pad).min(if lo >= 0.0 { 0.0 } else { lo - pad }),
            hi + pad,
        )
    }
}

/// A scatter plot with a legend; `log` makes both axes logarithmic.
pub fn scatter(
    title: &str,
    axes: (&str, &str),
    series: &[Series],
    log: bool,
) -> Result<String, ReportError> {
    let (x0, x1) = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        log,
    );
    let (y0, y1) = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        log,
    );
    svg(900, 560, |root| {
        macro_rules! draw {
            ($c:expr) => {{
                let mut c = $c;
                c.configure_mesh()
                    .x_desc(axes.0)
                    .y_desc(axes.1)
                    .x_label_formatter(&|v| sig3(*v))
                    .y_label_formatter(&|v| sig3(*v))
                    .label_style(font(12))
                    .axis_desc_style(font(13))
                    .light_line_style(RGBColor(235, 235, 235))
                    .draw()
                    .map_err(e2s)?;
                for s in series {
                    let col = color(s.color);
                    let r = s.size.max(2);
                    c.draw_series(s.points.iter().map(|p| Circle::new(*p, r, col.filled())))
                        .map_err(e2s)?
                        .label(s.name.clone())
                        .legend(move |(x, y)| Circle::new((x + 6, y), r.min(6), col.filled()));
                }
                c.configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(RGBColor(200, 200, 200))
                    .label_font(font(12))
                    .position(SeriesLabelPosition::UpperRight)
                    .draw()
                    .map_err(e2s)?;
            }};
        }
        let b = || {
            let mut b = ChartBuilder::on(root);
            b.caption(title, font(16))
                .margin(12)
                .x_label_area_size(42)
                .y_label_area_size(70);
            b
        };
        if log {
            draw!(b()
                .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
                .map_err(e2s)?);
        } else {
            draw!(b().build_cartesian_2d(x0..x1, y0..y1).map_err(e2s)?);
        }
        Ok(())
    })
}

/// A line chart with a legend (linear axes); `y_max` fixes the top of the
/// y axis (1.0 for a utilisation).
pub fn lines(
    title: &str,
    axes: (&str, &str),
    series: &[Series],
    y_max: Option<f64>,
) -> Result<String, ReportError> {
    let (x0, x1) = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        false,
    );
    let (_, y1) = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        false,
    );
    let y1 = y_max.map_or(y1, |m| m * 1.05);
    svg(900, 420, |root| {
        let mut c = ChartBuilder::on(root)
            .caption(title, font(16))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(60)
            .build_cartesian_2d(x0.max(0.0)..x1, 0.0..y1)
            .map_err(e2s)?;
        c.configure_mesh()
            .x_desc(axes.0)
            .y_desc(axes.1)
            .x_label_formatter(&|v| sig3(*v))
            .y_label_formatter(&|v| sig3(*v))
            .label_style(font(12))
            .axis_desc_style(font(13))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e2s)?;
        for s in series {
            let col = color(s.color);
            c.draw_series(LineSeries::new(
                s.points.iter().copied(),
                col.stroke_width(s.size.max(1)),
            ))
            .map_err(e2s)?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], col.stroke_width(3)));
        }
        c.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font(font(12))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(e2s)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_and_deterministic() {
        let b = [
            Bar {
                label: "lut".into(),
                value: 40.0,
                color: 0,
            },
            Bar {
                label: "dsp".into(),
                value: 90.0,
                color: 1,
            },
        ];
        let a = bars("use", "%", &b, Some(100.0)).unwrap();
        assert!(a.contains("<svg") && a.contains("dsp"));
        assert_eq!(a, bars("use", "%", &b, Some(100.0)).unwrap());
        let s = [Series {
            name: "front".into(),
            points: vec![(1.0, 2.0), (3.0, 0.5)],
            color: 0,
            size: 4,
        }];
        assert!(scatter("p", ("x", "y"), &s, true)
            .unwrap()
            .contains("circle"));
        assert!(lines("u", ("t", "u"), &s, Some(1.0))
            .unwrap()
            .contains("front"));
        // empty data still draws axes rather than failing
        assert!(scatter("p", ("x", "y"), &[], false).is_ok());
    }
}
