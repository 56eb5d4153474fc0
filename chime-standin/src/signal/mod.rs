//! The meeting's signalling WebSocket at its `SignalingUrl` (`/control/{MeetingId}`), as the
//! real amazon-chime-sdk-js speaks it (docs/chime.md, "The stand-in's meeting media"): the
//! subprotocol `_aws_wt_session` echoed, the attendee's join token read from the other one;
//! binary frames `0x05` + a protobuf `SdkSignalFrame`. PING is answered with PONG at any time,
//! JOIN with JOIN_ACK and INDEX, SUBSCRIBE with SUBSCRIBE_ACK carrying the media gateway's SDP
//! answer, LEAVE with LEAVE_ACK; anything else is ignored. Deleting the meeting closes the
//! socket with 4410, as Chime ends a meeting.

pub mod proto;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message as _;
use telephony::gateway::{LegCommand, LegOptions};
use tokio_util::sync::CancellationToken;

use crate::media::MeetingLeg;
use crate::StandIn;
use proto::*;

/// The subprotocol the SDK offers beside its join token, and that we echo.
pub const SESSION_PROTOCOL: &str = "_aws_wt_session";
/// The close code for a meeting that ended (the SDK's `MeetingEnded`).
pub const CLOSE_MEETING_ENDED: u16 = 4410;
/// The close code for a failure on our side (the SDK's 4500-4599 range).
pub const CLOSE_INTERNAL_ERROR: u16 = 4500;

/// `GET /control/{MeetingId}` upgraded to the signalling WebSocket; the query (protocol
/// version, user agent) is ignored.
pub async fn control(
    State(stand_in): State<StandIn>,
    Path(meeting_id): Path<String>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let offered: Vec<&str> = headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    if !offered.contains(&SESSION_PROTOCOL) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the signalling socket needs the _aws_wt_session subprotocol",
        );
    }
    // Content share offers `<token>#content`; it is the same attendee's token.
    let token = offered
        .iter()
        .find(|p| **p != SESSION_PROTOCOL)
        .map(|p| p.split('#').next().unwrap_or(p));
    let Some(token) = token else {
        return refuse(StatusCode::UNAUTHORIZED, "no join token was offered");
    };
    let (attendee_id, ended) = {
        let state = stand_in.state();
        let Some(meeting) = state.meetings.get(&meeting_id) else {
            return refuse(StatusCode::NOT_FOUND, "the meeting is not found");
        };
        let Some(attendee) = meeting.attendees.iter().find(|a| a.join_token == token) else {
            tracing::info!(meeting = %meeting_id, "signalling refused: unknown join token");
            return refuse(
                StatusCode::FORBIDDEN,
                "the join token is not this meeting's",
            );
        };
        let ended = state
            .meeting_ends
            .get(&meeting_id)
            .cloned()
            .unwrap_or_default();
        (attendee.attendee_id.clone(), ended)
    };
    tracing::info!(meeting = %meeting_id, attendee = %attendee_id, "signalling connected");
    let session = Session {
        stand_in,
        meeting_id,
        attendee_id,
        leg: None,
    };
    upgrade
        .protocols([SESSION_PROTOCOL])
        .on_upgrade(move |socket| session.run(socket, ended))
}

/// What a client message leads to.
enum Reply {
    Frames(Vec<Vec<u8>>),
    /// Close the socket with this code and reason.
    Close(u16, &'static str),
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

/// One attendee's signalling connection and the media leg it subscribed.
struct Session {
    stand_in: StandIn,
    meeting_id: String,
    attendee_id: String,
    leg: Option<MeetingLeg>,
}

impl Session {
    async fn run(mut self, mut socket: WebSocket, ended: CancellationToken) {
        loop {
            tokio::select! {
                message = socket.recv() => match message {
                    Some(Ok(Message::Binary(bytes))) => match self.on_frame(&bytes).await {
                        Reply::Frames(frames) => {
                            for frame in frames {
                                if socket.send(Message::Binary(frame.into())).await.is_err() {
                                    break;
                                }
                            }
                        }
                        Reply::Close(code, reason) => {
                            let close = CloseFrame { code, reason: reason.into() };
                            // The session ends whether or not the peer hears it.
                            let _ = socket.send(Message::Close(Some(close))).await;
                            break;
                        }
                    },
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Ok(_)) => {} // text, ping, pong: nothing to answer by hand
                    Some(Err(e)) => {
                        tracing::info!(meeting = %self.meeting_id, error = %e, "signalling socket failed");
                        break;
                    }
                },
                _ = ended.cancelled() => {
                    tracing::info!(meeting = %self.meeting_id, "meeting deleted: closing its signalling");
                    let close = CloseFrame {
                        code: CLOSE_MEETING_ENDED,
                        reason: "meeting ended".into(),
                    };
                    // The peer may already be gone; the session ends either way.
                    let _ = socket.send(Message::Close(Some(close))).await;
                    break;
                }
            }
        }
        self.close_leg();
        tracing::info!(meeting = %self.meeting_id, attendee = %self.attendee_id, "signalling ended");
    }

    /// The replies to one binary message (none for what we ignore or cannot read).
    async fn on_frame(&mut self, bytes: &[u8]) -> Reply {
        match self.reply_to(bytes).await {
            Ok(frames) => Reply::Frames(frames),
            Err(close) => close,
        }
    }

    async fn reply_to(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, Reply> {
        let meeting = self.meeting_id.as_str();
        let Some((&FRAME_TYPE_RTC, body)) = bytes.split_first() else {
            tracing::warn!(meeting, first = ?bytes.first(), "signalling message without the 0x05 frame type: dropped");
            return Ok(vec![]);
        };
        let frame = match SdkSignalFrame::decode(body) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(meeting, error = %e, "signalling frame is not an SdkSignalFrame: dropped");
                return Ok(vec![]);
            }
        };
        let (Some(_), Some(kind)) = (frame.timestamp_ms, frame.r#type) else {
            tracing::warn!(
                meeting,
                "signalling frame without its required timestamp_ms or type: dropped"
            );
            return Ok(vec![]);
        };
        match FrameType::try_from(kind) {
            Ok(FrameType::PingPong) => Ok(self.on_ping(&frame).into_iter().collect()),
            Ok(FrameType::Join) => {
                if frame.join.is_none() {
                    // The SDK always sends it; the stand-in needs nothing from it.
                    tracing::warn!(meeting, "JOIN without its join message: answered anyway");
                }
                Ok(vec![
                    encode(FrameType::JoinAck, |f| f.joinack = Some(SdkJoinAckFrame {})),
                    encode(FrameType::Index, |f| {
                        f.index = Some(SdkIndexFrame {
                            at_capacity: Some(false),
                            num_participants: Some(1),
                        })
                    }),
                ])
            }
            Ok(FrameType::Subscribe) => self.on_subscribe(frame.sub).await,
            Ok(FrameType::Leave) => {
                self.close_leg();
                Ok(vec![encode(FrameType::LeaveAck, |f| {
                    f.leave_ack = Some(SdkLeaveAckFrame {})
                })])
            }
            Ok(other) => {
                tracing::debug!(meeting, frame = ?other, "signalling frame ignored");
                Ok(vec![])
            }
            Err(_) => {
                tracing::debug!(meeting, frame = kind, "unknown signalling frame ignored");
                Ok(vec![])
            }
        }
    }

    fn on_ping(&self, frame: &SdkSignalFrame) -> Option<Vec<u8>> {
        let meeting = self.meeting_id.as_str();
        let Some(SdkPingPongFrame {
            r#type: Some(kind),
            ping_id: Some(ping_id),
        }) = frame.ping_pong
        else {
            tracing::warn!(
                meeting,
                "PING_PONG without its ping_pong type and ping_id: dropped"
            );
            return None;
        };
        if kind != PingPongType::Ping as i32 {
            return None; // a PONG to a ping we never send
        }
        Some(encode(FrameType::PingPong, |f| {
            f.ping_pong = Some(SdkPingPongFrame {
                r#type: Some(PingPongType::Pong as i32),
                ping_id: Some(ping_id),
            })
        }))
    }

    /// Opens a gateway leg on the SDK's offer and answers with its SDP; a leg that cannot be
    /// opened ends the session with an internal-error close (the SDK reconnects or gives up).
    async fn on_subscribe(
        &mut self,
        sub: Option<SdkSubscribeFrame>,
    ) -> Result<Vec<Vec<u8>>, Reply> {
        let meeting = self.meeting_id.as_str();
        let Some(offer) = sub.and_then(|s| s.sdp_offer) else {
            tracing::warn!(
                meeting,
                "SUBSCRIBE without its sub message's sdp_offer: dropped"
            );
            return Ok(vec![]);
        };
        let Some(gateway) = self.stand_in.gateway() else {
            tracing::warn!(meeting, "SUBSCRIBE but the stand-in has no media gateway");
            return Err(Reply::Close(
                CLOSE_INTERNAL_ERROR,
                "no media on this stand-in",
            ));
        };
        // The callee comes later, when the SIP media application dials (LegCommand::Dial);
        // Chime's media never falls quiet, so the leg sends silence while nothing else flows.
        let options = LegOptions {
            callee: None,
            idle_silence: true,
        };
        // A call in joined to this meeting: this leg answers its caller.
        let opened = match self.stand_in.take_answering(&self.meeting_id) {
            Some(mut call) => gateway.answer(&mut call, &offer).await,
            None => gateway.open_with(options, &offer).await,
        };
        let leg = match opened {
            Ok(leg) => leg,
            Err(e) => {
                tracing::warn!(meeting, error = %e, "SUBSCRIBE offer refused by the media gateway");
                return Err(Reply::Close(
                    CLOSE_INTERNAL_ERROR,
                    "the offer cannot be answered",
                ));
            }
        };
        let answer = leg.answer.clone();
        // A second SUBSCRIBE replaces the first leg.
        self.close_leg();
        self.leg = Some(
            self.stand_in
                .attach_leg(&self.meeting_id, &self.attendee_id, leg),
        );
        tracing::info!(meeting = %self.meeting_id, attendee = %self.attendee_id, "media subscribed");
        Ok(vec![encode(FrameType::SubscribeAck, |f| {
            f.suback = Some(SdkSubscribeAckFrame {
                duplex: Some(StreamServiceType::Rx as i32),
                sdp_answer: Some(answer),
            })
        })])
    }

    fn close_leg(&mut self) {
        if let Some(leg) = self.leg.take() {
            leg.commander.command(LegCommand::Close);
            self.stand_in.detach_leg(&self.meeting_id, leg.id);
        }
    }
}

/// A frame of `kind`, stamped now, with `fill`'s sub-message, behind the frame-type byte.
fn encode(kind: FrameType, fill: impl FnOnce(&mut SdkSignalFrame)) -> Vec<u8> {
    let mut frame = SdkSignalFrame {
        timestamp_ms: Some(now_ms()),
        r#type: Some(kind as i32),
        ..SdkSignalFrame::default()
    };
    fill(&mut frame);
    let mut out = Vec::with_capacity(1 + frame.encoded_len());
    out.push(FRAME_TYPE_RTC);
    frame.encode_raw(&mut out);
    out
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
