//! Replicates run apart and pooled: `usm run --shard i/K` runs its share of a run's replicates
//! and writes them as a [`Part`]; [`pool`] combines the parts of all `K` shards into the
//! results of the whole run (`experiment::pool`). A replicate's seeds come from the run's seed and the
//! replicate's index, never from the shard, and the parts carry every replicate's measurements
//! whole, so the pooled results are those of one machine running them all (seconds aside).

use serde::{Deserialize, Serialize};

use super::config::{Experiment, ExperimentConfig};
use super::measured::Replicate;
use crate::error::{Result, SimError};

/// What a part says it is, so that another JSON file is refused by name.
pub const PART_FORMAT: &str = "usm part 1";

/// Shard `index` of `of` (from 1): it runs every replicate `r` with `r % of == index - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: usize,
    /// How many shards.
    pub of: usize,
}

impl Shard {
    /// `i/K`, with `1 <= i <= K`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            SimError::field(
                "shard",
                text,
                "I/K with 1 <= I <= K, such as 2/8 (the second of eight shards)",
            )
        };
        let (i, k) = text.split_once('/').ok_or_else(bad)?;
        let (index, of) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            k.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index == 0 || index > of {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }

    /// The replicates of a run of `n` this shard runs, in order.
    pub fn replicates(self, n: usize) -> Vec<usize> {
        (self.index - 1..n).step_by(self.of).collect()
    }

    /// The part's file name: `part-I-of-K.json`.
    pub fn file_name(self) -> String {
        format!("part-{}-of-{}.json", self.index, self.of)
    }
}

/// One replicate of a part: its index in the run, its measurements and its seconds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartReplicate {
    /// Its index in the run (its seeds follow from it).
    pub index: usize,
    /// Wall seconds it took.
    pub seconds: f64,
    /// What it measured.
    pub measured: Replicate,
}

/// What a shard writes: the run's configuration, which shard, and its replicates.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Part {
    /// [`PART_FORMAT`].
    pub format: String,
    /// The run's configuration, the number of replicates included.
    pub config: ExperimentConfig,
    /// Which shard ran.
    pub shard: Shard,
    /// Its replicates, by index.
    pub replicates: Vec<PartReplicate>,
}

impl Part {
    /// A part as JSON (one line: a part can travel as a line of a pipe).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| SimError::Parse {
            origin: self.shard.file_name(),
            message: e.to_string(),
        })
    }

    /// A part read from `origin`'s text.
    pub fn from_json(origin: &str, text: &str) -> Result<Part> {
        read_part(origin, text, PART_FORMAT, ("part", "usm run --shard"))
    }
}

/// A part of kind `format` read from `origin`'s text: JSON whose `format` field says it is one.
/// `(what, writer)` name it in the errors: `("part", "usm run --shard")`.
pub fn read_part<T: serde::de::DeserializeOwned>(
    origin: &str,
    text: &str,
    format: &str,
    (what, writer): (&str, &str),
) -> Result<T> {
    let parse = |message: String| SimError::Parse {
        origin: origin.to_string(),
        message,
    };
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| parse(format!("not JSON ({e}): is this a part {writer} wrote?")))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(format) {
        return Err(parse(format!(
            "not a {what}: its `format` is not `{format}` ({writer} I/K writes them)"
        )));
    }
    serde_json::from_value(v).map_err(|e| parse(e.to_string()))
}

/// The shards of `of` that run the missing items (item `j` is shard `j % of + 1`'s), as `I/K`
/// in order, comma-separated: what to run again before pooling.
pub fn shards_to_rerun(of: usize, missing: &[usize]) -> String {
    let shards: std::collections::BTreeSet<usize> = missing.iter().map(|j| j % of + 1).collect();
    let shards: Vec<String> = shards.iter().map(|s| format!("{s}/{of}")).collect();
    shards.join(", ")
}

/// The run of the parts of all its shards, and its replicates in order with their seconds: what
/// one machine running every replicate would aggregate. Each part comes with where it was read
/// (for the errors). An error names the part at fault: one of another run (configuration or
/// shard count), a replicate in two parts, a shard or replicate missing.
pub fn gather(parts: &[(String, Part)]) -> Result<(Experiment, Vec<Replicate>, Vec<f64>)> {
    let bad = |origin: &str, message: String| SimError::Parse {
        origin: origin.to_string(),
        message,
    };
    let Some((first_origin, first)) = parts.first() else {
        return Err(bad("usm pool", "no parts given".into()));
    };
    let n = first.config.replicates;
    let mut slots: Vec<Option<(&str, &PartReplicate)>> = vec![None; n];
    for (origin, p) in parts {
        if p.config != first.config {
            return Err(bad(
                origin,
                format!(
                    "its run's configuration differs from {first_origin}'s (another scenario, seed or setting): only parts of one run pool"
                ),
            ));
        }
        if p.shard.of != first.shard.of {
            return Err(bad(
                origin,
                format!(
                    "it is shard {}/{}, and {first_origin} is one of {} shards: only parts of one run pool",
                    p.shard.index, p.shard.of, first.shard.of
                ),
            ));
        }
        for r in &p.replicates {
            let Some(slot) = slots.get_mut(r.index) else {
                return Err(bad(
                    origin,
                    format!("it holds replicate {}, and the run has {n}", r.index),
                ));
            };
            if let Some((other, _)) = slot {
                return Err(bad(
                    origin,
                    format!("replicate {} is in {other} too", r.index),
                ));
            }
            *slot = Some((origin, r));
        }
    }
    let missing: Vec<usize> = (0..n).filter(|&r| slots[r].is_none()).collect();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(usize::to_string).collect();
        return Err(bad(
            "usm pool",
            format!(
                "{} of the run's {n} replicates are missing ({}): run shard(s) {} and pool again",
                missing.len(),
                list.join(", "),
                shards_to_rerun(first.shard.of, &missing)
            ),
        ));
    }
    let exp = first.config.clone().check()?;
    let (reps, seconds): (Vec<Replicate>, Vec<f64>) = slots
        .into_iter()
        .flatten()
        .map(|(_, r)| (r.measured.clone(), r.seconds))
        .unzip();
    Ok((exp, reps, seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_replicates() {
        let s = Shard::parse("2/3").unwrap();
        assert_eq!(s, Shard { index: 2, of: 3 });
        assert_eq!(s.replicates(8), vec![1, 4, 7]);
        let all: Vec<usize> = (1..=3)
            .flat_map(|i| Shard { index: i, of: 3 }.replicates(8))
            .collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..8).collect::<Vec<_>>());
        assert_eq!(Shard { index: 5, of: 5 }.replicates(3), Vec::<usize>::new());
        for bad in ["0/3", "4/3", "2", "a/3", "1/0", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(s.file_name(), "part-2-of-3.json");
        // Shards in numeric order, each once.
        assert_eq!(shards_to_rerun(12, &[1, 13, 9, 10]), "2/12, 10/12, 11/12");
    }

    #[test]
    fn another_json_is_not_a_part() {
        let e = Part::from_json("x.json", r#"{"seed": 1}"#).unwrap_err();
        assert!(e.to_string().contains("not a part"), "{e}");
        let e = Part::from_json("x.json", "nope").unwrap_err();
        assert!(e.to_string().contains("x.json"), "{e}");
    }
}
