//! The dense part of the paper's survey model (Fig. 3): LHUC-gated backbone, SE block, heads.
//!
//! Id embeddings are not part of this module: they live in host-side [`crate::tables`], updated
//! only where a batch touches them, and arrive here as the `emb` input.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// Widths of the network. The defaults are the paper's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArchConfig {
    /// Size of each id embedding (user, item, author).
    pub embedding_dim: usize,
    /// Backbone FC widths.
    pub hidden: Vec<usize>,
    /// Hidden widths of each head (a final width-1 layer is added).
    pub head_hidden: Vec<usize>,
    /// SE squeeze ratio: the squeeze layer has `last hidden / se_reduction` units.
    pub se_reduction: usize,
}

impl Default for ArchConfig {
    fn default() -> Self {
        ArchConfig {
            embedding_dim: 32,
            hidden: vec![512, 256, 128],
            head_hidden: vec![64, 16],
            se_reduction: 4,
        }
    }
}

impl ArchConfig {
    /// Checks every width.
    pub fn validate(&self) -> Result<()> {
        if self.embedding_dim == 0 {
            return Err(CoreError::config("arch.embedding_dim", 0, "at least 1"));
        }
        if self.hidden.is_empty() {
            return Err(CoreError::config(
                "arch.hidden",
                "[]",
                "at least one layer width",
            ));
        }
        for (i, &w) in self.hidden.iter().enumerate() {
            if w == 0 {
                return Err(CoreError::config(
                    format!("arch.hidden[{i}]"),
                    0,
                    "a width of at least 1",
                ));
            }
        }
        for (i, &w) in self.head_hidden.iter().enumerate() {
            if w == 0 {
                return Err(CoreError::config(
                    format!("arch.head_hidden[{i}]"),
                    0,
                    "a width of at least 1",
                ));
            }
        }
        let last = *self.hidden.last().unwrap_or(&1);
        if self.se_reduction == 0 || self.se_reduction > last {
            return Err(CoreError::config(
                "arch.se_reduction",
                self.se_reduction,
                format!("in 1..={last} (the last backbone width)"),
            ));
        }
        Ok(())
    }
}

/// Everything needed to build a [`Net`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetSpec {
    /// Widths.
    pub arch: ArchConfig,
    /// Width of the concatenated id embeddings (3 x embedding_dim).
    pub emb_width: usize,
    /// Width of the dense inputs (attributes, plus posterior or history where the kind has them).
    pub dense_width: usize,
    /// Whether LHUC gates scale the input of each backbone layer.
    pub lhuc: bool,
    /// Number of heads.
    pub n_heads: usize,
}

/// One head: FC layers ending in a single logit.
#[derive(Module, Debug)]
pub struct Head {
    layers: Vec<Linear>,
}

/// The dense network.
#[derive(Module, Debug)]
pub struct Net {
    backbone: Vec<Linear>,
    /// All LHUC gates in one layer: its outputs, split by backbone input width, gate each layer.
    lhuc: Option<Linear>,
    se_squeeze: Linear,
    se_excite: Linear,
    heads: Vec<Head>,
}

impl NetSpec {
    /// Builds the network on `device` with fresh weights.
    pub fn init(&self, device: &Device) -> Net {
        let input = self.emb_width + self.dense_width;
        let mut widths = vec![input];
        widths.extend(&self.arch.hidden);
        let backbone = widths
            .windows(2)
            .map(|w| LinearConfig::new(w[0], w[1]).init(device))
            .collect();
        let gated: usize = widths[..widths.len() - 1].iter().sum();
        let lhuc = self
            .lhuc
            .then(|| LinearConfig::new(self.emb_width, gated).init(device));
        let last = *widths.last().expect("validated: at least one layer");
        let squeeze = (last / self.arch.se_reduction).max(1);
        let mut head_widths = vec![last];
        head_widths.extend(&self.arch.head_hidden);
        head_widths.push(1);
        let heads = (0..self.n_heads)
            .map(|_| Head {
                layers: head_widths
                    .windows(2)
                    .map(|w| LinearConfig::new(w[0], w[1]).init(device))
                    .collect(),
            })
            .collect();
        Net {
            backbone,
            lhuc,
            se_squeeze: LinearConfig::new(last, squeeze).init(device),
            se_excite: LinearConfig::new(squeeze, last).init(device),
            heads,
        }
    }
}

impl Net {
    /// Sets the output bias of each head, e.g. to the log-odds of its base rate, so that
    /// training starts calibrated instead of at 0.5 (which matters for rare issues).
    pub fn with_head_biases(mut self, biases: &[f32], device: &Device) -> Net {
        for (head, &b) in self.heads.iter_mut().zip(biases) {
            if let Some(last) = head.layers.last_mut() {
                last.bias = Some(burn::module::Param::from_tensor(Tensor::from_data(
                    burn::tensor::TensorData::new(vec![b], [1]),
                    device,
                )));
            }
        }
        self
    }

    /// Logits of every head.
    ///
    /// # Shapes
    /// - `emb`: `[batch, emb_width]`, the user, item and author embeddings side by side
    /// - `dense`: `[batch, dense_width]`, or `None` when the width is zero
    /// - output: `[batch, n_heads]`
    pub fn forward(&self, emb: Tensor<2>, dense: Option<Tensor<2>>) -> Tensor<2> {
        let mut x = match dense {
            Some(d) => Tensor::cat(vec![emb.clone(), d], 1), // [batch, emb + dense]
            None => emb.clone(),
        };
        // LHUC: 2 * sigmoid(W e + b) rescales each input unit of each layer, in (0, 2); one
        // matmul computes the gates of every layer.
        let gates = self
            .lhuc
            .as_ref()
            .map(|g| sigmoid(g.forward(emb.clone())).mul_scalar(2.0)); // [batch, sum of inputs]
        let mut offset = 0;
        for layer in &self.backbone {
            if let Some(gates) = &gates {
                let width = x.dims()[1];
                x = x * gates.clone().narrow(1, offset, width);
                offset += width;
            }
            x = relu(layer.forward(x)); // [batch, hidden[l]]
        }
        // SE: squeeze, ReLU, excite, sigmoid, rescale channels.
        let s = sigmoid(
            self.se_excite
                .forward(relu(self.se_squeeze.forward(x.clone()))),
        ); // [batch, last]
        let x = x * s;
        let logits: Vec<Tensor<2>> = self
            .heads
            .iter()
            .map(|h| {
                let mut z = x.clone();
                let n = h.layers.len();
                for (i, layer) in h.layers.iter().enumerate() {
                    z = layer.forward(z);
                    if i + 1 < n {
                        z = relu(z);
                    }
                }
                z // [batch, 1]
            })
            .collect();
        Tensor::cat(logits, 1) // [batch, n_heads]
    }
}
