//! The dense net of [`crate::net`] written out for the CPU: forward, backward and Adam over one
//! flat vector of parameters. On `flex` this is how the scorers train and predict; burn's
//! autodiff trains the same model on every other device (WebGPU, native wgpu), and the tests
//! check the two against each other (logits, every gradient, Adam's steps).
//!
//! Why by hand: burn builds a graph per step, allocates every intermediate and computes each
//! sigmoid gate with a scalar `expf` on one thread. Here a batch is cut into [`CHUNK`]-row
//! pieces that run side by side on the thread pool, each through buffers kept from step to step,
//! each bias added in the pass that applies its ReLU, the gates vectorised ([`host_gate`]), and
//! the pieces' gradients summed in a fixed order: the result depends on the batch, never on the
//! number of threads.

mod matmul;

use matmul::{Mat, matmul};

use crate::error::{CoreError, Result};
use crate::loss::{bce_logit, sigmoid};
use crate::net::{Net, NetSpec, host_gate};

/// Rows of each piece a training batch is cut into (a batch of 1024 makes 4). Fixed, so that the
/// sums of the pieces' gradients, and so the trained model, do not depend on how many threads ran them.
const CHUNK: usize = 256;

/// Rows of each piece in inference, where nothing is summed across pieces.
const INFER_CHUNK: usize = 256;

/// How the caller hands a piece its input: `fill(range, buf)` writes the input rows `range`
/// (`[range.len(), input width]`) over `buf`.
pub(crate) type FillRows<'a> = dyn Fn(std::ops::Range<usize>, &mut Vec<f32>) + Sync + 'a;

/// The rows of one piece: `piece` of pieces of `size` rows, out of `rows`.
fn piece_rows(piece: usize, size: usize, rows: usize) -> std::ops::Range<usize> {
    piece * size..((piece + 1) * size).min(rows)
}

/// A [`FillRows`] that copies from the input rows `x` (`[rows, width]`), for the tests.
#[cfg(test)]
fn copy_rows(x: &[f32], width: usize) -> impl Fn(std::ops::Range<usize>, &mut Vec<f32>) + Sync {
    move |r, buf| {
        buf.clear();
        buf.extend_from_slice(&x[r.start * width..r.end * width]);
    }
}

/// Where one linear layer's weight (`[inp, out]`, row-major, as burn's `Linear` holds it) and
/// bias (`[out]`) sit in the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lin {
    w: usize,
    b: usize,
    inp: usize,
    out: usize,
}

impl Lin {
    fn weight<'a>(&self, theta: &'a [f32]) -> Mat<'a> {
        Mat::new(
            &theta[self.w..self.w + self.inp * self.out],
            self.inp,
            self.out,
        )
    }

    fn bias<'a>(&self, theta: &'a [f32]) -> &'a [f32] {
        &theta[self.b..self.b + self.out]
    }
}

/// The shape of a net as offsets into its flat parameter vector.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    backbone: Vec<Lin>,
    lhuc: Option<Lin>,
    squeeze: Lin,
    excite: Lin,
    heads: Vec<Vec<Lin>>,
    /// Width of the id embeddings, the first columns of the input.
    emb: usize,
    /// Width of the whole input row (embeddings, then dense attributes).
    input: usize,
    /// Number of parameters.
    len: usize,
}

impl Layout {
    /// The layout of the net `spec` builds ([`NetSpec::shapes`], in [`Net::layers`]' order).
    pub fn new(spec: &NetSpec) -> Layout {
        let shapes = spec.shapes();
        let mut len = 0;
        let mut lin = |&(inp, out): &(usize, usize)| {
            let l = Lin {
                w: len,
                b: len + inp * out,
                inp,
                out,
            };
            len += inp * out + out;
            l
        };
        let backbone = shapes.backbone.iter().map(&mut lin).collect();
        let lhuc = shapes.lhuc.as_ref().map(&mut lin);
        let squeeze = lin(&shapes.squeeze);
        let excite = lin(&shapes.excite);
        let heads = shapes
            .heads
            .iter()
            .map(|h| h.iter().map(&mut lin).collect())
            .collect();
        Layout {
            backbone,
            lhuc,
            squeeze,
            excite,
            heads,
            emb: spec.emb_width,
            input: spec.emb_width + spec.dense_width,
            len,
        }
    }

    /// Every layer, in [`Net::layers`]' order.
    fn layers(&self) -> Vec<Lin> {
        let mut v: Vec<Lin> = self.backbone.iter().chain(&self.lhuc).copied().collect();
        v.extend([self.squeeze, self.excite]);
        v.extend(self.heads.iter().flatten());
        v
    }

    fn n_heads(&self) -> usize {
        self.heads.len()
    }
}

/// A net's weights on the host.
#[derive(Clone, Debug)]
pub(crate) struct HostNet {
    layout: Layout,
    theta: Vec<f32>,
}

impl HostNet {
    /// The weights of `net` (a net on the `flex` device, whose reads are immediate).
    pub fn from_net(spec: &NetSpec, net: &Net) -> Result<HostNet> {
        let layout = Layout::new(spec);
        let mut theta = vec![0.0f32; layout.len];
        let layers = net.layers();
        if layers.len() != layout.layers().len() {
            return Err(CoreError::Backend(format!(
                "a net of {} layers where its spec says {}",
                layers.len(),
                layout.layers().len()
            )));
        }
        for (lin, l) in layout.layers().into_iter().zip(layers) {
            let w = read(l.weight.val())?;
            if w.len() != lin.inp * lin.out {
                return Err(CoreError::Backend(format!(
                    "a weight of {} values where the spec says {} x {}",
                    w.len(),
                    lin.inp,
                    lin.out
                )));
            }
            theta[lin.w..lin.w + w.len()].copy_from_slice(&w);
            if let Some(b) = &l.bias {
                let b = read(b.val())?;
                if b.len() != lin.out {
                    return Err(CoreError::Backend(format!(
                        "a bias of {} values where the spec says {}",
                        b.len(),
                        lin.out
                    )));
                }
                theta[lin.b..lin.b + lin.out].copy_from_slice(&b);
            }
        }
        Ok(HostNet { layout, theta })
    }

    /// `template` (a net of this shape) with these weights, on `device`.
    pub fn to_net(&self, mut template: Net, device: &burn::prelude::Device) -> Net {
        use burn::module::Param;
        use burn::prelude::Tensor;
        use burn::tensor::TensorData;
        for (lin, l) in self.layout.layers().into_iter().zip(template.layers_mut()) {
            let w = self.theta[lin.w..lin.w + lin.inp * lin.out].to_vec();
            l.weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(w, [lin.inp, lin.out]),
                device,
            ));
            let b = self.theta[lin.b..lin.b + lin.out].to_vec();
            l.bias = Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(b, [lin.out]),
                device,
            )));
        }
        template
    }

    /// Logits, `[rows, heads]`, of the input rows `x` (`[rows, input width]`), appended to `out`.
    #[cfg(test)]
    pub fn logits(&self, x: &[f32], out: &mut Vec<f32>) {
        let iw = self.layout.input;
        self.logits_with(x.len() / iw.max(1), &copy_rows(x, iw), out);
    }

    /// Logits, `[rows, heads]`, of `rows` input rows, appended to `out`, each piece's input
    /// written by `fill`. Natively the pieces, each filling its own rows, run side by side on
    /// the thread pool.
    pub fn logits_with(&self, rows: usize, fill: &FillRows<'_>, out: &mut Vec<f32>) {
        let h = self.layout.n_heads();
        let start = out.len();
        out.resize(start + rows * h, 0.0);
        let piece = |(p, dst): (usize, &mut [f32])| {
            // Each thread keeps its buffers from call to call.
            INFER_WORK.with_borrow_mut(|work| {
                if work.x.is_empty() {
                    work.x.push(Vec::new());
                }
                fill(piece_rows(p, INFER_CHUNK, rows), &mut work.x[0]);
                self.forward(work);
                dst.copy_from_slice(&work.logits);
            })
        };
        let dst = &mut out[start..];
        #[cfg(not(target_arch = "wasm32"))]
        {
            use rayon::prelude::*;
            dst.par_chunks_mut(INFER_CHUNK * h)
                .enumerate()
                .for_each(piece);
        }
        #[cfg(target_arch = "wasm32")]
        dst.chunks_mut(INFER_CHUNK * h).enumerate().for_each(piece);
    }

    /// The forward pass of the rows in `work.x[0]` (`[m, input width]`), keeping what the
    /// backward pass reads in `work`; the logits end in `work.logits`, `[m, heads]`.
    fn forward(&self, work: &mut Work) {
        simd(Forward(self, work))
    }

    /// [`forward`](Self::forward)'s body, inlined where [`simd`] compiles it.
    #[inline(always)]
    fn forward_here(&self, work: &mut Work) {
        let (lay, th) = (&self.layout, &self.theta[..]);
        let n_layers = lay.backbone.len();
        work.x.resize_with(n_layers + 1, Vec::new);
        work.u.resize_with(n_layers, Vec::new);
        let m = work.x[0].len() / lay.input;
        work.rows = m;
        // LHUC: 2 * sigmoid(e Wg + bg), one product for the gates of every layer.
        if let Some(g) = &lay.lhuc {
            let e = Mat::strided(&work.x[0], m, lay.emb, lay.input);
            affine_gate(&mut work.g, e, g, th, 2.0);
        }
        let mut offset = 0;
        for (l, lin) in lay.backbone.iter().enumerate() {
            let (done, next) = work.x.split_at_mut(l + 1);
            let input: &[f32] = if lay.lhuc.is_some() {
                let u = &mut work.u[l];
                gate_columns(u, &done[l], &work.g, m, offset, lin.inp);
                offset += lin.inp;
                &u[..]
            } else {
                &done[l]
            };
            affine_relu(&mut next[0], Mat::new(input, m, lin.inp), lin, th);
        }
        // SE: s = sigmoid(relu(h Ws + bs) We + be), y = h * s.
        let h = &work.x[n_layers];
        affine_relu(
            &mut work.q,
            Mat::new(h, m, lay.squeeze.inp),
            &lay.squeeze,
            th,
        );
        affine_gate(
            &mut work.s,
            Mat::new(&work.q, m, lay.squeeze.out),
            &lay.excite,
            th,
            1.0,
        );
        work.y.clear();
        work.y.extend(h.iter().zip(&work.s).map(|(a, b)| a * b));
        // Heads: FC layers with ReLU between, the last one width 1, into column k of the logits.
        let nh = lay.n_heads();
        work.logits.resize(m * nh, 0.0);
        work.a.resize_with(nh, Vec::new);
        for (k, head) in lay.heads.iter().enumerate() {
            let acts = &mut work.a[k];
            acts.resize_with(head.len() - 1, Vec::new);
            for (j, lin) in head.iter().enumerate() {
                let input: &[f32] = if j == 0 { &work.y } else { &acts[j - 1] };
                let input = Mat::new(input, m, lin.inp);
                if j + 1 == head.len() {
                    let b = lin.bias(th)[0];
                    work.logits.chunks_mut(nh).for_each(|r| r[k] = b);
                    matmul(&mut work.logits[k..], nh, input, lin.weight(th), true);
                } else {
                    let mut z = std::mem::take(&mut work.tmp);
                    affine_relu(&mut z, input, lin, th);
                    work.tmp = std::mem::replace(&mut acts[j], z);
                }
            }
        }
    }

    /// The backward pass after [`forward`](Self::forward): `dlogits` (`[m, heads]`) in, every
    /// parameter's gradient into `work.grad` and the embedding input's into `work.emb_grad`.
    fn backward(&self, work: &mut Work, dlogits: &[f32]) {
        simd(Backward(self, work, dlogits))
    }

    /// [`backward`](Self::backward)'s body, inlined where [`simd`] compiles it: the heads, the
    /// SE block, the backbone and the input, each adding into `work.grad`.
    #[inline(always)]
    fn backward_here(&self, work: &mut Work, dlogits: &[f32]) {
        work.grad.resize(self.layout.len, 0.0);
        self.heads_back(work, dlogits);
        self.se_back(work);
        self.backbone_back(work);
        self.input_back(work);
    }

    /// The heads, from the logit down; each adds its input's gradient into `work.dy`.
    #[inline(always)]
    fn heads_back(&self, work: &mut Work, dlogits: &[f32]) {
        let (lay, th) = (&self.layout, &self.theta[..]);
        let (m, nh) = (work.rows, lay.n_heads());
        let Work {
            y,
            a,
            grad,
            dy,
            dz,
            dx,
            ..
        } = work;
        let last = lay.squeeze.inp;
        dy.clear();
        dy.resize(m * last, 0.0);
        for (k, head) in lay.heads.iter().enumerate() {
            let n = head.len();
            for j in (0..n).rev() {
                let lin = &head[j];
                let input: &[f32] = if j == 0 { y } else { &a[k][j - 1] };
                let input = Mat::new(input, m, lin.inp);
                let d = if j + 1 == n {
                    Mat::strided(&dlogits[k..], m, 1, nh)
                } else {
                    Mat::new(dz, m, lin.out)
                };
                param_grads(grad, lin, input, d);
                if j == 0 {
                    matmul(dy, last, d, lin.weight(th).t(), true);
                } else {
                    dx.resize(m * lin.inp, 0.0);
                    matmul(dx, lin.inp, d, lin.weight(th).t(), false);
                    relu_back(dx, &a[k][j - 1]);
                    std::mem::swap(dz, dx);
                }
            }
        }
    }

    /// SE: y = h * s, s = sigmoid(r), r = q We + be, q = relu(h Ws + bs). From `work.dy` (the
    /// gradient of y) to `work.dx` (of h, the backbone's output).
    #[inline(always)]
    fn se_back(&self, work: &mut Work) {
        let (lay, th) = (&self.layout, &self.theta[..]);
        let m = work.rows;
        let Work {
            x,
            q,
            s,
            grad,
            dy,
            dz,
            dx,
            ..
        } = work;
        let last = lay.squeeze.inp;
        let h = &x[lay.backbone.len()];
        // dz <- dr = dy * h * s (1 - s); dx <- dh = dy * s.
        dz.clear();
        dz.extend(
            dy.iter()
                .zip(h.iter())
                .zip(s.iter())
                .map(|((d, h), s)| d * h * s * (1.0 - s)),
        );
        dx.clear();
        dx.extend(dy.iter().zip(s.iter()).map(|(d, s)| d * s));
        let sq = lay.squeeze.out;
        param_grads(grad, &lay.excite, Mat::new(q, m, sq), Mat::new(dz, m, last));
        dy.resize(m * sq, 0.0);
        matmul(
            dy,
            sq,
            Mat::new(dz, m, last),
            lay.excite.weight(th).t(),
            false,
        );
        relu_back(&mut dy[..m * sq], q);
        let dq = Mat::new(&dy[..m * sq], m, sq);
        param_grads(grad, &lay.squeeze, Mat::new(h, m, last), dq);
        matmul(dx, last, dq, lay.squeeze.weight(th).t(), true);
    }

    /// The backbone, top down: `work.dx` holds the gradient of layer l's output, then of the
    /// net's input; with LHUC, the gates' gradient goes to `work.dg`.
    #[inline(always)]
    fn backbone_back(&self, work: &mut Work) {
        let (lay, th) = (&self.layout, &self.theta[..]);
        let m = work.rows;
        let Work {
            x,
            u,
            g,
            grad,
            dz,
            dx,
            dg,
            ..
        } = work;
        let gw = g.len() / m.max(1);
        if lay.lhuc.is_some() {
            dg.resize(m * gw, 0.0);
        }
        let mut offset = lay.backbone.iter().map(|l| l.inp).sum::<usize>();
        for (l, lin) in lay.backbone.iter().enumerate().rev() {
            relu_back(dx, &x[l + 1]);
            let input: &[f32] = if lay.lhuc.is_some() { &u[l] } else { &x[l] };
            param_grads(
                grad,
                lin,
                Mat::new(input, m, lin.inp),
                Mat::new(dx, m, lin.out),
            );
            dz.resize(m * lin.inp, 0.0);
            matmul(
                dz,
                lin.inp,
                Mat::new(dx, m, lin.out),
                lin.weight(th).t(),
                false,
            );
            if lay.lhuc.is_some() {
                // u = x * g: dg = du * x, dx = du * g, on this layer's columns of the gates.
                offset -= lin.inp;
                let w = lin.inp;
                let rows = dz[..m * w]
                    .chunks_exact_mut(w)
                    .zip(x[l].chunks_exact(w))
                    .zip(g.chunks_exact(gw).zip(dg.chunks_exact_mut(gw)));
                for ((du, xi), (gi, dgi)) in rows {
                    let (gi, dgi) = (&gi[offset..offset + w], &mut dgi[offset..offset + w]);
                    for (((d, &xv), &gv), dgv) in du.iter_mut().zip(xi).zip(gi).zip(dgi) {
                        *dgv = *d * xv;
                        *d *= gv;
                    }
                }
            }
            std::mem::swap(dx, dz);
        }
    }

    /// The input: `work.dx`'s first columns, the embeddings', into `work.emb_grad`, plus what
    /// reaches them through the LHUC gates.
    #[inline(always)]
    fn input_back(&self, work: &mut Work) {
        let (lay, th) = (&self.layout, &self.theta[..]);
        let m = work.rows;
        let Work {
            x,
            g,
            grad,
            emb_grad,
            dx,
            dg,
            ..
        } = work;
        let gw = g.len() / m.max(1);
        let (e, iw) = (lay.emb, lay.input);
        emb_grad.clear();
        for row in dx.chunks_exact(iw) {
            emb_grad.extend_from_slice(&row[..e]);
        }
        if let Some(gl) = &lay.lhuc {
            // g = 2 sigmoid(z): dz = dg * g (1 - g / 2).
            dg.iter_mut()
                .zip(g.iter())
                .for_each(|(d, &gv)| *d *= gv * (1.0 - 0.5 * gv));
            let dzg = Mat::new(dg, m, gw);
            param_grads(grad, gl, Mat::strided(&x[0], m, e, iw), dzg);
            matmul(emb_grad, e, dzg, gl.weight(th).t(), true);
        }
    }
}

/// Element-wise work to compile for the widest vector instructions the CPU has: see [`simd`].
trait Kernel {
    type Out;
    fn run(self) -> Self::Out;
}

struct Vectorize<K>(K);

impl<K: Kernel> pulp::WithSimd for Vectorize<K> {
    type Output = K::Out;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> K::Out {
        self.0.run()
    }
}

/// Runs `k` compiled for the widest vector instructions this CPU has (AVX-512, or AVX2 with
/// FMA, chosen at run time; the build itself targets plain x86-64): the element-wise loops its
/// `run` inlines (the gates, ReLUs, products and sums around the matrix products) vectorise
/// four times wider than they would otherwise.
fn simd<K: Kernel>(k: K) -> K::Out {
    pulp::Arch::new().dispatch(Vectorize(k))
}

struct Forward<'a>(&'a HostNet, &'a mut Work);

impl Kernel for Forward<'_> {
    type Out = ();
    #[inline(always)]
    fn run(self) {
        self.0.forward_here(self.1)
    }
}

struct Backward<'a>(&'a HostNet, &'a mut Work, &'a [f32]);

impl Kernel for Backward<'_> {
    type Out = ();
    #[inline(always)]
    fn run(self) {
        self.0.backward_here(self.1, self.2)
    }
}

/// Reads a tensor of the `flex` device.
fn read<const D: usize>(t: burn::prelude::Tensor<D>) -> Result<Vec<f32>> {
    crate::exec::block_on(async {
        t.into_data_async()
            .await
            .map_err(|e| CoreError::Backend(format!("reading a weight: {e:?}")))?
            .try_into_vec::<f32>()
            .map_err(|e| CoreError::Backend(format!("converting a weight: {e:?}")))
    })
}

/// `dst = relu(x W + b)`, the bias and the ReLU in one pass over the rows.
#[inline(always)]
fn affine_relu(dst: &mut Vec<f32>, x: Mat<'_>, lin: &Lin, theta: &[f32]) {
    affine_rows(dst, x, lin, theta, |row| {
        row.iter_mut().for_each(|v| *v = v.max(0.0))
    });
}

/// `dst = scale * sigmoid(x W + b)`: gates ([`host_gate`]), each row finished while it is in
/// the cache.
#[inline(always)]
fn affine_gate(dst: &mut Vec<f32>, x: Mat<'_>, lin: &Lin, theta: &[f32], scale: f32) {
    affine_rows(dst, x, lin, theta, |row| host_gate(row, scale));
}

/// `dst = x W + b` for the layer `lin` (`dst` resized to `[x.rows, lin.out]`), then `f` on
/// each row: the product written over `dst`, then one pass over the rows adds the bias to each
/// and applies `f` to it while it is in the cache.
#[inline(always)]
fn affine_rows(dst: &mut Vec<f32>, x: Mat<'_>, lin: &Lin, theta: &[f32], f: impl Fn(&mut [f32])) {
    let b = lin.bias(theta);
    dst.resize(x.rows() * lin.out, 0.0);
    matmul(dst, lin.out, x, lin.weight(theta), false);
    for row in dst.chunks_exact_mut(lin.out) {
        row.iter_mut().zip(b).for_each(|(v, b)| *v += b);
        f(row);
    }
}

/// `d` is zeroed where the ReLU's output `out` is not positive.
#[inline(always)]
fn relu_back(d: &mut [f32], out: &[f32]) {
    d.iter_mut()
        .zip(out)
        .for_each(|(d, &o)| *d = if o > 0.0 { *d } else { 0.0 });
}

/// `u = x * g[:, offset..offset + width]`, row by row (`x` is `[m, width]`).
#[inline(always)]
fn gate_columns(u: &mut Vec<f32>, x: &[f32], g: &[f32], m: usize, offset: usize, width: usize) {
    let gw = g.len() / m.max(1);
    u.clear();
    for i in 0..m {
        let (xi, gi) = (
            &x[i * width..(i + 1) * width],
            &g[i * gw + offset..i * gw + offset + width],
        );
        u.extend(xi.iter().zip(gi).map(|(a, b)| a * b));
    }
}

/// The weight and bias gradients of `lin` from its input `x` (`[m, inp]`) and the gradient of
/// its output `d` (`[m, out]`), written over their places in `grad`.
#[inline(always)]
fn param_grads(grad: &mut [f32], lin: &Lin, x: Mat<'_>, d: Mat<'_>) {
    matmul(
        &mut grad[lin.w..lin.w + lin.inp * lin.out],
        lin.out,
        x.t(),
        d,
        false,
    );
    let db = &mut grad[lin.b..lin.b + lin.out];
    db.fill(0.0);
    for i in 0..d.rows() {
        match d.row(i) {
            Some(row) => db.iter_mut().zip(row).for_each(|(v, x)| *v += x),
            None => db
                .iter_mut()
                .enumerate()
                .for_each(|(j, v)| *v += d.at(i, j)),
        }
    }
}

thread_local! {
    /// Each thread's buffers for inference.
    static INFER_WORK: std::cell::RefCell<Work> = std::cell::RefCell::new(Work::default());
}

/// One piece's buffers, kept from step to step.
#[derive(Default)]
struct Work {
    rows: usize,
    /// Each backbone layer's input (`x[0]` the net's), then the backbone's output.
    x: Vec<Vec<f32>>,
    /// Each backbone layer's gated input (with LHUC).
    u: Vec<Vec<f32>>,
    /// The LHUC gates of every layer side by side.
    g: Vec<f32>,
    /// SE: the squeeze's output after ReLU, and the excitation gates.
    q: Vec<f32>,
    s: Vec<f32>,
    /// The backbone's output rescaled by SE: the heads' input.
    y: Vec<f32>,
    /// Each head's hidden activations.
    a: Vec<Vec<Vec<f32>>>,
    logits: Vec<f32>,
    /// This piece's gradient of every parameter, laid out as the parameters are.
    grad: Vec<f32>,
    /// This piece's gradient of the embedding input, `[rows, emb width]`.
    emb_grad: Vec<f32>,
    dlogits: Vec<f32>,
    dy: Vec<f32>,
    dz: Vec<f32>,
    dx: Vec<f32>,
    dg: Vec<f32>,
    tmp: Vec<f32>,
}

/// The labels, loss weights and divisor of a training batch, `[rows, heads]` row-major.
pub(crate) struct Targets<'a> {
    pub y: &'a [f32],
    pub w: &'a [f32],
    pub denom: f64,
}

/// Adam over the flat parameter vector, as burn's `Adam` computes it (its moments, bias
/// corrections, epsilon and coupled weight decay), so that the CPU trains the model that every
/// other device trains.
pub(crate) struct Adam {
    beta1: f32,
    beta2: f32,
    epsilon: f32,
    /// The L2 penalty added to the gradient (0: none).
    weight_decay: f32,
    m: Vec<f32>,
    v: Vec<f32>,
    time: i32,
}

impl Adam {
    pub fn new(epsilon: f32, weight_decay: f32) -> Adam {
        Adam {
            beta1: 0.9,
            beta2: 0.999,
            epsilon,
            weight_decay,
            m: Vec::new(),
            v: Vec::new(),
            time: 0,
        }
    }
}

/// A batch's forward and backward passes, and Adam's step, over the pieces' buffers.
pub(crate) struct Trainer {
    works: Vec<Work>,
    /// Pieces of the last batch.
    pieces: usize,
    adam: Adam,
}

impl Trainer {
    pub fn new(adam: Adam) -> Trainer {
        Trainer {
            works: Vec::new(),
            pieces: 0,
            adam,
        }
    }

    /// Forward and backward of a batch of `rows` rows, each piece's input written by `fill`.
    /// Returns the loss (the weighted sum over cells divided by `t.denom`) and the gradient of
    /// the embedding input, `[rows, emb width]`; the parameters' gradient waits in the pieces
    /// for [`apply`](Self::apply).
    pub fn step(
        &mut self,
        net: &HostNet,
        rows: usize,
        fill: &FillRows<'_>,
        t: Targets<'_>,
    ) -> (f64, Vec<f32>) {
        let pieces = rows.div_ceil(CHUNK);
        self.works
            .resize_with(pieces.max(self.works.len()), Work::default);
        let nh = net.layout.n_heads();
        let one = |(p, work): (usize, &mut Work)| -> f32 {
            if work.x.is_empty() {
                work.x.push(Vec::new());
            }
            fill(piece_rows(p, CHUNK, rows), &mut work.x[0]);
            net.forward(work);
            let at = p * CHUNK * nh;
            let (y, w) = (&t.y[at..at + work.rows * nh], &t.w[at..at + work.rows * nh]);
            let mut dl = std::mem::take(&mut work.dlogits);
            let loss = loss_and_grad(&work.logits, y, w, t.denom, &mut dl);
            net.backward(work, &dl);
            work.dlogits = dl;
            loss
        };
        #[cfg(not(target_arch = "wasm32"))]
        let losses: Vec<f32> = {
            use rayon::prelude::*;
            self.works[..pieces]
                .par_iter_mut()
                .enumerate()
                .map(one)
                .collect()
        };
        #[cfg(target_arch = "wasm32")]
        let losses: Vec<f32> = self.works[..pieces]
            .iter_mut()
            .enumerate()
            .map(one)
            .collect();
        let mut emb_grad = Vec::with_capacity(rows * net.layout.emb);
        for w in &self.works[..pieces] {
            emb_grad.extend_from_slice(&w.emb_grad);
        }
        self.pieces = pieces;
        (losses.iter().sum::<f32>() as f64 / t.denom, emb_grad)
    }

    /// Adam's step on `net` with the last batch's gradient: the pieces' gradients summed in
    /// their order, then burn's update, element by element.
    pub fn apply(&mut self, net: &mut HostNet, lr: f64) {
        const SLICE: usize = 8192;
        let len = net.theta.len();
        let a = &mut self.adam;
        if a.m.len() != len {
            a.m = vec![0.0; len];
            a.v = vec![0.0; len];
        }
        a.time += 1;
        let (b1, b2, wd) = (a.beta1, a.beta2, a.weight_decay);
        let bc2 = (1.0 - b2.powi(a.time)).sqrt();
        let factor = bc2 / (1.0 - b1.powi(a.time));
        let eps = a.epsilon * bc2;
        let lr = lr as f32;
        let works = &self.works[..self.pieces];
        let step = AdamSlice {
            works,
            b1,
            b2,
            wd,
            factor,
            eps,
            lr,
        };
        let update = |(i, ((theta, m), v)): (usize, ((&mut [f32], &mut [f32]), &mut [f32]))| {
            simd(AdamRun(&step, i * SLICE, theta, m, v))
        };
        #[cfg(not(target_arch = "wasm32"))]
        {
            use rayon::prelude::*;
            net.theta
                .par_chunks_mut(SLICE)
                .zip(a.m.par_chunks_mut(SLICE))
                .zip(a.v.par_chunks_mut(SLICE))
                .enumerate()
                .for_each(update);
        }
        #[cfg(target_arch = "wasm32")]
        net.theta
            .chunks_mut(SLICE)
            .zip(a.m.chunks_mut(SLICE))
            .zip(a.v.chunks_mut(SLICE))
            .enumerate()
            .for_each(update);
    }
}

/// Adam's update of one slice of the parameters, from the pieces' gradients.
struct AdamSlice<'a> {
    works: &'a [Work],
    b1: f32,
    b2: f32,
    wd: f32,
    factor: f32,
    eps: f32,
    lr: f32,
}

/// The slice at `offset`: parameters, first and second moments.
struct AdamRun<'a, 'b>(
    &'b AdamSlice<'a>,
    usize,
    &'b mut [f32],
    &'b mut [f32],
    &'b mut [f32],
);

impl Kernel for AdamRun<'_, '_> {
    type Out = ();
    #[inline(always)]
    fn run(self) {
        let AdamRun(a, o, theta, m, v) = self;
        // The pieces' gradients summed in their order, a run of the slice at a time, then the
        // update over the run: each a loop the compiler vectorises.
        const RUN: usize = 512;
        let mut g = [0.0f32; RUN];
        let (b1, b2, wd, factor, eps, lr) = (a.b1, a.b2, a.wd, a.factor, a.eps, a.lr);
        for (r, ((theta, m), v)) in theta
            .chunks_mut(RUN)
            .zip(m.chunks_mut(RUN))
            .zip(v.chunks_mut(RUN))
            .enumerate()
        {
            let at = o + r * RUN;
            let g = &mut g[..theta.len()];
            g.fill(0.0);
            for w in a.works {
                let part = &w.grad[at..at + g.len()];
                g.iter_mut().zip(part).for_each(|(s, x)| *s += x);
            }
            if wd > 0.0 {
                g.iter_mut().zip(&*theta).for_each(|(g, t)| *g += t * wd);
            }
            for (((t, m), v), &g) in theta
                .iter_mut()
                .zip(m.iter_mut())
                .zip(v.iter_mut())
                .zip(&*g)
            {
                *m = *m * b1 + g * (1.0 - b1);
                *v = *v * b2 + g * g * (1.0 - b2);
                *t -= *m * factor / (v.sqrt() + eps) * lr;
            }
        }
    }
}

/// The summed weighted cross-entropy of the cells, in f32 as burn sums it (a batch whose loss
/// overflows f32 is infinite, and the run stops as diverged), and its gradient divided by
/// `denom` with respect to each logit into `dl`.
#[inline(always)]
fn loss_and_grad(logits: &[f32], y: &[f32], w: &[f32], denom: f64, dl: &mut Vec<f32>) -> f32 {
    dl.clear();
    let mut loss = 0.0f32;
    let inv = (1.0 / denom) as f32;
    for ((&x, &yv), &wv) in logits.iter().zip(y).zip(w) {
        loss += wv * bce_logit(x as f64, yv as f64) as f32;
        dl.push(wv * (sigmoid(x) - yv) * inv);
    }
    loss
}

#[cfg(test)]
impl Trainer {
    /// The last batch's gradient of every parameter, the pieces summed.
    fn gradient(&self) -> Vec<f32> {
        let mut g = self.works[0].grad.clone();
        for w in &self.works[1..self.pieces] {
            g.iter_mut().zip(&w.grad).for_each(|(a, b)| *a += b);
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use burn::optim::{AdamConfig, GradientsParams};
    use burn::prelude::*;
    use burn::tensor::TensorData;

    use super::*;
    use crate::loss::weighted_bce_sum;
    use crate::net::ArchConfig;
    use crate::rng::Rng;

    /// Small nets of every form the models take: with and without LHUC, dense inputs and head
    /// hidden layers.
    fn specs() -> Vec<NetSpec> {
        let arch = |hidden: Vec<usize>, head_hidden: Vec<usize>| ArchConfig {
            embedding_dim: 4,
            hidden,
            head_hidden,
            se_reduction: 2,
        };
        vec![
            NetSpec {
                arch: arch(vec![16, 8], vec![6, 3]),
                emb_width: 12,
                dense_width: 5,
                lhuc: true,
                n_heads: 3,
            },
            NetSpec {
                arch: arch(vec![10], vec![]),
                emb_width: 12,
                dense_width: 0,
                lhuc: true,
                n_heads: 1,
            },
            NetSpec {
                arch: arch(vec![9, 8, 6], vec![4]),
                emb_width: 12,
                dense_width: 2,
                lhuc: false,
                n_heads: 2,
            },
        ]
    }

    /// One forward and backward pass of `trainer` on the rows `x` (`[m, input width]`), each
    /// piece filled from its rows of `x`.
    fn host_step(
        trainer: &mut Trainer,
        host: &HostNet,
        x: &[f32],
        (y, w, denom): (&[f32], &[f32], f64),
    ) -> (f64, Vec<f32>) {
        let iw = host.layout.input;
        let m = x.len() / iw;
        trainer.step(host, m, &copy_rows(x, iw), Targets { y, w, denom })
    }

    fn randn(r: &mut Rng, len: usize, scale: f64) -> Vec<f32> {
        (0..len).map(|_| (scale * r.normal()) as f32).collect()
    }

    /// Inputs of `m` rows, `[m, input]`, and their embedding and dense parts as tensors.
    fn inputs(
        spec: &NetSpec,
        m: usize,
        seed: u64,
        device: &Device,
    ) -> (Vec<f32>, Tensor<2>, Option<Tensor<2>>) {
        let mut r = Rng::new(seed, 0);
        let (e, d) = (spec.emb_width, spec.dense_width);
        let x = randn(&mut r, m * (e + d), 1.5);
        let emb: Vec<f32> = x.chunks(e + d).flat_map(|row| &row[..e]).copied().collect();
        let dense: Vec<f32> = x.chunks(e + d).flat_map(|row| &row[e..]).copied().collect();
        let emb = Tensor::from_data(TensorData::new(emb, [m, e]), device);
        let dense = (d > 0).then(|| Tensor::from_data(TensorData::new(dense, [m, d]), device));
        (x, emb, dense)
    }

    fn close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 2e-5 + 1e-3 * y.abs(),
                "{what}[{i}]: host {x}, burn {y}"
            );
        }
    }

    fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn logits_match_burns_forward() {
        let device = Device::flex();
        for (i, spec) in specs().iter().enumerate() {
            device.seed(11 + i as u64);
            let net = spec.init(&device).unwrap().materialized();
            let host = HostNet::from_net(spec, &net).unwrap();
            // More rows than one inference piece, and a ragged last piece.
            let m = INFER_CHUNK + 37;
            let (x, emb, dense) = inputs(spec, m, i as u64, &device);
            let mut got = Vec::new();
            host.logits(&x, &mut got);
            close(
                &got,
                &to_vec(net.forward(emb, dense)),
                &format!("net {i} logits"),
            );
            // And back: the host's weights make burn's net again.
            let again = host.to_net(spec.init(&device).unwrap(), &device);
            let (_, emb, dense) = inputs(spec, 4, 99, &device);
            assert_eq!(
                to_vec(again.forward(emb.clone(), dense.clone())),
                to_vec(net.forward(emb, dense))
            );
        }
    }

    /// Labels, weights (zero for some cells) and the divisor of a batch of `m` rows.
    fn targets(m: usize, heads: usize, seed: u64) -> (Vec<f32>, Vec<f32>, f64) {
        let mut r = Rng::new(seed, 1);
        let y = (0..m * heads).map(|_| r.uniform() as f32).collect();
        let w: Vec<f32> = (0..m * heads)
            .map(|_| {
                if r.bernoulli(0.2) {
                    0.0
                } else {
                    (0.5 + 2.0 * r.uniform()) as f32
                }
            })
            .collect();
        let denom = w.iter().filter(|&&v| v > 0.0).count() as f64;
        (y, w, denom)
    }

    #[test]
    fn gradients_match_burns_autodiff() {
        let ad = Device::flex().autodiff();
        for (i, spec) in specs().iter().enumerate() {
            ad.seed(21 + i as u64);
            let net = spec.init(&ad).unwrap().materialized();
            // Several training pieces, the last one short.
            let m = 2 * CHUNK + 45;
            let (x, emb, dense) = inputs(spec, m, 7 + i as u64, &ad);
            let (y, w, denom) = targets(m, spec.n_heads, i as u64);
            let emb = emb.require_grad();
            let logits = net.forward(emb.clone(), dense);
            let t = |v: &Vec<f32>| {
                Tensor::<2>::from_data(TensorData::new(v.clone(), [m, spec.n_heads]), &ad)
            };
            let loss = weighted_bce_sum(logits, t(&y), t(&w)).mul_scalar(1.0 / denom);
            let burn_loss = to_vec(loss.clone().inner())[0] as f64;
            let grads = loss.backward();
            let burn_emb = to_vec(emb.grad(&grads).unwrap());

            let host = HostNet::from_net(spec, &net.valid()).unwrap();
            let mut trainer = Trainer::new(Adam::new(1e-8, 0.0));
            let (loss, emb_grad) = host_step(&mut trainer, &host, &x, (&y, &w, denom));
            assert!(
                (loss - burn_loss).abs() < 1e-5 * burn_loss.abs().max(1.0),
                "net {i}: loss {loss} vs {burn_loss}"
            );
            close(&emb_grad, &burn_emb, &format!("net {i} embedding gradient"));
            let g = trainer.gradient();
            for (k, (lin, l)) in host
                .layout
                .layers()
                .into_iter()
                .zip(net.layers())
                .enumerate()
            {
                let gw = to_vec(l.weight.val().grad(&grads).unwrap());
                close(
                    &g[lin.w..lin.w + lin.inp * lin.out],
                    &gw,
                    &format!("net {i} layer {k} weight"),
                );
                let gb = to_vec(l.bias.as_ref().unwrap().val().grad(&grads).unwrap());
                close(
                    &g[lin.b..lin.b + lin.out],
                    &gb,
                    &format!("net {i} layer {k} bias"),
                );
            }
        }
    }

    #[test]
    fn adam_steps_as_burns_adam_with_weight_decay() {
        let ad = Device::flex().autodiff();
        let spec = &specs()[0];
        ad.seed(5);
        let mut net = spec.init(&ad).unwrap().materialized();
        let mut host = HostNet::from_net(spec, &net.valid()).unwrap();
        let (lr, decay) = (0.01, 0.05);
        let mut optim = AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(Some(burn::optim::decay::WeightDecayConfig::new(decay)))
            .init();
        let mut trainer = Trainer::new(Adam::new(1e-8, decay));
        let m = CHUNK + 10;
        for step in 0..4u64 {
            let (x, emb, dense) = inputs(spec, m, 40 + step, &ad);
            let (y, w, denom) = targets(m, spec.n_heads, step);
            let t = |v: &Vec<f32>| {
                Tensor::<2>::from_data(TensorData::new(v.clone(), [m, spec.n_heads]), &ad)
            };
            let loss =
                weighted_bce_sum(net.forward(emb, dense), t(&y), t(&w)).mul_scalar(1.0 / denom);
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(lr, net, grads);
            host_step(&mut trainer, &host, &x, (&y, &w, denom));
            trainer.apply(&mut host, lr);
        }
        let burn = HostNet::from_net(spec, &net.valid()).unwrap();
        let worst = host
            .theta
            .iter()
            .zip(&burn.theta)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        // Four steps of 0.01 move each weight by up to 0.04; the two agree to float rounding.
        assert!(
            worst < 2e-5,
            "largest weight difference after four steps: {worst}"
        );
        assert!(
            host.theta
                != HostNet::from_net(spec, &spec.init(&ad).unwrap())
                    .unwrap()
                    .theta
        );
    }

    #[test]
    fn a_step_does_not_depend_on_the_number_of_threads() {
        let spec = &specs()[0];
        let device = Device::flex();
        device.seed(8);
        let net = spec.init(&device).unwrap().materialized();
        let m = 3 * CHUNK + 1;
        let (x, _, _) = inputs(spec, m, 3, &device);
        let (y, w, denom) = targets(m, spec.n_heads, 3);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut host = HostNet::from_net(spec, &net).unwrap();
                let mut trainer = Trainer::new(Adam::new(1e-8, 0.0));
                let mut losses = Vec::new();
                for _ in 0..2 {
                    losses.push(host_step(&mut trainer, &host, &x, (&y, &w, denom)));
                    trainer.apply(&mut host, 0.01);
                }
                (losses, host.theta)
            })
        };
        assert!(
            run(1) == run(3),
            "one thread and three trained other weights"
        );
    }
}
