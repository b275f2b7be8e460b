//! Distributions on top of the portable generator, with `libm` so results match on every
//! platform.

use usm_core::rng::Rng;

/// Logistic function.
#[inline]
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

/// `e^x` in single precision from basic IEEE operations only (no FMA, no platform `exp`), so it
/// gives the same bits everywhere: `2^n` from the exponent field times a degree-7 polynomial
/// for `e^g`, `|g| <= ln 2 / 2`. Relative error below 1e-6 on [-80, 80]; saturates outside.
/// Without a branch and with a short dependency chain (rounding by the 1.5 * 2^23 trick, the
/// polynomial by Estrin's scheme), so several run side by side.
#[inline]
pub fn exp_f32(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75; // exactly representable, few mantissa bits
    const LN2_LO: f32 = 1.428_606_8e-6;
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds |t| < 2^22 to an integer
    let x = x.clamp(-80.0, 80.0);
    let t = x * std::f32::consts::LOG2_E;
    let n = (t + ROUND) - ROUND;
    // Cody–Waite reduction: g = x - n ln 2 in two steps, so large |x| keeps its precision.
    let g = (x - n * LN2_HI) - n * LN2_LO;
    // e^g, |g| <= 0.347, Taylor to degree 7: (1 + g + g²/2 + g³/6) + g⁴ (1/24 + … + g³/5040).
    let g2 = g * g;
    let g4 = g2 * g2;
    let lo = (1.0 + g) + g2 * (0.5 + g * (1.0 / 6.0));
    let hi = (1.0 / 24.0 + g * (1.0 / 120.0)) + g2 * (1.0 / 720.0 + g * (1.0 / 5040.0));
    let p = lo + g4 * hi;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

/// The standard normal's quantiles at the midpoints of `n` equal slices of probability,
/// `Φ⁻¹((i + ½) / n)`, each by bisection on `libm::erfc` (the same bits everywhere). A uniform
/// index into them is a normal draw rounded to `n` equally likely values (for `n = 4096`, within
/// ±3.67).
pub fn normal_quantiles(n: usize) -> Vec<f64> {
    let cdf = |z: f64| 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
    (0..n)
        .map(|i| {
            let p = (i as f64 + 0.5) / n as f64;
            let (mut lo, mut hi) = (-40.0f64, 40.0f64);
            // 64 halvings of [-40, 40]: within 5e-18, far finer than the f32 tables keep.
            for _ in 0..64 {
                let mid = 0.5 * (lo + hi);
                if cdf(mid) < p {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            0.5 * (lo + hi)
        })
        .collect()
}

/// [`normal_quantiles`]`(4096)`, computed once.
pub fn normal_4096() -> &'static [f64] {
    static Q: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    Q.get_or_init(|| normal_quantiles(4096))
}

/// Log-odds of a probability, clamped away from 0 and 1.
#[inline]
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    libm::log(p / (1.0 - p))
}

/// Poisson draw: inversion for small means, a rounded normal above 40.
pub fn poisson(rng: &mut Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 40.0 {
        let x = lambda + libm::sqrt(lambda) * rng.normal();
        return libm::round(x).max(0.0) as u32;
    }
    let mut k = 0u32;
    let mut p = libm::exp(-lambda);
    let mut cdf = p;
    let u = rng.uniform();
    while u > cdf && k < 1000 {
        k += 1;
        p *= lambda / k as f64;
        cdf += p;
    }
    k
}

/// Walker's alias table: O(1) draws from a fixed discrete distribution.
#[derive(Clone, Debug)]
pub struct Alias {
    prob: Vec<f64>,
    alias: Vec<u32>,
    cells: Vec<AliasCell>,
}

/// A column of the table for [`Alias::draw_bits`]: keep the column when the 16-bit coin is
/// below `keep_below` (`ceil(prob * 2^16)`, the same test as `coin / 2^16 < prob`), else take
/// `alias`. Packed so a draw reads one place.
#[derive(Clone, Copy, Debug)]
struct AliasCell {
    keep_below: u32,
    alias: u32,
}

impl Alias {
    /// Builds the table from non-negative weights (not all zero).
    pub fn new(weights: &[f64]) -> Alias {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut prob: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias = vec![0u32; n];
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| prob[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            prob[l] -= 1.0 - prob[s];
            if prob[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        for i in small.into_iter().chain(large) {
            prob[i] = 1.0;
        }
        let cells = prob
            .iter()
            .zip(&alias)
            .map(|(&p, &a)| AliasCell {
                keep_below: libm::ceil(p * 65_536.0).min(65_536.0) as u32,
                alias: a,
            })
            .collect();
        Alias { prob, alias, cells }
    }

    /// One draw.
    #[inline]
    pub fn draw(&self, rng: &mut Rng) -> u32 {
        let i = rng.below(self.prob.len() as u64) as usize;
        if rng.uniform() < self.prob[i] {
            i as u32
        } else {
            self.alias[i]
        }
    }

    /// One draw from 48 random bits: 32 pick the column (multiply-shift, bias below
    /// n / 2^32), 16 flip its coin (resolution 2^-16). One generator call per draw.
    #[inline]
    pub fn draw_bits(&self, bits: u64) -> u32 {
        let i = (((bits & 0xFFFF_FFFF) * self.cells.len() as u64) >> 32) as usize;
        let coin = ((bits >> 32) & 0xFFFF) as u32;
        let cell = self.cells[i];
        // A select, not a branch: the coin is unpredictable.
        std::hint::select_unpredictable(coin < cell.keep_below, i as u32, cell.alias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_matches_weights() {
        let w = [1.0, 2.0, 7.0, 0.0];
        let a = Alias::new(&w);
        let mut rng = Rng::new(1, 1);
        let mut c = [0usize; 4];
        for _ in 0..100_000 {
            c[a.draw(&mut rng) as usize] += 1;
        }
        assert_eq!(c[3], 0);
        assert!((c[2] as f64 / 100_000.0 - 0.7).abs() < 0.01, "{c:?}");
        assert!((c[0] as f64 / 100_000.0 - 0.1).abs() < 0.01, "{c:?}");
        let mut c = [0usize; 4];
        for _ in 0..100_000 {
            c[a.draw_bits(rng.next_u64()) as usize] += 1;
        }
        assert_eq!(c[3], 0);
        assert!((c[2] as f64 / 100_000.0 - 0.7).abs() < 0.01, "{c:?}");
        // The packed integer coin test is the float one.
        let b = Alias::new(&[0.3, 1.0, 2.2, 0.05, 0.45]);
        for _ in 0..10_000 {
            let bits = rng.next_u64();
            let i = (((bits & 0xFFFF_FFFF) * 5) >> 32) as usize;
            let coin = ((bits >> 32) & 0xFFFF) as f64 / 65_536.0;
            let want = if coin < b.prob[i] {
                i as u32
            } else {
                b.alias[i]
            };
            assert_eq!(b.draw_bits(bits), want);
        }
    }

    #[test]
    fn exp_f32_is_accurate() {
        let mut x = -80.0f64;
        while x <= 80.0 {
            let got = exp_f32(x as f32) as f64;
            let want = (x as f32 as f64).exp();
            assert!(((got - want) / want).abs() < 1e-6, "{x}: {got} vs {want}");
            x += 0.0137;
        }
    }

    #[test]
    fn normal_quantiles_are_the_normal() {
        let q = normal_quantiles(4096);
        assert!((q[2048] - 0.000306).abs() < 1e-5, "{}", q[2048]); // Φ⁻¹(2048.5 / 4096)
        assert!((q[4095] + q[0]).abs() < 1e-12 && (q[4095] - 3.668329).abs() < 1e-6);
        // Φ⁻¹(0.975) = 1.959964 at i + ½ = 0.975 n.
        let q = normal_quantiles(20);
        assert!((q[19] - 1.959964).abs() < 1e-6, "{}", q[19]);
        let n = 4096.0;
        let q = normal_quantiles(4096);
        let mean = q.iter().sum::<f64>() / n;
        let var = q.iter().map(|z| z * z).sum::<f64>() / n;
        assert!(
            mean.abs() < 1e-12 && (var - 1.0).abs() < 0.002,
            "{mean} {var}"
        );
    }

    #[test]
    fn poisson_mean() {
        let mut rng = Rng::new(2, 2);
        for lambda in [0.5, 3.0, 60.0] {
            let n = 50_000;
            let m = (0..n)
                .map(|_| poisson(&mut rng, lambda) as f64)
                .sum::<f64>()
                / n as f64;
            assert!((m - lambda).abs() < 0.05 * lambda.max(1.0), "{lambda}: {m}");
        }
    }
}
