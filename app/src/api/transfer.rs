//! Who a call can be transferred to: the other agents with the app open on this server, and
//! whether each can take it now (docs/telephony.md, "Transfer").

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::ApiError;

/// An agent a call can go to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferTarget {
    /// Their account's id, what `{"type":"transfer"}` names.
    pub sub: String,
    pub email: String,
    pub status: AgentStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Available,
    /// On a call: the transfer would be refused.
    OnACall,
    /// Do not disturb: the transfer would be refused.
    DoNotDisturb,
}

/// The other agents with the app open on this server, available ones first, then by e-mail;
/// only for an agent on a call ([`ApiError::NotOnACall`]).
#[server(endpoint = "calls/transfer_targets", input = Json)]
pub async fn transfer_targets() -> Result<Vec<TransferTarget>, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let online = services.telephony.agents_online();
    if !online.iter().any(|a| a.sub == me.sub && a.on_a_call) {
        return Err(ApiError::NotOnACall);
    }
    let mut targets = Vec::new();
    for agent in online {
        if agent.sub == me.sub {
            continue;
        }
        let dnd = services.store.preferences(&agent.sub).await?.do_not_disturb;
        let status = match (dnd, agent.on_a_call) {
            (true, _) => AgentStatus::DoNotDisturb,
            (false, true) => AgentStatus::OnACall,
            (false, false) => AgentStatus::Available,
        };
        targets.push(TransferTarget {
            sub: agent.sub,
            email: agent.email,
            status,
        });
    }
    targets.sort_by(|a, b| {
        (a.status != AgentStatus::Available, &a.email)
            .cmp(&(b.status != AgentStatus::Available, &b.email))
    });
    Ok(targets)
}
