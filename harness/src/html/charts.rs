//! The report's charts, drawn by plotters into inline SVG: intended against
//! achieved rate and latency percentiles second by second, and the HDR
//! percentile curve of every scenario.

use hdrhistogram::Histogram;
use plotters::prelude::*;

use crate::timeline::TimelineSecond;

/// Width and height of every chart, px.
const SIZE: (u32, u32) = (480, 240);

/// Series colours: blue, orange, green, red, purple (colour-blind friendly).
const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

/// A chart plotters could not draw; the report shows its message in the
/// chart's place.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(super) struct ChartError(#[from] DrawingAreaErrorKind<std::io::Error>);

/// One line of a chart.
struct Line {
    label: String,
    points: Vec<(f64, f64)>,
}

/// Draws lines into an SVG; `log_x` draws x on a log scale labelled by
/// `x_label`.
fn draw(
    title: &str,
    (x_desc, y_desc): (&str, &str),
    lines: &[Line],
    log_x: Option<&dyn Fn(&f64) -> String>,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    let max = |f: fn(&(f64, f64)) -> f64| {
        lines
            .iter()
            .flat_map(|l| l.points.iter().map(f))
            .fold(0.0f64, f64::max)
    };
    let (x_max, y_max) = (max(|p| p.0).max(1.0), max(|p| p.1).max(0.001) * 1.1);
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(54);
        let style = |l: usize| PALETTE[l % PALETTE.len()].stroke_width(2);
        macro_rules! plot {
            ($chart:expr) => {{
                let mut chart = $chart;
                let mut mesh = chart.configure_mesh();
                mesh.x_desc(x_desc).y_desc(y_desc);
                if let Some(format) = log_x {
                    mesh.x_label_formatter(format);
                }
                mesh.draw()?;
                for (i, line) in lines.iter().enumerate() {
                    chart
                        .draw_series(LineSeries::new(line.points.iter().copied(), style(i)))?
                        .label(line.label.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 16, y)], style(i))
                        });
                }
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperLeft)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .draw()?;
            }};
        }
        if log_x.is_some() {
            plot!(builder.build_cartesian_2d((1.0f64..x_max).log_scale(), 0.0f64..y_max)?);
        } else {
            plot!(builder.build_cartesian_2d(0.0f64..x_max, 0.0f64..y_max)?);
        }
        root.present()?;
    }
    Ok(svg)
}

/// Requests due (intended) and sent (achieved) per second.
pub(super) fn rate(timeline: &[TimelineSecond]) -> Result<String, ChartError> {
    let line = |label: &str, f: fn(&TimelineSecond) -> u64| Line {
        label: label.to_owned(),
        points: timeline
            .iter()
            .map(|s| (s.t_s as f64, f(s) as f64))
            .collect(),
    };
    draw(
        "Rate: intended vs achieved",
        ("seconds", "requests/s"),
        &[
            line("intended", |s| s.intended),
            line("achieved", |s| s.sent),
        ],
        None,
    )
}

/// p50, p99 and max latency of the requests due each second.
pub(super) fn latency_over_time(timeline: &[TimelineSecond]) -> Result<String, ChartError> {
    let line = |label: &str, f: fn(&TimelineSecond) -> u64| Line {
        label: label.to_owned(),
        points: timeline
            .iter()
            .filter(|s| s.intended > 0)
            .map(|s| (s.t_s as f64, f(s) as f64 / 1000.0))
            .collect(),
    };
    draw(
        "Latency per second",
        ("seconds", "ms"),
        &[
            line("p50", |s| s.p50_us),
            line("p99", |s| s.p99_us),
            line("max", |s| s.max_us),
        ],
        None,
    )
}

/// The HDR percentile curve (latency by percentile, the percentile axis
/// spread as 1/(1-q) so the tail gets the room) of each named histogram.
pub(super) fn percentile_curve(
    histograms: &[(&str, &Histogram<u64>)],
) -> Result<String, ChartError> {
    let lines: Vec<Line> = histograms
        .iter()
        .filter(|(_, h)| !h.is_empty())
        .map(|(name, h)| Line {
            label: (*name).to_owned(),
            points: h
                .iter_quantiles(2)
                .map(|v| (v.quantile_iterated_to(), v.value_iterated_to()))
                .filter(|(q, _)| *q < 1.0)
                .map(|(q, value)| (1.0 / (1.0 - q), value as f64 / 1000.0))
                .collect(),
        })
        .collect();
    let label = |x: &f64| {
        let q = 100.0 * (1.0 - 1.0 / x);
        format!("{}%", trim(q))
    };
    draw(
        "Latency by percentile (HDR)",
        ("percentile", "ms"),
        &lines,
        Some(&label),
    )
}

/// A percentage without trailing zeros: 90, 99, 99.9.
fn trim(q: f64) -> String {
    let text = format!("{q:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
