//! The candidates Eq. 3 ranks and the feed leaves unshown, for evaluation: for each request of the
//! evaluation users, a fresh draw of the feed's recall, ranked as the feed ranks, minus its top k
//! and the videos the user saw that day ([`crate::runner::unshown_candidates`]). Each becomes a
//! row with the request's user and context and the video's features, and the truth of the pair
//! in its oracle; no behaviour, no survey.

use std::collections::BTreeMap;

use usm_core::rng::mix;

use super::world::SimWorld;
use crate::population::truth;
use crate::records::{Answer, ExposureRecord, Oracle, SurveyKind};
use crate::runner::unshown_candidates;
use crate::story::Prepared;

/// Up to `per_request` unshown candidates for each request among `exposures` (every exposure
/// of some users over some days, in the order the run wrote them).
pub fn unshown(
    world: &SimWorld,
    exposures: &[&ExposureRecord],
    per_request: usize,
) -> Vec<ExposureRecord> {
    if per_request == 0 || exposures.is_empty() {
        return Vec::new();
    }
    let (s, pop) = (&world.scenario, &world.pop);
    let prep = Prepared::new(s, pop);
    let mut days: BTreeMap<(u32, u32), Vec<&ExposureRecord>> = BTreeMap::new();
    for r in exposures {
        days.entry((r.user_id, r.day)).or_default().push(r);
    }
    let mut out = Vec::new();
    for ((user, day), rows) in days {
        let today: Vec<u32> = rows.iter().map(|r| r.item_id).collect();
        let mut requests: BTreeMap<u32, &ExposureRecord> = BTreeMap::new();
        for r in &rows {
            requests.entry(r.request).or_insert(r);
        }
        for (request, template) in requests {
            let key = ((user as u64) << 32) | ((day as u64) << 12) | request as u64;
            let seed = mix(s.seed ^ 0xCA5D_1DA7, key);
            let u = &pop.users[user as usize];
            for item in unshown_candidates(s, pop, &prep, user, seed, (&today, per_request)) {
                let it = &pop.items[item as usize];
                let t = truth(s, u, it);
                out.push(ExposureRecord {
                    exposure_id: 0,
                    item_id: item,
                    author_id: it.author,
                    item_category: it.category,
                    item_log_popularity: it.log_popularity,
                    item_quality_signal: it.quality_signal,
                    item_log_duration: it.log_duration,
                    item_risk_signal: it.risk_signal,
                    like: false,
                    share: false,
                    favorite: false,
                    dislike: false,
                    report: false,
                    skip: false,
                    watch_fraction: 0.0,
                    survey: SurveyKind::None,
                    panel: false,
                    submitted: false,
                    answer: Answer::None,
                    reasons: 0,
                    oracle: Some(Oracle {
                        p_like: t.p_like as f32,
                        p_neutral: (1.0 - t.p_like - t.p_dislike).max(0.0) as f32,
                        p_dislike: t.p_dislike as f32,
                        p_inappropriate: t.p_inappropriate as f32,
                        p_issue: t.p_issue.map(|p| p as f32),
                        ..Oracle::default()
                    }),
                    ..template.clone()
                });
            }
        }
    }
    out
}
