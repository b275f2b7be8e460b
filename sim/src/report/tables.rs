//! Every table of the report, each built once from the results ([`Table`]); the text, HTML and
//! CSV renderings all read these.

use crate::experiment::results::{AbOut, Metrics, Scope};
use crate::experiment::{AbKey, Claim, Metric, Results, Variant};

use super::table::{Cell, Layout, Style, Table};

/// One line on what an experiment simulates and how it splits training from evaluation.
pub fn describe(cfg: &crate::experiment::ExperimentConfig) -> String {
    let s = &cfg.scenario;
    format!(
        "scenario `{}`: {} users x {} days, survey rate {} (the paper's is under 1e-4; see `usm presets`), targeting {}, willingness mean {} spread {} corr(sensitivity) {} observed in the logs {}, answer dependence {}, panel rate {}; models train on the first {} days and are evaluated on the last {}; {} replicate(s)",
        s.name,
        s.population.users,
        s.population.days,
        s.survey.rate,
        s.survey.targeting.name(),
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

/// A metric of a metrics block, with its interval.
fn num(m: &Metrics, k: Metric) -> Cell {
    Cell::num(m.get(k), m.ci95.get(&k).copied())
}

/// Whether the rows carry the truth: every simulation, and logs written with the oracle columns.
pub fn has_oracle(res: &Results) -> bool {
    res.logs.as_ref().is_none_or(|l| l.oracle)
}

/// What the claims are checked in: the scenario, or the logs (then only those the logs decide).
pub fn where_(res: &Results) -> &'static str {
    match &res.logs {
        Some(l) if !l.oracle => "these logs (those that need no truth)",
        Some(_) => "these logs",
        None => "this scenario",
    }
}

/// Whether some variant has answers of the random slice.
pub fn has_random_slice(res: &Results) -> bool {
    res.variants
        .values()
        .any(|v| v.heads.values().any(|m| m.get(Metric::RANDOM_N).is_some()))
}

/// A row per head and variant: the head, the variant, then `cols` of its metrics.
fn per_variant(res: &Results, mut t: Table, cols: &[Metric]) -> Table {
    for h in &res.heads() {
        for (v, out) in &res.variants {
            let m = &out.heads[h];
            let mut row = vec![Cell::text(h.name()), Cell::text(v.label())];
            row.extend(cols.iter().map(|k| num(m, *k)));
            t.push(row);
        }
    }
    t
}

/// Table 1: what a platform can measure, on submitted answers.
pub fn labelled(res: &Results) -> Table {
    let t = Table::new(
        "1-labelled",
        "Table 1: AUC and calibration on labelled (submitted) samples, evaluation period",
        &[
            "head",
            "model",
            "n",
            "AUC",
            "calibration",
            "AUC (IPW)",
            "calibration (IPW)",
        ],
    );
    let mut t = per_variant(
        res,
        t,
        &[
            Metric::LABELED_N,
            Metric::LABELED_AUC,
            Metric::LABELED_CALIBRATION,
            Metric::LABELED_AUC_IPW,
            Metric::LABELED_CALIBRATION_IPW,
        ],
    );
    counts(&mut t, 2);
    t
}

/// Column `c` of `t` as whole numbers.
fn counts(t: &mut Table, c: usize) {
    for r in &mut t.rows {
        if let Cell::Num { value, .. } = r[c] {
            r[c] = Cell::count(value);
        }
    }
}

/// Against the random slice (panel answers), the stand-in for the truth in real logs; `None`
/// without one.
pub fn random_slice(res: &Results) -> Option<Table> {
    if !has_random_slice(res) {
        return None;
    }
    let t = Table::new(
        "random-slice",
        "Against the random slice (panel answers of the evaluation period: everyone asked answers)",
        &["head", "model", "n", "AUC", "calibration", "log loss"],
    );
    let mut t = per_variant(
        res,
        t,
        &[
            Metric::RANDOM_N,
            Metric::RANDOM_AUC,
            Metric::RANDOM_CALIBRATION,
            Metric::RANDOM_LOGLOSS,
        ],
    );
    counts(&mut t, 2);
    Some(t)
}

/// Table 2: by band of the submit score.
pub fn bands(res: &Results) -> Table {
    let t = Table::new(
        "2-bands",
        "Table 2: by percentile band of the submit score (labelled samples)",
        &[
            "head",
            "model",
            "[0,P25) AUC",
            "[0,P25) cal",
            "[P25,P50) AUC",
            "[P25,P50) cal",
            "[P75,P100] AUC",
        ],
    );
    per_variant(
        res,
        t,
        &[
            Metric::BAND_P0_P25_AUC,
            Metric::BAND_P0_P25_CALIBRATION,
            Metric::BAND_P25_P50_AUC,
            Metric::BAND_P25_P50_CALIBRATION,
            Metric::BAND_P75_P100_AUC,
        ],
    )
}

/// What only a simulator knows: every variant against the truth, and the truth scored like a
/// model (the ceiling); `None` where the rows have no truth.
pub fn oracle(res: &Results) -> Option<Table> {
    if !has_oracle(res) {
        return None;
    }
    let t = Table::new(
        "oracle",
        "Against the oracle (what only a simulator knows): all survey shows, the reluctant quarter, all exposures, unshown candidates",
        &[
            "head",
            "model",
            "AUC shows",
            "regAUC shows",
            "cal shows",
            "AUC reluctant",
            "cal reluctant",
            "cal the rest",
            "AUC exposures",
            "cal exposures",
            "regAUC unshown",
            "cal unshown",
        ],
    );
    let mut t = per_variant(
        res,
        t,
        &[
            Metric::ORACLE_AUC_SHOWN,
            Metric::ORACLE_REGAUC_SHOWN,
            Metric::ORACLE_CALIBRATION_SHOWN,
            Metric::ORACLE_AUC_RELUCTANT,
            Metric::ORACLE_CALIBRATION_RELUCTANT,
            Metric::ORACLE_CALIBRATION_WILLING,
            Metric::ORACLE_AUC_EXPOSED,
            Metric::ORACLE_CALIBRATION_EXPOSED,
            Metric::ORACLE_REGAUC_UNSHOWN,
            Metric::ORACLE_CALIBRATION_UNSHOWN,
        ],
    );
    for (h, m) in &res.reference {
        let e = Cell::empty;
        t.push(vec![
            Cell::text(h.name()),
            Cell::text("(true probabilities)"),
            num(m, Metric::ORACLE_AUC_SHOWN),
            Cell::num(Some(1.0), None),
            e(),
            num(m, Metric::ORACLE_AUC_RELUCTANT),
            e(),
            e(),
            num(m, Metric::ORACLE_AUC_EXPOSED),
            e(),
            e(),
            e(),
        ]);
    }
    Some(without_empty_columns(t))
}

/// Table 3: Nfb/Pfb UAUC, with the truth's as the ceiling.
pub fn uauc(res: &Results) -> Table {
    let t = Table::new(
        "3-uauc",
        "Table 3: Nfb/Pfb UAUC (dislike head: Pfb; others: Nfb)",
        &["head", "model", "UAUC", "users", "Nfb UAUC", "Pfb UAUC"],
    );
    let mut t = per_variant(
        res,
        t,
        &[
            Metric::UAUC,
            Metric::UAUC_USERS,
            Metric::UAUC_NFB,
            Metric::UAUC_PFB,
        ],
    );
    for (h, m) in &res.reference {
        t.push(vec![
            Cell::text(h.name()),
            Cell::text("(true probabilities)"),
            num(m, Metric::UAUC),
            Cell::empty(),
            num(m, Metric::UAUC_NFB),
            num(m, Metric::UAUC_PFB),
        ]);
    }
    counts(&mut t, 3);
    t
}

/// Every rate estimate of each head.
pub fn rates(res: &Results) -> Table {
    let cols = [
        (Metric::RATE_TRUE, "true (shows)"),
        (Metric::RATE_TRUE_EXPOSED, "true (exposures)"),
        (Metric::RATE_NAIVE, "naive, Eq. 2"),
        (Metric::RATE_DEBIASED, "Eq. 13"),
        (
            Metric::RATE_DEBIASED_CEILING_PROPENSITY,
            "Eq. 13, best propensity from the logs",
        ),
        (
            Metric::RATE_DEBIASED_LOGGED_PROPENSITY,
            "Eq. 13, logged propensity",
        ),
        (
            Metric::RATE_DEBIASED_TRUE_PROPENSITY,
            "Eq. 13, true propensity",
        ),
        (
            Metric::RATE_EQ5_RESPONSE_DEBIAS,
            "Eq. 5, resp. debias model",
        ),
        (Metric::RANDOM_RATE, "random slice"),
        (Metric::RATE_IPW_PANEL, "Eq. 13, panel's propensity"),
        (Metric::RATE_DR, "doubly robust"),
        (Metric::RATE_IPW_NAIVE_BAYES, "Eq. 13, naive Bayes"),
        (Metric::RATE_DR_NAIVE_BAYES, "doubly robust, naive Bayes"),
    ];
    let mut header = vec!["head"];
    header.extend(cols.iter().map(|c| c.1));
    let mut t = Table::new("rates", "Survey rates (evaluation period)", &header);
    for (h, m) in &res.rates {
        let mut row = vec![Cell::text(h.name())];
        row.extend(cols.iter().map(
            |(k, _)| match (m.ci95.contains_key(k), own_interval(m, *k)) {
                (false, Some(iv)) => Cell::num(m.get(*k), Some(iv)),
                _ => num(m, *k),
            },
        ));
        t.push(row);
    }
    let notes: Vec<String> = res
        .rates
        .iter()
        .filter_map(|(h, m)| random_slice_note(h.name(), m, &cols))
        .collect();
    let t = without_empty_columns(t);
    if notes.is_empty() {
        t
    } else {
        t.with_note(notes.join(" "))
    }
}

/// A rate's standard error in one world, where the run measures one.
fn own_se(m: &Metrics, k: Metric) -> Option<f64> {
    match k {
        Metric::RANDOM_RATE => m.get(Metric::RANDOM_RATE_SE),
        Metric::RATE_IPW_NAIVE_BAYES => m.get(Metric::RATE_IPW_NAIVE_BAYES_SE),
        _ => None,
    }
}

/// A rate's 95% interval in one world, `rate ± 1.96 se`, where it has a standard error.
fn own_interval(m: &Metrics, k: Metric) -> Option<[f64; 2]> {
    let (v, se) = (m.get(k)?, own_se(m, k)?);
    Some([v - 1.96 * se, v + 1.96 * se])
}

/// The random slice's 95% interval over its users, in one world (a team's logs). Across
/// replicates each column has its own interval and the note is left out: an interval of the
/// replicates' mean says nothing of where one world's estimate should land.
fn random_interval(m: &Metrics) -> Option<[f64; 2]> {
    if m.ci95.contains_key(&Metric::RANDOM_RATE) {
        return None;
    }
    own_interval(m, Metric::RANDOM_RATE)
}

/// Against the random slice, where there is one: which corrected rates land within its 95%
/// interval, and the share of the naive rate's gap to it each closes.
fn random_slice_note(head: &str, m: &Metrics, cols: &[(Metric, &str)]) -> Option<String> {
    let iv = random_interval(m)?;
    let (random, naive) = (m.get(Metric::RANDOM_RATE)?, m.get(Metric::RATE_NAIVE)?);
    let random_se = m.get(Metric::RANDOM_RATE_SE);
    let gap = naive - random;
    let parts: Vec<String> = cols
        .iter()
        .filter(|(k, _)| {
            ![
                Metric::RANDOM_RATE,
                Metric::RATE_TRUE,
                Metric::RATE_TRUE_EXPOSED,
                Metric::RATE_NAIVE,
            ]
            .contains(k)
        })
        .filter_map(|(k, label)| {
            let v = m.get(*k)?;
            // An estimate with its own error: whether its difference from the random slice's
            // rate is within that difference's 95% interval (independent samples); else whether
            // it lies in the random slice's interval.
            let inside = match (own_se(m, *k), random_se) {
                (Some(se), Some(rse)) => {
                    if (v - random).abs() <= 1.96 * (se * se + rse * rse).sqrt() {
                        "its difference within its 95% interval"
                    } else {
                        "its difference outside its 95% interval"
                    }
                }
                _ if (iv[0]..=iv[1]).contains(&v) => "inside",
                _ => "outside",
            };
            Some(if gap.abs() > 1e-12 {
                format!(
                    "{label} {v:.4} ({inside}; closes {:.0}% of the naive gap)",
                    100.0 * (naive - v) / gap
                )
            } else {
                format!("{label} {v:.4} ({inside})")
            })
        })
        .collect();
    Some(format!(
        "{head}: the random slice's rate {random:.4}, 95% interval [{:.4}, {:.4}]; the naive rate {naive:.4} is {}; {}.",
        iv[0],
        iv[1],
        if (iv[0]..=iv[1]).contains(&naive) {
            "inside it"
        } else {
            "outside it"
        },
        parts.join(", ")
    ))
}

/// The survey-submit model against the best propensity computable from the logs and the truth.
pub fn submit(res: &Results) -> Table {
    let sm = &res.submit_model;
    let mut t = Table::new("submit-model", "Survey-submit model", &["metric", "value"])
        .with_note(submit_summary(sm));
    for (k, what) in [
        (Metric::AUC, "AUC of submission over evaluation shows"),
        (Metric::CALIBRATION, "calibration"),
        (
            Metric::AUC_CEILING_PROPENSITY,
            "AUC of the best propensity computable from the logs",
        ),
        (Metric::AUC_TRUE_PROPENSITY, "AUC of the true propensity"),
        (
            Metric::CORR_WITH_TRUE_PROPENSITY,
            "correlation with the true propensity",
        ),
        (
            Metric::CORR_CEILING_WITH_TRUE_PROPENSITY,
            "the best propensity's correlation with the true one",
        ),
        (
            Metric::CORR_WITH_LOGGED_PROPENSITY,
            "correlation with the propensity the logging policy recorded",
        ),
        (
            Metric::MEAN_ABS_ERROR,
            "mean absolute error against the truth",
        ),
        (Metric::MEAN_PREDICTED, "mean predicted propensity"),
        (Metric::MEAN_TRUE, "mean true propensity"),
    ] {
        if sm.get(k).is_some() {
            t.push(vec![Cell::text(what), num(sm, k)]);
        }
    }
    t
}

/// The submit model's AUC against the ceiling's and the truth's, and whose gap is whose.
pub fn submit_summary(s: &Metrics) -> String {
    let f = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{v:.4}"));
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
        f(model),
        f(ceiling),
        f(truth),
        f(s.get(Metric::CORR_WITH_TRUE_PROPENSITY))
    )
}

/// One row per A/B metric, one column per arm (or pair of arms): the relative change and its
/// interval.
fn ab_changes<K>(
    id: &'static str,
    title: &str,
    arms: &std::collections::BTreeMap<K, std::collections::BTreeMap<AbKey, AbOut>>,
    header: impl Fn(&K) -> String,
) -> Option<Table> {
    let first = arms.values().next()?;
    let names: Vec<String> = arms.keys().map(header).collect();
    let mut head = vec!["metric"];
    head.extend(names.iter().map(String::as_str));
    let mut t = Table::new(id, title, &head);
    for m in first.keys() {
        let mut row = vec![Cell::text(m.name())];
        row.extend(arms.values().map(|ms| match ms.get(m) {
            Some(x) => Cell::percent(x.rel_change, x.ci95),
            None => Cell::num(None, None),
        }));
        t.push(row);
    }
    Some(t)
}

/// The closed-loop A/B test: each variant against control.
pub fn ab(res: &Results) -> Option<Table> {
    let t = ab_changes(
        "ab",
        "Closed-loop A/B: relative change against control, 95% interval",
        &res.ab,
        |v: &Variant| v.label().to_string(),
    )?;
    Some(match &res.ab_detail {
        Some(d) => {
            let arms: Vec<String> = d
                .exposures
                .iter()
                .map(|(a, n)| format!("{a} {n}"))
                .collect();
            t.with_note(format!(
                "{} users for {} days per arm, common random numbers; exposures per arm: {}.",
                d.users,
                d.days,
                arms.join(", ")
            ))
        }
        None => t,
    })
}

/// The closed-loop A/B test, model against model.
pub fn ab_pairs(res: &Results) -> Option<Table> {
    ab_changes(
        "ab-pairs",
        "Closed-loop A/B, model against model: relative change of the first against the second, 95% interval",
        &res.ab_pairs,
        |p| format!("{} vs {}", p.0.label(), p.1.label()),
    )
}

/// What would decide an undecided claim, in words.
pub fn power_text(c: &Claim) -> String {
    let Some(n) = c.replicates_needed else {
        return String::new();
    };
    let at = |n: Option<usize>| n.map_or("more than 1,000".into(), |n| n.to_string());
    match n.estimate {
        Some(e) => format!(
            "about {e} replicates would decide it at the difference and spread measured (95% range {} to {}: the spread rests on few replicates)",
            at(n.low),
            at(n.high)
        ),
        None => format!(
            "the difference measured is too small to decide within 1,000 replicates at the spread measured (at the low end of its 95% range: {})",
            at(n.low)
        ),
    }
}

/// A verdict against its prediction, in words: `as predicted`, `not as predicted (theory: NO
/// EFFECT)`, or nothing where theory says nothing here.
pub fn prediction_text(c: &Claim) -> String {
    match (c.predicted, c.as_predicted()) {
        (Some(_), Some(true)) => "as predicted".into(),
        (Some(p), _) => format!("not as predicted (theory: {})", p.word()),
        _ => String::new(),
    }
}

/// The scope of a verdict, in words.
pub fn scope_text(c: &Claim) -> &'static str {
    match c.scope {
        Some(Scope::AcrossWorlds) => "across worlds",
        Some(Scope::InThisWorld) => "in this world",
        None => "",
    }
}

/// The paper's claims with their verdicts, the scope of each, and what theory predicted.
pub fn claims(res: &Results) -> Table {
    let mut t = Table::new(
        "claims",
        format!("The paper's claims in {}", where_(res)),
        &[
            "claim",
            "verdict",
            "scope",
            "prediction",
            "evidence",
            "to decide it",
            "source",
            "id",
        ],
    )
    .laid_out(Layout::Records);
    for c in &res.claims {
        let statement = if c.check {
            format!("(a check) {}", c.statement)
        } else {
            c.statement.clone()
        };
        t.push(vec![
            Cell::text(statement),
            Cell::text(c.verdict.word()),
            Cell::text(scope_text(c)),
            Cell::text(prediction_text(c)),
            Cell::text(&c.evidence),
            Cell::text(power_text(c)),
            Cell::text(match c.paper_effect {
                Some(p) => format!(
                    "{}; margin {}, the paper's effect {p:.4}",
                    c.source, c.margin
                ),
                None => format!("{}; margin {}", c.source, c.margin),
            }),
            Cell::text(c.id.name()),
        ]);
    }
    t
}

/// The rows each replicate used, and its time.
pub fn data(res: &Results) -> Table {
    let mut t = Table::new(
        "data",
        "Data",
        &[
            "replicate",
            "train shows",
            "train submits",
            "train panel",
            "pseudo rows",
            "pseudo cells kept",
            "eval shows",
            "eval submits",
            "eval exposures",
            "seconds",
        ],
    );
    for (i, d) in res.data.iter().enumerate() {
        let n = |x: usize| Cell::count(Some(x as f64));
        t.push(vec![
            n(i + 1),
            n(d.train_shows),
            n(d.train_submits),
            n(d.train_panel),
            n(d.pseudo_rows),
            n(d.pseudo_cells_kept),
            n(d.eval_shows),
            n(d.eval_submits),
            n(d.eval_exposures),
            Cell::Num {
                value: res.seconds.get(i).copied(),
                ci: None,
                style: Style::Fixed1,
            },
        ]);
    }
    t
}

/// `t` without its columns of numbers that are undefined in every row.
fn without_empty_columns(mut t: Table) -> Table {
    let keep: Vec<bool> = (0..t.header.len())
        .map(|c| {
            t.rows.iter().any(|r| match &r[c] {
                Cell::Num { value, .. } => value.is_some(),
                Cell::Text(s) => !s.is_empty(),
            })
        })
        .collect();
    fn pick<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
        v.into_iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(x, _)| x)
            .collect()
    }
    t.header = pick(std::mem::take(&mut t.header), &keep);
    t.rows = std::mem::take(&mut t.rows)
        .into_iter()
        .map(|r| pick(r, &keep))
        .collect();
    t
}

/// Every table, in the order the terminal shows them (the claims last, under the numbers).
pub fn all(res: &Results) -> Vec<Table> {
    let mut out = vec![labelled(res)];
    out.extend(random_slice(res));
    out.push(bands(res));
    out.extend(oracle(res));
    out.push(uauc(res));
    out.push(rates(res));
    out.push(submit(res));
    out.extend(ab(res));
    out.extend(ab_pairs(res));
    out.push(data(res));
    out.push(claims(res));
    out
}
