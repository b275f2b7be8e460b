//! The survey issue rate of each head, estimated every way the experiment knows: the truth,
//! Eq. 2 (naive), Eq. 13 (debiased) with the submit model's and with the true propensity,
//! Eq. 5 (the response-debias model's mean), and with a panel (a random slice) its own rate with
//! its error over users, the doubly robust estimate, and Eq. 13 and the doubly robust rate with
//! the answer's naive-Bayes propensity (Schnabel et al. 2016).

use std::collections::BTreeMap;

use usm_core::influence::Influence;
use usm_core::metrics;

use super::evaluate::Clusters;
use super::measured::MetricMap;
use super::names::{Metric, Variant};
use super::stats::defined;
use super::world::{PanelRatios, Split, SubmitFit, answer_propensity};
use crate::heads::HeadDef;

/// head → every rate estimate of the evaluation period.
pub fn estimate_rates(
    split: &Split,
    submit: &SubmitFit,
    preds: (&BTreeMap<Variant, Vec<f32>>, &BTreeMap<Variant, Vec<f32>>),
    panel: Option<&PanelRatios>,
) -> BTreeMap<HeadDef, MetricMap> {
    let sets = &split.eval;
    let clusters = split.world.oracle.then(|| Clusters::of(sets));
    let mut out = BTreeMap::new();
    for (k, h) in split.heads().iter().enumerate() {
        let t = h.survey();
        let head = Head {
            h,
            k,
            shows: (0..sets.shows.len())
                .filter(|&i| sets.shows.rows[i].survey == t)
                .collect(),
            submits: (0..sets.submits.len())
                .filter(|&i| sets.submits.rows[i].survey == t)
                .collect(),
        };
        let mut m = MetricMap::new();
        if split.world.oracle {
            true_rates(split, &head, &mut m);
        }
        answered_rates(split, submit, &head, &mut m);
        model_rates(split, submit, (preds.0, panel), &head, &mut m);
        if let Some(cl) = &clusters {
            let rd = &preds.0[&Variant::ResponseDebias];
            errors_over_users(split, submit, rd, (&head, cl), &mut m);
        }
        if let Some(ratios) = panel {
            naive_bayes_rates(split, preds, ratios, &head, &mut m);
        }
        out.insert(*h, m);
    }
    out
}

/// One head and the evaluation rows of its survey.
struct Head<'a> {
    h: &'a HeadDef,
    /// Its column among the heads.
    k: usize,
    /// Its survey's shows, as indices into `EvalSets::shows`.
    shows: Vec<usize>,
    /// Its survey's submits, as indices into `EvalSets::submits`.
    submits: Vec<usize>,
}

/// The truth: over the head's shows, and over every exposure of the evaluation users.
fn true_rates(split: &Split, head: &Head, m: &mut MetricMap) {
    let (sets, h) = (&split.eval, head.h);
    let truth: Vec<f64> = head
        .shows
        .iter()
        .map(|&i| h.truth(&sets.shows.rows[i].oracle.unwrap_or_default()) as f64)
        .collect();
    m.insert(Metric::RATE_TRUE, defined(metrics::mean_rate(&truth)));
    let texp = h.truths(&sets.exposures.rows);
    m.insert(
        Metric::RATE_TRUE_EXPOSED,
        defined(metrics::mean_rate(&texp)),
    );
}

/// In this world: the standard errors over the evaluation users of Eq. 2's, Eq. 13's and
/// Eq. 5's relative errors against the truth over shows, and of how much closer Eq. 13 is than
/// Eq. 2, with the submit model and the trained models held fixed (the question is whether they
/// did it here, for these users). Each rate is a ratio of per-user sums ([`ratio_over_users`]);
/// a relative error `E / T - 1` has the influence `IF_E / T - E IF_T / T^2`.
fn errors_over_users(
    split: &Split,
    submit: &SubmitFit,
    rd: &[f32],
    (head, cl): (&Head, &Clusters),
    m: &mut MetricMap,
) {
    let (sets, h, k, n) = (&split.eval, head.h, head.k, cl.n);
    let (nh, clip) = (split.heads().len(), split.exp.ipw.clip);
    let shows = |x: &dyn Fn(usize) -> f64| {
        let rows = head.shows.iter().map(|&i| (cl.shows[i], x(i), 1.0));
        ratio_over_users(rows, n)
    };
    let submits = |w: &dyn Fn(usize) -> f64| {
        let rows = head.submits.iter().map(|&i| {
            let r = sets.submits.rows[i];
            let y = h.label(r.answer, r.reasons) as u8 as f64;
            (cl.submits[i], w(i) * y, w(i))
        });
        ratio_over_users(rows, n)
    };
    let Some(truth) = shows(&|i| h.truth(&sets.shows.rows[i].oracle.unwrap_or_default()) as f64)
    else {
        return;
    };
    let naive = submits(&|_| 1.0).and_then(|e| relative_error(&e, &truth));
    let eq13 = submits(&|i| 1.0 / (submit.submit_prop[i] as f64).max(clip))
        .and_then(|e| relative_error(&e, &truth));
    let eq5 = shows(&|i| rd[i * nh + k] as f64).and_then(|e| relative_error(&e, &truth));
    for (key, x) in [
        (Metric::RATE_NAIVE_ERROR_SE, &naive),
        (Metric::RATE_DEBIASED_ERROR_SE, &eq13),
        (Metric::RATE_EQ5_ERROR_SE, &eq5),
    ] {
        m.insert(key, defined_se(x.as_ref()));
    }
    if let (Some(a), Some(b)) = (naive, eq13) {
        let gain = Influence::combine(&[(1.0, &a.abs()), (-1.0, &b.abs())]).ok();
        m.insert(Metric::RATE_DEBIASED_GAIN_SE, defined_se(gain.as_ref()));
    }
}

/// A standard error where its influence has one.
fn defined_se(x: Option<&Influence>) -> Option<f64> {
    x.map(Influence::se).filter(|se| se.is_finite())
}

/// `Σ_u a_u / Σ_u b_u` over rows `(user, a, b)`, with each user's influence
/// `(a_u - value · b_u) / Σ b`. `None` where `Σ b` is not positive.
fn ratio_over_users(rows: impl Iterator<Item = (u32, f64, f64)>, n: usize) -> Option<Influence> {
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    for (u, x, w) in rows {
        a[u as usize] += x;
        b[u as usize] += w;
    }
    let (sa, sb) = (a.iter().sum::<f64>(), b.iter().sum::<f64>());
    if sb <= 0.0 {
        return None;
    }
    let value = sa / sb;
    let by_cluster = a
        .iter()
        .zip(&b)
        .map(|(a, b)| (a - value * b) / sb)
        .collect();
    Some(Influence { value, by_cluster })
}

/// `e / t - 1` with its users' influence, `IF_e / t - e IF_t / t^2`. `None` where `t` is not
/// positive.
fn relative_error(e: &Influence, t: &Influence) -> Option<Influence> {
    if t.value <= 0.0 {
        return None;
    }
    let mut out =
        Influence::combine(&[(1.0 / t.value, e), (-e.value / t.value.powi(2), t)]).ok()?;
    out.value = e.value / t.value - 1.0;
    Some(out)
}

/// From the submitted answers: Eq. 2, and Eq. 13 with every propensity the run has (the submit
/// model's; the truth's, the logged one and the ceiling's where there are).
fn answered_rates(split: &Split, submit: &SubmitFit, head: &Head, m: &mut MetricMap) {
    let (sets, h, clip) = (&split.eval, head.h, split.exp.ipw.clip);
    let rows: Vec<_> = head.submits.iter().map(|&i| sets.submits.rows[i]).collect();
    let ans: Vec<bool> = rows.iter().map(|r| h.label(r.answer, r.reasons)).collect();
    let of =
        |p: &dyn Fn(usize) -> f64| -> Vec<f64> { head.submits.iter().map(|&i| p(i)).collect() };
    let eq13 = |p: &[f64]| defined(metrics::debiased_rate(&ans, p, clip));
    m.insert(Metric::RATE_NAIVE, defined(metrics::survey_rate(&ans)));
    m.insert(
        Metric::RATE_DEBIASED,
        eq13(&of(&|i| submit.submit_prop[i] as f64)),
    );
    if split.world.oracle {
        let truth = of(&|i| sets.submits.rows[i].true_propensity());
        m.insert(Metric::RATE_DEBIASED_TRUE_PROPENSITY, eq13(&truth));
    }
    let logged = &split.world.logged_propensity;
    if !logged.is_empty() {
        let (a, p): (Vec<bool>, Vec<f64>) = rows
            .iter()
            .filter_map(|r| {
                let l = logged.get(&r.exposure_id)?;
                Some((h.label(r.answer, r.reasons), *l))
            })
            .unzip();
        m.insert(
            Metric::RATE_DEBIASED_LOGGED_PROPENSITY,
            defined(metrics::debiased_rate(&a, &p, clip)),
        );
    }
    if !submit.ceiling_submit_prop.is_empty() {
        let ceiling = of(&|i| submit.ceiling_submit_prop[i]);
        m.insert(Metric::RATE_DEBIASED_CEILING_PROPENSITY, eq13(&ceiling));
    }
}

/// Through models and the random slice: Eq. 5 (the response-debias model's mean over the
/// shows), the random slice's own rate (unbiased, and noisy), and with a panel the doubly
/// robust rate and Eq. 13 on the same answer-dependent propensities.
fn model_rates(
    split: &Split,
    submit: &SubmitFit,
    (show_preds, panel): (&BTreeMap<Variant, Vec<f32>>, Option<&PanelRatios>),
    head: &Head,
    m: &mut MetricMap,
) {
    let (sets, h, k) = (&split.eval, head.h, head.k);
    let (nh, clip) = (split.heads().len(), split.exp.ipw.clip);
    let rd = &show_preds[&Variant::ResponseDebias];
    let eq5: Vec<f64> = head.shows.iter().map(|&i| rd[i * nh + k] as f64).collect();
    m.insert(
        Metric::RATE_EQ5_RESPONSE_DEBIAS,
        defined(metrics::mean_rate(&eq5)),
    );
    let pan: Vec<(u32, bool)> = split
        .world
        .data
        .eval_panel
        .iter()
        .filter(|r| r.survey == h.survey())
        .map(|r| (r.user_id, h.label(r.answer, r.reasons)))
        .collect();
    if let Some((rate, se)) = clustered_rate(&pan) {
        m.insert(Metric::RANDOM_RATE, Some(rate));
        m.insert(Metric::RANDOM_RATE_SE, Some(se));
    }
    let (Some(ratios), Some(pd)) = (panel, show_preds.get(&Variant::PanelDebias)) else {
        return;
    };
    let rows: Vec<DrRow> = head
        .shows
        .iter()
        .map(|&i| {
            let r = sets.shows.rows[i];
            DrRow {
                model: pd[i * nh + k] as f64,
                answered: r.submitted.then(|| {
                    let p =
                        answer_propensity(submit.show_prop[i] as f64, ratios.eval_shows[i], clip);
                    (h.label(r.answer, r.reasons), p)
                }),
            }
        })
        .collect();
    m.insert(Metric::RATE_DR, doubly_robust(&rows));
    m.insert(Metric::RATE_IPW_PANEL, ipw_rate(&rows));
}

/// With the answer's naive-Bayes propensity (Schnabel et al. 2016): Eq. 13 over the submitted
/// answers, and the doubly robust rate whose outcome model is the naive-Bayes-weighted variant,
/// averaged over the random slice's rows (its features stand for every exposure).
fn naive_bayes_rates(
    split: &Split,
    (show_preds, panel_preds): (&BTreeMap<Variant, Vec<f32>>, &BTreeMap<Variant, Vec<f32>>),
    ratios: &PanelRatios,
    head: &Head,
    m: &mut MetricMap,
) {
    let (sets, h, k, nh) = (&split.eval, head.h, head.k, split.heads().len());
    let ratio = |r: &crate::records::ExposureRecord| {
        ratios
            .marginal
            .get(&(r.survey, r.answer))
            .copied()
            .unwrap_or(1.0)
    };
    let answered = |i: usize| {
        let r = sets.submits.rows[i];
        (h.label(r.answer, r.reasons), ratio(r))
    };
    let rows: Vec<DrRow> = head
        .submits
        .iter()
        .map(|&i| DrRow {
            model: 0.0,
            answered: Some(answered(i)),
        })
        .collect();
    m.insert(Metric::RATE_IPW_NAIVE_BAYES, ipw_rate(&rows));
    m.insert(
        Metric::RATE_IPW_NAIVE_BAYES_SE,
        naive_bayes_se(split, h, &head.submits),
    );
    let (Some(ps), Some(pp)) = (
        show_preds.get(&Variant::NaiveBayesDebias),
        panel_preds.get(&Variant::NaiveBayesDebias),
    ) else {
        return;
    };
    let target: Vec<f64> = (0..sets.panel.len())
        .filter(|&i| sets.panel.rows[i].survey == h.survey())
        .map(|i| pp[i * nh + k] as f64)
        .collect();
    let residuals: Vec<(f64, f64)> = head
        .shows
        .iter()
        .filter(|&&i| sets.shows.rows[i].submitted)
        .map(|&i| {
            let r = sets.shows.rows[i];
            let y = h.label(r.answer, r.reasons) as u8 as f64;
            (y - ps[i * nh + k] as f64, 1.0 / ratio(r))
        })
        .collect();
    m.insert(
        Metric::RATE_DR_NAIVE_BAYES,
        self_normalised_dr(&target, &residuals),
    );
}

/// Bootstrap draws of the naive-Bayes rate's standard error.
const NB_DRAWS: u64 = 200;

/// A row of the naive-Bayes rate: its user, its answer's place among its survey's answers, and
/// whether the answer counts for the head.
#[derive(Clone, Copy, Debug)]
struct NbRow {
    user: u32,
    answer: usize,
    y: bool,
}

/// The naive-Bayes rate's standard error: a Bayesian bootstrap over users (each user's rows
/// weighted alike by an exponential draw) of the three samples it reads: the evaluation
/// period's submitted answers, the training period's, and the training period's random slice,
/// whose `P(y)` carries most of its noise.
fn naive_bayes_se(split: &Split, h: &HeadDef, submits: &[usize]) -> Option<f64> {
    let kind = h.survey();
    let answers = kind.answers();
    let row = |r: &crate::records::ExposureRecord| {
        Some(NbRow {
            user: r.user_id,
            answer: answers.iter().position(|a| *a == r.answer)?,
            y: h.label(r.answer, r.reasons),
        })
    };
    let data = &split.world.data;
    let eval: Vec<NbRow> = submits
        .iter()
        .filter_map(|&i| row(split.eval.submits.rows[i]))
        .collect();
    let of = |rows: &[crate::records::ExposureRecord], submitted: bool| -> Vec<NbRow> {
        rows.iter()
            .filter(|r| r.survey == kind && (!submitted || r.submitted))
            .filter_map(row)
            .collect()
    };
    let (train, panel) = (of(&data.train_shows, true), of(&data.train_panel, false));
    let draws: Vec<f64> = (0..NB_DRAWS)
        .filter_map(|b| {
            let seed = usm_core::rng::mix(split.seed ^ 0x4E42, b);
            let w = |u: u32| -(1.0 - usm_core::rng::hash_unit(seed, u as u64)).ln();
            naive_bayes_rate((&eval, &train, &panel), answers.len(), &w)
        })
        .collect();
    if draws.len() < 2 {
        return None;
    }
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (draws.len() - 1) as f64;
    Some(var.sqrt())
}

/// Eq. 13 over `eval` with naive-Bayes ratios `P(a | submit) / P(a)` from weighted counts:
/// `P(a | submit)` from `train`, `P(a)` from `panel`, each with add-one smoothing (as
/// `variants::panel_ratios`); `w` weighs each user's rows.
fn naive_bayes_rate(
    (eval, train, panel): (&[NbRow], &[NbRow], &[NbRow]),
    answers: usize,
    w: &dyn Fn(u32) -> f64,
) -> Option<f64> {
    let share = |rows: &[NbRow]| {
        let mut c = vec![1.0; answers];
        let mut n = answers as f64;
        for r in rows {
            let x = w(r.user);
            c[r.answer] += x;
            n += x;
        }
        c.into_iter().map(|v| v / n).collect::<Vec<f64>>()
    };
    let (s, p) = (share(train), share(panel));
    let (mut num, mut den) = (0.0, 0.0);
    for r in eval {
        let x = w(r.user) * p[r.answer] / s[r.answer];
        den += x;
        if r.y {
            num += x;
        }
    }
    (den > 0.0).then(|| num / den)
}

/// The doubly robust rate with self-normalised weights: the outcome model's mean over the target
/// rows, plus the weighted mean of its residuals `(y - m(x), w)` over the answered rows. `None`
/// without target rows or answers.
pub fn self_normalised_dr(target: &[f64], residuals: &[(f64, f64)]) -> Option<f64> {
    let den: f64 = residuals.iter().map(|r| r.1).sum();
    if target.is_empty() || den <= 0.0 {
        return None;
    }
    let num: f64 = residuals.iter().map(|r| r.0 * r.1).sum();
    Some(target.iter().sum::<f64>() / target.len() as f64 + num / den)
}

/// The share of `true` among `(user, answer)` pairs and its standard error over users: the
/// variance of a ratio of per-user sums, `sum_u (y_u - p n_u)^2 / n^2` (a user's answers are not
/// independent draws). `None` without answers.
pub fn clustered_rate(answers: &[(u32, bool)]) -> Option<(f64, f64)> {
    if answers.is_empty() {
        return None;
    }
    let n = answers.len() as f64;
    let p = answers.iter().filter(|a| a.1).count() as f64 / n;
    let mut per_user: BTreeMap<u32, f64> = BTreeMap::new();
    for &(u, y) in answers {
        *per_user.entry(u).or_default() += y as u8 as f64 - p;
    }
    let var = per_user.values().map(|e| e * e).sum::<f64>() / (n * n);
    Some((p, var.sqrt()))
}

/// One show in the doubly robust estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrRow {
    /// The outcome model's probability `m(x)`.
    pub model: f64,
    /// Where the show was answered: the label and its propensity `p(x, y)`.
    pub answered: Option<(bool, f64)>,
}

/// The doubly robust rate: the mean over shows of `m(x) + O (y - m(x)) / p(x, y)`, where `O` is
/// whether the show was answered. `None` without shows.
pub fn doubly_robust(rows: &[DrRow]) -> Option<f64> {
    let mut s = 0.0;
    for r in rows {
        s += r.model;
        if let Some((y, p)) = r.answered {
            s += (y as u8 as f64 - r.model) / p;
        }
    }
    (!rows.is_empty()).then(|| s / rows.len() as f64)
}

/// Eq. 13 (self-normalised inverse propensity weights) over the answered rows, with their
/// propensities: `sum(y / p) / sum(1 / p)`. `None` without answers.
pub fn ipw_rate(rows: &[DrRow]) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for (y, p) in rows.iter().filter_map(|r| r.answered) {
        num += y as u8 as f64 / p;
        den += 1.0 / p;
    }
    (den > 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_error_over_users_hand_values() {
        // Truth over shows: user 0 has 0.1 and 0.3, user 1 has 0.2: T = 0.2, and each user's
        // influence (0.4 − 0.2 · 2) / 3 and (0.2 − 0.2) / 3 is zero.
        let t = ratio_over_users([(0, 0.1, 1.0), (0, 0.3, 1.0), (1, 0.2, 1.0)].into_iter(), 2);
        let t = t.unwrap();
        assert!((t.value - 0.2).abs() < 1e-12 && t.se() < 1e-12);
        // Answers: user 0 yes and no, user 1 yes: E = 2/3, influences (1 − 4/3) / 3 = −1/9 and
        // (1 − 2/3) / 3 = 1/9.
        let e = ratio_over_users([(0, 1.0, 1.0), (0, 0.0, 1.0), (1, 1.0, 1.0)].into_iter(), 2);
        let e = e.unwrap();
        assert!((e.by_cluster[0] + 1.0 / 9.0).abs() < 1e-12);
        assert!((e.by_cluster[1] - 1.0 / 9.0).abs() < 1e-12);
        // E / T − 1 = 7/3, its influences ∓(1/9) / 0.2 = ∓5/9: se 5/9 · √2.
        let r = relative_error(&e, &t).unwrap();
        assert!((r.value - 7.0 / 3.0).abs() < 1e-12);
        assert!(
            (r.se() - 5.0 / 9.0 * 2f64.sqrt()).abs() < 1e-12,
            "{}",
            r.se()
        );
        // A truth of zero, or no rows, has none.
        assert!(
            relative_error(
                &e,
                &ratio_over_users([(0, 0.0, 1.0)].into_iter(), 2).unwrap()
            )
            .is_none()
        );
        assert!(ratio_over_users(std::iter::empty(), 2).is_none());
    }

    #[test]
    fn clustered_rate_hand_values() {
        // Independent answers, one per user: the binomial error sqrt(p (1 - p) / n).
        let one_each: Vec<(u32, bool)> = (0..100).map(|u| (u, u % 4 == 0)).collect();
        let (p, se) = clustered_rate(&one_each).unwrap();
        assert!((p - 0.25).abs() < 1e-12);
        assert!((se - (0.25f64 * 0.75 / 100.0).sqrt()).abs() < 1e-12, "{se}");
        // Each user's answers all alike: as if each user answered once (n = 100 users, 4 answers
        // each), twice the error of 400 independent answers.
        let alike: Vec<(u32, bool)> = (0..400).map(|i| (i / 4, (i / 4) % 4 == 0)).collect();
        let (p, se) = clustered_rate(&alike).unwrap();
        assert!((p - 0.25).abs() < 1e-12);
        assert!((se - (0.25f64 * 0.75 / 100.0).sqrt()).abs() < 1e-12, "{se}");
        assert_eq!(clustered_rate(&[]), None);
    }

    #[test]
    fn naive_bayes_rate_hand_value() {
        // Two answers. Training submits: 3 of answer 1 (y), 1 of answer 0: smoothed shares
        // (2/6, 4/6). Panel: 1 of answer 1, 3 of answer 0: (4/6, 2/6). Weights P(a) / P(a | s):
        // answer 0: 2, answer 1: 0.5. Evaluation: one of each: 0.5 / 2.5 = 0.2.
        let r = |user, answer| NbRow {
            user,
            answer,
            y: answer == 1,
        };
        let train = [r(0, 1), r(1, 1), r(2, 1), r(3, 0)];
        let panel = [r(4, 1), r(5, 0), r(6, 0), r(7, 0)];
        let eval = [r(8, 0), r(9, 1)];
        let rate = naive_bayes_rate((&eval, &train, &panel), 2, &|_| 1.0).unwrap();
        assert!((rate - 0.2).abs() < 1e-12, "{rate}");
        assert_eq!(naive_bayes_rate((&[], &train, &panel), 2, &|_| 1.0), None);
    }

    #[test]
    fn self_normalised_dr_hand_value() {
        // Model mean over the target 0.3; residuals +0.5 at weight 1 and -0.1 at weight 3: their
        // weighted mean (0.5 - 0.3) / 4 = 0.05.
        let dr = self_normalised_dr(&[0.2, 0.4], &[(0.5, 1.0), (-0.1, 3.0)]).unwrap();
        assert!((dr - 0.35).abs() < 1e-12, "{dr}");
        assert_eq!(self_normalised_dr(&[], &[(0.5, 1.0)]), None);
        assert_eq!(self_normalised_dr(&[0.2], &[]), None);
    }

    #[test]
    fn ipw_rate_hand_value() {
        // Answered yes at p = 0.5 (weight 2) and no at p = 0.25 (weight 4): 2 / 6.
        let rows = [
            DrRow {
                model: 0.9,
                answered: Some((true, 0.5)),
            },
            DrRow {
                model: 0.1,
                answered: Some((false, 0.25)),
            },
            DrRow {
                model: 0.5,
                answered: None,
            },
        ];
        assert!((ipw_rate(&rows).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(ipw_rate(&rows[2..]), None);
    }

    #[test]
    fn doubly_robust_hand_value() {
        // Three shows with m = 0.2, 0.4, 0.1. The first answered yes at p = 0.5: 0.2 + 0.8 / 0.5
        // = 1.8. The second answered no at p = 0.25: 0.4 - 0.4 / 0.25 = -1.2. The third
        // unanswered: 0.1. Mean (1.8 - 1.2 + 0.1) / 3 = 0.7 / 3.
        let rows = [
            DrRow {
                model: 0.2,
                answered: Some((true, 0.5)),
            },
            DrRow {
                model: 0.4,
                answered: Some((false, 0.25)),
            },
            DrRow {
                model: 0.1,
                answered: None,
            },
        ];
        let dr = doubly_robust(&rows).unwrap();
        assert!((dr - 0.7 / 3.0).abs() < 1e-12, "{dr}");
        // With a perfect outcome model the corrections vanish whatever the propensity.
        let exact = [
            DrRow {
                model: 1.0,
                answered: Some((true, 0.01)),
            },
            DrRow {
                model: 0.0,
                answered: Some((false, 0.9)),
            },
        ];
        assert_eq!(doubly_robust(&exact), Some(0.5));
        assert_eq!(doubly_robust(&[]), None);
    }
}
