//! Chime progress pushes through the store. The SIP media application's handler pushes to one
//! URL (`SOFTPHONE_CHIME_EVENTS_URL`); with several servers behind it a push lands on any of
//! them, but only the server holding the call can apply it (its session, or the ringing of a
//! call in). A server that does not hold the call writes the push as a relay request, the
//! holder takes it at its next look (`spawn_relay_taker`, every [`super::DIAL_POLL`]) and
//! applies it as if it had been pushed there, and the first server answers the handler once
//! it is taken, or with 404 when no server took it within [`TAKE_WAIT`] (the call has ended
//! everywhere, as on one server). docs/architecture.md, "Several servers".

use std::time::Duration;

use app::api::ports::{RelayRequest, Store, StoreError};
use sma::report::ProgressReport;

use super::Relayed;
use crate::calls::CallHub;

/// How long the server that got a push waits for the holder to take it. The holder looks every
/// 150 ms; the handler gives each attempt 1 s, which this, the write and the take back fit in.
pub const TAKE_WAIT: Duration = Duration::from_millis(600);
/// How often the waiter looks whether its request was taken.
const TAKEN_POLL: Duration = Duration::from_millis(50);

/// What a taker writes back: whether the call was still there to apply it to.
const APPLIED: &str = "applied";
const GONE: &str = "gone";

/// Relays `report` to the server holding its call; `true` once that server took it, `false`
/// when none did within [`TAKE_WAIT`] (taken back, so none applies it late).
pub async fn relay(
    store: &dyn Store,
    now: u64,
    report: &ProgressReport,
) -> Result<bool, StoreError> {
    // Plain strings, numbers and tagged enums: serialising cannot fail.
    let request = serde_json::to_string(&Relayed::ChimeProgress {
        chime_progress: report.clone(),
    })
    .expect("a progress report serialises");
    let relay = RelayRequest::new(String::new(), request, now);
    let id = relay.id.clone();
    store.put_relay(&relay).await?;
    let started = tokio::time::Instant::now();
    while started.elapsed() < TAKE_WAIT {
        tokio::time::sleep(TAKEN_POLL).await;
        if store
            .get_relay(&id)
            .await?
            .is_some_and(|r| r.taken_by.is_some())
        {
            return Ok(true);
        }
    }
    // Taken back; if the holder took it first after all, it is applied.
    Ok(!store.take_relay(&id, "nobody").await?)
}

/// The holder's side: applies a taken push to the call here and writes back whether it could.
pub(super) async fn apply(store: &dyn Store, hub: &CallHub, id: &str, report: ProgressReport) {
    let (call, sequence) = (report.call_id.clone(), report.sequence);
    let applied = hub.progress(
        &report.call_id,
        &report.transaction_id,
        report.sequence,
        report.progress,
    );
    tracing::debug!(%call, sequence, applied, "relayed call progress");
    let outcome = if applied { APPLIED } else { GONE };
    if let Err(e) = store.finish_relay(id, outcome).await {
        tracing::warn!(relay = %id, error = %e, "a relayed progress push's outcome not written");
    }
}
