//! Weighted binary cross-entropy on logits, with soft labels and per-sample, per-head weights.
//!
//! burn has no per-sample weighted or soft-label BCE, so it is written once here:
//! `l(x, y) = softplus(x) - y x = (1 - y) x - log_sigmoid(x)`, stable for any logit.

use burn::prelude::*;
use burn::tensor::activation::log_sigmoid;

/// Sum over the batch and heads of `w * l(x, y)`.
///
/// # Shapes
/// - `logits`, `y`, `w`: `[batch, heads]`; a zero weight masks a cell out
/// - output: `[1]`
pub fn weighted_bce_sum(logits: Tensor<2>, y: Tensor<2>, w: Tensor<2>) -> Tensor<1> {
    (((y.neg() + 1.0) * logits.clone() - log_sigmoid(logits)) * w).sum()
}

/// The same loss on the host, for one cell, in `f64`.
#[inline]
pub fn bce_logit(x: f64, y: f64) -> f64 {
    // softplus(x) = max(x, 0) + ln(1 + e^-|x|)
    x.max(0.0) + (-x.abs()).exp().ln_1p() - y * x
}

/// Logistic function on the host.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn matches_hand_computed_values() {
        let device = Device::flex();
        let x = Tensor::<2>::from_data(
            TensorData::new(vec![0.0f32, 2.0, -1.0, 3.0], [2, 2]),
            &device,
        );
        let y = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 0.25, 0.0, 1.0], [2, 2]),
            &device,
        );
        let w = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 0.5, 0.0], [2, 2]),
            &device,
        );
        let got: f32 = weighted_bce_sum(x, y, w).into_scalar();
        // ln 2; 2 * (ln(1 + e^2) - 0.5); 0.5 * ln(1 + e^-1); the last cell is masked.
        let expect =
            2f64.ln() + 2.0 * ((1.0 + 2f64.exp()).ln() - 0.5) + 0.5 * (1.0 + (-1f64).exp()).ln();
        assert!((got as f64 - expect).abs() < 1e-5, "{got} vs {expect}");
        assert!((bce_logit(2.0, 0.25) - ((1.0 + 2f64.exp()).ln() - 0.5)).abs() < 1e-12);
        assert!(bce_logit(-200.0, 1.0).is_finite() && bce_logit(200.0, 0.0).is_finite());
    }
}
