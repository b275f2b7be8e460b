//! Id embedding tables kept on the host and updated only where a batch touches them.
//!
//! A dense Adam step over 100k x 32 user rows would cost more than the rest of the model for a
//! batch that touches at most 1024 of them. Here a batch's rows are gathered into a small tensor,
//! its gradient is read back, and a lazy Adam step (the global step's bias correction, moments
//! kept per row) updates only the rows seen.

use crate::data::Vocab;
use crate::rng::{Rng, box_muller};

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
    /// Scratch: (id, batch row) pairs, sorted to aggregate duplicate ids.
    order: Vec<(u32, u32)>,
    /// Scratch: one id's summed gradient.
    acc: Vec<f32>,
}

impl Table {
    /// Weights drawn from N(0, std²): `rng.normal() * std` for each in turn, the draws' bits
    /// taken in order and their transform (a log and a cosine each) spread over the threads.
    fn new(rows: usize, dim: usize, rng: &mut Rng, std: f64) -> Table {
        const BLOCK: usize = 1 << 15;
        let mut w = vec![0.0f32; rows * dim];
        let mut bits = Vec::with_capacity(2 * BLOCK);
        for block in w.chunks_mut(BLOCK) {
            bits.clear();
            bits.extend((0..2 * block.len()).map(|_| rng.next_u64()));
            let fill = |(out, b): (&mut [f32], &[u64])| {
                for (o, b) in out.iter_mut().zip(b.chunks_exact(2)) {
                    *o = (box_muller(b[0], b[1]) * std) as f32;
                }
            };
            #[cfg(not(target_arch = "wasm32"))]
            {
                use rayon::prelude::*;
                block
                    .par_chunks_mut(2048)
                    .zip(bits.par_chunks(4096))
                    .for_each(fill);
            }
            #[cfg(target_arch = "wasm32")]
            block.chunks_mut(2048).zip(bits.chunks(4096)).for_each(fill);
        }
        Table::with_weights(w, dim)
    }

    fn with_weights(w: Vec<f32>, dim: usize) -> Table {
        let n = w.len();
        Table {
            dim,
            w,
            m: vec![0.0; n],
            v: vec![0.0; n],
            order: Vec::new(),
            acc: vec![0.0; dim],
        }
    }

    /// Lazy Adam on the rows of this table a batch touches: `ids` its id column, `grad` the
    /// batch's embedding gradient (`[rows.len(), 3 * dim]`), this table's block starting at
    /// column `col * dim`.
    fn adam_step(&mut self, ids: &[u32], rows: &[usize], grad: &[f32], col: usize, s: &AdamStep) {
        let (d, p) = (self.dim, s.params);
        let t = s.step as i32;
        let lr_t = s.lr * (1.0 - p.beta2.powi(t)).sqrt() / (1.0 - p.beta1.powi(t));
        let (lr, decay) = (s.lr, s.decay);
        self.order.clear();
        self.order
            .extend(rows.iter().enumerate().map(|(b, &r)| (ids[r], b as u32)));
        self.order.sort_unstable();
        let mut k = 0;
        while k < self.order.len() {
            let id = self.order[k].0;
            self.acc.fill(0.0);
            while k < self.order.len() && self.order[k].0 == id {
                let at = self.order[k].1 as usize * 3 * d + col * d;
                let g = &grad[at..at + d];
                self.acc.iter_mut().zip(g).for_each(|(a, &gi)| *a += gi);
                k += 1;
            }
            let row = id as usize * d..(id as usize + 1) * d;
            let (w, m, v) = (
                &mut self.w[row.clone()],
                &mut self.m[row.clone()],
                &mut self.v[row],
            );
            for (((w, m), v), &g) in w.iter_mut().zip(m).zip(v).zip(&self.acc) {
                *m = p.beta1 * *m + (1.0 - p.beta1) * g;
                *v = p.beta2 * *v + (1.0 - p.beta2) * g * g;
                *w -= lr_t * *m / (v.sqrt() + p.eps) + lr * decay * *w;
            }
        }
    }
}

/// The user, item and author tables.
#[derive(Clone, Debug)]
pub struct Tables {
    tables: [Table; 3],
    dim: usize,
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
        }
    }

    /// Rebuilds tables from stored weights (moments start at zero).
    pub fn from_weights(weights: [Vec<f32>; 3], dim: usize) -> Tables {
        let tables = weights.map(|w| Table::with_weights(w, dim));
        Tables { tables, dim }
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
        let one = |(t, table): (usize, &mut Table)| table.adam_step(ids[t], rows, grad, t, &step);
        // The three tables are independent: natively they step side by side.
        #[cfg(not(target_arch = "wasm32"))]
        {
            use rayon::prelude::*;
            self.tables.par_iter_mut().enumerate().for_each(one);
        }
        #[cfg(target_arch = "wasm32")]
        self.tables.iter_mut().enumerate().for_each(one);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_tables_are_the_seeded_normal_draws_in_turn() {
        // Over three blocks of draws (2,100 x 32 values), the last one ragged: the bits drawn in
        // order and transformed on the thread pool give what drawing one normal after another
        // gives.
        let vocab = Vocab {
            users: 2_100,
            items: 7,
            authors: 3,
        };
        let t = Tables::new(&vocab, 32, 9);
        let mut rng = Rng::new(9, 0xE3B);
        for (k, n) in [2_100, 7, 3].into_iter().enumerate() {
            let want: Vec<f32> = (0..n * 32).map(|_| (rng.normal() * 0.05) as f32).collect();
            assert_eq!(t.weights(k), &want[..], "table {k}");
        }
    }

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
