//! The machinery shared by every model kind: host embedding tables, the dense net, the training
//! loop and batched inference. Public model types wrap it in `models`.

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::TensorData;
use serde::{Deserialize, Serialize};

use crate::cpu::{self, HostNet};
use crate::data::{Labels, Vocab};
use crate::error::{CoreError, Result, all_finite, same_len};
use crate::exec::block_on;
use crate::loss::{bce_logit, sigmoid, weighted_bce_sum};
use crate::net::{ArchConfig, Net, NetSpec};
use crate::rng::Rng;
use crate::tables::{AdamParams, AdamStep, Tables};
use crate::train::{EpochStats, LossNorm, TrainConfig, TrainEvent, TrainReport};

/// Which model a scorer is; saved with it so a teacher can never load as a servable model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// In-feed survey model (baseline, response debias, student): pre-exposure features only.
    Survey,
    /// Teacher: also reads posterior behaviour.
    Teacher,
    /// Survey-submit model: P(submit | shown) per survey type.
    Submit,
}

/// Everything that defines a scorer's shape; saved as `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScorerSpec {
    /// The kind.
    pub kind: ModelKind,
    /// Head names.
    pub heads: Vec<String>,
    /// Id vocabularies.
    pub vocab: Vocab,
    /// Dense attributes.
    pub n_dense: usize,
    /// Extra inputs after the attributes (posterior features, or the submit history).
    pub n_extra: usize,
    /// Widths.
    pub arch: ArchConfig,
    /// LHUC gates on.
    pub lhuc: bool,
    /// Seed of the initial weights.
    pub seed: u64,
}

impl ScorerSpec {
    pub(crate) fn validate(&self) -> Result<()> {
        self.vocab.validate()?;
        self.arch.validate()?;
        if self.heads.is_empty() {
            return Err(CoreError::config("heads", "[]", "at least one head name"));
        }
        for (i, h) in self.heads.iter().enumerate() {
            if h.trim().is_empty() {
                return Err(CoreError::config(
                    format!("heads[{i}]"),
                    "\"\"",
                    "a non-empty name",
                ));
            }
            if self.heads[..i].contains(h) {
                return Err(CoreError::config(
                    format!("heads[{i}]"),
                    h,
                    "a name not used by another head",
                ));
            }
        }
        Ok(())
    }

    fn net_spec(&self) -> NetSpec {
        NetSpec {
            arch: self.arch.clone(),
            emb_width: 3 * self.arch.embedding_dim,
            dense_width: self.n_dense + self.n_extra,
            lhuc: self.lhuc,
            n_heads: self.heads.len(),
        }
    }
}

/// Input columns of `n` rows: ids plus row-major dense blocks side by side.
pub(crate) struct InputView<'a> {
    pub ids: [&'a [u32]; 3],
    pub blocks: Vec<(&'a [f32], usize)>,
    pub n: usize,
}

impl InputView<'_> {
    fn width(&self) -> usize {
        self.blocks.iter().map(|b| b.1).sum()
    }

    fn gather_dense(&self, rows: &[usize], out: &mut Vec<f32>) {
        out.clear();
        for &r in rows {
            for &(v, w) in &self.blocks {
                out.extend_from_slice(&v[r * w..(r + 1) * w]);
            }
        }
    }
}

/// Tables, net and device.
pub(crate) struct Scorer {
    pub spec: ScorerSpec,
    pub tables: Tables,
    /// The dense net; set it with [`Scorer::set_net`], which keeps `host` in step.
    pub net: Net,
    pub device: Device,
    /// On the CPU (`flex`), the net's weights on the host, where it predicts ([`crate::cpu`]).
    host: Option<HostNet>,
}

/// The dense net as it runs: burn's on any device, or the host's on the CPU.
#[derive(Clone, Copy)]
enum Dense<'a> {
    Burn(&'a Net),
    Host(&'a HostNet),
}

fn tensor2(data: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}

async fn read_f32(t: Tensor<2>) -> Result<Vec<f32>> {
    t.into_data_async()
        .await
        .map_err(|e| CoreError::Backend(format!("reading a tensor: {e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| CoreError::Backend(format!("converting a tensor: {e:?}")))
}

/// Held while a model seeds the device's random stream and draws its initial weights.
static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A net with the initial weights of `seed`, on `device`. They are always drawn on the CPU
/// (`flex`, with autodiff where `device` has it), all at once and in a fixed order under
/// [`INIT`], then copied to `device`: each backend has a random stream of its own, and a seed
/// must start every device, and every thread, from the same weights, so that wgpu and flex
/// train the same model to float rounding, and models trained side by side do not take each
/// other's draws.
async fn fresh_net(spec: &NetSpec, seed: u64, device: &Device) -> Result<Net> {
    let cpu = if device.is_autodiff() {
        Device::flex().autodiff()
    } else {
        Device::flex()
    };
    // burn draws initial weights from the device's one random stream: seeding it and drawing
    // must not interleave with another model made on another thread at the same time (a
    // sweep's replicates, tests run side by side), or the weights would depend on timing.
    let net = {
        let _one_at_a_time = INIT.lock().unwrap_or_else(|e| e.into_inner());
        cpu.seed(seed);
        spec.init(&cpu)?.materialized()
    };
    if *device == cpu {
        Ok(net)
    } else {
        net.to_device_async(device).await
    }
}

/// The host copy of `net` where `device` is the CPU (`flex`), where scorers predict and train
/// through [`crate::cpu`]; elsewhere none.
fn host_copy(spec: &ScorerSpec, net: &Net, device: &Device) -> Result<Option<HostNet>> {
    if *device == Device::flex() {
        Ok(Some(HostNet::from_net(&spec.net_spec(), net)?))
    } else {
        Ok(None)
    }
}

impl Scorer {
    pub fn new(spec: ScorerSpec, device: &Device) -> Result<Scorer> {
        spec.validate()?;
        let net = block_on(fresh_net(&spec.net_spec(), spec.seed, device))?;
        let tables = Tables::new(&spec.vocab, spec.arch.embedding_dim, spec.seed);
        let host = host_copy(&spec, &net, device)?;
        Ok(Scorer {
            spec,
            tables,
            net,
            device: device.clone(),
            host,
        })
    }

    /// Replaces the net (and, on the CPU, its host copy).
    pub fn set_net(&mut self, net: Net) -> Result<()> {
        self.host = host_copy(&self.spec, &net, &self.device)?;
        self.net = net;
        Ok(())
    }

    /// The same scorer, its weights copied onto `device` (read back asynchronously, so that a
    /// model trained over WebGPU can be copied to the CPU).
    pub async fn to_device_async(&self, device: &Device) -> Result<Scorer> {
        let net = self.net.to_device_async(device).await?;
        Ok(Scorer {
            spec: self.spec.clone(),
            tables: self.tables.clone(),
            host: host_copy(&self.spec, &net, device)?,
            net,
            device: device.clone(),
        })
    }

    /// How this scorer predicts.
    fn dense(&self) -> Dense<'_> {
        match &self.host {
            Some(h) => Dense::Host(h),
            None => Dense::Burn(&self.net),
        }
    }

    /// The input rows `rows` as the net reads them, `[rows, 3 * dim + dense width]`, into `out`:
    /// each row's user, item and author embeddings, then its dense blocks.
    fn fill_input(&self, tables: &Tables, x: &InputView<'_>, rows: &[usize], out: &mut Vec<f32>) {
        out.clear();
        out.reserve(rows.len() * (3 * self.spec.arch.embedding_dim + x.width()));
        for &r in rows {
            tables.push_row(x.ids, r, out);
            for &(v, w) in &x.blocks {
                out.extend_from_slice(&v[r * w..(r + 1) * w]);
            }
        }
    }

    fn check_input(&self, x: &InputView<'_>) -> Result<()> {
        if x.n == 0 {
            return Err(CoreError::empty("input rows"));
        }
        let expect = self.spec.n_dense + self.spec.n_extra;
        same_len(
            "model input",
            "expected dense width",
            expect,
            "given dense width",
            x.width(),
        )?;
        for (ids, table) in x.ids.iter().zip(["user", "item", "author"]) {
            same_len("model input", "rows", x.n, table, ids.len())?;
        }
        self.spec.vocab.check_ids(x.ids)?;
        for (b, &(v, w)) in x.blocks.iter().enumerate() {
            same_len(
                "model input",
                &format!("rows x width of block {b}"),
                x.n * w,
                "values",
                v.len(),
            )?;
            all_finite(&format!("model input block {b}"), v)?;
        }
        Ok(())
    }

    /// Raw logits, `n x heads`, in batches.
    pub async fn logits_async(&self, x: &InputView<'_>, batch: usize) -> Result<Vec<f32>> {
        self.check_input(x)?;
        self.logits_rows(
            self.dense(),
            &self.tables,
            x,
            &(0..x.n).collect::<Vec<_>>(),
            batch,
        )
        .await
    }

    async fn logits_rows(
        &self,
        dense: Dense<'_>,
        tables: &Tables,
        x: &InputView<'_>,
        rows: &[usize],
        batch: usize,
    ) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(rows.len() * self.spec.heads.len());
        let net = match dense {
            Dense::Host(host) => {
                // The host net cuts the rows into pieces of its own, each gathering its input
                // and running on one core: rows are independent, so `batch` changes nothing.
                let fill = |r: std::ops::Range<usize>, buf: &mut Vec<f32>| {
                    self.fill_input(tables, x, &rows[r], buf)
                };
                host.logits_with(rows.len(), &fill, &mut out);
                return Ok(out);
            }
            Dense::Burn(net) => net,
        };
        // burn's net (on a GPU): natively, the batches are sent from the thread pool's threads
        // side by side.
        #[cfg(not(target_arch = "wasm32"))]
        {
            use rayon::prelude::*;
            let parts: Vec<Result<Vec<f32>>> = rows
                .par_chunks(batch.max(1))
                .map(|chunk| block_on(self.forward_chunk(net, tables, x, chunk)))
                .collect();
            for p in parts {
                out.extend(p?);
            }
        }
        #[cfg(target_arch = "wasm32")]
        for chunk in rows.chunks(batch.max(1)) {
            out.extend(self.forward_chunk(net, tables, x, chunk).await?);
        }
        Ok(out)
    }

    /// Forward and backward of a batch on the autodiff device: the loss (already divided by the
    /// batch's `denom`), the gradient of the embedding input row by row, and the net's gradients.
    async fn train_step(
        &self,
        net: &Net,
        tables: &Tables,
        x: &InputView<'_>,
        batch: Batch<'_>,
        ad: &Device,
    ) -> Result<StepGrads> {
        let (b, h) = (batch.rows.len(), self.spec.heads.len());
        let (emb, dense) = self.inputs(tables, x, batch.rows, ad);
        let emb = emb.require_grad();
        let logits = net.forward(emb.clone(), dense);
        let loss = weighted_bce_sum(
            logits,
            tensor2(batch.y, b, h, ad),
            tensor2(batch.w, b, h, ad),
        )
        .mul_scalar(1.0 / batch.denom);
        let grads = loss.backward();
        let loss_v = read_f32(loss.inner().reshape([1, 1])).await?[0] as f64;
        let emb_grad = emb
            .grad(&grads)
            .ok_or_else(|| CoreError::Backend("no gradient for the embedding input".into()))?;
        let emb_grad = read_f32(emb_grad).await?;
        Ok(StepGrads {
            loss: loss_v,
            emb_grad,
            grads: GradientsParams::from_grads(grads, net),
        })
    }

    /// The weighted mean cross-entropy of `net` on the held-out rows.
    async fn val_loss(
        &self,
        (net, tables): (Dense<'_>, &Tables),
        x: &InputView<'_>,
        rows: &[usize],
        cells: &Cells<'_>,
        batch: usize,
    ) -> Result<f64> {
        let h = cells.heads;
        let logits = self.logits_rows(net, tables, x, rows, batch).await?;
        let (mut s, mut sw) = (0.0, 0.0);
        for (i, &r) in rows.iter().enumerate() {
            for k in 0..h {
                let cw = cells.weight(r, k) as f64;
                if cw > 0.0 {
                    s += cw * bce_logit(logits[i * h + k] as f64, cells.labels.y[r * h + k] as f64);
                    sw += cw;
                }
            }
        }
        Ok(s / sw.max(f64::MIN_POSITIVE))
    }

    /// The id embeddings and the dense block of `rows`, as tensors on `device`; no dense
    /// tensor when the width is zero.
    fn inputs(
        &self,
        tables: &Tables,
        x: &InputView<'_>,
        rows: &[usize],
        device: &Device,
    ) -> (Tensor<2>, Option<Tensor<2>>) {
        let e = 3 * self.spec.arch.embedding_dim;
        let dw = x.width();
        let mut ebuf = Vec::new();
        tables.gather(x.ids, rows, &mut ebuf);
        let emb = tensor2(ebuf, rows.len(), e, device);
        let dense = (dw > 0).then(|| {
            let mut dbuf = Vec::new();
            x.gather_dense(rows, &mut dbuf);
            tensor2(dbuf, rows.len(), dw, device)
        });
        (emb, dense)
    }

    /// Logits of one batch of rows.
    async fn forward_chunk(
        &self,
        net: &Net,
        tables: &Tables,
        x: &InputView<'_>,
        chunk: &[usize],
    ) -> Result<Vec<f32>> {
        let (emb, dense) = self.inputs(tables, x, chunk, &self.device);
        read_f32(net.forward(emb, dense)).await
    }

    /// Probabilities, `n x heads`.
    pub async fn predict_async(&self, x: &InputView<'_>, batch: usize) -> Result<Vec<f32>> {
        let mut p = self.logits_async(x, batch).await?;
        p.iter_mut().for_each(|v| *v = sigmoid(*v));
        Ok(p)
    }

    /// Trains from fresh weights (seeded by `cfg.seed`) on the labelled rows of `labels`.
    /// `weights`, `n x heads`, multiply each cell's loss (inverse propensities, the distillation
    /// `alpha`); a cell whose mask is off never counts. Adam on the net, lazy Adam on the rows of
    /// the embedding tables a batch touches, and early stopping on a held-out share of rows.
    pub async fn fit_async(
        &mut self,
        x: &InputView<'_>,
        labels: &Labels,
        weights: Option<&[f32]>,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainReport> {
        cfg.validate()?;
        self.check_fit(x, labels, weights)?;
        let cells = Cells {
            labels,
            weights,
            heads: self.spec.heads.len(),
        };
        let base_logits = self.base_logits(x.n, &cells)?;
        let (val_rows, mut train_rows) = split_rows(x.n, &cells, cfg);
        let steps_per_epoch = train_rows.len().div_ceil(cfg.batch_size);
        progress(&TrainEvent::Started {
            train_rows: train_rows.len(),
            val_rows: val_rows.len(),
            steps_per_epoch,
            epochs: cfg.epochs,
        });

        let mut engine = Engine::new(self, cfg, &base_logits).await?;
        let mut tables = Tables::new(&self.spec.vocab, self.spec.arch.embedding_dim, cfg.seed);
        let mut stop = EarlyStop::default();
        let mut history = Vec::new();
        let (mut global, mut seen) = (0usize, 0usize);
        for epoch in 1..=cfg.epochs {
            let mut shuffle = Rng::new(cfg.seed, 100 + epoch as u64);
            shuffle.shuffle(&mut train_rows);
            let mut loss_sum = 0.0;
            for chunk in train_rows.chunks(cfg.batch_size) {
                global += 1;
                let batch = cells.batch(chunk, cfg.loss_norm);
                if batch.denom <= 0.0 {
                    continue;
                }
                let (loss, emb_grad) = engine.step(self, &tables, x, batch).await?;
                if !loss.is_finite() {
                    return Err(CoreError::Diverged {
                        epoch,
                        step: global - (epoch - 1) * steps_per_epoch,
                        global_step: global,
                        loss,
                    });
                }
                let embedding_step = AdamStep {
                    lr: cfg.embedding_learning_rate as f32,
                    step: global as u64,
                    decay: cfg.embedding_weight_decay as f32,
                    params: AdamParams::default(),
                };
                let mut tables_step = || tables.adam_step(x.ids, chunk, &emb_grad, embedding_step);
                // The net's step and the tables' touch different weights: natively, on the CPU,
                // they run side by side.
                #[cfg(not(target_arch = "wasm32"))]
                if matches!(engine, Engine::Host { .. }) {
                    rayon::join(|| engine.apply(cfg.learning_rate), tables_step);
                } else {
                    engine.apply(cfg.learning_rate);
                    tables_step();
                }
                #[cfg(target_arch = "wasm32")]
                {
                    engine.apply(cfg.learning_rate);
                    tables_step();
                }
                loss_sum += loss;
                seen += chunk.len();
                progress(&TrainEvent::Step {
                    epoch,
                    global_step: global,
                    loss,
                });
            }
            let val_loss = if val_rows.is_empty() {
                None
            } else {
                let valid = engine.eval_net();
                let at = (valid.dense(), &tables);
                Some(
                    self.val_loss(at, x, &val_rows, &cells, cfg.predict_batch_size)
                        .await?,
                )
            };
            let stats = EpochStats {
                epoch,
                train_loss: loss_sum / steps_per_epoch.max(1) as f64,
                val_loss,
            };
            progress(&TrainEvent::Epoch(stats.clone()));
            history.push(stats);
            if stop.after_epoch((epoch, val_loss), (&engine, &tables), cfg.patience) {
                break;
            }
        }
        let stopped_early = stop.stopped_at.is_some_and(|e| e < cfg.epochs);
        let (_, best_epoch, best_net, best_tables) = stop
            .best
            .ok_or_else(|| CoreError::empty("training epochs"))?;
        let (net, host) = engine.finish(best_net)?;
        self.net = net;
        self.host = host;
        self.tables = best_tables;
        Ok(TrainReport {
            history,
            best_epoch,
            stopped_early,
            train_rows: train_rows.len(),
            val_rows: val_rows.len(),
            samples_seen: seen,
        })
    }

    /// Checks what a fit is given: the input's shape, the labels' heads and rows, and finite,
    /// non-negative weights.
    fn check_fit(&self, x: &InputView<'_>, labels: &Labels, weights: Option<&[f32]>) -> Result<()> {
        self.check_input(x)?;
        let h = self.spec.heads.len();
        if labels.heads != self.spec.heads {
            return Err(CoreError::config(
                "labels.heads",
                format!("{:?}", labels.heads),
                format!("the model's heads {:?}", self.spec.heads),
            ));
        }
        same_len("fit", "feature rows", x.n, "label rows", labels.len())?;
        if let Some(w) = weights {
            same_len("fit", "rows x heads", x.n * h, "weights", w.len())?;
            all_finite("fit: weights", w)?;
            if let Some(index) = w.iter().position(|&v| v < 0.0) {
                return Err(CoreError::OutOfRange {
                    what: "fit: weights".into(),
                    index,
                    value: w[index] as f64,
                    allowed: "[0, inf)".into(),
                });
            }
        }
        Ok(())
    }

    /// Each head's starting bias: the log-odds of its weighted base rate, so that training
    /// starts calibrated (which matters for rare issues). A head with labelled rows but no
    /// positive among them is an error naming it; a head no row labels at all (a survey type the
    /// logs never show) starts at even odds, and no gradient ever reaches it.
    fn base_logits(&self, n: usize, cells: &Cells<'_>) -> Result<Vec<f32>> {
        let h = cells.heads;
        let mut out = Vec::with_capacity(h);
        for (k, head) in self.spec.heads.iter().enumerate() {
            let (mut count, mut sw, mut pos) = (0usize, 0.0f64, 0.0f64);
            for r in 0..n {
                let cw = cells.weight(r, k) as f64;
                if cw > 0.0 {
                    count += 1;
                    sw += cw;
                    pos += cw * cells.labels.y[r * h + k] as f64;
                }
            }
            if count == 0 {
                out.push(0.0);
                continue;
            }
            if pos <= 0.0 {
                return Err(CoreError::MissingClass {
                    what: format!("training head `{head}`"),
                    class: "positive",
                    n: count,
                });
            }
            let rate = (pos / sw).clamp(1e-6, 1.0 - 1e-6);
            out.push((rate / (1.0 - rate)).ln() as f32);
        }
        Ok(out)
    }
}

/// The rows with a labelled cell, shuffled by the seed and split: `(held out, trained on)`.
fn split_rows(n: usize, cells: &Cells<'_>, cfg: &TrainConfig) -> (Vec<usize>, Vec<usize>) {
    let mut rows: Vec<usize> = (0..n)
        .filter(|&r| (0..cells.heads).any(|k| cells.weight(r, k) > 0.0))
        .collect();
    let mut rng = Rng::new(cfg.seed, 1);
    rng.shuffle(&mut rows);
    let n_val = if cfg.val_fraction > 0.0 {
        ((rows.len() as f64 * cfg.val_fraction).round() as usize).min(rows.len() - 1)
    } else {
        0
    };
    let train = rows.split_off(n_val);
    (rows, train)
}

/// Early stopping: keeps the epoch with the lowest validation loss (every epoch when nothing is
/// held out), and says stop once `patience` epochs in a row have not improved on it.
#[derive(Default)]
struct EarlyStop {
    /// Validation loss, epoch, weights and tables of the best epoch.
    best: Option<(f64, usize, Weights, Tables)>,
    /// Epochs since the best.
    bad: usize,
    /// The epoch that stopped the run.
    stopped_at: Option<usize>,
}

impl EarlyStop {
    /// Records an epoch's validation loss; `true` when training should stop.
    fn after_epoch(
        &mut self,
        (epoch, val_loss): (usize, Option<f64>),
        (engine, tables): (&Engine, &Tables),
        patience: usize,
    ) -> bool {
        let score = val_loss.unwrap_or(f64::NEG_INFINITY);
        let improved = self
            .best
            .as_ref()
            .is_none_or(|(b, ..)| score < *b - 1e-7 * b.abs());
        if improved || val_loss.is_none() {
            self.best = Some((score, epoch, engine.weights(), tables.clone()));
            self.bad = 0;
            return false;
        }
        self.bad += 1;
        if self.bad > patience {
            self.stopped_at = Some(epoch);
            return true;
        }
        false
    }
}

/// A copy of the weights in training.
enum Weights {
    Burn(Box<Net>),
    Host(HostNet),
}

/// What an epoch's validation reads: burn's net without autodiff, or the host's.
enum EvalNet<'a> {
    Burn(Box<Net>),
    Host(&'a HostNet),
}

impl EvalNet<'_> {
    fn dense(&self) -> Dense<'_> {
        match self {
            EvalNet::Burn(net) => Dense::Burn(net),
            EvalNet::Host(host) => Dense::Host(host),
        }
    }
}

/// The weights in training and how they step. On the CPU (`flex`), the net written out
/// ([`crate::cpu`]); on any other device (WebGPU, native wgpu), burn's autodiff and Adam. Both
/// start from the seed's weights, drawn on the CPU, and take the same steps to float rounding
/// (tested).
enum Engine {
    Burn {
        net: Net,
        optim: ModuleOptimizer,
        ad: Device,
        grads: Option<GradientsParams>,
    },
    Host {
        net: HostNet,
        trainer: cpu::Trainer,
        /// A net of the same shape on the CPU, to carry the trained weights out.
        template: Net,
    },
}

impl Engine {
    /// Fresh weights (training always starts from the seed), each head's bias at its base
    /// log-odds, and Adam with `cfg`'s weight decay.
    async fn new(scorer: &Scorer, cfg: &TrainConfig, base_logits: &[f32]) -> Result<Engine> {
        let spec = scorer.spec.net_spec();
        let ad = scorer.device.clone().autodiff();
        let net = fresh_net(&spec, cfg.seed, &ad)
            .await?
            .with_head_biases(base_logits, &ad);
        const EPSILON: f32 = 1e-8;
        if scorer.device == Device::flex() {
            let template = net.valid();
            let host = HostNet::from_net(&spec, &template)?;
            return Ok(Engine::Host {
                net: host,
                trainer: cpu::Trainer::new(cpu::Adam::new(EPSILON, cfg.weight_decay as f32)),
                template,
            });
        }
        let mut adam = AdamConfig::new().with_epsilon(EPSILON);
        if cfg.weight_decay > 0.0 {
            adam = adam.with_weight_decay(Some(burn::optim::decay::WeightDecayConfig::new(
                cfg.weight_decay as f32,
            )));
        }
        Ok(Engine::Burn {
            net,
            optim: adam.init(),
            ad,
            grads: None,
        })
    }

    /// Forward and backward of a batch: its loss and the gradient of its embedding input. The
    /// net's gradients wait for [`apply`](Self::apply).
    async fn step(
        &mut self,
        scorer: &Scorer,
        tables: &Tables,
        x: &InputView<'_>,
        batch: Batch<'_>,
    ) -> Result<(f64, Vec<f32>)> {
        match self {
            Engine::Burn { net, ad, grads, .. } => {
                let step = scorer.train_step(net, tables, x, batch, ad).await?;
                *grads = Some(step.grads);
                Ok((step.loss, step.emb_grad))
            }
            Engine::Host { net, trainer, .. } => {
                let rows = batch.rows;
                let fill = |r: std::ops::Range<usize>, out: &mut Vec<f32>| {
                    scorer.fill_input(tables, x, &rows[r], out)
                };
                let targets = cpu::Targets {
                    y: &batch.y,
                    w: &batch.w,
                    denom: batch.denom,
                };
                Ok(trainer.step(net, rows.len(), &fill, targets))
            }
        }
    }

    /// Adam's step with the last batch's gradients.
    fn apply(&mut self, lr: f64) {
        match self {
            Engine::Burn {
                net, optim, grads, ..
            } => {
                if let Some(g) = grads.take() {
                    *net = optim.step(lr, net.clone(), g);
                }
            }
            Engine::Host { net, trainer, .. } => trainer.apply(net, lr),
        }
    }

    fn weights(&self) -> Weights {
        match self {
            Engine::Burn { net, .. } => Weights::Burn(Box::new(net.clone())),
            Engine::Host { net, .. } => Weights::Host(net.clone()),
        }
    }

    fn eval_net(&self) -> EvalNet<'_> {
        match self {
            Engine::Burn { net, .. } => EvalNet::Burn(Box::new(net.valid())),
            Engine::Host { net, .. } => EvalNet::Host(net),
        }
    }

    /// The net to keep, from the weights `best`, and its host copy on the CPU.
    fn finish(self, best: Weights) -> Result<(Net, Option<HostNet>)> {
        match (self, best) {
            (Engine::Host { template, .. }, Weights::Host(host)) => {
                Ok((host.to_net(template, &Device::flex()), Some(host)))
            }
            (_, Weights::Burn(net)) => Ok((net.valid(), None)),
            (Engine::Burn { .. }, Weights::Host(_)) => Err(CoreError::Backend(
                "burn's training kept host weights".into(),
            )),
        }
    }
}

/// The loss weight of each labelled cell: zero where the mask is off, else its weight (1
/// without weights).
struct Cells<'a> {
    labels: &'a Labels,
    weights: Option<&'a [f32]>,
    heads: usize,
}

impl Cells<'_> {
    fn weight(&self, r: usize, k: usize) -> f32 {
        let i = r * self.heads + k;
        if self.labels.mask[i] {
            self.weights.map_or(1.0, |w| w[i])
        } else {
            0.0
        }
    }

    /// The labels and weights of `rows`, and the divisor of their summed loss.
    fn batch<'r>(&self, rows: &'r [usize], norm: LossNorm) -> Batch<'r> {
        let h = self.heads;
        let mut y = Vec::with_capacity(rows.len() * h);
        let mut w = Vec::with_capacity(rows.len() * h);
        let mut denom = 0.0f64;
        for &r in rows {
            for k in 0..h {
                let cw = self.weight(r, k);
                y.push(self.labels.y[r * h + k]);
                w.push(cw);
                denom += match norm {
                    LossNorm::Count => (cw > 0.0) as u8 as f64,
                    LossNorm::SelfNormalized => cw as f64,
                };
            }
        }
        Batch { rows, y, w, denom }
    }
}

/// One training batch: its rows, their labels and loss weights (`rows × heads`), and what the
/// summed loss is divided by.
struct Batch<'r> {
    rows: &'r [usize],
    y: Vec<f32>,
    w: Vec<f32>,
    denom: f64,
}

/// What a forward and backward pass gives.
struct StepGrads {
    /// The batch's loss, divided by its `denom`.
    loss: f64,
    /// The gradient of the embedding input, `[rows, 3 * dim]`.
    emb_grad: Vec<f32>,
    /// The net's gradients.
    grads: GradientsParams,
}
