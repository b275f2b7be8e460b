//! A plain logistic regression on the survey models' inputs: one weight per user, item and
//! author id (their one-hot encodings) and per dense feature, and an intercept, per head. The
//! yardstick a team would compare a survey model with: a model that ranks below it shows.
//!
//! Trained by Adagrad on the same weighted, masked soft-label log loss the survey models
//! minimise, with an L2 penalty on every weight but the intercepts, in seeded minibatches; the
//! same rows and seed give the same model on every machine.

use crate::data::{Features, Labels, Vocab};
use crate::error::{CoreError, Result, same_len};
use crate::rng::Rng;
use crate::train::{EpochStats, TrainReport};

/// How a logistic regression trains.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogisticConfig {
    /// Passes over the rows.
    pub epochs: usize,
    /// Rows per step.
    pub batch_size: usize,
    /// Adagrad's step size.
    pub learning_rate: f64,
    /// L2 penalty on every weight but the intercepts, per row of a batch.
    pub l2: f64,
    /// Seed of the shuffles.
    pub seed: u64,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        LogisticConfig {
            epochs: 10,
            batch_size: 256,
            learning_rate: 0.1,
            l2: 1e-4,
            seed: 0,
        }
    }
}

/// A logistic regression per head.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticModel {
    heads: Vec<String>,
    vocab: Vocab,
    n_dense: usize,
    /// Per head: intercept, then users', items', authors' and the dense features' weights.
    w: Vec<Vec<f32>>,
}

impl LogisticModel {
    /// Zero weights for `heads` over `vocab` and `n_dense` dense features.
    pub fn new(heads: Vec<String>, vocab: Vocab, n_dense: usize) -> Result<LogisticModel> {
        vocab.validate()?;
        if heads.is_empty() {
            return Err(CoreError::empty("logistic.heads"));
        }
        let len = 1 + vocab.users + vocab.items + vocab.authors + n_dense;
        Ok(LogisticModel {
            w: vec![vec![0.0; len]; heads.len()],
            heads,
            vocab,
            n_dense,
        })
    }

    /// The weights' positions one row reads: intercept, its three ids, then the dense block.
    fn slots(&self, x: &Features, i: usize) -> [usize; 4] {
        let v = &self.vocab;
        [
            0,
            1 + x.user[i] as usize,
            1 + v.users + x.item[i] as usize,
            1 + v.users + v.items + x.author[i] as usize,
        ]
    }

    fn dense_start(&self) -> usize {
        1 + self.vocab.users + self.vocab.items + self.vocab.authors
    }

    fn logit(&self, h: usize, x: &Features, i: usize) -> f64 {
        let w = &self.w[h];
        let ids: f64 = self.slots(x, i).iter().map(|&s| w[s] as f64).sum();
        let d0 = self.dense_start();
        let row = &x.dense[i * x.n_dense..(i + 1) * x.n_dense];
        ids + row
            .iter()
            .zip(&w[d0..])
            .map(|(a, b)| *a as f64 * *b as f64)
            .sum::<f64>()
    }

    fn check(&self, x: &Features) -> Result<()> {
        x.validate()?;
        x.check_vocab(&self.vocab)?;
        same_len(
            "logistic",
            "n_dense",
            self.n_dense,
            "features n_dense",
            x.n_dense,
        )
    }

    /// Fits on `x` and `y`, each cell weighted by `weights` (`rows × heads`, all 1 if `None`).
    pub fn fit(
        &mut self,
        x: &Features,
        y: &Labels,
        weights: Option<&[f32]>,
        cfg: &LogisticConfig,
    ) -> Result<TrainReport> {
        self.check(x)?;
        let (n, nh) = (x.len(), self.heads.len());
        same_len("logistic", "rows", n, "labels", y.len())?;
        same_len("logistic", "heads", nh, "label heads", y.n_heads())?;
        if let Some(w) = weights {
            same_len("logistic", "cells", n * nh, "weights", w.len())?;
        }
        if cfg.epochs == 0 || cfg.batch_size == 0 {
            return Err(CoreError::config(
                "logistic.epochs, logistic.batch_size",
                format!("{}, {}", cfg.epochs, cfg.batch_size),
                "at least 1 each",
            ));
        }
        let len = self.w[0].len();
        let mut g2 = vec![vec![1e-8f64; len]; nh];
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = Rng::new(cfg.seed, 0x1061);
        let d0 = self.dense_start();
        let mut history = Vec::new();
        for epoch in 1..=cfg.epochs {
            rng.shuffle(&mut order);
            let (mut loss, mut mass) = (0.0, 0.0);
            for batch in order.chunks(cfg.batch_size) {
                for (h, g2) in g2.iter_mut().enumerate() {
                    // The batch's gradient, accumulated sparsely over the slots it touches.
                    let mut grad: std::collections::BTreeMap<usize, f64> = Default::default();
                    for &i in batch {
                        let c = i * nh + h;
                        if !y.mask[c] {
                            continue;
                        }
                        let wt = weights.map_or(1.0, |w| w[c] as f64);
                        let z = self.logit(h, x, i);
                        let (p, t) = (sigmoid(z), y.y[c] as f64);
                        loss += wt * (softplus(z) - t * z);
                        mass += wt;
                        let e = wt * (p - t);
                        for s in self.slots(x, i) {
                            *grad.entry(s).or_default() += e;
                        }
                        let row = &x.dense[i * x.n_dense..(i + 1) * x.n_dense];
                        for (j, v) in row.iter().enumerate() {
                            if *v != 0.0 {
                                *grad.entry(d0 + j).or_default() += e * *v as f64;
                            }
                        }
                    }
                    let m = batch.len() as f64;
                    let w = &mut self.w[h];
                    for (s, g) in grad {
                        let l2 = if s == 0 {
                            0.0
                        } else {
                            cfg.l2 * m * w[s] as f64
                        };
                        let g = (g + l2) / m;
                        g2[s] += g * g;
                        w[s] -= (cfg.learning_rate * g / g2[s].sqrt()) as f32;
                    }
                }
            }
            history.push(EpochStats {
                epoch,
                train_loss: loss / mass.max(1e-12),
                val_loss: None,
            });
        }
        Ok(TrainReport {
            best_epoch: cfg.epochs,
            history,
            stopped_early: false,
            train_rows: n,
            val_rows: 0,
            samples_seen: n * cfg.epochs,
        })
    }

    /// Each row's probability of each head, row-major (`rows × heads`).
    pub fn predict(&self, x: &Features) -> Result<Vec<f32>> {
        self.check(x)?;
        let nh = self.heads.len();
        let mut p = Vec::with_capacity(x.len() * nh);
        for i in 0..x.len() {
            for h in 0..nh {
                p.push(sigmoid(self.logit(h, x, i)) as f32);
            }
        }
        Ok(p)
    }

    /// The heads, in column order.
    pub fn heads(&self) -> &[String] {
        &self.heads
    }
}

/// `1 / (1 + e^-z)` without overflow.
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows whose label follows the user (users 0..5 answer yes, 5..10 no) and, for one head, a
    /// dense feature.
    fn data(n: usize) -> (Features, Labels) {
        let (mut user, mut dense, mut y) = (Vec::new(), Vec::new(), Vec::new());
        let mut rng = Rng::new(7, 1);
        for i in 0..n {
            let u = (i % 10) as u32;
            let d = rng.normal() as f32;
            user.push(u);
            dense.push(d);
            y.push(if u < 5 { 1.0 } else { 0.0 });
            y.push(if d > 0.0 { 1.0 } else { 0.0 });
        }
        let x = Features::new(user, vec![0; n], vec![0; n], dense, 1).unwrap();
        let labels = Labels::new(vec!["a".into(), "b".into()], y, vec![true; 2 * n]).unwrap();
        (x, labels)
    }

    #[test]
    fn learns_ids_and_dense_features_and_is_seeded() {
        let (x, y) = data(2000);
        let vocab = Vocab {
            users: 10,
            items: 1,
            authors: 1,
        };
        let cfg = LogisticConfig::default();
        let mut m = LogisticModel::new(vec!["a".into(), "b".into()], vocab, 1).unwrap();
        let rep = m.fit(&x, &y, None, &cfg).unwrap();
        assert!(
            rep.history.last().unwrap().train_loss < 0.5 * rep.history[0].train_loss,
            "{rep:?}"
        );
        let p = m.predict(&x).unwrap();
        // Head a by user, head b by the dense feature's sign.
        for i in 0..20 {
            let (a, b) = (p[2 * i], p[2 * i + 1]);
            assert_eq!(a > 0.5, x.user[i] < 5, "row {i}: {a}");
            if x.dense[i].abs() > 0.5 {
                assert_eq!(b > 0.5, x.dense[i] > 0.0, "row {i}: {b}");
            }
        }
        let mut again = LogisticModel::new(vec!["a".into(), "b".into()], vocab, 1).unwrap();
        again.fit(&x, &y, None, &cfg).unwrap();
        assert_eq!(again, m);
        // A masked cell teaches nothing: with head b masked everywhere, its weights stay 0.
        let mut masked = y.clone();
        for c in (1..masked.mask.len()).step_by(2) {
            masked.mask[c] = false;
        }
        let mut m2 = LogisticModel::new(vec!["a".into(), "b".into()], vocab, 1).unwrap();
        m2.fit(&x, &masked, None, &cfg).unwrap();
        assert!(
            m2.predict(&x)
                .unwrap()
                .iter()
                .skip(1)
                .step_by(2)
                .all(|&p| p == 0.5)
        );
    }

    #[test]
    fn weights_shift_the_base_rate() {
        // Half the rows answer yes; weighting the yes rows 3 to 1 moves the fitted rate to 3/4.
        let n = 4000;
        let x = Features::new(vec![0; n], vec![0; n], vec![0; n], vec![], 0).unwrap();
        let y = Labels::new(
            vec!["a".into()],
            (0..n).map(|i| (i % 2) as f32).collect(),
            vec![true; n],
        )
        .unwrap();
        let w: Vec<f32> = (0..n).map(|i| if i % 2 == 1 { 3.0 } else { 1.0 }).collect();
        let vocab = Vocab {
            users: 1,
            items: 1,
            authors: 1,
        };
        let mut m = LogisticModel::new(vec!["a".into()], vocab, 0).unwrap();
        m.fit(&x, &y, Some(&w), &LogisticConfig::default()).unwrap();
        let p = m.predict(&x).unwrap()[0];
        assert!((p - 0.75).abs() < 0.02, "{p}");
    }

    #[test]
    fn refuses_bad_inputs() {
        let (x, y) = data(10);
        let vocab = Vocab {
            users: 3,
            items: 1,
            authors: 1,
        };
        let mut m = LogisticModel::new(vec!["a".into(), "b".into()], vocab, 1).unwrap();
        // User ids up to 9 against a vocabulary of 3.
        assert!(m.fit(&x, &y, None, &LogisticConfig::default()).is_err());
        assert!(LogisticModel::new(vec![], vocab, 1).is_err());
    }
}
