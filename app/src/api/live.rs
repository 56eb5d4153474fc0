//! The live channel: one authenticated WebSocket per tab (`/api/live`) that carries the SDP
//! offer/answer of a call and every state change of the user's call, to every tab of the user.
//! JSON text frames, tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::domain::call::CallState;
use crate::domain::recordings::RecordingMode;

pub const PATH: &str = "/api/live";

/// The close code of a live channel whose session ended (signed out everywhere, a password
/// reset, the account gone): the tab shows the signed-out state.
pub const SESSION_ENDED: u16 = 4401;
/// The close code at the access token's expiry when the server cannot look the session up
/// (a provider other than the local one): the tab reconnects at once with refreshed cookies.
pub const TOKEN_EXPIRED: u16 = 4408;

/// How long a REST call waits for the agent to confirm it in the app; then it ends.
pub const CONFIRM_WINDOW_MS: u64 = 30_000;

/// Largest frame the server accepts from a browser (an SDP offer is ~2–4 KB).
pub const MAX_CLIENT_FRAME: usize = 32 * 1024;

/// A call as every tab of its user sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCall {
    pub id: String,
    /// The number called, or for a call in the caller's (empty: withheld).
    pub e164: String,
    /// A call in (answered by this user), not one they placed.
    #[serde(default)]
    pub inbound: bool,
    /// The contact's name when the number is in the user's contacts.
    pub contact_name: Option<String>,
    pub state: CallState,
    /// Milliseconds since the epoch.
    pub started_at: u64,
    pub answered_at: Option<u64>,
    /// The connection that holds the call's audio (the tab that placed it).
    pub media_connection: Option<u64>,
    /// Placed through the REST API: the first of the user's tabs to take it up carries its
    /// audio (a call dialled in a tab is that tab's).
    #[serde(default)]
    pub from_api: bool,
    /// Placed through the REST API for a user who confirms such calls: a tab asks the agent
    /// before it opens the microphone, and the call waits [`CONFIRM_WINDOW_MS`] for that.
    #[serde(default)]
    pub confirm: bool,
    /// The user's recording preference, as it was when the call started.
    #[serde(default)]
    pub recording_mode: RecordingMode,
    #[serde(default)]
    pub recording: Option<LiveRecording>,
    /// The agent's hand-over of this call to another agent or a phone number, while it rings
    /// or after it did not go through (a number's answer also shows on the ended call).
    #[serde(default)]
    pub transfer: Option<LiveTransfer>,
    /// A colleague consults this user about their call (a warm transfer, before it is handed
    /// over): their e-mail. The call's far end is on hold meanwhile and does not hear them.
    #[serde(default)]
    pub consult_with: Option<String>,
}

/// A transfer of the call to another agent ([`ClientMessage::Transfer`]) or to a phone number
/// ([`ClientMessage::TransferToNumber`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveTransfer {
    /// The agent it goes to (their account's id), and how colleagues see them (their e-mail);
    /// for a number ([`LiveTransfer::number`]): its E.164 and the agent's contact name for it,
    /// or the number written out.
    pub to: String,
    #[serde(default)]
    pub name: String,
    pub state: TransferState,
    /// To a phone number rather than to another agent.
    #[serde(default)]
    pub number: bool,
    /// A warm transfer to a number: the agent talks with it first
    /// ([`TransferState::Consulting`]) and then connects it or returns to the far end.
    #[serde(default)]
    pub consult: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// It rings for them; the far end hears music on hold.
    Ringing,
    /// They declined it: the call is still this agent's, held.
    Declined,
    /// It rang out (or their app closed): the call is still this agent's, held.
    NoAnswer,
    /// A number: it was busy. The call is still this agent's, held.
    Busy,
    /// A number: the network refused the call to it (not in service, barred…).
    Refused,
    /// A number: the network could not be reached, or the call to it failed.
    Unreachable,
    /// A number: it answered, and the far end talks with it now (the call ended here as
    /// transferred).
    Answered,
    /// A number consulted (a warm transfer): it answered and the agent talks with it while
    /// the far end hears music on hold; [`ClientMessage::CompleteTransfer`] connects them,
    /// [`ClientMessage::Hold`] off returns to the far end.
    Consulting,
    /// A number consulted hung up: the call is still this agent's, held.
    HungUp,
}

/// The call's recording, for the REC indicator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRecording {
    pub id: String,
    pub state: LiveRecordingState,
    /// Milliseconds since the epoch.
    pub started_at: u64,
    /// Time spent paused in pauses that have ended.
    pub paused_ms: u64,
    /// When the current pause began.
    pub paused_since: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveRecordingState {
    Recording,
    Paused,
    /// Stopped for the rest of the call (a call is recorded once).
    Stopped,
}

impl LiveRecording {
    /// Recorded time so far (pauses excluded).
    pub fn elapsed_ms(&self, now: u64) -> u64 {
        let paused_now = self.paused_since.map_or(0, |p| now.saturating_sub(p));
        now.saturating_sub(self.started_at)
            .saturating_sub(self.paused_ms + paused_now)
    }
}

/// What the record controls ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordAction {
    Start,
    Pause,
    Resume,
    Stop,
}

/// How a call's audio reaches the server's telephony: the server says which in `Hello`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioPath {
    /// A peer connection to our media gateway: the tab sends an SDP offer (`Offer`) and keys
    /// as RFC 4733 in the audio.
    #[default]
    Gateway,
    /// An Amazon Chime SDK meeting, joined with amazon-chime-sdk-js: the tab asks for the
    /// meeting (`Join`) and sends keys as `Digits` (a meeting carries no DTMF).
    ChimeMeeting,
}

/// A call in ringing for the user: every tab of each agent it rings shows it, with Answer and
/// Decline. Its `id` becomes the call's id once an agent answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingCall {
    pub id: String,
    /// The caller's number (E.164); `None` when the caller withheld it.
    pub from: Option<String>,
    /// The contact's name when the caller's number is in the user's contacts.
    pub contact_name: Option<String>,
    /// The business's number the caller dialled (E.164).
    pub to: String,
    /// Milliseconds since the epoch.
    pub started_at: u64,
    /// A colleague hands over a call they are on (a transfer), rather than a new call in.
    #[serde(default)]
    pub transferred: bool,
    /// The colleague wants to talk about it first (a warm transfer): answering starts a
    /// consultation with them, and they connect the call or take it back.
    #[serde(default)]
    pub consult: bool,
}

/// How a call in stopped ringing for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomingEnd {
    /// This user answered it (in one of their tabs): it is now their call.
    Answered,
    /// Someone else answered it first.
    AnsweredElsewhere,
    /// This user declined it.
    Declined,
    /// Nobody answered in time, or everyone declined: a missed call.
    Missed,
    /// The caller hung up before anyone answered: a missed call too.
    CallerHungUp,
}

/// ICE servers handed to the browser (TURN for deployments behind NAT).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

// Not `Eq`: a quality summary carries measurements (`f64`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// The browser's SDP offer for a call started with `start_call`.
    Offer {
        call_id: String,
        sdp: String,
    },
    /// The call's Chime meeting and this tab's attendee, to join (`AudioPath::ChimeMeeting`).
    Join {
        call_id: String,
    },
    /// Keys to send to the called party (`AudioPath::ChimeMeeting`): `0-9 * #`, at most 50.
    Digits {
        call_id: String,
        digits: String,
    },
    Hangup {
        call_id: String,
    },
    /// The agent did not take up a REST call that asked for confirmation: Cancel pressed, or
    /// (`timed_out`) no answer within [`CONFIRM_WINDOW_MS`]. The call ends, cancelled.
    Decline {
        call_id: String,
        timed_out: bool,
    },
    /// Mute is done in the browser (the track sends silence); this keeps every tab and the
    /// call state honest about it.
    Mute {
        call_id: String,
        muted: bool,
    },
    /// The agent holds the call (`on_hold`) or takes it back: the far end hears music on hold
    /// and the agent nothing; every tab shows it. Calls through the gateway only
    /// ([`AudioPath::Gateway`]).
    Hold {
        call_id: String,
        on_hold: bool,
    },
    Record {
        call_id: String,
        action: RecordAction,
    },
    /// The agent hands the answered call to another agent (`to`: their account's id): the far
    /// end is held (music) while it rings for them; their answer makes it their call and ends
    /// it for this agent; a decline or no answer leaves it held here ([`LiveCall::transfer`]
    /// says which). Calls through the gateway only ([`AudioPath::Gateway`]). With `consult`
    /// (a warm transfer) their answer starts a consultation: the two agents talk while the far
    /// end holds, then [`ClientMessage::CompleteTransfer`] hands the call over or Resume takes
    /// it back.
    Transfer {
        call_id: String,
        to: String,
        #[serde(default)]
        consult: bool,
    },
    /// The agent answers the ringing call `call_id` in this tab (its offer follows, as for a
    /// call dialled here). A call the agent is on ends first: a waiting call is answered by
    /// hanging up the current one.
    /// The agent sends the answered call on to a phone number (`number`: E.164, or as typed
    /// with its `+` country code), under the same policy, spend limits and audit as dialling
    /// it. The far end is held (music) while it rings; once it answers, the far end and the
    /// number talk to each other and the call ends for this agent as transferred; busy, no
    /// answer or a refusal leave it held here ([`LiveCall::transfer`] says which). Calls
    /// through the gateway only ([`AudioPath::Gateway`]).
    ///
    /// With `consult` (a warm transfer; absent: `false`) the number's answer does not hand the
    /// call over: the agent talks with the number while the far end hears the music
    /// ([`TransferState::Consulting`]), then connects them ([`ClientMessage::CompleteTransfer`])
    /// or returns to the far end (Resume: [`ClientMessage::Hold`] off, which hangs up on the
    /// number).
    TransferToNumber {
        call_id: String,
        number: String,
        #[serde(default)]
        consult: bool,
    },
    /// The agent connects the far end with the number they are consulting and leaves the call
    /// (it ends here as transferred, as a blind transfer's answer does).
    CompleteTransfer {
        call_id: String,
    },
    AnswerIncoming {
        call_id: String,
    },
    /// The agent declines the ringing call `call_id` (it goes on ringing for the others).
    DeclineIncoming {
        call_id: String,
    },
    /// How the call `call_id` sounded in this tab, sent once its audio closes
    /// (`domain::quality`): kept with the call and shown on its page in Recents.
    CallQuality {
        call_id: String,
        summary: crate::domain::quality::Summary,
    },
}

/// Most keys one [`ClientMessage::Digits`] may carry.
pub const MAX_DIGITS: usize = 50;

/// Whether `digits` is what a [`ClientMessage::Digits`] may carry: 1 to [`MAX_DIGITS`] of
/// `0-9 * #`.
pub fn valid_digits(digits: &str) -> bool {
    !digits.is_empty()
        && digits.len() <= MAX_DIGITS
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
}

/// Read through [`ServerMessageWire`] (same JSON; see there why).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message on every connection: who this connection is, the user's current call
    /// (if any) and the ICE servers to use.
    Hello {
        connection: u64,
        call: Option<LiveCall>,
        ice_servers: Vec<IceServer>,
        /// How calls' audio flows on this server.
        #[serde(default)]
        audio_path: AudioPath,
        /// Calls in ringing for the user right now.
        #[serde(default)]
        ringing: Vec<IncomingCall>,
    },
    /// New ICE servers for this connection's next calls: TURN credentials made per user expire,
    /// so an open connection gets fresh ones before they do (`docs/telephony.md`, "TURN").
    IceServers { ice_servers: Vec<IceServer> },
    /// The gateway's SDP answer to this connection's offer.
    Answer { call_id: String, sdp: String },
    /// The call's meeting and this tab's attendee, as the Chime SDK's `CreateMeeting` and
    /// `CreateAttendee` return them (JSON texts, handed unchanged to amazon-chime-sdk-js).
    Join {
        call_id: String,
        meeting: String,
        attendee: String,
    },
    /// The user's call changed (sent to every tab).
    Call { call: LiveCall },
    /// A call in rings for the user (sent to every tab).
    Incoming { incoming: IncomingCall },
    /// A call in stopped ringing for the user, and why.
    IncomingEnded { call_id: String, end: IncomingEnd },
    /// A request on this connection failed; `message` says why in plain words.
    Error {
        call_id: Option<String>,
        message: String,
    },
}

/// `ServerMessage` as the browser reads it: one flat record of every variant's fields, then
/// checked against the `type`. The JSON is the same as the derived, internally tagged form's;
/// serde reads an internally tagged enum by buffering each message into a generic tree first,
/// and that code (every field type read twice over) was ~20 KB of the browser's first load
/// (docs/bench.md, "First load").
#[derive(Deserialize)]
struct ServerMessageWire {
    #[serde(rename = "type")]
    kind: ServerMessageKind,
    connection: Option<u64>,
    call: Option<LiveCall>,
    ice_servers: Option<Vec<IceServer>>,
    audio_path: Option<AudioPath>,
    call_id: Option<String>,
    sdp: Option<String>,
    meeting: Option<String>,
    attendee: Option<String>,
    message: Option<String>,
    incoming: Option<IncomingCall>,
    ringing: Option<Vec<IncomingCall>>,
    end: Option<IncomingEnd>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ServerMessageKind {
    Hello,
    IceServers,
    Answer,
    Join,
    Call,
    Incoming,
    IncomingEnded,
    Error,
}

impl<'de> Deserialize<'de> for ServerMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let w = ServerMessageWire::deserialize(deserializer)?;
        fn need<T, E: Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
            value.ok_or_else(|| E::missing_field(field))
        }
        Ok(match w.kind {
            ServerMessageKind::Hello => ServerMessage::Hello {
                connection: need(w.connection, "connection")?,
                call: w.call,
                ice_servers: need(w.ice_servers, "ice_servers")?,
                audio_path: w.audio_path.unwrap_or_default(),
                ringing: w.ringing.unwrap_or_default(),
            },
            ServerMessageKind::IceServers => ServerMessage::IceServers {
                ice_servers: need(w.ice_servers, "ice_servers")?,
            },
            ServerMessageKind::Answer => ServerMessage::Answer {
                call_id: need(w.call_id, "call_id")?,
                sdp: need(w.sdp, "sdp")?,
            },
            ServerMessageKind::Join => ServerMessage::Join {
                call_id: need(w.call_id, "call_id")?,
                meeting: need(w.meeting, "meeting")?,
                attendee: need(w.attendee, "attendee")?,
            },
            ServerMessageKind::Call => ServerMessage::Call {
                call: need(w.call, "call")?,
            },
            ServerMessageKind::Incoming => ServerMessage::Incoming {
                incoming: need(w.incoming, "incoming")?,
            },
            ServerMessageKind::IncomingEnded => ServerMessage::IncomingEnded {
                call_id: need(w.call_id, "call_id")?,
                end: need(w.end, "end")?,
            },
            ServerMessageKind::Error => ServerMessage::Error {
                call_id: w.call_id,
                message: need(w.message, "message")?,
            },
        })
    }
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
    fn a_quality_summary_travels_with_its_call_id() {
        use crate::domain::quality::{Summary, Warning};
        let m = ClientMessage::CallQuality {
            call_id: "c1".into(),
            summary: Summary {
                rated: 3,
                worst_mos: Some(3.5),
                mos_sum: 12.0,
                max_loss_percent: 4.0,
                max_jitter_ms: 9.5,
                max_rtt_ms: Some(20.0),
                warnings: vec![Warning::HighPacketLoss],
            },
        };
        let text = serde_json::to_string(&m).unwrap();
        assert!(
            text.starts_with(r#"{"type":"call_quality","call_id":"c1","summary":{"#),
            "{text}"
        );
        assert!(
            text.contains(r#""warnings":["high_packet_loss"]"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<ClientMessage>(&text).unwrap(), m);
        // A summary with a field missing or of the wrong type is not a message.
        for bad in [
            r#"{"type":"call_quality","call_id":"c1"}"#,
            r#"{"type":"call_quality","call_id":"c1","summary":{"rated":"x"}}"#,
            r#"{"type":"call_quality","call_id":"c1","summary":{"rated":1,"worst_mos":4,"mos_sum":4,"max_loss_percent":0,"max_jitter_ms":0,"max_rtt_ms":1,"warnings":["loud"]}}"#,
        ] {
            assert!(serde_json::from_str::<ClientMessage>(bad).is_err(), "{bad}");
        }
    }

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
                inbound: false,
                id: "c1".into(),
                e164: "+6560000001".into(),
                contact_name: None,
                state: CallState::Connected {
                    muted: true,
                    on_hold: false,
                    held_by_far_end: false,
                },
                started_at: 1,
                answered_at: Some(2),
                media_connection: Some(7),
                from_api: false,
                confirm: false,
                recording_mode: RecordingMode::Ask,
                recording: Some(LiveRecording {
                    id: "r1".into(),
                    state: LiveRecordingState::Paused,
                    started_at: 10,
                    paused_ms: 5,
                    paused_since: Some(20),
                }),
                transfer: Some(LiveTransfer {
                    to: "bob-sub".into(),
                    name: "bob@example.com".into(),
                    state: TransferState::Declined,
                    number: false,
                    consult: false,
                }),
                consult_with: None,
            },
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<ServerMessage>(&text).unwrap(), s);
    }

    #[test]
    fn every_server_message_reads_back_and_missing_fields_are_named() {
        let call = LiveCall {
            inbound: false,
            id: "c1".into(),
            e164: "+50761234567".into(),
            contact_name: Some("Ana".into()),
            state: CallState::Ringing,
            started_at: 1,
            answered_at: None,
            media_connection: None,
            from_api: true,
            confirm: true,
            recording_mode: RecordingMode::Ask,
            recording: None,
            transfer: None,
            consult_with: None,
        };
        let ice = vec![IceServer {
            urls: vec!["stun:s.example.com".into()],
            username: None,
            credential: None,
        }];
        let ringing = IncomingCall {
            id: "i1".into(),
            from: Some("+6591234567".into()),
            contact_name: Some("Wei".into()),
            to: "+6560000000".into(),
            started_at: 5,
            transferred: false,
            consult: false,
        };
        let withheld = IncomingCall {
            id: "i2".into(),
            from: None,
            contact_name: None,
            ..ringing.clone()
        };
        for m in [
            ServerMessage::Hello {
                connection: 3,
                call: Some(call.clone()),
                ice_servers: ice.clone(),
                audio_path: AudioPath::ChimeMeeting,
                ringing: vec![],
            },
            ServerMessage::Hello {
                connection: 4,
                call: None,
                ice_servers: vec![],
                audio_path: AudioPath::Gateway,
                ringing: vec![ringing.clone(), withheld.clone()],
            },
            ServerMessage::Incoming {
                incoming: ringing.clone(),
            },
            ServerMessage::Incoming { incoming: withheld },
            ServerMessage::IncomingEnded {
                call_id: "i1".into(),
                end: IncomingEnd::AnsweredElsewhere,
            },
            ServerMessage::IceServers { ice_servers: ice },
            ServerMessage::Answer {
                call_id: "c1".into(),
                sdp: "v=0".into(),
            },
            ServerMessage::Join {
                call_id: "c1".into(),
                meeting: "{}".into(),
                attendee: "{}".into(),
            },
            ServerMessage::Call { call },
            ServerMessage::Error {
                call_id: None,
                message: "no".into(),
            },
        ] {
            let text = serde_json::to_string(&m).unwrap();
            assert_eq!(
                serde_json::from_str::<ServerMessage>(&text).unwrap(),
                m,
                "{text}"
            );
        }
        // Older servers sent no audio path: the gateway's.
        let hello: ServerMessage =
            serde_json::from_str(r#"{"type":"hello","connection":1,"ice_servers":[]}"#).unwrap();
        assert!(matches!(
            hello,
            ServerMessage::Hello {
                audio_path: AudioPath::Gateway,
                call: None,
                ..
            }
        ));
        let e = serde_json::from_str::<ServerMessage>(r#"{"type":"answer","call_id":"c"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("missing field `sdp`"), "{e}");
        let e = serde_json::from_str::<ServerMessage>(r#"{"type":"incoming_ended","call_id":"c"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("missing field `end`"), "{e}");
        let e = serde_json::from_str::<ServerMessage>(
            r#"{"type":"incoming","incoming":{"id":"i","from":null,"to":"+6560000000"}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("missing field `started_at`"), "{e}");
        let e = serde_json::from_str::<ServerMessage>(r#"{"type":"bye"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown variant `bye`"), "{e}");
        let e = serde_json::from_str::<ServerMessage>(r#"{"call_id":"c"}"#).unwrap_err();
        assert!(e.to_string().contains("missing field `type`"), "{e}");
    }

    #[test]
    fn renewed_ice_servers_on_the_wire() {
        let m = ServerMessage::IceServers {
            ice_servers: vec![IceServer {
                urls: vec!["turn:t.example.com:3478".into()],
                username: Some("1700003600:sub".into()),
                credential: Some("c2VjcmV0".into()),
            }],
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(
            text,
            r#"{"type":"ice_servers","ice_servers":[{"urls":["turn:t.example.com:3478"],"username":"1700003600:sub","credential":"c2VjcmV0"}]}"#
        );
        assert_eq!(serde_json::from_str::<ServerMessage>(&text).unwrap(), m);
    }

    #[test]
    fn recorded_time_leaves_out_pauses() {
        let r = LiveRecording {
            id: "r".into(),
            state: LiveRecordingState::Paused,
            started_at: 1_000,
            paused_ms: 2_000,
            paused_since: Some(8_000),
        };
        assert_eq!(r.elapsed_ms(10_000), 5_000);
        let running = LiveRecording {
            paused_since: None,
            ..r
        };
        assert_eq!(running.elapsed_ms(10_000), 7_000);
        let m: ClientMessage =
            serde_json::from_str(r#"{"type":"record","call_id":"c","action":"pause"}"#).unwrap();
        assert_eq!(
            m,
            ClientMessage::Record {
                call_id: "c".into(),
                action: RecordAction::Pause
            }
        );
        assert!(serde_json::from_str::<ClientMessage>(
            r#"{"type":"record","call_id":"c","action":"rewind"}"#
        )
        .is_err());
    }

    #[test]
    fn transfer_to_a_number_reads_and_older_transfers_are_to_agents() {
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"transfer_to_number","call_id":"c","number":"+6560000010"}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            ClientMessage::TransferToNumber {
                call_id: "c".into(),
                number: "+6560000010".into(),
                consult: false,
            }
        );
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"transfer_to_number","call_id":"c","number":"+6560000010","consult":true}"#,
        )
        .unwrap();
        assert!(matches!(
            m,
            ClientMessage::TransferToNumber { consult: true, .. }
        ));
        let m: ClientMessage =
            serde_json::from_str(r#"{"type":"complete_transfer","call_id":"c"}"#).unwrap();
        assert_eq!(
            m,
            ClientMessage::CompleteTransfer {
                call_id: "c".into()
            }
        );
        // A transfer written before numbers could be the target: to an agent.
        let t: LiveTransfer =
            serde_json::from_str(r#"{"to":"bob-sub","name":"bob@example.com","state":"ringing"}"#)
                .unwrap();
        assert!(!t.number);
        let busy: TransferState = serde_json::from_str(r#""busy""#).unwrap();
        assert_eq!(busy, TransferState::Busy);
    }

    #[test]
    fn keys_are_digits_star_and_hash_at_most_fifty() {
        let most = "9".repeat(MAX_DIGITS);
        for ok in ["1", "0123456789*#", most.as_str()] {
            assert!(valid_digits(ok), "{ok}");
        }
        let too_many = "1".repeat(MAX_DIGITS + 1);
        for bad in ["", "12a", "1,2", "١", "+1", " 1", too_many.as_str()] {
            assert!(!valid_digits(bad), "{bad}");
        }
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
