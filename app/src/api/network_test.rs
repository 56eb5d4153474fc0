//! The pre-call check's network test (docs/quality.md, "Pre-call check"): the browser offers a
//! peer connection, this server's gateway answers with a session that sends its audio straight
//! back for a few seconds, and the browser measures the round trip, jitter and loss.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::api::ApiError;

/// The longest offer taken (a browser's audio-only offer is about 2 KB).
pub const MAX_OFFER_BYTES: usize = 16_384;

/// Starts a network test with the browser's SDP `offer`; returns the SDP answer. The session
/// calls no one, costs nothing and ends by itself within 20 s (or when the browser goes; a
/// new test of the same user ends the last).
#[server(endpoint = "network_test", input = Json)]
pub async fn network_test(offer: String) -> Result<String, ApiError> {
    use crate::api::ports::NetworkTestError;
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    if offer.len() > MAX_OFFER_BYTES || !offer.starts_with("v=0") {
        return Err(ApiError::Request(
            "the network test needs a WebRTC offer (SDP)".into(),
        ));
    }
    services
        .telephony
        .network_test(&me.sub, &offer)
        .await
        .map_err(|e| match e {
            NetworkTestError::Unavailable => ApiError::CallingUnavailable,
            NetworkTestError::OnACall => ApiError::CallInProgress,
            NetworkTestError::Busy => ApiError::ServiceBusy {
                retry_after_secs: 20,
            },
            NetworkTestError::BadOffer(detail) => ApiError::Request(detail),
        })
}
