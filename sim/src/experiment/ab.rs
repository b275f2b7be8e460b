//! The closed-loop online A/B test (section 4.1.3): control ranks without a survey model, each
//! treatment adds `sum_i w_i p(survey_i)` (Eq. 3) from one variant. Same users, same candidates,
//! same dice (common random numbers); intervals from a paired bootstrap over users.

use std::collections::BTreeMap;

use burn::prelude::Device;
use usm_core::models::{SubmitModel, SurveyModel};
use usm_core::rng::Rng;

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

/// Ratio metrics of an arm over a multiset of users.
fn metric_values(t: &UserTotals, users: &[usize], heads: &[HeadDef]) -> Vec<(AbKey, f64)> {
    // Every sum in one pass over the users (the bootstrap calls this thousands of times over
    // samples of all of them), each added in the users' order from -0.0 as `Iterator::sum`
    // adds: the same floats as a pass per sum.
    let h = heads.len();
    let (buttons, retained) = (1 + 5 * h, 1 + 5 * h + AbKey::BUTTONS.len());
    let mut s = vec![-0.0f64; retained + 1];
    for &u in users {
        s[0] += t.exposures[u];
        for k in 0..h {
            let c = &mut s[1 + 5 * k..6 + 5 * k];
            c[0] += t.truth[u][k];
            c[1] += t.survey_num[u][k];
            c[2] += t.survey_den[u][k];
            c[3] += t.debiased_num[u][k];
            c[4] += t.debiased_den[u][k];
        }
        for (a, b) in s[buttons..retained].iter_mut().zip(&t.buttons[u]) {
            *a += b;
        }
        s[retained] += t.retained[u];
    }
    let expo = s[0];
    let mut out = Vec::new();
    for (k, h) in heads.iter().enumerate() {
        let c = &s[1 + 5 * k..6 + 5 * k];
        out.push((AbKey::TrueRate(*h), c[0] / expo));
        out.push((AbKey::SurveyRate(*h), c[1] / c[2]));
        out.push((AbKey::DebiasedRate(*h), c[3] / c[4]));
    }
    for (k, b) in AbKey::BUTTONS.into_iter().enumerate() {
        out.push((b, s[buttons + k] / expo));
    }
    out.push((AbKey::Retention, s[retained] / users.len() as f64));
    out.push((AbKey::ExposuresPerUser, expo / users.len() as f64));
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
        let mut rng = Rng::new(arms.scenario.seed, 0xB007 + i as u64);
        let metrics = paired_bootstrap(&control, &arm, arms.heads, ab.bootstrap, &mut rng);
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
    for (j, pair) in PAIRS.iter().enumerate() {
        if let (Some(ta), Some(tb)) = (arms_done.get(&pair.0), arms_done.get(&pair.1)) {
            let mut rng = Rng::new(arms.scenario.seed, 0xB0B0 + j as u64);
            let metrics = paired_bootstrap(tb, ta, arms.heads, ab.bootstrap, &mut rng);
            out.pairs.insert(*pair, metrics);
        }
    }
    Ok(out)
}

/// Each metric's relative change of `arm` against `control` over all users, with a 95%
/// percentile interval from `resamples` paired bootstrap draws of users (the same users in
/// both arms of a draw). A metric undefined on the whole population is left out; with fewer
/// than 20 finite draws its interval is NaN.
fn paired_bootstrap(
    control: &UserTotals,
    arm: &UserTotals,
    heads: &[HeadDef],
    resamples: usize,
    rng: &mut Rng,
) -> BTreeMap<AbKey, AbMetric> {
    let n = control.exposures.len();
    let all: Vec<usize> = (0..n).collect();
    let base = metric_values(control, &all, heads);
    let point = metric_values(arm, &all, heads);
    let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); point.len()];
    // Per head, in the same resamples: the debiased rate's change minus the survey rate's.
    let mut gaps: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); heads.len()];
    let mut sample = vec![0usize; n];
    let mut rels = vec![f64::NAN; point.len()];
    for _ in 0..resamples {
        for v in sample.iter_mut() {
            *v = rng.below(n as u64) as usize;
        }
        let c = metric_values(control, &sample, heads);
        let t = metric_values(arm, &sample, heads);
        for (m, (cv, tv)) in c.iter().zip(&t).enumerate() {
            rels[m] = tv.1 / cv.1 - 1.0;
            if rels[m].is_finite() {
                draws[m].push(rels[m]);
            }
        }
        for (k, h) in heads.iter().enumerate() {
            let gap = rel_of(&c, &rels, AbKey::DebiasedRate(*h))
                - rel_of(&c, &rels, AbKey::SurveyRate(*h));
            if gap.is_finite() {
                gaps[k].push(gap);
            }
        }
    }
    let mut out = BTreeMap::new();
    let point_rel: Vec<f64> = base
        .iter()
        .zip(&point)
        .map(|(c, t)| t.1 / c.1 - 1.0)
        .collect();
    for (k, h) in heads.iter().enumerate() {
        let (survey, debiased) = (
            rel_of(&base, &point_rel, AbKey::SurveyRate(*h)),
            rel_of(&base, &point_rel, AbKey::DebiasedRate(*h)),
        );
        if (debiased - survey).is_finite() {
            let mut d = std::mem::take(&mut gaps[k]);
            d.sort_by(f64::total_cmp);
            out.insert(
                AbKey::DebiasedMinusSurvey(*h),
                AbMetric {
                    control: survey,
                    treatment: debiased,
                    rel_change: debiased - survey,
                    ci95: percentile_interval(&d),
                },
            );
        }
    }
    for (m, ((key, cv), (_, tv))) in base.iter().zip(&point).enumerate() {
        let rel = tv / cv - 1.0;
        if !rel.is_finite() {
            continue;
        }
        let mut d = std::mem::take(&mut draws[m]);
        d.sort_by(f64::total_cmp);
        out.insert(
            *key,
            AbMetric {
                control: *cv,
                treatment: *tv,
                rel_change: rel,
                ci95: percentile_interval(&d),
            },
        );
    }
    out
}

/// The relative change of metric `key` among `keys` (a metric list) in `rels` (aligned with it).
fn rel_of(keys: &[(AbKey, f64)], rels: &[f64], key: AbKey) -> f64 {
    keys.iter()
        .position(|(k, _)| *k == key)
        .map_or(f64::NAN, |i| rels[i])
}

/// The 2.5% and 97.5% points of sorted draws, NaN with fewer than 20.
fn percentile_interval(sorted: &[f64]) -> [f64; 2] {
    let n = sorted.len();
    if n >= 20 {
        [
            sorted[(n as f64 * 0.025) as usize],
            sorted[((n as f64 * 0.975) as usize).min(n - 1)],
        ]
    } else {
        [f64::NAN, f64::NAN]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn percentile_interval_hand_values() {
        let d: Vec<f64> = (0..40).map(|i| i as f64).collect();
        // 40 draws: the 2.5% point is index 1, the 97.5% point index 39.
        assert_eq!(percentile_interval(&d), [1.0, 39.0]);
        let d: Vec<f64> = (0..200).map(|i| i as f64).collect();
        assert_eq!(percentile_interval(&d), [5.0, 195.0]);
        assert!(percentile_interval(&d[..19]).iter().all(|x| x.is_nan()));
    }

    #[test]
    fn paired_bootstrap_hand_values() {
        let h = [HeadDef::Dislike];
        // Control: 2 bad in 10 exposures per user; treatment halves it for every user. Every
        // resample then gives exactly -50%, so the interval collapses onto the point.
        let c = totals(&[(10.0, 2.0), (10.0, 2.0), (10.0, 2.0)]);
        let t = totals(&[(10.0, 1.0), (10.0, 1.0), (10.0, 1.0)]);
        let out = paired_bootstrap(&c, &t, &h, 50, &mut Rng::new(1, 2));
        let m = &out[&AbKey::TrueRate(HeadDef::Dislike)];
        assert_eq!((m.control, m.treatment), (0.2, 0.1));
        assert!((m.rel_change + 0.5).abs() < 1e-12);
        assert!((m.ci95[0] + 0.5).abs() < 1e-12 && (m.ci95[1] + 0.5).abs() < 1e-12);
        // Survey rates have no answers here (0 / 0): left out, not NaN.
        assert!(!out.contains_key(&AbKey::SurveyRate(HeadDef::Dislike)));
        assert_eq!(out[&AbKey::Retention].rel_change, 0.0);
        // Heterogeneous users: the interval covers the point and is not degenerate.
        let c = totals(&[(10.0, 1.0), (10.0, 3.0), (10.0, 2.0), (10.0, 4.0)]);
        let t = totals(&[(10.0, 1.0), (10.0, 1.0), (10.0, 2.0), (10.0, 1.0)]);
        let out = paired_bootstrap(&c, &t, &h, 400, &mut Rng::new(1, 2));
        let m = &out[&AbKey::TrueRate(HeadDef::Dislike)];
        // Point: 5 / 10 against 10 / 40... per exposure: 0.125 against 0.25, -50%.
        assert!((m.rel_change + 0.5).abs() < 1e-12);
        assert!(
            m.ci95[0] < m.rel_change && m.rel_change < m.ci95[1],
            "{m:?}"
        );
        assert!(
            m.ci95[1] <= 0.0,
            "every resample lowers the rate or keeps it: {m:?}"
        );
    }
}
