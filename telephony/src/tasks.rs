//! Spawned work is tracked and its failures are logged: a SIP reply, BYE or CANCEL that fails
//! says so in the log instead of vanishing. Logged errors never carry phone numbers (SIP errors
//! can quote a Request-URI).

use std::fmt::Display;
use std::future::Future;

use tokio::task::{JoinError, JoinSet};

/// Runs `work` in `set`, logging its error (as `what`) if it fails.
pub(crate) fn spawn_logged<T, E, F>(set: &mut JoinSet<()>, what: &'static str, work: F)
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Display,
{
    set.spawn(async move {
        if let Err(e) = work.await {
            tracing::warn!(task = what, error = %redact_numbers(&e.to_string()), "failed");
        }
    });
}

/// Logs a task that panicked or was cancelled (what [`spawn_logged`] cannot see itself).
pub(crate) fn log_joined(result: Result<(), JoinError>) {
    if let Err(e) = result {
        if e.is_panic() {
            tracing::error!(error = %e, "task panicked");
        } else {
            tracing::debug!(error = %e, "task cancelled");
        }
    }
}

/// Waits for every task in `set`, logging the ones that did not finish well.
pub(crate) async fn drain(set: &mut JoinSet<()>) {
    while let Some(result) = set.join_next().await {
        log_joined(result);
    }
}

/// `text` with every run of seven or more digits (a phone number, with or without its `+`)
/// masked; addresses and ports are shorter and stay readable.
pub fn redact_numbers(text: &str) -> String {
    const MIN_DIGITS: usize = 7;
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if digits >= MIN_DIGITS {
            out.push_str("<number>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_masked_and_addresses_are_not() {
        assert_eq!(
            redact_numbers("timeout for sip:+6560000001@127.0.0.1:5060"),
            "timeout for sip:<number>@127.0.0.1:5060"
        );
        assert_eq!(redact_numbers("5072000001 + 1"), "<number> + 1");
        assert_eq!(redact_numbers("port 65535"), "port 65535");
        assert_eq!(redact_numbers("+"), "+");
    }

    #[tokio::test]
    async fn failed_work_is_logged_and_the_set_drains() {
        let mut set = JoinSet::new();
        spawn_logged(&mut set, "test", async { Err::<(), _>("no") });
        spawn_logged(&mut set, "test", async { Ok::<(), String>(()) });
        drain(&mut set).await;
        assert!(set.is_empty());
    }
}
