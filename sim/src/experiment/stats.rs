//! The statistics the experiment's aggregation and claims share: t quantiles, means with
//! t-intervals, random-effects pooling, and the small helpers every stage's metrics use.

/// A metric's value where it is defined and finite.
pub fn defined(x: usm_core::error::Result<f64>) -> Option<f64> {
    x.ok().filter(|v| v.is_finite())
}

/// A t quantile from its table for 1 to 30 degrees of freedom, the normal's beyond; NaN at 0.
fn t_quantile(table: &[f64; 30], normal: f64, df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => table[df - 1],
        _ => normal,
    }
}

/// The 80% t quantile (for 80% power).
pub fn t80(df: usize) -> f64 {
    const T: [f64; 30] = [
        1.376, 1.061, 0.978, 0.941, 0.920, 0.906, 0.896, 0.889, 0.883, 0.879, 0.876, 0.873, 0.870,
        0.868, 0.866, 0.865, 0.863, 0.862, 0.861, 0.860, 0.859, 0.858, 0.858, 0.857, 0.856, 0.856,
        0.855, 0.855, 0.854, 0.854,
    ];
    t_quantile(&T, 0.842, df)
}

/// Two-sided 95% t quantile.
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    t_quantile(&T, 1.96, df)
}

/// Pools independent estimates with 95% intervals (one A/B test per replicate) by
/// DerSimonian–Laird random effects: inverse-variance weights, widened by the spread between
/// replicates beyond what their own intervals explain. One estimate passes through unchanged.
pub fn pool_random_effects(est: &[(f64, [f64; 2])]) -> Option<(f64, [f64; 2])> {
    let ok: Vec<(f64, f64)> = est
        .iter()
        .filter(|(y, ci)| y.is_finite() && ci[0].is_finite() && ci[1].is_finite())
        .map(|(y, ci)| (*y, ((ci[1] - ci[0]) / (2.0 * 1.96)).max(1e-12).powi(2)))
        .collect();
    match ok.len() {
        0 => None,
        1 => est.iter().find(|(y, _)| y.is_finite()).copied(),
        k => {
            let w: Vec<f64> = ok.iter().map(|(_, v)| 1.0 / v).collect();
            let sw: f64 = w.iter().sum();
            let fixed = ok.iter().zip(&w).map(|((y, _), w)| w * y).sum::<f64>() / sw;
            let q: f64 = ok
                .iter()
                .zip(&w)
                .map(|((y, _), w)| w * (y - fixed).powi(2))
                .sum();
            let c = sw - w.iter().map(|w| w * w).sum::<f64>() / sw;
            let tau2 = ((q - (k as f64 - 1.0)) / c).max(0.0);
            let ws: Vec<f64> = ok.iter().map(|(_, v)| 1.0 / (v + tau2)).collect();
            let sws: f64 = ws.iter().sum();
            let mu = ok.iter().zip(&ws).map(|((y, _), w)| w * y).sum::<f64>() / sws;
            let se = (1.0 / sws).sqrt();
            Some((mu, [mu - 1.96 * se, mu + 1.96 * se]))
        }
    }
}

/// Count, mean and sample standard deviation (two or more values) of the defined, finite values.
pub fn summary(values: &[Option<f64>]) -> (usize, Option<f64>, Option<f64>) {
    let v: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let n = v.len();
    if n == 0 {
        return (0, None, None);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = (n >= 2)
        .then(|| (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt());
    (n, Some(mean), sd)
}

/// Mean and 95% t-interval of the defined values.
pub fn mean_ci(values: &[Option<f64>]) -> (Option<f64>, Option<[f64; 2]>) {
    let (n, mean, sd) = summary(values);
    let ci = mean.zip(sd).map(|(m, sd)| {
        let half = t975(n - 1) * sd / (n as f64).sqrt();
        [m - half, m + half]
    });
    (mean, ci)
}

/// Pearson's correlation of two equally long series; `None` below two values or without spread.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    if a.len() < 2 || a.len() != b.len() {
        return None;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    let r = sab / (saa * sbb).sqrt();
    r.is_finite().then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_effects_pooling() {
        // Two agreeing estimates with equal intervals: the mean, and an interval sqrt(2) tighter.
        let (m, ci) = pool_random_effects(&[(0.1, [0.0, 0.2]), (0.1, [0.0, 0.2])]).unwrap();
        assert!((m - 0.1).abs() < 1e-12);
        assert!(((ci[1] - ci[0]) - 0.2 / 2f64.sqrt()).abs() < 1e-9);
        // Disagreeing estimates widen the interval beyond either one's.
        let (m, ci) = pool_random_effects(&[(-0.5, [-0.52, -0.48]), (0.5, [0.48, 0.52])]).unwrap();
        assert!(m.abs() < 1e-9 && ci[0] < -0.5 && ci[1] > 0.5);
        assert_eq!(
            pool_random_effects(&[(0.3, [0.1, 0.5])]),
            Some((0.3, [0.1, 0.5]))
        );
    }

    #[test]
    fn t_interval_hand_value() {
        let (m, ci) = mean_ci(&[Some(1.0), Some(3.0), None]);
        assert_eq!(m, Some(2.0));
        let ci = ci.unwrap();
        // sd = sqrt(2), t(1) = 12.706, half = 12.706 * sqrt(2) / sqrt(2)
        assert!((ci[1] - 2.0 - 12.706).abs() < 1e-9);
        assert_eq!(mean_ci(&[None]), (None, None));
    }

    #[test]
    fn pearson_hand_values() {
        // x = 1, 2, 3; y = 2, 4, 7: means 2 and 13/3; sxy = 5, sxx = 2, syy = 38/3.
        let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]).unwrap();
        assert!(
            (r - 5.0 / (2.0f64 * 38.0 / 3.0).sqrt()).abs() < 1e-12,
            "{r}"
        );
        assert_eq!(pearson(&[1.0, 2.0], &[3.0, 1.0]), Some(-1.0));
        // No spread, one value, or unequal lengths: undefined.
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
        assert_eq!(pearson(&[1.0, 2.0], &[1.0, 2.0, 3.0]), None);
    }
}
