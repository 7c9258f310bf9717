//! The disclosure threshold: which counts are small, and why a threshold
//! is refused.

/// The threshold used when none is configured: counts of 1 to 4 are hidden.
const DEFAULT_THRESHOLD: u64 = 5;

/// Disclosure-control settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Counts from 1 to `threshold - 1` are small: they are shown as "fewer
    /// than `threshold`". Must be at least 2 (see [`Policy::new`]).
    pub threshold: u64,
}

impl Default for Policy {
    /// The usual rule: counts of 1 to 4 are shown as "fewer than 5".
    fn default() -> Self {
        Policy {
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

impl Policy {
    /// A policy hiding counts from 1 to `threshold - 1`. A threshold below 2
    /// would hide nothing and is rejected.
    pub fn new(threshold: u64) -> Result<Policy, PolicyError> {
        if threshold < 2 {
            Err(PolicyError { threshold })
        } else {
            Ok(Policy { threshold })
        }
    }

    /// Whether `value` is a small count (1 to `threshold - 1`) that must not
    /// be released. Zero is not small.
    pub fn is_small(&self, value: u64) -> bool {
        value >= 1 && value < self.threshold
    }
}

/// A disclosure threshold that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "disclosure threshold {threshold} is too low: small counts are those from 1 \
     to threshold - 1, so a threshold below 2 would hide nothing; set it to 2 or \
     more (5, hiding 1 to 4, is the usual rule)"
)]
pub struct PolicyError {
    /// The threshold that was rejected.
    pub threshold: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_threshold_is_five_and_hides_one_to_four() {
        let p = Policy::default();
        assert_eq!(p.threshold, 5);
        assert!(!p.is_small(0));
        assert!((1..5).all(|v| p.is_small(v)));
        assert!(!p.is_small(5));
    }

    #[test]
    fn a_threshold_below_two_is_rejected_with_advice() {
        assert_eq!(Policy::new(1), Err(PolicyError { threshold: 1 }));
        assert!(Policy::new(0).is_err());
        let message = PolicyError { threshold: 1 }.to_string();
        assert!(message.contains("at least 2") || message.contains("2 or more"));
        assert!(message.contains("5"));
        assert_eq!(Policy::new(2).map(|p| p.threshold), Ok(2));
    }
}
