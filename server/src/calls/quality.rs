//! How a call sounded to its agent: the browser's summary (`domain::quality`), sent once the
//! call's audio closes, checked and kept with the call (docs/quality.md, "The summary").

use app::api::ports::{Store, StoreError};
use app::domain::quality::Summary;

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
