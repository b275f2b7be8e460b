//! The report: the paper-style tables ([`tables`], each built once as a [`table::Table`]) for
//! the terminal, as CSV and in one self-contained `report.html` with the SVG [`plots`], which
//! opens offline.

pub mod html;
pub mod plots;
pub mod table;
pub mod tables;
pub mod verdicts;

use std::fmt::Write;

use crate::experiment::Results;
use crate::experiment::results::Metrics;
pub use crate::svg::escape;
pub use html::html;
pub use plots::plots;
use table::csv_escape;
pub use tables::{describe, describe_results, power_text, submit_summary};

/// The report as text for a terminal: every table, the claims last.
pub fn text(res: &Results) -> String {
    let mut o = String::new();
    if !tables::has_random_slice(res) && res.logs.is_some() {
        o += "(no random slice in these logs: the metrics against it are left out)\n\n";
    }
    for t in tables::all(res) {
        o += &t.to_text();
        o += "\n";
    }
    o
}

/// The A/B test's tables alone, as text (`usm ab`).
pub fn ab_text(res: &Results) -> String {
    [tables::ab(res), tables::ab_pairs(res)]
        .into_iter()
        .flatten()
        .map(|t| t.to_text() + "\n")
        .collect()
}

fn metric_rows(o: &mut String, prefix: &[&str], m: &Metrics) {
    for (k, v) in &m.values {
        let ci = m.ci95.get(k);
        let _ = writeln!(
            o,
            "{},{},{},{},{}",
            prefix
                .iter()
                .map(|p| csv_escape(p))
                .collect::<Vec<_>>()
                .join(","),
            k,
            v.map_or(String::new(), |x| x.to_string()),
            ci.map_or(String::new(), |c| c[0].to_string()),
            ci.map_or(String::new(), |c| c[1].to_string())
        );
    }
}

/// Every metric in long form, one value a row (`variants.csv`, `rates.csv`, `ab.csv`): name →
/// contents. The report's tables are `table-*.csv` besides.
pub fn long_csv(res: &Results) -> Vec<(String, String)> {
    let mut v = String::from("variant,head,metric,value,ci_lo,ci_hi\n");
    for (name, out) in &res.variants {
        for (h, m) in &out.heads {
            metric_rows(&mut v, &[name.name(), h.name()], m);
        }
    }
    let mut r = String::from("head,estimate,value,ci_lo,ci_hi\n");
    for (h, m) in &res.rates {
        metric_rows(&mut r, &[h.name()], m);
    }
    let mut a = String::from("treatment,metric,control,treatment_value,rel_change,ci_lo,ci_hi\n");
    for (t, ms) in &res.ab {
        for (m, x) in ms {
            let _ = writeln!(
                a,
                "{t},{m},{},{},{},{},{}",
                x.control, x.treatment, x.rel_change, x.ci95[0], x.ci95[1]
            );
        }
    }
    vec![
        ("variants.csv".into(), v),
        ("rates.csv".into(), r),
        ("ab.csv".into(), a),
    ]
}

/// Every file of a report: name → contents.
pub fn files(res: &Results) -> Vec<(String, String)> {
    let mut out = vec![
        (
            "results.json".to_string(),
            serde_json::to_string_pretty(res).expect("results serialise"),
        ),
        ("experiment.toml".to_string(), res.config.to_toml()),
        ("report.html".to_string(), html(res)),
    ];
    if res.logs.is_none() {
        out.insert(
            1,
            (
                "scenario.toml".to_string(),
                res.config.scenario.to_documented_toml(),
            ),
        );
    }
    out.extend(long_csv(res));
    out.extend(
        tables::all(res)
            .iter()
            .map(|t| (format!("table-{}.csv", t.id), t.to_csv())),
    );
    out.extend(plots(res));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{Claim, ExperimentConfig};

    /// A result with nothing measured, as a run would write it.
    fn empty_results(cfg: ExperimentConfig, claims: Vec<Claim>) -> Results {
        Results {
            claims,
            ..Results::empty(cfg, vec![1])
        }
    }

    #[test]
    fn a_hostile_scenario_name_is_escaped_everywhere() {
        let hostile = "<script>alert('x')</script>\"&";
        let mut cfg = ExperimentConfig::default();
        cfg.scenario.name = hostile.into();
        let claim = Claim {
            id: crate::experiment::names::ClaimId::NaiveRateBiased,
            statement: "<img src=x onerror=alert(1)>".into(),
            source: "Table <1>".into(),
            check: false,
            verdict: crate::experiment::results::Verdict::Inconclusive,
            scope: None,
            evidence: "a < b & c".into(),
            margin: 0.05,
            paper_effect: None,
            predicted: None,
            replicates_needed: None,
        };
        let html = html(&empty_results(cfg, vec![claim]));
        assert!(!html.contains("<script>"), "a raw script tag in the report");
        assert!(!html.contains("<img"), "a raw img tag in the report");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"));
        assert!(html.contains("a &lt; b &amp; c"));
        // The page's own markup is untouched.
        assert!(html.starts_with("<!doctype html>") && html.ends_with("</body></html>"));
    }

    #[test]
    fn escape_hand_values() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(escape("plain"), "plain");
    }
}
