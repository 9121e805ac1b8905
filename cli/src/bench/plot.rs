//! `--plot FILE.svg`: throughput against workload size, one log-log chart per workload
//! family, side by side. A small SVG writer rather than a plotting crate: the charts are
//! lines and markers on decade grids, and the file stays readable in a diff.

use std::fmt::Write as _;

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub name: String,
    /// (x, y), both positive: the axes are logarithmic.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: &str) -> Self {
        Series {
            name: name.to_owned(),
            points: Vec::new(),
        }
    }

    pub fn push(&mut self, x: f64, y: f64) {
        if x > 0.0 && y > 0.0 {
            self.points.push((x, y));
        }
    }
}

const PANEL_W: f64 = 400.0;
const PANEL_H: f64 = 320.0;
/// Inside a panel: room for the title above, the tick labels left and below.
const LEFT: f64 = 62.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 52.0;
const HEADER: f64 = 34.0;
/// One colour per series, in order (stepwise first): distinct in colour and in grey.
const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#7f7f7f"];

/// The whole figure: `title` above the charts, laid out in a row.
pub fn svg(title: &str, charts: &[&Chart]) -> String {
    let width = PANEL_W * charts.len().max(1) as f64;
    let height = HEADER + PANEL_H;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        width / 2.0,
        escape(title)
    );
    for (i, chart) in charts.iter().enumerate() {
        panel(&mut out, chart, i as f64 * PANEL_W, HEADER);
    }
    out.push_str("</svg>\n");
    out
}

/// The decades that cover `values`: (lowest exponent, highest exponent), at least one apart.
fn decades(values: impl Iterator<Item = f64>) -> (i32, i32) {
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0, 1);
    }
    let lo = lo.log10().floor() as i32;
    let hi = (hi.log10().ceil() as i32).max(lo + 1);
    (lo, hi)
}

fn panel(out: &mut String, chart: &Chart, x0: f64, y0: f64) {
    let points = || chart.series.iter().flat_map(|s| s.points.iter());
    let (x_lo, x_hi) = decades(points().map(|p| p.0));
    let (y_lo, y_hi) = decades(points().map(|p| p.1));
    let (left, right) = (x0 + LEFT, x0 + PANEL_W - RIGHT);
    let (top, bottom) = (y0 + TOP, y0 + PANEL_H - BOTTOM);
    let sx = |x: f64| left + (x.log10() - x_lo as f64) / (x_hi - x_lo) as f64 * (right - left);
    let sy = |y: f64| bottom - (y.log10() - y_lo as f64) / (y_hi - y_lo) as f64 * (bottom - top);

    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle" font-size="13" font-weight="bold">{}</text>"#,
        (left + right) / 2.0,
        y0 + 18.0,
        escape(&chart.title)
    );
    // Decade grid lines and their labels.
    for e in x_lo..=x_hi {
        let x = sx(10f64.powi(e));
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{bottom}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            bottom + 15.0,
            decade_label(e)
        );
    }
    for e in y_lo..=y_hi {
        let y = sy(10f64.powi(e));
        let _ = writeln!(
            out,
            r##"<line x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            left - 5.0,
            y + 4.0,
            decade_label(e)
        );
    }
    let _ = writeln!(
        out,
        r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#444"/>"##,
        right - left,
        bottom - top
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        (left + right) / 2.0,
        bottom + 34.0,
        escape(&chart.x_label)
    );
    let (ly, lx) = ((top + bottom) / 2.0, x0 + 14.0);
    let _ = writeln!(
        out,
        r#"<text x="{lx}" y="{ly}" text-anchor="middle" transform="rotate(-90 {lx} {ly})">{}</text>"#,
        escape(&chart.y_label)
    );
    for (i, series) in chart.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let path: Vec<String> = series
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for &(x, y) in &series.points {
            let _ = writeln!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"/>"#,
                sx(x),
                sy(y)
            );
        }
        // The legend, in a row between the title and the frame, where no data can be.
        let (x, y) = (left + 150.0 * i as f64, top - 10.0);
        let _ = writeln!(
            out,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
            x + 18.0,
            x + 23.0,
            y + 4.0,
            escape(&series.name)
        );
    }
}

/// `10`, `1k`, `10M`: what a reader says for a decade.
fn decade_label(exponent: i32) -> String {
    let (suffix, shift) = match exponent {
        e if e >= 9 => ("G", 9),
        e if e >= 6 => ("M", 6),
        e if e >= 3 => ("k", 3),
        _ => ("", 0),
    };
    if exponent < 0 {
        return format!("{}", 10f64.powi(exponent));
    }
    format!("{}{suffix}", 10u64.pow((exponent - shift) as u32))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_labels() {
        let labels: Vec<String> = (0..=8).map(decade_label).collect();
        assert_eq!(
            labels,
            ["1", "10", "100", "1k", "10k", "100k", "1M", "10M", "100M"]
        );
    }

    #[test]
    fn decades_cover_the_values() {
        assert_eq!(decades([20.0, 3_000.0].into_iter()), (1, 4));
        assert_eq!(decades([100.0].into_iter()), (2, 3));
    }

    #[test]
    fn each_point_is_a_marker_inside_its_panel() {
        let mut series = Series::new("a & b");
        series.push(10.0, 1e6);
        series.push(100.0, 2e6);
        series.push(1_000.0, 0.0); // not drawable on a log axis: dropped
        let chart = Chart {
            title: "t".to_owned(),
            x_label: "x".to_owned(),
            y_label: "y".to_owned(),
            series: vec![series],
        };
        let svg = svg("title", &[&chart]);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("a &amp; b"));
        for cx in svg.split("cx=\"").skip(1) {
            let x: f64 = cx
                .split('"')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("cx");
            assert!((LEFT..=PANEL_W - RIGHT).contains(&x), "{x}");
        }
    }
}
