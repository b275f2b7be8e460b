//! Counts over a run and the one-screen summary `usm simulate` prints.

use serde::{Deserialize, Serialize};

use crate::heads::HeadDef;
use crate::records::{Answer, ExposureRecord, SurveyKind};
use crate::story::{UserState, is_bad};

/// Totals over a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Users in the population.
    pub users: u64,
    /// Users still active at the end.
    pub users_active_end: u64,
    /// Feed requests.
    pub requests: u64,
    /// Exposures.
    pub exposures: u64,
    /// Regular survey shows: satisfaction, inappropriate.
    pub shows: [u64; 2],
    /// Regular survey submits: satisfaction, inappropriate.
    pub submits: [u64; 2],
    /// Panel shows (always answered).
    pub panel_shows: u64,
    /// Submitted "don't like" answers.
    pub answers_dislike: u64,
    /// Submitted "only 18+" or "not suitable" answers.
    pub answers_inappropriate: u64,
    /// Submitted answers with the sexual reason.
    pub answers_sexual: u64,
    /// Satisfaction shows whose latent answer is "don't like".
    pub shown_latent_dislike: u64,
    /// Inappropriate shows whose latent answer is inappropriate.
    pub shown_latent_inappropriate: u64,
    /// Inappropriate shows whose latent reasons include sexual.
    pub shown_latent_sexual: u64,
    /// Sum over exposures of the true P(don't like).
    pub sum_p_dislike: f64,
    /// Sum over exposures of the true P(inappropriate).
    pub sum_p_inappropriate: f64,
    /// Sum over exposures of the true P(sexual).
    pub sum_p_sexual: f64,
    /// Likes, shares, favourites, dislikes, reports, skips.
    pub behaviour: [u64; 6],
    /// Bad experiences (latent dislike or content issue).
    pub bad_exposures: u64,
    /// The most shown video's share of all exposures.
    #[serde(default)]
    pub top_video_share: f64,
    /// The effective number of distinct videos shown: `1 / sum of squared shares` (the number
    /// of equally shown videos with the same concentration).
    #[serde(default)]
    pub effective_videos: f64,
    /// Videos in the catalogue.
    #[serde(default)]
    pub videos: u64,
    /// Per user: still active at the end.
    #[serde(skip)]
    pub retained: Vec<bool>,
    /// Exposures per video.
    #[serde(skip)]
    pub item_exposures: Vec<u64>,
}

/// One survey head's counts over a run: the truth against what its surveys saw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadCounts {
    /// `dislike`, `inappropriate` or `sexual`.
    pub name: &'static str,
    /// Mean true probability over all exposures (0 without exposures).
    pub truth: f64,
    /// Shows of the head's survey whose latent answer is the issue.
    pub shown_latent: u64,
    /// Shows of the head's survey.
    pub shows: u64,
    /// Submitted answers naming the issue.
    pub answers: u64,
    /// Submits of the head's survey.
    pub submits: u64,
}

impl RunStats {
    /// Per survey head (dislike, inappropriate, sexual): which counters belong to it.
    pub fn heads(&self) -> [HeadCounts; 3] {
        let n = self.exposures.max(1) as f64;
        [
            HeadCounts {
                name: "dislike",
                truth: self.sum_p_dislike / n,
                shown_latent: self.shown_latent_dislike,
                shows: self.shows[0],
                answers: self.answers_dislike,
                submits: self.submits[0],
            },
            HeadCounts {
                name: "inappropriate",
                truth: self.sum_p_inappropriate / n,
                shown_latent: self.shown_latent_inappropriate,
                shows: self.shows[1],
                answers: self.answers_inappropriate,
                submits: self.submits[1],
            },
            HeadCounts {
                name: HeadDef::SEXUAL.name(),
                truth: self.sum_p_sexual / n,
                shown_latent: self.shown_latent_sexual,
                shows: self.shows[1],
                answers: self.answers_sexual,
                submits: self.submits[1],
            },
        ]
    }

    /// Empty totals for a population.
    pub fn new(users: usize) -> RunStats {
        RunStats {
            users: users as u64,
            ..RunStats::default()
        }
    }

    /// Adds a block of exposures.
    pub fn add(&mut self, block: &[ExposureRecord]) {
        for e in block {
            self.add_times(e, 1);
        }
    }

    /// Adds `n` exposures like `e` (an engine's scan hands over counts of alike rows).
    pub fn add_times(&mut self, e: &ExposureRecord, n: u64) {
        self.exposures += n;
        let i = e.item_id as usize;
        if i >= self.item_exposures.len() {
            self.item_exposures.resize(i + 1, 0);
        }
        self.item_exposures[i] += n;
        self.requests += n * (e.slot == 0) as u64;
        for (k, b) in [e.like, e.share, e.favorite, e.dislike, e.report, e.skip]
            .into_iter()
            .enumerate()
        {
            self.behaviour[k] += n * b as u64;
        }
        if let Some(o) = e.oracle {
            let w = n as f64;
            self.sum_p_dislike += w * o.p_dislike as f64;
            self.sum_p_inappropriate += w * o.p_inappropriate as f64;
            self.sum_p_sexual += w * HeadDef::SEXUAL.truth(&o) as f64;
            self.bad_exposures += n * is_bad(e) as u64;
            if e.survey != SurveyKind::None && !e.panel {
                match e.survey {
                    SurveyKind::Satisfaction => {
                        self.shown_latent_dislike +=
                            n * (o.latent_satisfaction == Answer::Dislike) as u64
                    }
                    _ => {
                        self.shown_latent_inappropriate +=
                            n * (o.latent_inappropriate != Answer::Suitable) as u64;
                        self.shown_latent_sexual += n * HeadDef::SEXUAL.latent(&o) as u64;
                    }
                }
            }
        }
        if e.panel {
            self.panel_shows += n;
            return;
        }
        let k = match e.survey {
            SurveyKind::None => return,
            SurveyKind::Satisfaction => 0,
            SurveyKind::Inappropriate => 1,
        };
        self.shows[k] += n;
        if e.submitted {
            self.submits[k] += n;
            self.answers_dislike += n * (e.answer == Answer::Dislike) as u64;
            self.answers_inappropriate +=
                n * matches!(e.answer, Answer::AdultOnly | Answer::NotSuitable) as u64;
            self.answers_sexual += n * HeadDef::SEXUAL.label(e.answer, e.reasons) as u64;
        }
    }

    /// Adds another block's counts (`users` and `retained` stay).
    pub fn merge(&mut self, o: &RunStats) {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        self.requests += o.requests;
        self.exposures += o.exposures;
        add(&mut self.shows, &o.shows);
        add(&mut self.submits, &o.submits);
        self.panel_shows += o.panel_shows;
        self.answers_dislike += o.answers_dislike;
        self.answers_inappropriate += o.answers_inappropriate;
        self.answers_sexual += o.answers_sexual;
        self.shown_latent_dislike += o.shown_latent_dislike;
        self.shown_latent_inappropriate += o.shown_latent_inappropriate;
        self.shown_latent_sexual += o.shown_latent_sexual;
        self.sum_p_dislike += o.sum_p_dislike;
        self.sum_p_inappropriate += o.sum_p_inappropriate;
        self.sum_p_sexual += o.sum_p_sexual;
        add(&mut self.behaviour, &o.behaviour);
        self.bad_exposures += o.bad_exposures;
        if o.item_exposures.len() > self.item_exposures.len() {
            self.item_exposures.resize(o.item_exposures.len(), 0);
        }
        add(&mut self.item_exposures, &o.item_exposures);
    }

    /// Records the end state of the users and how concentrated the feed was over `videos`.
    pub fn finish(&mut self, states: &[UserState], videos: usize) {
        self.retained = states.iter().map(|s| s.active).collect();
        self.users_active_end = self.retained.iter().filter(|&&a| a).count() as u64;
        self.videos = videos as u64;
        let n = self.exposures.max(1) as f64;
        let top = self.item_exposures.iter().copied().max().unwrap_or(0);
        self.top_video_share = top as f64 / n;
        let squares: f64 = self
            .item_exposures
            .iter()
            .map(|&c| (c as f64 / n).powi(2))
            .sum();
        self.effective_videos = if squares > 0.0 { 1.0 / squares } else { 0.0 };
    }

    /// The one-screen summary.
    pub fn summary(&self) -> String {
        let ratio = |a: u64, b: u64| {
            if b == 0 {
                f64::NAN
            } else {
                a as f64 / b as f64
            }
        };
        let pct = |x: f64| {
            if x.is_nan() {
                "     n/a".to_string()
            } else {
                format!("{:7.3}%", 100.0 * x)
            }
        };
        let n = self.exposures.max(1) as f64;
        let mut s = String::new();
        s += &format!(
            "exposures {:>12}   requests {:>10}   users {} ({} still active at the end)\n",
            self.exposures, self.requests, self.users, self.users_active_end
        );
        let shows = self.shows[0] + self.shows[1];
        let submits = self.submits[0] + self.submits[1];
        s += &format!(
            "survey shows {:>9} ({:.2e} of exposures)   submits {:>8} (answer rate {})   panel shows {}\n",
            shows,
            ratio(shows, self.exposures),
            submits,
            pct(ratio(submits, shows)).trim(),
            self.panel_shows
        );
        s += &format!(
            "  satisfaction: {} shows, answer rate {}   inappropriate: {} shows, answer rate {}\n\n",
            self.shows[0],
            pct(ratio(self.submits[0], self.shows[0])).trim(),
            self.shows[1],
            pct(ratio(self.submits[1], self.shows[1])).trim()
        );
        s += "issue          true (all exposures)   true (shown)   observed (submits, Eq. 2)\n";
        for h in self.heads() {
            s += &format!(
                "{:<14} {:>20}   {:>12}   {:>12}\n",
                h.name,
                pct(h.truth),
                pct(ratio(h.shown_latent, h.shows)),
                pct(ratio(h.answers, h.submits))
            );
        }
        s += &format!(
            "\nfeed: the most shown video has {} of exposures; effective number of distinct videos {:.0} of {}\n",
            pct(self.top_video_share).trim(),
            self.effective_videos,
            self.videos
        );
        let b = &self.behaviour;
        s += &format!(
            "\nbehaviour per exposure: like {}  share {}  favourite {}  dislike {}  report {}  skip {}\n",
            pct(b[0] as f64 / n).trim(),
            pct(b[1] as f64 / n).trim(),
            pct(b[2] as f64 / n).trim(),
            pct(b[3] as f64 / n).trim(),
            pct(b[4] as f64 / n).trim(),
            pct(b[5] as f64 / n).trim()
        );
        s
    }
}
