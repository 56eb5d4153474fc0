//! The signalling tests' client: meetings and attendees made over the stand-in's REST API (a
//! signed-looking request; signatures are not checked); the WebSocket that speaks as
//! amazon-chime-sdk-js does is `testkit::chime`'s (shared with the server's Chime tests).

#![allow(dead_code)]

pub mod call;

use std::net::SocketAddr;
use std::sync::Arc;

use chime_standin::{Running, StandInConfig};
use telephony::gateway::Gateway;
pub use testkit::chime::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    let (meeting, attendee) = meeting_and_attendee(addr).await;
    let meeting = &meeting["Meeting"];
    let attendee = &attendee["Attendee"];
    let text = |v: &serde_json::Value| v.as_str().expect("a string").to_string();
    (
        text(&meeting["MeetingId"]),
        text(&meeting["MediaPlacement"]["SignalingUrl"]),
        text(&attendee["JoinToken"]),
        text(&attendee["AttendeeId"]),
    )
}

/// A meeting and one attendee, as `CreateMeeting` and `CreateAttendee` return them (the JSON
/// the browser joins with).
pub async fn meeting_and_attendee(addr: SocketAddr) -> (serde_json::Value, serde_json::Value) {
    let (status, meeting) = request(
        addr,
        "POST",
        "/meetings",
        r#"{"ClientRequestToken":"token-1234","MediaRegion":"us-east-1","ExternalMeetingId":"call-1"}"#,
    )
    .await;
    assert_eq!(status, 200, "{meeting}");
    let id = meeting["Meeting"]["MeetingId"]
        .as_str()
        .expect("an id")
        .to_string();
    assert!(
        !meeting["Meeting"]["MediaPlacement"]["AudioHostUrl"]
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
    (meeting, attendee)
}
