//! The simulator's regimes, pinned on small seeded scenarios, without training a model: who
//! answers visible or hidden in the logs (`willingness.observed`), and a plausible feed.

use usm_sim::experiment::ceiling::Ceiling;
use usm_sim::experiment::stats::mean_ci;
use usm_sim::heads::HeadDef;
use usm_sim::prelude::*;

use crate::common::{mean_truth, shows_of, simulate, small};

/// Per seed: Eq. 13 with the ceiling propensity, and with none (Eq. 2), minus the true rate
/// over the survey shows of `h`.
fn errors(
    preset: &str,
    sets: &[&str],
    h: HeadDef,
    seeds: u64,
) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let (mut eq13, mut naive) = (Vec::new(), Vec::new());
    for seed in 1..=seeds {
        let s = small(preset, sets).with(|s| s.seed = seed).unwrap();
        let pop = Population::draw(&s);
        let (rows, _) = simulate(&s, RunOptions::default());
        let ceiling = Ceiling::new(&s);
        let shows = shows_of(&rows, &h);
        let truth = mean_truth(&shows, &h);
        let (mut num, mut den, mut pos, mut subs) = (0.0, 0.0, 0.0, 0.0);
        for r in shows.iter().filter(|r| r.submitted) {
            let days = s.survey.tenure_days + r.day as f64;
            let post =
                ceiling.posterior(&pop.users[r.user_id as usize], r.user_history_submits, days);
            let w = 1.0 / ceiling.propensity(&post, r.survey, r.hour);
            let y = h.label(r.answer, r.reasons) as u8 as f64;
            (num, den, pos, subs) = (num + w * y, den + w, pos + y, subs + 1.0);
        }
        eq13.push(Some(num / den - truth));
        naive.push(Some(pos / subs - truth));
    }
    (eq13, naive)
}

/// Willingness strongly tied to sensitivity, with little survey history to learn it from.
const TIED: [&str; 7] = [
    "population.users=20000",
    "population.days=4",
    "survey.rate=0.03",
    "survey.cap_per_day=3",
    "survey.tenure_days=5",
    "willingness.corr_sensitivity=0.9",
    "willingness.corr_activity=0",
];

#[test]
fn with_willingness_in_the_logs_eq13_on_the_ceiling_lands_on_the_truth() {
    let mut sets = TIED.to_vec();
    sets.push("willingness.observed=1");
    let (eq13, naive) = errors("strong-response-bias", &sets, HeadDef::Dislike, 4);
    let (m, ci) = mean_ci(&eq13);
    let [lo, hi] = ci.unwrap();
    eprintln!(
        "observed = 1: Eq. 13 - truth {m:?} [{lo}, {hi}], per seed {eq13:?}; naive - truth {naive:?}"
    );
    assert!(
        lo <= 0.0 && 0.0 <= hi,
        "Eq. 13 off the truth by {m:?} [{lo}, {hi}]"
    );
    let (n, _) = mean_ci(&naive);
    let n = n.unwrap();
    assert!(n > 0.01, "the naive rate should be biased upward here: {n}");
    // The interval is informative: narrower than the naive bias it rules out.
    assert!(
        hi - lo < n,
        "interval [{lo}, {hi}] against a naive bias of {n}"
    );
}

#[test]
fn with_willingness_hidden_eq13_on_the_ceiling_stops_short() {
    let mut sets = TIED.to_vec();
    sets.push("willingness.observed=0");
    let (eq13, naive) = errors("strong-response-bias", &sets, HeadDef::Dislike, 4);
    let (m, ci) = mean_ci(&eq13);
    let [lo, hi] = ci.unwrap();
    eprintln!(
        "observed = 0: Eq. 13 - truth {m:?} [{lo}, {hi}], per seed {eq13:?}; naive - truth {naive:?}"
    );
    assert!(
        lo > 0.0,
        "Eq. 13 should stay above the truth: {m:?}, interval from {lo}"
    );
    let (n, _) = mean_ci(&naive);
    assert!(
        m.unwrap() < n.unwrap(),
        "but it still moves toward it: {m:?} vs naive {n:?}"
    );
}

#[test]
fn the_feed_spreads_over_a_realistic_share_of_the_catalogue() {
    let s = small(
        "experiment",
        &["population.users=5000", "population.days=3"],
    );
    let (rows, stats) = simulate(&s, RunOptions::default());
    // No video twice in a user's day.
    let mut seen = std::collections::HashSet::new();
    for r in &rows {
        assert!(
            seen.insert((r.user_id, r.day, r.item_id)),
            "user {} saw video {} twice on day {}",
            r.user_id,
            r.item_id,
            r.day
        );
    }
    assert!(
        stats.effective_videos > 0.1 * stats.videos as f64,
        "effective videos {:.0} of {}",
        stats.effective_videos,
        stats.videos
    );
    assert!(
        stats.top_video_share < 0.02,
        "top video {}",
        stats.top_video_share
    );
}

#[test]
fn churn_is_a_daily_hazard_that_follows_the_share_of_bad_experiences() {
    // Leaving depends on how bad the day was, not on how much was watched: heavy and light
    // users leave at comparable rates.
    let s = small(
        "experiment",
        &[
            "population.users=20000",
            "population.days=6",
            "retention.daily_leave=0.05",
        ],
    );
    let pop = Population::draw(&s);
    let (_, stats) = simulate(&s, RunOptions::default());
    let mut by_activity: Vec<(f32, bool)> = pop
        .users
        .iter()
        .zip(&stats.retained)
        .map(|(u, &kept)| (u.activity, kept))
        .collect();
    by_activity.sort_by(|a, b| a.0.total_cmp(&b.0));
    let q = by_activity.len() / 4;
    let gone =
        |part: &[(f32, bool)]| part.iter().filter(|x| !x.1).count() as f64 / part.len() as f64;
    let (light, heavy) = (gone(&by_activity[..q]), gone(&by_activity[3 * q..]));
    assert!(light > 0.1 && heavy > 0.1, "light {light}, heavy {heavy}");
    assert!(
        heavy / light < 1.5,
        "heavy users leave {} times as often",
        heavy / light
    );
}

/// Mean true probability of `h` over the survey shows, and over every exposure.
fn shown_and_all(rows: &[ExposureRecord], h: HeadDef) -> (f64, f64) {
    let all: Vec<&ExposureRecord> = rows.iter().collect();
    (mean_truth(&shows_of(rows, &h), &h), mean_truth(&all, &h))
}

#[test]
fn targeted_surveys_ask_a_slice_unlike_the_feed() {
    let sets = [
        "population.users=20000",
        "population.days=3",
        "survey.rate=0.03",
    ];
    let (rows, _) = simulate(&small("targeted-surveys", &sets), RunOptions::default());
    let (shown, all) = shown_and_all(&rows, HeadDef::Inappropriate);
    assert!(
        shown > 1.3 * all,
        "surveyed {shown} against the feed's {all}"
    );
    // Uniform surveys ask a slice like the feed.
    let (rows, _) = simulate(&small("experiment", &sets), RunOptions::default());
    let (shown, all) = shown_and_all(&rows, HeadDef::Inappropriate);
    assert!(
        (shown / all - 1.0).abs() < 0.1,
        "surveyed {shown} against the feed's {all}"
    );
}
