//! How a call sounded: the agent's browser's summary (`domain::quality`), sent once the call's
//! audio closes, checked and kept with the call; and the gateway's own measure of the trunk's
//! audio, kept at the call's end (docs/quality.md, "The summary").

use app::api::ports::{Store, StoreError};
use app::domain::quality::{Summary, TrunkReception};
use telephony::reception::ReceptionSummary;

/// What the agent's tab is told when its summary is not kept.
pub(super) const NO_SUCH_CALL: &str = "that call is not in your calls";

/// Keeps `summary` for `owner`'s call `call_id`; the reason it was not, in words for the
/// live channel's error.
pub(super) async fn keep(
    store: &dyn Store,
    owner: &str,
    call_id: &str,
    summary: &Summary,
) -> Result<(), String> {
    if let Err(e) = summary.check() {
        tracing::warn!(call = %call_id, field = e.0, "call quality summary refused");
        return Err(e.to_string());
    }
    match store.set_call_quality(owner, call_id, summary).await {
        Ok(()) => {
            app::api::metrics::call_quality(summary);
            tracing::debug!(call = %call_id, rated = summary.rated, "call quality kept");
            Ok(())
        }
        Err(StoreError::NotFound) => Err(NO_SUCH_CALL.into()),
        Err(e) => {
            tracing::warn!(call = %call_id, error = %e, "call quality not kept");
            Err("the call's quality could not be kept".into())
        }
    }
}

/// Keeps the gateway's last report of the trunk's audio with the call (best effort: the call's
/// end is already written; a store that fails loses only this).
pub(super) async fn keep_trunk_reception(
    store: &dyn Store,
    owner: &str,
    call_id: &str,
    reception: ReceptionSummary,
) {
    let reception = TrunkReception {
        received: reception.received,
        lost: reception.lost,
        max_jitter_ms: reception.max_jitter_us as f64 / 1000.0,
    };
    app::api::metrics::trunk_reception(&reception);
    if let Err(e) = store.set_trunk_reception(owner, call_id, &reception).await {
        tracing::warn!(call = %call_id, error = %e, "trunk reception not kept");
    }
}
