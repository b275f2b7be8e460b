//! Columnar datasets: what the models read. They come from the simulator or from real logs.
//!
//! Pre-exposure [`Features`] are what a served model may read. [`Posterior`] holds behaviour
//! observed after the exposure (like, share, dislike, report, watch fraction): only a teacher can
//! take it, by type. [`Labels`] carry one soft label and one mask bit per head, so a sample trains
//! only the heads it has an answer for.

use crate::error::{CoreError, Result, all_finite, all_in_range, same_len};
use serde::{Deserialize, Serialize};

/// Sizes of the id vocabularies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocab {
    /// Number of user ids.
    pub users: usize,
    /// Number of item ids.
    pub items: usize,
    /// Number of author ids.
    pub authors: usize,
}

impl Vocab {
    /// Checks user, item and author ids against the vocabularies; the error names the table, id
    /// and row.
    pub fn check_ids(&self, ids: [&[u32]; 3]) -> Result<()> {
        for (ids, (table, size)) in ids.iter().zip([
            ("user", self.users),
            ("item", self.items),
            ("author", self.authors),
        ]) {
            if let Some(row) = ids.iter().position(|&id| id as usize >= size) {
                return Err(CoreError::IdOutOfRange {
                    table,
                    id: ids[row],
                    row,
                    vocab: size,
                });
            }
        }
        Ok(())
    }

    /// Checks that every vocabulary is non-empty.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("vocab.users", self.users),
            ("vocab.items", self.items),
            ("vocab.authors", self.authors),
        ] {
            if v == 0 || v > u32::MAX as usize {
                return Err(CoreError::config(
                    name,
                    v,
                    "a vocabulary size in 1..=4294967295",
                ));
            }
        }
        Ok(())
    }
}

/// Pre-exposure features of `n` samples: ids and dense attributes (user, item, context).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Features {
    /// User id per sample.
    pub user: Vec<u32>,
    /// Item id per sample.
    pub item: Vec<u32>,
    /// Author id per sample.
    pub author: Vec<u32>,
    /// Dense attributes, row-major, `n * n_dense` values.
    pub dense: Vec<f32>,
    /// Dense attributes per sample.
    pub n_dense: usize,
}

impl Features {
    /// Checks lengths and finiteness and builds the features.
    pub fn new(
        user: Vec<u32>,
        item: Vec<u32>,
        author: Vec<u32>,
        dense: Vec<f32>,
        n_dense: usize,
    ) -> Result<Self> {
        let f = Features {
            user,
            item,
            author,
            dense,
            n_dense,
        };
        f.validate()?;
        Ok(f)
    }

    /// Checks lengths and finiteness.
    pub fn validate(&self) -> Result<()> {
        let n = self.user.len();
        same_len("features", "user", n, "item", self.item.len())?;
        same_len("features", "user", n, "author", self.author.len())?;
        same_len(
            "features",
            "user x n_dense",
            n * self.n_dense,
            "dense",
            self.dense.len(),
        )?;
        all_finite("features.dense", &self.dense)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// Checks every id against a vocabulary.
    pub fn check_vocab(&self, vocab: &Vocab) -> Result<()> {
        vocab.check_ids([&self.user, &self.item, &self.author])
    }

    /// The rows at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Features {
        Features {
            user: rows.iter().map(|&r| self.user[r]).collect(),
            item: rows.iter().map(|&r| self.item[r]).collect(),
            author: rows.iter().map(|&r| self.author[r]).collect(),
            dense: select_rows(&self.dense, self.n_dense, rows),
            n_dense: self.n_dense,
        }
    }

    /// Appends another set of features with the same width.
    pub fn extend(&mut self, other: &Features) -> Result<()> {
        same_len(
            "features.extend",
            "n_dense",
            self.n_dense,
            "other n_dense",
            other.n_dense,
        )?;
        self.user.extend_from_slice(&other.user);
        self.item.extend_from_slice(&other.item);
        self.author.extend_from_slice(&other.author);
        self.dense.extend_from_slice(&other.dense);
        Ok(())
    }
}

/// Behaviour observed after an exposure. Only a teacher model reads it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Posterior {
    /// Row-major, `n * n_features` values.
    pub values: Vec<f32>,
    /// Posterior features per sample.
    pub n_features: usize,
}

impl Posterior {
    /// Checks finiteness and builds the block.
    pub fn new(values: Vec<f32>, n_features: usize) -> Result<Self> {
        if n_features == 0 {
            return Err(CoreError::config("posterior.n_features", 0, "at least 1"));
        }
        if !values.len().is_multiple_of(n_features) {
            return Err(CoreError::config(
                "posterior.values",
                values.len(),
                format!("a multiple of n_features = {n_features}"),
            ));
        }
        all_finite("posterior", &values)?;
        Ok(Posterior { values, n_features })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.values.len() / self.n_features.max(1)
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The rows at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Posterior {
        Posterior {
            values: select_rows(&self.values, self.n_features, rows),
            n_features: self.n_features,
        }
    }
}

/// Soft labels in `[0, 1]` and a mask, one of each per sample and head.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels {
    /// Head names, in column order.
    pub heads: Vec<String>,
    /// Row-major, `n * heads.len()` labels.
    pub y: Vec<f32>,
    /// Row-major, `n * heads.len()`: whether the sample has a label for the head.
    pub mask: Vec<bool>,
}

impl Labels {
    /// Checks shapes and ranges and builds the labels.
    pub fn new(heads: Vec<String>, y: Vec<f32>, mask: Vec<bool>) -> Result<Self> {
        if heads.is_empty() {
            return Err(CoreError::empty("labels.heads"));
        }
        if !y.len().is_multiple_of(heads.len()) {
            return Err(CoreError::config(
                "labels.y",
                y.len(),
                format!("a multiple of the {} heads", heads.len()),
            ));
        }
        same_len("labels", "y", y.len(), "mask", mask.len())?;
        all_in_range("labels.y", &y, 0.0, 1.0)?;
        Ok(Labels { heads, y, mask })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len() / self.heads.len().max(1)
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Number of heads.
    pub fn n_heads(&self) -> usize {
        self.heads.len()
    }

    /// Labels and masks of one head.
    pub fn column(&self, head: usize) -> (Vec<f32>, Vec<bool>) {
        let h = self.heads.len();
        let y = self.y.iter().skip(head).step_by(h).copied().collect();
        let m = self.mask.iter().skip(head).step_by(h).copied().collect();
        (y, m)
    }

    /// Labelled samples and labelled positives (label >= 0.5) of one head.
    pub fn head_counts(&self, head: usize) -> (usize, usize) {
        let (y, m) = self.column(head);
        let labelled = m.iter().filter(|&&b| b).count();
        let pos = y.iter().zip(&m).filter(|(y, m)| **m && **y >= 0.5).count();
        (labelled, pos)
    }

    /// The rows at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Labels {
        let h = self.heads.len();
        Labels {
            heads: self.heads.clone(),
            y: select_rows(&self.y, h, rows),
            mask: select_rows(&self.mask, h, rows),
        }
    }

    /// Appends labels with the same heads.
    pub fn extend(&mut self, other: &Labels) -> Result<()> {
        if self.heads != other.heads {
            return Err(CoreError::config(
                "labels.extend",
                format!("{:?}", other.heads),
                format!("the same heads {:?}", self.heads),
            ));
        }
        self.y.extend_from_slice(&other.y);
        self.mask.extend_from_slice(&other.mask);
        Ok(())
    }
}

/// Gathers whole rows of width `w` from a row-major buffer.
pub fn select_rows<T: Copy>(values: &[T], w: usize, rows: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(rows.len() * w);
    for &r in rows {
        out.extend_from_slice(&values[r * w..(r + 1) * w]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_shapes_and_values_are_named() {
        let e = Features::new(vec![0, 1], vec![0], vec![0, 1], vec![], 0).unwrap_err();
        assert!(e.to_string().contains("item"), "{e}");
        let e = Features::new(vec![0], vec![0], vec![0], vec![f32::NAN], 1).unwrap_err();
        assert!(
            e.to_string().contains("features.dense") && e.to_string().contains("index 0"),
            "{e}"
        );
        let e = Labels::new(vec!["a".into()], vec![1.5], vec![true]).unwrap_err();
        assert!(e.to_string().contains("labels.y"), "{e}");
        let f = Features::new(vec![5], vec![0], vec![0], vec![], 0).unwrap();
        let e = f
            .check_vocab(&Vocab {
                users: 5,
                items: 1,
                authors: 1,
            })
            .unwrap_err();
        assert!(e.to_string().contains("user id 5 at row 0"), "{e}");
    }

    #[test]
    fn select_and_columns() {
        let l = Labels::new(
            vec!["a".into(), "b".into()],
            vec![0.0, 1.0, 1.0, 0.5],
            vec![true, false, true, true],
        )
        .unwrap();
        assert_eq!(l.column(1), (vec![1.0, 0.5], vec![false, true]));
        assert_eq!(l.head_counts(0), (2, 1));
        assert_eq!(l.select(&[1]).y, vec![1.0, 0.5]);
    }
}
