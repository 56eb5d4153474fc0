//! Throttling, sans-IO: time is passed in, nothing sleeps.
//!
//! [`FailureLimiter`]: each key (an account, an address) may fail `max_failures` times within
//! `window`; after that it is locked until the oldest failure leaves the window. A success
//! clears the key. [`RequestLimiter`]: a token bucket per key (API requests per user).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::Duration;

/// Milliseconds since the Unix epoch (the clock is always passed in).
pub type Millis = u64;

#[derive(Debug)]
pub struct FailureLimiter<K> {
    max_failures: usize,
    window_ms: Millis,
    failures: HashMap<K, VecDeque<Millis>>,
}

impl<K: Eq + Hash + Clone> FailureLimiter<K> {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window_ms: window.as_millis() as Millis,
            failures: HashMap::new(),
        }
    }

    fn prune(&mut self, key: &K, now: Millis) {
        if let Some(times) = self.failures.get_mut(key) {
            while times
                .front()
                .is_some_and(|&t| now.saturating_sub(t) >= self.window_ms)
            {
                times.pop_front();
            }
            if times.is_empty() {
                self.failures.remove(key);
            }
        }
    }

    /// `Some(retry_after)` if the key is locked at `now`.
    pub fn locked_for(&mut self, key: &K, now: Millis) -> Option<Duration> {
        self.prune(key, now);
        let times = self.failures.get(key)?;
        if times.len() < self.max_failures {
            return None;
        }
        let oldest = *times.front()?;
        let until = oldest + self.window_ms;
        Some(Duration::from_millis(until.saturating_sub(now).max(1000)))
    }

    pub fn record_failure(&mut self, key: &K, now: Millis) {
        self.prune(key, now);
        self.failures.entry(key.clone()).or_default().push_back(now);
        // Bound memory under attack: keep only what can still lock the key.
        if let Some(times) = self.failures.get_mut(key) {
            while times.len() > self.max_failures {
                times.pop_front();
            }
        }
    }

    pub fn record_success(&mut self, key: &K) {
        self.failures.remove(key);
    }

    /// Drops every expired entry (call now and then so idle keys do not accumulate).
    pub fn sweep(&mut self, now: Millis) {
        let window = self.window_ms;
        self.failures.retain(|_, times| {
            times
                .back()
                .is_some_and(|&t| now.saturating_sub(t) < window)
        });
    }

    pub fn tracked_keys(&self) -> usize {
        self.failures.len()
    }
}

/// A token bucket per key: `burst` requests at once, refilled at `per_second`. Keys idle long
/// enough to be full again are forgotten, so memory follows the active keys only.
#[derive(Debug)]
pub struct RequestLimiter<K> {
    burst: f64,
    per_ms: f64,
    buckets: HashMap<K, (f64, Millis)>,
}

impl<K: Eq + Hash + Clone> RequestLimiter<K> {
    pub fn new(burst: u32, per_second: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_ms: f64::from(per_second.max(1)) / 1000.0,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token for `key` at `now`: `Ok`, or how long until one is there.
    pub fn take(&mut self, key: &K, now: Millis) -> Result<(), Duration> {
        if self.buckets.len() > 10_000 {
            let (burst, per_ms) = (self.burst, self.per_ms);
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_sub(*at) as f64 * per_ms < burst
            });
        }
        let (tokens, at) = self.buckets.entry(key.clone()).or_insert((self.burst, now));
        *tokens = (*tokens + now.saturating_sub(*at) as f64 * self.per_ms).min(self.burst);
        *at = now.max(*at);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait_ms = ((1.0 - *tokens) / self.per_ms).ceil() as u64;
            Err(Duration::from_millis(wait_ms.max(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = 60_000;

    #[test]
    fn locks_after_max_failures_and_unlocks_when_the_window_passes() {
        let mut limiter = FailureLimiter::new(3, Duration::from_secs(15 * 60));
        let key = "agent@example.com".to_string();
        for i in 0..3 {
            assert_eq!(limiter.locked_for(&key, i * MIN), None);
            limiter.record_failure(&key, i * MIN);
        }
        let retry = limiter.locked_for(&key, 3 * MIN).expect("locked");
        assert_eq!(retry, Duration::from_millis(12 * MIN));
        assert!(
            limiter.locked_for(&key, 15 * MIN).is_none(),
            "oldest failure has left the window"
        );
    }

    #[test]
    fn success_clears_and_keys_are_independent() {
        let mut limiter = FailureLimiter::new(2, Duration::from_secs(60));
        let (a, b) = ("a".to_string(), "b".to_string());
        limiter.record_failure(&a, 0);
        limiter.record_failure(&a, 1);
        assert!(limiter.locked_for(&a, 2).is_some());
        assert!(limiter.locked_for(&b, 2).is_none());
        limiter.record_success(&a);
        assert!(limiter.locked_for(&a, 3).is_none());
    }

    #[test]
    fn sweep_forgets_idle_keys() {
        let mut limiter = FailureLimiter::new(5, Duration::from_secs(60));
        for i in 0..100u64 {
            limiter.record_failure(&i, 0);
        }
        assert_eq!(limiter.tracked_keys(), 100);
        limiter.sweep(61_000);
        assert_eq!(limiter.tracked_keys(), 0);
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let mut limiter = RequestLimiter::new(3, 2);
        for _ in 0..3 {
            assert_eq!(limiter.take(&"a", 1_000), Ok(()));
        }
        assert_eq!(limiter.take(&"a", 1_000), Err(Duration::from_millis(500)));
        assert_eq!(limiter.take(&"b", 1_000), Ok(()), "keys are apart");
        assert_eq!(limiter.take(&"a", 1_500), Ok(()), "one token per 500 ms");
        assert!(limiter.take(&"a", 1_500).is_err());
        // A long pause refills up to the burst, no more.
        for _ in 0..3 {
            assert_eq!(limiter.take(&"a", 60_000), Ok(()));
        }
        assert!(limiter.take(&"a", 60_000).is_err());
    }
}
