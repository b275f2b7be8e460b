//! Small self-contained SVG charts for the report: grouped bars with intervals, and lines.

use std::fmt::Write;

/// Palette, colour-blind safe (Okabe–Ito).
pub const COLORS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One bar series: a name and one value (with optional interval) per group.
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Per group: value and optional [lo, hi].
    pub values: Vec<Option<(f64, Option<[f64; 2]>)>>,
}

fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo == hi {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    };
    let pad = (hi - lo) * 0.08;
    (lo - pad, hi + pad)
}

/// Grouped bar chart, `w` pixels wide; the value axis always includes zero.
pub fn bars(
    title: &str,
    groups: &[String],
    series: &[Series],
    y_label: &str,
    percent: bool,
    w: f64,
) -> String {
    let h = 320.0;
    let (left, right, top, bottom) = (70.0, 170.0, 34.0, 60.0);
    let mut lo = 0f64;
    let mut hi = 0f64;
    for s in series {
        for (v, ci) in s.values.iter().flatten() {
            lo = lo.min(*v).min(ci.map_or(*v, |c| c[0]));
            hi = hi.max(*v).max(ci.map_or(*v, |c| c[1]));
        }
    }
    let (lo, hi) = nice_range(lo, hi);
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v - lo) / (hi - lo));
    let pw = w - left - right;
    let gw = pw / groups.len().max(1) as f64;
    let bw = (gw * 0.8) / series.len().max(1) as f64;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(
        o,
        r#"<text x="{}" y="20" font-size="14" font-weight="bold">{}</text>"#,
        left,
        esc(title)
    );
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f64 / 4.0;
        let label = if percent {
            format!("{:.1}%", 100.0 * v)
        } else {
            format!("{v:.3}")
        };
        let _ = write!(
            o,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{label}</text>"##,
            w - right,
            left - 6.0,
            y(v) + 4.0,
            y = y(v)
        );
    }
    if lo < 0.0 && hi > 0.0 {
        let _ = write!(
            o,
            r##"<line x1="{left}" x2="{}" y1="{z:.1}" y2="{z:.1}" stroke="#333"/>"##,
            w - right,
            z = y(0.0)
        );
    }
    let _ = write!(
        o,
        r#"<text transform="translate(14,{}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (top + h - bottom) / 2.0,
        esc(y_label)
    );
    for (g, name) in groups.iter().enumerate() {
        let gx = left + g as f64 * gw + gw * 0.1;
        let _ = write!(
            o,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            left + (g as f64 + 0.5) * gw,
            h - bottom + 16.0,
            esc(name)
        );
        for (si, s) in series.iter().enumerate() {
            let Some(Some((v, ci))) = s.values.get(g) else {
                continue;
            };
            let x = gx + si as f64 * bw;
            let base = y(lo.max(0.0).min(hi));
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
                esc(&s.name)
            );
            if let Some([a, b]) = ci
                && a.is_finite()
                && b.is_finite()
            {
                {
                    let cx = x + bw * 0.46;
                    let _ = write!(
                        o,
                        r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="#222"/><line x1="{:.1}" x2="{:.1}" y1="{ya:.1}" y2="{ya:.1}" stroke="#222"/><line x1="{:.1}" x2="{:.1}" y1="{yb:.1}" y2="{yb:.1}" stroke="#222"/>"##,
                        y(*a),
                        y(*b),
                        cx - 3.0,
                        cx + 3.0,
                        cx - 3.0,
                        cx + 3.0,
                        ya = y(*a),
                        yb = y(*b)
                    );
                }
            }
        }
    }
    for (si, s) in series.iter().enumerate() {
        let ly = top + 8.0 + si as f64 * 18.0;
        let _ = write!(
            o,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            w - right + 12.0,
            ly - 10.0,
            COLORS[si % 8],
            w - right + 30.0,
            ly,
            esc(&s.name)
        );
    }
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
pub fn lines(title: &str, x_label: &str, y_label: &str, series: &[Line]) -> String {
    let (w, h) = (520.0, 340.0);
    let (left, right, top, bottom) = (64.0, 170.0, 34.0, 46.0);
    let pts = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        return String::new();
    }
    let (x0, x1) = nice_range(x0, x1);
    let (y0, y1) = nice_range(y0, y1);
    let px = |x: f64| left + (w - left - right) * (x - x0) / (x1 - x0);
    let py = |y: f64| top + (h - top - bottom) * (1.0 - (y - y0) / (y1 - y0));
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(
        o,
        r#"<text x="{left}" y="20" font-size="14" font-weight="bold">{}</text>"#,
        esc(title)
    );
    for i in 0..=4 {
        let yv = y0 + (y1 - y0) * i as f64 / 4.0;
        let xv = x0 + (x1 - x0) * i as f64 / 4.0;
        let _ = write!(
            o,
            r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{yv:.3}</text>"##,
            w - right,
            left - 6.0,
            py(yv) + 4.0,
            yy = py(yv)
        );
        let _ = write!(
            o,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{xv:.3}</text>"#,
            px(xv),
            h - bottom + 16.0
        );
    }
    let _ = write!(
        o,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
        (left + w - right) / 2.0,
        h - 8.0,
        esc(x_label)
    );
    let _ = write!(
        o,
        r#"<text transform="translate(14,{}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (top + h - bottom) / 2.0,
        esc(y_label)
    );
    for (si, s) in series.iter().enumerate() {
        let d: Vec<String> = s
            .points
            .iter()
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
        for &(x, y) in &s.points {
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
            esc(&s.name)
        );
    }
    o.push_str("</svg>");
    o
}
