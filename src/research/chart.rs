//! Bar charts as inline SVG: axes, ticks, labels, no scripts, no fonts to fetch.
//!
//! Small and deterministic on purpose: the same tables draw the same bytes, and the page
//! that holds them needs nothing from the network.

use std::fmt::Write;

/// One bar: its label and its parts, stacked from the axis up (value, CSS colour).
pub struct Bar {
    pub label: String,
    pub parts: Vec<(f64, &'static str)>,
}

impl Bar {
    pub fn single(label: String, value: f64, color: &'static str) -> Bar {
        Bar {
            label,
            parts: vec![(value, color)],
        }
    }

    pub fn value(&self) -> f64 {
        self.parts.iter().map(|(value, _)| value).sum()
    }
}

pub const BLUE: &str = "#4472c4";
pub const ORANGE: &str = "#ed7d31";
pub const GREY: &str = "#7f7f7f";

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 90.0;

/// A vertical bar chart. `marker` draws a labelled vertical line at a position counted in
/// bars from the left edge (2.5 is the middle of the third bar), e.g. the day a rule changed.
pub fn vertical(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    bars: &[Bar],
    marker: Option<(f64, &str)>,
) -> String {
    let mut svg = open(id, title, WIDTH, HEIGHT);
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let (step, top) = ticks(bars.iter().map(Bar::value).fold(0.0, f64::max));
    y_axis(&mut svg, step, top, plot_height, y_label);
    let slot = plot_width / bars.len().max(1) as f64;
    // Label every k-th bar so labels never overlap.
    let every = ((bars.len() as f64 * 14.0) / plot_width).ceil().max(1.0) as usize;
    // Few bars: labels upright; many: rotated so they fit.
    let rotate = bars.len() > 12;
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + i as f64 * slot + slot * 0.1;
        let mut base = TOP + plot_height;
        for &(value, color) in &bar.parts {
            let height = value / top * plot_height;
            base -= height;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{base:.1}" width="{:.1}" height="{height:.1}" fill="{color}"><title>{}: {value}</title></rect>"#,
                slot * 0.8,
                escape(&bar.label),
            );
        }
        if i % every == 0 {
            let cx = LEFT + (i as f64 + 0.5) * slot;
            let ly = TOP + plot_height + if rotate { 10.0 } else { 16.0 };
            let transform = if rotate {
                format!(r#" text-anchor="end" transform="rotate(-60 {cx:.1} {ly:.1})""#)
            } else {
                r#" text-anchor="middle""#.to_string()
            };
            let _ = write!(
                svg,
                r#"<text x="{cx:.1}" y="{ly:.1}" font-size="11"{transform}>{}</text>"#,
                escape(&bar.label)
            );
        }
    }
    if let Some((position, text)) = marker {
        let x = LEFT + position * slot;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#c00000" stroke-width="2" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#c00000">{}</text>"##,
            TOP + plot_height,
            x + 4.0,
            TOP + 14.0,
            escape(text)
        );
    }
    x_axis(&mut svg, plot_width, plot_height, x_label, HEIGHT - 8.0);
    svg.push_str("</svg>");
    svg
}

/// A horizontal bar chart (long labels on the left), values written at the bar ends.
pub fn horizontal(id: &str, title: &str, x_label: &str, bars: &[Bar], percent: bool) -> String {
    let label_width = 260.0;
    let row = 24.0;
    let height = TOP + bars.len().max(1) as f64 * row + 60.0;
    let mut svg = open(id, title, WIDTH, height);
    let plot_width = WIDTH - label_width - RIGHT - 60.0;
    let (step, top) = ticks(bars.iter().map(Bar::value).fold(0.0, f64::max));
    let bottom = TOP + bars.len() as f64 * row;
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + i as f64 * row;
        let width = bar.value() / top * plot_width;
        let color = bar.parts.first().map_or(GREY, |&(_, color)| color);
        let shown = if percent {
            format!("{:.0}%", bar.value() * 100.0)
        } else {
            format!("{}", bar.value())
        };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text><rect x="{label_width}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="{}"><title>{}: {shown}</title></rect><text x="{:.1}" y="{:.1}" font-size="11">{shown}</text>"#,
            label_width - 6.0,
            y + row * 0.65,
            escape(&bar.label),
            y + row * 0.15,
            row * 0.7,
            color,
            escape(&bar.label),
            label_width + width + 4.0,
            y + row * 0.65,
        );
    }
    // The value axis along the bottom, with ticks.
    let _ = write!(
        svg,
        r#"<line x1="{label_width}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="black"/>"#,
        label_width + plot_width
    );
    let mut value = 0.0;
    while value <= top + step / 2.0 {
        let x = label_width + value / top * plot_width;
        let text = if percent {
            format!("{:.0}%", value * 100.0)
        } else {
            format_number(value)
        };
        let _ = write!(
            svg,
            r#"<line x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}" stroke="black"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{text}</text>"#,
            bottom + 5.0,
            bottom + 18.0
        );
        value += step;
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text></svg>"#,
        label_width + plot_width / 2.0,
        bottom + 40.0,
        escape(x_label)
    );
    svg
}

fn open(id: &str, title: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg class="chart" id="{id}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{0}"><text x="{1}" y="22" font-size="16" font-weight="bold" text-anchor="middle">{0}</text>"#,
        escape(title),
        width / 2.0
    )
}

fn y_axis(svg: &mut String, step: f64, top: f64, plot_height: f64, y_label: &str) {
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{:.1}" stroke="black"/>"#,
        TOP + plot_height
    );
    let mut value = 0.0;
    while value <= top + step / 2.0 {
        let y = TOP + plot_height - value / top * plot_height;
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#d9d9d9"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            LEFT - 5.0,
            WIDTH - RIGHT,
            LEFT - 8.0,
            y + 4.0,
            format_number(value)
        );
        value += step;
    }
    let _ = write!(
        svg,
        r#"<text x="18" y="{:.1}" font-size="12" text-anchor="middle" transform="rotate(-90 18 {:.1})">{}</text>"#,
        TOP + plot_height / 2.0,
        TOP + plot_height / 2.0,
        escape(y_label)
    );
}

fn x_axis(svg: &mut String, plot_width: f64, plot_height: f64, x_label: &str, label_y: f64) {
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black"/><text x="{:.1}" y="{label_y:.1}" font-size="12" text-anchor="middle">{}</text>"#,
        TOP + plot_height,
        LEFT + plot_width,
        TOP + plot_height,
        LEFT + plot_width / 2.0,
        escape(x_label)
    );
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) and the axis top it gives.
fn ticks(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 1.0);
    }
    let rough = max / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(power * 10.0);
    (step, (max / step).ceil() * step)
}

fn format_number(value: f64) -> String {
    if value.fract().abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks() {
        assert_eq!(ticks(47.0), (10.0, 50.0));
        assert_eq!(ticks(3.0), (1.0, 3.0));
        assert_eq!(ticks(0.46), (0.1, 0.5));
        assert_eq!(ticks(0.0), (1.0, 1.0));
    }

    #[test]
    fn one_rect_per_bar_and_escaped_labels() {
        let bars: Vec<Bar> = (0..5)
            .map(|i| Bar::single(format!("<b{i}>"), i as f64, BLUE))
            .collect();
        let svg = vertical("c", "T & t", "x", "y", &bars, Some((2.5, "change")));
        assert_eq!(svg.matches("<rect").count(), 5);
        assert!(svg.contains("&lt;b1&gt;") && !svg.contains("<b1>"));
        assert!(svg.contains("T &amp; t") && svg.contains("change"));
        assert_eq!(
            horizontal("h", "T", "x", &bars, false)
                .matches("<rect")
                .count(),
            5
        );
        let stacked = [Bar {
            label: "m".into(),
            parts: vec![(3.0, BLUE), (2.0, ORANGE)],
        }];
        assert_eq!(
            vertical("s", "T", "x", "y", &stacked, None)
                .matches("<rect")
                .count(),
            2
        );
    }
}
