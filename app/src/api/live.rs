//! The live channel: one authenticated WebSocket per tab (`/api/live`) that carries the SDP
//! offer/answer of a call and every state change of the user's call, to every tab of the user.
//! JSON text frames, tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::domain::call::CallState;

pub const PATH: &str = "/api/live";

/// Largest frame the server accepts from a browser (an SDP offer is ~2–4 KB).
pub const MAX_CLIENT_FRAME: usize = 32 * 1024;

/// A call as every tab of its user sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCall {
    pub id: String,
    pub e164: String,
    /// The contact's name when the number is in the user's contacts.
    pub contact_name: Option<String>,
    pub state: CallState,
    /// Milliseconds since the epoch.
    pub started_at: u64,
    pub answered_at: Option<u64>,
    /// The connection that holds the call's audio (the tab that placed it).
    pub media_connection: Option<u64>,
}

/// ICE servers handed to the browser (TURN for deployments behind NAT).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// The browser's SDP offer for a call started with `start_call`.
    Offer {
        call_id: String,
        sdp: String,
    },
    Hangup {
        call_id: String,
    },
    /// Mute is done in the browser (the track sends silence); this keeps every tab and the
    /// call state honest about it.
    Mute {
        call_id: String,
        muted: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message on every connection: who this connection is, the user's current call
    /// (if any) and the ICE servers to use.
    Hello {
        connection: u64,
        call: Option<LiveCall>,
        ice_servers: Vec<IceServer>,
    },
    /// The gateway's SDP answer to this connection's offer.
    Answer { call_id: String, sdp: String },
    /// The user's call changed (sent to every tab).
    Call { call: LiveCall },
    /// A request on this connection failed; `message` says why in plain words.
    Error {
        call_id: Option<String>,
        message: String,
    },
}

/// What `start_call` answers: the call's record id and the number actually dialled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTicket {
    pub call_id: String,
    pub e164: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_tagged_json() {
        let m = ClientMessage::Offer {
            call_id: "c1".into(),
            sdp: "v=0".into(),
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(text, r#"{"type":"offer","call_id":"c1","sdp":"v=0"}"#);
        assert_eq!(serde_json::from_str::<ClientMessage>(&text).unwrap(), m);
        let s = ServerMessage::Call {
            call: LiveCall {
                id: "c1".into(),
                e164: "+6560000001".into(),
                contact_name: None,
                state: CallState::Connected {
                    muted: true,
                    on_hold: false,
                },
                started_at: 1,
                answered_at: Some(2),
                media_connection: Some(7),
            },
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<ServerMessage>(&text).unwrap(), s);
    }

    #[test]
    fn unknown_or_malformed_messages_are_errors() {
        for bad in [
            "",
            "{}",
            r#"{"type":"dial"}"#,
            r#"{"type":"offer","call_id":1}"#,
            "[1,2]",
        ] {
            assert!(serde_json::from_str::<ClientMessage>(bad).is_err(), "{bad}");
        }
    }
}
