//! The paper's offline metrics (section 4.1), in plain Rust on `f64`, no tensors.
//!
//! Every function checks its inputs (empty, mismatched lengths, NaN or infinite values, negative
//! weights) and returns a [`CoreError`] naming the problem instead of panicking. Weighted
//! versions take `Option<&[f64]>`: `None` means every sample weighs one.

use crate::error::{CoreError, Result, all_finite, same_len};

fn check_inputs<S: Copy + Into<f64>>(
    what: &str,
    scores: &[S],
    n_labels: usize,
    weights: Option<&[f64]>,
) -> Result<()> {
    if scores.is_empty() {
        return Err(CoreError::empty(format!("{what}: scores")));
    }
    same_len(what, "scores", scores.len(), "labels", n_labels)?;
    all_finite(&format!("{what}: scores"), scores)?;
    if let Some(w) = weights {
        same_len(what, "scores", scores.len(), "weights", w.len())?;
        check_weights(what, w)?;
    }
    Ok(())
}

fn check_weights(what: &str, w: &[f64]) -> Result<()> {
    all_finite(&format!("{what}: weights"), w)?;
    if let Some(index) = w.iter().position(|&x| x < 0.0) {
        return Err(CoreError::OutOfRange {
            what: format!("{what}: weights"),
            index,
            value: w[index],
            allowed: "[0, inf)".into(),
        });
    }
    Ok(())
}

#[inline]
fn weight(weights: Option<&[f64]>, i: usize) -> f64 {
    weights.map_or(1.0, |w| w[i])
}

/// Area under the ROC curve, with tied scores counted as one half. O(n log n).
pub fn auc<S: Copy + Into<f64>>(scores: &[S], labels: &[bool]) -> Result<f64> {
    weighted_auc(scores, labels, None)
}

/// AUC where each sample carries a weight (for example an inverse propensity): the weighted
/// share of (positive, negative) pairs ranked in the right order, ties counting one half.
pub fn weighted_auc<S: Copy + Into<f64>>(
    scores: &[S],
    labels: &[bool],
    weights: Option<&[f64]>,
) -> Result<f64> {
    check_inputs("auc", scores, labels.len(), weights)?;
    let mut idx: Vec<u32> = (0..scores.len() as u32).collect();
    idx.sort_unstable_by(|&a, &b| {
        scores[a as usize]
            .into()
            .total_cmp(&scores[b as usize].into())
    });
    let (mut neg_below, mut num, mut wpos, mut wneg) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut start = 0;
    while start < idx.len() {
        let s = scores[idx[start] as usize].into();
        let mut end = start;
        let (mut gp, mut gn) = (0.0, 0.0);
        while end < idx.len() && scores[idx[end] as usize].into() == s {
            let i = idx[end] as usize;
            if labels[i] {
                gp += weight(weights, i);
            } else {
                gn += weight(weights, i);
            }
            end += 1;
        }
        num += gp * neg_below + 0.5 * gp * gn;
        neg_below += gn;
        wpos += gp;
        wneg += gn;
        start = end;
    }
    if wpos <= 0.0 {
        return Err(CoreError::MissingClass {
            what: "auc".into(),
            class: "positive",
            n: scores.len(),
        });
    }
    if wneg <= 0.0 {
        return Err(CoreError::MissingClass {
            what: "auc".into(),
            class: "negative",
            n: scores.len(),
        });
    }
    Ok(num / (wpos * wneg))
}

/// AUC against a continuous target (the paper's regAUC): over all pairs whose targets differ,
/// the share where the larger target has the larger score, ties in score counting one half.
/// O(n log n) with a Fenwick tree over score ranks.
pub fn reg_auc<S: Copy + Into<f64>, T: Copy + Into<f64>>(
    scores: &[S],
    targets: &[T],
) -> Result<f64> {
    let (below, lower) = concordant_below(scores, targets)?;
    // Sums of halves and whole counts: exact in f64 whatever the order.
    ratio_of_pairs(
        below.iter().sum(),
        lower.iter().sum::<u64>() as f64,
        scores.len(),
    )
}

/// regAUC from its concordant pairs and its pairs with differing targets.
pub(crate) fn ratio_of_pairs(num: f64, pairs: f64, n: usize) -> Result<f64> {
    if pairs == 0.0 {
        return Err(CoreError::MissingClass {
            what: "reg_auc (all targets equal)".into(),
            class: "distinct-target",
            n,
        });
    }
    Ok(num / pairs)
}

/// Per row `i`, over the rows `j` with a smaller target: how many have a smaller score (ties in
/// score one half), and how many there are. regAUC is the first's sum over the second's.
pub(crate) fn concordant_below<S: Copy + Into<f64>, T: Copy + Into<f64>>(
    scores: &[S],
    targets: &[T],
) -> Result<(Vec<f64>, Vec<u64>)> {
    check_inputs("reg_auc", scores, targets.len(), None)?;
    all_finite("reg_auc: targets", targets)?;
    let n = scores.len();
    // Dense ranks of scores, 1-based for the Fenwick tree. Sorting (key, row) pairs, not rows
    // by a key looked up in each comparison, keeps the sort in cache.
    let by_score = sorted_keys(scores);
    let mut rank = vec![0usize; n];
    let mut r = 0;
    for (k, &(key, i)) in by_score.iter().enumerate() {
        if k == 0 || from_key(key) != from_key(by_score[k - 1].0) {
            r += 1;
        }
        rank[i as usize] = r;
    }
    drop(by_score);
    // Counts of the rows processed so far: below each rank (a Fenwick tree) and at it. Row
    // numbers are u32, so u32 counts suffice, at half the memory.
    let mut tree = vec![0u32; r + 1];
    let mut at_rank = vec![0u32; r + 1];
    let prefix = |tree: &[u32], mut i: usize| {
        let mut s = 0u64;
        while i > 0 {
            s += tree[i] as u64;
            i &= i - 1;
        }
        s
    };
    // Rows by target; rows of equal targets form a group, in any order (each row's counts
    // come from the rows of smaller targets alone).
    let by_target: Vec<u32> = sorted_keys(targets).into_iter().map(|(_, i)| i).collect();
    let (mut below, mut lower) = (vec![0.0f64; n], vec![0u64; n]);
    let mut processed = 0u64;
    let mut start = 0;
    while start < n {
        let t = targets[by_target[start] as usize].into();
        let mut end = start;
        while end < n && targets[by_target[end] as usize].into() == t {
            end += 1;
        }
        for &i in &by_target[start..end] {
            let ri = rank[i as usize];
            let less = prefix(&tree, ri - 1);
            let equal = at_rank[ri] as u64;
            below[i as usize] = less as f64 + 0.5 * equal as f64;
            lower[i as usize] = processed;
        }
        for &i in &by_target[start..end] {
            let mut j = rank[i as usize];
            at_rank[j] += 1;
            while j <= r {
                tree[j] += 1;
                j += j & j.wrapping_neg();
            }
        }
        processed += (end - start) as u64;
        start = end;
    }
    Ok((below, lower))
}

/// `values` as (key, row) pairs sorted by key, where the keys order as `f64::total_cmp` orders
/// the values ([`order_key`]).
fn sorted_keys<V: Copy + Into<f64>>(values: &[V]) -> Vec<(u64, u32)> {
    let mut keys: Vec<(u64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (order_key(v.into()), i as u32))
        .collect();
    keys.sort_unstable();
    keys
}

/// A float's bits, turned so that unsigned order is `f64::total_cmp`'s order.
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// The float [`order_key`] was made from.
fn from_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Calibration, Eq. 10: `avg(p) / avg(y) - 1`, weighted when weights are given. Positive means
/// the model over-predicts. Labels may be soft, in `[0, 1]`.
pub fn calibration<S: Copy + Into<f64>, Y: Copy + Into<f64>>(
    preds: &[S],
    labels: &[Y],
    weights: Option<&[f64]>,
) -> Result<f64> {
    check_inputs("calibration", preds, labels.len(), weights)?;
    all_finite("calibration: labels", labels)?;
    let (mut sp, mut sy) = (0.0, 0.0);
    for i in 0..preds.len() {
        let w = weight(weights, i);
        sp += w * preds[i].into();
        sy += w * labels[i].into();
    }
    if sy <= 0.0 {
        return Err(CoreError::MissingClass {
            what: "calibration".into(),
            class: "positive",
            n: preds.len(),
        });
    }
    Ok(sp / sy - 1.0)
}

/// Weighted log loss with predictions clamped to `[1e-7, 1 - 1e-7]`.
pub fn log_loss<S: Copy + Into<f64>, Y: Copy + Into<f64>>(
    preds: &[S],
    labels: &[Y],
    weights: Option<&[f64]>,
) -> Result<f64> {
    check_inputs("log_loss", preds, labels.len(), weights)?;
    all_finite("log_loss: labels", labels)?;
    let (mut s, mut sw) = (0.0, 0.0);
    for i in 0..preds.len() {
        let p = preds[i].into().clamp(1e-7, 1.0 - 1e-7);
        let y = labels[i].into();
        let w = weight(weights, i);
        s -= w * (y * p.ln() + (1.0 - y) * (1.0 - p).ln());
        sw += w;
    }
    if sw <= 0.0 {
        return Err(CoreError::empty("log_loss: total weight"));
    }
    Ok(s / sw)
}

/// Per-user AUC averaged over users (Eq. 11–12).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Uauc {
    /// Mean of the per-user AUCs over the users counted.
    pub uauc: f64,
    /// Users with at least one positive and one negative sample.
    pub users_counted: usize,
    /// Users left out because all their samples had one label.
    pub users_skipped: usize,
}

/// Nfb/Pfb UAUC (Eq. 11–12): the AUC of each user's own samples, averaged with equal weight over
/// the users who have both a positive and a negative sample; the others are counted as skipped.
pub fn uauc<S: Copy + Into<f64>>(users: &[u32], scores: &[S], labels: &[bool]) -> Result<Uauc> {
    Ok(per_user_auc(users, scores, labels)?.uauc())
}

/// Each user's AUC over their own samples (the users UAUC counts, in increasing id).
#[derive(Clone, Debug, PartialEq)]
pub struct UserAucs {
    /// The users with both a positive and a negative sample.
    pub users: Vec<u32>,
    /// Their AUCs, in the same order.
    pub auc: Vec<f64>,
    /// Users left out because all their samples had one label.
    pub skipped: usize,
}

impl UserAucs {
    /// Their mean, UAUC.
    pub fn uauc(&self) -> Uauc {
        Uauc {
            uauc: self.auc.iter().sum::<f64>() / self.auc.len() as f64,
            users_counted: self.auc.len(),
            users_skipped: self.skipped,
        }
    }
}

/// The per-user AUCs behind [`uauc`]; an error when no user has both classes.
pub fn per_user_auc<S: Copy + Into<f64>>(
    users: &[u32],
    scores: &[S],
    labels: &[bool],
) -> Result<UserAucs> {
    check_inputs("uauc", scores, labels.len(), None)?;
    same_len("uauc", "scores", scores.len(), "users", users.len())?;
    let mut idx: Vec<u32> = (0..users.len() as u32).collect();
    idx.sort_unstable_by_key(|&i| users[i as usize]);
    let mut out = UserAucs {
        users: Vec::new(),
        auc: Vec::new(),
        skipped: 0,
    };
    let mut s_buf: Vec<f64> = Vec::new();
    let mut l_buf: Vec<bool> = Vec::new();
    let mut start = 0;
    while start < idx.len() {
        let u = users[idx[start] as usize];
        let mut end = start;
        s_buf.clear();
        l_buf.clear();
        while end < idx.len() && users[idx[end] as usize] == u {
            let i = idx[end] as usize;
            s_buf.push(scores[i].into());
            l_buf.push(labels[i]);
            end += 1;
        }
        let pos = l_buf.iter().filter(|&&l| l).count();
        if pos == 0 || pos == l_buf.len() {
            out.skipped += 1;
        } else {
            out.users.push(u);
            out.auc.push(weighted_auc(&s_buf, &l_buf, None)?);
        }
        start = end;
    }
    if out.auc.is_empty() {
        return Err(CoreError::MissingClass {
            what: "uauc (no user has both a positive and a negative sample)".into(),
            class: "mixed-user",
            n: users.len(),
        });
    }
    Ok(out)
}

/// Survey like or issue rate (Eq. 1–2): the share of submits whose answer is the option.
pub fn survey_rate(answers: &[bool]) -> Result<f64> {
    if answers.is_empty() {
        return Err(CoreError::empty("survey_rate: submits"));
    }
    Ok(answers.iter().filter(|&&a| a).count() as f64 / answers.len() as f64)
}

/// Overall rate as the mean of predicted probabilities over a set of samples: over all survey
/// shows it is Eq. 5, over submits only it is Eq. 6 (equal to Eq. 1 when answering is uniform).
pub fn mean_rate<S: Copy + Into<f64>>(preds: &[S]) -> Result<f64> {
    if preds.is_empty() {
        return Err(CoreError::empty("mean_rate: predictions"));
    }
    all_finite("mean_rate: predictions", preds)?;
    Ok(preds.iter().map(|&p| p.into()).sum::<f64>() / preds.len() as f64)
}

/// Response-debiased issue rate (Eq. 13): each submit weighs `1 / max(sub_pred, clip)`.
pub fn debiased_rate<S: Copy + Into<f64>>(
    answers: &[bool],
    submit_pred: &[S],
    clip: f64,
) -> Result<f64> {
    check_clip(clip)?;
    check_inputs("debiased_rate", submit_pred, answers.len(), None)?;
    let (mut num, mut den) = (0.0, 0.0);
    for (i, &a) in answers.iter().enumerate() {
        let p: f64 = submit_pred[i].into();
        if !(0.0..=1.0).contains(&p) {
            return Err(CoreError::OutOfRange {
                what: "debiased_rate: submit predictions".into(),
                index: i,
                value: p,
                allowed: "[0, 1]".into(),
            });
        }
        let w = 1.0 / p.max(clip);
        den += w;
        if a {
            num += w;
        }
    }
    Ok(num / den)
}

/// Checks an inverse-propensity floor: it must lie in `(0, 1]`.
pub fn check_clip(clip: f64) -> Result<()> {
    if clip.is_finite() && clip > 0.0 && clip <= 1.0 {
        Ok(())
    } else {
        Err(CoreError::config(
            "clip",
            clip,
            "a propensity floor in (0, 1]",
        ))
    }
}

/// AUC and calibration of one percentile band of the submit score (Table 2).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Band {
    /// Lower quantile of the band, in `[0, 1]`.
    pub lo: f64,
    /// Upper quantile of the band.
    pub hi: f64,
    /// Samples in the band.
    pub n: usize,
    /// Positive labels in the band.
    pub positives: usize,
    /// AUC within the band; `None` when the band lacks a class.
    pub auc: Option<f64>,
    /// Calibration within the band; `None` when the band has no positive.
    pub calibration: Option<f64>,
}

/// The rows of each band of the submit score, between consecutive quantiles `edges` (such as
/// `[0, 0.25, 0.5, 1]`), by rank, ties broken by position: what [`by_submit_band`] scores.
pub fn submit_bands<S: Copy + Into<f64>>(
    submit_scores: &[S],
    edges: &[f64],
) -> Result<Vec<Vec<u32>>> {
    all_finite("by_submit_band: submit_scores", submit_scores)?;
    if edges.len() < 2
        || edges
            .windows(2)
            .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
        || edges[0] < 0.0
        || edges[edges.len() - 1] > 1.0
    {
        return Err(CoreError::config(
            "edges",
            format!("{edges:?}"),
            "increasing quantiles within [0, 1], at least two",
        ));
    }
    let n = submit_scores.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| {
        submit_scores[a as usize]
            .into()
            .total_cmp(&submit_scores[b as usize].into())
    });
    Ok(edges
        .windows(2)
        .map(|w| {
            let lo = (w[0] * n as f64).round() as usize;
            let hi = (w[1] * n as f64).round() as usize;
            order[lo.min(n)..hi.min(n)].to_vec()
        })
        .collect())
}

/// Splits samples by quantiles of the submit score (`edges` such as `[0, 0.25, 0.5, 0.75, 1]`,
/// by rank, ties broken by position) and computes AUC and calibration within each band.
pub fn by_submit_band<S: Copy + Into<f64>, P: Copy + Into<f64>>(
    submit_scores: &[S],
    preds: &[P],
    labels: &[bool],
    weights: Option<&[f64]>,
    edges: &[f64],
) -> Result<Vec<Band>> {
    check_inputs("by_submit_band", preds, labels.len(), weights)?;
    same_len(
        "by_submit_band",
        "preds",
        preds.len(),
        "submit_scores",
        submit_scores.len(),
    )?;
    let mut out = Vec::with_capacity(edges.len().saturating_sub(1));
    for (w, members) in edges.windows(2).zip(submit_bands(submit_scores, edges)?) {
        let p: Vec<f64> = members.iter().map(|&i| preds[i as usize].into()).collect();
        let l: Vec<bool> = members.iter().map(|&i| labels[i as usize]).collect();
        let ws: Option<Vec<f64>> =
            weights.map(|w| members.iter().map(|&i| w[i as usize]).collect());
        let y: Vec<f64> = l.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
        let positives = l.iter().filter(|&&b| b).count();
        let (auc, cal) = if members.is_empty() {
            (None, None)
        } else {
            (
                weighted_auc(&p, &l, ws.as_deref()).ok(),
                calibration(&p, &y, ws.as_deref()).ok(),
            )
        };
        out.push(Band {
            lo: w[0],
            hi: w[1],
            n: members.len(),
            positives,
            auc,
            calibration: cal,
        });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rng::Rng;

    fn brute_auc(s: &[f64], l: &[bool], w: &[f64]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..s.len() {
            for j in 0..s.len() {
                if l[i] && !l[j] {
                    let ww = w[i] * w[j];
                    den += ww;
                    if s[i] > s[j] {
                        num += ww;
                    } else if s[i] == s[j] {
                        num += 0.5 * ww;
                    }
                }
            }
        }
        num / den
    }

    fn brute_reg_auc(s: &[f64], t: &[f64]) -> f64 {
        let rows: Vec<u32> = (0..s.len() as u32).collect();
        brute_reg_auc_weighted(s, t, &rows, &vec![1.0; s.len()])
    }

    /// regAUC by brute force, row `i` in cluster `c[i]` of weight `w[c[i]]` (a pair weighs
    /// `w_i · w_j`); the influence tests read it too.
    pub(crate) fn brute_reg_auc_weighted(s: &[f64], t: &[f64], c: &[u32], w: &[f64]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..s.len() {
            for j in 0..s.len() {
                if t[i] > t[j] {
                    let ww = w[c[i] as usize] * w[c[j] as usize];
                    den += ww;
                    if s[i] > s[j] {
                        num += ww;
                    } else if s[i] == s[j] {
                        num += 0.5 * ww;
                    }
                }
            }
        }
        num / den
    }

    /// Random scores on a coarse grid, so ties are common.
    fn random_case(r: &mut Rng, n: usize) -> (Vec<f64>, Vec<bool>, Vec<f64>) {
        let s = (0..n).map(|_| (r.below(12) as f64) / 4.0).collect();
        let mut l: Vec<bool> = (0..n).map(|_| r.bernoulli(0.3)).collect();
        l[0] = true;
        l[1] = false;
        let w = (0..n).map(|_| 0.1 + r.uniform() * 3.0).collect();
        (s, l, w)
    }

    #[test]
    fn auc_hand_values() {
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap(),
            0.75
        );
        assert_eq!(auc(&[0.5, 0.5], &[true, false]).unwrap(), 0.5);
        assert_eq!(auc(&[0.9, 0.1], &[true, false]).unwrap(), 1.0);
        // Weights: the one mis-ordered pair weighs 3 of 4.
        let a = weighted_auc(
            &[0.2, 0.1, 0.3],
            &[true, false, false],
            Some(&[1.0, 1.0, 3.0]),
        )
        .unwrap();
        assert!((a - 0.25).abs() < 1e-12);
    }

    #[test]
    fn auc_matches_brute_force_on_random_inputs() {
        let mut r = Rng::new(11, 0);
        for case in 0..200 {
            let n = 2 + r.below(60) as usize;
            let (s, l, w) = random_case(&mut r, n);
            let ones = vec![1.0; n];
            let a = auc(&s, &l).unwrap();
            assert!((a - brute_auc(&s, &l, &ones)).abs() < 1e-12, "case {case}");
            let aw = weighted_auc(&s, &l, Some(&w)).unwrap();
            assert!(
                (aw - brute_auc(&s, &l, &w)).abs() < 1e-12,
                "weighted case {case}"
            );
        }
    }

    #[test]
    fn reg_auc_matches_brute_force() {
        let mut r = Rng::new(12, 0);
        for case in 0..200 {
            let n = 2 + r.below(50) as usize;
            // Negative values too, and zeros of both signs (equal, though their bits differ).
            let signed = |v: f64, r: &mut Rng| {
                if v == 0.0 && r.bernoulli(0.5) {
                    -0.0
                } else {
                    v
                }
            };
            let s: Vec<f64> = (0..n)
                .map(|_| {
                    let v = r.below(8) as f64 - 4.0;
                    signed(v, &mut r)
                })
                .collect();
            let mut t: Vec<f64> = (0..n)
                .map(|_| {
                    let v = r.below(5) as f64 / 4.0 - 0.5;
                    signed(v, &mut r)
                })
                .collect();
            t[0] = 0.0;
            t[1] = 1.0;
            let a = reg_auc(&s, &t).unwrap();
            assert!((a - brute_reg_auc(&s, &t)).abs() < 1e-12, "case {case}");
        }
        // With binary targets it is the ordinary AUC.
        let s = [0.1, 0.4, 0.35, 0.8];
        assert_eq!(reg_auc(&s, &[0.0, 0.0, 1.0, 1.0]).unwrap(), 0.75);
    }

    #[test]
    fn calibration_hand_values() {
        let c = calibration(&[0.2, 0.4], &[0.0, 1.0], None).unwrap();
        assert!((c - (0.3 / 0.5 - 1.0)).abs() < 1e-12);
        let cw = calibration(&[0.2, 0.4], &[0.0, 1.0], Some(&[3.0, 1.0])).unwrap();
        assert!((cw - (1.0 / 1.0 - 1.0)).abs() < 1e-12);
        assert!(matches!(
            calibration(&[0.2], &[0.0], None),
            Err(CoreError::MissingClass { .. })
        ));
    }

    #[test]
    fn log_loss_hand_value() {
        let l = log_loss(&[0.5, 0.9], &[1.0, 0.0], None).unwrap();
        let expect = -(0.5f64.ln() + 0.1f64.ln()) / 2.0;
        assert!((l - expect).abs() < 1e-9);
    }

    #[test]
    fn uauc_matches_per_user_brute_force() {
        let mut r = Rng::new(13, 0);
        let n = 400;
        let users: Vec<u32> = (0..n).map(|_| r.below(25) as u32).collect();
        let s: Vec<f64> = (0..n).map(|_| r.below(10) as f64).collect();
        let l: Vec<bool> = (0..n).map(|_| r.bernoulli(0.3)).collect();
        let got = uauc(&users, &s, &l).unwrap();
        let (mut sum, mut counted, mut skipped) = (0.0, 0, 0);
        for u in 0..25u32 {
            let ix: Vec<usize> = (0..n).filter(|&i| users[i] == u).collect();
            if ix.is_empty() {
                continue;
            }
            let su: Vec<f64> = ix.iter().map(|&i| s[i]).collect();
            let lu: Vec<bool> = ix.iter().map(|&i| l[i]).collect();
            if lu.iter().all(|&b| b) || lu.iter().all(|&b| !b) {
                skipped += 1;
                continue;
            }
            sum += brute_auc(&su, &lu, &vec![1.0; su.len()]);
            counted += 1;
        }
        assert_eq!(got.users_counted, counted);
        assert_eq!(got.users_skipped, skipped);
        assert!((got.uauc - sum / counted as f64).abs() < 1e-12);
    }

    #[test]
    fn rates_hand_values() {
        let a = [true, false, false, true];
        assert_eq!(survey_rate(&a).unwrap(), 0.5);
        // Eq. 13: submits with propensity 0.1 count ten times those with 1.0.
        let d = debiased_rate(&a, &[0.1, 1.0, 1.0, 1.0], 0.01).unwrap();
        assert!((d - 11.0 / 13.0).abs() < 1e-12);
        // The floor bounds the weight.
        let d = debiased_rate(&a, &[0.001, 1.0, 1.0, 1.0], 0.1).unwrap();
        assert!((d - 11.0 / 13.0).abs() < 1e-12);
        assert_eq!(
            mean_rate(&[0.2f32, 0.4]).unwrap(),
            (0.2f32 as f64 + 0.4f32 as f64) / 2.0
        );
    }

    #[test]
    fn bands_split_by_submit_score() {
        let submit = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
        let preds = [0.9, 0.1, 0.2, 0.8, 0.5, 0.5, 0.1, 0.9];
        let labels = [true, false, false, true, true, false, false, true];
        let b = by_submit_band(&submit, &preds, &labels, None, &[0.0, 0.5, 1.0]).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].n, b[1].n), (4, 4));
        assert_eq!(b[0].auc, Some(1.0));
        assert_eq!(b[1].auc, Some(0.875));
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        assert!(matches!(auc::<f64>(&[], &[]), Err(CoreError::Empty { .. })));
        assert!(matches!(
            auc(&[0.1, 0.2], &[true]),
            Err(CoreError::LengthMismatch { .. })
        ));
        let e = auc(&[0.1, f64::NAN], &[true, false]).unwrap_err();
        assert!(e.to_string().contains("index 1"), "{e}");
        assert!(matches!(
            auc(&[0.1, 0.2], &[true, true]),
            Err(CoreError::MissingClass {
                class: "negative",
                ..
            })
        ));
        assert!(matches!(
            auc(&[0.1, 0.2], &[false, false]),
            Err(CoreError::MissingClass {
                class: "positive",
                ..
            })
        ));
        assert!(weighted_auc(&[0.1, 0.2], &[true, false], Some(&[1.0, -1.0])).is_err());
        assert!(debiased_rate(&[true], &[0.5], 0.0).is_err());
        assert!(debiased_rate(&[true], &[0.5], 1.5).is_err());
        assert!(debiased_rate(&[true], &[f64::INFINITY], 0.5).is_err());
        assert!(reg_auc(&[0.1, 0.2], &[1.0, 1.0]).is_err());
        assert!(uauc(&[1, 1], &[0.1, 0.2], &[true, true]).is_err());
    }
}
