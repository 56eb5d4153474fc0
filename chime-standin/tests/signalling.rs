//! The meetings' signalling socket, spoken to as amazon-chime-sdk-js speaks (its frame order
//! from docs/chime.md, "The stand-in's meeting media"): PING before JOIN, JOIN → JOIN_ACK +
//! INDEX, SUBSCRIBE with a real offer → SUBSCRIBE_ACK with the gateway's answer, frames the
//! stand-in ignores, LEAVE → LEAVE_ACK; refusals at the handshake; DeleteMeeting closing the
//! socket with 4410. All on 127.0.0.1, every wait bounded.

mod common;

use chime_standin::signal::proto::*;
use chime_standin::signal::{CLOSE_MEETING_ENDED, SESSION_PROTOCOL};
use common::*;
use telephony::gateway::TrunkTransport;
use testkit::peer::BrowserPeer;
use testkit::rig::{gateway_to, LOOPBACK};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// A gateway toward a trunk nobody answers: the signalling tests never dial.
async fn quiet_gateway() -> std::sync::Arc<telephony::gateway::Gateway> {
    gateway_to("127.0.0.1:9", TrunkTransport::Udp, None, 8).await
}

async fn pong(socket: &mut Socket, id: u32) {
    send(socket, ping(id)).await;
    let reply = next_frame(socket).await;
    assert_eq!(kind(&reply), Some(FrameType::PingPong));
    let pong = reply.ping_pong.expect("a ping_pong message");
    assert_eq!(pong.r#type, Some(PingPongType::Pong as i32));
    assert_eq!(pong.ping_id, Some(id), "the same ping_id");
}

#[tokio::test]
async fn the_sdk_join_sequence_is_answered_frame_by_frame() {
    let running = stand_in(Some(quiet_gateway().await)).await;
    let addr = running.stand_in.addr();
    let (meeting_id, url, token, attendee_id) = meeting_with_attendee(addr).await;
    let (mut socket, protocol) = connect(&url, &[SESSION_PROTOCOL, &token])
        .await
        .expect("the join token is accepted");
    assert_eq!(protocol.as_deref(), Some(SESSION_PROTOCOL), "echoed");

    // The SDK's first frame is a PING, before JOIN.
    pong(&mut socket, 1).await;

    send(&mut socket, join()).await;
    let ack = next_frame(&mut socket).await;
    assert_eq!(kind(&ack), Some(FrameType::JoinAck));
    assert_eq!(
        ack.joinack,
        Some(SdkJoinAckFrame {}),
        "an empty joinack: no TURN, no compressed SDP"
    );
    let index = next_frame(&mut socket).await;
    assert_eq!(kind(&index), Some(FrameType::Index));
    assert!(index.index.is_some(), "the SDK reads index unguarded");

    let peer = BrowserPeer::new(LOOPBACK, false).await.expect("a peer");
    send(&mut socket, subscribe(&peer.offer, &addr.to_string())).await;
    let suback = next_frame(&mut socket).await;
    assert_eq!(kind(&suback), Some(FrameType::SubscribeAck));
    let suback = suback.suback.expect("a suback message");
    assert_eq!(suback.duplex, Some(StreamServiceType::Rx as i32));
    let answer = suback.sdp_answer.expect("an SDP answer");
    assert!(answer.contains("a=ice-lite"), "{answer}");
    assert!(answer.contains("PCMU/8000"), "{answer}");
    assert_eq!(
        running.stand_in.meeting_leg_attendee(&meeting_id),
        Some(attendee_id),
        "the meeting holds the attendee's leg"
    );

    // What the SDK sends unasked is ignored: the next reply is the next PONG.
    send(&mut socket, frame(FrameType::AudioStatus, |_| {})).await;
    send(&mut socket, frame(FrameType::ClientMetric, |_| {})).await;
    send(&mut socket, frame(FrameType::MeetingSessionTiming, |_| {})).await;
    send(&mut socket, frame(FrameType::Join, |f| f.r#type = Some(99))).await;
    pong(&mut socket, 2).await;

    send(
        &mut socket,
        frame(FrameType::Leave, |f| f.leave = Some(SdkLeaveFrame {})),
    )
    .await;
    let leave_ack = next_frame(&mut socket).await;
    assert_eq!(kind(&leave_ack), Some(FrameType::LeaveAck));
    assert!(leave_ack.leave_ack.is_some());
    assert!(
        running.stand_in.meeting_leg(&meeting_id).is_none(),
        "leaving closes the leg"
    );
}

#[tokio::test]
async fn frames_missing_what_they_need_are_dropped_and_the_session_goes_on() {
    let running = stand_in(None).await;
    let (_, url, token, _) = meeting_with_attendee(running.stand_in.addr()).await;
    let (mut socket, _) = connect(&url, &[SESSION_PROTOCOL, &token])
        .await
        .expect("joins");
    // No frame-type byte; not protobuf; no type; a PING without its id; SUBSCRIBE without
    // an offer.
    send(&mut socket, vec![0x01, 0x08, 0x01]).await;
    send(&mut socket, vec![FRAME_TYPE_RTC, 0xff, 0xff, 0xff]).await;
    send(&mut socket, frame(FrameType::Join, |f| f.r#type = None)).await;
    send(
        &mut socket,
        frame(FrameType::PingPong, |f| {
            f.ping_pong = Some(SdkPingPongFrame {
                r#type: Some(PingPongType::Ping as i32),
                ping_id: None,
            })
        }),
    )
    .await;
    send(
        &mut socket,
        frame(FrameType::Subscribe, |f| {
            f.sub = Some(SdkSubscribeFrame::default())
        }),
    )
    .await;
    pong(&mut socket, 7).await;
}

#[tokio::test]
async fn without_a_gateway_subscribe_closes_with_an_internal_error() {
    let running = stand_in(None).await;
    let (_, url, token, _) = meeting_with_attendee(running.stand_in.addr()).await;
    let (mut socket, _) = connect(&url, &[SESSION_PROTOCOL, &token])
        .await
        .expect("joins");
    send(&mut socket, subscribe("v=0\r\n", "host")).await;
    match next(&mut socket).await {
        Message::Close(Some(close)) => assert_eq!(close.code, CloseCode::from(4500)),
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test]
async fn the_handshake_refuses_what_is_not_an_attendee_of_this_meeting() {
    let running = stand_in(None).await;
    let addr = running.stand_in.addr();
    let (meeting_id, url, token, _) = meeting_with_attendee(addr).await;
    assert_eq!(connect(&url, &[]).await.err(), Some(400), "no subprotocol");
    assert_eq!(
        connect(&url, &[SESSION_PROTOCOL]).await.err(),
        Some(401),
        "no token"
    );
    assert_eq!(
        connect(&url, &[SESSION_PROTOCOL, "not-a-token"])
            .await
            .err(),
        Some(403)
    );
    let other = url.replace(&meeting_id, "00000000-0000-4000-8000-000000000000");
    assert_eq!(
        connect(&other, &[SESSION_PROTOCOL, &token]).await.err(),
        Some(404)
    );
    // Content share's token carries a suffix; it is the same attendee.
    let content = format!("{token}#content");
    assert!(connect(&url, &[SESSION_PROTOCOL, &content]).await.is_ok());
}

#[tokio::test]
async fn deleting_the_meeting_closes_its_sessions_with_4410() {
    let running = stand_in(None).await;
    let addr = running.stand_in.addr();
    let (meeting_id, url, token, _) = meeting_with_attendee(addr).await;
    let (mut socket, _) = connect(&url, &[SESSION_PROTOCOL, &token])
        .await
        .expect("joins");
    send(&mut socket, join()).await;
    assert_eq!(
        kind(&next_frame(&mut socket).await),
        Some(FrameType::JoinAck)
    );
    assert_eq!(kind(&next_frame(&mut socket).await), Some(FrameType::Index));
    let (status, _) = request(addr, "DELETE", &format!("/meetings/{meeting_id}"), "").await;
    assert_eq!(status, 204);
    match next(&mut socket).await {
        Message::Close(Some(close)) => {
            assert_eq!(close.code, CloseCode::from(CLOSE_MEETING_ENDED));
        }
        other => panic!("expected a close, got {other:?}"),
    }
    // And the meeting's socket is refused from now on.
    assert_eq!(
        connect(&url, &[SESSION_PROTOCOL, &token]).await.err(),
        Some(404)
    );
}

#[tokio::test]
async fn an_sdk_style_offer_is_answered_with_pcmu_and_the_video_line_rejected() {
    let running = stand_in(Some(quiet_gateway().await)).await;
    let addr = running.stand_in.addr();
    let (_, url, token, _) = meeting_with_attendee(addr).await;
    let (mut socket, _) = connect(&url, &[SESSION_PROTOCOL, &token])
        .await
        .expect("joins");
    // Chromium's offer as the SDK makes it: RED and Opus first, PCMU further down, an inactive
    // video line, BUNDLE.
    let offer = include_str!("fixtures/sdk_offer.sdp");
    send(&mut socket, join()).await;
    next_frame(&mut socket).await;
    next_frame(&mut socket).await;
    send(&mut socket, subscribe(offer, &addr.to_string())).await;
    let suback = next_frame(&mut socket).await;
    let answer = suback
        .suback
        .and_then(|s| s.sdp_answer)
        .expect("an SDP answer");
    let audio = answer
        .lines()
        .find(|l| l.starts_with("m=audio"))
        .expect("an audio line");
    assert!(
        audio.split_whitespace().nth(3) == Some("0"),
        "PCMU first: {audio}"
    );
    assert!(!answer.contains("opus"), "{answer}");
    assert!(answer.contains("a=mid:0"), "{answer}");
    let video = answer.lines().find(|l| l.starts_with("m=video"));
    assert!(
        video.is_none_or(|v| v.starts_with("m=video 0 ")),
        "video rejected: {answer}"
    );
    // The SDK plays remote audio from the track's stream: the audio section names one.
    let audio_section = answer.split("m=video").next().unwrap_or("");
    assert!(audio_section.contains("a=msid:"), "{answer}");
    assert!(answer.contains("a=ice-lite") && answer.contains("a=fingerprint:sha-256"));
}
