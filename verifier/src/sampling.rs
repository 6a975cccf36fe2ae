//! The exact two-sided binomial test of a sampled fraction against a ratio.

/// The outcome of the sampling-ratio test.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SamplingTest {
    /// Requests whose sampling decision is known.
    pub requests: u64,
    /// How many of them were sampled.
    pub sampled: u64,
    /// `sampled / requests`.
    pub observed_ratio: f64,
    /// The ratio they were sampled with, when known.
    pub expected_ratio: Option<f64>,
    /// Two-sided p-value of the observed count under `Binomial(requests, expected_ratio)`.
    pub p_value: Option<f64>,
    /// Whether the count is consistent with the ratio (`p >= significance`); `true` without a ratio.
    pub passed: bool,
}

/// The significance level of the sampling test.
pub(crate) const SIGNIFICANCE: f64 = 0.001;

/// Runs the test for `sampled` of `requests` against `ratio` (when known).
pub(crate) fn sampling_test(requests: u64, sampled: u64, ratio: Option<f64>) -> SamplingTest {
    let observed_ratio = if requests == 0 {
        0.0
    } else {
        sampled as f64 / requests as f64
    };
    let p_value = ratio.map(|p| binomial_two_sided(requests, sampled, p));
    SamplingTest {
        requests,
        sampled,
        observed_ratio,
        expected_ratio: ratio,
        p_value,
        passed: p_value.is_none_or(|p| p >= SIGNIFICANCE),
    }
}

/// Exact two-sided binomial p-value: the probability, under `Binomial(n, p)`, of
/// every outcome no more likely than `k` (the "minlike" method R and SciPy use).
/// Works in log space relative to the mode, so it is exact and stable for
/// large `n` without a log-gamma function.
pub(crate) fn binomial_two_sided(n: u64, k: u64, p: f64) -> f64 {
    if n == 0 || k > n {
        return 1.0;
    }
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    // log pmf(i) - log pmf(i-1) = ln((n-i+1)/i) + ln(p/(1-p))
    let odds = (p / (1.0 - p)).ln();
    let mode = (((n + 1) as f64) * p).floor().min(n as f64) as u64;
    let mut log_rel = vec![0.0f64; (n + 1) as usize];
    for i in (mode + 1)..=n {
        log_rel[i as usize] =
            log_rel[(i - 1) as usize] + (((n - i + 1) as f64) / i as f64).ln() + odds;
    }
    for i in (0..mode).rev() {
        log_rel[i as usize] =
            log_rel[(i + 1) as usize] - (((n - i) as f64) / (i + 1) as f64).ln() - odds;
    }
    let total: f64 = log_rel.iter().map(|l| l.exp()).sum();
    let threshold = log_rel[k as usize] + 1e-7; // relative tolerance, as R uses
    let tail: f64 = log_rel
        .iter()
        .filter(|&&l| l <= threshold)
        .map(|l| l.exp())
        .sum();
    (tail / total).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_known_values() {
        // R: binom.test(7, 20, 0.5)$p.value = 0.2632
        assert!((binomial_two_sided(20, 7, 0.5) - 0.263_176).abs() < 1e-5);
        // R: binom.test(3, 100, 0.1)$p.value = 0.01784 (exact sum over the pmf)
        assert!((binomial_two_sided(100, 3, 0.1) - 0.017_844).abs() < 1e-5);
        assert!((binomial_two_sided(10, 5, 0.5) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn large_runs_are_fine_and_decisive() {
        assert!(binomial_two_sided(1_000_000, 100_200, 0.1) > 0.01);
        assert!(binomial_two_sided(1_000_000, 110_000, 0.1) < 1e-12);
        assert!(sampling_test(10_000, 1_000, Some(0.1)).passed);
        assert!(!sampling_test(10_000, 2_000, Some(0.1)).passed);
        assert!(sampling_test(10, 3, None).passed);
    }

    #[test]
    fn degenerate_ratios() {
        assert_eq!(binomial_two_sided(10, 0, 0.0), 1.0);
        assert_eq!(binomial_two_sided(10, 1, 0.0), 0.0);
        assert_eq!(binomial_two_sided(10, 10, 1.0), 1.0);
        assert_eq!(binomial_two_sided(10, 9, 1.0), 0.0);
    }
}
