//! The runner: repeats the story over days and users, in blocks of users so memory stays bounded,
//! and hands each block's exposures to a [`Sink`].
//!
//! Per day and block: (1) plan each user's requests and recalled candidates, (2) let an optional
//! [`RankHook`] add a score to every candidate in one batch (a model steering the feed, Eq. 3),
//! (3) rank, expose and draw outcomes user by user. Every draw comes from a stream keyed by
//! `(seed, user, day, request, ...)`, so results do not depend on threads or block size, and two
//! arms of an A/B test see the same candidates and the same dice (common random numbers).
//!
//! The hot path is written for throughput (`usm bench --only sim`): per-run tables
//! ([`Prepared`]: exponentials of the truth's terms, one cache line a video, a mixture alias
//! table for recall), one 64-bit draw per candidate (recall and ranking noise), a top-k without
//! data-dependent branches, truths computed eight videos at a time, a fixed set of dice per
//! exposure from a wyrand stream, and buffers reused from block to block.

use usm_core::rng::{Rng, Wy, mix};

use crate::dist::poisson;
use crate::error::Result;
use crate::population::Population;
use crate::records::ExposureRecord;
use crate::scenario::{HOURS, Scenario, ValidScenario};
use crate::story::{Odds, Prepared, STREAM_PLAN, UserDay, UserState, is_bad};
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

/// Receives exposures block by block (a run of users' day: where blocks start is not part of
/// the contract), in a fixed order: day, then user, then request, then slot. Called on the
/// thread that called [`run`], while the next block is simulated on the thread pool.
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

/// A user's day of requests: hours, and per request the recalled candidates with their
/// ranking scores and taste dot products.
#[derive(Default)]
struct DayPlan {
    hours: Vec<u8>,
    items: Vec<u32>,
    scores: Vec<f32>,
    dots: Vec<f32>,
}

/// Dot product of the first `L` floats, `L` a multiple of four, in four interleaved sums
/// (a fixed order, so the same bits everywhere).
#[inline(always)]
fn dot<const L: usize>(a: &[f32; L], b: &[f32; L]) -> f32 {
    let mut acc = [a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]];
    for i in 1..L / 4 {
        for l in 0..4 {
            acc[l] += a[4 * i + l] * b[4 * i + l];
        }
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// Taste dot products and ranking scores of a request's candidates: `score = personalization
/// * taste match + the video's feed terms + noise`, the noise already in `scores`. `L` is
/// [`Prepared::lanes`].
fn score_candidates<const L: usize>(
    prep: &Prepared,
    taste: &[f32],
    items: &[u32],
    pers: f32,
    (dots, scores): (&mut [f32], &mut [f32]),
) {
    let taste: &[f32; L] = taste[..L].try_into().expect("taste fits the lanes");
    for ((&item, dot_out), score) in items.iter().zip(dots).zip(scores) {
        let (row, feed) = prep.rank_row::<L>(item);
        let t = dot::<L>(row, taste);
        *dot_out = t;
        *score += pers * t + feed;
    }
}

/// [`score_candidates`] at the lane count of `prep`, with the personalization weight per unit
/// of raw taste dot product ([`personalization`]).
fn score_request(
    prep: &Prepared,
    taste: &[f32],
    items: &[u32],
    pers: f32,
    out: (&mut [f32], &mut [f32]),
) {
    match prep.lanes() {
        4 => score_candidates::<4>(prep, taste, items, pers, out),
        8 => score_candidates::<8>(prep, taste, items, pers, out),
        12 => score_candidates::<12>(prep, taste, items, pers, out),
        _ => score_candidates::<16>(prep, taste, items, pers, out),
    }
}

/// The ranking's weight on a raw taste dot product: `feed.personalization / sqrt(taste_dim)`.
fn personalization(s: &Scenario) -> f32 {
    (s.feed.personalization / libm::sqrt(s.population.taste_dim as f64)) as f32
}

/// Finds a request's repeated videos: a small open-addressing table of `(stamp, video,
/// position)` whose entries count only when stamped with the current request. At most one
/// eighth full, so probes seldom collide (a collision is a mispredicted branch).
struct Seen {
    slots: Vec<(u32, u32, u32)>,
    shift: u32,
    stamp: u32,
}

impl Seen {
    /// A table for requests of `candidates` candidates.
    fn new(candidates: usize) -> Seen {
        let n = (8 * candidates).next_power_of_two();
        Seen {
            slots: vec![(0, 0, 0); n],
            shift: 64 - n.trailing_zeros(),
            stamp: 0,
        }
    }

    /// Starts a request.
    fn next_request(&mut self) {
        if self.stamp == u32::MAX {
            self.slots.fill((0, 0, 0));
            self.stamp = 0;
        }
        self.stamp += 1;
    }

    /// The earlier position of `item` in this request, or `None` after recording `j`.
    #[inline]
    fn earlier(&mut self, item: u32, j: usize) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut h = ((item as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize;
        loop {
            let e = &mut self.slots[h];
            if e.0 != self.stamp {
                *e = (self.stamp, item, j as u32);
                return None;
            }
            if e.1 == item {
                return Some(e.2 as usize);
            }
            h = (h + 1) & mask;
        }
    }
}

/// Recall and scoring of a user's day. Recall draws `candidates` videos with replacement; a
/// video drawn again in the same request keeps its best score in its first place, and its later
/// places get `-inf` (never shown).
fn plan_user(
    s: &Scenario,
    pop: &Population,
    prep: &Prepared,
    (user, day): (u32, u32),
    seen: &mut Seen,
    plan: &mut DayPlan,
) {
    let u = &pop.users[user as usize];
    let f = &s.feed;
    let mut rng = Rng::new(mix(s.seed, STREAM_PLAN + user as u64), day as u64);
    let n = poisson(&mut rng, u.activity as f64) as usize;
    // One draw a recalled video, from a stream of its own: the cheapest generator.
    let mut recall = Wy::from_state(rng.next_u64());
    let c = f.candidates;
    plan.hours.clear();
    // Every place is written below: resized, not cleared, so no memory is filled in vain.
    plan.items.resize(n * c, 0);
    plan.scores.resize(n * c, 0.0);
    plan.dots.resize(n * c, 0.0);
    let pers = personalization(s);
    for r in 0..n {
        plan.hours.push(rng.below(HOURS as u64) as u8);
        // In three passes, so the table reads of different candidates overlap.
        let at = r * c;
        let span = at..at + c;
        for (item, score) in plan.items[span.clone()]
            .iter_mut()
            .zip(&mut plan.scores[span.clone()])
        {
            (*item, *score) = prep.recall(recall.next_u64());
        }
        let (taste, rq) = (&u.taste, &plan.items[span.clone()]);
        let out = (&mut plan.dots[span.clone()], &mut plan.scores[span.clone()]);
        score_request(prep, taste, rq, pers, out);
        seen.next_request();
        for (j, &item) in plan.items[span].iter().enumerate() {
            if let Some(first) = seen.earlier(item, j) {
                let best = plan.scores[at + first].max(plan.scores[at + j]);
                plan.scores[at + first] = best;
                plan.scores[at + j] = f32::NEG_INFINITY;
            }
        }
    }
}

/// A candidate's sort key: its score's bits in an order-preserving form, then its position
/// reversed (among equal scores the earlier wins). 0, below every key, for `-inf`.
#[inline]
fn sort_key(score: f32, j: usize) -> u64 {
    let b = score.to_bits();
    let ordered = b ^ (((b as i32 >> 31) as u32) | 0x8000_0000);
    let key = ((ordered as u64) << 32) | (u32::MAX - j as u32) as u64;
    std::hint::select_unpredictable(score == f32::NEG_INFINITY, 0, key)
}

/// The position a [`sort_key`] was made from.
#[inline]
fn key_position(key: u64) -> usize {
    (u32::MAX - key as u32) as usize
}

/// The `N` largest keys, largest first, without a branch on the data: each key passes down
/// the list keeping the larger at each place. After the first `2N` candidates most fall below
/// the `N`-th key: the rest go through [`sift_above`] in runs of 16, and only those above pass
/// down the list.
fn top_keys<const N: usize>(scores: &[f32]) -> [u64; N] {
    let mut best = [0u64; N];
    let insert = |best: &mut [u64; N], mut x: u64| {
        for b in best.iter_mut() {
            let hi = (*b).max(x);
            x = (*b).min(x);
            *b = hi;
        }
    };
    let head = scores.len().min(2 * N);
    for (j, &score) in scores[..head].iter().enumerate() {
        insert(&mut best, sort_key(score, j));
    }
    sift_above::<16, _>(
        scores,
        head,
        &mut best,
        |b| b[N - 1],
        |b, js| {
            for &j in js {
                insert(b, sort_key(scores[j], j));
            }
        },
    );
    best
}

/// The candidates from `head` on whose score is strictly above that of the candidate holding
/// `last(best)` (every finite one when that key is 0): only those can still enter `best` (on
/// a tie the later position loses), so the sift compares scores, not keys. Sifted without a
/// branch in runs of `RUN`, the bar read again before each run; `take` gets each run's
/// survivors.
fn sift_above<const RUN: usize, B>(
    scores: &[f32],
    head: usize,
    best: &mut B,
    last: impl Fn(&B) -> u64,
    mut take: impl FnMut(&mut B, &[usize]),
) {
    let mut above = [0usize; RUN];
    for (c, run) in scores[head..].chunks(RUN).enumerate() {
        let bar = match last(best) {
            0 => f32::NEG_INFINITY,
            key => scores[key_position(key)],
        };
        let mut n = 0;
        for (i, &score) in run.iter().enumerate() {
            above[n] = head + c * RUN + i;
            n += (score > bar) as usize;
        }
        take(best, &above[..n]);
    }
}

/// Compare-exchange on named values (larger first), so everything stays in registers.
macro_rules! cx {
    ($a:ident, $b:ident) => {
        let (hi, lo) = ($a.max($b), $a.min($b));
        $a = hi;
        $b = lo;
    };
}

/// Eight keys sorted, largest first, by Knuth's 19-comparator network.
#[inline(always)]
fn sort8(
    [
        mut a0,
        mut a1,
        mut a2,
        mut a3,
        mut a4,
        mut a5,
        mut a6,
        mut a7,
    ]: [u64; 8],
) -> [u64; 8] {
    cx!(a0, a2);
    cx!(a1, a3);
    cx!(a4, a6);
    cx!(a5, a7);
    cx!(a0, a4);
    cx!(a1, a5);
    cx!(a2, a6);
    cx!(a3, a7);
    cx!(a0, a1);
    cx!(a2, a3);
    cx!(a4, a5);
    cx!(a6, a7);
    cx!(a2, a4);
    cx!(a3, a5);
    cx!(a1, a4);
    cx!(a3, a6);
    cx!(a1, a2);
    cx!(a3, a4);
    cx!(a5, a6);
    [a0, a1, a2, a3, a4, a5, a6, a7]
}

/// The 8 largest of two sorted lists of 8, largest first: the larger of each pair facing
/// across the lists form a bitonic sequence holding them, which 12 comparators sort.
#[inline(always)]
fn merge8(x: [u64; 8], y: [u64; 8]) -> [u64; 8] {
    let [
        mut t0,
        mut t1,
        mut t2,
        mut t3,
        mut t4,
        mut t5,
        mut t6,
        mut t7,
    ]: [u64; 8] = std::array::from_fn(|i| x[i].max(y[7 - i]));
    cx!(t0, t4);
    cx!(t1, t5);
    cx!(t2, t6);
    cx!(t3, t7);
    cx!(t0, t2);
    cx!(t1, t3);
    cx!(t4, t6);
    cx!(t5, t7);
    cx!(t0, t1);
    cx!(t2, t3);
    cx!(t4, t5);
    cx!(t6, t7);
    [t0, t1, t2, t3, t4, t5, t6, t7]
}

/// The 8 largest keys, largest first, by sorting networks (no branch on the data): the first
/// 16 candidates sorted in two halves and merged; the rest through [`sift_above`] in runs of
/// 64, those above merged eight at a time.
fn top_8(scores: &[f32]) -> [u64; 8] {
    // Keys of the candidates `js` (at most 8), 0 for the places left over.
    let keys8 = |js: &[usize]| -> [u64; 8] {
        std::array::from_fn(|i| js.get(i).map_or(0, |&j| sort_key(scores[j], j)))
    };
    const FIRST: [usize; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    let head = scores.len().min(16);
    let mut best = sort8(keys8(&FIRST[..head.min(8)]));
    if head > 8 {
        best = merge8(best, sort8(keys8(&FIRST[8..head])));
    }
    sift_above::<64, _>(
        scores,
        head,
        &mut best,
        |b| b[7],
        |b, js| {
            for group in js.chunks(8) {
                *b = merge8(*b, sort8(keys8(group)));
            }
        },
    );
    best
}

/// Top-k candidates by score, best first, as positions; `-inf` never shown.
fn top_k(scores: &[f32], k: usize, out: &mut Vec<u32>) {
    out.clear();
    let mut take = |keys: &[u64]| {
        out.extend(
            keys.iter()
                .take(k)
                .filter(|&&x| x != 0)
                .map(|&x| key_position(x) as u32),
        );
    };
    if k <= 8 {
        take(&top_8(scores));
    } else if k <= 16 {
        take(&top_keys::<16>(scores));
    } else {
        let mut keys: Vec<u64> = scores
            .iter()
            .enumerate()
            .map(|(j, &x)| sort_key(x, j))
            .collect();
        keys.sort_unstable_by(|a, b| b.cmp(a));
        take(&keys);
    }
}

/// A request's shown videos: places, videos, taste dot products and truths (buffers reused
/// from request to request).
#[derive(Default)]
struct Shown {
    places: Vec<u32>,
    items: Vec<u32>,
    dots: Vec<f32>,
    truths: Vec<Odds>,
    /// The request's scores, with videos shown earlier in the day at `-inf`.
    scores: Vec<f32>,
    /// Videos shown to the user today, sorted.
    today: Vec<u32>,
}

fn run_user_day(
    ud: &UserDay,
    st: &mut UserState,
    plan: &DayPlan,
    k: usize,
    sh: &mut Shown,
    out: &mut Vec<ExposureRecord>,
) {
    let c = if plan.hours.is_empty() {
        0
    } else {
        plan.items.len() / plan.hours.len()
    };
    let Shown {
        places: top,
        items: shown,
        dots: shown_dots,
        truths,
        scores,
        today,
    } = sh;
    st.surveys_today = 0;
    today.clear();
    let day_start = out.len();
    if !st.active {
        return;
    }
    for (r, &hour) in plan.hours.iter().enumerate() {
        let items = &plan.items[r * c..(r + 1) * c];
        // No video twice in a user's day: those shown earlier never rank.
        scores.clear();
        scores.extend_from_slice(&plan.scores[r * c..(r + 1) * c]);
        if !today.is_empty() {
            for (score, item) in scores.iter_mut().zip(items) {
                if today.binary_search(item).is_ok() {
                    *score = f32::NEG_INFINITY;
                }
            }
        }
        top_k(scores, k, top);
        let start = out.len();
        out.reserve(top.len());
        let probs = ud.hour_probs(hour);
        // Truths first: their table reads overlap.
        shown.clear();
        shown.extend(top.iter().map(|&j| items[j as usize]));
        shown_dots.clear();
        shown_dots.extend(top.iter().map(|&j| plan.dots[r * c + j as usize]));
        truths.clear();
        ud.truths(shown, shown_dots, truths);
        for (slot, (&j, t)) in top.iter().zip(truths.iter()).enumerate() {
            out.push(ud.expose(
                st,
                items[j as usize],
                t,
                (r as u32, slot as u8, hour),
                &probs,
            ));
        }
        st.requests += 1;
        for e in &out[start..] {
            if let Err(at) = today.binary_search(&e.item_id) {
                today.insert(at, e.item_id);
            }
        }
    }
    let day = &out[day_start..];
    let bad = day.iter().filter(|e| is_bad(e)).count();
    if ud.leaves(bad, day.len()) {
        st.active = false;
    }
}

/// Users per task: large enough to amortise a task, small enough to balance two threads.
const CHUNK_USERS: usize = 256;

/// `f(first index, chunk, buffer)` over consecutive chunks of `states`, each with its own
/// buffer from `pool` (at least one a chunk).
fn for_chunks<S: Send, B: Send>(
    states: &mut [S],
    pool: &mut [B],
    f: impl Fn(usize, &mut [S], &mut B) + Sync + Send,
) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        states
            .par_chunks_mut(CHUNK_USERS)
            .zip(pool.par_iter_mut())
            .enumerate()
            .for_each(|(i, (c, b))| f(i * CHUNK_USERS, c, b));
    }
    #[cfg(not(feature = "parallel"))]
    {
        for (i, (c, b)) in states.chunks_mut(CHUNK_USERS).zip(pool).enumerate() {
            f(i * CHUNK_USERS, c, b);
        }
    }
}

/// `f(first index, chunk)` over consecutive chunks of `states`, in order.
fn map_chunks<T: Send, S: Send>(
    states: &mut [S],
    f: impl Fn(usize, &mut [S]) -> T + Sync + Send,
) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        states
            .par_chunks_mut(CHUNK_USERS)
            .enumerate()
            .map(|(i, c)| f(i * CHUNK_USERS, c))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        states
            .chunks_mut(CHUNK_USERS)
            .enumerate()
            .map(|(i, c)| f(i * CHUNK_USERS, c))
            .collect()
    }
}

/// Runs a checked scenario over its population. `hook` steers the ranking when given.
pub fn run(
    s: &ValidScenario,
    pop: &Population,
    hook: Option<&dyn RankHook>,
    opts: RunOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(&RunProgress),
) -> Result<RunStats> {
    let n_users = pop.users.len();
    let prep = Prepared::new(s, pop);
    let mut states: Vec<UserState> = pop.users.iter().map(UserState::new).collect();
    let mut stats = RunStats::new(n_users);
    let step = opts.block_users.max(1);
    let blocks: Vec<Block> = (0..s.population.days)
        .flat_map(|day| {
            (0..n_users).step_by(step).map(move |start| Block {
                day,
                start,
                end: (start + step).min(n_users),
            })
        })
        .collect();
    // Two sets of buffers: while the sink takes one block's exposures, the next block is
    // simulated into the other.
    let mut pools: [Pool; 2] = Default::default();
    if let Some(&b) = blocks.first() {
        let env = (&**s, pop, &prep, hook);
        simulate_block(env, b, &mut states[b.start..b.end], &mut pools[0])?;
    }
    for (i, b) in blocks.iter().enumerate() {
        let [even, odd] = &mut pools;
        let (done, next) = if i % 2 == 0 { (even, odd) } else { (odd, even) };
        let env = (&**s, pop, &prep, hook);
        let upcoming = blocks.get(i + 1).copied();
        let states = &mut states;
        let (simulated, drained) = overlap(
            || match upcoming {
                Some(nb) => simulate_block(env, nb, &mut states[nb.start..nb.end], next),
                None => Ok(()),
            },
            || -> Result<()> {
                for (recs, part) in done.iter().filter(|r| !r.0.is_empty()) {
                    stats.merge(part);
                    sink.write(recs)?;
                }
                progress(&RunProgress {
                    day: b.day,
                    days: s.population.days,
                    users_done: b.end as u32,
                    users: n_users as u32,
                    exposures: stats.exposures,
                });
                Ok(())
            },
        );
        drained?;
        simulated?;
    }
    stats.finish(&states, pop.items.len());
    Ok(stats)
}

/// A day's block of users.
#[derive(Clone, Copy, Debug)]
struct Block {
    day: u32,
    start: usize,
    end: usize,
}

/// Per chunk of users: its exposures and their counts, reused from block to block.
type Pool = Vec<(Vec<ExposureRecord>, RunStats)>;

/// What every block reads.
type Env<'a> = (
    &'a Scenario,
    &'a Population,
    &'a Prepared,
    Option<&'a dyn RankHook>,
);

/// Runs `work` on the thread pool while `here` runs on this thread (it need not be `Send`: the
/// sink and the progress callback), and waits for both. In order without `parallel`.
fn overlap<A: Send, B>(work: impl FnOnce() -> A + Send, here: impl FnOnce() -> B) -> (A, B) {
    #[cfg(feature = "parallel")]
    {
        let mut a = None;
        let b = rayon::in_place_scope(|scope| {
            scope.spawn(|_| a = Some(work()));
            here()
        });
        (a.expect("the scope waited for the work"), b)
    }
    #[cfg(not(feature = "parallel"))]
    {
        let a = work();
        (a, here())
    }
}

/// Simulates one block: its users' day, into `pool`.
fn simulate_block(
    (s, pop, prep, hook): Env,
    b: Block,
    chunk: &mut [UserState],
    pool: &mut Pool,
) -> Result<()> {
    let (start, day, k) = (b.start, b.day, s.feed.k);
    // With a hook, the whole block is planned first so it scores all candidates at once.
    let plans = match hook {
        Some(hook) => Some(hooked_plans(s, pop, prep, hook, chunk, start, day)?),
        None => None,
    };
    // The pool keeps its buffers (and their memory) when a block is shorter: the rest are
    // emptied.
    let n = chunk.len().div_ceil(CHUNK_USERS);
    if pool.len() < n {
        pool.resize_with(n, Default::default);
    }
    for (out, part) in &mut pool[n..] {
        out.clear();
        *part = RunStats::default();
    }
    for_chunks(chunk, &mut pool[..n], |first, sts, (out, part)| {
        out.clear();
        *part = RunStats::default();
        let mut own = DayPlan::default();
        let mut seen = Seen::new(s.feed.candidates);
        let mut shown = Shown::default();
        for (i, st) in sts.iter_mut().enumerate() {
            if !st.active {
                continue;
            }
            let user = (start + first + i) as u32;
            let plan = match &plans {
                Some(p) => &p[first + i],
                None => {
                    plan_user(s, pop, prep, (user, day), &mut seen, &mut own);
                    &own
                }
            };
            let ud = UserDay::new(s, pop, prep, user, day);
            run_user_day(&ud, st, plan, k, &mut shown, out);
        }
        part.add(out);
    });
    Ok(())
}

/// Plans a block's users and adds the hook's scores to their candidates.
fn hooked_plans(
    s: &Scenario,
    pop: &Population,
    prep: &Prepared,
    hook: &dyn RankHook,
    states: &mut [UserState],
    start: usize,
    day: u32,
) -> Result<Vec<DayPlan>> {
    let mut plans: Vec<DayPlan> = map_chunks(states, |first, sts| {
        let mut seen = Seen::new(s.feed.candidates);
        sts.iter()
            .enumerate()
            .map(|(i, st)| {
                let mut p = DayPlan::default();
                if st.active {
                    let user = (start + first + i) as u32;
                    plan_user(s, pop, prep, (user, day), &mut seen, &mut p);
                }
                p
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let c = s.feed.candidates;
    let rows: Vec<Candidate> = plans
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.items.iter().enumerate().map(move |(j, &item)| Candidate {
                user: (start + i) as u32,
                item,
                hour: p.hours[j / c],
            })
        })
        .collect();
    if !rows.is_empty() {
        let extra = hook.scores(pop, &rows)?;
        for (v, x) in plans
            .iter_mut()
            .flat_map(|p| p.scores.iter_mut())
            .zip(extra)
        {
            *v += x;
        }
    }
    Ok(plans)
}

/// A fresh request of `user`'s, recalled and ranked as the feed does (its own draws, from
/// `seed`), minus what it would show: up to `keep` of the videos ranked below the top `k`, in rank
/// order, none of them in `exclude` (say, the videos the user saw that day). These are what Eq. 3
/// ranks and the feed leaves unshown; evaluation scores models on them.
pub fn unshown_candidates(
    s: &ValidScenario,
    pop: &Population,
    prep: &Prepared,
    user: u32,
    seed: u64,
    (exclude, keep): (&[u32], usize),
) -> Vec<u32> {
    let f = &s.feed;
    let mut recall = Wy::from_state(seed);
    let c = f.candidates;
    let (mut items, mut scores, mut dots) = (vec![0u32; c], vec![0f32; c], vec![0f32; c]);
    for (item, score) in items.iter_mut().zip(scores.iter_mut()) {
        (*item, *score) = prep.recall(recall.next_u64());
    }
    let taste = &pop.users[user as usize].taste;
    score_request(
        prep,
        taste,
        &items,
        personalization(s),
        (&mut dots, &mut scores),
    );
    // A video recalled twice ranks once; one already seen today never ranks.
    for j in 0..c {
        if exclude.contains(&items[j]) || items[..j].contains(&items[j]) {
            scores[j] = f32::NEG_INFINITY;
        }
    }
    let mut order: Vec<usize> = (0..c).filter(|&j| scores[j].is_finite()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .skip(f.k)
        .take(keep)
        .map(|j| items[j])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_by_score_then_position() {
        let mut out = Vec::new();
        let ninf = f32::NEG_INFINITY;
        let scores = [0.5, -0.1, ninf, 0.7, 0.2, 0.5, -3.0];
        for k in [1, 3, 6, 7, 12, 20] {
            top_k(&scores, k, &mut out);
            let want = [3u32, 0, 5, 4, 1, 6];
            assert_eq!(out, want[..k.min(6)], "k {k}");
        }
        // The general path agrees with the fixed ones.
        let mut rng = Rng::new(5, 5);
        let scores: Vec<f32> = (0..300).map(|_| rng.normal() as f32).collect();
        let mut big = Vec::new();
        top_k(&scores, 40, &mut big);
        for k in [5, 8, 9, 16] {
            top_k(&scores, k, &mut out);
            assert_eq!(out, big[..k], "k {k}");
        }
        assert!(
            big.windows(2)
                .all(|w| scores[w[0] as usize] >= scores[w[1] as usize])
        );
    }

    #[test]
    fn the_networks_sort_and_merge_every_zero_one_input() {
        // The 0-1 principle: a comparator network sorts every input if it sorts every 0/1 one.
        let bits = |m: u32| -> [u64; 8] { std::array::from_fn(|i| ((m >> i) & 1) as u64) };
        let sorted = |v: [u64; 8]| v.windows(2).all(|w| w[0] >= w[1]);
        for m in 0..256 {
            let v = sort8(bits(m));
            assert!(sorted(v), "{m}: {v:?}");
            assert_eq!(v.iter().sum::<u64>(), m.count_ones() as u64);
        }
        for a in 0..=8 {
            for b in 0..=8 {
                let ones = |n: u32| sort8(bits((1 << n) - 1));
                let v = merge8(ones(a), ones(b));
                assert!(sorted(v));
                assert_eq!(v.iter().sum::<u64>(), (a + b).min(8) as u64, "{a} {b}");
            }
        }
    }

    #[test]
    fn repeated_recalls_are_shown_once() {
        let mut s = Scenario::preset("paper").unwrap();
        s.population.users = 50;
        s.population.items = 30;
        s.population.authors = 5;
        let s = s.check().unwrap();
        let pop = Population::draw(&s);
        let prep = Prepared::new(&s, &pop);
        let mut seen = Seen::new(s.feed.candidates);
        let mut plan = DayPlan::default();
        let c = s.feed.candidates;
        let mut repeats = 0;
        for user in 0..50 {
            plan_user(&s, &pop, &prep, (user, 0), &mut seen, &mut plan);
            for r in 0..plan.hours.len() {
                let items = &plan.items[r * c..(r + 1) * c];
                let scores = &plan.scores[r * c..(r + 1) * c];
                for (j, &it) in items.iter().enumerate() {
                    let first = items.iter().position(|&x| x == it).unwrap();
                    if first == j {
                        assert!(scores[j].is_finite());
                    } else {
                        repeats += 1;
                        assert_eq!(scores[j], f32::NEG_INFINITY);
                    }
                }
            }
        }
        assert!(repeats > 100, "{repeats}");
    }
}
