//! The entities: users, videos, authors and categories, each with the function that draws it.
//!
//! Each entity is drawn from its own stream `(seed, kind, index)`, so a population is the same
//! whatever the thread count and on wasm32 as natively.

use usm_core::rng::Rng;

use crate::dist::{Alias, logit, poisson, sigmoid};
use crate::scenario::{
    AGE_GROUPS, HOURS, MAX_TASTE_DIM, N_CONTENT_ISSUES, N_ISSUES, PopulationConfig, Scenario,
    Targeting, ValidScenario, WillingnessConfig,
};

pub(crate) const STREAM_USER: u64 = 1 << 40;
pub(crate) const STREAM_ITEM: u64 = 2 << 40;
pub(crate) const STREAM_AUTHOR: u64 = 3 << 40;
pub(crate) const STREAM_CATEGORY: u64 = 4 << 40;
pub(crate) const STREAM_POPULARITY: u64 = 5 << 40;

/// A content category: its topic centre and how risky it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Category {
    /// Topic centre.
    pub centre: [f32; MAX_TASTE_DIM],
    /// Issue log-odds shift of its videos.
    pub issue: [f32; N_ISSUES],
}

impl Category {
    /// Draws a category.
    pub fn draw(s: &Scenario, rng: &mut Rng) -> Category {
        let mut centre = [0f32; MAX_TASTE_DIM];
        for c in centre.iter_mut().take(s.population.taste_dim) {
            *c = rng.normal() as f32;
        }
        let mut issue = [0f32; N_ISSUES];
        for v in issue.iter_mut() {
            *v = (s.content.category_issue_spread * rng.normal()) as f32;
        }
        Category { centre, issue }
    }
}

/// An author: home category, issue levels and quality, shared by their videos.
#[derive(Clone, Debug, PartialEq)]
pub struct Author {
    /// Category most of their videos are in.
    pub home: u32,
    /// Issue log-odds shift; correlated across issues (a careless author is careless overall).
    pub issue: [f32; N_ISSUES],
    /// Quality shift.
    pub quality: f32,
}

impl Author {
    /// Draws an author.
    pub fn draw(s: &Scenario, rng: &mut Rng) -> Author {
        let home = rng.below(s.population.categories as u64) as u32;
        let general = rng.normal();
        let mut issue = [0f32; N_ISSUES];
        for v in issue.iter_mut() {
            *v = (s.content.author_issue_spread * (0.6 * general + 0.8 * rng.normal())) as f32;
        }
        let quality = (0.5 * s.content.quality_spread * rng.normal()) as f32;
        Author {
            home,
            issue,
            quality,
        }
    }
}

/// A video.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// Its author.
    pub author: u32,
    /// Its category.
    pub category: u32,
    /// Topic, near the category centre.
    pub topic: [f32; MAX_TASTE_DIM],
    /// True quality.
    pub quality: f32,
    /// Engagement-rate signal the platform observes (quality plus noise).
    pub quality_signal: f32,
    /// Log of the popularity weight (recall and ranking use it; it is also a feature).
    pub log_popularity: f32,
    /// Issue log-odds of the video itself (category + author + own).
    pub issue: [f32; N_ISSUES],
    /// Log duration, a plain attribute.
    pub log_duration: f32,
    /// What a content classifier says: the mean content-issue level plus noise.
    pub risk_signal: f32,
}

impl Item {
    /// Draws a video given its popularity rank.
    pub fn draw(
        s: &Scenario,
        authors: &[Author],
        cats: &[Category],
        pop_rank: u32,
        rng: &mut Rng,
    ) -> Item {
        let c = &s.content;
        let author = rng.below(authors.len() as u64) as u32;
        let a = &authors[author as usize];
        let category = if rng.bernoulli(0.7) {
            a.home
        } else {
            rng.below(cats.len() as u64) as u32
        };
        let cat = &cats[category as usize];
        let mut topic = [0f32; MAX_TASTE_DIM];
        for (d, t) in topic.iter_mut().enumerate().take(s.population.taste_dim) {
            *t = cat.centre[d] + (0.6 * rng.normal()) as f32;
        }
        let quality = a.quality + (c.quality_spread * rng.normal()) as f32;
        let quality_signal = quality + (0.5 * rng.normal()) as f32;
        let mut issue = [0f32; N_ISSUES];
        for (k, v) in issue.iter_mut().enumerate() {
            *v = cat.issue[k] + a.issue[k] + (c.item_issue_spread * rng.normal()) as f32;
        }
        let log_popularity = (-c.popularity_zipf * libm::log(pop_rank as f64 + 1.0)) as f32;
        let log_duration = (libm::log(30.0) + 0.5 * rng.normal()) as f32;
        let mean_issue = issue[..crate::scenario::N_CONTENT_ISSUES]
            .iter()
            .sum::<f32>()
            / crate::scenario::N_CONTENT_ISSUES as f32;
        let risk_signal = mean_issue + (c.risk_signal_noise * rng.normal()) as f32;
        Item {
            author,
            category,
            topic,
            quality,
            quality_signal,
            log_popularity,
            issue,
            log_duration,
            risk_signal,
        }
    }
}

/// A user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct User {
    /// Age group, `0..5`.
    pub age: u8,
    /// Expected feed requests per day.
    pub activity: f32,
    /// Standardised log activity (the latent behind `activity`).
    pub activity_z: f32,
    /// Observed activity feature: log activity plus noise.
    pub activity_obs: f32,
    /// Taste vector.
    pub taste: [f32; MAX_TASTE_DIM],
    /// Sensitivity to each issue (log-odds shift of perceiving it).
    pub sensitivity: [f32; N_ISSUES],
    /// The shared part of the sensitivities, standardised.
    pub general_sensitivity: f32,
    /// Log-odds of submitting a shown satisfaction survey (before hour and answer effects).
    pub willingness: f32,
    /// Multiplier on the rates of like, share, favourite, dislike and report.
    pub engagement: f32,
    /// Surveys submitted before the simulated period.
    pub history_submits: u32,
    /// Surveys shown before the simulated period (not logged: the platform keeps the count of
    /// submissions only).
    pub history_shows: u32,
    /// The logged user-profile score: `sqrt(observed)` times the general sensitivity plus
    /// `sqrt(1 - observed)` times independent noise (`willingness.observed`).
    pub profile: f32,
}

impl User {
    /// Draws a user, and their past on the platform from `past`.
    pub fn draw(s: &Scenario, past: &PastFeed, rng: &mut Rng) -> User {
        let p = &s.population;
        let w = &s.willingness;
        let age = rng.below(AGE_GROUPS as u64) as u8;
        let activity_z = rng.normal();
        let activity = activity_at(p, activity_z);
        let noise = libm::sqrt(ACTIVITY_OBS_NOISE_VAR);
        let activity_obs = (libm::log(activity) + noise * rng.normal()) as f32;
        let mut taste = [0f32; MAX_TASTE_DIM];
        for t in taste.iter_mut().take(p.taste_dim) {
            *t = rng.normal() as f32;
        }
        if p.taste_shared != 0.0 {
            taste[0] = (taste[0] as f64 + p.taste_shared) as f32;
        }
        let general = rng.normal();
        let age_shift = p.age_sensitivity * (age as f64 - 2.0);
        let mut sensitivity = [0f32; N_ISSUES];
        for v in sensitivity.iter_mut() {
            *v = (age_shift + p.sensitivity_spread * (0.7 * general + 0.714 * rng.normal())) as f32;
        }
        let rest = willingness_rest_var(w).sqrt();
        let z = w.corr_sensitivity * general + w.corr_activity * activity_z + rest * rng.normal();
        // Content-tied willingness: the taste no feature carries.
        let z = if w.corr_taste != 0.0 {
            z + w.corr_taste * (taste[0] as f64 - p.taste_shared)
        } else {
            z
        };
        let willingness = logit(w.mean) + w.spread * z;
        let se = p.engagement_spread;
        let engagement = libm::exp(se * rng.normal() - 0.5 * se * se) as f32;
        let o = w.observed;
        let profile = (libm::sqrt(o) * general + libm::sqrt(1.0 - o) * rng.normal()) as f32;
        let mut u = User {
            age,
            activity: activity as f32,
            activity_z: activity_z as f32,
            activity_obs,
            taste,
            sensitivity,
            general_sensitivity: general as f32,
            willingness: willingness as f32,
            engagement,
            history_submits: 0,
            history_shows: 0,
            profile,
        };
        (u.history_shows, u.history_submits) = past.history(s, &u, rng);
        u
    }
}

/// The platform before the simulated period, for drawing each user's survey history by the same
/// process as live surveys: shows at the survey rate under the targeting policy (at most
/// `cap_per_day` a day), on videos the feed recalls, at a uniformly drawn hour, answered with
/// the survey type's offset, the hour's effect and, when the latent answer is negative, the
/// answer dependence. (The past feed recalls without ranking.)
pub struct PastFeed<'a> {
    items: &'a [Item],
    recall: Alias,
}

impl<'a> PastFeed<'a> {
    /// The past feed over `items`: the videos past surveys were shown on, recalled and tilted
    /// by the targeting policy.
    pub fn new(s: &Scenario, items: &'a [Item]) -> PastFeed<'a> {
        let tilted: Vec<f64> = recall_weights(s, items)
            .iter()
            .zip(survey_item_weights(s, items))
            .map(|(r, w)| r * w)
            .collect();
        PastFeed {
            items,
            recall: Alias::new(&tilted),
        }
    }

    /// `(shows, submits)` of a user's `survey.tenure_days` before the simulated period.
    fn history(&self, s: &Scenario, u: &User, rng: &mut Rng) -> (u32, u32) {
        let days = s.survey.tenure_days;
        let per_day = u.activity as f64 * s.feed.k as f64 * survey_probability(s, u);
        let cap = (s.survey.cap_per_day as f64 * days).floor() as u32;
        let shows = poisson(rng, per_day * days).min(cap);
        let w = &s.willingness;
        let mut submits = 0;
        for _ in 0..shows {
            let it = &self.items[self.recall.draw(rng) as usize];
            let t = truth(s, u, it);
            let hour = rng.below(HOURS as u64) as usize;
            let satisfaction = rng.bernoulli(s.survey.satisfaction_share);
            let (offset, p_negative) = if satisfaction {
                (0.0, t.p_dislike)
            } else {
                (w.inappropriate_offset, t.p_inappropriate)
            };
            let negative = rng.bernoulli(p_negative);
            let logit = u.willingness as f64
                + offset
                + w.hour_effect[hour]
                + if negative { w.answer_dependence } else { 0.0 };
            submits += rng.bernoulli(sigmoid(logit)) as u32;
        }
        (shows, submits)
    }
}

/// Recall weights of videos: a share `feed.explore` uniform, the rest by popularity, as one
/// mixture.
pub fn recall_weights(s: &Scenario, items: &[Item]) -> Vec<f64> {
    let explore = s.feed.explore;
    let popularity: Vec<f64> = items
        .iter()
        .map(|it| libm::exp(it.log_popularity as f64))
        .collect();
    let total: f64 = popularity.iter().sum();
    let uniform = explore / items.len() as f64;
    popularity
        .iter()
        .map(|w| uniform + (1.0 - explore) * w / total)
        .collect()
}

/// Variance of the noise on the logged activity: `activity_obs = ln(activity) + noise`. What the
/// logs say of a user's activity (`experiment::ceiling` inverts it).
pub const ACTIVITY_OBS_NOISE_VAR: f64 = 0.04;

/// Expected feed requests a day of a user whose standardised log activity is `z`: log-normal
/// around `requests_per_day` with spread `activity_spread`, mean-preserving.
pub fn activity_at(p: &PopulationConfig, z: f64) -> f64 {
    let sa = p.activity_spread;
    p.requests_per_day * libm::exp(sa * z - 0.5 * sa * sa)
}

/// The variance of willingness's standardised part that neither sensitivity, activity nor taste
/// explains (at least 0).
pub fn willingness_rest_var(w: &WillingnessConfig) -> f64 {
    w.unexplained_var().max(0.0)
}

/// The per-exposure survey rate of a user with `activity` requests a day when surveys target by
/// activity: less active users are asked more often per exposure, up to 1.
pub fn survey_rate_by_activity(s: &Scenario, activity: f64) -> f64 {
    (s.survey.rate * s.population.requests_per_day / activity).min(1.0)
}

/// Per-exposure survey probability for this user under the targeting policy, before any tilt by
/// video ([`survey_item_weights`]).
pub fn survey_probability(s: &Scenario, u: &User) -> f64 {
    let sv = &s.survey;
    match sv.targeting {
        Targeting::ByActivity => survey_rate_by_activity(s, u.activity as f64),
        Targeting::ByEngagement => {
            // Engagement is log-normal: its standardised log is the user's normal draw.
            let se = s.population.engagement_spread;
            let z = if se > 0.0 {
                ((u.engagement as f64).ln() + 0.5 * se * se) / se
            } else {
                0.0
            };
            let b = sv.targeting_strength;
            (sv.rate * (b * z - 0.5 * b * b).exp()).min(1.0)
        }
        Targeting::Uniform | Targeting::ByPopularity | Targeting::ByRisk => sv.rate,
    }
}

/// Each video's tilt of the per-exposure survey rate: 1 unless surveys target by popularity or
/// risk score, then `exp(strength * z)` (`z` the standardised feature), normalised to mean 1 over
/// the feed's recall.
pub fn survey_item_weights(s: &Scenario, items: &[Item]) -> Vec<f64> {
    let feature = |it: &Item| match s.survey.targeting {
        Targeting::ByPopularity => Some(it.log_popularity as f64),
        Targeting::ByRisk => Some(it.risk_signal as f64),
        _ => None,
    };
    let Some(x) = items.iter().map(feature).collect::<Option<Vec<f64>>>() else {
        return vec![1.0; items.len()];
    };
    let n = x.len().max(1) as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let b = s.survey.targeting_strength;
    let raw: Vec<f64> = x
        .iter()
        .map(|v| {
            if sd > 0.0 {
                (b * (v - mean) / sd).exp()
            } else {
                1.0
            }
        })
        .collect();
    let recall = recall_weights(s, items);
    let mean_w: f64 = raw.iter().zip(&recall).map(|(w, r)| w * r).sum();
    raw.iter().map(|w| w / mean_w).collect()
}

/// Everyone and everything in a scenario.
#[derive(Clone, Debug)]
pub struct Population {
    /// Categories.
    pub categories: Vec<Category>,
    /// Authors.
    pub authors: Vec<Author>,
    /// Videos.
    pub items: Vec<Item>,
    /// Users.
    pub users: Vec<User>,
}

/// `f(i)` for `i` in `0..n`, in order; on the thread pool with the `parallel` feature.
pub(crate) fn draw_all<T: Send>(n: u32, f: impl Fn(u32) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).map(f).collect()
    }
}

impl Population {
    /// Draws a whole population. The scenario must be validated.
    pub fn draw(s: &ValidScenario) -> Population {
        let seed = s.seed;
        let p = &s.population;
        let categories = draw_all(p.categories, |i| {
            Category::draw(s, &mut Rng::new(seed, STREAM_CATEGORY + i as u64))
        });
        let authors = draw_all(p.authors, |i| {
            Author::draw(s, &mut Rng::new(seed, STREAM_AUTHOR + i as u64))
        });
        let mut ranks: Vec<u32> = (0..p.items).collect();
        Rng::new(seed, STREAM_POPULARITY).shuffle(&mut ranks);
        let items = draw_all(p.items, |i| {
            Item::draw(
                s,
                &authors,
                &categories,
                ranks[i as usize],
                &mut Rng::new(seed, STREAM_ITEM + i as u64),
            )
        });
        let past = PastFeed::new(s, &items);
        let users = draw_all(p.users, |i| {
            User::draw(s, &past, &mut Rng::new(seed, STREAM_USER + i as u64))
        });
        Population {
            categories,
            authors,
            items,
            users,
        }
    }
}

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

/// The truth of a pair, by its definition (exact `libm` sigmoids): the reference that
/// [`Prepared::truths`], the simulator's fast path, is tested against.
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
