//! The call log (Recents) and the entry point for placing calls.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::domain::calls::{CallFilter, CallRecord};
use crate::domain::numbers::Country;

pub const PAGE_SIZE: usize = 50;

/// A call record as Recents shows it: with the contact's name when the number is known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEntry {
    pub record: CallRecord,
    pub contact_id: Option<String>,
    pub contact_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPage {
    pub items: Vec<CallEntry>,
    pub next: Option<String>,
}

#[server(endpoint = "calls/list", input = Json)]
pub async fn list_calls(
    filter: CallFilter,
    search: String,
    cursor: Option<String>,
) -> Result<CallPage, ApiError> {
    use crate::api::ports::CallQuery;
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let query = CallQuery {
        filter,
        search: search.chars().take(100).collect(),
    };
    let page = services
        .store
        .list_calls(&me.sub, &query, cursor.as_deref(), PAGE_SIZE)
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for record in page.items {
        let contact = services
            .store
            .contact_by_number(&me.sub, &record.e164)
            .await?;
        items.push(CallEntry {
            contact_id: contact.as_ref().map(|c| c.id.clone()),
            contact_name: contact.map(|c| c.name),
            record,
        });
    }
    Ok(CallPage {
        items,
        next: page.next,
    })
}

/// Places a call. The server re-checks the number against the policy (the browser's verdict is
/// only a convenience) and answers with the dialable number or the reason it is refused.
#[server(endpoint = "calls/start", input = Json)]
pub async fn start_call(
    input: String,
    default_country: Option<Country>,
) -> Result<String, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let number = match crate::domain::numbers::dialable(
        &input,
        default_country,
        services.numbers.as_ref(),
    ) {
        Ok(n) => n,
        Err(reason) => {
            crate::api::ssr::audit(&services, &me.sub, "call_refused", reason.as_str().into())
                .await;
            return Err(ApiError::NumberRefused(reason));
        }
    };
    {
        use crate::domain::guards::GuardRefusal;
        let mut guard = services
            .call_guard
            .lock()
            .map_err(|_| ApiError::Request("call guard poisoned".into()))?;
        match guard.admit(&me.sub, services.clock.now_ms()) {
            Ok(()) => {}
            Err(GuardRefusal::CallInProgress) => return Err(ApiError::CallInProgress),
            Err(GuardRefusal::TooManyAttempts { retry_after_secs }) => {
                tracing::warn!(user = %me.sub, retry_after_secs, "call attempts throttled");
                return Err(ApiError::TooManyCallAttempts { retry_after_secs });
            }
        }
    }
    // Telephony (gateway + trunk) arrives with the calls issue; until then say so plainly.
    tracing::info!(
        country = number.country().iso(),
        "call requested but no telephony provider is configured"
    );
    Err(ApiError::CallingUnavailable)
}
