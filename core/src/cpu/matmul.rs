//! A checked, safe face for the `gemm` crate's matrix product: the kernel burn's `flex` device
//! runs (AVX-512 where the CPU has it, chosen at run time), called here without a tensor around
//! it. The one `unsafe` block of the workspace lives here, behind bounds checks.

/// A matrix to read: element `(i, j)` at `data[i * rs + j * cs]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major `rows x cols` matrix at the start of `data`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Mat::strided(data, rows, cols, cols)
    }

    /// A row-major matrix whose rows start `rs` floats apart (the first `cols` columns of a
    /// wider one).
    pub fn strided(data: &'a [f32], rows: usize, cols: usize, rs: usize) -> Self {
        Mat {
            data,
            rows,
            cols,
            rs,
            cs: 1,
        }
    }

    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Mat {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `i`, where its elements are contiguous.
    pub fn row(&self, i: usize) -> Option<&'a [f32]> {
        (self.cs == 1).then(|| &self.data[i * self.rs..i * self.rs + self.cols])
    }

    /// Element `(i, j)`.
    pub fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }

    /// Whether every element lies inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// `dst = a b`, or `dst += a b` with `accumulate`; `dst` is row-major `[a.rows, b.cols]`, its
/// rows `dst_rs` floats apart. Single-threaded: callers split the work across cores.
///
/// # Panics
/// When the shapes disagree or a view reaches past its slice.
pub(crate) fn matmul(dst: &mut [f32], dst_rs: usize, a: Mat<'_>, b: Mat<'_>, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "matmul: inner sizes {k} and {}", b.rows);
    assert!(a.fits() && b.fits(), "matmul: a view reaches past its data");
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        dst_rs >= n && (m - 1) * dst_rs + n <= dst.len(),
        "matmul: the destination is too small"
    );
    if k == 0 {
        if !accumulate {
            dst.chunks_mut(dst_rs)
                .take(m)
                .for_each(|r| r[..n].fill(0.0));
        }
        return;
    }
    let s = |v: usize| v as isize;
    // SAFETY: every element gemm reads (`a` and `b`, `m x k` and `k x n` at their strides) and
    // writes (`m x n` rows `dst_rs` apart, distinct since `dst_rs >= n`) lies inside its slice,
    // as checked above; `dst` is borrowed mutably, so it overlaps neither input.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            s(dst_rs),
            accumulate,
            a.data.as_ptr(),
            s(a.cs),
            s(a.rs),
            b.data.as_ptr(),
            s(b.cs),
            s(b.rs),
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The product by its definition, in `f64`.
    fn naive(a: Mat<'_>, b: Mat<'_>) -> Vec<f64> {
        let mut out = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                out[i * b.cols + j] = (0..a.cols)
                    .map(|l| a.at(i, l) as f64 * b.at(l, j) as f64)
                    .sum();
            }
        }
        out
    }

    #[test]
    fn products_match_the_definition_for_every_orientation() {
        let mut r = crate::rng::Rng::new(5, 0);
        for (m, k, n) in [(1, 1, 1), (7, 3, 5), (33, 17, 65), (128, 96, 8)] {
            let v = |len: usize, r: &mut crate::rng::Rng| -> Vec<f32> {
                (0..len).map(|_| r.normal() as f32).collect()
            };
            let (a, b, at, bt) = (
                v(m * k, &mut r),
                v(k * n, &mut r),
                v(k * m, &mut r),
                v(n * k, &mut r),
            );
            let cases = [
                (Mat::new(&a, m, k), Mat::new(&b, k, n)),
                (Mat::new(&at, k, m).t(), Mat::new(&b, k, n)),
                (Mat::new(&a, m, k), Mat::new(&bt, n, k).t()),
            ];
            for (x, y) in cases {
                let want = naive(x, y);
                // Into a wider destination, then accumulated on top of itself.
                let rs = n + 3;
                let mut dst = vec![7.0f32; (m - 1) * rs + n];
                matmul(&mut dst, rs, x, y, false);
                for i in 0..m {
                    for j in 0..n {
                        let (got, w) = (dst[i * rs + j] as f64, want[i * n + j]);
                        assert!(
                            (got - w).abs() < 1e-4 * (1.0 + w.abs()),
                            "{m}x{k}x{n}: {got} vs {w}"
                        );
                    }
                    if i + 1 < m {
                        assert_eq!(
                            dst[i * rs + n..(i + 1) * rs],
                            [7.0; 3],
                            "the gap was written"
                        );
                    }
                }
                matmul(&mut dst, rs, x, y, true);
                let (got, w) = (dst[0] as f64, 2.0 * want[0]);
                assert!(
                    (got - w).abs() < 1e-4 * (1.0 + w.abs()),
                    "accumulated {got} vs {w}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "destination is too small")]
    fn a_short_destination_is_refused() {
        let a = vec![1.0f32; 6];
        let mut dst = vec![0.0f32; 3];
        matmul(&mut dst, 2, Mat::new(&a, 2, 3), Mat::new(&a, 3, 2), false);
    }
}
