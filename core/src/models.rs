//! The paper's three models: the in-feed [`SurveyModel`] (baseline, response-debiased, student),
//! the [`TeacherModel`] that also reads posterior behaviour, and the [`SubmitModel`].
//!
//! The split is by type: a `SurveyModel` has no way to take [`Posterior`] features, and a saved
//! teacher refuses to load as one, so a servable model can never read what is only known after
//! the exposure.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use serde::{Deserialize, Serialize};

use crate::data::{Features, Labels, Posterior, Vocab};
use crate::error::{CoreError, Result, same_len};
use crate::exec::block_on;
use crate::net::ArchConfig;
use crate::scorer::{InputView, ModelKind, Scorer, ScorerSpec};
use crate::tables::Tables;
use crate::train::{TrainConfig, TrainEvent, TrainReport};

/// Probabilities of every head, row-major `n x heads`.
#[derive(Clone, Debug, PartialEq)]
pub struct Predictions {
    /// Head names, in column order.
    pub heads: Vec<String>,
    /// `n * heads.len()` probabilities.
    pub p: Vec<f32>,
}

impl Predictions {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.p.len() / self.heads.len().max(1)
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.p.is_empty()
    }

    /// One head's probabilities.
    pub fn column(&self, head: usize) -> Vec<f32> {
        self.p
            .iter()
            .skip(head)
            .step_by(self.heads.len())
            .copied()
            .collect()
    }

    /// One head's probabilities, by name.
    pub fn by_name(&self, head: &str) -> Result<Vec<f32>> {
        let k =
            self.heads.iter().position(|h| h == head).ok_or_else(|| {
                CoreError::config("head", head, format!("one of {:?}", self.heads))
            })?;
        Ok(self.column(k))
    }
}

/// Shape of a survey model: heads, inputs and widths. The paper's in-feed survey model has LHUC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyModelConfig {
    /// One head per survey option.
    pub heads: Vec<String>,
    /// Id vocabularies.
    pub vocab: Vocab,
    /// Dense user, item and context attributes.
    pub n_dense: usize,
    /// Widths.
    pub arch: ArchConfig,
    /// LHUC gates on the backbone inputs.
    pub lhuc: bool,
    /// Seed of the initial weights.
    pub seed: u64,
}

impl SurveyModelConfig {
    /// The paper's architecture for these heads and inputs.
    pub fn new(heads: Vec<String>, vocab: Vocab, n_dense: usize) -> Self {
        SurveyModelConfig {
            heads,
            vocab,
            n_dense,
            arch: ArchConfig::default(),
            lhuc: true,
            seed: 0,
        }
    }

    fn spec(&self, kind: ModelKind, n_extra: usize, lhuc: bool) -> ScorerSpec {
        ScorerSpec {
            kind,
            heads: self.heads.clone(),
            vocab: self.vocab,
            n_dense: self.n_dense,
            n_extra,
            arch: self.arch.clone(),
            lhuc,
            seed: self.seed,
        }
    }
}

fn view(x: &Features) -> InputView<'_> {
    InputView {
        ids: [&x.user, &x.item, &x.author],
        blocks: vec![(&x.dense, x.n_dense)],
        n: x.len(),
    }
}

fn predictions(s: &Scorer, p: Vec<f32>) -> Predictions {
    Predictions {
        heads: s.spec.heads.clone(),
        p,
    }
}

/// The in-feed survey model: servable, reads only pre-exposure features.
pub struct SurveyModel {
    scorer: Scorer,
}

impl SurveyModel {
    /// A model with fresh weights.
    pub fn new(cfg: &SurveyModelConfig, device: &Device) -> Result<Self> {
        Ok(SurveyModel {
            scorer: Scorer::new(cfg.spec(ModelKind::Survey, 0, cfg.lhuc), device)?,
        })
    }

    /// Trains from fresh weights. `weights` (`n x heads`) scale each labelled cell's loss.
    pub fn fit(
        &mut self,
        x: &Features,
        y: &Labels,
        weights: Option<&[f32]>,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainReport> {
        block_on(self.fit_async(x, y, weights, cfg, progress))
    }

    /// [`fit`](Self::fit) for devices that read back asynchronously (WebGPU).
    pub async fn fit_async(
        &mut self,
        x: &Features,
        y: &Labels,
        weights: Option<&[f32]>,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainReport> {
        self.scorer
            .fit_async(&view(x), y, weights, cfg, progress)
            .await
    }

    /// Probabilities for every head.
    pub fn predict(&self, x: &Features) -> Result<Predictions> {
        block_on(self.predict_async(x))
    }

    /// [`predict`](Self::predict), asynchronously.
    pub async fn predict_async(&self, x: &Features) -> Result<Predictions> {
        self.predict_batched_async(x, 8192).await
    }

    /// Probabilities, `batch` rows per forward pass.
    pub fn predict_batched(&self, x: &Features, batch: usize) -> Result<Predictions> {
        block_on(self.predict_batched_async(x, batch))
    }

    /// [`predict_batched`](Self::predict_batched), asynchronously.
    pub async fn predict_batched_async(&self, x: &Features, batch: usize) -> Result<Predictions> {
        if batch == 0 {
            return Err(CoreError::config("predict batch", 0, "at least 1"));
        }
        let p = self.scorer.predict_async(&view(x), batch).await?;
        Ok(predictions(&self.scorer, p))
    }

    /// The device its weights are on.
    pub fn device(&self) -> &Device {
        &self.scorer.device
    }

    /// The same model on `device`: its weights read back asynchronously and copied. For
    /// scoring a model trained over WebGPU on the CPU, where a caller needs answers at once (a
    /// simulated feed ranking each request).
    pub async fn to_device_async(&self, device: &Device) -> Result<SurveyModel> {
        Ok(SurveyModel {
            scorer: self.scorer.to_device_async(device).await?,
        })
    }

    /// Head names.
    pub fn heads(&self) -> &[String] {
        &self.scorer.spec.heads
    }

    /// Saves weights and config into folder `dir` (replaced whole, never half-written).
    pub fn save(&self, dir: &Path) -> Result<()> {
        save(&self.scorer, dir)
    }

    /// Loads a model saved by [`save`](Self::save). A saved teacher or submit model is refused.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        Ok(SurveyModel {
            scorer: load(dir, device, ModelKind::Survey)?,
        })
    }
}

/// Shape of a teacher: a survey model that also reads `n_posterior` behaviour features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeacherConfig {
    /// The shared part.
    pub survey: SurveyModelConfig,
    /// Posterior behaviour features (like, share, dislike, report, watch fraction, ...).
    pub n_posterior: usize,
}

fn teacher_view<'a>(x: &'a Features, post: &'a Posterior) -> Result<InputView<'a>> {
    same_len(
        "teacher input",
        "feature rows",
        x.len(),
        "posterior rows",
        post.len(),
    )?;
    let mut v = view(x);
    v.blocks.push((&post.values, post.n_features));
    Ok(v)
}

/// The teacher of pseudo-label distillation (Eq. 7). Never served: it needs posterior features.
pub struct TeacherModel {
    scorer: Scorer,
}

impl TeacherModel {
    /// A teacher with fresh weights.
    pub fn new(cfg: &TeacherConfig, device: &Device) -> Result<Self> {
        if cfg.n_posterior == 0 {
            return Err(CoreError::config(
                "teacher.n_posterior",
                0,
                "at least 1: a teacher without posterior features is a survey model",
            ));
        }
        let spec = cfg
            .survey
            .spec(ModelKind::Teacher, cfg.n_posterior, cfg.survey.lhuc);
        Ok(TeacherModel {
            scorer: Scorer::new(spec, device)?,
        })
    }

    /// Trains from fresh weights on labelled survey samples.
    pub fn fit(
        &mut self,
        x: &Features,
        post: &Posterior,
        y: &Labels,
        weights: Option<&[f32]>,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainReport> {
        block_on(self.fit_async(x, post, y, weights, cfg, progress))
    }

    /// [`fit`](Self::fit), asynchronously.
    pub async fn fit_async(
        &mut self,
        x: &Features,
        post: &Posterior,
        y: &Labels,
        weights: Option<&[f32]>,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainReport> {
        self.scorer
            .fit_async(&teacher_view(x, post)?, y, weights, cfg, progress)
            .await
    }

    /// Probabilities for every head: the pseudo labels before filtering.
    pub fn predict(&self, x: &Features, post: &Posterior) -> Result<Predictions> {
        block_on(self.predict_async(x, post))
    }

    /// [`predict`](Self::predict), asynchronously.
    pub async fn predict_async(&self, x: &Features, post: &Posterior) -> Result<Predictions> {
        let p = self
            .scorer
            .predict_async(&teacher_view(x, post)?, 8192)
            .await?;
        Ok(predictions(&self.scorer, p))
    }

    /// Saves weights and config into folder `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        save(&self.scorer, dir)
    }

    /// Loads a teacher saved by [`save`](Self::save).
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        Ok(TeacherModel {
            scorer: load(dir, device, ModelKind::Teacher)?,
        })
    }
}

/// Shape of a survey-submit model: one head per survey type, no LHUC (section 3.2.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmitModelConfig {
    /// One head per survey type.
    pub survey_types: Vec<String>,
    /// Id vocabularies.
    pub vocab: Vocab,
    /// Dense user, item and context attributes.
    pub n_dense: usize,
    /// Widths.
    pub arch: ArchConfig,
    /// Seed of the initial weights.
    pub seed: u64,
}

fn submit_view<'a>(x: &'a Features, hist: &'a [f32]) -> Result<InputView<'a>> {
    same_len(
        "submit model input",
        "feature rows",
        x.len(),
        "history counts",
        hist.len(),
    )?;
    let mut v = view(x);
    v.blocks.push((hist, 1));
    Ok(v)
}

/// `log1p` of each user's count of past submissions: the submit model's key feature.
fn history_feature(history_submits: &[u32]) -> Vec<f32> {
    history_submits
        .iter()
        .map(|&c| (c as f32).ln_1p())
        .collect()
}

/// The survey-submit model: P(submit | survey shown), one head per survey type. It always reads
/// the user's historical submission count, the paper's most important feature for it.
pub struct SubmitModel {
    scorer: Scorer,
}

impl SubmitModel {
    /// A submit model with fresh weights.
    pub fn new(cfg: &SubmitModelConfig, device: &Device) -> Result<Self> {
        let spec = ScorerSpec {
            kind: ModelKind::Submit,
            heads: cfg.survey_types.clone(),
            vocab: cfg.vocab,
            n_dense: cfg.n_dense,
            n_extra: 1,
            arch: cfg.arch.clone(),
            lhuc: false,
            seed: cfg.seed,
        };
        Ok(SubmitModel {
            scorer: Scorer::new(spec, device)?,
        })
    }

    /// Trains on survey shows: label 1 where the user submitted, masked to the shown type.
    pub fn fit(
        &mut self,
        x: &Features,
        history_submits: &[u32],
        submitted: &Labels,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainReport> {
        block_on(self.fit_async(x, history_submits, submitted, cfg, progress))
    }

    /// [`fit`](Self::fit), asynchronously.
    pub async fn fit_async(
        &mut self,
        x: &Features,
        history_submits: &[u32],
        submitted: &Labels,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainReport> {
        let hist = history_feature(history_submits);
        self.scorer
            .fit_async(&submit_view(x, &hist)?, submitted, None, cfg, progress)
            .await
    }

    /// P(submit | shown) for every survey type.
    pub fn predict(&self, x: &Features, history_submits: &[u32]) -> Result<Predictions> {
        block_on(self.predict_async(x, history_submits))
    }

    /// [`predict`](Self::predict), asynchronously.
    pub async fn predict_async(
        &self,
        x: &Features,
        history_submits: &[u32],
    ) -> Result<Predictions> {
        let hist = history_feature(history_submits);
        let p = self
            .scorer
            .predict_async(&submit_view(x, &hist)?, 8192)
            .await?;
        Ok(predictions(&self.scorer, p))
    }

    /// Saves weights and config into folder `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        save(&self.scorer, dir)
    }

    /// Loads a submit model saved by [`save`](Self::save).
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        Ok(SubmitModel {
            scorer: load(dir, device, ModelKind::Submit)?,
        })
    }
}

const EMB_MAGIC: &[u8; 8] = b"USMEMB01";

fn store_err(path: &Path, e: impl std::fmt::Display) -> CoreError {
    CoreError::Store {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Writes `config.json`, `net.bpk` and `embeddings.bin` into a temporary sibling folder, then
/// renames it over `dir`: a failure leaves no half-written model.
fn save(s: &Scorer, dir: &Path) -> Result<()> {
    let name = dir
        .file_name()
        .ok_or_else(|| store_err(dir, "not a folder path"))?;
    let tmp: PathBuf = dir.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::result::Result<(), String> {
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
        let json = serde_json::to_vec_pretty(&s.spec).map_err(|e| e.to_string())?;
        std::fs::write(tmp.join("config.json"), json).map_err(|e| e.to_string())?;
        s.net
            .clone()
            .into_record()
            .save(tmp.join("net.bpk"))
            .map_err(|e| format!("{e:?}"))?;
        let rows = s.tables.rows();
        let mut bytes = Vec::with_capacity(32 + rows.iter().sum::<usize>() * s.tables.dim() * 4);
        bytes.extend_from_slice(EMB_MAGIC);
        bytes.extend_from_slice(&(s.tables.dim() as u64).to_le_bytes());
        for r in rows {
            bytes.extend_from_slice(&(r as u64).to_le_bytes());
        }
        for t in 0..3 {
            for v in s.tables.weights(t) {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        std::fs::write(tmp.join("embeddings.bin"), bytes).map_err(|e| e.to_string())?;
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::rename(&tmp, dir).map_err(|e| e.to_string())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        store_err(dir, e)
    })
}

fn load(dir: &Path, device: &Device, kind: ModelKind) -> Result<Scorer> {
    let cfg_path = dir.join("config.json");
    let json = std::fs::read(&cfg_path).map_err(|e| store_err(&cfg_path, e))?;
    let spec: ScorerSpec = serde_json::from_slice(&json).map_err(|e| store_err(&cfg_path, e))?;
    if spec.kind != kind {
        return Err(store_err(
            &cfg_path,
            format!("holds a {:?} model, not a {kind:?} model", spec.kind),
        ));
    }
    let mut s = Scorer::new(spec, device)?;
    let net_path = dir.join("net.bpk");
    let record =
        ModuleRecord::load(&net_path).map_err(|e| store_err(&net_path, format!("{e:?}")))?;
    let net = s
        .net
        .clone()
        .try_load_record(record)
        .map_err(|e| store_err(&net_path, format!("{e:?}")))?;
    s.set_net(net)?;
    let emb_path = dir.join("embeddings.bin");
    let bytes = std::fs::read(&emb_path).map_err(|e| store_err(&emb_path, e))?;
    let u64_at = |o: usize| -> Result<usize> {
        bytes
            .get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
            .ok_or_else(|| store_err(&emb_path, "truncated header"))
    };
    if bytes.get(..8) != Some(EMB_MAGIC.as_slice()) {
        return Err(store_err(&emb_path, "not a usm embeddings file"));
    }
    let dim = u64_at(8)?;
    let rows = [u64_at(16)?, u64_at(24)?, u64_at(32)?];
    let expect = [s.spec.vocab.users, s.spec.vocab.items, s.spec.vocab.authors];
    if dim != s.spec.arch.embedding_dim || rows != expect {
        return Err(store_err(
            &emb_path,
            format!(
                "holds tables {rows:?} x {dim}, config says {expect:?} x {}",
                s.spec.arch.embedding_dim
            ),
        ));
    }
    let body = &bytes[40..];
    let total: usize = rows.iter().sum::<usize>() * dim;
    if body.len() != total * 4 {
        return Err(store_err(
            &emb_path,
            format!(
                "holds {} bytes of weights, expected {}",
                body.len(),
                total * 4
            ),
        ));
    }
    let mut floats = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")));
    let weights = rows.map(|r| floats.by_ref().take(r * dim).collect::<Vec<f32>>());
    s.tables = Tables::from_weights(weights, dim);
    Ok(s)
}
