//! The call's audio through an Amazon Chime SDK meeting (the `chime` shape): a thin Rust face on
//! the Chime browser module (`chime-client/src/chime.js`, amazon-chime-sdk-js bundled into
//! `public/chime/` by `scripts/chime-bundle.sh`). The bundle (~320 KB gz) is fetched only when a
//! session is joined, and with lazy routes (`split`) this glue is in its own WASM chunk, so the
//! other shapes' first load does not grow. See docs/chime.md ("The browser").
//!
//! The event and error types are plain Rust (tested natively); the glue is browser only.

use serde::{Deserialize, Serialize};

/// Where the bundle is served (absolute path; the version is the locked amazon-chime-sdk-js's,
/// so a new SDK is a new URL, as files in `public/` get no content hash).
pub const BUNDLE_PATH: &str = "/chime/chime-sdk-3.32.0.js";

/// How long the SDK keeps retrying a lost or failed connection before it gives up with
/// [`ChimeEnd::FailedToConnect`] or [`ChimeEnd::ConnectionLost`] (its default is 120 s).
pub const RECONNECT_TIMEOUT_MS: u32 = 10_000;

/// What the meeting session reports, as the Chime browser module words the SDK's observer
/// events. `Ended` comes once and last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChimeEvent {
    /// `audioVideoDidStartConnecting`: joining, or reconnecting after a drop.
    Connecting { reconnecting: bool },
    /// `audioVideoDidStart`: audio flows.
    Connected,
    /// `connectionDidBecomePoor`.
    PoorConnection,
    /// `connectionDidBecomeGood`: the poor connection recovered.
    GoodConnection,
    /// The meeting's mute state of our audio changed (`realtimeSubscribeToMuteAndUnmuteLocalAudio`).
    Muted { muted: bool },
    /// `audioVideoDidStop`: the session is over, with why and the SDK's status code.
    Ended {
        reason: ChimeEnd,
        status: u32,
        #[serde(rename = "statusName", default)]
        status_name: String,
    },
}

/// Why a session ended, from the SDK's `MeetingSessionStatusCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChimeEnd {
    /// We left (`Left`).
    Left,
    /// The meeting was deleted (`MeetingEnded`): the call is over on the server's side.
    MeetingEnded,
    /// Our attendee was removed or its audio disconnected by the service.
    Removed,
    /// The same attendee joined from another tab or device.
    JoinedElsewhere,
    /// The join token was refused.
    Rejected,
    /// The meeting is at capacity.
    MeetingFull,
    /// Audio never connected within the reconnect timeout (signalling or media unreachable).
    FailedToConnect,
    /// Audio had connected, then was lost for longer than the reconnect timeout.
    ConnectionLost,
    /// A word this build does not know (a newer bundle).
    #[serde(other)]
    Other,
}

impl ChimeEnd {
    /// The session ended by a fault rather than by us or the meeting's end.
    pub fn is_failure(self) -> bool {
        !matches!(self, Self::Left | Self::MeetingEnded)
    }
}

impl ChimeEvent {
    /// An event from the module's JSON; `None` for a type this build does not know.
    pub fn from_json(json: &str) -> Option<Self> {
        // `from_slice` like the live channel and server functions: one copy of serde's reader.
        serde_json::from_slice(json.as_bytes()).ok()
    }
}

/// What went wrong with a Chime session, with the browser's or the SDK's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChimeError {
    /// The bundle could not be fetched or run (offline, not built: `scripts/setup.sh` builds it).
    #[error("the Chime SDK could not be loaded: {0}")]
    Load(String),
    /// The SDK refused the meeting or attendee JSON, or the microphone.
    #[error("the Chime meeting could not be joined: {0}")]
    Join(String),
    /// The microphone could not be switched.
    #[error("the microphone could not be changed: {0}")]
    Input(String),
    /// The output device could not be chosen (no `setSinkId`, or the device is gone).
    #[error("the audio output could not be changed: {0}")]
    Output(String),
    /// Leaving failed (the session is dropped all the same).
    #[error("leaving the Chime meeting failed: {0}")]
    Leave(String),
}

#[cfg(feature = "hydrate")]
mod glue;
#[cfg(feature = "hydrate")]
pub use glue::{ChimeInput, ChimeSession};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_from_the_modules_words() {
        let cases = [
            (
                r#"{"type":"connecting","reconnecting":false}"#,
                ChimeEvent::Connecting {
                    reconnecting: false,
                },
            ),
            (r#"{"type":"connected"}"#, ChimeEvent::Connected),
            (r#"{"type":"poor_connection"}"#, ChimeEvent::PoorConnection),
            (r#"{"type":"good_connection"}"#, ChimeEvent::GoodConnection),
            (
                r#"{"type":"muted","muted":true}"#,
                ChimeEvent::Muted { muted: true },
            ),
            (
                r#"{"type":"ended","reason":"failed_to_connect","status":18,"statusName":"TaskFailed"}"#,
                ChimeEvent::Ended {
                    reason: ChimeEnd::FailedToConnect,
                    status: 18,
                    status_name: "TaskFailed".into(),
                },
            ),
        ];
        for (json, event) in cases {
            assert_eq!(ChimeEvent::from_json(json), Some(event.clone()), "{json}");
            let back = serde_json::to_string(&event).expect("serialises");
            assert_eq!(ChimeEvent::from_json(&back), Some(event), "{back}");
        }
    }

    #[test]
    fn every_end_reason_the_module_sends_is_known() {
        let module = include_str!("../../../chime-client/src/chime.js");
        for (word, reason) in [
            ("left", ChimeEnd::Left),
            ("meeting_ended", ChimeEnd::MeetingEnded),
            ("removed", ChimeEnd::Removed),
            ("joined_elsewhere", ChimeEnd::JoinedElsewhere),
            ("rejected", ChimeEnd::Rejected),
            ("meeting_full", ChimeEnd::MeetingFull),
            ("failed_to_connect", ChimeEnd::FailedToConnect),
            ("connection_lost", ChimeEnd::ConnectionLost),
        ] {
            assert!(
                module.contains(&format!("\"{word}\"")),
                "chime.js sends {word}"
            );
            let json = format!(r#"{{"type":"ended","reason":"{word}","status":1}}"#);
            let Some(ChimeEvent::Ended { reason: parsed, .. }) = ChimeEvent::from_json(&json)
            else {
                panic!("{json} does not parse");
            };
            assert_eq!(parsed, reason);
        }
        let newer = r#"{"type":"ended","reason":"something_new","status":99}"#;
        assert!(matches!(
            ChimeEvent::from_json(newer),
            Some(ChimeEvent::Ended {
                reason: ChimeEnd::Other,
                ..
            })
        ));
        assert_eq!(ChimeEvent::from_json(r#"{"type":"unheard_of"}"#), None);
        assert!(!ChimeEnd::Left.is_failure() && ChimeEnd::FailedToConnect.is_failure());
    }

    #[test]
    fn the_bundle_path_names_the_locked_sdk_version() {
        let lock: serde_json::Value =
            serde_json::from_str(include_str!("../../../chime-client/package-lock.json"))
                .expect("chime-client/package-lock.json is JSON");
        let version = lock["packages"]["node_modules/amazon-chime-sdk-js"]["version"]
            .as_str()
            .expect("the lock names amazon-chime-sdk-js");
        assert_eq!(BUNDLE_PATH, format!("/chime/chime-sdk-{version}.js"));
    }
}
