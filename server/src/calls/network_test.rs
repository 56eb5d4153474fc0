//! The pre-call check's network test (docs/quality.md, "Pre-call check"): an echo session on
//! the gateway (`Gateway::echo_test`), no call, no record, no spend. One per user at a time (a
//! new one ends the last), at most [`MOST_AT_ONCE`] on a server, each at most [`LONGEST`]; it
//! also ends when the browser goes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use app::api::ports::NetworkTestError;
use telephony::gateway::{GatewayError, LegEvent};
use tokio::sync::oneshot;

use super::{CallHub, Provider};

/// How long a test's session lasts at most (the browser's test takes 8 s once connected).
pub const LONGEST: Duration = Duration::from_secs(20);
/// How many tests may run on one server at once.
pub const MOST_AT_ONCE: usize = 16;

/// The tests running: each user's, with its number and what ends it.
#[derive(Default)]
pub(crate) struct NetworkTests {
    next: AtomicU64,
    running: Mutex<HashMap<String, (u64, oneshot::Sender<()>)>>,
}

impl NetworkTests {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, oneshot::Sender<()>)>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl CallHub {
    pub(crate) async fn start_network_test(
        &self,
        owner: &str,
        offer: &str,
    ) -> Result<String, NetworkTestError> {
        let Provider::Gateway(gateway) = &self.inner.provider else {
            return Err(NetworkTestError::Unavailable);
        };
        if self
            .inner
            .lock_users()
            .get(owner)
            .is_some_and(|u| u.call.is_some())
        {
            return Err(NetworkTestError::OnACall);
        }
        let tests = &self.inner.network_tests;
        {
            let running = tests.lock();
            if running.len() >= MOST_AT_ONCE && !running.contains_key(owner) {
                return Err(NetworkTestError::Busy);
            }
        }
        let mut leg = gateway.echo_test(offer).await.map_err(|e| match e {
            GatewayError::BadOffer(_) | GatewayError::NoAudio | GatewayError::NoCommonCodec => {
                NetworkTestError::BadOffer(e.to_string())
            }
            other => {
                tracing::warn!(error = %other, "network test not started");
                NetworkTestError::Unavailable
            }
        })?;
        let answer = leg.answer.clone();
        let id = tests.next.fetch_add(1, Ordering::Relaxed);
        let (stop, stopped) = oneshot::channel();
        // The user's last test, if it still runs, ends as its sender is dropped here.
        tests.lock().insert(owner.to_string(), (id, stop));
        tracing::info!(user = owner, "network test started");
        let (inner, owner) = (self.inner.clone(), owner.to_string());
        tokio::spawn(async move {
            let browser_gone = async {
                while let Some(e) = leg.events.recv().await {
                    if matches!(e, LegEvent::BrowserLost | LegEvent::Failed { .. }) {
                        return;
                    }
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(LONGEST) => {}
                _ = stopped => {}
                _ = browser_gone => {}
            }
            // Dropping the leg ends its media.
            drop(leg);
            let mut running = inner.network_tests.lock();
            if running.get(&owner).is_some_and(|(i, _)| *i == id) {
                running.remove(&owner);
            }
        });
        Ok(answer)
    }

    /// How many network tests run on this server now.
    pub fn network_tests_running(&self) -> usize {
        self.inner.network_tests.lock().len()
    }
}
