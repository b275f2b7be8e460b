//! The report: paper-style tables for the terminal, CSV tables, SVG plots and one
//! self-contained `report.html` that opens offline.

use std::fmt::Write;

use crate::experiment::results::Metrics;
use crate::experiment::stats::mean_ci;
use crate::experiment::{AbKey, Metric, Results, Variant};
use crate::heads::HeadDef;
pub use crate::svg::escape;
use crate::svg::{Line, Series, bars, hbars, lines};

fn nice(v: &Variant) -> &'static str {
    v.label()
}

fn f4(x: Option<f64>) -> String {
    x.map_or("    n/a".into(), |v| format!("{v:7.4}"))
}

fn with_ci(m: &Metrics, k: Metric) -> String {
    match (m.get(k), m.ci95.get(&k)) {
        (Some(v), Some(c)) => format!("{v:.4} [{:.4}, {:.4}]", c[0], c[1]),
        (Some(v), None) => format!("{v:.4}"),
        _ => "n/a".into(),
    }
}

/// One line on what an experiment simulates and how it splits training from evaluation.
pub fn describe(cfg: &crate::experiment::ExperimentConfig) -> String {
    let s = &cfg.scenario;
    format!(
        "scenario `{}`: {} users x {} days, survey rate {} (the paper's is under 1e-4; see `usm presets`), targeting {}, willingness mean {} spread {} corr(sensitivity) {} observed in the logs {}, answer dependence {}, panel rate {}; models train on the first {} days and are evaluated on the last {}; {} replicate(s)",
        s.name,
        s.population.users,
        s.population.days,
        s.survey.rate,
        serde_json::to_value(s.survey.targeting)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        s.willingness.mean,
        s.willingness.spread,
        s.willingness.corr_sensitivity,
        s.willingness.observed,
        s.willingness.answer_dependence,
        s.panel.rate,
        s.population.days - cfg.eval_days,
        cfg.eval_days,
        cfg.replicates
    )
}

/// One line on where a result's rows came from: the simulated scenario, or the logs `usm fit`
/// read.
pub fn describe_results(res: &Results) -> String {
    match &res.logs {
        None => describe(&res.config),
        Some(l) => format!(
            "logs `{}` (format {}): {} file(s), {} rows, days {}..={}; models train on days before {} and are evaluated on the rest; oracle columns: {}; random slice (panel answers): {} in training, {} in evaluation{}",
            l.path,
            l.format,
            l.files,
            l.rows,
            l.days[0],
            l.days[1],
            l.eval_from,
            if l.oracle { "yes" } else { "no" },
            l.random_slice[0],
            l.random_slice[1],
            if l.notes.is_empty() {
                String::new()
            } else {
                format!("; {}", l.notes.join("; "))
            }
        ),
    }
}

/// What the claims are checked in: the scenario, or the logs (then only those the logs decide).
fn where_(res: &Results) -> &'static str {
    match &res.logs {
        Some(l) if !l.oracle => "these logs (those that need no truth)",
        Some(_) => "these logs",
        None => "this scenario",
    }
}

/// Whether the rows carry the truth: every simulation, and logs written with the oracle columns.
fn has_oracle(res: &Results) -> bool {
    res.logs.as_ref().is_none_or(|l| l.oracle)
}

/// The paper-style tables, as text for a terminal.
pub fn text(res: &Results) -> String {
    let mut o = String::new();
    let heads = res.heads();
    for section in [
        labeled_table,
        random_table,
        band_table,
        oracle_table,
        uauc_table,
        rates_table,
        submit_line,
        ab_table,
        claims_list,
    ] {
        section(&mut o, res, &heads);
    }
    o
}

/// Table 1: AUC and calibration on submitted answers.
fn labeled_table(o: &mut String, res: &Results, heads: &[HeadDef]) {
    let _ = writeln!(
        o,
        "== Table 1: AUC and calibration on labelled (submitted) samples, evaluation period =="
    );
    let _ = writeln!(
        o,
        "{:<16} {:<26} {:>8} {:>8} {:>9} {:>9}",
        "head", "model", "AUC", "cal", "AUC(IPW)", "cal(IPW)"
    );
    for h in heads {
        for (v, out) in &res.variants {
            let m = &out.heads[h];
            let _ = writeln!(
                o,
                "{:<16} {:<26} {:>8} {:>8} {:>9} {:>9}",
                h,
                nice(v),
                f4(m.get(Metric::LABELED_AUC)),
                f4(m.get(Metric::LABELED_CALIBRATION)),
                f4(m.get(Metric::LABELED_AUC_IPW)),
                f4(m.get(Metric::LABELED_CALIBRATION_IPW))
            );
        }
    }
}

/// Against the random slice (panel answers), the stand-in for the truth in real logs.
fn random_table(o: &mut String, res: &Results, heads: &[HeadDef]) {
    let any = res
        .variants
        .values()
        .any(|v| v.heads.values().any(|m| m.get(Metric::RANDOM_N).is_some()));
    if !any {
        if res.logs.is_some() {
            let _ = writeln!(
                o,
                "\n(no random slice in these logs: the metrics against it are left out)"
            );
        }
        return;
    }
    let _ = writeln!(
        o,
        "\n== Against the random slice (panel answers of the evaluation period: everyone asked answers) =="
    );
    let _ = writeln!(
        o,
        "{:<16} {:<26} {:>8} {:>8} {:>8} {:>8}",
        "head", "model", "n", "AUC", "cal", "logloss"
    );
    for h in heads {
        for (v, out) in &res.variants {
            let m = &out.heads[h];
            let _ = writeln!(
                o,
                "{:<16} {:<26} {:>8} {:>8} {:>8} {:>8}",
                h,
                nice(v),
                m.get(Metric::RANDOM_N)
                    .map_or("n/a".into(), |n| format!("{n:.0}")),
                f4(m.get(Metric::RANDOM_AUC)),
                f4(m.get(Metric::RANDOM_CALIBRATION)),
                f4(m.get(Metric::RANDOM_LOGLOSS))
            );
        }
    }
}

/// Table 2: by quarter of the submit score.
fn band_table(o: &mut String, res: &Results, heads: &[HeadDef]) {
    let _ = writeln!(
        o,
        "\n== Table 2: by percentile band of the submit score (labelled samples) =="
    );
    let _ = writeln!(
        o,
        "{:<16} {:<10} {:<26} {:>8} {:>8}",
        "head", "band", "model", "AUC", "cal"
    );
    for h in heads {
        for (b, band) in ["p0_p25", "p25_p50"].into_iter().enumerate() {
            for v in [Variant::Baseline, Variant::ResponseDebias] {
                if let Some(out) = res.variants.get(&v) {
                    let m = &out.heads[h];
                    let (auc, cal) = Metric::band(b);
                    let _ = writeln!(
                        o,
                        "{:<16} {:<10} {:<26} {:>8} {:>8}",
                        h,
                        band,
                        nice(&v),
                        f4(m.get(auc)),
                        f4(m.get(cal))
                    );
                }
            }
        }
    }
}

/// Against the oracle: all shows, the reluctant quarter, all exposures, and the ceiling.
fn oracle_table(o: &mut String, res: &Results, heads: &[HeadDef]) {
    if !has_oracle(res) {
        return;
    }
    let _ = writeln!(
        o,
        "\n== Against the oracle (only a simulator knows): all survey shows, reluctant quarter, all exposures =="
    );
    let _ = writeln!(
        o,
        "{:<16} {:<26} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "head", "model", "AUC shows", "regAUC", "cal shows", "AUC reluct", "AUC expo", "cal expo"
    );
    for h in heads {
        for (v, out) in &res.variants {
            let m = &out.heads[h];
            let _ = writeln!(
                o,
                "{:<16} {:<26} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}",
                h,
                nice(v),
                f4(m.get(Metric::ORACLE_AUC_SHOWN)),
                f4(m.get(Metric::ORACLE_REGAUC_SHOWN)),
                f4(m.get(Metric::ORACLE_CALIBRATION_SHOWN)),
                f4(m.get(Metric::ORACLE_AUC_RELUCTANT)),
                f4(m.get(Metric::ORACLE_AUC_EXPOSED)),
                f4(m.get(Metric::ORACLE_CALIBRATION_EXPOSED))
            );
        }
    }
    for (h, m) in &res.reference {
        let _ = writeln!(
            o,
            "{:<16} {:<26} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}",
            h,
            "(true probabilities)",
            f4(m.get(Metric::ORACLE_AUC_SHOWN)),
            "1",
            "",
            f4(m.get(Metric::ORACLE_AUC_RELUCTANT)),
            f4(m.get(Metric::ORACLE_AUC_EXPOSED)),
            ""
        );
    }
}

/// Table 3: Nfb/Pfb UAUC, with the ceiling.
fn uauc_table(o: &mut String, res: &Results, heads: &[HeadDef]) {
    let _ = writeln!(
        o,
        "\n== Table 3: Nfb/Pfb UAUC (dislike head: Pfb; others: Nfb) =="
    );
    for h in heads {
        let row: Vec<String> = res
            .variants
            .iter()
            .map(|(v, out)| format!("{} {}", nice(v), f4(out.heads[h].get(Metric::UAUC)).trim()))
            .collect();
        let ceiling = match res.reference.get(h) {
            Some(m) => format!(" | (true probabilities {})", f4(m.get(Metric::UAUC)).trim()),
            None => String::new(),
        };
        let _ = writeln!(o, "{:<16} {}{ceiling}", h, row.join(" | "));
    }
}

/// Every rate estimate of each head.
fn rates_table(o: &mut String, res: &Results, _heads: &[HeadDef]) {
    let _ = writeln!(o, "\n== Survey rates (evaluation period) ==");
    let _ = writeln!(
        o,
        "{:<16} {:>9} {:>9} {:>9} {:>12} {:>12} {:>9} {:>12} {:>9}",
        "head",
        "true",
        "naive",
        "Eq. 13",
        "Eq.13 logs p",
        "Eq.13 true p",
        "random",
        "Eq.13 panel p",
        "DR"
    );
    for (h, m) in &res.rates {
        let _ = writeln!(
            o,
            "{:<16} {:>9} {:>9} {:>9} {:>12} {:>12} {:>9} {:>12} {:>9}",
            h,
            f4(m.get(Metric::RATE_TRUE)),
            f4(m.get(Metric::RATE_NAIVE)),
            f4(m.get(Metric::RATE_DEBIASED)),
            f4(m.get(Metric::RATE_DEBIASED_CEILING_PROPENSITY)),
            f4(m.get(Metric::RATE_DEBIASED_TRUE_PROPENSITY)),
            f4(m.get(Metric::RANDOM_RATE)),
            f4(m.get(Metric::RATE_IPW_PANEL)),
            f4(m.get(Metric::RATE_DR))
        );
        if let Some(v) = m.get(Metric::RATE_DEBIASED_LOGGED_PROPENSITY) {
            let _ = writeln!(
                o,
                "{:<16} Eq. 13 with the propensity the logging policy recorded: {v:.4}",
                ""
            );
        }
    }
}

/// The submit model against the best propensity computable from the logs and the truth.
fn submit_line(o: &mut String, res: &Results, _heads: &[HeadDef]) {
    let _ = writeln!(o, "\n{}", submit_summary(&res.submit_model));
}

/// The submit model's AUC against the ceiling's and the truth's, and whose gap is whose.
pub fn submit_summary(s: &Metrics) -> String {
    let (model, ceiling, truth) = (
        s.get(Metric::AUC),
        s.get(Metric::AUC_CEILING_PROPENSITY),
        s.get(Metric::AUC_TRUE_PROPENSITY),
    );
    let gaps = match (model, ceiling, truth) {
        (Some(m), Some(c), Some(t)) => {
            format!(": the model's gap {:+.4}, the logs' {:+.4}", c - m, t - c)
        }
        _ => String::new(),
    };
    let logged = s
        .get(Metric::CORR_WITH_LOGGED_PROPENSITY)
        .map(|c| format!("; correlation with the propensity the logging policy recorded {c:.4}"))
        .unwrap_or_default();
    format!(
        "submit model: AUC {} (the best propensity computable from the logs {}, the true propensity {}){gaps}; correlation with the true propensity {}{logged}",
        f4(model).trim(),
        f4(ceiling).trim(),
        f4(truth).trim(),
        f4(s.get(Metric::CORR_WITH_TRUE_PROPENSITY)).trim()
    )
}

/// The A/B test: each metric's relative change per treatment.
fn ab_table(o: &mut String, res: &Results, _heads: &[HeadDef]) {
    if !res.ab.is_empty() {
        let _ = writeln!(
            o,
            "\n== Closed-loop A/B: relative change against control, 95% interval =="
        );
        let metrics: Vec<&AbKey> = res
            .ab
            .values()
            .next()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        for m in metrics {
            let row: Vec<String> = res
                .ab
                .iter()
                .filter_map(|(t, ms)| {
                    ms.get(m).map(|v| {
                        format!(
                            "{} {:+.2}% [{:+.2}, {:+.2}]",
                            nice(t),
                            100.0 * v.rel_change,
                            100.0 * v.ci95[0],
                            100.0 * v.ci95[1]
                        )
                    })
                })
                .collect();
            let _ = writeln!(o, "{:<28} {}", m, row.join(" | "));
        }
    }
    if !res.ab_pairs.is_empty() {
        let _ = writeln!(
            o,
            "\n== Closed-loop A/B, model against model: relative change, 95% interval =="
        );
        for (pair, ms) in &res.ab_pairs {
            let row: Vec<String> = ms
                .iter()
                .filter(|(m, _)| matches!(m, AbKey::TrueRate(_) | AbKey::DebiasedRate(_)))
                .map(|(m, v)| {
                    format!(
                        "{m} {:+.2}% [{:+.2}, {:+.2}]",
                        100.0 * v.rel_change,
                        100.0 * v.ci95[0],
                        100.0 * v.ci95[1]
                    )
                })
                .collect();
            let _ = writeln!(o, "{pair}: {}", row.join(" | "));
        }
    }
}

/// The claims with their verdicts.
fn claims_list(o: &mut String, res: &Results, _heads: &[HeadDef]) {
    let _ = writeln!(o, "\n== The paper's claims in {} ==", where_(res));
    for c in &res.claims {
        let _ = writeln!(
            o,
            "[{}] {}\n        {}",
            c.verdict.word(),
            c.statement,
            c.evidence
        );
        let p = power_text(c);
        if !p.is_empty() {
            let _ = writeln!(o, "        {p}");
        }
    }
}

/// What the run could detect, and what would decide an undecided claim, in words.
pub fn power_text(c: &crate::experiment::Claim) -> String {
    let mut parts = Vec::new();
    if let Some(d) = c.detectable {
        parts.push(format!(
            "smallest difference these replicates detect (95%, 80% power): {d:.4}"
        ));
    }
    match (c.verdict.holds(), c.replicates_needed) {
        (None, Some(n)) => parts.push(format!(
            "about {n} replicates would decide it at the difference measured"
        )),
        (None, None) if c.detectable.is_some() => parts
            .push("the difference measured is too small to decide within 1,000 replicates".into()),
        _ => {}
    }
    parts.join("; ")
}

fn csv_escape(s: &str) -> String {
    if s.contains(',') || s.contains('"') || s.contains('\n') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
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

/// CSV tables: name → contents.
pub fn csv_tables(res: &Results) -> Vec<(String, String)> {
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
    let mut c = String::from("claim,verdict,holds,detectable,replicates_needed,evidence\n");
    for cl in &res.claims {
        let opt = |x: Option<String>| x.unwrap_or_default();
        let _ = writeln!(
            c,
            "{},{},{},{},{},{}",
            cl.id,
            cl.verdict.word(),
            cl.holds.map_or("n/a".into(), |b| b.to_string()),
            opt(cl.detectable.map(|d| d.to_string())),
            opt(cl.replicates_needed.map(|n| n.to_string())),
            csv_escape(&cl.evidence)
        );
    }
    vec![
        ("variants.csv".into(), v),
        ("rates.csv".into(), r),
        ("ab.csv".into(), a),
        ("claims.csv".into(), c),
    ]
}

/// Relative error of a rate estimate against the truth, paired by replicate: mean and interval.
fn rel_error(m: &Metrics, key: Metric) -> Option<(f64, Option<[f64; 2]>)> {
    let (est, truth) = (m.series(key), m.series(Metric::RATE_TRUE));
    let errs: Vec<Option<f64>> = est
        .iter()
        .zip(&truth)
        .map(|(e, t)| match (e, t) {
            (Some(e), Some(t)) if *t > 0.0 => Some(e / t - 1.0),
            _ => None,
        })
        .collect();
    let (mean, ci) = mean_ci(&errs);
    mean.map(|m| (m, ci))
}

/// SVG plots: name → contents.
pub fn plots(res: &Results) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let heads: Vec<HeadDef> = res.rates.keys().copied().collect();
    for plot in [
        rate_error_plot,
        variant_bar_plots,
        calibration_plots,
        ab_plots,
    ] {
        plot(res, &heads, &mut out);
    }
    out
}

/// Each rate estimate's error against the truth, per head.
fn rate_error_plot(res: &Results, heads: &[HeadDef], out: &mut Vec<(String, String)>) {
    let names: Vec<String> = heads.iter().map(|h| h.name().to_string()).collect();
    let est = [
        (Metric::RATE_NAIVE, "naive (Eq. 2)"),
        (Metric::RATE_DEBIASED, "debiased (Eq. 13)"),
        (
            Metric::RATE_DEBIASED_CEILING_PROPENSITY,
            "Eq. 13, best propensity from the logs",
        ),
        (
            Metric::RATE_DEBIASED_TRUE_PROPENSITY,
            "Eq. 13, true propensity",
        ),
        (Metric::RATE_DR, "doubly robust (panel)"),
    ];
    let series: Vec<Series> = est
        .iter()
        .filter(|(k, _)| res.rates.values().any(|m| m.get(*k).is_some()))
        .map(|(k, name)| Series {
            name: name.to_string(),
            values: heads.iter().map(|h| rel_error(&res.rates[h], *k)).collect(),
        })
        .collect();
    out.push((
        "rates.svg".into(),
        bars(
            "Survey issue rate: error of each estimate against the truth (0 = exact)",
            &names,
            &series,
            "estimate / true rate - 1",
            true,
            760.0,
        ),
    ));
}

/// regAUC against the truth and UAUC, per variant and head.
fn variant_bar_plots(res: &Results, heads: &[HeadDef], out: &mut Vec<(String, String)>) {
    let names: Vec<String> = heads.iter().map(|h| h.name().to_string()).collect();
    for (metric, title) in [
        (
            Metric::ORACLE_REGAUC_SHOWN,
            "regAUC against the true probability over all survey shows",
        ),
        (Metric::UAUC, "Nfb/Pfb UAUC (Table 3)"),
    ] {
        let series: Vec<Series> = res
            .variants
            .iter()
            .map(|(v, o)| Series {
                name: nice(v).into(),
                values: heads
                    .iter()
                    .map(|h| {
                        o.heads[h]
                            .get(metric)
                            .map(|x| (x, o.heads[h].ci95.get(&metric).copied()))
                    })
                    .collect(),
            })
            .collect();
        out.push((
            format!("{metric}.svg"),
            bars(title, &names, &series, metric.name(), false, 760.0),
        ));
    }
}

/// One calibration curve per head, every variant on it.
fn calibration_plots(res: &Results, heads: &[HeadDef], out: &mut Vec<(String, String)>) {
    for h in heads {
        let mut ls: Vec<Line> = res
            .curves
            .iter()
            .filter_map(|(v, c)| {
                c.get(h).map(|c| Line {
                    name: nice(v).into(),
                    points: c
                        .predicted
                        .iter()
                        .copied()
                        .zip(c.truth.iter().copied())
                        .collect(),
                    dashed: false,
                })
            })
            .collect();
        let hi = ls
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0.max(p.1)))
            .fold(0.0, f64::max);
        ls.push(Line {
            name: "perfect".into(),
            points: vec![(0.0, 0.0), (hi, hi)],
            dashed: true,
        });
        out.push((
            format!("calibration_{h}.svg"),
            lines(
                &format!("Calibration over all exposures: {h}"),
                "mean predicted",
                "mean true probability",
                &ls,
                false,
            ),
        ));
    }
}

/// The A/B test: what happened, and what the surveys say.
fn ab_plots(res: &Results, _heads: &[HeadDef], out: &mut Vec<(String, String)>) {
    if let Some(first) = res.ab.values().next() {
        for (file, title, pick) in [
            (
                "ab.svg",
                "Closed-loop A/B, what happened: relative change against control (95% CI)",
                false,
            ),
            (
                "ab_surveys.svg",
                "Closed-loop A/B, what the surveys say: relative change against control (95% CI)",
                true,
            ),
        ] {
            let keys: Vec<AbKey> = first
                .keys()
                .filter(|m| m.is_surveyed() == pick && !matches!(m, AbKey::DebiasedMinusSurvey(_)))
                .copied()
                .collect();
            let rows: Vec<String> = keys.iter().map(AbKey::name).collect();
            let series: Vec<Series> = res
                .ab
                .iter()
                .map(|(t, ms)| Series {
                    name: nice(t).into(),
                    values: keys
                        .iter()
                        .map(|m| ms.get(m).map(|x| (x.rel_change, Some(x.ci95))))
                        .collect(),
                })
                .collect();
            out.push((
                file.into(),
                hbars(
                    title,
                    &rows,
                    &series,
                    "relative change against control",
                    true,
                ),
            ));
        }
    }
}

/// The self-contained HTML report. Every string from the run (the scenario's name, the claims'
/// text, the resolved config) is escaped.
pub fn html(res: &Results) -> String {
    let plots = Plots(plots(res));
    let mut o = String::new();
    for section in [
        html_head,
        claims_html,
        rates_html,
        variant_tables_html,
        ab_html,
        model_and_data_html,
    ] {
        section(&mut o, res, &plots);
    }
    o += "</body></html>";
    o
}

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

/// The document head, the title and the run in one line.
fn html_head(o: &mut String, res: &Results, _plots: &Plots) {
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
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>usm report: {}</title><style>body{{font-family:sans-serif;max-width:1250px;margin:2em auto;padding:0 1em;color:#222}}table{{border-collapse:collapse;margin:1em 0;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 7px;text-align:right}}th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}.holds{{color:#0a7d32;font-weight:bold}}.inconclusive{{color:#8a6d00;font-weight:bold}}.no-interval{{color:#666;font-weight:bold}}.fails{{color:#b00020;font-weight:bold}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}</style></head><body>",
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

/// The claims with their verdicts.
fn claims_html(o: &mut String, res: &Results, _plots: &Plots) {
    let _ = write!(
        o,
        "<h2>The paper's claims in {}</h2><table><tr><th>claim</th><th>verdict</th><th>evidence</th><th>power</th></tr>",
        where_(res)
    );
    for c in &res.claims {
        let class = c.verdict.class();
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"{class}\">{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td></tr>",
            escape(&c.statement),
            c.verdict.word(),
            escape(&c.evidence),
            escape(&power_text(c))
        );
    }
    *o += "</table>";
}

/// Every rate estimate of each head, and their errors as a plot.
fn rates_html(o: &mut String, res: &Results, plots: &Plots) {
    *o += "<h2>Survey rates</h2>";
    *o += plots.get("rates.svg");
    *o += "<table><tr><th>head</th><th>true (shows)</th><th>true (exposures)</th><th>naive, Eq. 2</th><th>debiased, Eq. 13</th><th>Eq. 13 with the best propensity from the logs</th><th>Eq. 13 with the logged propensity</th><th>Eq. 13 with true propensity</th><th>Eq. 5, resp. debias model</th><th>random slice (panel)</th><th>Eq. 13, panel's propensity</th><th>doubly robust</th></tr>";
    for (h, m) in &res.rates {
        let _ = write!(o, "<tr><td>{h}</td>");
        for k in [
            Metric::RATE_TRUE,
            Metric::RATE_TRUE_EXPOSED,
            Metric::RATE_NAIVE,
            Metric::RATE_DEBIASED,
            Metric::RATE_DEBIASED_CEILING_PROPENSITY,
            Metric::RATE_DEBIASED_LOGGED_PROPENSITY,
            Metric::RATE_DEBIASED_TRUE_PROPENSITY,
            Metric::RATE_EQ5_RESPONSE_DEBIAS,
            Metric::RANDOM_RATE,
            Metric::RATE_IPW_PANEL,
            Metric::RATE_DR,
        ] {
            let _ = write!(o, "<td>{}</td>", with_ci(m, k));
        }
        *o += "</tr>";
    }
    *o += "</table>";
}

/// One table of `cols` for every head and variant.
fn variant_table(o: &mut String, res: &Results, title: &str, cols: &[(Metric, &str)]) {
    let _ = write!(o, "<h2>{title}</h2><table><tr><th>head</th><th>model</th>");
    for (_, c) in cols {
        let _ = write!(o, "<th>{c}</th>");
    }
    *o += "</tr>";
    for h in &res.heads() {
        for (v, out) in &res.variants {
            let _ = write!(o, "<tr><td>{h}</td><td>{}</td>", nice(v));
            for (k, _) in cols {
                let _ = write!(o, "<td>{}</td>", with_ci(&out.heads[h], *k));
            }
            *o += "</tr>";
        }
    }
    *o += "</table>";
}

/// Tables 1–3 and the oracle's, with their plots and the calibration curves.
fn variant_tables_html(o: &mut String, res: &Results, plots: &Plots) {
    variant_table(
        o,
        res,
        "Table 1: labelled samples (what a platform can measure)",
        &[
            (Metric::LABELED_N, "n"),
            (Metric::LABELED_AUC, "AUC"),
            (Metric::LABELED_CALIBRATION, "calibration"),
            (Metric::LABELED_AUC_IPW, "AUC, IPW"),
            (Metric::LABELED_CALIBRATION_IPW, "calibration, IPW"),
        ],
    );
    variant_table(
        o,
        res,
        "Table 2: by percentile band of the submit score",
        &[
            (Metric::BAND_P0_P25_AUC, "[0,P25) AUC"),
            (Metric::BAND_P0_P25_CALIBRATION, "[0,P25) cal"),
            (Metric::BAND_P25_P50_AUC, "[P25,P50) AUC"),
            (Metric::BAND_P25_P50_CALIBRATION, "[P25,P50) cal"),
            (Metric::BAND_P75_P100_AUC, "[P75,P100] AUC"),
        ],
    );
    let random = res
        .variants
        .values()
        .any(|v| v.heads.values().any(|m| m.get(Metric::RANDOM_N).is_some()));
    if !random && res.logs.is_some() {
        *o += "<p>No random slice in these logs (no panel answers in the evaluation period): the metrics against it are left out.</p>";
    }
    if random {
        random_table_html(o, res);
    }
    if has_oracle(res) {
        oracle_tables_html(o, res, plots);
    }
    *o += plots.get("uauc.svg");
    variant_table(
        o,
        res,
        "Table 3: Nfb/Pfb UAUC",
        &[
            (Metric::UAUC, "UAUC (paper's)"),
            (Metric::UAUC_USERS, "users"),
            (Metric::UAUC_NFB, "Nfb UAUC"),
            (Metric::UAUC_PFB, "Pfb UAUC"),
        ],
    );
    if has_oracle(res) {
        *o += "<h2>Calibration curves over all exposures</h2>";
        for (n, p) in &plots.0 {
            if n.starts_with("calibration_") {
                *o += p;
            }
        }
    }
}

/// Every variant against the random slice.
fn random_table_html(o: &mut String, res: &Results) {
    variant_table(
        o,
        res,
        "Against the random slice (panel answers: the stand-in for the truth in real logs)",
        &[
            (Metric::RANDOM_N, "n"),
            (Metric::RANDOM_AUC, "AUC"),
            (Metric::RANDOM_CALIBRATION, "calibration"),
            (Metric::RANDOM_LOGLOSS, "log loss"),
        ],
    );
}

/// What only a simulator knows: every variant against the truth.
fn oracle_tables_html(o: &mut String, res: &Results, plots: &Plots) {
    *o += plots.get("oracle_regauc_shown.svg");
    variant_table(
        o,
        res,
        "Against the oracle (what only a simulator knows)",
        &[
            (Metric::ORACLE_AUC_SHOWN, "AUC, all shows"),
            (Metric::ORACLE_REGAUC_SHOWN, "regAUC vs truth, all shows"),
            (Metric::ORACLE_CALIBRATION_SHOWN, "cal, all shows"),
            (Metric::ORACLE_AUC_RELUCTANT, "AUC, reluctant quarter"),
            (Metric::ORACLE_CALIBRATION_RELUCTANT, "cal, reluctant"),
            (Metric::ORACLE_CALIBRATION_WILLING, "cal, the rest"),
            (Metric::ORACLE_AUC_EXPOSED, "AUC, all exposures"),
            (Metric::ORACLE_CALIBRATION_EXPOSED, "cal, all exposures"),
            (Metric::ORACLE_REGAUC_UNSHOWN, "regAUC, unshown candidates"),
            (
                Metric::ORACLE_CALIBRATION_UNSHOWN,
                "cal, unshown candidates",
            ),
        ],
    );
}

/// The closed-loop A/B test.
fn ab_html(o: &mut String, res: &Results, plots: &Plots) {
    if !res.ab.is_empty() {
        *o += "<h2>Closed-loop A/B test (Eq. 3)</h2>";
        if let Some(d) = &res.ab_detail {
            let _ = write!(
                o,
                "<p>{} users for {} days per arm, common random numbers; exposures per arm: {}.</p>",
                d.users,
                d.days,
                escape(&format!("{:?}", d.exposures))
            );
        }
        *o += plots.get("ab.svg");
        *o += plots.get("ab_surveys.svg");
        ab_change_table(o, &res.ab, |t| nice(t).to_string());
    }
    if !res.ab_pairs.is_empty() {
        *o += "<h3>Model against model</h3>";
        ab_change_table(o, &res.ab_pairs, |pair| {
            escape(&pair.name().replace('_', " "))
        });
    }
}

/// One row per A/B metric, one column per arm (or pair of arms): relative change and interval.
fn ab_change_table<K>(
    o: &mut String,
    arms: &std::collections::BTreeMap<
        K,
        std::collections::BTreeMap<AbKey, crate::experiment::results::AbOut>,
    >,
    header: impl Fn(&K) -> String,
) {
    *o += "<table><tr><th>metric</th>";
    for k in arms.keys() {
        let _ = write!(o, "<th>{}</th>", header(k));
    }
    *o += "</tr>";
    let metrics: Vec<&AbKey> = arms
        .values()
        .next()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    for m in metrics {
        let _ = write!(o, "<tr><td>{m}</td>");
        for ms in arms.values() {
            let _ = match ms.get(m) {
                Some(x) => write!(
                    o,
                    "<td>{:+.2}% [{:+.2}, {:+.2}]</td>",
                    100.0 * x.rel_change,
                    100.0 * x.ci95[0],
                    100.0 * x.ci95[1]
                ),
                None => write!(o, "<td>n/a</td>"),
            };
        }
        *o += "</tr>";
    }
    *o += "</table>";
}

/// The submit model, the rows used, the simulation's summary and the resolved experiment.
fn model_and_data_html(o: &mut String, res: &Results, _plots: &Plots) {
    let sm = &res.submit_model;
    let _ = write!(
        o,
        "<h2>Survey-submit model</h2><p>{}.</p><p>AUC {} (the best propensity computable from the logs reaches {}, the true propensity {}); correlation with the true propensity {}; mean predicted {} vs true {}.</p>",
        escape(&submit_summary(sm)),
        with_ci(sm, Metric::AUC),
        with_ci(sm, Metric::AUC_CEILING_PROPENSITY),
        with_ci(sm, Metric::AUC_TRUE_PROPENSITY),
        with_ci(sm, Metric::CORR_WITH_TRUE_PROPENSITY),
        with_ci(sm, Metric::MEAN_PREDICTED),
        with_ci(sm, Metric::MEAN_TRUE)
    );
    *o += "<h2>Data</h2><table><tr><th>replicate</th><th>train shows</th><th>train submits</th><th>train panel</th><th>pseudo rows</th><th>pseudo cells kept</th><th>eval shows</th><th>eval submits</th><th>eval exposures</th><th>seconds</th></tr>";
    for (i, d) in res.data.iter().enumerate() {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            d.train_shows,
            d.train_submits,
            d.train_panel,
            d.pseudo_rows,
            d.pseudo_cells_kept,
            d.eval_shows,
            d.eval_submits,
            d.eval_exposures,
            res.seconds.get(i).map_or("".into(), |s| format!("{s:.1}"))
        );
    }
    *o += "</table>";
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
            ("scenario.toml".to_string(), res.config.scenario.to_toml()),
        );
    }
    out.extend(csv_tables(res));
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
            id: "c".into(),
            statement: "<img src=x onerror=alert(1)>".into(),
            verdict: crate::experiment::results::Verdict::Inconclusive,
            holds: None,
            evidence: "a < b & c".into(),
            detectable: None,
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
