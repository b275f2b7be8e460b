//! The story of one exposure, in a fixed order: truth → latent answers → behaviour → survey →
//! response. And of one request: recall → rank → top-k → exposures → maybe leave.

use usm_core::rng::{Wy, mix};

use crate::dist::{Alias, exp_f32, normal_4096, sigmoid};
use crate::population::{Population, User, draw_all, recall_weights, survey_item_weights};
pub use crate::population::{Truth, dot, survey_probability, taste_match, truth};
use crate::records::{Answer, ExposureRecord, Oracle, SurveyKind};
use crate::scenario::{HOURS, N_CONTENT_ISSUES, N_ISSUES, Scenario, WillingnessConfig};

const STREAM_EXPOSURE: u64 = 11 << 40;
const STREAM_CHURN: u64 = 13 << 40;
pub(crate) const STREAM_PLAN: u64 = 14 << 40;

/// A truth as the simulator's hot path holds it ([`Prepared::truths`]): the probabilities in
/// `f32`, as logged, and scaled by [`DICE24`] for its dice.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Odds {
    /// P(perceiving each issue).
    pub p_issue: [f32; N_ISSUES],
    /// P(at least one content issue): the inappropriate answer.
    pub p_inappropriate: f32,
    /// P(like).
    pub p_like: f32,
    /// P(don't like).
    pub p_dislike: f32,
    /// Each `p_issue` times [`DICE24`].
    pub issue_dice: [f32; N_ISSUES],
    /// P(like) and P(like or neutral), `1 - p_dislike`, times [`DICE24`].
    pub satisfaction_dice: [f32; 2],
}

/// 2^24. A 24-bit uniform `u` (0 to 2^24 - 1, exact in `f32`) is below `p * 2^24` (exact too:
/// a power-of-two scale) with probability `ceil(p * 2^24) / 2^24`: `p` itself at 0 and 1, and
/// at most 2^-24 above it in between.
pub const DICE24: f32 = 16_777_216.0;

/// Sixteen floats on a cache line.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
pub(crate) struct Line(pub(crate) [f32; 16]);

/// What an exposure reads of its video, in one cache line: the truth's terms
/// (`exp(-(issue_base[k] + issue[k]))` per issue, and quality) and the logged features.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
pub(crate) struct ItemRow {
    e_issue: [f32; N_ISSUES],
    quality: f32,
    pub(crate) author: u32,
    pub(crate) category: u32,
    pub(crate) log_popularity: f32,
    pub(crate) quality_signal: f32,
    pub(crate) log_duration: f32,
    pub(crate) risk_signal: f32,
    /// The video's tilt of the survey rate under the targeting policy.
    survey_weight: f32,
}

/// What the hot path reads of videos and users, computed once per run.
///
/// The truth's issue probabilities are sigmoids of sums, `σ(b + i + u) = 1 / (1 + e^-(b+i) ·
/// e^-u)`, so with each side's exponential tabulated they cost a product and a division; like
/// and dislike share one exponential of the utility. Ranking reads the first `d` topic
/// dimensions and the feed's per-video terms, `d + 1` floats a video starting on a cache line.
#[derive(Debug)]
pub struct Prepared {
    recall: Alias,
    /// The feed's ranking noise: `noise` times a normal quantile, 4096 equally likely values.
    rank_noise: Vec<f32>,
    /// Per video one line (two when the topic has 16 lanes): see [`rank_row`](Self::rank_row).
    rank: Vec<Line>,
    lanes: usize,
    items: Vec<ItemRow>,
    user_terms: Vec<[f32; N_ISSUES]>,
    user_unwilling: Vec<f64>,
    submit_terms: [SubmitProbs; HOURS],
    taste_scale: f64,
    like_to_dislike: f64,
    /// [`below`] of the adult-only share, the panel rate and the satisfaction share.
    scenario_below: ScenarioThresholds,
}

/// A scenario's fixed probabilities as [`below`] thresholds, computed once per run.
#[derive(Debug)]
struct ScenarioThresholds {
    adult_only: u64,
    panel: u64,
    satisfaction: u64,
}

/// `exp` in `f32` for a table, its argument kept where `f32` and the products of two such
/// values stay finite.
fn table_exp(x: f64) -> f32 {
    libm::exp(x.clamp(-40.0, 40.0)) as f32
}

impl Prepared {
    /// The tables of a validated scenario and its population.
    pub fn new(s: &Scenario, pop: &Population) -> Prepared {
        let d = s.population.taste_dim;
        let f = &s.feed;
        let c = &s.content;
        // Rows of 16 floats (one cache line), or 32 when the topic fills the first: the topic
        // padded with zeros to a multiple of four, and the feed terms last.
        let lanes = d.next_multiple_of(4);
        let stride = (lanes + 1).next_multiple_of(16);
        let mut rank = vec![Line([0.0; 16]); pop.items.len() * stride / 16];
        for (it, lines) in pop.items.iter().zip(rank.chunks_mut(stride / 16)) {
            let mut row = [0f32; 32];
            row[..d].copy_from_slice(&it.topic[..d]);
            row[stride - 1] = (f.popularity_bias * it.log_popularity as f64
                + f.quality_weight * it.quality_signal as f64) as f32;
            for (line, part) in lines.iter_mut().zip(row.chunks_exact(16)) {
                line.0.copy_from_slice(part);
            }
        }
        let survey_weights = survey_item_weights(s, &pop.items);
        let items = pop
            .items
            .iter()
            .zip(&survey_weights)
            .map(|(it, &sw)| ItemRow {
                e_issue: std::array::from_fn(|k| {
                    table_exp(-(c.issue_base[k] + it.issue[k] as f64))
                }),
                quality: it.quality,
                author: it.author,
                category: it.category,
                log_popularity: it.log_popularity,
                quality_signal: it.quality_signal,
                log_duration: it.log_duration,
                risk_signal: it.risk_signal,
                survey_weight: sw as f32,
            })
            .collect();
        let recall = Alias::new(&recall_weights(s, &pop.items));
        let (user_terms, user_unwilling) = draw_all(pop.users.len() as u32, |i| {
            let u = &pop.users[i as usize];
            (
                u.sensitivity.map(|x| table_exp(-(x as f64))),
                libm::exp(-(u.willingness as f64)),
            )
        })
        .into_iter()
        .unzip();
        Prepared {
            rank_noise: normal_4096().iter().map(|z| (f.noise * z) as f32).collect(),
            user_unwilling,
            submit_terms: submit_terms(s),
            recall,
            rank,
            lanes,
            items,
            user_terms,
            taste_scale: c.taste_weight / libm::sqrt(d as f64),
            like_to_dislike: libm::exp(c.like_threshold - c.dislike_threshold),
            scenario_below: ScenarioThresholds {
                adult_only: below(c.adult_only_share),
                panel: below(s.panel.rate),
                satisfaction: below(s.survey.satisfaction_share),
            },
        }
    }

    /// A recalled video and its ranking noise, from 64 random bits: 48 recall it (see
    /// [`Alias::draw_bits`]), the top 12 pick the noise.
    #[inline]
    pub(crate) fn recall(&self, bits: u64) -> (u32, f32) {
        (
            self.recall.draw_bits(bits),
            self.rank_noise[(bits >> 52) as usize],
        )
    }

    /// A video's exposure row.
    #[inline]
    pub(crate) fn item(&self, item: u32) -> &ItemRow {
        &self.items[item as usize]
    }

    /// A video's ranking row: its topic's first `L` lanes, `L` [`lanes`](Self::lanes) (the
    /// topic zero-padded to a multiple of four), and its feed terms (`popularity_bias *
    /// log_popularity + quality_weight * quality_signal`).
    #[inline(always)]
    pub(crate) fn rank_row<const L: usize>(&self, item: u32) -> (&[f32; L], f32) {
        if L < 16 {
            let line = &self.rank[item as usize].0;
            (line[..L].try_into().expect("L < 16"), line[15])
        } else {
            let i = 2 * item as usize;
            let lines = &self.rank[i..i + 2];
            (lines[0].0[..L].try_into().expect("L = 16"), lines[1].0[15])
        }
    }

    /// The topic length rounded up to a multiple of four.
    pub(crate) fn lanes(&self) -> usize {
        self.lanes
    }

    /// The truths of a user and videos, given the raw taste dot products of their first `d`
    /// dimensions, appended to `out` with their dice's thresholds. Equal [`truth`] to within 1e-6
    /// (tested). Eight videos at a time, lane by lane in `f32`, so the arithmetic runs in vectors
    /// (the products of two table terms stay below e^80, finite).
    pub fn truths(
        &self,
        s: &Scenario,
        user: u32,
        items: &[u32],
        dots: &[f32],
        out: &mut Vec<Odds>,
    ) {
        const W: usize = 8;
        let c = &s.content;
        let tu = &self.user_terms[user as usize];
        let (scale, penalty) = (self.taste_scale as f32, c.issue_penalty as f32);
        let (like_at, like_to_dislike) = (c.like_threshold as f32, self.like_to_dislike as f32);
        for (it, dt) in items.chunks(W).zip(dots.chunks(W)) {
            // Spare lanes compute on zeros and are dropped.
            let mut e = [[0f32; W]; N_ISSUES];
            let (mut quality, mut dot) = ([0f32; W], [0f32; W]);
            for (i, (&item, &d)) in it.iter().zip(dt).enumerate() {
                let row = &self.items[item as usize];
                for k in 0..N_ISSUES {
                    e[k][i] = row.e_issue[k] * tu[k];
                }
                quality[i] = row.quality;
                dot[i] = d;
            }
            let p = e.map(|ek| ek.map(|x| 1.0 / (1.0 + x)));
            let (mut inapp, mut like, mut dislike) = ([0f32; W], [0f32; W], [0f32; W]);
            for i in 0..W {
                let q = |k: usize| 1.0 - p[k][i];
                // P(no content issue), as a tree of products (a short dependency chain).
                let none = ((q(0) * q(1)) * (q(2) * q(3))) * q(4);
                inapp[i] = 1.0 - none;
                let v = scale * dot[i] + quality[i] - penalty * (inapp[i] + p[N_ISSUES - 1][i]);
                // e = exp(like_threshold - v): P(like) = 1 / (1 + e), P(dislike) = 1 / (1 +
                // C / e) = e / (e + C).
                let x = exp_f32(like_at - v);
                like[i] = 1.0 / (1.0 + x);
                dislike[i] = x / (x + like_to_dislike);
            }
            out.extend((0..it.len()).map(|i| Odds {
                p_issue: std::array::from_fn(|k| p[k][i]),
                p_inappropriate: inapp[i],
                p_like: like[i],
                p_dislike: dislike[i],
                issue_dice: std::array::from_fn(|k| p[k][i] * DICE24),
                satisfaction_dice: [like[i] * DICE24, (1.0 - dislike[i]) * DICE24],
            }));
        }
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
    submit_logit_at(&s.willingness, u.willingness as f64, kind, hour as usize)
}

/// Log-odds of submitting a shown survey of `kind` at `hour` for willingness `will` (a user's
/// log-odds for the satisfaction survey), before any answer effect: the survey type's offset and
/// the hour's effect added to it.
pub fn submit_logit_at(w: &WillingnessConfig, will: f64, kind: SurveyKind, hour: usize) -> f64 {
    let offset = if kind == SurveyKind::Inappropriate {
        w.inappropriate_offset
    } else {
        0.0
    };
    will + offset + w.hour_effect[hour]
}

/// P(submit | shown) of a user at an hour, per survey type: `[answer not negative, negative]`.
pub type SubmitProbs = [[f64; 2]; 2];

/// The submit probabilities of a user at an hour, by definition (exact `libm` sigmoids): the
/// reference that [`UserDay::submit_probs`], the fast path, is tested against.
pub fn submit_probs(s: &Scenario, u: &User, hour: u8) -> SubmitProbs {
    let ad = s.willingness.answer_dependence;
    [SurveyKind::Satisfaction, SurveyKind::Inappropriate].map(|k| {
        let b = submit_logit(s, u, k, hour);
        [sigmoid(b), sigmoid(b + ad)]
    })
}

/// `exp(-(offset of the survey type + hour effect + answer effect))`, by hour, type and
/// answer (not negative, negative): with `exp(-willingness)` of a user, `σ(logit) = 1 / (1 +
/// product)`.
fn submit_terms(s: &Scenario) -> [SubmitProbs; HOURS] {
    let w = &s.willingness;
    std::array::from_fn(|h| {
        [0.0, w.inappropriate_offset].map(|offset| {
            [0.0, w.answer_dependence].map(|a| libm::exp(-(offset + w.hour_effect[h] + a)))
        })
    })
}

/// One user's day: what the story of each of its exposures reads, looked up once.
pub struct UserDay<'a> {
    s: &'a Scenario,

    prep: &'a Prepared,
    user_id: u32,
    u: &'a User,
    day: u32,
    exposure_seed: u64,
    churn_seed: u64,
    survey_p: f64,
    below: DayThresholds,
}

/// A user's day's fixed probabilities (behaviour, scaled by engagement) as [`below`] thresholds.
struct DayThresholds {
    /// Like, if liked / otherwise.
    like: [u64; 2],
    share: u64,
    favorite: u64,
    /// Dislike, if disliked / if an issue / otherwise.
    dislike: [u64; 3],
    /// Report, if an issue / otherwise.
    report: [u64; 2],
}

/// The submit probabilities of an hour, and as [`below`] thresholds.
#[derive(Clone, Copy, Debug)]
pub struct HourProbs {
    /// The probabilities.
    pub p: SubmitProbs,
    /// The thresholds.
    pub below: [[u64; 2]; 2],
}

/// The threshold `t` for which a 32-bit uniform `x / 2^32` is below `p` exactly when `x < t`:
/// `ceil(p * 2^32)`, exact in `f64` (a power-of-two scale), 0 for `p <= 0` and `2^32` for
/// `p >= 1`.
#[inline]
pub fn below(p: f64) -> u64 {
    let y = p.clamp(0.0, 1.0) * 4_294_967_296.0;
    let t = y as i64;
    (t + ((t as f64) < y) as i64) as u64
}

/// Every exposure rolls the same dice in the same order, each used or not: ten 64-bit draws,
/// most split into two 32-bit uniforms, the survey's whole (53 bits). A 32-bit uniform `x / 2^32`
/// is below `p` when `x` is below [`below`]`(p)`: the probabilities fixed for the day are compared
/// as integers (resolution 2^-32), no conversion; those of the video's truth take 24 of the 32
/// bits (resolution 2^-24, see [`DICE24`]).
struct Dice {
    sat: u64,
    adult: u64,
    issue: [u64; N_ISSUES],
    like: u64,
    share: u64,
    favorite: u64,
    dislike: u64,
    report: u64,
    kind: u64,
    panel: u64,
    response: u64,
    watch_noise: f64,
    survey: f64,
}

impl Dice {
    #[inline(always)]
    fn roll(rng: &mut Wy) -> Dice {
        let mut halves = || {
            let x = rng.next_u64();
            (x >> 32, x & 0xFFFF_FFFF)
        };
        let (sat, adult) = halves();
        let mut issue = [0u64; N_ISSUES];
        for pair in issue.chunks_exact_mut(2) {
            (pair[0], pair[1]) = halves();
        }
        let (like, share) = halves();
        let (favorite, dislike) = halves();
        let (report, kind) = halves();
        let (panel, response) = halves();
        Dice {
            sat,
            adult,
            issue,
            like,
            share,
            favorite,
            dislike,
            report,
            kind,
            panel,
            response,
            watch_noise: rng.normal_fast(),
            survey: rng.uniform(),
        }
    }
}

/// What a viewer would answer if asked.
struct Latent {
    /// 0 like, 1 neutral, 2 don't like.
    sat: usize,
    satisfaction: Answer,
    inappropriate: Answer,
    /// The reasons they would tick (none without a content issue).
    reasons: u8,
    /// Some content issue perceived.
    issue: bool,
}

/// What a viewer does after an exposure.
struct Acts {
    like: bool,
    share: bool,
    favorite: bool,
    dislike: bool,
    report: bool,
    watch: f64,
}

/// The survey of an exposure and its response.
struct Survey {
    kind: SurveyKind,
    panel: bool,
    submitted: bool,
    answer: Answer,
    reasons: u8,
}

/// The truth of an exposure as the logs' oracle columns carry it.
#[inline(always)]
fn oracle(t: &Odds, probs: &HourProbs, latent: &Latent) -> Oracle {
    let marginal = |p: [f64; 2], p_neg: f64| p_neg * p[1] + (1.0 - p_neg) * p[0];
    Oracle {
        p_like: t.p_like,
        p_neutral: (1.0 - t.p_like - t.p_dislike).max(0.0),
        p_dislike: t.p_dislike,
        p_inappropriate: t.p_inappropriate,
        p_issue: t.p_issue,
        p_submit: [
            marginal(probs.p[0], t.p_dislike as f64) as f32,
            marginal(probs.p[1], t.p_inappropriate as f64) as f32,
        ],
        latent_satisfaction: latent.satisfaction,
        latent_inappropriate: latent.inappropriate,
        latent_reasons: latent.reasons,
    }
}

impl<'a> UserDay<'a> {
    /// The context of `user_id` on `day`.
    pub fn new(
        s: &'a Scenario,
        pop: &'a Population,
        prep: &'a Prepared,
        user_id: u32,
        day: u32,
    ) -> Self {
        let u = &pop.users[user_id as usize];
        UserDay {
            s,
            prep,
            user_id,
            u,
            day,
            exposure_seed: mix(s.seed, STREAM_EXPOSURE + user_id as u64),
            churn_seed: mix(s.seed, STREAM_CHURN + user_id as u64),
            survey_p: survey_probability(s, u),
            below: {
                let (b, e) = (&s.behaviour, u.engagement as f64);
                let chance = |p: f64| below((e * p).min(1.0));
                DayThresholds {
                    like: [chance(b.like_if_liked), chance(b.like_otherwise)],
                    share: chance(b.share_if_liked),
                    favorite: chance(b.favorite_if_liked),
                    dislike: [
                        chance(b.dislike_if_disliked),
                        chance(b.dislike_if_issue),
                        chance(b.dislike_otherwise),
                    ],
                    report: [chance(b.report_if_issue), chance(b.report_otherwise)],
                }
            },
        }
    }

    /// P(submit | shown) at an hour: [`submit_probs`] from the tables, no `exp`.
    #[inline]
    pub fn submit_probs(&self, hour: u8) -> SubmitProbs {
        let e = self.prep.user_unwilling[self.user_id as usize];
        self.prep.submit_terms[hour as usize].map(|kind| kind.map(|t| 1.0 / (1.0 + e * t)))
    }

    /// The truths of this user and videos, given the dot products of the user's taste and the
    /// videos' topics (ranking computed them already), appended to `out`.
    #[inline]
    pub fn truths(&self, items: &[u32], dots: &[f32], out: &mut Vec<Odds>) {
        self.prep.truths(self.s, self.user_id, items, dots, out)
    }

    /// [`submit_probs`](Self::submit_probs) with their [`below`] thresholds, for
    /// [`expose`](Self::expose).
    #[inline]
    pub fn hour_probs(&self, hour: u8) -> HourProbs {
        let p = self.submit_probs(hour);
        HourProbs {
            p,
            below: p.map(|kind| kind.map(below)),
        }
    }

    /// Everything about one exposure, in the story's order, given its truth: the dice, what the
    /// viewer would answer, what they do, the survey and its response, and the record.
    #[inline(always)]
    pub fn expose(
        &self,
        st: &mut UserState,
        item_id: u32,
        t: &Odds,
        (request, slot, hour): (u32, u8, u8),
        probs: &HourProbs,
    ) -> ExposureRecord {
        let key = ((self.day as u64) << 40) | ((request as u64) << 26) | item_id as u64;
        let dice = Dice::roll(&mut Wy::new(self.exposure_seed, key));
        let latent = self.latent(t, &dice);
        let acts = self.behave(&latent, &dice);
        let history = st.submits;
        let survey = self.survey(st, item_id, &latent, &dice, probs);
        let exposure_id = ((self.user_id as u64) << 24) | st.exposures as u64;
        st.exposures += 1;
        let (u, it) = (self.u, self.prep.item(item_id));
        ExposureRecord {
            exposure_id,
            day: self.day,
            request,
            slot,
            hour,
            user_id: self.user_id,
            item_id,
            author_id: it.author,
            user_age: u.age,
            user_activity: u.activity_obs,
            user_history_submits: history,
            user_profile: u.profile,
            item_category: it.category,
            item_log_popularity: it.log_popularity,
            item_quality_signal: it.quality_signal,
            item_log_duration: it.log_duration,
            item_risk_signal: it.risk_signal,
            like: acts.like,
            share: acts.share,
            favorite: acts.favorite,
            dislike: acts.dislike,
            report: acts.report,
            skip: acts.watch < 0.2,
            watch_fraction: acts.watch as f32,
            survey: survey.kind,
            panel: survey.panel,
            submitted: survey.submitted,
            answer: survey.answer,
            reasons: survey.reasons,
            oracle: Some(oracle(t, probs, &latent)),
        }
    }

    /// What this viewer would answer if asked, from the video's dice against its truth.
    #[inline(always)]
    fn latent(&self, t: &Odds, dice: &Dice) -> Latent {
        const SATISFACTION: [Answer; 3] = [Answer::Like, Answer::Neutral, Answer::Dislike];
        // The video's dice take 24 of their 32 bits, in `f32` against the truth (see [`DICE24`]).
        let u24 = |x: u64| (x >> 8) as u32 as f32;
        let r_sat = u24(dice.sat);
        let sat =
            (r_sat >= t.satisfaction_dice[0]) as usize + (r_sat >= t.satisfaction_dice[1]) as usize;
        let mut reasons = 0u8;
        for (k, (&r, p)) in dice.issue.iter().zip(t.issue_dice).enumerate() {
            reasons |= ((u24(r) < p) as u8) << k;
        }
        let content = reasons & ((1 << N_CONTENT_ISSUES) - 1);
        let adult_kinds = (1 << 0) | (1 << 3); // sexual, violent
        let inappropriate = if content == 0 {
            Answer::Suitable
        } else if content & !adult_kinds == 0 && dice.adult < self.prep.scenario_below.adult_only {
            Answer::AdultOnly
        } else {
            Answer::NotSuitable
        };
        Latent {
            sat,
            satisfaction: SATISFACTION[sat],
            inappropriate,
            reasons: if content == 0 { 0 } else { reasons },
            issue: content != 0,
        }
    }

    /// The buttons pressed and the share watched, conditional on the latent answers.
    #[inline(always)]
    fn behave(&self, latent: &Latent, dice: &Dice) -> Acts {
        let w = &self.below;
        let (sat, issue) = (latent.sat, latent.issue);
        let liked = sat == 0;
        let disliked = sat == 2;
        let pick = |c: bool, yes: u64, no: u64| std::hint::select_unpredictable(c, yes, no);
        const BASE_WATCH: [f64; 3] = [0.75, 0.5, 0.25];
        let penalty = std::hint::select_unpredictable(issue, 0.25, 0.0);
        Acts {
            like: dice.like < pick(liked, w.like[0], w.like[1]),
            share: liked & (dice.share < w.share),
            favorite: liked & (dice.favorite < w.favorite),
            dislike: dice.dislike
                < pick(
                    disliked,
                    w.dislike[0],
                    pick(issue, w.dislike[1], w.dislike[2]),
                ),
            report: dice.report < pick(issue, w.report[0], w.report[1]),
            watch: (BASE_WATCH[sat] + 0.15 * dice.watch_noise - penalty).clamp(0.0, 1.0),
        }
    }

    /// The survey this exposure gets, if any, and the response. The policy looks at the video
    /// only through its targeting tilt; the response, at the latent answer only through the
    /// answer dependence in `probs`.
    #[inline(always)]
    fn survey(
        &self,
        st: &mut UserState,
        item_id: u32,
        latent: &Latent,
        dice: &Dice,
        probs: &HourProbs,
    ) -> Survey {
        let it = self.prep.item(item_id);
        let regular = st.surveys_today < self.s.survey.cap_per_day
            && dice.survey < self.survey_p * it.survey_weight as f64;
        let fixed = &self.prep.scenario_below;
        let panel = !regular && dice.panel < fixed.panel;
        let kind_draw = dice.kind < fixed.satisfaction;
        let mut out = Survey {
            kind: SurveyKind::None,
            panel,
            submitted: false,
            answer: Answer::None,
            reasons: 0,
        };
        if regular || panel {
            out.kind = if kind_draw {
                SurveyKind::Satisfaction
            } else {
                SurveyKind::Inappropriate
            };
            let answer = if kind_draw {
                latent.satisfaction
            } else {
                latent.inappropriate
            };
            let p = probs.below[if kind_draw { 0 } else { 1 }][answer.is_negative() as usize];
            out.submitted = panel || dice.response < p;
            if regular {
                st.surveys_today += 1;
            }
            if out.submitted {
                out.answer = answer;
                if !kind_draw {
                    out.reasons = latent.reasons;
                }
                if !panel {
                    st.submits += 1;
                }
            }
        }
        out
    }

    /// At the end of a day with `bad` bad experiences among `exposures`: does the user leave?
    /// Common random numbers per (user, day).
    pub fn leaves(&self, bad: usize, exposures: usize) -> bool {
        let r = &self.s.retention;
        let share = if exposures == 0 {
            0.0
        } else {
            bad as f64 / exposures as f64
        };
        let p = r.daily_leave + r.leave_per_bad_share * share;
        Wy::new(self.churn_seed, self.day as u64).uniform() < p
    }
}

/// Whether an exposure was a bad experience (disliked, or a content issue perceived). `|`, not
/// `||`: no branch on an unpredictable outcome.
#[inline]
pub fn is_bad(rec: &ExposureRecord) -> bool {
    rec.oracle.is_some_and(|o| {
        (o.latent_satisfaction == Answer::Dislike) | (o.latent_inappropriate != Answer::Suitable)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_is_exact() {
        // `x < below(p)` exactly when the uniform `x / 2^32` is below `p`, around the threshold.
        let two32 = 4_294_967_296.0;
        let mut rng = usm_core::rng::Rng::new(4, 4);
        let mut ps = vec![
            -0.2,
            0.0,
            1e-300,
            1e-12,
            0.1,
            0.5,
            1.0 / 3.0,
            0.999_999,
            1.0,
            1.5,
        ];
        ps.extend((0..10_000).map(|i| rng.uniform().powi(1 + i % 30)));
        for p in ps {
            let t = below(p);
            assert!(t <= 1 << 32, "{p}");
            for x in t.saturating_sub(2)..(t + 2).min(1 << 32) {
                assert_eq!((x as f64 / two32) < p, x < t, "p {p} x {x} t {t}");
            }
        }
        assert_eq!((below(0.0), below(1.0)), (0, 1 << 32));
    }

    #[test]
    fn dice24_keep_the_probability() {
        // How many of the 2^24 values of a 24-bit uniform fall below `p * 2^24`.
        let count = |p: f32| (0..1u32 << 24).filter(|&u| (u as f32) < p * DICE24).count();
        assert_eq!(count(0.0), 0);
        assert_eq!(count(1.0), 1 << 24);
        assert_eq!(count(0.25), 1 << 22);
        let mut rng = usm_core::rng::Rng::new(3, 3);
        for _ in 0..20 {
            let p = (rng.uniform() as f32).powi(1 + rng.below(20) as i32);
            let q = count(p) as f64 / DICE24 as f64;
            assert!(
                q >= p as f64 && q - (p as f64) <= 1.0 / DICE24 as f64,
                "{p} {q}"
            );
        }
    }

    #[test]
    fn tabulated_truth_is_the_definition() {
        let mut s = Scenario::preset("paper").unwrap();
        s.population.users = 300;
        s.population.items = 200;
        s.population.authors = 40;
        s.content.issue_base[2] = 3.0; // a common issue too, far from the rare regime
        s.willingness.answer_dependence = 1.5;
        let s = s.check().unwrap();
        let pop = Population::draw(&s);
        let prep = Prepared::new(&s, &pop);
        let d = s.population.taste_dim;
        let mut worst = 0f64;
        let mut got = Vec::new();
        for (ui, u) in pop.users.iter().enumerate() {
            // 29 videos: three full runs of eight lanes and a short one.
            let items: Vec<u32> = (0..pop.items.len() as u32).step_by(7).collect();
            let dots: Vec<f32> = items
                .iter()
                .map(|&i| dot(d, &u.taste, &pop.items[i as usize].topic))
                .collect();
            got.clear();
            prep.truths(&s, ui as u32, &items, &dots, &mut got);
            assert_eq!(got.len(), items.len());
            for (&ii, got) in items.iter().zip(&got) {
                let want = truth(&s, u, &pop.items[ii as usize]);
                let pairs = [
                    (got.p_like, want.p_like),
                    (got.p_dislike, want.p_dislike),
                    (got.p_inappropriate, want.p_inappropriate),
                ];
                for (g, w) in pairs
                    .into_iter()
                    .chain(got.p_issue.into_iter().zip(want.p_issue))
                {
                    worst = worst.max((g as f64 - w).abs());
                }
                // The dice's thresholds are those of the probabilities.
                assert_eq!(got.issue_dice, got.p_issue.map(|p| p * DICE24));
                let sat = [got.p_like * DICE24, (1.0 - got.p_dislike) * DICE24];
                assert_eq!(got.satisfaction_dice, sat);
            }
        }
        assert!(worst < 1e-6, "{worst}");
        let mut worst = 0f64;
        for (ui, u) in pop.users.iter().enumerate() {
            let ud = UserDay::new(&s, &pop, &prep, ui as u32, 0);
            for hour in 0..HOURS as u8 {
                let (got, want) = (ud.submit_probs(hour), submit_probs(&s, u, hour));
                for (g, w) in got.as_flattened().iter().zip(want.as_flattened()) {
                    worst = worst.max((g - w).abs());
                }
            }
        }
        assert!(worst < 1e-12, "{worst}");
    }
}
