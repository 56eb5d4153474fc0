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

use app::api::ports::{Clock, OpenCalls, Recordings, Store, StoreError};

use crate::config::ClusterConfig;
use crate::recordings::{self, RecoveryScope};

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

    /// Renews the lease and sweeps every [`Self::every`] for as long as the server runs.
    pub fn spawn(self: Arc<Self>, recordings: Option<Arc<dyn Recordings>>) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.every());
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = self.renew().await {
                    tracing::error!(error = %e, "server lease not renewed; retried");
                }
                if let Err(e) = self.sweep(recordings.as_deref()).await {
                    tracing::error!(error = %e, "sweep of ended leases failed; retried");
                }
            }
        });
    }
}
