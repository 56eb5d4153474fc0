//! A meeting's media through the stand-in: a str0m peer (the browser's part) joins through the
//! signalling socket, ICE and DTLS connect with the media gateway, and silence flows to it
//! before anything is dialled (Chime's media never falls quiet). Then the meeting's leg dials
//! the PSTN simulator as the SIP media application's runtime will, and sends keys of its own.

mod common;

use std::time::Duration;

use chime_standin::signal::proto::*;
use common::*;
use telephony::gateway::{LegCommand, LegEvent};
use testkit::peer::until;
use testkit::rig::rig;

async fn next_event(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<LegEvent>,
    want: impl Fn(&LegEvent) -> bool,
) -> Vec<LegEvent> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(e)) => {
                let done = want(&e);
                seen.push(e);
                if done {
                    return seen;
                }
            }
            other => panic!("no such event ({other:?}); saw {seen:?}"),
        }
    }
}

#[tokio::test]
async fn a_peer_joins_through_signalling_hears_silence_and_the_leg_dials_the_pstn() {
    let rig = rig().await;
    let running = stand_in(Some(rig.gateway.clone())).await;
    let addr = running.stand_in.addr();
    let (meeting, attendee) = meeting_and_attendee(addr).await;
    let joined = join_meeting(&meeting.to_string(), &attendee.to_string())
        .await
        .expect("joins");
    let (peer, mut socket, meeting_id) = (joined.peer, joined.socket, joined.meeting_id);
    // The session still answers pings once it carries audio.
    send(&mut socket, ping(1)).await;
    assert_eq!(
        kind(&next_frame(&mut socket).await),
        Some(FrameType::PingPong)
    );

    // ICE and DTLS up, then half a second of frames though nothing is dialled.
    until(&peer, Duration::from_secs(10), |s| s.connected_at.is_some()).await;
    until(&peer, Duration::from_secs(10), |s| s.frames_received >= 25).await;
    let heard = peer.take_audio();
    assert!(heard.len() >= 25 * 160, "{} samples", heard.len());
    assert!(heard.iter().all(|s| s.unsigned_abs() < 16), "silence");

    // The meeting's leg, as the SIP media application's runtime will use it.
    let leg = running.stand_in.meeting_leg(&meeting_id).expect("a leg");
    let mut events = running
        .stand_in
        .take_leg_events(&meeting_id)
        .expect("its events");
    assert!(
        running.stand_in.take_leg_events(&meeting_id).is_none(),
        "taken once"
    );
    leg.command(LegCommand::Dial {
        callee: "+6560000001".into(),
    });
    next_event(&mut events, |e| *e == LegEvent::Answered).await;
    leg.command(LegCommand::SendDigits {
        digits: "1#".into(),
        tone: Duration::from_millis(100),
    });
    next_event(&mut events, |e| *e == LegEvent::DigitsSent).await;

    // LEAVE closes the leg (and with it the call on the trunk): its events end.
    send(
        &mut socket,
        frame(FrameType::Leave, |f| f.leave = Some(SdkLeaveFrame {})),
    )
    .await;
    assert_eq!(
        kind(&next_frame(&mut socket).await),
        Some(FrameType::LeaveAck)
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Some(e) = tokio::time::timeout_at(deadline, events.recv())
        .await
        .expect("the leg closes in time")
    {
        tracing::debug!(event = ?e, "after LEAVE");
    }
}
