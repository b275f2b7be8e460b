//! The Open Bandit Dataset (Saito et al., 2021) as log rows: real recommendations logged by two
//! policies, Bernoulli Thompson sampling (`bts`) and uniform random (`random`), each impression
//! with its click and the logging policy's propensity. It is the real test of the two things
//! usm estimates: a propensity model fitted on the logs should track the propensities the
//! policy logged, and weighting the biased policy's outcomes should move the estimate toward
//! what the random policy shows.
//!
//! The mapping, in the terms of the log schema (`docs/obd-format.md` has it in full):
//! - an impression the `bts` policy chose is a satisfaction survey shown and submitted, answered
//!   `like` for a click and `dislike` without; 4 items it did not choose for that impression
//!   are shows not submitted, so the submit model estimates who gets "chosen";
//! - a `random` impression is the random slice: a panel answer;
//! - 2 unchosen items per impression are exposures without a survey (the pseudo-label stream);
//! - the day is the impression's date, from the first; the position (1..=3) is the hour bucket;
//!   the user is the tuple of the four user features; `user_profile` is the user-item affinity;
//!   `item_quality_signal` is `item_feature_0` and the category is `item_feature_1`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use usm_core::rng::Rng;

use crate::error::{Result, SimError};
use crate::records::{Answer, ExposureRecord, SurveyKind};

/// The rows, and for each submitted (chosen) impression its logged propensity by exposure id.
pub struct Obd {
    /// Log rows.
    pub rows: Vec<ExposureRecord>,
    /// exposure id → the logging policy's propensity of the chosen item.
    pub logged_propensity: HashMap<u64, f64>,
    /// What was made of the data, in words.
    pub notes: Vec<String>,
}

/// Unchosen items per impression shown as unsubmitted surveys.
const UNCHOSEN_SHOWN: usize = 4;
/// Unchosen items per impression as exposures without a survey.
const UNCHOSEN_EXPOSED: usize = 2;

/// One impression as read.
struct Impression {
    date: String,
    item: u32,
    position: u32,
    click: bool,
    propensity: f64,
    user: [String; 4],
    affinity: Vec<f32>,
}

/// Reads the data set in `dir` (`bts/all/all.csv`, `random/all/all.csv`, `*/all/item_context.csv`).
pub fn read(dir: &Path, seed: u64) -> Result<Obd> {
    let bts = impressions(&dir.join("bts/all/all.csv"))?;
    let random = impressions(&dir.join("random/all/all.csv"))?;
    let items = item_context(&dir.join("bts/all/item_context.csv"))?;
    let n_items = items.len() as u32;
    if n_items < 2 {
        return Err(SimError::Parse {
            origin: dir.join("bts/all/item_context.csv").display().to_string(),
            message: format!("has {n_items} item(s): a policy needs at least 2 to choose from"),
        });
    }
    if let Some(i) = bts.iter().chain(&random).find(|i| i.item >= n_items) {
        return Err(SimError::Parse {
            origin: dir.display().to_string(),
            message: format!(
                "item {} is not in item_context.csv ({n_items} items)",
                i.item
            ),
        });
    }
    let mut users: BTreeMap<&[String; 4], u32> = BTreeMap::new();
    let mut dates: BTreeMap<&str, u32> = BTreeMap::new();
    for i in bts.iter().chain(&random) {
        users.entry(&i.user).or_insert(0);
        dates.entry(&i.date).or_insert(0);
    }
    for (k, v) in users.values_mut().enumerate() {
        *v = k as u32;
    }
    for (k, v) in dates.values_mut().enumerate() {
        *v = k as u32;
    }
    let mut categories: BTreeMap<&str, u32> = BTreeMap::new();
    for (_, c) in &items {
        categories.entry(c.as_str()).or_insert(0);
    }
    for (k, v) in categories.values_mut().enumerate() {
        *v = k as u32;
    }
    let mut out = Obd {
        rows: Vec::new(),
        logged_propensity: HashMap::new(),
        notes: Vec::new(),
    };
    let mut rng = Rng::new(seed, 0x0BD);
    let mut next = 0u64;
    for (policy, list) in [("bts", &bts), ("random", &random)] {
        for imp in list.iter() {
            let row = |item: u32, next: &mut u64| {
                *next += 1;
                let (quality, category) = &items[item as usize];
                ExposureRecord {
                    exposure_id: *next,
                    day: dates[imp.date.as_str()],
                    hour: (imp.position - 1) as u8,
                    slot: (imp.position - 1) as u8,
                    user_id: users[&imp.user],
                    item_id: item,
                    item_category: categories[category.as_str()],
                    item_quality_signal: *quality,
                    user_profile: imp.affinity.get(item as usize).copied().unwrap_or(0.0),
                    ..ExposureRecord::default()
                }
            };
            let answer = if imp.click {
                Answer::Like
            } else {
                Answer::Dislike
            };
            let chosen = ExposureRecord {
                survey: SurveyKind::Satisfaction,
                submitted: true,
                panel: policy == "random",
                answer,
                ..row(imp.item, &mut next)
            };
            if policy == "bts" {
                out.logged_propensity
                    .insert(chosen.exposure_id, imp.propensity);
            }
            out.rows.push(chosen);
            if policy == "random" {
                continue;
            }
            for k in 0..UNCHOSEN_SHOWN + UNCHOSEN_EXPOSED {
                // Another item than the one chosen, uniformly.
                let mut other = rng.below(n_items as u64 - 1) as u32;
                if other >= imp.item {
                    other += 1;
                }
                let mut r = row(other, &mut next);
                if k < UNCHOSEN_SHOWN {
                    r.survey = SurveyKind::Satisfaction;
                }
                out.rows.push(r);
            }
        }
    }
    let ctr = |l: &[Impression]| l.iter().filter(|i| i.click).count() as f64 / l.len() as f64;
    out.notes = vec![
        format!(
            "Open Bandit Dataset: {} bts impressions (click rate {:.4}) and {} random impressions (click rate {:.4}) of {} users, {n_items} items, {} days",
            bts.len(),
            ctr(&bts),
            random.len(),
            ctr(&random),
            users.len(),
            dates.len()
        ),
        format!(
            "a bts impression is a submitted survey (like: click, dislike: none), {UNCHOSEN_SHOWN} unchosen items per impression unsubmitted shows, {UNCHOSEN_EXPOSED} exposures without a survey; random impressions are the random slice; the dislike rate is 1 - click rate"
        ),
    ];
    Ok(out)
}

/// A CSV file's reader and its header (a byte-order mark dropped).
fn csv_reader(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| SimError::io(path, e))?;
    let header = rdr
        .headers()
        .map_err(|e| SimError::io(path, e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    Ok((rdr, header))
}

/// Where column `name` is in `header`, or the error naming it.
fn column(header: &[String], file: &str, name: &str) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| SimError::Parse {
            origin: file.to_string(),
            message: format!("missing column `{name}`"),
        })
}

fn impressions(path: &Path) -> Result<Vec<Impression>> {
    let file = path.display().to_string();
    let (mut rdr, header) = csv_reader(path)?;
    let col = |name: &str| column(&header, &file, name);
    let (ct, ci, cp, cc, cs) = (
        col("timestamp")?,
        col("item_id")?,
        col("position")?,
        col("click")?,
        col("propensity_score")?,
    );
    let cu: Vec<usize> = (0..4)
        .map(|k| col(&format!("user_feature_{k}")))
        .collect::<Result<_>>()?;
    let affinity: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.starts_with("user-item_affinity_"))
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let row = row + 1;
        let rec = rec.map_err(|e| SimError::Parse {
            origin: file.clone(),
            message: format!("row {row}: {e}"),
        })?;
        let bad = |column: &str, message: String| SimError::BadCell {
            file: file.clone(),
            row,
            column: column.into(),
            message,
        };
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let int = |c: usize, name: &str| {
            get(c).parse::<u32>().map_err(|_| {
                bad(
                    name,
                    format!("`{}` is not an id", super::csv::shown(get(c))),
                )
            })
        };
        let position = int(cp, "position")?;
        if !(1..=3).contains(&position) {
            return Err(bad("position", format!("{position} is outside 1..=3")));
        }
        let click = match get(cc) {
            "1" => true,
            "0" => false,
            other => {
                return Err(bad(
                    "click",
                    format!("`{}` is not 0 or 1", super::csv::shown(other)),
                ));
            }
        };
        let propensity: f64 = get(cs)
            .parse()
            .ok()
            .filter(|p: &f64| *p > 0.0 && *p <= 1.0)
            .ok_or_else(|| {
                bad(
                    "propensity_score",
                    format!("`{}` is not in (0, 1]", super::csv::shown(get(cs))),
                )
            })?;
        let date = get(ct).get(..10).unwrap_or("").to_string();
        if date.len() != 10 {
            return Err(bad("timestamp", "is not a date and time".into()));
        }
        out.push(Impression {
            date,
            item: int(ci, "item_id")?,
            position,
            click,
            propensity,
            user: [0, 1, 2, 3].map(|k| get(cu[k]).to_string()),
            affinity: affinity
                .iter()
                .map(|&c| {
                    get(c)
                        .parse::<f32>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .unwrap_or(0.0)
                })
                .collect(),
        });
    }
    if out.is_empty() {
        return Err(SimError::Parse {
            origin: file,
            message: "has no impressions".into(),
        });
    }
    Ok(out)
}

/// item id → (item_feature_0, item_feature_1), in id order.
fn item_context(path: &Path) -> Result<Vec<(f32, String)>> {
    let file = path.display().to_string();
    let (mut rdr, header) = csv_reader(path)?;
    let col = |name: &str| column(&header, &file, name);
    let (ci, c0, c1) = (
        col("item_id")?,
        col("item_feature_0")?,
        col("item_feature_1")?,
    );
    let mut by_id = BTreeMap::new();
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| SimError::Parse {
            origin: file.clone(),
            message: format!("row {}: {e}", row + 1),
        })?;
        let bad = |column: &str| SimError::BadCell {
            file: file.clone(),
            row: row + 1,
            column: column.into(),
            message: "is not valid".into(),
        };
        let id: u32 = rec
            .get(ci)
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| bad("item_id"))?;
        let q: f32 = rec
            .get(c0)
            .and_then(|v| v.trim().parse().ok())
            .filter(|v: &f32| v.is_finite())
            .ok_or_else(|| bad("item_feature_0"))?;
        by_id.insert(id, (q, rec.get(c1).unwrap_or("").to_string()));
    }
    // Ids must run 0..n.
    if by_id.keys().copied().ne(0..by_id.len() as u32) {
        return Err(SimError::Parse {
            origin: file,
            message: "item ids must run from 0 without gaps".into(),
        });
    }
    Ok(by_id.into_values().collect())
}
