//! The far end's audio on an answered call: echo, or a greeting and DTMF read-back.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use crate::g711::G711;
use crate::rtp::{self, EventReport, RtpSender};
use crate::tones::{dtmf_digit, dtmf_freqs, ToneGenerator, FRAME_SAMPLES};

/// The far end's audio: echo, or greeting + DTMF read-back, paced at 20 ms.
pub(super) async fn media(
    socket: UdpSocket,
    remote: SocketAddr,
    law: G711,
    tele_pt: Option<u8>,
    read_back: bool,
    stop: CancellationToken,
) {
    let mut sender = RtpSender::new(rand::random(), rand::random());
    let mut queue: std::collections::VecDeque<[i16; FRAME_SAMPLES]> = Default::default();
    if read_back {
        queue.extend(greeting());
    }
    let mut last_event_ts: Option<u32> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut timestamp: u32 = rand::random();
    let mut buf = [0u8; 1500];
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick(), if read_back => {
                let frame = queue.pop_front().unwrap_or([0; FRAME_SAMPLES]);
                let payload: Vec<u8> = frame.iter().map(|&s| law.encode(s)).collect();
                timestamp = timestamp.wrapping_add(FRAME_SAMPLES as u32);
                let packet = sender.packet(law.payload_type(), false, timestamp, &payload);
                let _ = socket.send_to(packet, remote).await;
            }
            r = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { break };
                // Only the address the caller's SDP names (no latching: nobody else on the
                // host may inject audio).
                if from != remote {
                    continue;
                }
                let Ok(packet) = rtp::parse(&buf[..n]) else { continue };
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
                if read_back || pt != law.payload_type() {
                    continue;
                }
                let ts = sender.timestamp_for(packet.header.timestamp as u64, timestamp);
                let out = sender.packet(pt, packet.header.marker, ts, packet.payload);
                let _ = socket.send_to(out, remote).await;
            }
        }
    }
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
