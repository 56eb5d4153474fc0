//! Stopping a server (docs/operating.md, "Stopping a server"): no new call, the calls up
//! drain, then every call left is hung up cleanly and the live channels close.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{CallHub, HubInner};

/// How long a shutdown waits for the calls it hung up to end (BYE confirmed, records written).
pub const ENDING_WAIT: Duration = Duration::from_secs(15);

impl CallHub {
    /// Shuts the calls down (docs/operating.md, "Stopping a server"): from now on no call is
    /// taken (calls dialled are refused as calling unavailable, calls in with 503, which sends a
    /// carrier to its next route); the calls up may end by themselves for `drain`; then every
    /// one left is hung up (CANCEL or BYE, ended `interrupted`: "the server shut down"), joined
    /// calls and ringing calls in included, and their records written (waited for up to
    /// [`ENDING_WAIT`]). Last, the live channels close (1012), so the tabs reconnect elsewhere.
    pub async fn shut_down(&self, drain: Duration) {
        let inner = &self.inner;
        inner.draining.store(true, Ordering::SeqCst);
        let carried = inner.calls_carried();
        if carried > 0 {
            tracing::info!(
                calls = carried,
                drain_secs = drain.as_secs(),
                "shutting down: waiting for the calls to end"
            );
        }
        inner.until_no_calls(drain).await;
        let left = inner.calls_carried();
        if left > 0 {
            tracing::info!(calls = left, "shutting down: hanging up the calls left");
        }
        inner.stopping.cancel();
        inner.until_no_calls(ENDING_WAIT).await;
        let left = inner.calls_carried();
        if left > 0 {
            tracing::warn!(
                calls = left,
                "shutting down with calls not ended: the next start or another server closes them"
            );
        }
        inner.closing.cancel();
    }

    /// Cancelled once [`CallHub::shut_down`] has ended the calls: live channels close then.
    pub fn closing(&self) -> tokio_util::sync::CancellationToken {
        self.inner.closing.clone()
    }
}

impl HubInner {
    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// The calls this server carries: sessions, calls sent on to a number, calls in ringing.
    fn calls_carried(&self) -> usize {
        let sessions = self
            .lock_users()
            .values()
            .filter(|u| u.call.is_some())
            .count();
        let joined: u32 = self
            .transferred
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum();
        sessions + joined as usize + self.lock_ringing().len()
    }

    /// Until no call is carried, or `within` has passed.
    async fn until_no_calls(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.calls_carried() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
