//! The closed-loop online A/B test (section 4.1.3): control ranks without a survey model, each
//! treatment adds `sum_i w_i p(survey_i)` (Eq. 3) from one variant. Same users, same candidates,
//! same dice (common random numbers); each change's error over users from each user's influence
//! on it (the paired bootstrap to first order).

use std::collections::BTreeMap;

use burn::prelude::Device;
use usm_core::models::{SubmitModel, SurveyModel};

use super::event::Event;
use super::measured::{AbMetric, AbResult};
use super::names::{AbKey, Arm, Variant, VariantPair};
use super::world::{SimWorld, Split};
use crate::datasets::{DenseInput, FeatureSpec, history, survey_index};
use crate::error::{Result, SimError};
use crate::heads::HeadDef;
use crate::population::Population;
use crate::records::ExposureRecord;
use crate::runner::{Candidate, RankHook, RunOptions, run};
use crate::scenario::ValidScenario;

/// A survey model steering the ranking: the hook adds `sum_i w_i p_i` to each candidate.
/// The simulator asks for each request's scores at once, so the model must answer
/// synchronously: on the CPU (`Device::flex()`, see [`run_ab`]).
pub struct ModelHook<'a> {
    /// The model.
    pub model: &'a SurveyModel,
    /// Feature encoding.
    pub spec: FeatureSpec,
    /// One weight per head.
    pub weights: Vec<f32>,
}

impl RankHook for ModelHook<'_> {
    fn scores(&self, pop: &Population, rows: &[Candidate]) -> Result<Vec<f32>> {
        let mut x = usm_core::data::Features {
            n_dense: self.spec.n_dense(),
            ..Default::default()
        };
        for c in rows {
            let u = &pop.users[c.user as usize];
            let it = &pop.items[c.item as usize];
            x.user.push(c.user);
            x.item.push(c.item);
            x.author.push(it.author);
            let d = DenseInput {
                age: u.age,
                activity: u.activity_obs,
                profile: u.profile,
                category: it.category,
                log_popularity: it.log_popularity,
                quality_signal: it.quality_signal,
                log_duration: it.log_duration,
                risk_signal: it.risk_signal,
                hour: c.hour,
            };
            self.spec.encode(&d, &mut x.dense);
        }
        let p = self.model.predict(&x)?;
        let h = self.weights.len();
        Ok((0..rows.len())
            .map(|i| (0..h).map(|k| self.weights[k] * p.p[i * h + k]).sum())
            .collect())
    }
}

/// Per-user totals of one arm.
#[derive(Clone, Debug, Default)]
struct UserTotals {
    exposures: Vec<f64>,
    truth: Vec<Vec<f64>>,
    buttons: Vec<[f64; AbKey::BUTTONS.len()]>,
    survey_num: Vec<Vec<f64>>,
    survey_den: Vec<Vec<f64>>,
    debiased_num: Vec<Vec<f64>>,
    debiased_den: Vec<Vec<f64>>,
    retained: Vec<f64>,
}

/// The model-against-model comparisons of the paper's A/B tests: response debias against the
/// baseline, distillation against the baseline, and both corrections against distillation.
pub const PAIRS: [VariantPair; 3] = [
    VariantPair(Variant::ResponseDebias, Variant::Baseline),
    VariantPair(Variant::Distillation, Variant::Baseline),
    VariantPair(Variant::DistillationResponseDebias, Variant::Distillation),
];

/// What every arm of the test shares: the period, the users, the encoding, and how surveys
/// are scored.
struct Arms<'a> {
    /// The test's own period.
    scenario: ValidScenario,
    /// The test's users.
    pop: Population,
    spec: FeatureSpec,
    heads: &'a [HeadDef],
    submit: &'a SubmitModel,
    /// The IPW floor.
    clip: f64,
}

impl Arms<'_> {
    /// Runs one arm, control without a hook, a treatment with its model's: per-user totals and
    /// the arm's exposures. The feed runs synchronously (the hook scores on the CPU); the
    /// submit model then scores the arm's answers on its own device.
    async fn simulate(&self, hook: Option<&dyn RankHook>) -> Result<(UserTotals, u64)> {
        let (s, pop, spec, heads, submit, clip) = (
            &self.scenario,
            &self.pop,
            &self.spec,
            self.heads,
            self.submit,
            self.clip,
        );
        let n = pop.users.len();
        let nh = heads.len();
        let mut t = UserTotals {
            exposures: vec![0.0; n],
            truth: vec![vec![0.0; nh]; n],
            buttons: vec![[0.0; AbKey::BUTTONS.len()]; n],
            survey_num: vec![vec![0.0; nh]; n],
            survey_den: vec![vec![0.0; nh]; n],
            debiased_num: vec![vec![0.0; nh]; n],
            debiased_den: vec![vec![0.0; nh]; n],
            retained: vec![0.0; n],
        };
        let mut submits: Vec<ExposureRecord> = Vec::new();
        let mut sink = |block: &[ExposureRecord]| -> Result<()> {
            for r in block {
                let u = r.user_id as usize;
                t.exposures[u] += 1.0;
                let o = r.oracle.unwrap_or_default();
                for (k, h) in heads.iter().enumerate() {
                    t.truth[u][k] += h.truth(&o) as f64;
                }
                for (k, b) in [r.dislike, r.report, r.like, r.share]
                    .into_iter()
                    .enumerate()
                {
                    t.buttons[u][k] += b as u8 as f64;
                }
                if r.submitted && !r.panel {
                    submits.push(r.clone());
                }
            }
            Ok(())
        };
        let stats = run(s, pop, hook, RunOptions::default(), &mut sink, &mut |_| {})?;
        for (u, &alive) in stats.retained.iter().enumerate() {
            t.retained[u] = alive as u8 as f64;
        }
        if !submits.is_empty() {
            let p = submit
                .predict_async(&spec.features(submits.iter()), &history(submits.iter()))
                .await?;
            for (i, r) in submits.iter().enumerate() {
                let u = r.user_id as usize;
                let q = (p.p[i * 2 + survey_index(r.survey).unwrap_or(0)] as f64).max(clip);
                for (k, h) in heads.iter().enumerate() {
                    if r.survey == h.survey() {
                        let y = h.label(r.answer, r.reasons) as u8 as f64;
                        t.survey_num[u][k] += y;
                        t.survey_den[u][k] += 1.0;
                        t.debiased_num[u][k] += y / q;
                        t.debiased_den[u][k] += 1.0 / q;
                    }
                }
            }
        }
        Ok((t, stats.exposures))
    }
}

/// Every metric of an arm as a ratio of sums over its users, `sum(a_u) / sum(b_u)`: each
/// metric's key and its users' `(a_u, b_u)`, in the users' order.
fn ratios(t: &UserTotals, heads: &[HeadDef]) -> Vec<(AbKey, Vec<(f64, f64)>)> {
    let n = t.exposures.len();
    let per = |f: &dyn Fn(usize) -> (f64, f64)| (0..n).map(f).collect::<Vec<_>>();
    let mut out = Vec::new();
    for (k, h) in heads.iter().enumerate() {
        out.push((
            AbKey::TrueRate(*h),
            per(&|u| (t.truth[u][k], t.exposures[u])),
        ));
        out.push((
            AbKey::SurveyRate(*h),
            per(&|u| (t.survey_num[u][k], t.survey_den[u][k])),
        ));
        out.push((
            AbKey::DebiasedRate(*h),
            per(&|u| (t.debiased_num[u][k], t.debiased_den[u][k])),
        ));
    }
    for (k, b) in AbKey::BUTTONS.into_iter().enumerate() {
        out.push((b, per(&|u| (t.buttons[u][k], t.exposures[u]))));
    }
    out.push((AbKey::Retention, per(&|u| (t.retained[u], 1.0))));
    out.push((AbKey::ExposuresPerUser, per(&|u| (t.exposures[u], 1.0))));
    out
}

/// A ratio of sums and each user's influence on its logarithm, `a_u / A - b_u / B`.
struct Ratio {
    value: f64,
    influence: Vec<f64>,
}

impl Ratio {
    fn of(pairs: &[(f64, f64)]) -> Ratio {
        // Summed in the users' order from -0.0, as `Iterator::sum` adds.
        let a: f64 = pairs.iter().map(|p| p.0).sum();
        let b: f64 = pairs.iter().map(|p| p.1).sum();
        Ratio {
            value: a / b,
            influence: pairs.iter().map(|(x, y)| x / a - y / b).collect(),
        }
    }
}

/// The relative change `r_t / r_c - 1` of a ratio between two arms over the same users, and
/// each user's influence on it: `(1 + change) (infl_t - infl_c)`, the delta method on the
/// logarithm of the ratio of ratios.
fn change(control: &Ratio, arm: &Ratio) -> (f64, Vec<f64>) {
    let rel = arm.value / control.value - 1.0;
    let infl = arm
        .influence
        .iter()
        .zip(&control.influence)
        .map(|(t, c)| (1.0 + rel) * (t - c))
        .collect();
    (rel, infl)
}

/// A metric's estimate from its point value and its users' influences: the standard error
/// `sqrt(sum(infl^2))` and the normal 95% interval.
fn estimate(control: f64, treatment: f64, point: f64, influence: &[f64]) -> AbMetric {
    let se = influence.iter().map(|x| x * x).sum::<f64>().sqrt();
    AbMetric {
        control,
        treatment,
        rel_change: point,
        ci95: [point - 1.96 * se, point + 1.96 * se],
        se,
    }
}

/// Each metric's relative change of `arm` against `control` over the same users (the same
/// users in both arms, common random numbers), with its standard error over users: each user's
/// influence on the change (the infinitesimal jackknife of a ratio of sums, the paired
/// bootstrap to first order, without its resampling noise). A metric undefined on the whole
/// population is left out. Per head, also Fig. 5's two readings: the debiased rate's change
/// minus the survey rate's, and how much closer the debiased rate's change is to the true
/// rate's (`|survey - true| - |debiased - true|`), each with its influences.
fn paired_changes(
    control: &UserTotals,
    arm: &UserTotals,
    heads: &[HeadDef],
) -> BTreeMap<AbKey, AbMetric> {
    let mut out = BTreeMap::new();
    let mut changes: BTreeMap<AbKey, (f64, Vec<f64>)> = BTreeMap::new();
    for ((key, c), (_, t)) in ratios(control, heads).iter().zip(&ratios(arm, heads)) {
        let (rc, rt) = (Ratio::of(c), Ratio::of(t));
        let (rel, infl) = change(&rc, &rt);
        if rel.is_finite() {
            out.insert(*key, estimate(rc.value, rt.value, rel, &infl));
            changes.insert(*key, (rel, infl));
        }
    }
    for h in heads {
        let (Some(survey), Some(debiased), Some(truth)) = (
            changes.get(&AbKey::SurveyRate(*h)),
            changes.get(&AbKey::DebiasedRate(*h)),
            changes.get(&AbKey::TrueRate(*h)),
        ) else {
            continue;
        };
        let gap: Vec<f64> = debiased
            .1
            .iter()
            .zip(&survey.1)
            .map(|(d, s)| d - s)
            .collect();
        out.insert(
            AbKey::DebiasedMinusSurvey(*h),
            estimate(survey.0, debiased.0, debiased.0 - survey.0, &gap),
        );
        // |x - t| moves with the sign of x - t.
        let (d2, d13) = (survey.0 - truth.0, debiased.0 - truth.0);
        let closer: Vec<f64> = (0..gap.len())
            .map(|u| {
                d2.signum() * (survey.1[u] - truth.1[u])
                    - d13.signum() * (debiased.1[u] - truth.1[u])
            })
            .collect();
        out.insert(
            AbKey::Eq13CloserToTruth(*h),
            estimate(d2.abs(), d13.abs(), d2.abs() - d13.abs(), &closer),
        );
    }
    out
}

/// Runs control and one treatment per model on a fresh period of the same platform. A model
/// on another device than the CPU (WebGPU, native wgpu) ranks the feed through a copy of its
/// weights on `Device::flex()`: each request is a few dozen candidates, scored at once inside
/// the simulator's loop, which a round trip to a GPU per request could only slow down.
pub async fn run_ab(
    split: &Split<'_>,
    sim: &SimWorld,
    submit: &SubmitModel,
    treatments: &[(Variant, SurveyModel)],
    report: &mut dyn FnMut(Event),
) -> Result<AbResult> {
    let ab = &split.exp.ab;
    let scenario = &sim.scenario;
    // A fresh period for the same platform: the test's own seed, the first `ab.users` users.
    let s = scenario.with(|s| {
        s.seed = usm_core::rng::mix(s.seed, 0xAB);
        s.population.days = ab.days;
        s.population.users = ab.users;
    })?;
    let mut sub = sim.pop.clone();
    sub.users.truncate(ab.users as usize);
    let arms = Arms {
        scenario: s,
        pop: sub,
        spec: split.spec,
        heads: split.heads(),
        submit,
        clip: split.exp.ipw.clip,
    };
    report(Event::Stage {
        name: format!(
            "A/B test: control + {} treatments, {} users x {} days",
            treatments.len(),
            ab.users,
            ab.days
        ),
        total: treatments.len() as u64 + 1,
    });
    let (control, ce) = arms.simulate(None).await?;
    report(Event::Progress {
        pos: 1,
        msg: "control".into(),
    });
    let mut out = AbResult {
        users: ab.users,
        days: ab.days,
        ..AbResult::default()
    };
    out.exposures.insert(Arm::Control, ce);
    let mut arms_done: BTreeMap<Variant, UserTotals> = BTreeMap::new();
    let cpu = Device::flex();
    for (i, (variant, model)) in treatments.iter().enumerate() {
        let copy = if *model.device() == cpu {
            None
        } else {
            Some(model.to_device_async(&cpu).await?)
        };
        let hook = ModelHook {
            model: copy.as_ref().unwrap_or(model),
            spec: arms.spec,
            weights: ab.weights.iter().map(|&w| w as f32).collect(),
        };
        let (arm, te) = arms.simulate(Some(&hook)).await?;
        out.exposures.insert(Arm::Treatment(*variant), te);
        let metrics = paired_changes(&control, &arm, arms.heads);
        out.treatments.insert(*variant, metrics);
        arms_done.insert(*variant, arm);
        report(Event::Progress {
            pos: i as u64 + 2,
            msg: variant.name().to_string(),
        });
    }
    if out.treatments.is_empty() {
        return Err(SimError::Experiment("the A/B test has no treatment".into()));
    }
    for pair in &PAIRS {
        if let (Some(ta), Some(tb)) = (arms_done.get(&pair.0), arms_done.get(&pair.1)) {
            out.pairs.insert(*pair, paired_changes(tb, ta, arms.heads));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use usm_core::rng::Rng;

    fn totals(per_user: &[(f64, f64)]) -> UserTotals {
        // One head; (exposures, summed truth) per user; nothing else.
        let n = per_user.len();
        UserTotals {
            exposures: per_user.iter().map(|p| p.0).collect(),
            truth: per_user.iter().map(|p| vec![p.1]).collect(),
            buttons: vec![[0.0; AbKey::BUTTONS.len()]; n],
            survey_num: vec![vec![0.0]; n],
            survey_den: vec![vec![0.0]; n],
            debiased_num: vec![vec![0.0]; n],
            debiased_den: vec![vec![0.0]; n],
            retained: vec![1.0; n],
        }
    }

    #[test]
    fn paired_changes_hand_values() {
        let h = [HeadDef::Dislike];
        // Control: 2 bad in 10 exposures per user; treatment halves it for every user: every
        // user's influence is zero, and so is the error.
        let c = totals(&[(10.0, 2.0), (10.0, 2.0), (10.0, 2.0)]);
        let t = totals(&[(10.0, 1.0), (10.0, 1.0), (10.0, 1.0)]);
        let out = paired_changes(&c, &t, &h);
        let m = &out[&AbKey::TrueRate(HeadDef::Dislike)];
        assert_eq!((m.control, m.treatment), (0.2, 0.1));
        assert!((m.rel_change + 0.5).abs() < 1e-12 && m.se == 0.0, "{m:?}");
        // Survey rates have no answers here (0 / 0): left out, not NaN.
        assert!(!out.contains_key(&AbKey::SurveyRate(HeadDef::Dislike)));
        assert_eq!(out[&AbKey::Retention].rel_change, 0.0);
        // Control 1 and 3 bad in 10 each, treatment 1 and 1: ratios 0.2 and 0.1, a change of
        // −50%. Control's influences on log r: 1/4 − 10/20 = −0.25 and 0.25; the treatment's
        // 0 and 0; so each user's on the change is 0.5 · (0 − ∓0.25) = ±0.125, and the error
        // sqrt(2 · 0.125²) = 0.17678.
        let c = totals(&[(10.0, 1.0), (10.0, 3.0)]);
        let t = totals(&[(10.0, 1.0), (10.0, 1.0)]);
        let m = &paired_changes(&c, &t, &h)[&AbKey::TrueRate(HeadDef::Dislike)];
        assert!((m.rel_change + 0.5).abs() < 1e-12);
        assert!(
            (m.se - (2.0f64 * 0.125 * 0.125).sqrt()).abs() < 1e-12,
            "{m:?}"
        );
        assert!((m.ci95[1] - (-0.5 + 1.96 * m.se)).abs() < 1e-12);
    }

    #[test]
    fn the_influence_error_is_the_bootstrap_s() {
        // Two arms over 400 users with every sum the metrics read, against 4,000 paired bootstrap
        // resamples of the same users: each change's error within 10%.
        let mut rng = Rng::new(5, 6);
        let arm = |rng: &mut Rng, lift: f64| {
            let n = 400;
            let mut t = totals(&vec![(0.0, 0.0); n]);
            for u in 0..n {
                let e = 20.0 + rng.below(30) as f64;
                t.exposures[u] = e;
                t.truth[u][0] = e * (0.1 + 0.05 * rng.uniform()) * lift;
                let shows = rng.below(4) as f64;
                let yes = (0..shows as u64)
                    .filter(|_| rng.bernoulli(0.2 * lift))
                    .count() as f64;
                let w = 1.0 + 4.0 * rng.uniform();
                (t.survey_num[u][0], t.survey_den[u][0]) = (yes, shows);
                (t.debiased_num[u][0], t.debiased_den[u][0]) = (yes * w, shows * w);
                t.buttons[u][0] = rng.below(3) as f64;
            }
            t
        };
        let (c, t) = (arm(&mut rng, 1.0), arm(&mut rng, 0.8));
        let h = [HeadDef::Dislike];
        let out = paired_changes(&c, &t, &h);
        let keys = [
            AbKey::TrueRate(HeadDef::Dislike),
            AbKey::SurveyRate(HeadDef::Dislike),
            AbKey::DebiasedRate(HeadDef::Dislike),
            AbKey::DislikeRate,
            AbKey::DebiasedMinusSurvey(HeadDef::Dislike),
        ];
        let mut draws: Vec<Vec<f64>> = vec![Vec::new(); keys.len()];
        for _ in 0..4000 {
            let pick: Vec<usize> = (0..400).map(|_| rng.below(400) as usize).collect();
            let sample = |x: &UserTotals| {
                let mut y = totals(&vec![(0.0, 0.0); pick.len()]);
                for (i, &u) in pick.iter().enumerate() {
                    y.exposures[i] = x.exposures[u];
                    y.truth[i] = x.truth[u].clone();
                    y.survey_num[i] = x.survey_num[u].clone();
                    y.survey_den[i] = x.survey_den[u].clone();
                    y.debiased_num[i] = x.debiased_num[u].clone();
                    y.debiased_den[i] = x.debiased_den[u].clone();
                    y.buttons[i] = x.buttons[u];
                }
                y
            };
            let o = paired_changes(&sample(&c), &sample(&t), &h);
            for (d, k) in draws.iter_mut().zip(&keys) {
                d.push(o[k].rel_change);
            }
        }
        for (d, k) in draws.iter().zip(&keys) {
            let mean = d.iter().sum::<f64>() / d.len() as f64;
            let sd =
                (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (d.len() - 1) as f64).sqrt();
            let se = out[k].se;
            assert!(
                (se / sd - 1.0).abs() < 0.1,
                "{k}: influence {se}, bootstrap {sd}"
            );
        }
    }
}
