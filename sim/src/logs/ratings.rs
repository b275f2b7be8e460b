//! The missing-not-at-random ratings layout of debiasing research (Yahoo! R3, Coat): ratings
//! that users chose to give, for training, and ratings of uniformly random items, for testing.
//! `docs/ratings-format.md` describes it, and `tests/data/ratings/` is a small example.
//!
//! The ratings become rows of the log schema, so that the experiment runs on them unchanged:
//! - each self-selected rating is a satisfaction survey that was shown and submitted, answered
//!   `like` when the rating is at least the threshold, else `dislike` (the `dislike` head);
//! - for each, `unrated_per_rating` items the user did not rate are shows that were not
//!   submitted, so the submit model learns who rates what (Schnabel et al.'s propensity);
//! - the random test ratings are the random slice (panel answers): a share of the users'
//!   go to the training period, for the answer-dependent propensity and the panel variant;
//! - a share of the self-selected ratings, by user, is held out for the evaluation period;
//! - `exposures_per_user` random items per user and day are exposures without a survey, the
//!   pseudo-label stream and the evaluation exposures.
//!
//! Day 0 is training, day 1 evaluation. A user's feature row gives `user_profile` (its first
//! numeric column, standardised); an item's gives `item_quality_signal` and `item_risk_signal`
//! (its first two). The activity and popularity columns are the log counts of training ratings.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use usm_core::rng::{Rng, hash_unit};

use super::set::MAX_VOCAB;
use crate::error::{Result, SimError};
use crate::records::{Answer, ExposureRecord, SurveyKind};

/// What to do with a random test pair that repeats a self-selected pair of the same user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// Keep it in both files: the two are separate draws of the protocol (a random item can be
    /// one the user also chose). Counted in the notes.
    Keep,
    /// Drop it from the random ratings. Counted in the notes.
    DropFromTest,
    /// Refuse the layout, naming each such pair.
    Error,
}

impl Overlap {
    /// The name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Overlap::Keep => "keep",
            Overlap::DropFromTest => "drop-from-test",
            Overlap::Error => "error",
        }
    }
}

/// How ratings become log rows.
#[derive(Clone, Debug, PartialEq)]
pub struct RatingsOptions {
    /// A rating at least this is a like; below, a dislike.
    pub threshold: f64,
    /// The declared scale, lowest and highest rating: a rating outside it is an error naming its
    /// file and row.
    pub scale: [f64; 2],
    /// Random test pairs that repeat a self-selected pair.
    pub overlap: Overlap,
    /// Dense user × item matrices (0: missing) instead of `user,item,rating` rows.
    pub dense: bool,
    /// Unsubmitted shows per self-selected rating, over the whole layout: each user is shown the
    /// same share of their unrated items, the share that makes this many in all, so that how
    /// often a user rates sets their submit rate.
    pub unrated_per_rating: usize,
    /// Random items per user and day shown without a survey.
    pub exposures_per_user: usize,
    /// Share of users whose random test ratings serve training.
    pub random_train_share: f64,
    /// Share of users whose self-selected ratings are held out for evaluation.
    pub eval_share: f64,
    /// Seed of the samples.
    pub seed: u64,
}

impl Default for RatingsOptions {
    fn default() -> Self {
        RatingsOptions {
            threshold: 4.0,
            scale: [1.0, 5.0],
            overlap: Overlap::Keep,
            dense: false,
            unrated_per_rating: 4,
            exposures_per_user: 8,
            random_train_share: 0.3,
            eval_share: 0.2,
            seed: 1,
        }
    }
}

/// One rating and where it was read.
#[derive(Clone, Copy, Debug)]
struct Rating {
    user: u32,
    item: u32,
    rating: f64,
    row: usize,
}

/// The ratings of a folder as log rows, with notes on what was made of them. Every problem of
/// every file is collected; any problem is an error that lists them (at most `max_problems`).
pub fn read(dir: &Path, opt: &RatingsOptions) -> Result<(Vec<ExposureRecord>, Vec<String>)> {
    let mut problems = Vec::new();
    let train_path = dir.join("train.csv");
    let test_path = dir.join("test.csv");
    if !(opt.scale[0].is_finite() && opt.scale[1].is_finite() && opt.scale[0] <= opt.scale[1]) {
        return Err(SimError::field(
            "rating_scale",
            format!("{},{}", opt.scale[0], opt.scale[1]),
            "two finite numbers, the lowest rating first",
        ));
    }
    let train = ratings_file(&train_path, opt, &mut problems);
    let mut test = ratings_file(&test_path, opt, &mut problems);
    let users_f = features_file(&dir.join("user_features.csv"), &mut problems);
    let items_f = features_file(&dir.join("item_features.csv"), &mut problems);
    for (name, rs) in [(&train_path, &train), (&test_path, &test)] {
        if rs.is_empty() && problems.is_empty() {
            problems.push(format!("{}: has no ratings", name.display()));
        }
    }
    // A random pair that the user also chose: separate draws of the protocol, kept by default.
    let train_rows: HashMap<(u32, u32), usize> =
        train.iter().map(|r| ((r.user, r.item), r.row)).collect();
    let repeats = test
        .iter()
        .filter(|r| train_rows.contains_key(&(r.user, r.item)))
        .count();
    match opt.overlap {
        Overlap::Keep => {}
        Overlap::DropFromTest => {
            test.retain(|r| !train_rows.contains_key(&(r.user, r.item)));
            if test.is_empty() && repeats > 0 {
                problems.push(format!(
                    "{}: every random rating repeats a self-selected pair, and --ratings-overlap drop-from-test dropped them all",
                    test_path.display()
                ));
            }
        }
        Overlap::Error => {
            for r in &test {
                if let Some(row) = train_rows.get(&(r.user, r.item)) {
                    push(
                        &mut problems,
                        format!(
                            "{}, row {}: user {} item {} is also rated in {}, row {row} (--ratings-overlap error; `keep` keeps such pairs in both, `drop-from-test` drops them from the random ratings)",
                            test_path.display(),
                            r.row,
                            r.user,
                            r.item,
                            train_path.display()
                        ),
                    );
                }
            }
        }
    }
    for (f, path, what) in [
        (&users_f, dir.join("user_features.csv"), "user"),
        (&items_f, dir.join("item_features.csv"), "item"),
    ] {
        let Some(f) = f else { continue };
        for (file, rs) in [(&train_path, &train), (&test_path, &test)] {
            for r in rs.iter() {
                let id = if what == "user" { r.user } else { r.item };
                if !f.contains_key(&id) {
                    push(
                        &mut problems,
                        format!(
                            "{}, row {}, column `{what}`: {what} {id} is missing from {}",
                            file.display(),
                            r.row,
                            path.display()
                        ),
                    );
                }
            }
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        let shown: Vec<&str> = problems.iter().take(20).map(String::as_str).collect();
        return Err(SimError::Parse {
            origin: dir.display().to_string(),
            message: format!(
                "{n} problem(s) in the ratings{}:\n  {}",
                if n > 20 { ", the first 20" } else { "" },
                shown.join("\n  ")
            ),
        });
    }
    let (rows, mut notes) = to_rows(&train, &test, users_f.as_ref(), items_f.as_ref(), opt);
    notes.insert(1, overlap_note(repeats, test.len(), opt.overlap));
    notes.insert(2, coverage_note(&train, &test));
    Ok((rows, notes))
}

/// What was done with random pairs that repeat a self-selected one.
fn overlap_note(repeats: usize, test_len: usize, overlap: Overlap) -> String {
    let what = match overlap {
        Overlap::DropFromTest => "dropped from the random ratings",
        _ => "kept in both (separate draws of the protocol)",
    };
    let of = match overlap {
        Overlap::DropFromTest => test_len + repeats,
        _ => test_len,
    };
    format!(
        "{repeats} random test pair(s) of {of} ({:.1}%) repeat a self-selected pair of the same user: {what} (--ratings-overlap {})",
        100.0 * repeats as f64 / of.max(1) as f64,
        overlap.name()
    )
}

/// Users and items the random ratings have that no self-selected rating has: kept, with no
/// training signal of their own (their ids' embeddings stay at their start).
fn coverage_note(train: &[Rating], test: &[Rating]) -> String {
    let (tu, ti): (HashSet<u32>, HashSet<u32>) = train.iter().map(|r| (r.user, r.item)).unzip();
    let (su, si): (HashSet<u32>, HashSet<u32>) = test.iter().map(|r| (r.user, r.item)).unzip();
    format!(
        "{} of {} users and {} of {} items in the random ratings have no self-selected rating: kept, with no training rating of their own",
        su.difference(&tu).count(),
        su.len(),
        si.difference(&ti).count(),
        si.len()
    )
}

fn push(problems: &mut Vec<String>, p: String) {
    if problems.len() < 10_000 {
        problems.push(p);
    }
}

/// A ratings file: `user,item,rating` rows (by header name), or a dense matrix.
fn ratings_file(path: &Path, opt: &RatingsOptions, problems: &mut Vec<String>) -> Vec<Rating> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            push(problems, format!("{}: {e}", path.display()));
            return Vec::new();
        }
    };
    let text = text.trim_start_matches('\u{feff}');
    let file = path.display().to_string();
    let out = if opt.dense {
        dense_ratings(&file, text, problems)
    } else {
        sparse_ratings(&file, text, problems)
    };
    let [lo, hi] = opt.scale;
    for r in out.iter().filter(|r| !(lo..=hi).contains(&r.rating)) {
        let column = if opt.dense {
            format!("{}", r.item + 1)
        } else {
            "`rating`".into()
        };
        push(
            problems,
            format!(
                "{file}, row {}, column {column}: {} is outside the declared scale {lo}..{hi} (--rating-scale)",
                r.row, r.rating
            ),
        );
    }
    let mut seen: HashMap<(u32, u32), usize> = HashMap::new();
    for r in &out {
        if let Some(first) = seen.insert((r.user, r.item), r.row) {
            push(
                problems,
                format!(
                    "{file}, row {}: user {} item {} is rated again (first in row {first})",
                    r.row, r.user, r.item
                ),
            );
        }
    }
    out
}

fn sparse_ratings(file: &str, text: &str, problems: &mut Vec<String>) -> Vec<Rating> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        push(problems, format!("{file}: is empty: no header row"));
        return Vec::new();
    };
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |n: &str| names.iter().position(|h| *h == n);
    let (Some(cu), Some(ci), Some(cr)) = (col("user"), col("item"), col("rating")) else {
        push(
            problems,
            format!(
                "{file}: the header must name the columns user, item and rating (it has {})",
                names.join(", ")
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            push(
                problems,
                format!(
                    "{file}, row {i}: {} fields where the header has {}",
                    cells.len(),
                    names.len()
                ),
            );
            continue;
        }
        let id = |c: usize, name: &str, problems: &mut Vec<String>| -> Option<u32> {
            match cells[c].parse::<u32>() {
                Ok(v) if v < MAX_VOCAB => Some(v),
                _ => {
                    push(
                        problems,
                        format!(
                            "{file}, row {i}, column `{name}`: `{}` is not an id in 0..{MAX_VOCAB}",
                            super::csv::shown(cells[c])
                        ),
                    );
                    None
                }
            }
        };
        let (user, item) = (id(cu, "user", problems), id(ci, "item", problems));
        let rating = match cells[cr].parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                push(
                    problems,
                    format!(
                        "{file}, row {i}, column `rating`: `{}` is not a finite number",
                        super::csv::shown(cells[cr])
                    ),
                );
                None
            }
        };
        if let (Some(user), Some(item), Some(rating)) = (user, item, rating) {
            out.push(Rating {
                user,
                item,
                rating,
                row: i,
            });
        }
    }
    out
}

/// A dense matrix: row `u` holds user `u`'s rating of each item, 0 for none; comma or
/// whitespace separated, no header.
fn dense_ratings(file: &str, text: &str, problems: &mut Vec<String>) -> Vec<Rating> {
    let mut out = Vec::new();
    let mut width = None;
    for (u, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .collect();
        if cells.is_empty() {
            continue;
        }
        if *width.get_or_insert(cells.len()) != cells.len() {
            push(
                problems,
                format!(
                    "{file}, row {}: {} items where the first row has {}",
                    u + 1,
                    cells.len(),
                    width.unwrap_or(0)
                ),
            );
            continue;
        }
        if u as u32 >= MAX_VOCAB || cells.len() as u32 >= MAX_VOCAB {
            push(problems, format!("{file}: too many users or items"));
            return out;
        }
        for (item, c) in cells.iter().enumerate() {
            match c.parse::<f64>() {
                Ok(0.0) => {}
                Ok(v) if v.is_finite() => out.push(Rating {
                    user: u as u32,
                    item: item as u32,
                    rating: v,
                    row: u + 1,
                }),
                _ => push(
                    problems,
                    format!(
                        "{file}, row {}, column {}: `{}` is not a finite number",
                        u + 1,
                        item + 1,
                        super::csv::shown(c)
                    ),
                ),
            }
        }
    }
    if width.is_none() {
        push(problems, format!("{file}: is empty"));
    }
    out
}

/// An optional feature table: an id column, then numeric features. `None` when absent.
fn features_file(path: &Path, problems: &mut Vec<String>) -> Option<HashMap<u32, Vec<f64>>> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim_start_matches('\u{feff}');
    let file = path.display().to_string();
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        push(problems, format!("{file}: is empty: no header row"));
        return Some(HashMap::new());
    };
    let width = header.split(',').count();
    let mut out = HashMap::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != width {
            push(
                problems,
                format!(
                    "{file}, row {i}: {} fields where the header has {width}",
                    cells.len()
                ),
            );
            continue;
        }
        let Ok(id) = cells[0].parse::<u32>() else {
            push(
                problems,
                format!(
                    "{file}, row {i}, column 1: `{}` is not an id",
                    super::csv::shown(cells[0])
                ),
            );
            continue;
        };
        let mut v = Vec::with_capacity(width - 1);
        for (k, c) in cells[1..].iter().enumerate() {
            match c.parse::<f64>() {
                Ok(x) if x.is_finite() => v.push(x),
                _ => push(
                    problems,
                    format!(
                        "{file}, row {i}, column {}: `{}` is not a finite number",
                        k + 2,
                        super::csv::shown(c)
                    ),
                ),
            }
        }
        if out.insert(id, v).is_some() {
            push(problems, format!("{file}, row {i}: id {id} appears again"));
        }
    }
    Some(out)
}

/// Standardises feature column `k` over the table: (x - mean) / sd; 0 where absent.
fn standardised(f: Option<&HashMap<u32, Vec<f64>>>, k: usize) -> HashMap<u32, f32> {
    let Some(f) = f else {
        return HashMap::new();
    };
    let xs: Vec<f64> = f.values().filter_map(|v| v.get(k).copied()).collect();
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    f.iter()
        .filter_map(|(id, v)| {
            let x = *v.get(k)?;
            Some((
                *id,
                if sd > 0.0 {
                    ((x - mean) / sd) as f32
                } else {
                    0.0
                },
            ))
        })
        .collect()
}

fn to_rows(
    train: &[Rating],
    test: &[Rating],
    users_f: Option<&HashMap<u32, Vec<f64>>>,
    items_f: Option<&HashMap<u32, Vec<f64>>>,
    opt: &RatingsOptions,
) -> (Vec<ExposureRecord>, Vec<String>) {
    let users = train.iter().chain(test).map(|r| r.user).max().unwrap_or(0) + 1;
    let items = train.iter().chain(test).map(|r| r.item).max().unwrap_or(0) + 1;
    let mut per_user: BTreeMap<u32, usize> = BTreeMap::new();
    let mut per_item: HashMap<u32, usize> = HashMap::new();
    let mut rated: HashSet<(u32, u32)> = HashSet::new();
    for r in train {
        *per_user.entry(r.user).or_default() += 1;
        *per_item.entry(r.item).or_default() += 1;
        rated.insert((r.user, r.item));
    }
    for r in test {
        rated.insert((r.user, r.item));
    }
    let profile = standardised(users_f, 0);
    let quality = standardised(items_f, 0);
    let risk = standardised(items_f, 1);
    let mut next_id = 0u64;
    let mut row = |user: u32, item: u32, day: u32| {
        next_id += 1;
        ExposureRecord {
            exposure_id: next_id,
            day,
            user_id: user,
            item_id: item,
            user_activity: (1.0 + *per_user.get(&user).unwrap_or(&0) as f32).ln(),
            user_profile: profile.get(&user).copied().unwrap_or(0.0),
            item_log_popularity: (1.0 + *per_item.get(&item).unwrap_or(&0) as f32).ln(),
            item_quality_signal: quality.get(&item).copied().unwrap_or(0.0),
            item_risk_signal: risk.get(&item).copied().unwrap_or(0.0),
            ..ExposureRecord::default()
        }
    };
    let answer = |rating: f64| {
        if rating >= opt.threshold {
            Answer::Like
        } else {
            Answer::Dislike
        }
    };
    let mut rng = Rng::new(opt.seed, 0x2A71);
    let mut out = Vec::with_capacity(train.len() * (1 + opt.unrated_per_rating) + test.len());
    // Every user of either file, with their self-selected ratings.
    let mut all_users: BTreeMap<u32, usize> =
        train.iter().chain(test).map(|r| (r.user, 0)).collect();
    all_users.extend(per_user.iter().map(|(&u, &n)| (u, n)));
    let unrated_pairs: f64 = all_users
        .values()
        .map(|&n| items.saturating_sub(n as u32) as f64)
        .sum();
    let share =
        (opt.unrated_per_rating as f64 * train.len() as f64 / unrated_pairs.max(1.0)).min(1.0);
    let held_out = |user: u32| hash_unit(opt.seed ^ 0xE1, user as u64) < opt.eval_share;
    let random_train = |user: u32| hash_unit(opt.seed ^ 0x7A, user as u64) < opt.random_train_share;
    // An unrated item for a user: a few tries, then none (a user who rated nearly everything).
    let unrated = |user: u32, rng: &mut Rng| {
        (0..32)
            .map(|_| (rng.next_u64() % items as u64) as u32)
            .find(|&i| !rated.contains(&(user, i)))
    };
    for r in train {
        out.push(ExposureRecord {
            survey: SurveyKind::Satisfaction,
            submitted: true,
            answer: answer(r.rating),
            ..row(r.user, r.item, held_out(r.user) as u32)
        });
    }
    // Each user's unrated items, shown at the same rate for everyone (the count rounded at
    // random, so that its mean is exact): unsubmitted surveys.
    for (&user, &n) in &all_users {
        let expected = share * items.saturating_sub(n as u32) as f64;
        let k = expected.floor() as usize + (rng.uniform() < expected.fract()) as usize;
        let mut drawn: HashSet<u32> = HashSet::with_capacity(k);
        for _ in 0..4 * k + 32 {
            if drawn.len() == k {
                break;
            }
            if let Some(i) = unrated(user, &mut rng) {
                drawn.insert(i);
            }
        }
        let mut drawn: Vec<u32> = drawn.into_iter().collect();
        drawn.sort_unstable();
        for i in drawn {
            out.push(ExposureRecord {
                survey: SurveyKind::Satisfaction,
                ..row(user, i, held_out(user) as u32)
            });
        }
    }
    for r in test {
        let day = (!random_train(r.user)) as u32;
        out.push(ExposureRecord {
            survey: SurveyKind::Satisfaction,
            panel: true,
            submitted: true,
            answer: answer(r.rating),
            ..row(r.user, r.item, day)
        });
    }
    for user in 0..users {
        for day in 0..2 {
            for _ in 0..opt.exposures_per_user {
                if let Some(i) = unrated(user, &mut rng) {
                    out.push(row(user, i, day));
                }
            }
        }
    }
    let notes = layout_notes((train, test), [users, items], share, opt);
    (out, notes)
}

/// What the conversion made of the layout, in words.
fn layout_notes(
    (train, test): (&[Rating], &[Rating]),
    [users, items]: [u32; 2],
    share: f64,
    opt: &RatingsOptions,
) -> Vec<String> {
    let likes = train.iter().filter(|r| r.rating >= opt.threshold).count();
    vec![
        format!(
            "{} self-selected ratings ({} at or above the threshold {}: like; the rest: dislike) and {} random test ratings of {users} users and {items} items",
            train.len(),
            likes,
            opt.threshold,
            test.len()
        ),
        format!(
            "unsubmitted surveys: each user shown {:.4} of the items they rated in neither file ({} per self-selected rating over the layout), the same share for everyone, so a user's submit rate follows how many items they rated; the submit model's propensity is of a rating among these shows, not among all user-item pairs; {} random items per user and day as exposures without a survey",
            share, opt.unrated_per_rating, opt.exposures_per_user
        ),
        format!(
            "day 0 trains, day 1 evaluates: {:.0}% of users' self-selected ratings are held out; the random ratings of {:.0}% of users go to training, where they calibrate (the naive-Bayes propensity's P(rating) and the panel's answer model), and the rest are the random slice that evaluates",
            opt.eval_share * 100.0,
            opt.random_train_share * 100.0
        ),
    ]
}

/// The folder of a ratings data set: `path` itself, or its parent when `path` names a file.
pub fn folder(path: &Path) -> PathBuf {
    if path.is_file() {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        path.to_path_buf()
    }
}

/// The ratings layout written from simulated logs (`usm simulate --format ratings`): the
/// missing-not-at-random twin of a published data set, whose truth the simulator knows.
/// - `train.csv`: the satisfaction surveys users chose to answer (submitted, not the panel);
/// - `test.csv`: the random slice, the panel's satisfaction answers (everyone asked answers);
/// - `user_features.csv` (`user_profile`) and `item_features.csv` (`item_quality_signal`,
///   `item_risk_signal`), the first time each id is seen.
///
/// An answer becomes a rating: like 5, neutral 4, dislike 2, so that the default threshold 4
/// reads back the `dislike` head. A pair answered again in the same file keeps its first
/// answer (and is counted); a pair in both files stays in both, as in published data.
#[derive(Debug, Default)]
pub struct Twin {
    train: BTreeMap<(u32, u32), u8>,
    test: BTreeMap<(u32, u32), u8>,
    users: BTreeMap<u32, f32>,
    items: BTreeMap<u32, (f32, f32)>,
    /// Answers of a pair already in the same file, not written.
    pub repeated: u64,
}

impl Twin {
    /// The rating of an answer, `None` for a survey that was not answered.
    pub fn rating(a: Answer) -> Option<u8> {
        match a {
            Answer::Like => Some(5),
            Answer::Neutral => Some(4),
            Answer::Dislike => Some(2),
            _ => None,
        }
    }

    /// Takes the satisfaction answers of a batch of simulated rows.
    pub fn push(&mut self, batch: &[ExposureRecord]) {
        for r in batch {
            let Some(rating) = Self::rating(r.answer) else {
                continue;
            };
            if r.survey != SurveyKind::Satisfaction || !r.submitted {
                continue;
            }
            let file = if r.panel {
                &mut self.test
            } else {
                &mut self.train
            };
            if file.insert((r.user_id, r.item_id), rating).is_some() {
                // Keep the first answer.
                self.repeated += 1;
                continue;
            }
            self.users.entry(r.user_id).or_insert(r.user_profile);
            self.items
                .entry(r.item_id)
                .or_insert((r.item_quality_signal, r.item_risk_signal));
        }
    }

    /// Self-selected and random ratings so far.
    pub fn counts(&self) -> (usize, usize) {
        (self.train.len(), self.test.len())
    }

    /// The files of the layout, by name. An error when either file would have no ratings.
    pub fn files(&self) -> Result<Vec<(&'static str, String)>> {
        for (what, m, hint) in [
            (
                "self-selected",
                &self.train,
                "raise survey.rate or population.users",
            ),
            ("random", &self.test, "raise panel.rate (the random slice)"),
        ] {
            if m.is_empty() {
                return Err(SimError::field(
                    "format",
                    "ratings",
                    &format!("a ratings layout needs {what} ratings and the run made none: {hint}"),
                ));
            }
        }
        let ratings = |m: &BTreeMap<(u32, u32), u8>| {
            let mut s = String::from("user,item,rating\n");
            for ((u, i), r) in m {
                s.push_str(&format!("{u},{i},{r}\n"));
            }
            s
        };
        let mut users = String::from("user,user_profile\n");
        for (u, p) in &self.users {
            users.push_str(&format!("{u},{p}\n"));
        }
        let mut items = String::from("item,item_quality_signal,item_risk_signal\n");
        for (i, (q, k)) in &self.items {
            items.push_str(&format!("{i},{q},{k}\n"));
        }
        Ok(vec![
            ("train.csv", ratings(&self.train)),
            ("test.csv", ratings(&self.test)),
            ("user_features.csv", users),
            ("item_features.csv", items),
        ])
    }
}
