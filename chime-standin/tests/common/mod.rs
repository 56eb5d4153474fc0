//! The signalling tests' client: meetings and attendees made over the stand-in's REST API (a
//! signed-looking request; signatures are not checked), and a WebSocket that speaks as
//! amazon-chime-sdk-js does: the `_aws_wt_session` subprotocol and the join token, the SDK's
//! query string, `0x05` + protobuf frames.

#![allow(dead_code)]

pub mod call;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chime_standin::signal::proto::*;
use chime_standin::{Running, StandInConfig};
use futures_util::{SinkExt, StreamExt};
use prost::Message as _;
use telephony::gateway::Gateway;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// How long any one reply may take.
pub const WITHIN: Duration = Duration::from_secs(5);

pub type Socket = WebSocketStream<TcpStream>;

pub async fn stand_in(gateway: Option<Arc<Gateway>>) -> Running {
    chime_standin::start_with_media(
        StandInConfig::default(),
        "127.0.0.1:0".parse().expect("address"),
        gateway,
    )
    .await
    .expect("stand-in starts")
}

/// One HTTP/1.1 request with a SigV4-shaped `Authorization`; the status and the JSON body.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("sends");
    let mut response = Vec::new();
    tokio::time::timeout(WITHIN, stream.read_to_end(&mut response))
        .await
        .expect("answers in time")
        .expect("reads");
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or_default())
}

/// A meeting and one attendee: (MeetingId, SignalingUrl, JoinToken, AttendeeId).
pub async fn meeting_with_attendee(addr: SocketAddr) -> (String, String, String, String) {
    let (status, meeting) = request(
        addr,
        "POST",
        "/meetings",
        r#"{"ClientRequestToken":"token-1234","MediaRegion":"us-east-1","ExternalMeetingId":"call-1"}"#,
    )
    .await;
    assert_eq!(status, 200, "{meeting}");
    let meeting = &meeting["Meeting"];
    let id = meeting["MeetingId"].as_str().expect("an id").to_string();
    let url = meeting["MediaPlacement"]["SignalingUrl"]
        .as_str()
        .expect("a signalling URL")
        .to_string();
    assert!(
        !meeting["MediaPlacement"]["AudioHostUrl"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "the SDK turns audio off without an AudioHostUrl"
    );
    let (status, attendee) = request(
        addr,
        "POST",
        &format!("/meetings/{id}/attendees"),
        r#"{"ExternalUserId":"agent-1"}"#,
    )
    .await;
    assert_eq!(status, 200, "{attendee}");
    let attendee = &attendee["Attendee"];
    let token = attendee["JoinToken"].as_str().expect("a token").to_string();
    let attendee_id = attendee["AttendeeId"].as_str().expect("an id").to_string();
    (id, url, token, attendee_id)
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

/// Polls `done` on the peer's state every 20 ms for at most `within`.
pub async fn until(
    peer: &testkit::peer::BrowserPeer,
    within: Duration,
    done: impl Fn(&testkit::peer::PeerState) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    while !peer.with_state(|s| done(s)) {
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
