//! The two corrections: inverse propensity weights from the submit model (response bias,
//! section 3.2) and pseudo-label distillation (exposure bias, section 3.3).

use serde::{Deserialize, Serialize};

use crate::data::{Features, Labels};
use crate::error::{CoreError, Result, all_in_range};
use crate::metrics::check_clip;

/// How inverse propensity weights are made from predicted P(submit | shown).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IpwConfig {
    /// Floor on the propensity: a weight is at most `1 / clip`. Must lie in `(0, 1]`.
    /// Small floors reduce bias and raise variance.
    pub clip: f64,
    /// Rescale the weights to mean one over the set (the self-normalised estimator), so the
    /// loss keeps its scale and only the balance between samples changes.
    pub self_normalize: bool,
}

impl Default for IpwConfig {
    fn default() -> Self {
        IpwConfig {
            clip: 0.02,
            self_normalize: true,
        }
    }
}

impl IpwConfig {
    /// Checks the floor.
    pub fn validate(&self) -> Result<()> {
        check_clip(self.clip)
            .map_err(|_| CoreError::config("ipw.clip", self.clip, "a propensity floor in (0, 1]"))
    }

    /// `1 / max(p, clip)` per sample, self-normalised when asked.
    pub fn weights(&self, propensity: &[f32]) -> Result<Vec<f32>> {
        self.validate()?;
        if propensity.is_empty() {
            return Err(CoreError::empty("ipw: propensities"));
        }
        all_in_range("ipw: propensities", propensity, 0.0, 1.0)?;
        let mut w: Vec<f32> = propensity
            .iter()
            .map(|&p| 1.0 / (p as f64).max(self.clip) as f32)
            .collect();
        if self.self_normalize {
            let mean = w.iter().map(|&v| v as f64).sum::<f64>() / w.len() as f64;
            w.iter_mut().for_each(|v| *v = (*v as f64 / mean) as f32);
        }
        Ok(w)
    }
}

/// Pseudo-label filter (Eq. 8) and the student loss mix (Eq. 9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DistillConfig {
    /// A pseudo label below this is kept (confident negative).
    pub tau_n: f64,
    /// A pseudo label above this is kept (confident positive).
    pub tau_p: f64,
    /// Weight of the labelled term `CE(p, y)` against the pseudo-label term.
    pub alpha: f64,
}

impl Default for DistillConfig {
    fn default() -> Self {
        DistillConfig {
            tau_n: 0.3,
            tau_p: 0.6,
            alpha: 5.0,
        }
    }
}

impl DistillConfig {
    /// Checks `0 <= tau_n <= tau_p <= 1` and `alpha >= 0`.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("distill.tau_n", self.tau_n), ("distill.tau_p", self.tau_p)] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(CoreError::config(name, v, "a threshold in [0, 1]"));
            }
        }
        if self.tau_n > self.tau_p {
            return Err(CoreError::config(
                "distill.tau_n",
                self.tau_n,
                format!("at most distill.tau_p = {}", self.tau_p),
            ));
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(CoreError::config(
                "distill.alpha",
                self.alpha,
                "a finite weight >= 0",
            ));
        }
        Ok(())
    }

    /// Eq. 8: whether a pseudo label is confident enough to train on.
    pub fn keep(&self, pseudo: f32) -> bool {
        (pseudo as f64) < self.tau_n || (pseudo as f64) > self.tau_p
    }

    /// Soft pseudo labels from teacher probabilities (`n x heads`), masked by Eq. 8 per cell.
    pub fn pseudo_labels(&self, heads: &[String], teacher: &[f32]) -> Result<Labels> {
        self.validate()?;
        all_in_range("pseudo labels", teacher, 0.0, 1.0)?;
        let mask = teacher.iter().map(|&p| self.keep(p)).collect();
        Labels::new(heads.to_vec(), teacher.to_vec(), mask)
    }

    /// The student's training set (Eq. 9): pseudo-labelled exposures with weight one, then the
    /// labelled survey samples with weight `alpha`, times their own weights (inverse
    /// propensities for "distillation + response debias") where given.
    pub fn student_set(
        &self,
        labelled: (&Features, &Labels, Option<&[f32]>),
        pseudo: (&Features, &Labels),
    ) -> Result<(Features, Labels, Vec<f32>)> {
        self.validate()?;
        let (lx, ly, lw) = labelled;
        let (px, py) = pseudo;
        let h = ly.n_heads();
        let mut x = px.clone();
        x.extend(lx)?;
        let mut y = py.clone();
        y.extend(ly)?;
        let mut w = vec![1.0f32; py.y.len()];
        match lw {
            Some(lw) => {
                crate::error::same_len(
                    "student_set",
                    "labelled cells",
                    ly.y.len(),
                    "labelled weights",
                    lw.len(),
                )?;
                w.extend(lw.iter().map(|&v| v * self.alpha as f32));
            }
            None => w.extend(std::iter::repeat_n(self.alpha as f32, ly.len() * h)),
        }
        Ok((x, y, w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipw_weights_clip_and_normalise() {
        let raw = IpwConfig {
            clip: 0.1,
            self_normalize: false,
        };
        assert_eq!(
            raw.weights(&[0.5, 0.01, 1.0]).unwrap(),
            vec![2.0, 10.0, 1.0]
        );
        let sn = IpwConfig {
            clip: 0.1,
            self_normalize: true,
        };
        let w = sn.weights(&[0.5, 0.01, 1.0]).unwrap();
        assert!((w.iter().sum::<f32>() - 3.0).abs() < 1e-5);
        assert!((w[1] / w[0] - 5.0).abs() < 1e-5);
        for clip in [0.0, -0.1, 1.5, f64::NAN] {
            let e = IpwConfig {
                clip,
                self_normalize: false,
            }
            .weights(&[0.5])
            .unwrap_err();
            assert!(e.to_string().contains("ipw.clip"), "{e}");
        }
        assert!(raw.weights(&[f32::NAN]).is_err());
    }

    #[test]
    fn eq8_keeps_confident_labels_soft() {
        let d = DistillConfig {
            tau_n: 0.2,
            tau_p: 0.7,
            alpha: 2.0,
        };
        let l = d.pseudo_labels(&["a".into()], &[0.1, 0.5, 0.9]).unwrap();
        assert_eq!(l.mask, vec![true, false, true]);
        assert_eq!(l.y, vec![0.1, 0.5, 0.9]);
        let bad = DistillConfig {
            tau_n: 0.8,
            tau_p: 0.2,
            alpha: 1.0,
        };
        assert!(bad.validate().unwrap_err().to_string().contains("tau_n"));
        let bad = DistillConfig {
            tau_n: 0.1,
            tau_p: 0.2,
            alpha: -1.0,
        };
        assert!(bad.validate().unwrap_err().to_string().contains("alpha"));
    }

    #[test]
    fn student_set_weights_labelled_rows_by_alpha() {
        let d = DistillConfig {
            tau_n: 0.2,
            tau_p: 0.7,
            alpha: 3.0,
        };
        let f = Features::new(vec![0], vec![0], vec![0], vec![], 0).unwrap();
        let heads = vec!["a".to_string()];
        let ly = Labels::new(heads.clone(), vec![1.0], vec![true]).unwrap();
        let py = Labels::new(heads, vec![0.1], vec![true]).unwrap();
        let (x, y, w) = d.student_set((&f, &ly, Some(&[2.0])), (&f, &py)).unwrap();
        assert_eq!(x.len(), 2);
        assert_eq!(y.y, vec![0.1, 1.0]);
        assert_eq!(w, vec![1.0, 6.0]);
    }
}
