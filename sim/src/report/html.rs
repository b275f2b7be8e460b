//! `report.html`: one self-contained page, the tables ([`super::tables`]) beside the plots they
//! explain. Every string from the run (the scenario's name, the claims' text, the resolved
//! config) is escaped.

use std::fmt::Write;

use crate::experiment::Results;
use crate::svg::escape;

use super::plots::plots;
use super::tables::{self, describe_results};

/// The report's plots, by file name.
struct Plots(Vec<(String, String)>);

impl Plots {
    /// The SVG of a plot, or nothing where the run made none.
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|p| p.0 == name)
            .map_or("", |p| p.1.as_str())
    }
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1250px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.holds{color:#0a7d32;font-weight:bold}.inconclusive{color:#8a6d00;font-weight:bold}.no-interval{color:#666;font-weight:bold}.fails{color:#b00020;font-weight:bold}.no-effect{color:#444;font-weight:bold}.smaller-than-paper{color:#8a6d00;font-weight:bold}pre{background:#f6f6f6;padding:1em;overflow:auto}";

/// The self-contained HTML report.
pub fn html(res: &Results) -> String {
    let plots = Plots(plots(res));
    let mut o = String::new();
    head(&mut o, res);
    o += &tables::claims(res).to_html();
    o += plots.get("rates.svg");
    o += &tables::rates(res).to_html();
    o += &tables::labelled(res).to_html();
    o += &tables::bands(res).to_html();
    match tables::random_slice(res) {
        Some(t) => o += &t.to_html(),
        None if res.logs.is_some() => {
            o += "<p>No random slice in these logs (no panel answers in the evaluation period): the metrics against it are left out.</p>"
        }
        None => {}
    }
    if let Some(t) = tables::oracle(res) {
        o += plots.get("oracle_regauc_shown.svg");
        o += &t.to_html();
    }
    o += plots.get("uauc.svg");
    o += &tables::uauc(res).to_html();
    if tables::has_oracle(res) {
        o += "<h2>Calibration curves over all exposures</h2>";
        for (n, p) in &plots.0 {
            if n.starts_with("calibration_") {
                o += p;
            }
        }
    }
    if let Some(t) = tables::ab(res) {
        o += plots.get("ab.svg");
        o += plots.get("ab_surveys.svg");
        o += &t.to_html();
    }
    if let Some(t) = tables::ab_pairs(res) {
        o += &t.to_html();
    }
    o += &tables::submit(res).to_html();
    o += &tables::data(res).to_html();
    let _ = write!(
        o,
        "<h2>Simulation (first replicate)</h2><pre>{}</pre>",
        escape(&res.simulation.summary())
    );
    let _ = write!(
        o,
        "<h2>Resolved experiment</h2><pre>{}</pre>",
        escape(&res.config.to_toml())
    );
    o += "</body></html>";
    o
}

/// The document head, the title and the run in one line.
fn head(o: &mut String, res: &Results) {
    let name = match &res.logs {
        Some(l) => l.path.clone(),
        None => res.config.scenario.name.clone(),
    };
    let what = if res.logs.is_some() {
        "logs"
    } else {
        "scenario"
    };
    let _ = write!(
        o,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>usm report: {}</title><style>{STYLE}</style></head><body>",
        escape(&name)
    );
    let _ = write!(
        o,
        "<h1>usm: unbiased survey modeling, {what} <code>{}</code></h1>",
        escape(&name)
    );
    let _ = write!(
        o,
        "<p>Seeds {:?}. {}.</p>",
        res.seeds,
        escape(&describe_results(res))
    );
}
