//! How much each cluster of samples (each user's rows) moves a metric: its influence, the
//! derivative of the metric with respect to the cluster's weight (the infinitesimal jackknife).
//!
//! Resampling clusters with replacement, the bootstrap over users, gives a metric a variance of
//! about `Σ_c influence_c²`, and a difference of two metrics on the same clusters (two models on
//! the same users, the paired bootstrap) one of `Σ_c (a_c − b_c)²`: the bootstrap's variance to
//! first order, in one pass over the rows instead of hundreds of resamples. For AUC with one
//! row a cluster it is DeLong's variance; with users as clusters, its clustered form.

use crate::error::{CoreError, Result, same_len};
use crate::metrics;

/// A metric's value, with each cluster's influence on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Influence {
    /// The metric, as its own function in [`metrics`] computes it.
    pub value: f64,
    /// Cluster `c`'s influence: `d value / d w_c` at every weight 1.
    pub by_cluster: Vec<f64>,
}

impl Influence {
    /// The standard error of the value under resampling clusters: `sqrt(Σ_c influence_c²)`.
    pub fn se(&self) -> f64 {
        self.by_cluster.iter().map(|x| x * x).sum::<f64>().sqrt()
    }

    /// `Σ_k coef_k · term_k`, value and influence alike (every term over the same clusters): a
    /// difference of two models' metrics is `[(1.0, a), (-1.0, b)]`.
    pub fn combine(terms: &[(f64, &Influence)]) -> Result<Influence> {
        let n = terms.first().map_or(0, |t| t.1.by_cluster.len());
        let mut out = Influence {
            value: 0.0,
            by_cluster: vec![0.0; n],
        };
        for (coef, t) in terms {
            same_len(
                "Influence::combine",
                "first term's clusters",
                n,
                "a term's clusters",
                t.by_cluster.len(),
            )?;
            out.value += coef * t.value;
            for (o, x) in out.by_cluster.iter_mut().zip(&t.by_cluster) {
                *o += coef * x;
            }
        }
        Ok(out)
    }

    /// The influence on `|value|`.
    pub fn abs(mut self) -> Influence {
        if self.value < 0.0 {
            self.value = -self.value;
            self.by_cluster.iter_mut().for_each(|x| *x = -*x);
        }
        self
    }
}

/// Checks that every row names a cluster below `n_clusters`.
fn check_clusters(what: &str, clusters: &[u32], rows: usize, n_clusters: usize) -> Result<()> {
    same_len(what, "rows", rows, "clusters", clusters.len())?;
    if let Some(index) = clusters.iter().position(|&c| c as usize >= n_clusters) {
        return Err(CoreError::OutOfRange {
            what: format!("{what}: clusters"),
            index,
            value: clusters[index] as f64,
            allowed: format!("[0, {n_clusters})"),
        });
    }
    Ok(())
}

/// [`metrics::reg_auc`] (so AUC too, with 0/1 targets) with each cluster's influence. regAUC is
/// `A / B`, `A` the concordant pairs and `B` the pairs whose targets differ; a row's pairs are
/// `a_i` and `b_i`, a cluster's their sums, and its influence `(a_c − value · b_c) / B`.
pub fn reg_auc<S: Copy + Into<f64>, T: Copy + Into<f64>>(
    scores: &[S],
    targets: &[T],
    clusters: &[u32],
    n_clusters: usize,
) -> Result<Influence> {
    check_clusters("reg_auc", clusters, scores.len(), n_clusters)?;
    let (below, lower) = metrics::concordant_below(scores, targets)?;
    let pairs = lower.iter().sum::<u64>() as f64;
    let value = metrics::ratio_of_pairs(below.iter().sum(), pairs, scores.len())?;
    // The same counts from above: rows with a larger target and a larger score.
    let s_neg: Vec<f64> = scores.iter().map(|&s| -s.into()).collect();
    let t_neg: Vec<f64> = targets.iter().map(|&t| -t.into()).collect();
    let (above, higher) = metrics::concordant_below(&s_neg, &t_neg)?;
    let mut by_cluster = vec![0.0; n_clusters];
    for i in 0..scores.len() {
        let a = below[i] + above[i];
        let b = (lower[i] + higher[i]) as f64;
        by_cluster[clusters[i] as usize] += (a - value * b) / pairs;
    }
    Ok(Influence { value, by_cluster })
}

/// [`metrics::calibration`] (unweighted, Eq. 10: `Σp / Σy − 1`) with each cluster's influence,
/// `(P_c − (value + 1) · Y_c) / Σy`.
pub fn calibration<S: Copy + Into<f64>, Y: Copy + Into<f64>>(
    preds: &[S],
    labels: &[Y],
    clusters: &[u32],
    n_clusters: usize,
) -> Result<Influence> {
    check_clusters("calibration", clusters, preds.len(), n_clusters)?;
    // Checks the inputs (finite, a positive label sum) as the metric itself does.
    let value = metrics::calibration(preds, labels, None)?;
    let sy: f64 = labels.iter().map(|&y| y.into()).sum();
    let mut by_cluster = vec![0.0; n_clusters];
    for i in 0..preds.len() {
        by_cluster[clusters[i] as usize] +=
            (preds[i].into() - (value + 1.0) * labels[i].into()) / sy;
    }
    Ok(Influence { value, by_cluster })
}

/// [`metrics::uauc`] with users as the clusters (`users` below `n_clusters`): each counted
/// user's influence is `(auc_u − value) / counted`, the others' zero.
pub fn uauc<S: Copy + Into<f64>>(
    users: &[u32],
    n_clusters: usize,
    scores: &[S],
    labels: &[bool],
) -> Result<(metrics::Uauc, Influence)> {
    check_clusters("uauc", users, scores.len(), n_clusters)?;
    let per = metrics::per_user_auc(users, scores, labels)?;
    let u = per.uauc();
    let mut by_cluster = vec![0.0; n_clusters];
    for (user, auc) in per.users.iter().zip(&per.auc) {
        by_cluster[*user as usize] = (auc - u.uauc) / u.users_counted as f64;
    }
    let value = u.uauc;
    Ok((u, Influence { value, by_cluster }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::tests::brute_reg_auc_weighted as weighted_reg_auc;
    use crate::rng::Rng;

    #[test]
    fn auc_influence_hand_values() {
        // Scores 0.1, 0.4, 0.35, 0.8 with labels 0, 0, 1, 1, a row a cluster: AUC 0.75. The
        // positive 0.35 beats one negative of two (placement 0.5), 0.8 both (1.0); the negative
        // 0.1 is below both positives (1.0), 0.4 below one (0.5). DeLong: influence (placement −
        // AUC) / class size, so −0.125, +0.125 for the positives, +0.125, −0.125 for the negatives.
        let inf = reg_auc(
            &[0.1, 0.4, 0.35, 0.8],
            &[0.0, 0.0, 1.0, 1.0],
            &[0, 1, 2, 3],
            4,
        )
        .unwrap();
        assert_eq!(inf.value, 0.75);
        for (got, want) in inf.by_cluster.iter().zip([0.125, -0.125, -0.125, 0.125]) {
            assert!((got - want).abs() < 1e-12, "{:?}", inf.by_cluster);
        }
        // DeLong's variance: Var(V10) / 2 + Var(V01) / 2 with population variances 0.0625: 0.0625.
        assert!((inf.se() - 0.25).abs() < 1e-12);
        // Rows 0 and 2 one user, 1 and 3 another: their influences add, 0 and 0.
        let two = reg_auc(
            &[0.1, 0.4, 0.35, 0.8],
            &[0.0, 0.0, 1.0, 1.0],
            &[0, 1, 0, 1],
            2,
        )
        .unwrap();
        assert!(two.by_cluster.iter().all(|x| x.abs() < 1e-12));
    }

    #[test]
    fn reg_auc_influence_is_the_derivative_in_a_cluster_weight() {
        let mut r = Rng::new(31, 0);
        for case in 0..40 {
            let n = 4 + r.below(30) as usize;
            let k = 1 + r.below(6) as usize;
            let s: Vec<f64> = (0..n).map(|_| r.below(6) as f64).collect();
            let mut t: Vec<f64> = (0..n).map(|_| r.below(4) as f64 / 3.0).collect();
            (t[0], t[1]) = (0.0, 1.0);
            let c: Vec<u32> = (0..n).map(|_| r.below(k as u64) as u32).collect();
            let inf = reg_auc(&s, &t, &c, k).unwrap();
            let ones = vec![1.0; k];
            assert!((inf.value - weighted_reg_auc(&s, &t, &c, &ones)).abs() < 1e-12);
            for g in 0..k {
                let h = 1e-6;
                let mut w = ones.clone();
                w[g] += h;
                let up = weighted_reg_auc(&s, &t, &c, &w);
                w[g] -= 2.0 * h;
                let down = weighted_reg_auc(&s, &t, &c, &w);
                let d = (up - down) / (2.0 * h);
                assert!(
                    (d - inf.by_cluster[g]).abs() < 1e-6,
                    "case {case} cluster {g}"
                );
            }
            // Influences sum to zero: weighting every cluster alike changes nothing.
            assert!(inf.by_cluster.iter().sum::<f64>().abs() < 1e-9);
        }
    }

    #[test]
    fn calibration_and_uauc_influence_hand_values() {
        // p 0.2, 0.4, 0.6 against y 0, 1, 1 in clusters 0, 0, 1: Σp 1.2, Σy 2, value −0.4.
        // Cluster 0: (0.6 − 0.6 · 1) / 2 = 0; cluster 1: (0.6 − 0.6 · 1) / 2 = 0. Cluster 1
        // alone on row 0: (0.2 − 0) / 2 = 0.1 and (1.0 − 0.6 · 2) / 2 = −0.1.
        let c = calibration(&[0.2, 0.4, 0.6], &[0.0, 1.0, 1.0], &[0, 0, 1], 2).unwrap();
        assert!((c.value + 0.4).abs() < 1e-12);
        assert!(c.by_cluster.iter().all(|x| x.abs() < 1e-12));
        let c = calibration(&[0.2, 0.4, 0.6], &[0.0, 1.0, 1.0], &[1, 0, 0], 2).unwrap();
        assert!((c.by_cluster[1] - 0.1).abs() < 1e-12 && (c.by_cluster[0] + 0.1).abs() < 1e-12);
        let a = c.clone().abs();
        assert!((a.value - 0.4).abs() < 1e-12 && (a.by_cluster[1] + 0.1).abs() < 1e-12);
        // UAUC: user 0 has AUC 1, user 1 AUC 0, user 2 one label (skipped): 0.5; influences
        // (1 − 0.5) / 2 and (0 − 0.5) / 2, and 0.
        let (u, inf) = uauc(
            &[0, 0, 1, 1, 2],
            3,
            &[0.9, 0.1, 0.1, 0.9, 0.5],
            &[true, false, true, false, true],
        )
        .unwrap();
        assert_eq!((u.uauc, u.users_counted, u.users_skipped), (0.5, 2, 1));
        assert_eq!(inf.by_cluster, vec![0.25, -0.25, 0.0]);
        // A difference of two: value and influence subtract.
        let d = Influence::combine(&[(1.0, &inf), (-1.0, &inf)]).unwrap();
        assert_eq!((d.value, d.se()), (0.0, 0.0));
        assert!(reg_auc(&[0.1], &[0.0], &[3], 2).is_err());
    }

    #[test]
    fn the_se_matches_a_bootstrap_over_clusters() {
        // 300 rows in 60 clusters, each with its own level: the bootstrap's spread over 2,000
        // cluster resamples against the influence's standard error.
        let mut r = Rng::new(32, 0);
        let k = 60;
        let level: Vec<f64> = (0..k).map(|_| r.uniform()).collect();
        let c: Vec<u32> = (0..300).map(|i| (i % k) as u32).collect();
        let t: Vec<f64> = c
            .iter()
            .map(|&g| level[g as usize] + 0.3 * r.uniform())
            .collect();
        let s: Vec<f64> = t.iter().map(|&x| x + 0.5 * r.uniform()).collect();
        let inf = reg_auc(&s, &t, &c, k).unwrap();
        let mut draws = Vec::new();
        for _ in 0..2000 {
            let mut w = vec![0.0; k];
            for _ in 0..k {
                w[r.below(k as u64) as usize] += 1.0;
            }
            draws.push(weighted_reg_auc(&s, &t, &c, &w));
        }
        let m = draws.iter().sum::<f64>() / draws.len() as f64;
        let sd = (draws.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 1999.0).sqrt();
        let ratio = inf.se() / sd;
        assert!(
            (0.85..1.15).contains(&ratio),
            "se {} against {sd}",
            inf.se()
        );
    }
}
