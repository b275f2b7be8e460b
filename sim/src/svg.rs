//! Small self-contained SVG charts for the report: grouped bars with intervals (vertical or
//! horizontal), and lines. Axes get round tick values; a zero line is drawn when zero is in range.

use std::fmt::Write;

/// Palette, colour-blind safe (Okabe–Ito).
pub const COLORS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

/// `s` made safe as HTML or SVG text or a quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar series: a name and one value (with optional interval) per group.
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Per group: value and optional [lo, hi].
    pub values: Vec<Option<(f64, Option<[f64; 2]>)>>,
}

/// Round tick values covering `[lo, hi]`, about `n` of them, on a 1-2-5 grid.
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, lo + 1.0)
    };
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn label(v: f64, percent: bool, step: f64) -> String {
    let digits = |scale: f64| ((-(step * scale).log10()).ceil().max(0.0) as usize).min(6);
    if percent {
        format!("{:.*}%", digits(100.0), 100.0 * v)
    } else {
        format!("{:.*}", digits(1.0), v)
    }
}

fn extent(series: &[Series]) -> (f64, f64) {
    let (mut lo, mut hi) = (0f64, 0f64);
    for s in series {
        for (v, ci) in s.values.iter().flatten() {
            let (a, b) = ci
                .filter(|c| c[0].is_finite() && c[1].is_finite())
                .map_or((*v, *v), |c| (c[0], c[1]));
            lo = lo.min(*v).min(a);
            hi = hi.max(*v).max(b);
        }
    }
    (lo, hi)
}

fn svg_open(o: &mut String, w: f64, h: f64, title: &str, x: f64) {
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="sans-serif" font-size="12"><text x="{x}" y="20" font-size="14" font-weight="bold">{}</text>"#,
        escape(title)
    );
}

fn legend(o: &mut String, x: f64, top: f64, series: &[Series]) {
    for (si, s) in series.iter().enumerate() {
        let ly = top + 8.0 + si as f64 * 18.0;
        let _ = write!(
            o,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{ly}">{}</text>"#,
            ly - 10.0,
            COLORS[si % 8],
            x + 18.0,
            escape(&s.name)
        );
    }
}

/// Grouped vertical bars, `w` pixels wide; the value axis always includes zero.
pub fn bars(
    title: &str,
    groups: &[String],
    series: &[Series],
    y_label: &str,
    percent: bool,
    w: f64,
) -> String {
    let h = 320.0;
    let (left, right, top, bottom) = (70.0, 190.0, 34.0, 40.0);
    let (lo, hi) = extent(series);
    let tk = ticks(lo, hi, 5);
    let (lo, hi) = (tk[0], tk[tk.len() - 1]);
    let step = tk.get(1).map_or(1.0, |t| t - tk[0]);
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v - lo) / (hi - lo));
    let gw = (w - left - right) / groups.len().max(1) as f64;
    let bw = (gw * 0.8) / series.len().max(1) as f64;
    let mut o = String::new();
    svg_open(&mut o, w, h, title, left);
    for &v in &tk {
        let _ = write!(
            o,
            r##"<line x1="{left}" x2="{}" y1="{yv:.1}" y2="{yv:.1}" stroke="{}"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            w - right,
            if v == 0.0 { "#333" } else { "#e3e3e3" },
            left - 6.0,
            y(v) + 4.0,
            label(v, percent, step),
            yv = y(v)
        );
    }
    let _ = write!(
        o,
        r#"<text transform="translate(14,{}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (top + h - bottom) / 2.0,
        escape(y_label)
    );
    let base = y(0.0f64.clamp(lo, hi));
    for (g, name) in groups.iter().enumerate() {
        let _ = write!(
            o,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            left + (g as f64 + 0.5) * gw,
            h - bottom + 16.0,
            escape(name)
        );
        for (si, s) in series.iter().enumerate() {
            let Some(Some((v, ci))) = s.values.get(g) else {
                continue;
            };
            let x = left + g as f64 * gw + gw * 0.1 + si as f64 * bw;
            let (y0, y1) = if y(*v) < base {
                (y(*v), base)
            } else {
                (base, y(*v))
            };
            let _ = write!(
                o,
                r#"<rect x="{x:.1}" y="{y0:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {v:.5}</title></rect>"#,
                bw * 0.92,
                (y1 - y0).max(0.5),
                COLORS[si % 8],
                escape(&s.name)
            );
            if let Some([a, b]) = ci
                && a.is_finite()
                && b.is_finite()
            {
                let cx = x + bw * 0.46;
                let _ = write!(
                    o,
                    r##"<path d="M{cx:.1},{ya:.1}V{yb:.1}M{:.1},{ya:.1}h6M{:.1},{yb:.1}h6" stroke="#222" fill="none"/>"##,
                    cx - 3.0,
                    cx - 3.0,
                    ya = y(*a),
                    yb = y(*b)
                );
            }
        }
    }
    legend(&mut o, w - right + 12.0, top, series);
    o.push_str("</svg>");
    o
}

/// Grouped horizontal bars: one row per label, one bar per series, for long row labels.
pub fn hbars(
    title: &str,
    rows: &[String],
    series: &[Series],
    x_label: &str,
    percent: bool,
) -> String {
    let row_h = 10.0 + 9.0 * series.len() as f64;
    let (left, right, top, bottom) = (190.0, 200.0, 34.0, 44.0);
    let w = 980.0;
    let h = top + bottom + row_h * rows.len() as f64;
    let (lo, hi) = extent(series);
    let tk = ticks(lo, hi, 6);
    let (lo, hi) = (tk[0], tk[tk.len() - 1]);
    let step = tk.get(1).map_or(1.0, |t| t - tk[0]);
    let x = |v: f64| left + (w - left - right) * (v - lo) / (hi - lo);
    let mut o = String::new();
    svg_open(&mut o, w, h, title, 10.0);
    for &v in &tk {
        let _ = write!(
            o,
            r##"<line x1="{xv:.1}" x2="{xv:.1}" y1="{top}" y2="{}" stroke="{}"/><text x="{xv:.1}" y="{}" text-anchor="middle">{}</text>"##,
            h - bottom,
            if v == 0.0 { "#333" } else { "#e3e3e3" },
            h - bottom + 16.0,
            label(v, percent, step),
            xv = x(v)
        );
    }
    let _ = write!(
        o,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
        (left + w - right) / 2.0,
        h - 6.0,
        escape(x_label)
    );
    let zero = x(0.0f64.clamp(lo, hi));
    for (r, name) in rows.iter().enumerate() {
        let ry = top + r as f64 * row_h;
        let _ = write!(
            o,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            ry + row_h / 2.0 + 4.0,
            escape(name)
        );
        for (si, s) in series.iter().enumerate() {
            let Some(Some((v, ci))) = s.values.get(r) else {
                continue;
            };
            let by = ry + 5.0 + si as f64 * 9.0;
            let (x0, x1) = if x(*v) < zero {
                (x(*v), zero)
            } else {
                (zero, x(*v))
            };
            let _ = write!(
                o,
                r#"<rect x="{x0:.1}" y="{by:.1}" width="{:.1}" height="8" fill="{}"><title>{}: {v:.5}</title></rect>"#,
                (x1 - x0).max(0.5),
                COLORS[si % 8],
                escape(&s.name)
            );
            if let Some([a, b]) = ci
                && a.is_finite()
                && b.is_finite()
            {
                let cy = by + 4.0;
                let _ = write!(
                    o,
                    r##"<path d="M{xa:.1},{cy:.1}H{xb:.1}M{xa:.1},{:.1}v6M{xb:.1},{:.1}v6" stroke="#222" fill="none"/>"##,
                    cy - 3.0,
                    cy - 3.0,
                    xa = x(*a),
                    xb = x(*b)
                );
            }
        }
    }
    legend(&mut o, w - right + 14.0, top, series);
    o.push_str("</svg>");
    o
}

/// One line: points (x, y).
pub struct Line {
    /// Legend label.
    pub name: String,
    /// Points.
    pub points: Vec<(f64, f64)>,
    /// Dashed.
    pub dashed: bool,
}

/// Line chart.
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Line],
    y_percent: bool,
) -> String {
    let (w, h) = (560.0, 340.0);
    let (left, right, top, bottom) = (64.0, 200.0, 34.0, 46.0);
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    if pts.is_empty() {
        return String::new();
    }
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in &pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let (xt, yt) = (ticks(x0, x1, 5), ticks(y0, y1, 5));
    let (x0, x1, y0, y1) = (xt[0], xt[xt.len() - 1], yt[0], yt[yt.len() - 1]);
    let (xs, ys) = (
        xt.get(1).map_or(1.0, |t| t - xt[0]),
        yt.get(1).map_or(1.0, |t| t - yt[0]),
    );
    let px = |x: f64| left + (w - left - right) * (x - x0) / (x1 - x0);
    let py = |y: f64| top + (h - top - bottom) * (1.0 - (y - y0) / (y1 - y0));
    let mut o = String::new();
    svg_open(&mut o, w, h, title, left);
    for &v in &yt {
        let _ = write!(
            o,
            r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="{}"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            w - right,
            if v == 0.0 { "#333" } else { "#eee" },
            left - 6.0,
            py(v) + 4.0,
            label(v, y_percent, ys),
            yy = py(v)
        );
    }
    for &v in &xt {
        let _ = write!(
            o,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            px(v),
            h - bottom + 16.0,
            label(v, false, xs)
        );
    }
    let _ = write!(
        o,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
        (left + w - right) / 2.0,
        h - 8.0,
        escape(x_label)
    );
    let _ = write!(
        o,
        r#"<text transform="translate(14,{}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (top + h - bottom) / 2.0,
        escape(y_label)
    );
    for (si, s) in series.iter().enumerate() {
        let d: Vec<String> = s
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let dash = if s.dashed {
            r#" stroke-dasharray="5,4""#
        } else {
            ""
        };
        let _ = write!(
            o,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
            d.join(" "),
            COLORS[si % 8]
        );
        for &(x, y) in s
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
        {
            let _ = write!(
                o,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"/>"#,
                px(x),
                py(y),
                COLORS[si % 8]
            );
        }
        let ly = top + 8.0 + si as f64 * 18.0;
        let _ = write!(
            o,
            r#"<line x1="{}" x2="{}" y1="{ly}" y2="{ly}" stroke="{}" stroke-width="3"{dash}/><text x="{}" y="{}">{}</text>"#,
            w - right + 10.0,
            w - right + 30.0,
            COLORS[si % 8],
            w - right + 36.0,
            ly + 4.0,
            escape(&s.name)
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let t = ticks(-0.027, 0.259, 5);
        assert!(t[0] <= -0.027 && *t.last().unwrap() >= 0.259);
        assert!(t.contains(&0.0));
        assert_eq!(label(0.05, true, 0.05), "5%");
        assert_eq!(label(0.25, false, 0.05), "0.25");
    }
}
