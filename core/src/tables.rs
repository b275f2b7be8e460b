//! Id embedding tables kept on the host and updated only where a batch touches them.
//!
//! A dense Adam step over 100k x 32 user rows would cost more than the rest of the model for a
//! batch that touches at most 1024 of them. Here a batch's rows are gathered into a small tensor,
//! its gradient is read back, and a lazy Adam step (the global step's bias correction, moments
//! kept per row) updates only the rows seen.

use crate::data::Vocab;
use crate::rng::Rng;

/// Adam settings shared with the dense part.
#[derive(Clone, Copy, Debug)]
pub struct AdamParams {
    /// First-moment decay.
    pub beta1: f32,
    /// Second-moment decay.
    pub beta2: f32,
    /// Numerical floor.
    pub eps: f32,
}

/// One step's settings of [`Tables::adam_step`].
#[derive(Clone, Copy, Debug)]
pub struct AdamStep {
    /// Learning rate.
    pub lr: f32,
    /// The global step, from 1 (for the bias corrections).
    pub step: u64,
    /// Decoupled weight decay (AdamW) on the rows touched.
    pub decay: f32,
    /// The moments' decays and floor.
    pub params: AdamParams,
}

impl Default for AdamParams {
    fn default() -> Self {
        AdamParams {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

#[derive(Clone, Debug)]
struct Table {
    dim: usize,
    w: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Table {
    fn new(rows: usize, dim: usize, rng: &mut Rng, std: f64) -> Table {
        let w = (0..rows * dim)
            .map(|_| (rng.normal() * std) as f32)
            .collect();
        Table {
            dim,
            w,
            m: vec![0.0; rows * dim],
            v: vec![0.0; rows * dim],
        }
    }
}

/// The user, item and author tables.
#[derive(Clone, Debug)]
pub struct Tables {
    tables: [Table; 3],
    dim: usize,
    /// Scratch: (id, batch row) pairs, sorted to aggregate duplicate ids.
    order: Vec<(u32, u32)>,
    acc: Vec<f32>,
}

impl Tables {
    /// Fresh tables drawn from N(0, 0.05²), seeded.
    pub fn new(vocab: &Vocab, dim: usize, seed: u64) -> Tables {
        let mut rng = Rng::new(seed, 0xE3B);
        let std = 0.05;
        Tables {
            tables: [
                Table::new(vocab.users, dim, &mut rng, std),
                Table::new(vocab.items, dim, &mut rng, std),
                Table::new(vocab.authors, dim, &mut rng, std),
            ],
            dim,
            order: Vec::new(),
            acc: vec![0.0; dim],
        }
    }

    /// Rebuilds tables from stored weights (moments start at zero).
    pub fn from_weights(weights: [Vec<f32>; 3], dim: usize) -> Tables {
        let tables = weights.map(|w| {
            let n = w.len();
            Table {
                dim,
                w,
                m: vec![0.0; n],
                v: vec![0.0; n],
            }
        });
        Tables {
            tables,
            dim,
            order: Vec::new(),
            acc: vec![0.0; dim],
        }
    }

    /// Embedding size.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Weights of table `t` (0 user, 1 item, 2 author).
    pub fn weights(&self, t: usize) -> &[f32] {
        &self.tables[t].w
    }

    /// Rows of each table.
    pub fn rows(&self) -> [usize; 3] {
        [0, 1, 2].map(|t| self.tables[t].w.len() / self.dim)
    }

    /// Writes the embeddings of `rows` into `out` as `[rows.len(), 3 * dim]`.
    pub fn gather(&self, ids: [&[u32]; 3], rows: &[usize], out: &mut Vec<f32>) {
        out.clear();
        out.reserve(rows.len() * 3 * self.dim);
        for &r in rows {
            self.push_row(ids, r, out);
        }
    }

    /// Appends the user, item and author embeddings of row `r` of the id columns `ids` to `out`.
    pub fn push_row(&self, ids: [&[u32]; 3], r: usize, out: &mut Vec<f32>) {
        let d = self.dim;
        for (t, table) in self.tables.iter().enumerate() {
            let id = ids[t][r] as usize;
            out.extend_from_slice(&table.w[id * d..(id + 1) * d]);
        }
    }

    /// One lazy Adam step on the rows of a batch: the rows `rows` of the id columns `ids`, with
    /// `grad` as `[rows.len(), 3 * dim]`.
    pub fn adam_step(&mut self, ids: [&[u32]; 3], rows: &[usize], grad: &[f32], step: AdamStep) {
        let AdamStep {
            lr,
            step,
            decay,
            params: p,
        } = step;
        let d = self.dim;
        let t = step as i32;
        let lr_t = lr * (1.0 - p.beta2.powi(t)).sqrt() / (1.0 - p.beta1.powi(t));
        for (ti, table) in self.tables.iter_mut().enumerate() {
            self.order.clear();
            self.order.extend(
                rows.iter()
                    .enumerate()
                    .map(|(b, &r)| (ids[ti][r], b as u32)),
            );
            self.order.sort_unstable();
            let mut k = 0;
            while k < self.order.len() {
                let id = self.order[k].0;
                self.acc.iter_mut().for_each(|a| *a = 0.0);
                while k < self.order.len() && self.order[k].0 == id {
                    let b = self.order[k].1 as usize;
                    let g = &grad[b * 3 * d + ti * d..b * 3 * d + (ti + 1) * d];
                    for (a, &gi) in self.acc.iter_mut().zip(g) {
                        *a += gi;
                    }
                    k += 1;
                }
                let base = id as usize * table.dim;
                for j in 0..d {
                    let g = self.acc[j];
                    let m = &mut table.m[base + j];
                    let v = &mut table.v[base + j];
                    *m = p.beta1 * *m + (1.0 - p.beta1) * g;
                    *v = p.beta2 * *v + (1.0 - p.beta2) * g * g;
                    let w = &mut table.w[base + j];
                    *w -= lr_t * *m / (v.sqrt() + p.eps) + lr * decay * *w;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_touched_rows_move_and_duplicates_sum() {
        let vocab = Vocab {
            users: 4,
            items: 3,
            authors: 2,
        };
        let mut t = Tables::new(&vocab, 2, 1);
        let before = t.clone();
        let user = [1u32, 1];
        let item = [0u32, 2];
        let author = [1u32, 1];
        let grad = vec![1.0f32; 2 * 6];
        t.adam_step(
            [&user, &item, &author],
            &[0, 1],
            &grad,
            AdamStep {
                lr: 0.1,
                step: 1,
                decay: 0.0,
                params: AdamParams::default(),
            },
        );
        // User 1 moved by lr (Adam's first step is lr * sign), the others did not.
        for u in 0..4 {
            let moved = t.weights(0)[u * 2] != before.weights(0)[u * 2];
            assert_eq!(moved, u == 1, "user {u}");
        }
        let delta = before.weights(0)[2] - t.weights(0)[2];
        assert!((delta - 0.1).abs() < 1e-4, "{delta}");
        assert_eq!(t.weights(1)[2..4], before.weights(1)[2..4]);
    }
}
