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

/// The `(inputs, outputs)` of every linear layer a [`NetSpec`] builds, grouped as the net holds
/// them: [`NetSpec::init`] builds burn's layers from it, [`crate::cpu::Layout`] lays out the
/// host's parameters by it.
pub(crate) struct Shapes {
    pub backbone: Vec<(usize, usize)>,
    pub lhuc: Option<(usize, usize)>,
    pub squeeze: (usize, usize),
    pub excite: (usize, usize),
    pub heads: Vec<Vec<(usize, usize)>>,
}

impl NetSpec {
    /// The shape of every layer (see [`Shapes`]).
    pub(crate) fn shapes(&self) -> Shapes {
        let input = self.emb_width + self.dense_width;
        let mut widths = vec![input];
        widths.extend(&self.arch.hidden);
        let gated: usize = widths[..widths.len() - 1].iter().sum();
        let last = *widths.last().unwrap_or(&input);
        let squeeze = (last / self.arch.se_reduction.max(1)).max(1);
        let mut head_widths = vec![last];
        head_widths.extend(&self.arch.head_hidden);
        head_widths.push(1);
        let pairs = |w: &[usize]| w.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>();
        Shapes {
            backbone: pairs(&widths),
            lhuc: self.lhuc.then_some((self.emb_width, gated)),
            squeeze: (last, squeeze),
            excite: (squeeze, last),
            heads: (0..self.n_heads).map(|_| pairs(&head_widths)).collect(),
        }
    }

    /// Builds the network on `device` with fresh weights, after checking the widths.
    pub fn init(&self, device: &Device) -> Result<Net> {
        self.arch.validate()?;
        let s = self.shapes();
        let linear = |&(i, o): &(usize, usize)| LinearConfig::new(i, o).init(device);
        Ok(Net {
            backbone: s.backbone.iter().map(linear).collect(),
            lhuc: s.lhuc.as_ref().map(linear),
            se_squeeze: linear(&s.squeeze),
            se_excite: linear(&s.excite),
            heads: s
                .heads
                .iter()
                .map(|h| Head {
                    layers: h.iter().map(linear).collect(),
                })
                .collect(),
        })
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

    /// The same net with every initial weight drawn now, in a fixed order: the fields' order,
    /// layer by layer, each weight before its bias. burn draws a parameter's initial values
    /// lazily, at its first use, from the device's random stream: left lazy, the draws would
    /// come in whatever order the first forward pass (or a fork, or another model on another
    /// thread) asks for them, and a seed would not fix the weights.
    pub fn materialized(self) -> Net {
        fn touch(l: &Linear) {
            let _ = l.weight.val();
            if let Some(b) = &l.bias {
                let _ = b.val();
            }
        }
        self.layers().into_iter().for_each(touch);
        self
    }

    /// Every linear layer, in a fixed order: the backbone's, LHUC's, the SE squeeze and excite,
    /// then each head's. [`crate::cpu::Layout`] lays its parameters out in the same order.
    pub(crate) fn layers(&self) -> Vec<&Linear> {
        let mut v: Vec<&Linear> = self.backbone.iter().chain(&self.lhuc).collect();
        v.extend([&self.se_squeeze, &self.se_excite]);
        v.extend(self.heads.iter().flat_map(|h| &h.layers));
        v
    }

    /// [`layers`](Self::layers), to write.
    pub(crate) fn layers_mut(&mut self) -> Vec<&mut Linear> {
        let mut v: Vec<&mut Linear> = self.backbone.iter_mut().chain(&mut self.lhuc).collect();
        v.extend([&mut self.se_squeeze, &mut self.se_excite]);
        v.extend(self.heads.iter_mut().flat_map(|h| &mut h.layers));
        v
    }

    /// The same weights on `device`, each read back asynchronously: the one way to copy a net
    /// off a device that cannot read synchronously (WebGPU). Parameter ids are new: the copy is
    /// for inference, not for resuming an optimiser.
    pub async fn to_device_async(&self, device: &Device) -> Result<Net> {
        let mut backbone = Vec::with_capacity(self.backbone.len());
        for l in &self.backbone {
            backbone.push(copy_linear(l, device).await?);
        }
        let lhuc = match &self.lhuc {
            Some(l) => Some(copy_linear(l, device).await?),
            None => None,
        };
        let mut heads = Vec::with_capacity(self.heads.len());
        for h in &self.heads {
            let mut layers = Vec::with_capacity(h.layers.len());
            for l in &h.layers {
                layers.push(copy_linear(l, device).await?);
            }
            heads.push(Head { layers });
        }
        Ok(Net {
            backbone,
            lhuc,
            se_squeeze: copy_linear(&self.se_squeeze, device).await?,
            se_excite: copy_linear(&self.se_excite, device).await?,
            heads,
        })
    }

    /// Logits of every head.
    ///
    /// # Shapes
    /// - `emb`: `[batch, emb_width]`, the user, item and author embeddings side by side
    /// - `dense`: `[batch, dense_width]`, or `None` when the width is zero
    /// - output: `[batch, n_heads]`
    pub fn forward(&self, emb: Tensor<2>, dense: Option<Tensor<2>>) -> Tensor<2> {
        // `scale * sigmoid(z)`, element-wise.
        let gate = |t: Tensor<2>, scale: f64| {
            let g = sigmoid(t);
            if scale == 1.0 { g } else { g.mul_scalar(scale) }
        };
        let mut x = match dense {
            Some(d) => Tensor::cat(vec![emb.clone(), d], 1), // [batch, emb + dense]
            None => emb.clone(),
        };
        // LHUC: 2 * sigmoid(W e + b) rescales each input unit of each layer, in (0, 2); one
        // matmul computes the gates of every layer.
        let gates = self
            .lhuc
            .as_ref()
            .map(|g| gate(g.forward(emb.clone()), 2.0)); // [batch, sum of inputs]
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
        let s = gate(
            self.se_excite
                .forward(relu(self.se_squeeze.forward(x.clone()))),
            1.0,
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

/// A linear layer's weight and bias, read back and made anew on `device`.
async fn copy_linear(l: &Linear, device: &Device) -> Result<Linear> {
    async fn copy<const D: usize>(t: Tensor<D>, device: &Device) -> Result<Tensor<D>> {
        let data = t
            .into_data_async()
            .await
            .map_err(|e| CoreError::Backend(format!("reading a weight: {e:?}")))?;
        Ok(Tensor::from_data(data, device))
    }
    let bias = match &l.bias {
        Some(b) => Some(burn::module::Param::from_tensor(
            copy(b.val(), device).await?,
        )),
        None => None,
    };
    Ok(Linear {
        weight: burn::module::Param::from_tensor(copy(l.weight.val(), device).await?),
        bias,
    })
}

/// `v <- scale * sigmoid(v)`, element-wise, branch-free so that it vectorises: `e^-v` by
/// Cody–Waite reduction to `2^k * e^r`, `|r| <= ln 2 / 2`, and a degree-6 Taylor polynomial
/// (relative error of the result under 5e-7, tested), with `-v` clamped to `[-87, 88]` so `2^k`
/// stays a normal float.
/// NaN stays NaN.
#[inline(always)]
pub fn host_gate(v: &mut [f32], scale: f32) {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer without a libm call.
    const ROUND: f32 = 12_582_912.0;
    for x in v.iter_mut() {
        let z = (-*x).clamp(-87.0, 88.0);
        let shifted = z * LOG2E + ROUND;
        let k = shifted - ROUND;
        let r = (z - k * LN2_HI) - k * LN2_LO;
        let p = 1.0
            + r * (1.0
                + r * (0.5
                    + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
        // `shifted`'s low mantissa bits hold k: 2^k without a float-to-int conversion.
        let k_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
        let two_k = f32::from_bits(k_bits.wrapping_add(127) << 23);
        *x = scale / (1.0 + p * two_k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn host_gate_matches_the_exact_sigmoid() {
        let xs: Vec<f32> = (-4000..=4000)
            .map(|i| i as f32 * 0.025)
            .chain([-1e30, -90.0, 90.0, 1e30, 0.0, -0.0])
            .collect();
        for scale in [1.0f32, 2.0] {
            let mut v = xs.clone();
            host_gate(&mut v, scale);
            for (&x, &g) in xs.iter().zip(&v) {
                let exact = scale as f64 / (1.0 + (-(x as f64)).exp());
                let err = (g as f64 - exact).abs();
                assert!(
                    err <= 5e-7 * exact + 1e-37,
                    "x {x}: host {g}, exact {exact}, error {err}"
                );
            }
        }
        let mut nan = vec![f32::NAN];
        host_gate(&mut nan, 1.0);
        assert!(nan[0].is_nan());
    }

    #[test]
    fn init_refuses_an_unchecked_se_reduction() {
        let spec = NetSpec {
            arch: ArchConfig {
                se_reduction: 0,
                ..ArchConfig::default()
            },
            emb_width: 12,
            dense_width: 5,
            lhuc: false,
            n_heads: 1,
        };
        let e = spec.init(&Device::flex()).unwrap_err().to_string();
        assert!(e.contains("arch.se_reduction"), "{e}");
    }

    #[test]
    fn a_net_copied_to_another_device_gives_the_same_logits() {
        let device = Device::flex();
        device.seed(3);
        let spec = NetSpec {
            arch: ArchConfig {
                embedding_dim: 4,
                hidden: vec![8, 6],
                head_hidden: vec![4],
                se_reduction: 2,
            },
            emb_width: 12,
            dense_width: 3,
            lhuc: true,
            n_heads: 2,
        };
        // Trained weights live on the autodiff device; the copy is a plain one.
        let ad = device.clone().autodiff();
        let net = spec.init(&ad).unwrap();
        let copy = crate::block_on(net.to_device_async(&device)).unwrap();
        let n = 5;
        let v = |len: usize| {
            (0..len)
                .map(|i| (i as f32 * 0.37).sin())
                .collect::<Vec<_>>()
        };
        let run = |net: &Net, d: &Device| {
            net.forward(
                Tensor::<2>::from_data(TensorData::new(v(n * 12), [n, 12]), d),
                Some(Tensor::<2>::from_data(TensorData::new(v(n * 3), [n, 3]), d)),
            )
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
        };
        let (a, b) = (run(&net, &ad), run(&copy, &device));
        assert_eq!(a.len(), n * 2);
        assert_eq!(a, b, "the copy computes other logits");
        // A changed original leaves the copy as it was: nothing is shared.
        let moved = net.with_head_biases(&[5.0, 5.0], &ad);
        assert_ne!(run(&moved, &ad), b);
        assert_eq!(run(&copy, &device), b);
    }
}
