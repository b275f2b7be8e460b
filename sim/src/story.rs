//! The story of one exposure, in a fixed order: truth → latent answers → behaviour → survey →
//! response. And of one request: recall → rank → top-k → exposures → maybe leave.

use usm_core::rng::{Rng, mix};

use crate::dist::sigmoid_f32 as sigmoid;
use crate::population::{Item, Population, User};
use crate::records::{Answer, ExposureRecord, Oracle, SurveyKind};
use crate::scenario::{MAX_TASTE_DIM, N_CONTENT_ISSUES, N_ISSUES, Scenario, Targeting};

const STREAM_EXPOSURE: u64 = 11 << 40;
const STREAM_CHURN: u64 = 13 << 40;
pub(crate) const STREAM_PLAN: u64 = 14 << 40;

/// What a user-video pair is like, before any draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Truth {
    /// P(perceiving each issue).
    pub p_issue: [f64; N_ISSUES],
    /// P(at least one content issue): the inappropriate answer.
    pub p_inappropriate: f64,
    /// P(like).
    pub p_like: f64,
    /// P(don't like).
    pub p_dislike: f64,
}

/// Taste match of a user and a video.
#[inline]
pub fn taste_match(s: &Scenario, u: &User, it: &Item) -> f64 {
    let d = s.population.taste_dim;
    dot(d, &u.taste, &it.topic) as f64 / libm::sqrt(d as f64)
}

/// Dot product of the first `d` taste/topic dimensions.
#[inline]
pub fn dot(d: usize, a: &[f32; MAX_TASTE_DIM], b: &[f32; MAX_TASTE_DIM]) -> f32 {
    let mut acc = 0f32;
    for k in 0..d {
        acc += a[k] * b[k];
    }
    acc
}

/// The truth of a pair.
pub fn truth(s: &Scenario, u: &User, it: &Item) -> Truth {
    let c = &s.content;
    let mut p_issue = [0f64; N_ISSUES];
    let mut none = 1.0;
    for (k, p) in p_issue.iter_mut().enumerate() {
        *p = sigmoid(c.issue_base[k] + it.issue[k] as f64 + u.sensitivity[k] as f64);
        if k < N_CONTENT_ISSUES {
            none *= 1.0 - *p;
        }
    }
    let p_inappropriate = 1.0 - none;
    let v = c.taste_weight * taste_match(s, u, it) + it.quality as f64
        - c.issue_penalty * (p_inappropriate + p_issue[N_ISSUES - 1]);
    Truth {
        p_issue,
        p_inappropriate,
        p_like: sigmoid(v - c.like_threshold),
        p_dislike: sigmoid(c.dislike_threshold - v),
    }
}

/// A user's running state.
#[derive(Clone, Debug, PartialEq)]
pub struct UserState {
    /// Still on the platform.
    pub active: bool,
    /// Surveys submitted so far, history included.
    pub submits: u32,
    /// Surveys shown today (against the cap).
    pub surveys_today: u32,
    /// Exposures so far (for ids).
    pub exposures: u32,
    /// Requests made so far.
    pub requests: u32,
}

impl UserState {
    /// The state at the start of the period.
    pub fn new(u: &User) -> UserState {
        UserState {
            active: true,
            submits: u.history_submits,
            surveys_today: 0,
            exposures: 0,
            requests: 0,
        }
    }
}

/// Log-odds of submitting a shown survey of `kind`, before any answer effect.
pub fn submit_logit(s: &Scenario, u: &User, kind: SurveyKind, hour: u8) -> f64 {
    let w = &s.willingness;
    let offset = if kind == SurveyKind::Inappropriate {
        w.inappropriate_offset
    } else {
        0.0
    };
    u.willingness as f64 + offset + w.hour_effect[hour as usize]
}

/// Per-exposure survey probability for this user under the targeting policy.
pub fn survey_probability(s: &Scenario, u: &User) -> f64 {
    match s.survey.targeting {
        Targeting::Uniform => s.survey.rate,
        Targeting::ByActivity => {
            (s.survey.rate * s.population.requests_per_day / u.activity as f64).min(1.0)
        }
    }
}

/// P(submit | shown) of a user at an hour, per survey type: `[answer not negative, negative]`.
pub type SubmitProbs = [[f64; 2]; 2];

/// The submit probabilities of a user at an hour (they change per request, not per exposure).
pub fn submit_probs(s: &Scenario, u: &User, hour: u8) -> SubmitProbs {
    let ad = s.willingness.answer_dependence;
    [SurveyKind::Satisfaction, SurveyKind::Inappropriate].map(|k| {
        let b = submit_logit(s, u, k, hour);
        [
            sigmoid(b),
            if ad == 0.0 {
                sigmoid(b)
            } else {
                sigmoid(b + ad)
            },
        ]
    })
}

/// Everything about one exposure, in the story's order.
pub fn expose(
    s: &Scenario,
    pop: &Population,
    user_id: u32,
    st: &mut UserState,
    item_id: u32,
    (day, request, slot, hour): (u32, u32, u8, u8),
    probs: &SubmitProbs,
) -> ExposureRecord {
    let u = &pop.users[user_id as usize];
    let it = &pop.items[item_id as usize];
    let t = truth(s, u, it);
    let key = ((day as u64) << 40) | ((request as u64) << 26) | item_id as u64;
    let mut rng = Rng::new(mix(s.seed, STREAM_EXPOSURE + user_id as u64), key);

    // Latent answers: what this viewer would answer if asked.
    let r = rng.uniform();
    let latent_sat = if r < t.p_like {
        Answer::Like
    } else if r < 1.0 - t.p_dislike {
        Answer::Neutral
    } else {
        Answer::Dislike
    };
    let mut reasons = 0u8;
    for k in 0..N_ISSUES {
        if rng.bernoulli(t.p_issue[k]) {
            reasons |= 1 << k;
        }
    }
    let content = reasons & ((1 << N_CONTENT_ISSUES) - 1);
    let adult_kinds = (1 << 0) | (1 << 3); // sexual, violent
    let latent_inapp = if content == 0 {
        Answer::Suitable
    } else if content & !adult_kinds == 0 && rng.bernoulli(s.content.adult_only_share) {
        Answer::AdultOnly
    } else {
        Answer::NotSuitable
    };
    let latent_reasons = if content == 0 { 0 } else { reasons };

    // Behaviour, conditional on the latent answers.
    let b = &s.behaviour;
    let e = u.engagement as f64;
    let liked = latent_sat == Answer::Like;
    let disliked = latent_sat == Answer::Dislike;
    let issue = content != 0;
    let like = rng.bernoulli(
        (e * if liked {
            b.like_if_liked
        } else {
            b.like_otherwise
        })
        .min(1.0),
    );
    let share = liked && rng.bernoulli((e * b.share_if_liked).min(1.0));
    let favorite = liked && rng.bernoulli((e * b.favorite_if_liked).min(1.0));
    let p_dislike_button = if disliked {
        b.dislike_if_disliked
    } else if issue {
        b.dislike_if_issue
    } else {
        b.dislike_otherwise
    };
    let dislike = rng.bernoulli((e * p_dislike_button).min(1.0));
    let report = rng.bernoulli(
        (e * if issue {
            b.report_if_issue
        } else {
            b.report_otherwise
        })
        .min(1.0),
    );
    let base_watch = match latent_sat {
        Answer::Like => 0.75,
        Answer::Neutral => 0.5,
        _ => 0.25,
    };
    let watch =
        (base_watch + 0.15 * rng.normal_fast() - if issue { 0.25 } else { 0.0 }).clamp(0.0, 1.0);

    // Survey and response.
    // The same stream as the rest of the exposure: the survey policy never looks at the video.
    let rs = &mut rng;
    let draw = rs.uniform();
    let regular = st.surveys_today < s.survey.cap_per_day && draw < survey_probability(s, u);
    let panel = !regular && rs.uniform() < s.panel.rate;
    let kind_draw = rs.bernoulli(s.survey.satisfaction_share);
    let response_draw = rs.uniform();
    let mut rec_kind = SurveyKind::None;
    let (mut submitted, mut answer, mut rec_reasons) = (false, Answer::None, 0u8);
    let history = st.submits;
    if regular || panel {
        rec_kind = if kind_draw {
            SurveyKind::Satisfaction
        } else {
            SurveyKind::Inappropriate
        };
        let latent = if kind_draw { latent_sat } else { latent_inapp };
        let p = probs[if kind_draw { 0 } else { 1 }][latent.is_negative() as usize];
        submitted = panel || response_draw < p;
        if regular {
            st.surveys_today += 1;
        }
        if submitted {
            answer = latent;
            if !kind_draw {
                rec_reasons = latent_reasons;
            }
            if !panel {
                st.submits += 1;
            }
        }
    }
    let marginal = |p: [f64; 2], p_neg: f64| p_neg * p[1] + (1.0 - p_neg) * p[0];
    let oracle = Oracle {
        p_like: t.p_like as f32,
        p_neutral: (1.0 - t.p_like - t.p_dislike).max(0.0) as f32,
        p_dislike: t.p_dislike as f32,
        p_inappropriate: t.p_inappropriate as f32,
        p_issue: t.p_issue.map(|p| p as f32),
        p_submit: [
            marginal(probs[0], t.p_dislike) as f32,
            marginal(probs[1], t.p_inappropriate) as f32,
        ],
        latent_satisfaction: latent_sat,
        latent_inappropriate: latent_inapp,
        latent_reasons,
    };
    let exposure_id = ((user_id as u64) << 24) | st.exposures as u64;
    st.exposures += 1;
    ExposureRecord {
        exposure_id,
        day,
        request,
        slot,
        hour,
        user_id,
        item_id,
        author_id: it.author,
        user_age: u.age,
        user_activity: u.activity_obs,
        user_history_submits: history,
        item_category: it.category,
        item_log_popularity: it.log_popularity,
        item_quality_signal: it.quality_signal,
        item_log_duration: it.log_duration,
        item_risk_signal: it.risk_signal,
        like,
        share,
        favorite,
        dislike,
        report,
        skip: watch < 0.2,
        watch_fraction: watch as f32,
        survey: rec_kind,
        panel,
        submitted,
        answer,
        reasons: rec_reasons,
        oracle: Some(oracle),
    }
}

/// Whether an exposure was a bad experience (disliked, or a content issue perceived).
pub fn is_bad(rec: &ExposureRecord) -> bool {
    rec.oracle.is_some_and(|o| {
        o.latent_satisfaction == Answer::Dislike || o.latent_inappropriate != Answer::Suitable
    })
}

/// After a request: does the user leave? Common random numbers per (user, day, request).
pub fn leaves(s: &Scenario, user_id: u32, day: u32, request: u32, bad: usize) -> bool {
    let p = s.retention.base_leave + s.retention.leave_per_bad * bad as f64;
    let mut rng = Rng::new(
        mix(s.seed, STREAM_CHURN + user_id as u64),
        ((day as u64) << 20) | request as u64,
    );
    rng.uniform() < p
}
