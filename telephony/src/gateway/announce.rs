//! A message to a caller nobody will talk to (outside business hours, a number nobody is
//! assigned to, nobody answered): played as early media, `183 Session Progress` with our side
//! of the session, then the call is refused with its code once the message has played.
//!
//! Decision: early media rather than an answer. The call is never answered, so the caller is
//! not charged for a call nobody took, the carrier's records show it as not completed, and the
//! refusal code (`480` by default) still tells the network why. Carriers, a Voice Connector
//! among them, pass 183 with SDP through to the caller.

use std::sync::Arc;
use std::time::Duration;

use rsipstack::sip::Header;

use super::inbound::IncomingCall;
use super::media::trunk_socket;
use super::trunk_sdp::{LocalSession, UpdateAnswer};
use super::{Gateway, GatewayError};
use crate::g711::G711;
use crate::rtp::RtpSender;
use crate::srtp::SrtpSession;
use crate::tasks::redact_numbers;
use crate::tones::FRAME_SAMPLES;

/// How long the line stays open after the message, before the refusal.
const AFTER_MESSAGE: Duration = Duration::from_millis(500);

impl Gateway {
    /// Plays `message` (8 kHz) to the caller as early media, then refuses the call with
    /// `status`; the caller hanging up first ends it there. An offer that cannot be answered
    /// (no G.711, media the SRTP setting refuses) is refused at once, with no message.
    pub fn announce(
        &self,
        mut call: IncomingCall,
        message: Arc<[i16]>,
        status: u16,
    ) -> Result<(), GatewayError> {
        let socket = match trunk_socket(&self.config.media, &self.next_port) {
            Ok(socket) => socket,
            Err(e) => {
                call.refuse(status);
                return Err(e);
            }
        };
        let port = socket.local_addr().map_or(0, |a| a.port());
        let mut session = LocalSession::new(
            self.config.media.public_ip,
            port,
            rand::random::<u32>() as u64,
            self.config.trunk.srtp,
            &mut rand::rng(),
        );
        let (body, media) = match session.answer_update(&call.offer, G711::Pcmu) {
            UpdateAnswer::Accept {
                body,
                media: Some(media),
                ..
            } => (body, media),
            _ => {
                call.refuse(status);
                return Err(GatewayError::TrunkOffer(
                    "the caller's offer cannot be answered".into(),
                ));
            }
        };
        let srtp = match media.keys.clone().map(SrtpSession::new).transpose() {
            Ok(srtp) => srtp,
            Err(e) => {
                call.refuse(status);
                return Err(GatewayError::TrunkOffer(format!("SRTP keys refused: {e}")));
            }
        };
        if let Some(dialog) = call.dialog.as_ref() {
            let headers = vec![Header::ContentType("application/sdp".into())];
            if let Err(e) = dialog.ringing(Some(headers), Some(body.into_bytes())) {
                tracing::warn!(error = %redact_numbers(&e.to_string()), "183 not sent");
            }
        }
        // Non-blocking already (a mio socket): tokio takes it as it is.
        let socket = tokio::net::UdpSocket::from_std(std::net::UdpSocket::from(socket))
            .map_err(|e| GatewayError::MediaWorker(format!("announcement socket: {e}")))?;
        self.tasks.spawn(async move {
            let played = tokio::select! {
                gone = call.gone() => {
                    tracing::info!(?gone, "the caller hung up during the message");
                    false
                }
                () = play(&socket, media.remote, media.law, srtp, &message) => true,
            };
            if played {
                tokio::time::sleep(AFTER_MESSAGE).await;
                call.refuse(status);
            }
        });
        Ok(())
    }
}

/// `message` to `remote`, one 20 ms frame at a time, in `law` (protected when `srtp`).
async fn play(
    socket: &tokio::net::UdpSocket,
    remote: std::net::SocketAddr,
    law: G711,
    mut srtp: Option<SrtpSession>,
    message: &[i16],
) {
    let mut sender = RtpSender::new(rand::random(), rand::random());
    let base: u32 = rand::random();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut wire = Vec::new();
    for (i, frame) in message.chunks(FRAME_SAMPLES).enumerate() {
        tick.tick().await;
        let mut payload: Vec<u8> = frame.iter().map(|&s| law.encode(s)).collect();
        payload.resize(FRAME_SAMPLES, law.encode(0));
        let timestamp = base.wrapping_add((i * FRAME_SAMPLES) as u32);
        let rtp = sender.packet(law.payload_type(), i == 0, timestamp, &payload);
        let packet = match srtp.as_mut() {
            None => rtp,
            Some(session) => match session.protect(rtp, &mut wire) {
                Ok(()) => &wire[..],
                Err(e) => {
                    tracing::warn!(error = %e, "announcement packet not protected");
                    return;
                }
            },
        };
        let _ = socket.send_to(packet, remote).await;
    }
}
