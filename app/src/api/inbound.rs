//! Routing an inbound call on the store: the number as the business owns it (the store's entry,
//! else a configured caller ID) and the caller's last agent, handed to the domain's [`route`].
//! The call hub calls this when a call comes in, then drives `InboundRing` with the result.

use crate::api::ports::{NumberStore, StoreError};
use crate::domain::inbound::{owned_number, route, Route};

/// Routes a call from `caller` (E.164; `None`: withheld) to `dialled` at `now`. `caller_ids`:
/// the server's configured caller IDs, owned with no assignment. A failed read of the last
/// agent is logged and the call routed without one; a failed read of the number is an error
/// (the hub answers 503 rather than refuse a number that may be ours).
pub async fn route_call(
    store: &dyn NumberStore,
    caller_ids: &[String],
    dialled: &str,
    caller: Option<&str>,
    now: u64,
) -> Result<Route, StoreError> {
    let stored = store.get_number(dialled).await?;
    let number = owned_number(dialled, stored, caller_ids);
    if number.is_none() {
        return Ok(route(None, None, now));
    }
    let last = match caller {
        None => None,
        Some(caller) => store.last_agent(caller).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "last agent not read: routed without one");
            None
        }),
    };
    Ok(route(number.as_ref(), last.as_ref(), now))
}
