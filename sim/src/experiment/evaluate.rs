//! Evaluation of each variant on the evaluation period: what a platform can measure on
//! submitted answers (Tables 1 and 2), what only the simulator knows (every show, every
//! exposure, against the truth), the paper's Nfb/Pfb UAUC (Table 3), and calibration curves.

use std::collections::BTreeMap;

use usm_core::influence::{self, Influence};
use usm_core::logistic::LogisticModel;
use usm_core::metrics;
use usm_core::models::SurveyModel;

use super::event::Event;
use super::gaps::{self, Influences};
use super::measured::{Curve, Estimate, MetricMap};
use super::names::{GapId, Metric, SUBMIT_BANDS, Variant};
use super::stats::defined;
use super::world::{EvalSets, Split, SubmitFit, Trained};
use crate::datasets::Encoded;
use crate::error::Result;
use crate::heads::HeadDef;
use crate::records::ExposureRecord;

/// One model's probabilities on the evaluation rows, `rows × heads` each.
pub struct Predictions<'a> {
    /// On `EvalSets::submits`.
    pub submits: &'a [f32],
    /// On `EvalSets::shows`.
    pub shows: &'a [f32],
    /// On `EvalSets::exposures`.
    pub exposures: &'a [f32],
    /// Heads per row.
    pub heads: usize,
}

impl Predictions<'_> {
    fn column(p: &[f32], heads: usize, k: usize, idx: impl Iterator<Item = usize>) -> Vec<f64> {
        idx.map(|i| p[i * heads + k] as f64).collect()
    }
}

/// What evaluating every variant measured.
#[derive(Default)]
pub struct Evaluation {
    /// variant → head → metric.
    pub variants: BTreeMap<Variant, BTreeMap<HeadDef, MetricMap>>,
    /// variant → head → calibration curve over evaluation exposures.
    pub curves: BTreeMap<Variant, BTreeMap<HeadDef, Curve>>,
    /// variant → probabilities on every evaluation show (`shows × heads`), for Eq. 5 and DR.
    pub show_preds: BTreeMap<Variant, Vec<f32>>,
    /// variant → probabilities on every evaluation random-slice row (`panel × heads`), for the
    /// doubly robust rate over the random slice's features.
    pub panel_preds: BTreeMap<Variant, Vec<f32>>,
    /// head → the same metrics scored with the true probabilities: the ceiling.
    pub reference: BTreeMap<HeadDef, MetricMap>,
    /// The model-against-model differences the claims read, with their standard errors over
    /// the evaluation users ([`gaps`]).
    pub gaps: BTreeMap<GapId, Estimate>,
}

/// Each evaluation row's user as a cluster: `0..n`, in increasing user id (so per-user sums run
/// in the order [`metrics::uauc`] takes them).
pub struct Clusters {
    /// Distinct users.
    pub n: usize,
    /// Of each of `EvalSets::submits`.
    pub submits: Vec<u32>,
    /// Of each of `EvalSets::shows`.
    pub shows: Vec<u32>,
    /// Of each of `EvalSets::exposures`.
    pub exposures: Vec<u32>,
}

impl Clusters {
    /// The users of `sets`.
    pub fn of(sets: &EvalSets) -> Clusters {
        let mut ids: Vec<u32> = [&sets.submits, &sets.shows, &sets.exposures]
            .iter()
            .flat_map(|set| set.rows.iter().map(|r| r.user_id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let of = |rows: &[&ExposureRecord]| -> Vec<u32> {
            rows.iter()
                .map(|r| ids.binary_search(&r.user_id).unwrap_or_default() as u32)
                .collect()
        };
        Clusters {
            n: ids.len(),
            submits: of(&sets.submits.rows),
            shows: of(&sets.shows.rows),
            exposures: of(&sets.exposures.rows),
        }
    }
}

/// Where the users' influences on one model's metrics go: only those some gap reads of this
/// variant are computed (the reference, scored with the truth, has none).
struct Sink {
    variant: Option<Variant>,
    map: BTreeMap<Metric, Influence>,
}

impl Sink {
    fn new(variant: Option<Variant>) -> Sink {
        Sink {
            variant,
            map: BTreeMap::new(),
        }
    }

    fn wants(&self, key: Metric) -> bool {
        self.variant.is_some_and(|v| gaps::needed(v, key))
    }

    /// Metric `key` into `m`: with its users' influences where a gap reads it (the same value
    /// either way), else plainly.
    fn keep(
        &mut self,
        m: &mut MetricMap,
        key: Metric,
        with: impl FnOnce() -> usm_core::error::Result<Influence>,
        plain: impl FnOnce() -> usm_core::error::Result<f64>,
    ) {
        if !self.wants(key) {
            m.insert(key, defined(plain()));
            return;
        }
        let x = with().ok().filter(|x| x.value.is_finite());
        m.insert(key, x.as_ref().map(|x| x.value));
        if let Some(x) = x {
            self.map.insert(key, x);
        }
    }
}

/// The reference metrics worth keeping: those a perfect model does not trivially max out.
const REFERENCE: [Metric; 7] = [
    Metric::LABELED_AUC,
    Metric::ORACLE_AUC_SHOWN,
    Metric::ORACLE_AUC_EXPOSED,
    Metric::ORACLE_AUC_RELUCTANT,
    Metric::UAUC,
    Metric::UAUC_NFB,
    Metric::UAUC_PFB,
];

/// Scores every variant on the evaluation rows, then the true probabilities as a ceiling.
pub async fn evaluate(
    split: &Split<'_>,
    trained: &Trained,
    submit: &SubmitFit,
    report: &mut dyn FnMut(Event),
) -> Result<Evaluation> {
    let models = &trained.models;
    report(Event::Stage {
        name: "evaluate".into(),
        total: models.len() as u64 + 1,
    });
    let sets = &split.eval;
    let ctx = HeadContext {
        sets,
        heads: split.heads(),
        submit_prop: &submit.submit_prop,
        show_prop: &submit.show_prop,
        clip: split.exp.ipw.clip,
        oracle: split.world.oracle,
        clusters: Clusters::of(sets),
    };
    let targets = Targets::of(&ctx, &trained.teacher_exposed);
    let mut out = Evaluation::default();
    let mut influences = Influences::new();
    let all = models
        .iter()
        .map(|(v, m)| (*v, Model::Net(m)))
        .chain([(Variant::Logistic, Model::Logistic(&trained.logistic))]);
    for (i, (variant, m)) in all.enumerate() {
        let variant = &variant;
        let scored = ctx.score(&targets, *variant, m).await?;
        for (h, (metrics, inf)) in scored.heads {
            influences.extend(inf.into_iter().map(|(key, x)| ((*variant, h, key), x)));
            out.variants.entry(*variant).or_default().insert(h, metrics);
        }
        out.curves.insert(*variant, scored.curves);
        out.show_preds.insert(*variant, scored.shows);
        out.panel_preds.insert(*variant, scored.panel);
        report(Event::Progress {
            pos: i as u64 + 1,
            msg: variant.name().to_string(),
        });
    }
    out.gaps = gaps::estimate(&influences, ctx.heads);
    drop(influences);
    if ctx.oracle {
        out.reference = ctx.reference();
    }
    Ok(out)
}

/// What every variant is compared against, per head, once: the truth over every exposure
/// (where the rows have it) and over the unshown candidates, and the teacher's pseudo labels.
struct Targets {
    exposed_truth: Vec<Vec<f64>>,
    unshown_truth: Vec<Vec<f64>>,
    /// Empty where no teacher was trained.
    teacher: Vec<Vec<f64>>,
}

impl Targets {
    fn of(ctx: &HeadContext, teacher_exposed: &[f32]) -> Targets {
        let (sets, heads) = (ctx.sets, ctx.heads);
        let nh = heads.len();
        let n = if teacher_exposed.is_empty() {
            0
        } else {
            sets.exposures.len()
        };
        Targets {
            exposed_truth: if ctx.oracle {
                heads
                    .iter()
                    .map(|h| h.truths(&sets.exposures.rows))
                    .collect()
            } else {
                Vec::new()
            },
            unshown_truth: heads.iter().map(|h| h.truths(&sets.unshown.rows)).collect(),
            teacher: if teacher_exposed.is_empty() {
                Vec::new()
            } else {
                (0..nh)
                    .map(|k| Predictions::column(teacher_exposed, nh, k, 0..n))
                    .collect()
            },
        }
    }
}

/// One variant's scores: per head, its metrics and the users' influences on those the gaps
/// read; its calibration curves; its probabilities on every show and random-slice row.
struct Scored {
    heads: Vec<(HeadDef, (MetricMap, BTreeMap<Metric, Influence>))>,
    curves: BTreeMap<HeadDef, Curve>,
    shows: Vec<f32>,
    panel: Vec<f32>,
}

/// A model the evaluation scores: a survey model, or the logistic regression beside them.
#[derive(Clone, Copy)]
enum Model<'a> {
    Net(&'a SurveyModel),
    Logistic(&'a LogisticModel),
}

impl Model<'_> {
    /// Each row's probability of each head (`rows × heads`).
    async fn predict(self, x: &usm_core::data::Features) -> Result<Vec<f32>> {
        Ok(match self {
            Model::Net(m) => m.predict_async(x).await?.p,
            Model::Logistic(m) => m.predict(x)?,
        })
    }
}

/// What every head's metrics read besides the predictions.
struct HeadContext<'a, 'b> {
    sets: &'a EvalSets<'b>,
    heads: &'a [HeadDef],
    /// Submit-model propensity of each evaluation submit.
    submit_prop: &'a [f32],
    /// Of each evaluation show.
    show_prop: &'a [f32],
    /// The IPW floor.
    clip: f64,
    /// The rows have the oracle: score against the truth too.
    oracle: bool,
    /// Each row's user, for the influences.
    clusters: Clusters,
}

impl HeadContext<'_, '_> {
    /// Every metric of one variant's model on the evaluation rows.
    async fn score(&self, targets: &Targets, variant: Variant, m: Model<'_>) -> Result<Scored> {
        let (sets, nh) = (self.sets, self.heads.len());
        let cl = &self.clusters;
        let predict = async |set: &Encoded<'_>| -> Result<Vec<f32>> {
            Ok(if set.is_empty() {
                Vec::new()
            } else {
                m.predict(&set.x).await?
            })
        };
        let psh = predict(&sets.shows).await?;
        // Submits are the answered shows, in the same order: their predictions come from the
        // shows'.
        let submitted: Vec<usize> = (0..sets.shows.len())
            .filter(|&i| sets.shows.rows[i].submitted)
            .collect();
        let ps = usm_core::data::select_rows(&psh, nh, &submitted);
        let pe = predict(&sets.exposures).await?;
        let preds = Predictions {
            submits: &ps,
            shows: &psh,
            exposures: &pe,
            heads: nh,
        };
        let pu = predict(&sets.unshown).await?;
        let pp = predict(&sets.panel).await?;
        let mut out = Scored {
            heads: Vec::new(),
            curves: BTreeMap::new(),
            shows: Vec::new(),
            panel: Vec::new(),
        };
        for (k, h) in self.heads.iter().enumerate() {
            let mut inf = Sink::new(Some(variant));
            let mut metrics = self.head_metrics(h, k, &preds, &mut inf);
            let pred = Predictions::column(&pe, nh, k, 0..sets.exposures.len());
            if let Some(teacher) = targets.teacher.get(k) {
                inf.keep(
                    &mut metrics,
                    Metric::REGAUC_VS_TEACHER,
                    || influence::reg_auc(&pred, teacher, &cl.exposures, cl.n),
                    || metrics::reg_auc(&pred, teacher),
                );
            }
            if !sets.unshown.is_empty() {
                let p = Predictions::column(&pu, nh, k, 0..sets.unshown.len());
                let t = &targets.unshown_truth[k];
                metrics.insert(
                    Metric::ORACLE_REGAUC_UNSHOWN,
                    defined(metrics::reg_auc(&p, t)),
                );
                metrics.insert(
                    Metric::ORACLE_CALIBRATION_UNSHOWN,
                    defined(metrics::calibration(&p, t, None)),
                );
            }
            random_slice(
                h,
                &sets.panel.rows,
                &Predictions::column(&pp, nh, k, 0..sets.panel.len()),
                &mut metrics,
            );
            if let Some(t) = targets.exposed_truth.get(k) {
                out.curves.insert(*h, curve(&pred, t, 10));
            }
            out.heads.push((*h, (metrics, inf.map)));
        }
        out.shows = psh;
        out.panel = pp;
        Ok(out)
    }

    /// The ceiling: the true probabilities scored like a model, the metrics a perfect model
    /// does not trivially max out.
    fn reference(&self) -> BTreeMap<HeadDef, MetricMap> {
        let (sets, heads) = (self.sets, self.heads);
        let truth_of = |rows: &[&ExposureRecord]| -> Vec<f32> {
            rows.iter()
                .flat_map(|r| heads.iter().map(|h| h.truth(&r.oracle.unwrap_or_default())))
                .collect()
        };
        let (ts, tsh, te) = (
            truth_of(&sets.submits.rows),
            truth_of(&sets.shows.rows),
            truth_of(&sets.exposures.rows),
        );
        let truth = Predictions {
            submits: &ts,
            shows: &tsh,
            exposures: &te,
            heads: heads.len(),
        };
        let mut out = BTreeMap::new();
        for (k, h) in heads.iter().enumerate() {
            let mut m = self.head_metrics(h, k, &truth, &mut Sink::new(None));
            m.retain(|key, _| REFERENCE.contains(key));
            out.insert(*h, m);
        }
        out
    }

    /// Every metric of head `h` (column `k`) for one model's predictions; the users'
    /// influences on those the [`gaps`] read go to `inf`.
    fn head_metrics(&self, h: &HeadDef, k: usize, p: &Predictions, inf: &mut Sink) -> MetricMap {
        let mut m = MetricMap::new();
        self.labeled(h, k, p, &mut m, inf);
        if self.oracle {
            self.oracle_shown(h, k, p, &mut m, inf);
        }
        self.exposed(h, k, p, &mut m, inf);
        m
    }

    /// What a platform sees: submitted answers of this head's survey.
    fn labeled(
        &self,
        h: &HeadDef,
        k: usize,
        pred: &Predictions,
        m: &mut MetricMap,
        inf: &mut Sink,
    ) {
        let sets = self.sets;
        let idx: Vec<usize> = (0..sets.submits.len())
            .filter(|&i| sets.submits.rows[i].survey == h.survey())
            .collect();
        let p = Predictions::column(pred.submits, pred.heads, k, idx.iter().copied());
        let y: Vec<bool> = idx
            .iter()
            .map(|&i| h.label(sets.submits.rows[i].answer, sets.submits.rows[i].reasons))
            .collect();
        let yf: Vec<f64> = y.iter().map(|&b| b as u8 as f64).collect();
        let ps: Vec<f64> = idx.iter().map(|&i| self.submit_prop[i] as f64).collect();
        let w: Vec<f64> = ps.iter().map(|&q| 1.0 / q.max(self.clip)).collect();
        m.insert(Metric::LABELED_N, Some(p.len() as f64));
        m.insert(Metric::LABELED_AUC, defined(metrics::auc(&p, &y)));
        m.insert(
            Metric::LABELED_CALIBRATION,
            defined(metrics::calibration(&p, &yf, None)),
        );
        m.insert(
            Metric::LABELED_AUC_IPW,
            defined(metrics::weighted_auc(&p, &y, Some(&w))),
        );
        m.insert(
            Metric::LABELED_CALIBRATION_IPW,
            defined(metrics::calibration(&p, &yf, Some(&w))),
        );
        m.insert(
            Metric::LABELED_LOGLOSS,
            defined(metrics::log_loss(&p, &yf, None)),
        );
        if let Ok(bands) = metrics::by_submit_band(&ps, &p, &y, None, &SUBMIT_BANDS) {
            for (b, band) in bands.iter().enumerate() {
                let (auc, cal) = Metric::band(b);
                m.insert(auc, band.auc);
                m.insert(cal, band.calibration);
            }
        }
        // The bands' AUCs again, with their users' influences (the same rows, by
        // `metrics::submit_bands`; the same value).
        let users: Vec<u32> = idx.iter().map(|&i| self.clusters.submits[i]).collect();
        for (b, members) in metrics::submit_bands(&ps, &SUBMIT_BANDS)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if !inf.wants(Metric::band(b).0) {
                continue;
            }
            let pick = |v: &[f64]| -> Vec<f64> { members.iter().map(|&i| v[i as usize]).collect() };
            let c: Vec<u32> = members.iter().map(|&i| users[i as usize]).collect();
            let x = influence::reg_auc(&pick(&p), &pick(&yf), &c, self.clusters.n);
            if let Ok(x) = x
                && x.value.is_finite()
            {
                inf.map.insert(Metric::band(b).0, x);
            }
        }
    }

    /// What only the simulator knows: every show of this survey, answered or not, against the
    /// latent answer and the true probability; and the same for the reluctant quarter.
    fn oracle_shown(
        &self,
        h: &HeadDef,
        k: usize,
        pred: &Predictions,
        m: &mut MetricMap,
        inf: &mut Sink,
    ) {
        let sets = self.sets;
        let sidx: Vec<usize> = (0..sets.shows.len())
            .filter(|&i| sets.shows.rows[i].survey == h.survey())
            .collect();
        let sp = Predictions::column(pred.shows, pred.heads, k, sidx.iter().copied());
        let sy: Vec<bool> = sidx
            .iter()
            .map(|&i| h.latent(&sets.shows.rows[i].oracle.unwrap_or_default()))
            .collect();
        let rows: Vec<&ExposureRecord> = sidx.iter().map(|&i| sets.shows.rows[i]).collect();
        let st = h.truths(&rows);
        // regAUC is against the true probability: no answer-draw noise, so differences show
        // with fewer rows.
        let keys = [
            Metric::ORACLE_AUC_SHOWN,
            Metric::ORACLE_CALIBRATION_SHOWN,
            Metric::ORACLE_REGAUC_SHOWN,
        ];
        let users: Vec<u32> = sidx.iter().map(|&i| self.clusters.shows[i]).collect();
        m.insert(keys[0], defined(metrics::auc(&sp, &sy)));
        let n = self.clusters.n;
        inf.keep(
            m,
            keys[1],
            || influence::calibration(&sp, &st, &users, n),
            || metrics::calibration(&sp, &st, None),
        );
        inf.keep(
            m,
            keys[2],
            || influence::reg_auc(&sp, &st, &users, n),
            || metrics::reg_auc(&sp, &st),
        );
        // Reluctant answerers: the lowest quarter of predicted willingness among these shows.
        let sprop: Vec<f64> = sidx.iter().map(|&i| self.show_prop[i] as f64).collect();
        if let Ok(bands) = metrics::by_submit_band(&sprop, &sp, &sy, None, &[0.0, 0.25, 1.0]) {
            m.insert(Metric::ORACLE_AUC_RELUCTANT, bands[0].auc);
            m.insert(Metric::ORACLE_AUC_WILLING, bands[1].auc);
        }
        let mut order: Vec<usize> = (0..sidx.len()).collect();
        order.sort_by(|&a, &b| sprop[a].total_cmp(&sprop[b]));
        let q = order.len() / 4;
        if q > 0 {
            for ((cal, reg), part) in [
                (
                    (
                        Metric::ORACLE_CALIBRATION_RELUCTANT,
                        Metric::ORACLE_REGAUC_RELUCTANT,
                    ),
                    &order[..q],
                ),
                (
                    (
                        Metric::ORACLE_CALIBRATION_WILLING,
                        Metric::ORACLE_REGAUC_WILLING,
                    ),
                    &order[q..],
                ),
            ] {
                let lp: Vec<f64> = part.iter().map(|&i| sp[i]).collect();
                let lt: Vec<f64> = part.iter().map(|&i| st[i]).collect();
                let lu: Vec<u32> = part.iter().map(|&i| users[i]).collect();
                m.insert(cal, defined(metrics::calibration(&lp, &lt, None)));
                let n = self.clusters.n;
                inf.keep(
                    m,
                    reg,
                    || influence::reg_auc(&lp, &lt, &lu, n),
                    || metrics::reg_auc(&lp, &lt),
                );
            }
        }
    }

    /// Every exposure of the evaluation users: against the truth, and the paper's Nfb / Pfb
    /// UAUC against buttons every user has (Eq. 11–12).
    fn exposed(
        &self,
        h: &HeadDef,
        k: usize,
        pred: &Predictions,
        m: &mut MetricMap,
        inf: &mut Sink,
    ) {
        let exposures = &self.sets.exposures.rows;
        let ep = Predictions::column(pred.exposures, pred.heads, k, 0..exposures.len());
        if self.oracle {
            let ey: Vec<bool> = exposures
                .iter()
                .map(|r| h.latent(&r.oracle.unwrap_or_default()))
                .collect();
            let et = h.truths(exposures);
            m.insert(Metric::ORACLE_AUC_EXPOSED, defined(metrics::auc(&ep, &ey)));
            m.insert(
                Metric::ORACLE_CALIBRATION_EXPOSED,
                defined(metrics::calibration(&ep, &et, None)),
            );
            let (users, n) = (&self.clusters.exposures, self.clusters.n);
            inf.keep(
                m,
                Metric::ORACLE_REGAUC_EXPOSED,
                || influence::reg_auc(&ep, &et, users, n),
                || metrics::reg_auc(&ep, &et),
            );
        }
        // Users as clusters, numbered in increasing id: the same per-user AUCs, summed in the
        // same order, as with the ids themselves.
        let users = &self.clusters.exposures;
        let nfb: Vec<bool> = exposures.iter().map(|r| r.dislike || r.report).collect();
        let pfb: Vec<bool> = exposures
            .iter()
            .map(|r| r.like || r.share || r.favorite)
            .collect();
        let neg: Vec<f64> = ep.iter().map(|p| 1.0 - p).collect();
        // The paper's UAUC (Pfb for "don't like", Nfb for the issues) with its influences.
        let ((paper_key, ps, pl), (other_key, os, ol)) = if matches!(h, HeadDef::Dislike) {
            (
                (Metric::UAUC_PFB, &neg, &pfb),
                (Metric::UAUC_NFB, &ep, &nfb),
            )
        } else {
            (
                (Metric::UAUC_NFB, &ep, &nfb),
                (Metric::UAUC_PFB, &neg, &pfb),
            )
        };
        let paper = if inf.wants(Metric::UAUC) {
            influence::uauc(users, self.clusters.n, ps, pl)
                .ok()
                .map(|(u, x)| (u, Some(x)))
        } else {
            metrics::uauc(users, ps, pl).ok().map(|u| (u, None))
        };
        m.insert(other_key, metrics::uauc(users, os, ol).ok().map(|u| u.uauc));
        m.insert(paper_key, paper.as_ref().map(|(u, _)| u.uauc));
        m.insert(Metric::UAUC, paper.as_ref().map(|(u, _)| u.uauc));
        m.insert(
            Metric::UAUC_USERS,
            paper.as_ref().map(|(u, _)| u.users_counted as f64),
        );
        if let Some((_, Some(x))) = paper {
            inf.map.insert(Metric::UAUC, x);
        }
    }
}

/// What the random slice says of one head's predictions `p` on the panel rows: its answers
/// stand in for the oracle where real logs have no truth. Nothing without panel answers of the
/// head's survey.
fn random_slice(h: &HeadDef, panel: &[&ExposureRecord], p: &[f64], m: &mut MetricMap) {
    let idx: Vec<usize> = (0..panel.len())
        .filter(|&i| panel[i].survey == h.survey())
        .collect();
    if idx.is_empty() {
        return;
    }
    let p: Vec<f64> = idx.iter().map(|&i| p[i]).collect();
    let y: Vec<bool> = idx
        .iter()
        .map(|&i| h.label(panel[i].answer, panel[i].reasons))
        .collect();
    let yf: Vec<f64> = y.iter().map(|&b| b as u8 as f64).collect();
    m.insert(Metric::RANDOM_N, Some(idx.len() as f64));
    m.insert(Metric::RANDOM_AUC, defined(metrics::auc(&p, &y)));
    m.insert(
        Metric::RANDOM_CALIBRATION,
        defined(metrics::calibration(&p, &yf, None)),
    );
    m.insert(
        Metric::RANDOM_LOGLOSS,
        defined(metrics::log_loss(&p, &yf, None)),
    );
}

/// A calibration curve of `bins` equally filled bins by prediction: each bin's mean prediction
/// against its mean truth.
pub fn curve(pred: &[f64], truth: &[f64], bins: usize) -> Curve {
    let mut order: Vec<usize> = (0..pred.len()).collect();
    order.sort_by(|&a, &b| pred[a].total_cmp(&pred[b]));
    let mut c = Curve::default();
    for b in 0..bins {
        let lo = b * order.len() / bins;
        let hi = (b + 1) * order.len() / bins;
        if hi > lo {
            let n = (hi - lo) as f64;
            c.predicted
                .push(order[lo..hi].iter().map(|&i| pred[i]).sum::<f64>() / n);
            c.truth
                .push(order[lo..hi].iter().map(|&i| truth[i]).sum::<f64>() / n);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_hand_values() {
        // Six rows in three bins of two, by prediction: (0.1, 0.2), (0.3, 0.4), (0.8, 0.9).
        let pred = [0.9, 0.1, 0.4, 0.3, 0.2, 0.8];
        let truth = [1.0, 0.0, 0.5, 0.1, 0.2, 0.7];
        let c = curve(&pred, &truth, 3);
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(
            close(&c.predicted, &[0.15, 0.35, 0.85]),
            "{:?}",
            c.predicted
        );
        assert!(close(&c.truth, &[0.1, 0.3, 0.85]), "{:?}", c.truth);
        // Fewer rows than bins: only the bins that get a row.
        let c = curve(&[0.5, 0.2], &[1.0, 0.0], 4);
        assert_eq!(c.predicted, vec![0.2, 0.5]);
        assert_eq!(c.truth, vec![0.0, 1.0]);
        assert_eq!(curve(&[], &[], 10), Curve::default());
    }
}
