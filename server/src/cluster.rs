//! Several servers on one store (`docs/architecture.md`, "Several servers"): this process's
//! server id, its lease on the calls it carries, and the sweep every server runs so that the
//! calls and recordings of a server that died are closed by another.
//!
//! Each call record names the server that carries it. A server renews its lease (a row or item
//! with `lease_until`) every third of the lease time; at its start it closes only the calls its
//! own last run left (it keeps its id in the data folder), and every sweep closes, as
//! interrupted, the open calls of servers whose lease ended. The close is a conditional write
//! (SQLite: one `UPDATE … WHERE ended_at IS NULL`; DynamoDB: `attribute_not_exists(ended_at)`),
//! so when several servers sweep at once each call is closed, and its spend slot freed, once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use app::api::live::CallTicket;
use app::api::ports::{
    CallOrigin, Clock, OpenCalls, Principal, Recordings, RelayRequest, Services, Store, StoreError,
};
use app::api::ApiError;
use app::domain::numbers::Country;

use sma::report::ProgressReport;

use crate::calls::CallHub;
use crate::config::ClusterConfig;
use crate::recordings::{self, RecoveryScope};

pub mod progress_relay;

/// The file in the data folder that keeps a server's id across restarts.
const ID_FILE: &str = "server-id";

/// This server's id: `SOFTPHONE_SERVER_ID`, else the one kept in the data folder (made at the
/// first start), so a server that restarts on its folder closes its own calls at once.
pub fn server_id(config: &ClusterConfig, data_dir: &Path) -> std::io::Result<String> {
    if let Some(id) = &config.server_id {
        return Ok(id.clone());
    }
    let path = data_dir.join(ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
        Ok(_) | Err(_) => {
            let id = format!("srv-{}", uuid::Uuid::new_v4().simple());
            std::fs::write(&path, &id)?;
            Ok(id)
        }
    }
}

/// This server's lease and sweeps.
pub struct Cluster {
    pub server_id: String,
    pub lease: Duration,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
}

impl Cluster {
    /// How often the lease is renewed and the sweep runs: a third of the lease, so two renewals
    /// may fail before the lease ends.
    pub fn every(&self) -> Duration {
        self.lease / 3
    }

    pub async fn renew(&self) -> Result<(), StoreError> {
        let until = self.clock.now_ms() + self.lease.as_millis() as u64;
        self.store.renew_lease(&self.server_id, until).await
    }

    /// At start, before taking calls: closes what this server's last run left and takes its
    /// lease. Returns how many calls it closed.
    pub async fn start(&self) -> Result<u64, StoreError> {
        let closed = self
            .store
            .close_open_calls(OpenCalls::OfServer(&self.server_id), self.clock.now_ms())
            .await?;
        self.renew().await?;
        Ok(closed)
    }

    /// One sweep: the calls, then the recordings, of servers whose lease ended.
    pub async fn sweep(&self, recordings: Option<&dyn Recordings>) -> Result<u64, StoreError> {
        let now = self.clock.now_ms();
        let closed = self
            .store
            .close_open_calls(OpenCalls::OfExpiredServers, now)
            .await?;
        if closed > 0 {
            tracing::warn!(
                calls = closed,
                "closed the calls of a server whose lease ended as interrupted"
            );
        }
        if let Some(recordings) = recordings {
            let scope = RecoveryScope::Abandoned {
                server: &self.server_id,
            };
            match recordings::recover(self.store.as_ref(), recordings, now, scope).await {
                Ok(done) if done != recordings::Recovery::default() => {
                    tracing::warn!(recovered = ?done, "recordings of a server whose lease ended recovered");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "recordings of ended leases not recovered"),
            }
        }
        Ok(closed)
    }

    /// Renews the lease, and sweeps, every [`Self::every`] for as long as the server runs. Two
    /// tasks: a long sweep (many calls to close, a dead server's recordings to recover) must
    /// not hold up the renewal, or the lease would lapse and the other servers take this live
    /// one for dead (its calls closed as interrupted, click-to-dial not relayed to it).
    pub fn spawn(self: Arc<Self>, recordings: Option<Arc<dyn Recordings>>) {
        let every = self.every();
        let ticks = move || {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick
        };
        let lease = self.clone();
        tokio::spawn(async move {
            let mut tick = ticks();
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = lease.renew().await {
                    tracing::error!(error = %e, "server lease not renewed; retried");
                }
            }
        });
        tokio::spawn(async move {
            let mut tick = ticks();
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = self.sweep(recordings.as_deref()).await {
                    tracing::error!(error = %e, "sweep of ended leases failed; retried");
                }
            }
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Requests through the store, for the server that can carry them out (`RelayTaker`). A REST
// click-to-dial may reach any server, the call must run on the one that holds the user's live
// channel (its gateway answers that browser's offer); a Chime progress push may reach any
// server, only the one holding its call can apply it (`progress_relay`).

/// How long the server that took a REST click-to-dial waits for a server with the user's app
/// open to take it up; then the answer is `AppNotOpen`, as on one server.
pub const DIAL_TAKE_WAIT: Duration = Duration::from_secs(3);
/// How long it then waits for the taker's outcome (admission and the call's start).
pub const DIAL_OUTCOME_WAIT: Duration = Duration::from_secs(15);
/// How often servers look for requests to take, and the waiter for its outcome.
pub const DIAL_POLL: Duration = Duration::from_millis(150);

/// What the waiter hands the taker: a relay request's `request` JSON. Untagged: a click-to-dial
/// is written as it was before progress pushes were relayed too.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Relayed {
    /// A REST click-to-dial, for the server with the user's app open.
    Dial(RelayedDial),
    /// A Chime progress push, for the server holding its call (`progress_relay`).
    ChimeProgress { chime_progress: ProgressReport },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RelayedDial {
    number: String,
    default_country: Option<Country>,
}

type DialOutcome = Result<CallTicket, ApiError>;

/// Whether a REST click-to-dial of `owner`'s must go through the store: their app is not open
/// here, and another server is running (it may hold their live channel).
pub async fn holder_elsewhere(services: &Services, owner: &str) -> bool {
    !services.telephony.has_live_connection(owner) && others_live(services).await
}

/// Whether another server is running (it may hold a user's live channel).
pub async fn others_live(services: &Services) -> bool {
    let me = services.telephony.server_id();
    let elsewhere = other_servers_live(
        services.store.as_ref(),
        services.clock.now_ms(),
        me.as_deref(),
    )
    .await;
    if !elsewhere {
        tracing::info!("click-to-dial placed here: no other server is live");
    }
    elsewhere
}

/// Whether a server other than `me` holds a live lease (a store error counts as none: what
/// would have been relayed is tried here only, and said).
pub async fn other_servers_live(store: &dyn Store, now: u64, me: Option<&str>) -> bool {
    match store.live_servers(now).await {
        Ok(live) => live.iter().any(|s| Some(s.as_str()) != me),
        Err(e) => {
            tracing::warn!(error = %e, "servers not read: no request relayed to them");
            false
        }
    }
}

/// Places a REST click-to-dial on the server that holds `me`'s live channel: writes the
/// request, waits for a server to take it, and returns what placing it gave there.
pub async fn relay_dial(
    services: &Services,
    me: &Principal,
    number: &str,
    default_country: Option<Country>,
) -> DialOutcome {
    let now = services.clock.now_ms();
    let request = serde_json::to_string(&Relayed::Dial(RelayedDial {
        number: number.to_string(),
        default_country,
    }))
    .map_err(|e| ApiError::Request(e.to_string()))?;
    let relay = RelayRequest::new(me.sub.clone(), request, now);
    let id = relay.id.clone();
    services.store.put_relay(&relay).await?;
    let started = tokio::time::Instant::now();
    let mut taken = false;
    loop {
        tokio::time::sleep(DIAL_POLL).await;
        let dial = services.store.get_relay(&id).await?;
        if let Some(outcome) = dial.as_ref().and_then(|d| d.outcome.as_deref()) {
            return serde_json::from_str::<DialOutcome>(outcome)
                .unwrap_or_else(|e| Err(ApiError::Request(format!("relayed dial: {e}"))));
        }
        taken |= dial.as_ref().is_some_and(|d| d.taken_by.is_some());
        if !taken && started.elapsed() >= DIAL_TAKE_WAIT {
            // No server has the app open: take it back so no one places it late.
            if services.store.take_relay(&id, "nobody").await? {
                tracing::info!(
                    dial = %id,
                    "click-to-dial not taken: no server has the user's app open"
                );
                return Err(ApiError::AppNotOpen);
            }
            taken = true;
        }
        if started.elapsed() >= DIAL_TAKE_WAIT + DIAL_OUTCOME_WAIT {
            tracing::error!(dial = %id, "a relayed click-to-dial was taken but never answered");
            return Err(ApiError::Unavailable);
        }
    }
}

/// Takes, every [`DIAL_POLL`], the relay requests this server can carry out.
pub struct RelayTaker {
    pub server_id: String,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Places the click-to-dials of users whose app is open here, as the REST API would have
    /// on this server (absent: no click-to-dial is taken here).
    pub dials: Option<Services>,
    /// Applies the Chime progress pushes for the calls held here (absent: none is taken).
    pub calls: Option<Arc<CallHub>>,
}

impl RelayTaker {
    pub fn spawn(self) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(DIAL_POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.take_pending().await;
            }
        });
    }

    async fn take_pending(&self) {
        let since = self
            .clock
            .now_ms()
            .saturating_sub(DIAL_TAKE_WAIT.as_millis() as u64);
        let pending = match self.store.pending_relays(since).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "pending relay requests not read");
                return;
            }
        };
        for request in pending {
            // Another version's request, or a damaged one: its waiter takes it back.
            let Ok(relayed) = serde_json::from_str::<Relayed>(&request.request) else {
                continue;
            };
            match relayed {
                Relayed::Dial(dial) => {
                    let Some(services) = self
                        .dials
                        .as_ref()
                        .filter(|s| s.telephony.has_live_connection(&request.owner))
                    else {
                        continue;
                    };
                    if self.take(&request.id).await {
                        let services = services.clone();
                        tokio::spawn(async move { place_relayed(&services, request, dial).await });
                    }
                }
                Relayed::ChimeProgress { chime_progress } => {
                    let Some(hub) = self
                        .calls
                        .as_ref()
                        .filter(|hub| hub.holds_chime_call(&chime_progress))
                    else {
                        continue;
                    };
                    if self.take(&request.id).await {
                        progress_relay::apply(
                            self.store.as_ref(),
                            hub,
                            &request.id,
                            chime_progress,
                        )
                        .await;
                    }
                }
            }
        }
    }

    /// Takes the request for this server: `false` if another took it first, or the store failed.
    async fn take(&self, id: &str) -> bool {
        match self.store.take_relay(id, &self.server_id).await {
            Ok(taken) => taken,
            Err(e) => {
                tracing::warn!(error = %e, "relay request not taken");
                false
            }
        }
    }
}

async fn place_relayed(services: &Services, dial: RelayRequest, request: RelayedDial) {
    let me = Principal {
        sub: dial.owner.clone(),
        email: String::new(),
        groups: Vec::new(),
    };
    let outcome: DialOutcome = app::api::calls::ops::start(
        services,
        &me,
        &request.number,
        request.default_country,
        CallOrigin::Api,
    )
    .await;
    let text = serde_json::to_string(&outcome).unwrap_or_else(|_| "null".into());
    if let Err(e) = services.store.finish_relay(&dial.id, &text).await {
        tracing::error!(dial = %dial.id, error = %e, "a relayed click-to-dial's outcome not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relay_request_reads_back_as_its_kind_and_a_click_to_dial_as_it_was_written_before() {
        let before = r#"{"number":"+6560000001","default_country":"SG"}"#;
        assert!(matches!(
            serde_json::from_str::<Relayed>(before),
            Ok(Relayed::Dial(RelayedDial { number, .. })) if number == "+6560000001"
        ));
        let report = ProgressReport {
            call_id: "c-1".into(),
            transaction_id: "t-1".into(),
            sequence: 4,
            progress: sma::flow::CallProgress::Answered { at: 5 },
        };
        let text = serde_json::to_string(&Relayed::ChimeProgress {
            chime_progress: report.clone(),
        })
        .unwrap();
        assert!(matches!(
            serde_json::from_str::<Relayed>(&text),
            Ok(Relayed::ChimeProgress { chime_progress }) if chime_progress == report
        ));
        assert!(serde_json::from_str::<Relayed>(r#"{"what":1}"#).is_err());
    }
}
