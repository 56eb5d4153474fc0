//! Server-side guards before any call is placed (toll-fraud and runaway protection), sans-IO:
//! the time is passed in. The number policy is the first guard (`numbers`); these are the rest.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::rate_limit::{FailureLimiter, Millis};

/// Why a call attempt is refused before it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardRefusal {
    /// The user already has a call up (one active call per user).
    CallInProgress,
    /// Too many attempts in the last minute or hour.
    TooManyAttempts { retry_after_secs: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardLimits {
    pub attempts_per_minute: usize,
    pub attempts_per_hour: usize,
}

impl Default for GuardLimits {
    fn default() -> Self {
        GuardLimits {
            attempts_per_minute: 5,
            attempts_per_hour: 60,
        }
    }
}

/// Call attempts per user over two sliding windows, and each user's active call.
#[derive(Debug)]
pub struct CallGuard {
    per_minute: FailureLimiter<String>,
    per_hour: FailureLimiter<String>,
    active: HashMap<String, String>,
}

impl CallGuard {
    pub fn new(limits: GuardLimits) -> Self {
        CallGuard {
            per_minute: FailureLimiter::new(limits.attempts_per_minute, Duration::from_secs(60)),
            per_hour: FailureLimiter::new(limits.attempts_per_hour, Duration::from_secs(3600)),
            active: HashMap::new(),
        }
    }

    /// Counts an attempt by `user` at `now` if it is allowed; refuses it (without counting)
    /// otherwise.
    pub fn admit(&mut self, user: &str, now: Millis) -> Result<(), GuardRefusal> {
        let key = user.to_string();
        if self.active.contains_key(user) {
            return Err(GuardRefusal::CallInProgress);
        }
        let wait = [
            self.per_minute.locked_for(&key, now),
            self.per_hour.locked_for(&key, now),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(wait) = wait {
            return Err(GuardRefusal::TooManyAttempts {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        self.per_minute.record_failure(&key, now);
        self.per_hour.record_failure(&key, now);
        Ok(())
    }

    /// Marks `call_id` as the user's active call (after `admit`).
    pub fn call_started(&mut self, user: &str, call_id: &str) {
        self.active.insert(user.to_string(), call_id.to_string());
    }

    /// Frees the user's slot if `call_id` is their active call.
    pub fn call_ended(&mut self, user: &str, call_id: &str) {
        if self.active.get(user).is_some_and(|id| id == call_id) {
            self.active.remove(user);
        }
    }

    pub fn active_call(&self, user: &str) -> Option<&str> {
        self.active.get(user).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Millis = 1000;

    #[test]
    fn attempts_are_limited_per_minute_and_per_hour() {
        let mut guard = CallGuard::new(GuardLimits {
            attempts_per_minute: 3,
            attempts_per_hour: 5,
        });
        for i in 0..3 {
            assert_eq!(guard.admit("ana", i * S), Ok(()));
        }
        assert_eq!(
            guard.admit("ana", 3 * S),
            Err(GuardRefusal::TooManyAttempts {
                retry_after_secs: 57
            })
        );
        assert_eq!(guard.admit("bob", 3 * S), Ok(()), "users are independent");
        // A minute later two more fit in the hour, then the hourly limit holds.
        assert_eq!(guard.admit("ana", 61 * S), Ok(()));
        assert_eq!(guard.admit("ana", 62 * S), Ok(()));
        let refused = guard.admit("ana", 130 * S);
        assert!(
            matches!(refused, Err(GuardRefusal::TooManyAttempts { retry_after_secs }) if retry_after_secs > 3000)
        );
        assert_eq!(
            guard.admit("ana", 3600 * S),
            Ok(()),
            "the oldest attempt left the hour"
        );
    }

    #[test]
    fn one_active_call_per_user() {
        let mut guard = CallGuard::new(GuardLimits::default());
        guard.admit("ana", 0).unwrap();
        guard.call_started("ana", "c1");
        assert_eq!(guard.admit("ana", S), Err(GuardRefusal::CallInProgress));
        guard.call_ended("ana", "other");
        assert_eq!(
            guard.active_call("ana"),
            Some("c1"),
            "only its own call frees the slot"
        );
        guard.call_ended("ana", "c1");
        assert_eq!(guard.admit("ana", 2 * S), Ok(()));
    }
}
