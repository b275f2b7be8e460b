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

/// One-sided 95% t quantile (the two-sided 90% one: TOST's).
pub fn t95(df: usize) -> f64 {
    const T: [f64; 30] = [
        6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771,
        1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706,
        1.703, 1.701, 1.699, 1.697,
    ];
    t_quantile(&T, 1.645, df)
}

/// An estimate with its standard error and the degrees of freedom its intervals take (`None`:
/// the normal's, for an error over many users).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The estimate.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// Degrees of freedom of its t quantiles; `None` for the normal's.
    pub df: Option<usize>,
}

impl Interval {
    /// The two-sided 95% interval.
    pub fn ci95(&self) -> [f64; 2] {
        let q = self.df.map_or(1.96, t975);
        [self.mean - q * self.se, self.mean + q * self.se]
    }

    /// The two-sided 90% interval: each end a one-sided 95% bound (TOST's).
    pub fn ci90(&self) -> [f64; 2] {
        let q = self.df.map_or(1.645, t95);
        [self.mean - q * self.se, self.mean + q * self.se]
    }

    /// The t interval of per-replicate values: their mean, `sd / sqrt(k)`, `k - 1` degrees of
    /// freedom. `None` below two values.
    pub fn of_values(values: &[Option<f64>]) -> Option<Interval> {
        let (n, mean, sd) = summary(values);
        Some(Interval {
            mean: mean?,
            se: sd? / (n as f64).sqrt(),
            df: Some(n - 1),
        })
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

    #[test]
    fn interval_hand_values() {
        // 0.1, 0.2, 0.3: mean 0.2, se 0.1 / sqrt(3) on 2 df; 95%: t 4.303, 90%: t 2.920.
        let t = Interval::of_values(&[Some(0.1), Some(0.2), Some(0.3), None]).unwrap();
        assert!((t.mean - 0.2).abs() < 1e-12 && t.df == Some(2));
        assert!((t.se - 0.1 / 3f64.sqrt()).abs() < 1e-12);
        let [lo, hi] = t.ci95();
        assert!((hi - lo - 2.0 * 4.303 * t.se).abs() < 1e-12);
        let [lo, hi] = t.ci90();
        assert!((hi - lo - 2.0 * 2.920 * t.se).abs() < 1e-12);
        // Over many users, the normal's quantiles.
        let z = Interval {
            mean: 1.0,
            se: 0.5,
            df: None,
        };
        assert_eq!(z.ci95(), [1.0 - 0.98, 1.0 + 0.98]);
        assert_eq!(z.ci90(), [1.0 - 0.8225, 1.0 + 0.8225]);
        assert_eq!(Interval::of_values(&[Some(1.0), None]), None);
        assert_eq!((t95(1), t95(30), t95(31)), (6.314, 1.697, 1.645));
    }

    /// Coverage of the nominal 95% interval over 2,000 draws of `k` replicates from a random-effects
    /// model (true mean 0, spread between replicates `tau`, users' error `se`), by `interval`.
    fn coverage(k: usize, tau: f64, se: f64, interval: impl Fn(&[(f64, f64)]) -> [f64; 2]) -> f64 {
        let mut rng = usm_core::rng::Rng::new(7, 39);
        let draws = 2000;
        let covered = (0..draws)
            .filter(|_| {
                let est: Vec<(f64, f64)> = (0..k)
                    .map(|_| (tau * rng.normal() + se * rng.normal(), se))
                    .collect();
                let [lo, hi] = interval(&est);
                lo <= 0.0 && 0.0 <= hi
            })
            .count();
        covered as f64 / draws as f64
    }

    #[test]
    fn the_replicates_t_interval_covers_at_three_replicates() {
        let t = |e: &[(f64, f64)]| {
            let v: Vec<Option<f64>> = e.iter().map(|x| Some(x.0)).collect();
            Interval::of_values(&v).unwrap().ci95()
        };
        // The default run's ranking gap (users' error 0.0004, replicates' spread 0.0037), one
        // where both are alike, and one with no spread between replicates at all.
        for (tau, se) in [(0.0037, 0.0004), (0.01, 0.01), (0.0, 0.01)] {
            let c = coverage(3, tau, se, t);
            assert!((0.93..=0.97).contains(&c), "tau {tau}, se {se}: {c}");
        }
        // DerSimonian–Laird with a normal quantile, as the claims pooled before: about 81%.
        let c = coverage(3, 0.0037, 0.0004, dersimonian_laird_z);
        assert!(c < 0.88, "DerSimonian–Laird with z covers {c}");
        // Hartung–Knapp with its max(1, q) floor over-covers where the users' error dominates:
        // a wider interval than needed, the reason it is not the one used.
        let c = coverage(3, 0.0, 0.01, hartung_knapp_floored);
        assert!(c > 0.99, "Hartung–Knapp, floored, covers {c}");
    }

    /// DerSimonian–Laird random effects with a normal quantile: inverse-variance weights, widened
    /// by the spread between replicates beyond what their errors explain.
    fn dersimonian_laird_z(est: &[(f64, f64)]) -> [f64; 2] {
        let (mu, sws) = dersimonian_laird(est);
        let se = (1.0 / sws).sqrt();
        [mu - 1.96 * se, mu + 1.96 * se]
    }

    /// Hartung–Knapp–Sidik–Jonkman with the max(1, q) floor and a t quantile on k − 1 df.
    fn hartung_knapp_floored(est: &[(f64, f64)]) -> [f64; 2] {
        let (mu, sws) = dersimonian_laird(est);
        let tau2 = tau2(est);
        let q = est
            .iter()
            .map(|(y, s)| (y - mu).powi(2) / (s * s + tau2))
            .sum::<f64>()
            / (est.len() as f64 - 1.0);
        let se = (q.max(1.0) / sws).sqrt();
        let t = t975(est.len() - 1);
        [mu - t * se, mu + t * se]
    }

    fn tau2(est: &[(f64, f64)]) -> f64 {
        let w: Vec<f64> = est.iter().map(|(_, s)| 1.0 / (s * s)).collect();
        let sw: f64 = w.iter().sum();
        let fixed = est.iter().zip(&w).map(|((y, _), w)| w * y).sum::<f64>() / sw;
        let q: f64 = est
            .iter()
            .zip(&w)
            .map(|((y, _), w)| w * (y - fixed).powi(2))
            .sum();
        let c = sw - w.iter().map(|w| w * w).sum::<f64>() / sw;
        ((q - (est.len() as f64 - 1.0)) / c).max(0.0)
    }

    /// The random-effects mean and the sum of its weights.
    fn dersimonian_laird(est: &[(f64, f64)]) -> (f64, f64) {
        let tau2 = tau2(est);
        let ws: Vec<f64> = est.iter().map(|(_, s)| 1.0 / (s * s + tau2)).collect();
        let sws: f64 = ws.iter().sum();
        (
            est.iter().zip(&ws).map(|((y, _), w)| w * y).sum::<f64>() / sws,
            sws,
        )
    }
}
