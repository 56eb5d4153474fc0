//! Writing the session's call record. Each change is written as it happens. When the store is
//! down, the record's latest version goes to a task that retries with back-off until the store
//! takes it, so a call that ends during an outage keeps its end (while this server runs; if it
//! stops first, its lease runs out and another server closes the call as interrupted,
//! docs/architecture.md, "Several servers"). Later changes go through that task too, so an
//! older version never overwrites a newer one.

use std::sync::Arc;
use std::time::Duration;

use app::api::ports::Store;
use app::domain::calls::CallRecord;
use tokio::sync::watch;

use super::Session;

/// The first retry's wait; each failure doubles it, up to [`LONGEST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(500);
const LONGEST_WAIT: Duration = Duration::from_secs(30);

impl Session {
    /// Writes the record as it is now (or hands it to the retries, if they are running).
    pub(super) async fn save(&mut self) {
        save_record(
            &mut self.retrying,
            &self.hub.store,
            &self.owner,
            &self.record,
        )
        .await;
    }
}

/// Writes `record`, or hands it to the retries: started here at the first failure and kept in
/// `retrying`, which every later version of the same record then goes through. Also for a
/// record written once (a transferred call's end, `crate::calls::bridged`): the retries go on
/// after `retrying` is dropped, until that version is written.
pub(in crate::calls) async fn save_record(
    retrying: &mut Option<watch::Sender<CallRecord>>,
    store: &Arc<dyn Store>,
    owner: &str,
    record: &CallRecord,
) {
    if let Some(retrying) = retrying {
        retrying.send_replace(record.clone());
        return;
    }
    if let Err(e) = store.update_call(owner, record).await {
        tracing::warn!(call = %record.id, error = %e, "call record not saved: retrying until the store takes it");
        let (latest, changes) = watch::channel(record.clone());
        tokio::spawn(retry(store.clone(), owner.to_string(), changes));
        *retrying = Some(latest);
    }
}

/// Writes the latest version until one is taken, then each later one; ends once its sender
/// (the session) has gone and the last version is written.
async fn retry(store: Arc<dyn Store>, owner: String, mut latest: watch::Receiver<CallRecord>) {
    let mut wait = FIRST_WAIT;
    let mut failures = 1u32;
    loop {
        tokio::time::sleep(wait).await;
        let record = latest.borrow_and_update().clone();
        match store.update_call(&owner, &record).await {
            Ok(()) => {
                if failures > 0 {
                    tracing::info!(call = %record.id, failures, "call record saved: the store is back");
                }
                failures = 0;
                wait = Duration::ZERO;
                if latest.changed().await.is_err() {
                    return;
                }
            }
            Err(e) => {
                failures += 1;
                // The first failures, then one in ten: an outage of hours is not a flood.
                if failures <= 3 || failures.is_multiple_of(10) {
                    tracing::warn!(call = %record.id, failures, error = %e, "call record still not saved");
                }
                wait = (wait * 2).clamp(FIRST_WAIT, LONGEST_WAIT);
            }
        }
    }
}
