//! The far end's audio on an answered call: echo, a greeting and DTMF read-back, or a steady
//! tone; in SRTP when the call's offer and answer settled keys (which a session refresh may
//! change).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::g711::G711;
use crate::rtp::{self, EventReport, RtpSender};
use crate::srtp::{SrtpKeys, SrtpSession};
use crate::tones::{dtmf_digit, dtmf_freqs, ToneGenerator, FRAME_SAMPLES};

/// The most a [`Heard`] keeps: 10 s, the newest.
const HEARD_LIMIT: usize = 80_000;

/// What the far end heard (decoded, the newest [`HEARD_LIMIT`] samples), for a test to listen to.
#[derive(Clone, Default)]
pub(crate) struct Heard(Arc<Mutex<Vec<i16>>>);

impl Heard {
    fn push(&self, law: G711, payload: &[u8]) {
        let mut heard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        heard.extend(payload.iter().map(|&b| law.decode(b)));
        let over = heard.len().saturating_sub(HEARD_LIMIT);
        heard.drain(..over);
    }

    pub(crate) fn take(&self) -> Vec<i16> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// What the far end sends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Voice {
    /// What it hears, straight back.
    Echo,
    /// A greeting, then each key it hears as its tone.
    ReadBack,
    /// A steady tone at this frequency (Hz).
    Tone(f32),
}

/// The far end's audio as `voice` says (it may change during the call): echo, greeting + DTMF
/// read-back, or a tone, paced at 20 ms.
#[allow(clippy::too_many_arguments)]
pub(super) async fn media(
    socket: UdpSocket,
    remote: SocketAddr,
    law: G711,
    tele_pt: Option<u8>,
    mut voice: watch::Receiver<Voice>,
    mut keys: watch::Receiver<Option<SrtpKeys>>,
    heard: Option<Heard>,
    stop: CancellationToken,
) {
    let mut srtp = match keys.borrow_and_update().clone().map(SrtpSession::new) {
        None => None,
        Some(Ok(session)) => Some(session),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "simulator: SRTP keys refused; no media");
            return;
        }
    };
    let mut wire = Vec::new();
    let mut clear = Vec::new();
    let mut sender = RtpSender::new(rand::random(), rand::random());
    let mut queue: std::collections::VecDeque<[i16; FRAME_SAMPLES]> = Default::default();
    let mut current = *voice.borrow_and_update();
    if current == Voice::ReadBack {
        queue.extend(greeting());
    }
    let mut tone: Option<(f32, ToneGenerator)> = None;
    let mut voice_open = true;
    let mut last_event_ts: Option<u32> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut timestamp: u32 = rand::random();
    let mut buf = [0u8; 1500];
    loop {
        let read_back = current == Voice::ReadBack;
        tokio::select! {
            _ = stop.cancelled() => break,
            changed = voice.changed(), if voice_open => match changed {
                Ok(()) => current = *voice.borrow_and_update(),
                Err(_) => voice_open = false, // stays as it is
            },
            changed = keys.changed() => {
                if changed.is_err() {
                    break;
                }
                let next = keys.borrow_and_update().clone();
                let updated = match (srtp.as_mut(), next) {
                    (Some(session), Some(next)) => session.update(next).map(|_| ()),
                    (_, next) => next.map(SrtpSession::new).transpose().map(|s| srtp = s),
                };
                if let Err(e) = updated {
                    tracing::warn!(error = %e, "simulator: new SRTP keys refused; media ends");
                    break;
                }
            }
            _ = tick.tick(), if current != Voice::Echo => {
                let frame = match current {
                    Voice::Tone(freq) => {
                        if tone.as_ref().is_none_or(|(f, _)| *f != freq) {
                            tone = Some((freq, ToneGenerator::new(&[freq], 0.25)));
                        }
                        tone.as_mut().map_or([0; FRAME_SAMPLES], |(_, g)| g.frame())
                    }
                    _ => queue.pop_front().unwrap_or([0; FRAME_SAMPLES]),
                };
                let payload: Vec<u8> = frame.iter().map(|&s| law.encode(s)).collect();
                timestamp = timestamp.wrapping_add(FRAME_SAMPLES as u32);
                let packet = sender.packet(law.payload_type(), false, timestamp, &payload);
                send(&socket, remote, srtp.as_mut(), packet, &mut wire).await;
            }
            r = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { break };
                // Only the address the caller's SDP names (no latching: nobody else on the
                // host may inject audio).
                if from != remote {
                    continue;
                }
                let contents = match srtp.as_mut() {
                    None => &buf[..n],
                    Some(session) => match session.unprotect(&buf[..n], &mut clear) {
                        Ok(()) => &clear[..],
                        Err(e) => {
                            tracing::debug!(error = %e, "simulator: packet refused by SRTP");
                            continue;
                        }
                    },
                };
                let Ok(packet) = rtp::parse(contents) else { continue };
                let pt = packet.header.payload_type;
                if Some(pt) == tele_pt {
                    if let Some(report) = EventReport::parse(packet.payload) {
                        if report.end && last_event_ts != Some(packet.header.timestamp) {
                            last_event_ts = Some(packet.header.timestamp);
                            if read_back {
                                if let Some(digit) = dtmf_digit(report.event) {
                                    queue.extend(key_tone(digit));
                                }
                            }
                        }
                    }
                    continue;
                }
                if pt != law.payload_type() {
                    continue;
                }
                if let Some(heard) = &heard {
                    heard.push(law, packet.payload);
                }
                if current != Voice::Echo {
                    continue;
                }
                let ts = sender.timestamp_for(packet.header.timestamp as u64, timestamp);
                let out = sender.packet(pt, packet.header.marker, ts, packet.payload);
                send(&socket, remote, srtp.as_mut(), out, &mut wire).await;
            }
        }
    }
}

/// Sends `rtp`, protected first when the call is SRTP.
async fn send(
    socket: &UdpSocket,
    remote: SocketAddr,
    srtp: Option<&mut SrtpSession>,
    rtp: &[u8],
    wire: &mut Vec<u8>,
) {
    let packet = match srtp {
        None => rtp,
        Some(session) => match session.protect(rtp, wire) {
            Ok(()) => &wire[..],
            Err(e) => {
                tracing::warn!(error = %e, "simulator: packet not protected");
                return;
            }
        },
    };
    let _ = socket.send_to(packet, remote).await;
}

/// A short two-note chime (about 0.6 s), then a little silence.
fn greeting() -> Vec<[i16; FRAME_SAMPLES]> {
    let mut frames = Vec::new();
    for (freq, count) in [(660.0, 12), (880.0, 12)] {
        let mut g = ToneGenerator::new(&[freq], 0.25);
        frames.extend((0..count).map(|_| g.frame()));
    }
    frames.extend((0..10).map(|_| [0; FRAME_SAMPLES]));
    frames
}

/// One key as its dual tone: 120 ms on, 80 ms off.
fn key_tone(digit: char) -> Vec<[i16; FRAME_SAMPLES]> {
    let Some((lo, hi)) = dtmf_freqs(digit) else {
        return Vec::new();
    };
    let mut g = ToneGenerator::new(&[lo, hi], 0.25);
    let mut frames: Vec<_> = (0..6).map(|_| g.frame()).collect();
    frames.extend((0..4).map(|_| [0; FRAME_SAMPLES]));
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_back_tones_are_the_keys() {
        let mut d = crate::tones::DtmfDetector::new();
        let mut got = Vec::new();
        for digit in ['1', '5', '#'] {
            for f in key_tone(digit) {
                got.extend(d.push(&f));
            }
        }
        assert_eq!(got, vec!['1', '5', '#']);
    }
}
