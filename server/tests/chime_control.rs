//! The Chime control plane end to end over HTTP: `ChimeControl` on the official SDK clients,
//! pointed at the local stand-in (`chime-standin`) with test credentials, as
//! `AWS_ENDPOINT_URL` would point them. Meeting → attendees → SIP media application call →
//! updates → delete, and the errors the stand-in answers as Chime does.

use chime_standin::{Running, StandInConfig};
use server::chime::{CallUpdate, ChimeControl, ChimeError, ChimeSettings, SmaCallArguments};

const SMA_ID: &str = "0b9e2fe2-2d16-4f6b-9a0f-7a3e2b0f5c11";
const CALLER_ID: &str = "+6531590000";

async fn stand_in() -> Running {
    chime_standin::start(
        StandInConfig {
            sip_media_applications: vec![SMA_ID.into()],
            phone_numbers: vec![CALLER_ID.into()],
            ..StandInConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

fn settings() -> ChimeSettings {
    ChimeSettings {
        media_region: "us-east-1".into(),
        sip_media_application_id: SMA_ID.into(),
        caller_id: CALLER_ID.into(),
        bridge_number: "+17035550122".into(),
    }
}

/// The real clients, signed with test credentials, at `endpoint`; no retries.
fn control(endpoint: &str, settings: ChimeSettings) -> ChimeControl {
    ChimeControl::at_endpoint(endpoint, settings)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

#[tokio::test]
async fn a_call_from_meeting_to_delete() {
    let running = stand_in().await;
    let stand_in = &running.stand_in;
    let chime = control(&stand_in.endpoint_url(), settings());

    let meeting = chime.create_meeting("call-42").await.unwrap();
    assert_eq!(meeting.external_meeting_id, "call-42");
    assert_eq!(meeting.media_region, "us-east-1");
    let addr = stand_in.addr().to_string();
    assert_eq!(meeting.media_placement.audio_host_url, addr);
    assert_eq!(
        meeting.media_placement.signaling_url,
        format!("ws://{addr}/control/{}", meeting.meeting_id)
    );
    assert!(uuid_shaped(&meeting.meeting_id), "{}", meeting.meeting_id);

    let agent = chime
        .create_attendee(&meeting.meeting_id, "agent-7")
        .await
        .unwrap();
    let phone = chime
        .create_attendee(&meeting.meeting_id, "phone-call-42")
        .await
        .unwrap();
    assert_eq!(agent.external_user_id, "agent-7");
    assert_ne!(agent.attendee_id, phone.attendee_id);
    assert_ne!(agent.join_token, phone.join_token);
    for token in [agent.join_token.expose(), phone.join_token.expose()] {
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "a WebSocket subprotocol: {token}"
        );
    }
    let kept = stand_in.meeting(&meeting.meeting_id).unwrap();
    assert_eq!(kept.attendees.len(), 2);

    let call = chime
        .create_sma_call(&SmaCallArguments {
            meeting_id: meeting.meeting_id.clone(),
            join_token: phone.join_token.clone(),
            target: "+50760001234".into(),
            call_id: "call-42".into(),
            caller_id: CALLER_ID.into(),
            ringback_tone: None,
        })
        .await
        .unwrap();
    let placed = stand_in.sma_call(&call.transaction_id).unwrap();
    assert_eq!(placed.sip_media_application_id, SMA_ID);
    assert_eq!(placed.from_phone_number, CALLER_ID);
    assert_eq!(placed.to_phone_number, "+17035550122");
    assert_eq!(
        sorted(placed.arguments_map),
        pairs(&[
            ("MeetingId", &meeting.meeting_id),
            ("JoinToken", phone.join_token.expose()),
            ("Target", "+50760001234"),
            ("CallId", "call-42"),
            ("CallerId", CALLER_ID),
        ])
    );

    chime
        .update_sma_call(&call.transaction_id, &CallUpdate::Digits("1#".into()))
        .await
        .unwrap();
    chime
        .update_sma_call(&call.transaction_id, &CallUpdate::Hangup)
        .await
        .unwrap();
    let updates = stand_in.sma_call(&call.transaction_id).unwrap().updates;
    assert_eq!(
        updates.into_iter().map(sorted).collect::<Vec<_>>(),
        vec![
            pairs(&[("Action", "digits"), ("Digits", "1#")]),
            pairs(&[("Action", "hangup")]),
        ]
    );

    chime.delete_meeting(&meeting.meeting_id).await.unwrap();
    assert!(stand_in.meeting(&meeting.meeting_id).is_none());
    let again = chime.delete_meeting(&meeting.meeting_id).await.unwrap_err();
    assert!(matches!(again, ChimeError::NotFound { .. }), "{again}");
}

fn uuid_shaped(id: &str) -> bool {
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

#[tokio::test]
async fn unknown_meetings_transactions_and_applications_are_not_found() {
    let running = stand_in().await;
    let endpoint = running.stand_in.endpoint_url();
    let chime = control(&endpoint, settings());
    // A random-looking id, as the service's are: errors mask runs of seven or more digits
    // (phone numbers), which an all-digit group would be.
    let missing = "6f1c1e52-9b3d-4a7e-8f21-5c0d9e7ab3f4";

    let e = chime.create_attendee(missing, "agent-7").await.unwrap_err();
    assert!(matches!(e, ChimeError::NotFound { .. }), "{e}");
    assert!(e.to_string().contains(missing), "{e}");
    let e = chime.delete_meeting(missing).await.unwrap_err();
    assert!(matches!(e, ChimeError::NotFound { .. }), "{e}");
    let e = chime
        .update_sma_call(missing, &CallUpdate::Hangup)
        .await
        .unwrap_err();
    assert!(matches!(e, ChimeError::NotFound { .. }), "{e}");

    // Not modelled for CreateSipMediaApplicationCall: mapped by its code all the same.
    let other = control(
        &endpoint,
        ChimeSettings {
            sip_media_application_id: missing.into(),
            ..settings()
        },
    );
    let e = other.create_sma_call(&arguments()).await.unwrap_err();
    assert!(matches!(e, ChimeError::NotFound { .. }), "{e}");
}

fn arguments() -> SmaCallArguments {
    SmaCallArguments {
        meeting_id: "m".into(),
        join_token: server::config::Secret::new("t".into()),
        target: "+50760001234".into(),
        call_id: "call-1".into(),
        caller_id: CALLER_ID.into(),
        ringback_tone: None,
    }
}

#[tokio::test]
async fn values_chime_refuses_are_invalid_requests() {
    let running = stand_in().await;
    let endpoint = running.stand_in.endpoint_url();

    let nowhere = control(
        &endpoint,
        ChimeSettings {
            media_region: "mars-north-1".into(),
            ..settings()
        },
    );
    let e = nowhere.create_meeting("call-1").await.unwrap_err();
    assert!(matches!(e, ChimeError::InvalidRequest { .. }), "{e}");
    assert!(e.to_string().contains("MediaRegion"), "{e}");

    let chime = control(&endpoint, settings());
    // ExternalMeetingId is 2-64 characters.
    let e = chime.create_meeting("x").await.unwrap_err();
    assert!(matches!(e, ChimeError::InvalidRequest { .. }), "{e}");

    let not_ours = control(
        &endpoint,
        ChimeSettings {
            caller_id: "+6531599999".into(),
            ..settings()
        },
    );
    let e = not_ours.create_sma_call(&arguments()).await.unwrap_err();
    assert!(matches!(e, ChimeError::InvalidRequest { .. }), "{e}");
    assert!(e.to_string().contains("inventory"), "{e}");

    let not_e164 = control(
        &endpoint,
        ChimeSettings {
            bridge_number: "17035550122".into(),
            ..settings()
        },
    );
    let e = not_e164.create_sma_call(&arguments()).await.unwrap_err();
    assert!(matches!(e, ChimeError::InvalidRequest { .. }), "{e}");
}

#[tokio::test]
async fn the_stand_in_answers_malformed_and_unsigned_requests_as_aws_does() {
    let running = stand_in().await;
    let addr = running.stand_in.addr();
    let signed = "AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/chime/aws4_request, SignedHeaders=host, Signature=0";

    // A required member missing: 400 BadRequestException with AWS's error JSON.
    let (status, headers, body) = http(
        addr,
        "POST",
        "/meetings",
        Some(signed),
        r#"{"ClientRequestToken":"tok-1","MediaRegion":"us-east-1"}"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        headers.contains("x-amzn-errortype: BadRequestException"),
        "{headers}"
    );
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["Code"], "BadRequest");
    assert!(
        json["Message"]
            .as_str()
            .unwrap()
            .contains("ExternalMeetingId"),
        "{json}"
    );
    assert!(json["RequestId"].is_string(), "{json}");

    // A member the operation does not have.
    let (status, _, body) = http(
        addr,
        "POST",
        "/meetings",
        Some(signed),
        r#"{"ClientRequestToken":"tok-2","MediaRegion":"us-east-1","ExternalMeetingId":"call-1","Colour":"blue"}"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Colour"), "{body}");

    // Arguments is required on an update.
    let path = format!("/sip-media-applications/{SMA_ID}/calls/tx");
    let (status, _, body) = http(addr, "POST", &path, Some(signed), "{}").await;
    assert_eq!(status, 400, "{body}");

    // Unsigned.
    let (status, headers, _) = http(addr, "DELETE", "/meetings/m", None, "").await;
    assert_eq!(status, 403);
    assert!(
        headers.contains("x-amzn-errortype: ForbiddenException"),
        "{headers}"
    );

    // No such operation (a known path with another method included).
    for (method, path) in [("GET", "/meetings"), ("POST", "/meetings/m/colours")] {
        let (status, headers, _) = http(addr, method, path, Some(signed), "").await;
        assert_eq!(status, 404, "{method} {path}");
        assert!(
            headers.contains("x-amzn-errortype: UnknownOperationException"),
            "{headers}"
        );
    }

    // A repeated CreateMeeting (same ClientRequestToken) returns the same meeting.
    let create =
        r#"{"ClientRequestToken":"tok-3","MediaRegion":"us-east-1","ExternalMeetingId":"call-3"}"#;
    let (_, _, first) = http(addr, "POST", "/meetings", Some(signed), create).await;
    let (_, _, second) = http(addr, "POST", "/meetings", Some(signed), create).await;
    let id = |body: &str| {
        serde_json::from_str::<serde_json::Value>(body).unwrap()["Meeting"]["MeetingId"].clone()
    };
    assert_eq!(id(&first), id(&second));
}

/// One HTTP/1.1 request on a fresh connection: status, headers (names lower-cased), body.
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = authorization
        .map(|a| format!("authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    // Header names are case-insensitive; their values are not.
    let headers = head
        .lines()
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{}:{value}", name.to_ascii_lowercase()),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    (status, headers, body.to_string())
}
