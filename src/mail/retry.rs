//! When to try a failed message again: exponential backoff with jitter.
use std::time::Duration;

use rand::Rng;

/// How failed messages are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each further one.
    pub base: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Attempts in all before a message is parked as failed.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The wait before attempt `failed + 1` after `failed` failed attempts, or `None`
    /// when the message is to be parked. The wait is drawn from the upper half of the
    /// exponential delay ("equal jitter"), so that messages that failed together (a mail
    /// server outage) do not all come back at the same instant.
    pub fn next_delay(&self, failed: u32, rng: &mut impl Rng) -> Option<Duration> {
        if failed >= self.max_attempts {
            return None;
        }
        let exponent = failed.saturating_sub(1).min(31);
        let delay = self.base.saturating_mul(1 << exponent).min(self.max);
        let half = delay / 2;
        let jitter = rng.random_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
        Some(half + Duration::from_millis(jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        base: Duration::from_secs(30),
        max: Duration::from_secs(3600),
        max_attempts: 5,
    };

    #[test]
    fn delays_double_within_their_jitter_and_stop_at_the_cap() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let first = POLICY.next_delay(1, &mut rng).unwrap();
            assert!((Duration::from_secs(15)..=Duration::from_secs(30)).contains(&first));
            let third = POLICY.next_delay(3, &mut rng).unwrap();
            assert!((Duration::from_secs(60)..=Duration::from_secs(120)).contains(&third));
        }
        let long = RetryPolicy {
            max_attempts: 40,
            ..POLICY
        };
        let capped = long.next_delay(30, &mut rng).unwrap();
        assert!(capped <= Duration::from_secs(3600) && capped >= Duration::from_secs(1800));
    }

    #[test]
    fn jitter_spreads_messages_that_failed_together() {
        let mut rng = rand::rng();
        let delays: std::collections::HashSet<Duration> = (0..50)
            .filter_map(|_| POLICY.next_delay(2, &mut rng))
            .collect();
        assert!(delays.len() > 10);
    }

    #[test]
    fn the_last_attempt_parks_the_message() {
        let mut rng = rand::rng();
        assert!(POLICY.next_delay(4, &mut rng).is_some());
        assert_eq!(POLICY.next_delay(5, &mut rng), None);
    }
}
