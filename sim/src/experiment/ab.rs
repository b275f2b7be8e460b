//! The closed-loop online A/B test (section 4.1.3): control ranks without a survey model, each
//! treatment adds `sum_i w_i p(survey_i)` (Eq. 3) from one variant. Same users, same candidates,
//! same dice (common random numbers); intervals from a paired bootstrap over users.

use std::collections::BTreeMap;

use usm_core::models::{SubmitModel, SurveyModel};
use usm_core::rng::Rng;

use super::config::ExperimentConfig;
use super::pipeline::Event;
use crate::datasets::{DenseInput, FeatureSpec, HeadDef, history, survey_index};
use crate::error::{Result, SimError};
use crate::population::Population;
use crate::records::ExposureRecord;
use crate::runner::{Candidate, RankHook, RunOptions, run};
use crate::scenario::Scenario;

/// A survey model steering the ranking: the hook adds `sum_i w_i p_i` to each candidate.
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
    buttons: Vec<[f64; 4]>,
    survey_num: Vec<Vec<f64>>,
    survey_den: Vec<Vec<f64>>,
    debiased_num: Vec<Vec<f64>>,
    debiased_den: Vec<Vec<f64>>,
    retained: Vec<f64>,
}

/// One arm's estimate of a metric and the treatment's relative change against control.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AbMetric {
    /// Control value.
    pub control: f64,
    /// Treatment value.
    pub treatment: f64,
    /// treatment / control - 1.
    pub rel_change: f64,
    /// 95% interval of the relative change (paired bootstrap over users).
    pub ci95: [f64; 2],
}

/// treatment → metric → estimate.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AbResult {
    /// Users in the test.
    pub users: u32,
    /// Days of the test.
    pub days: u32,
    /// Exposures per arm.
    pub exposures: BTreeMap<String, u64>,
    /// treatment → metric → estimate.
    pub treatments: BTreeMap<String, BTreeMap<String, AbMetric>>,
}

fn simulate_arm(
    s: &Scenario,
    pop: &Population,
    spec: &FeatureSpec,
    heads: &[HeadDef],
    submit: &SubmitModel,
    hook: Option<&dyn RankHook>,
    clip: f64,
) -> Result<(UserTotals, u64)> {
    let n = pop.users.len();
    let nh = heads.len();
    let mut t = UserTotals {
        exposures: vec![0.0; n],
        truth: vec![vec![0.0; nh]; n],
        buttons: vec![[0.0; 4]; n],
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
        let p = submit.predict(&spec.features(submits.iter()), &history(submits.iter()))?;
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

/// Ratio metrics of an arm over a multiset of users.
fn metric_values(t: &UserTotals, users: &[usize], heads: &[HeadDef]) -> Vec<(String, f64)> {
    let sum = |f: &dyn Fn(usize) -> f64| users.iter().map(|&u| f(u)).sum::<f64>();
    let expo = sum(&|u| t.exposures[u]);
    let mut out = Vec::new();
    for (k, h) in heads.iter().enumerate() {
        let name = h.name();
        out.push((format!("true_rate_{name}"), sum(&|u| t.truth[u][k]) / expo));
        out.push((
            format!("survey_rate_{name}"),
            sum(&|u| t.survey_num[u][k]) / sum(&|u| t.survey_den[u][k]),
        ));
        out.push((
            format!("debiased_rate_{name}"),
            sum(&|u| t.debiased_num[u][k]) / sum(&|u| t.debiased_den[u][k]),
        ));
    }
    for (k, b) in ["dislike_rate", "report_rate", "like_rate", "share_rate"]
        .iter()
        .enumerate()
    {
        out.push((b.to_string(), sum(&|u| t.buttons[u][k]) / expo));
    }
    out.push((
        "retention".into(),
        sum(&|u| t.retained[u]) / users.len() as f64,
    ));
    out.push(("exposures_per_user".into(), expo / users.len() as f64));
    out
}

/// Runs control and one treatment per model.
pub fn run_ab(
    cfg: &ExperimentConfig,
    scenario: &Scenario,
    pop: &Population,
    spec: &FeatureSpec,
    heads: &[HeadDef],
    submit: &SubmitModel,
    treatments: &[(&str, &SurveyModel)],
    report: &mut dyn FnMut(Event),
) -> Result<AbResult> {
    let ab = &cfg.ab;
    // A fresh period for the same platform: the test's own seed, the first `ab.users` users.
    let mut s = scenario.clone();
    s.seed = usm_core::rng::mix(scenario.seed, 0xAB);
    s.population.days = ab.days;
    s.population.users = ab.users;
    let mut sub = pop.clone();
    sub.users.truncate(ab.users as usize);
    report(Event::Stage {
        name: format!(
            "A/B test: control + {} treatments, {} users x {} days",
            treatments.len(),
            ab.users,
            ab.days
        ),
        total: treatments.len() as u64 + 1,
    });
    let (control, ce) = simulate_arm(&s, &sub, spec, heads, submit, None, cfg.ipw.clip)?;
    report(Event::Progress {
        pos: 1,
        msg: "control".into(),
    });
    let mut out = AbResult {
        users: ab.users,
        days: ab.days,
        ..AbResult::default()
    };
    out.exposures.insert("control".into(), ce);
    let all: Vec<usize> = (0..sub.users.len()).collect();
    let base = metric_values(&control, &all, heads);
    for (i, (name, model)) in treatments.iter().enumerate() {
        let hook = ModelHook {
            model,
            spec: *spec,
            weights: ab.weights.iter().map(|&w| w as f32).collect(),
        };
        let (arm, te) = simulate_arm(&s, &sub, spec, heads, submit, Some(&hook), cfg.ipw.clip)?;
        out.exposures.insert(name.to_string(), te);
        let point = metric_values(&arm, &all, heads);
        // Paired bootstrap over users.
        let mut rng = Rng::new(s.seed, 0xB007 + i as u64);
        let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(ab.bootstrap); point.len()];
        let mut sample = vec![0usize; all.len()];
        for _ in 0..ab.bootstrap {
            for v in sample.iter_mut() {
                *v = rng.below(all.len() as u64) as usize;
            }
            let c = metric_values(&control, &sample, heads);
            let t = metric_values(&arm, &sample, heads);
            for (m, (cv, tv)) in c.iter().zip(&t).enumerate() {
                let rel = tv.1 / cv.1 - 1.0;
                if rel.is_finite() {
                    draws[m].push(rel);
                }
            }
        }
        let mut metrics_out = BTreeMap::new();
        for (m, ((key, cv), (_, tv))) in base.iter().zip(&point).enumerate() {
            let rel = tv / cv - 1.0;
            if !rel.is_finite() {
                continue;
            }
            let mut d = std::mem::take(&mut draws[m]);
            d.sort_by(f64::total_cmp);
            let ci = if d.len() >= 20 {
                [
                    d[(d.len() as f64 * 0.025) as usize],
                    d[((d.len() as f64 * 0.975) as usize).min(d.len() - 1)],
                ]
            } else {
                [f64::NAN, f64::NAN]
            };
            metrics_out.insert(
                key.clone(),
                AbMetric {
                    control: *cv,
                    treatment: *tv,
                    rel_change: rel,
                    ci95: ci,
                },
            );
        }
        out.treatments.insert(name.to_string(), metrics_out);
        report(Event::Progress {
            pos: i as u64 + 2,
            msg: name.to_string(),
        });
    }
    if out.treatments.is_empty() {
        return Err(SimError::Experiment("the A/B test has no treatment".into()));
    }
    Ok(out)
}
