//! The runner: repeats the story over days and users, in blocks of users so memory stays bounded,
//! and hands each block's exposures to a [`Sink`].
//!
//! Per day and block: (1) plan each user's requests and recalled candidates, (2) let an optional
//! [`RankHook`] add a score to every candidate in one batch (a model steering the feed, Eq. 3),
//! (3) rank, expose and draw outcomes user by user. Every draw comes from a stream keyed by
//! `(seed, user, day, request, ...)`, so results do not depend on threads or block size, and two
//! arms of an A/B test see the same candidates and the same dice (common random numbers).

use usm_core::rng::{Rng, mix};

use crate::dist::poisson;
use crate::error::Result;
use crate::population::Population;
use crate::records::ExposureRecord;
use crate::scenario::{HOURS, Scenario};
use crate::story::{STREAM_PLAN, UserState, dot, expose, is_bad, leaves, submit_probs};
use crate::summary::RunStats;

/// A candidate the hook is asked to score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// User id.
    pub user: u32,
    /// Video id.
    pub item: u32,
    /// Hour bucket of the request.
    pub hour: u8,
}

/// Extra ranking scores for candidates, added to the feed's own score (Eq. 3's
/// `sum w_i p(survey_i)`).
pub trait RankHook: Sync {
    /// One score per candidate, in order.
    fn scores(&self, pop: &Population, rows: &[Candidate]) -> Result<Vec<f32>>;
}

/// Receives exposures block by block (one user's day at a time), in a fixed order: day, then
/// user, then request, then slot.
pub trait Sink {
    /// Takes one block.
    fn write(&mut self, block: &[ExposureRecord]) -> Result<()>;
}

impl<F: FnMut(&[ExposureRecord]) -> Result<()>> Sink for F {
    fn write(&mut self, block: &[ExposureRecord]) -> Result<()> {
        self(block)
    }
}

/// Progress of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunProgress {
    /// Current day, from 0.
    pub day: u32,
    /// Days in the run.
    pub days: u32,
    /// Users done today.
    pub users_done: u32,
    /// Users in all.
    pub users: u32,
    /// Exposures so far.
    pub exposures: u64,
}

/// Options that change speed, never results.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Users per block.
    pub block_users: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            block_users: 16_384,
        }
    }
}

struct DayPlan {
    hours: Vec<u8>,
    items: Vec<u32>,
    scores: Vec<f32>,
}

fn plan_user(s: &Scenario, pop: &Population, user: u32, day: u32) -> DayPlan {
    let u = &pop.users[user as usize];
    let f = &s.feed;
    let mut rng = Rng::new(mix(s.seed, STREAM_PLAN + user as u64), day as u64);
    let n = poisson(&mut rng, u.activity as f64) as usize;
    let c = f.candidates;
    let mut plan = DayPlan {
        hours: Vec::with_capacity(n),
        items: Vec::with_capacity(n * c),
        scores: Vec::with_capacity(n * c),
    };
    let n_items = pop.items.len() as u64;
    let d = s.population.taste_dim;
    // `story::taste_match` on the packed arrays.
    let inv_sqrt_d = 1.0 / libm::sqrt(d as f64);
    for _ in 0..n {
        plan.hours.push(rng.below(HOURS as u64) as u8);
        let explore = (f.explore * 65_536.0) as u64;
        for _ in 0..c {
            // One draw: 16 bits decide explore or popularity, 48 pick the item.
            let bits = rng.next_u64();
            let item = if bits >> 48 < explore {
                (((bits & 0xFFFF_FFFF) * n_items) >> 32) as u32
            } else {
                pop.popularity.draw_bits(bits)
            };
            let it = &pop.rank_items[item as usize];
            let score = f.personalization * (dot(d, &u.taste, &it.topic) as f64 * inv_sqrt_d)
                + f.popularity_bias * it.log_popularity as f64
                + f.quality_weight * it.quality_signal as f64
                + f.noise * rng.normal_fast();
            plan.items.push(item);
            plan.scores.push(score as f32);
        }
    }
    plan
}

/// Top-k distinct items by score, best first.
fn top_k(items: &[u32], scores: &[f32], k: usize, out: &mut Vec<(f32, u32)>) {
    out.clear();
    for (&item, &score) in items.iter().zip(scores) {
        // Most candidates fall below the current k-th score: test that before the duplicates.
        let full = out.len() == k;
        if full && score <= out[k - 1].0 {
            continue;
        }
        if out.iter().any(|&(_, i)| i == item) {
            continue;
        }
        if full {
            out[k - 1] = (score, item);
        } else {
            out.push((score, item));
        }
        let mut j = out.len() - 1;
        while j > 0 && out[j].0 > out[j - 1].0 {
            out.swap(j, j - 1);
            j -= 1;
        }
    }
}

fn run_user_day(
    s: &Scenario,
    pop: &Population,
    user: u32,
    day: u32,
    st: &mut UserState,
    plan: &DayPlan,
) -> Vec<ExposureRecord> {
    let c = s.feed.candidates;
    let mut out = Vec::with_capacity(plan.hours.len() * s.feed.k);
    let mut top = Vec::with_capacity(s.feed.k);
    st.surveys_today = 0;
    for (r, &hour) in plan.hours.iter().enumerate() {
        if !st.active {
            break;
        }
        top_k(
            &plan.items[r * c..(r + 1) * c],
            &plan.scores[r * c..(r + 1) * c],
            s.feed.k,
            &mut top,
        );
        let start = out.len();
        let probs = submit_probs(s, &pop.users[user as usize], hour);
        for (slot, &(_, item)) in top.iter().enumerate() {
            out.push(expose(
                s,
                pop,
                user,
                st,
                item,
                (day, r as u32, slot as u8, hour),
                &probs,
            ));
        }
        st.requests += 1;
        let bad = out[start..].iter().filter(|e| is_bad(e)).count();
        if leaves(s, user, day, r as u32, bad) {
            st.active = false;
        }
    }
    out
}

fn map_users<T: Send, S: Send>(
    states: &mut [S],
    f: impl Fn(usize, &mut S) -> T + Sync + Send,
) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        states
            .par_iter_mut()
            .enumerate()
            .map(|(i, s)| f(i, s))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        states
            .iter_mut()
            .enumerate()
            .map(|(i, s)| f(i, s))
            .collect()
    }
}

/// Runs a validated scenario over its population. `hook` steers the ranking when given.
pub fn run(
    s: &Scenario,
    pop: &Population,
    hook: Option<&dyn RankHook>,
    opts: RunOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(&RunProgress),
) -> Result<RunStats> {
    let n_users = pop.users.len();
    let mut states: Vec<UserState> = pop.users.iter().map(UserState::new).collect();
    let mut stats = RunStats::new(n_users);
    let block = opts.block_users.max(1);
    for day in 0..s.population.days {
        for start in (0..n_users).step_by(block) {
            let end = (start + block).min(n_users);
            let chunk = &mut states[start..end];
            let mut plans = map_users(chunk, |i, st| {
                if st.active {
                    plan_user(s, pop, (start + i) as u32, day)
                } else {
                    DayPlan {
                        hours: vec![],
                        items: vec![],
                        scores: vec![],
                    }
                }
            });
            if let Some(hook) = hook {
                let rows: Vec<Candidate> = plans
                    .iter()
                    .enumerate()
                    .flat_map(|(i, p)| {
                        let c = s.feed.candidates;
                        p.items.iter().enumerate().map(move |(j, &item)| Candidate {
                            user: (start + i) as u32,
                            item,
                            hour: p.hours[j / c],
                        })
                    })
                    .collect();
                if !rows.is_empty() {
                    let extra = hook.scores(pop, &rows)?;
                    let mut k = 0;
                    for p in plans.iter_mut() {
                        for v in p.scores.iter_mut() {
                            *v += extra[k];
                            k += 1;
                        }
                    }
                }
            }
            let recs: Vec<Vec<ExposureRecord>> = map_users(chunk, |i, st| {
                run_user_day(s, pop, (start + i) as u32, day, st, &plans[i])
            });
            for user_block in recs.iter().filter(|r| !r.is_empty()) {
                stats.add(user_block);
                sink.write(user_block)?;
            }
            progress(&RunProgress {
                day,
                days: s.population.days,
                users_done: end as u32,
                users: n_users as u32,
                exposures: stats.exposures,
            });
        }
    }
    stats.finish(&states);
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_best_distinct() {
        let mut out = Vec::new();
        top_k(&[1, 2, 1, 3, 4], &[0.5, 0.1, 0.9, 0.7, 0.2], 3, &mut out);
        assert_eq!(out.iter().map(|x| x.1).collect::<Vec<_>>(), vec![3, 1, 4]);
    }
}
