//! The call log (Recents) and the entry point for placing calls.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::domain::calls::{CallFilter, CallRecord};
use crate::domain::numbers::Country;
use crate::domain::quality::CallQuality;

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

/// What the server functions and the REST API do with the call log.
#[cfg(feature = "ssr")]
pub mod ops {
    use super::*;
    use crate::api::ports::{CallOrigin, CallQuery, Principal, Services};
    use crate::domain::contacts::Contact;

    /// A call with the name of the contact its number belongs to, if any.
    fn named(record: CallRecord, contact: Option<&Contact>) -> CallEntry {
        CallEntry {
            contact_id: contact.map(|c| c.id.clone()),
            contact_name: contact.map(|c| c.name.clone()),
            record,
        }
    }

    async fn entry(
        services: &Services,
        me: &Principal,
        record: CallRecord,
    ) -> Result<CallEntry, ApiError> {
        let contact = services
            .store
            .contact_by_number(&me.sub, &record.e164)
            .await?;
        Ok(named(record, contact.as_ref()))
    }

    pub async fn list(
        services: &Services,
        me: &Principal,
        filter: CallFilter,
        search: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<CallPage, ApiError> {
        let query = CallQuery {
            filter,
            search: search.chars().take(100).collect(),
        };
        let page = services
            .store
            .list_calls(&me.sub, &query, cursor, limit)
            .await?;
        let numbers: Vec<&str> = page.items.iter().map(|r| r.e164.as_str()).collect();
        let contacts = services
            .store
            .contacts_by_numbers(&me.sub, &numbers)
            .await?;
        let items = page
            .items
            .into_iter()
            .map(|record| {
                let contact = contacts.get(&record.e164);
                named(record, contact)
            })
            .collect();
        Ok(CallPage {
            items,
            next: page.next,
        })
    }

    /// What checking and admitting a call needs: the call hub, which has no [`Services`],
    /// admits the second call of a transfer to a number with it too.
    pub struct Dialling<'a> {
        pub store: &'a dyn crate::api::ports::Store,
        pub numbers: &'a (dyn crate::domain::numbers::Classifier + Send + Sync),
        pub clock: &'a dyn crate::api::ports::Clock,
        pub spend_policy: crate::domain::spend::SpendPolicy,
    }

    impl<'a> Dialling<'a> {
        pub fn of(services: &'a Services) -> Self {
            Dialling {
                store: services.store.as_ref(),
                numbers: services.numbers.as_ref(),
                clock: services.clock.as_ref(),
                spend_policy: services.spend_policy,
            }
        }

        async fn audit(&self, owner: &str, action: &str, detail: String) {
            let at = self.clock.now_ms();
            crate::api::ports::write_audit(self.store, owner, at, action, detail).await;
        }
    }

    /// The number policy: the dialable number `input` is, or its refusal, audited
    /// (`call_refused`). The browser's verdict is only a convenience: this is the check.
    pub async fn checked_number(
        dialling: &Dialling<'_>,
        owner: &str,
        input: &str,
        default_country: Option<Country>,
    ) -> Result<crate::domain::numbers::DialableNumber, ApiError> {
        let verdict = crate::domain::numbers::dialable(input, default_country, dialling.numbers);
        match verdict {
            Ok(n) => Ok(n),
            Err(reason) => {
                crate::api::metrics::call_refused(reason.as_str());
                dialling
                    .audit(owner, "call_refused", reason.as_str().into())
                    .await;
                Err(ApiError::NumberRefused(reason))
            }
        }
    }

    /// A call to `number` admitted under the spend limits (`domain::spend`): the store checks
    /// them and writes `record` (a new outbound call of `owner`'s) in one step, so they hold
    /// across every server on it. A refusal is audited. `concurrent_allowance`: calls of
    /// `owner`'s that are open but are not on their headset (the second call of a transfer to
    /// a number: while it rings the agent's own call is still up; once it is answered the agent
    /// is free for a call of their own): each one raises the per-user concurrent limit by one,
    /// and only that limit.
    pub async fn admit(
        dialling: &Dialling<'_>,
        owner: &str,
        record: &CallRecord,
        concurrent_allowance: u32,
    ) -> Result<crate::domain::spend::Admission, ApiError> {
        use crate::api::ports::AdmitError;
        // Only the local identity knows when an account was made (unknown: not a new one).
        let created_at = match dialling.store.user_by_sub(owner).await {
            Ok(user) => user.map(|u| u.created_at),
            Err(e) => {
                tracing::warn!(error = %e, "account age not read: taken as established");
                None
            }
        };
        let mut policy = dialling.spend_policy;
        policy.user_concurrent = policy.user_concurrent.saturating_add(concurrent_allowance);
        let now = dialling.clock.now_ms();
        match dialling
            .store
            .admit_call(owner, record, &policy, created_at, now)
            .await
        {
            Ok(admission) => Ok(admission),
            Err(AdmitError::Store(e)) => Err(e.into()),
            Err(AdmitError::Refused(refusal)) => {
                let reason = refusal.reason();
                crate::api::metrics::call_refused(reason);
                dialling.audit(owner, "call_refused", reason.into()).await;
                if refusal.is_block() {
                    tracing::error!(user = %owner, reason, "calls blocked by a velocity rule: an admin must lift the block");
                } else {
                    tracing::warn!(user = %owner, reason, "call refused by the spend limits");
                }
                Err(refusal.into())
            }
        }
    }

    /// Places a call: the one checked path for the app's dial pad and the REST API. The server
    /// re-checks the number against the policy ([`checked_number`]), that calling is
    /// available, that a call placed from elsewhere has an open app to carry its audio, and
    /// the guards; then it writes the call record under the spend limits ([`admit`]) and hands
    /// the call to the telephony provider; a browser of the user's then sends its offer on the
    /// live channel. An admitted call ends at the longest duration the limits leave it.
    pub async fn start(
        services: &Services,
        me: &Principal,
        input: &str,
        default_country: Option<Country>,
        origin: CallOrigin,
    ) -> Result<crate::api::live::CallTicket, ApiError> {
        use crate::api::ssr::audit;
        let dialling = Dialling::of(services);
        let number = checked_number(&dialling, &me.sub, input, default_country).await?;
        if !services.telephony.available() {
            tracing::warn!("call requested but telephony is not available");
            return Err(ApiError::CallingUnavailable);
        }
        if origin == CallOrigin::Api && !services.telephony.has_live_connection(&me.sub) {
            return Err(ApiError::AppNotOpen);
        }
        let now = services.clock.now_ms();
        let record = CallRecord {
            // The call is this server's: if it dies, another closes it (its lease runs out).
            server: services.telephony.server_id(),
            ..CallRecord::outbound(
                uuid::Uuid::new_v4().to_string(),
                number.e164().to_string(),
                now,
            )
        };
        // Calls the user sent on to a number and that still run are not on their headset.
        let transferred = services.telephony.transferred_calls(&me.sub);
        let admission = admit(&dialling, &me.sub, &record, transferred).await?;
        // The customer's call back rings this agent first (domain::inbound). Best effort: the
        // call goes ahead without it.
        if let Err(e) = services
            .store
            .set_last_agent(&record.e164, &me.sub, now)
            .await
        {
            tracing::warn!(error = %e, call = %record.id, "last agent not recorded");
        }
        audit(services, &me.sub, "call_started", record.id.clone()).await;
        tracing::info!(call = %record.id, country = number.country().iso(), "call started");
        crate::api::metrics::call_started(record.direction, &record.e164, Some(number.kind()));
        let ticket = crate::api::live::CallTicket {
            call_id: record.id.clone(),
            e164: record.e164.clone(),
        };
        services
            .telephony
            .begin(&me.sub, record, origin, admission.max_duration_ms)
            .await;
        Ok(ticket)
    }

    /// How one of the caller's calls sounded, if it was measured; `NotFound` for a call that
    /// is not theirs.
    pub async fn quality(
        services: &Services,
        me: &Principal,
        id: &str,
    ) -> Result<Option<CallQuality>, ApiError> {
        if let Some(quality) = services.store.call_quality(&me.sub, id).await? {
            return Ok(Some(quality));
        }
        services
            .store
            .get_call(&me.sub, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        Ok(None)
    }

    /// One call of the caller's log; `NotFound` for anyone else's.
    pub async fn get(services: &Services, me: &Principal, id: &str) -> Result<CallEntry, ApiError> {
        let record = services
            .store
            .get_call(&me.sub, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        entry(services, me, record).await
    }
}

#[server(endpoint = "calls/list", input = Json)]
pub async fn list_calls(
    filter: CallFilter,
    search: String,
    cursor: Option<String>,
) -> Result<CallPage, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::list(
        &services,
        &me,
        filter,
        &search,
        cursor.as_deref(),
        PAGE_SIZE,
    )
    .await
}

/// One call of the caller's log; `NotFound` for anyone else's.
#[server(endpoint = "calls/get", input = Json)]
pub async fn get_call(id: String) -> Result<CallEntry, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::get(&services, &me, &id).await
}

/// How one of the caller's calls sounded (docs/quality.md, "The summary"): the agent's
/// browser's summary and the gateway's measure of the trunk's audio; none when neither was
/// measured (not answered, or its tab closed first); `NotFound` for anyone else's.
#[server(endpoint = "calls/quality", input = Json)]
pub async fn get_call_quality(id: String) -> Result<Option<CallQuality>, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::quality(&services, &me, &id).await
}

/// Places a call. The server re-checks the number against the policy (the browser's verdict is
/// only a convenience) and the guards, writes the call record and hands the call to the
/// telephony provider; the browser then sends its offer on the live channel. `connection` is
/// the tab's live connection (its hello's id): only that one may send the call's audio offer.
#[server(endpoint = "calls/start", input = Json)]
pub async fn start_call(
    input: String,
    default_country: Option<Country>,
    connection: u64,
) -> Result<crate::api::live::CallTicket, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::start(
        &services,
        &me,
        &input,
        default_country,
        crate::api::ports::CallOrigin::App { connection },
    )
    .await
}
