//! Sign-in lock-out and sign-up throttling, sans-IO: time is passed in, nothing sleeps.
//!
//! [`Backoff`]: a key (an account, a device) may fail `free` times in a row; each failure after
//! that locks it for `base · 2ⁿ`, at most `max`. So an attacker who knows an agent's email can
//! slow that account down but never lock it for longer than `max` per attempt — and the agent's
//! own browser, which has signed in to it before (a device cookie), is not held by the
//! account's lock at all, only by its own ([`SignInGuard`]).
//!
//! [`SignUpGuard`]: sign-ups and confirmations per client address and in total, each a count
//! in a sliding window.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use super::rate_limit::{FailureLimiter, Millis};

/// Exponential back-off per key after `free` consecutive failures.
#[derive(Debug)]
pub struct Backoff<K> {
    free: u32,
    base_ms: Millis,
    max_ms: Millis,
    /// A key with no failure for this long starts again from zero.
    forget_ms: Millis,
    entries: HashMap<K, (u32, Millis)>,
}

impl<K: Eq + Hash + Clone> Backoff<K> {
    pub fn new(free: u32, base: Duration, max: Duration, forget: Duration) -> Self {
        Backoff {
            free: free.max(1),
            base_ms: base.as_millis() as Millis,
            max_ms: max.as_millis() as Millis,
            forget_ms: forget.as_millis() as Millis,
            entries: HashMap::new(),
        }
    }

    fn lock_ms(&self, failures: u32) -> Millis {
        if failures < self.free {
            return 0;
        }
        let doublings = (failures - self.free).min(32);
        self.base_ms.saturating_mul(1 << doublings).min(self.max_ms)
    }

    /// `Some(retry_after)` if the key is locked at `now`.
    pub fn locked_for(&mut self, key: &K, now: Millis) -> Option<Duration> {
        let &(failures, last) = self.entries.get(key)?;
        if now.saturating_sub(last) >= self.forget_ms {
            self.entries.remove(key);
            return None;
        }
        let until = last + self.lock_ms(failures);
        (until > now).then(|| Duration::from_millis((until - now).max(1000)))
    }

    pub fn record_failure(&mut self, key: &K, now: Millis) {
        let forget = self.forget_ms;
        let entry = self.entries.entry(key.clone()).or_insert((0, now));
        if now.saturating_sub(entry.1) >= forget {
            *entry = (0, now);
        }
        *entry = (entry.0.saturating_add(1), now);
    }

    pub fn record_success(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Drops keys idle past `forget` (call now and then so memory follows the active keys).
    pub fn sweep(&mut self, now: Millis) {
        let forget = self.forget_ms;
        self.entries
            .retain(|_, (_, last)| now.saturating_sub(*last) < forget);
    }

    pub fn tracked_keys(&self) -> usize {
        self.entries.len()
    }
}

/// Who is signing in, as far as throttling goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt<'a> {
    /// A browser with a valid device cookie of this very account: held only by its own
    /// failures, never by the account's or the address's.
    KnownDevice { device: &'a str },
    /// Anyone else: held by the account's back-off and the address's window.
    Unknown { account: &'a str, address: &'a str },
}

/// Sign-in throttling: per account (back-off), per address (window), per known device
/// (back-off).
#[derive(Debug)]
pub struct SignInGuard {
    accounts: Backoff<String>,
    devices: Backoff<String>,
    addresses: FailureLimiter<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInLimits {
    /// Failures in a row before an account (or a device) is slowed down.
    pub free_failures: u32,
    /// The first lock; each further failure doubles it.
    pub base_lock: Duration,
    pub max_lock: Duration,
    /// Failed sign-ins per address within `address_window`.
    pub max_failures_per_address: usize,
    pub address_window: Duration,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            free_failures: 5,
            base_lock: Duration::from_secs(30),
            max_lock: Duration::from_secs(15 * 60),
            max_failures_per_address: 20,
            address_window: Duration::from_secs(15 * 60),
        }
    }
}

const FORGET: Duration = Duration::from_secs(24 * 3600);

impl SignInGuard {
    pub fn new(limits: &SignInLimits) -> Self {
        let backoff = || {
            Backoff::new(
                limits.free_failures,
                limits.base_lock,
                limits.max_lock,
                FORGET,
            )
        };
        SignInGuard {
            accounts: backoff(),
            devices: backoff(),
            addresses: FailureLimiter::new(limits.max_failures_per_address, limits.address_window),
        }
    }

    /// `Err(retry_after)` if this attempt must wait.
    pub fn check(&mut self, attempt: &Attempt, now: Millis) -> Result<(), Duration> {
        self.sweep(now);
        match attempt {
            Attempt::KnownDevice { device } => {
                match self.devices.locked_for(&device.to_string(), now) {
                    Some(wait) => Err(wait),
                    None => Ok(()),
                }
            }
            Attempt::Unknown { account, address } => {
                let locks = [
                    self.accounts.locked_for(&account.to_string(), now),
                    self.addresses.locked_for(&address.to_string(), now),
                ];
                match locks.into_iter().flatten().max() {
                    Some(wait) => Err(wait),
                    None => Ok(()),
                }
            }
        }
    }

    pub fn failed(&mut self, attempt: &Attempt, now: Millis) {
        match attempt {
            Attempt::KnownDevice { device } => {
                self.devices.record_failure(&device.to_string(), now)
            }
            Attempt::Unknown { account, address } => {
                self.accounts.record_failure(&account.to_string(), now);
                self.addresses.record_failure(&address.to_string(), now);
            }
        }
    }

    /// The account's and the device's failures are forgiven (the address's are not: one
    /// success must not reset a spray from that address).
    pub fn succeeded(&mut self, account: &str, device: Option<&str>) {
        self.accounts.record_success(&account.to_string());
        if let Some(device) = device {
            self.devices.record_success(&device.to_string());
        }
    }

    fn sweep(&mut self, now: Millis) {
        self.accounts.sweep(now);
        self.devices.sweep(now);
        self.addresses.sweep(now);
    }

    pub fn tracked_keys(&self) -> usize {
        self.accounts.tracked_keys() + self.devices.tracked_keys() + self.addresses.tracked_keys()
    }
}

/// How many sign-ups (and confirmations) are allowed, per address and in total, per window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignUpLimits {
    pub per_address: usize,
    pub global: usize,
    pub window: Duration,
}

impl Default for SignUpLimits {
    fn default() -> Self {
        SignUpLimits {
            per_address: 5,
            global: 100,
            window: Duration::from_secs(3600),
        }
    }
}

/// Counts sign-up and confirmation attempts per address and in total; each attempt counts,
/// whatever its outcome (so an address cannot try emails one after another either).
#[derive(Debug)]
pub struct SignUpGuard {
    addresses: FailureLimiter<String>,
    global: FailureLimiter<()>,
}

impl SignUpGuard {
    pub fn new(limits: &SignUpLimits) -> Self {
        SignUpGuard {
            addresses: FailureLimiter::new(limits.per_address, limits.window),
            global: FailureLimiter::new(limits.global, limits.window),
        }
    }

    /// Counts the attempt if it may go ahead; `Err(retry_after)` if not (then it is not
    /// counted, so a throttled address does not hold the global count up).
    pub fn attempt(&mut self, address: &str, now: Millis) -> Result<(), Duration> {
        self.addresses.sweep(now);
        let address = address.to_string();
        let locks = [
            self.addresses.locked_for(&address, now),
            self.global.locked_for(&(), now),
        ];
        if let Some(wait) = locks.into_iter().flatten().max() {
            return Err(wait);
        }
        self.addresses.record_failure(&address, now);
        self.global.record_failure(&(), now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Millis = 1000;
    const MIN: Millis = 60 * S;

    fn guard() -> SignInGuard {
        SignInGuard::new(&SignInLimits::default())
    }

    #[test]
    fn backoff_doubles_after_the_free_failures_and_is_capped() {
        let mut b = Backoff::new(3, Duration::from_secs(10), Duration::from_secs(60), FORGET);
        let k = "a".to_string();
        let mut now = 0;
        for _ in 0..2 {
            b.record_failure(&k, now);
            assert_eq!(b.locked_for(&k, now), None);
        }
        let mut waits = Vec::new();
        for _ in 0..6 {
            b.record_failure(&k, now);
            let wait = b.locked_for(&k, now).expect("locked");
            waits.push(wait.as_secs());
            now += wait.as_millis() as Millis;
            assert_eq!(b.locked_for(&k, now), None, "free again when the lock ends");
        }
        assert_eq!(waits, [10, 20, 40, 60, 60, 60]);
        b.record_success(&k);
        b.record_failure(&k, now);
        assert_eq!(
            b.locked_for(&k, now),
            None,
            "a success starts again from zero"
        );
    }

    #[test]
    fn backoff_forgets_an_idle_key() {
        let mut b = Backoff::new(
            1,
            Duration::from_secs(10),
            Duration::from_secs(60),
            Duration::from_secs(3600),
        );
        let k = "a".to_string();
        for _ in 0..5 {
            b.record_failure(&k, 0);
        }
        assert!(b.locked_for(&k, 59 * S).is_some());
        b.record_failure(&k, 3600 * S);
        assert_eq!(
            b.locked_for(&k, 3600 * S).map(|d| d.as_secs()),
            Some(10),
            "counted from one again after an idle hour"
        );
        b.sweep(3 * 3600 * S);
        assert_eq!(b.tracked_keys(), 0);
    }

    #[test]
    fn an_attacker_cannot_keep_the_agent_out_of_a_device_that_signed_in_before() {
        let mut g = guard();
        let attacker = Attempt::Unknown {
            account: "agent@example.com",
            address: "203.0.113.9",
        };
        let agent = Attempt::KnownDevice { device: "dev-1" };
        // The attacker fails all night, as fast as the lock lets them, from many addresses.
        let mut now = 0;
        let mut attempts = 0;
        while now < 8 * 60 * MIN {
            let from = format!("203.0.113.{}", attempts % 200);
            let attacker = Attempt::Unknown {
                account: "agent@example.com",
                address: &from,
            };
            if g.check(&attacker, now).is_ok() {
                g.failed(&attacker, now);
                attempts += 1;
            }
            // The agent's own browser is never held by the account's lock.
            assert_eq!(g.check(&agent, now), Ok(()), "at {now}");
            now += 10 * S;
        }
        // The lock grew to its cap and no further: a few attempts an hour, not thousands.
        let wait = g.check(&attacker, now).err().unwrap_or_default();
        assert!(wait <= Duration::from_secs(15 * 60), "{wait:?}");
        assert!(attempts < 60, "{attempts} attempts in 8 hours");
        assert!(attempts > 5, "{attempts}");
        // A new browser of the agent (no cookie) waits at most the cap.
        let new_browser = Attempt::Unknown {
            account: "agent@example.com",
            address: "198.51.100.7",
        };
        let wait = g.check(&new_browser, now).err().unwrap_or_default();
        assert!(wait <= Duration::from_secs(15 * 60), "{wait:?}");
        assert_eq!(g.check(&new_browser, now + 15 * MIN), Ok(()));
    }

    #[test]
    fn a_known_device_is_held_by_its_own_failures() {
        let mut g = guard();
        let device = Attempt::KnownDevice { device: "dev-1" };
        for _ in 0..5 {
            assert_eq!(g.check(&device, 0), Ok(()));
            g.failed(&device, 0);
        }
        assert_eq!(g.check(&device, 0), Err(Duration::from_secs(30)));
        assert_eq!(
            g.check(&Attempt::KnownDevice { device: "dev-2" }, 0),
            Ok(()),
            "another device is not"
        );
        assert_eq!(
            g.check(
                &Attempt::Unknown {
                    account: "agent@example.com",
                    address: "192.0.2.1"
                },
                0
            ),
            Ok(()),
            "nor the account"
        );
        g.succeeded("agent@example.com", Some("dev-1"));
        assert_eq!(g.check(&device, 0), Ok(()));
    }

    #[test]
    fn an_address_that_sprays_accounts_is_held() {
        let mut g = guard();
        for i in 0..20 {
            let account = format!("user{i}@example.com");
            let a = Attempt::Unknown {
                account: &account,
                address: "203.0.113.9",
            };
            assert_eq!(g.check(&a, i * S), Ok(()));
            g.failed(&a, i * S);
        }
        let next = Attempt::Unknown {
            account: "user99@example.com",
            address: "203.0.113.9",
        };
        assert!(g.check(&next, 20 * S).is_err());
        assert_eq!(g.check(&next, 16 * MIN), Ok(()));
    }

    #[test]
    fn sign_ups_are_limited_per_address_and_in_total() {
        let limits = SignUpLimits {
            per_address: 3,
            global: 5,
            window: Duration::from_secs(3600),
        };
        let mut g = SignUpGuard::new(&limits);
        for i in 0..3 {
            assert_eq!(g.attempt("192.0.2.1", i * S), Ok(()));
        }
        let wait = g.attempt("192.0.2.1", 3 * S).unwrap_err();
        assert_eq!(wait, Duration::from_millis(60 * MIN - 3 * S));
        assert_eq!(g.attempt("192.0.2.2", 4 * S), Ok(()));
        assert_eq!(g.attempt("192.0.2.3", 5 * S), Ok(()));
        assert!(g.attempt("192.0.2.4", 6 * S).is_err(), "the global count");
        assert_eq!(
            g.attempt("192.0.2.4", 60 * MIN + S),
            Ok(()),
            "the window passes"
        );
    }
}
