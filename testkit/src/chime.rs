//! The browser's part in a Chime meeting through the stand-in's signalling (feature `chime`):
//! a WebSocket that speaks as amazon-chime-sdk-js does (the `_aws_wt_session` subprotocol and
//! the join token, the SDK's query string, `0x05` + protobuf `SdkSignalFrame`s), and
//! [`join_meeting`], which joins with the `Meeting`/`Attendee` JSON the server hands the
//! browser and leaves a [`BrowserPeer`] carrying the meeting's audio. Shared by the stand-in's
//! tests and the server's Chime call tests.

use std::time::Duration;

use chime_standin::signal::proto::*;
use chime_standin::signal::SESSION_PROTOCOL;
use futures_util::{SinkExt, StreamExt};
use prost::Message as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::peer::BrowserPeer;
use crate::rig::LOOPBACK;

/// How long any one reply may take.
pub const WITHIN: Duration = Duration::from_secs(5);

pub type Socket = WebSocketStream<TcpStream>;

/// Why [`join_meeting`] did not get the peer into the meeting.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("the {0} JSON is not JSON: {1}")]
    NotJson(&'static str, String),
    #[error("the join JSON has no {0}")]
    Missing(&'static str),
    #[error("the signalling handshake was refused with HTTP {0}")]
    Refused(u16),
    #[error("the peer: {0}")]
    Peer(#[from] std::io::Error),
    #[error("the signalling socket: {0}")]
    Socket(String),
    #[error("no {0} within {WITHIN:?}")]
    NoReply(&'static str),
}

/// A browser in a meeting: its audio, and its signalling socket (kept open: closing it is
/// leaving).
pub struct MeetingPeer {
    pub peer: BrowserPeer,
    pub socket: Socket,
    pub meeting_id: String,
    pub attendee_id: String,
}

impl MeetingPeer {
    /// Waits (at most `within`) for the stand-in to close the session; its close code (`None`
    /// for a close without one, or the socket simply ending). Frames before it are skipped.
    pub async fn closed(&mut self, within: Duration) -> Result<Option<u16>, JoinError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Err(JoinError::NoReply("close")),
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => return Err(JoinError::Socket(e.to_string())),
                Ok(Some(Ok(Message::Close(frame)))) => return Ok(frame.map(|f| f.code.into())),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// Joins the meeting as amazon-chime-sdk-js does, from the JSON texts `CreateMeeting` and
/// `CreateAttendee` return (`{"Meeting": …}`, `{"Attendee": …}`): the signalling socket at the
/// meeting's `SignalingUrl` with the attendee's `JoinToken`, JOIN (→ JOIN_ACK, INDEX), then
/// SUBSCRIBE with a fresh str0m peer's offer, whose SDP answer the peer applies. The peer
/// records what it hears.
pub async fn join_meeting(meeting: &str, attendee: &str) -> Result<MeetingPeer, JoinError> {
    let meeting: serde_json::Value =
        serde_json::from_str(meeting).map_err(|e| JoinError::NotJson("meeting", e.to_string()))?;
    let attendee: serde_json::Value = serde_json::from_str(attendee)
        .map_err(|e| JoinError::NotJson("attendee", e.to_string()))?;
    let text = |v: &serde_json::Value, name: &'static str| {
        v.as_str()
            .map(str::to_string)
            .ok_or(JoinError::Missing(name))
    };
    let meeting = &meeting["Meeting"];
    let attendee = &attendee["Attendee"];
    let meeting_id = text(&meeting["MeetingId"], "MeetingId")?;
    let url = text(&meeting["MediaPlacement"]["SignalingUrl"], "SignalingUrl")?;
    let audio_host = text(&meeting["MediaPlacement"]["AudioHostUrl"], "AudioHostUrl")?;
    let token = text(&attendee["JoinToken"], "JoinToken")?;
    let attendee_id = text(&attendee["AttendeeId"], "AttendeeId")?;

    let (mut socket, _) = connect(&url, &[SESSION_PROTOCOL, &token])
        .await
        .map_err(JoinError::Refused)?;
    send(&mut socket, join()).await;
    let mut acked = false;
    let mut indexed = false;
    while !(acked && indexed) {
        match kind(&frame_within(&mut socket, "JOIN_ACK and INDEX").await?) {
            Some(FrameType::JoinAck) => acked = true,
            Some(FrameType::Index) => indexed = true,
            _ => {}
        }
    }
    let mut peer = BrowserPeer::new(LOOPBACK, true).await?;
    send(&mut socket, subscribe(&peer.offer, &audio_host)).await;
    let answer = loop {
        let frame = frame_within(&mut socket, "SUBSCRIBE_ACK").await?;
        if kind(&frame) == Some(FrameType::SubscribeAck) {
            break frame
                .suback
                .and_then(|s| s.sdp_answer)
                .ok_or(JoinError::Missing("SUBSCRIBE_ACK's SDP answer"))?;
        }
    };
    peer.accept_answer(answer);
    Ok(MeetingPeer {
        peer,
        socket,
        meeting_id,
        attendee_id,
    })
}

/// The next binary frame, decoded; other messages are skipped.
async fn frame_within(
    socket: &mut Socket,
    what: &'static str,
) -> Result<SdkSignalFrame, JoinError> {
    loop {
        let message = tokio::time::timeout(WITHIN, socket.next())
            .await
            .map_err(|_| JoinError::NoReply(what))?
            .ok_or(JoinError::NoReply(what))?
            .map_err(|e| JoinError::Socket(e.to_string()))?;
        if let Message::Binary(bytes) = message {
            let Some((&FRAME_TYPE_RTC, body)) = bytes.split_first() else {
                return Err(JoinError::Socket(
                    "a frame without the 0x05 type byte".into(),
                ));
            };
            return SdkSignalFrame::decode(body).map_err(|e| JoinError::Socket(e.to_string()));
        }
    }
}

/// Opens the signalling socket as the SDK does; `protocols` as offered (the SDK offers
/// `["_aws_wt_session", token]`). The refusal's HTTP status on failure.
pub async fn connect(url: &str, protocols: &[&str]) -> Result<(Socket, Option<String>), u16> {
    // The SDK appends these to the SignalingUrl.
    let url =
        format!("{url}?X-Chime-Control-Protocol-Version=3&X-Amzn-Chime-Send-Close-On-Error=1");
    let mut request = url.as_str().into_client_request().expect("a request");
    if !protocols.is_empty() {
        let value = HeaderValue::from_str(&protocols.join(", ")).expect("a header");
        request
            .headers_mut()
            .insert("sec-websocket-protocol", value);
    }
    let host = request.uri().authority().expect("a host").to_string();
    let stream = TcpStream::connect(host).await.expect("connects");
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((socket, response)) => {
            let protocol = response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            Ok((socket, protocol))
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(e) => panic!("handshake failed: {e}"),
    }
}

/// A frame of `kind`, filled by `fill`, as the SDK sends it.
pub fn frame(kind: FrameType, fill: impl FnOnce(&mut SdkSignalFrame)) -> Vec<u8> {
    let mut f = SdkSignalFrame {
        timestamp_ms: Some(1_700_000_000_000),
        r#type: Some(kind as i32),
        ..SdkSignalFrame::default()
    };
    fill(&mut f);
    let mut out = vec![FRAME_TYPE_RTC];
    f.encode_raw(&mut out);
    out
}

pub fn ping(id: u32) -> Vec<u8> {
    frame(FrameType::PingPong, |f| {
        f.ping_pong = Some(SdkPingPongFrame {
            r#type: Some(PingPongType::Ping as i32),
            ping_id: Some(id),
        })
    })
}

/// JOIN as the SDK sends it: protocol 2, HAS_STREAM_UPDATE, compressed SDP wanted.
pub fn join() -> Vec<u8> {
    frame(FrameType::Join, |f| {
        f.join = Some(SdkJoinFrame {
            protocol_version: Some(2),
            flags: Some(2),
            wants_compressed_sdp: Some(true),
        })
    })
}

pub fn subscribe(offer: &str, audio_host: &str) -> Vec<u8> {
    frame(FrameType::Subscribe, |f| {
        f.sub = Some(SdkSubscribeFrame {
            duplex: Some(StreamServiceType::Rx as i32),
            sdp_offer: Some(offer.to_string()),
            audio_host: Some(audio_host.to_string()),
        })
    })
}

pub async fn send(socket: &mut Socket, bytes: Vec<u8>) {
    socket
        .send(Message::Binary(bytes.into()))
        .await
        .expect("sent");
}

/// The next message from the stand-in, within [`WITHIN`].
pub async fn next(socket: &mut Socket) -> Message {
    tokio::time::timeout(WITHIN, socket.next())
        .await
        .expect("a reply in time")
        .expect("the socket is open")
        .expect("a message")
}

/// The next binary frame, decoded (skipping nothing: anything else fails the test).
pub async fn next_frame(socket: &mut Socket) -> SdkSignalFrame {
    match next(socket).await {
        Message::Binary(bytes) => {
            let (first, body) = bytes.split_first().expect("not empty");
            assert_eq!(*first, FRAME_TYPE_RTC, "the frame-type byte");
            let frame = SdkSignalFrame::decode(body).expect("an SdkSignalFrame");
            assert!(frame.timestamp_ms.is_some(), "timestamp_ms is required");
            assert!(frame.r#type.is_some(), "type is required");
            frame
        }
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

pub fn kind(frame: &SdkSignalFrame) -> Option<FrameType> {
    frame.r#type.and_then(|t| FrameType::try_from(t).ok())
}
