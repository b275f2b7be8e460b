//! The report's plots, as SVG: each rate estimate's error against the truth, the variants'
//! ranking against the truth and UAUC, calibration curves, and the A/B test's changes.

use crate::experiment::results::Metrics;
use crate::experiment::stats::mean_ci;
use crate::experiment::{AbKey, Metric, Results};
use crate::heads::HeadDef;
use crate::svg::{Line, Series, bars, hbars, lines};

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
                name: v.label().into(),
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
                    name: v.label().into(),
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
                    name: t.label().into(),
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
