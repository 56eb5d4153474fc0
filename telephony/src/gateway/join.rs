//! A transfer to a number, the media half, sans IO: the target's trunk side (its SDP, SRTP
//! and our RTP stream toward it) and, once it answered, the relay between the two trunks. The
//! bridge ([`super::bridge`]) owns it and feeds it packets and the time.
//!
//! A warm transfer first consults: the target's answer connects it with the agent's browser
//! (the agent's audio re-sent on our stream toward the target, the target's handed to the
//! bridge for the browser) while the customer hears the music; the join then goes on with the
//! same stream toward the target, after its latest timestamp.
//!
//! Each direction is re-sent on our own stream (SSRC, sequence, SRTP of the trunk it goes to):
//! toward the customer the stream that carried the agent and the hold music goes on, toward the
//! target a new one starts. [`RelayClock`] keeps each stream's timestamps moving forward: within
//! a run of the source's audio by the source's own steps, and a new run (the join, a source
//! that restarted its clock) after the stream's latest timestamp by the time since. A packet
//! that cannot go forward (a duplicate, one overtaken on the way) is dropped rather than sent
//! with an earlier timestamp. Only G.711 is relayed: the customer's keys (RFC 4733) after the
//! join are not, nor comfort noise.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::bridge::{Output, TrunkMedia};
use crate::g711::G711;
use crate::rtp::{self, RtpSender};
use crate::srtp::{Rekeyed, SrtpError, SrtpKeys, SrtpSession};

/// The largest step between two source packets still taken as one run (2 s at 8 kHz), as the
/// browser's clock does ([`super::playout`]).
const MAX_STEP: i32 = 16_000;

/// Our RTP stream toward the transfer's target: SSRC, first sequence number, first timestamp
/// (random in the gateway, fixed in tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetStream {
    pub ssrc: u32,
    pub first_sequence: u16,
    pub first_timestamp: u32,
}

/// Timestamps of a stream that relays another's packets: forward only.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RelayClock {
    /// The stream's latest timestamp, and when it went out.
    latest: u32,
    at: Instant,
    /// The source timestamp `latest` stands for, within a run of the source's audio.
    source: Option<u32>,
}

impl RelayClock {
    /// A stream whose latest timestamp is `latest` as of `now`: the first packet goes after it.
    pub(crate) fn after(latest: u32, now: Instant) -> RelayClock {
        RelayClock {
            latest,
            at: now,
            source: None,
        }
    }

    /// Where a source packet of `samples` (8 kHz) stamped `source_ts` goes on our stream, and
    /// whether it begins a new run (RTP marker); `None` for a packet that would go back.
    pub(crate) fn place(
        &mut self,
        source_ts: u32,
        samples: u32,
        now: Instant,
    ) -> Option<(u32, bool)> {
        if let Some(previous) = self.source {
            let step = source_ts.wrapping_sub(previous) as i32;
            if step > 0 && step < MAX_STEP {
                self.latest = self.latest.wrapping_add(step as u32);
                self.source = Some(source_ts);
                self.at = now;
                return Some((self.latest, false));
            }
            if step <= 0 && step > -MAX_STEP {
                return None; // a duplicate, or late: sending it would step back
            }
        }
        // A new run: after the latest by the time since, and at least one packet's length.
        let since = samples_in(now.saturating_duration_since(self.at));
        self.latest = self.latest.wrapping_add(since.max(samples.max(1)));
        self.source = Some(source_ts);
        self.at = now;
        Some((self.latest, true))
    }

    /// The next packet begins a new run (its source changed): placed after the latest by the
    /// time since, whatever its timestamp.
    pub(crate) fn new_run(&mut self) {
        self.source = None;
    }
}

fn samples_in(d: Duration) -> u32 {
    u32::try_from(d.as_micros() * 8 / 1000).unwrap_or(u32::MAX / 2)
}

/// The two streams' clocks once the target answered.
struct Joined {
    to_target: RelayClock,
    to_customer: RelayClock,
}

/// Where the target's call is.
enum Phase {
    /// Dialled, not answered: its early media goes nowhere.
    Ringing,
    /// Answered for a consultation: the agent and the target hear each other.
    Consulting { to_target: RelayClock },
    /// The customer and the target hear each other.
    Joined(Joined),
}

/// What a packet from the target becomes.
#[derive(Debug)]
pub(crate) enum TargetAudio {
    /// Re-sent toward the customer (joined).
    ToCustomer(Output),
    /// For the agent's browser (consulting): a G.711 payload in `law` and the target's own
    /// timestamp, for the bridge to place on the browser's clock.
    ToAgent {
        timestamp: u32,
        law: G711,
        payload: Vec<u8>,
    },
}

/// The transfer target's trunk side.
pub(crate) struct Target {
    stream: TargetStream,
    media: Option<TrunkMedia>,
    srtp: Option<SrtpSession>,
    sender: RtpSender,
    phase: Phase,
    /// Packets from the target that failed SRTP's checks (logged now and then).
    refused: u64,
    /// The clear packet of the last target datagram (reused).
    clear: Vec<u8>,
}

impl Target {
    pub(crate) fn new(stream: TargetStream) -> Target {
        Target {
            stream,
            media: None,
            srtp: None,
            sender: RtpSender::new(stream.ssrc, stream.first_sequence),
            phase: Phase::Ringing,
            refused: 0,
            clear: Vec::new(),
        }
    }

    pub(crate) fn joined(&self) -> bool {
        matches!(self.phase, Phase::Joined(_))
    }

    pub(crate) fn consulting(&self) -> bool {
        matches!(self.phase, Phase::Consulting { .. })
    }

    /// The target's SDP: SRTP starts or re-keys with it.
    pub(crate) fn on_media(&mut self, media: TrunkMedia) -> Result<(), SrtpError> {
        self.srtp = rekey(self.srtp.take(), media.keys.clone())?;
        self.media = Some(media);
        Ok(())
    }

    /// The target answered a consultation: our stream toward it starts with the agent.
    pub(crate) fn consult(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Ringing) {
            // Its first packet goes one frame or more after the first timestamp: any start will
            // do for a new stream.
            let to_target = RelayClock::after(self.stream.first_timestamp, now);
            self.phase = Phase::Consulting { to_target };
        }
    }

    /// The target answered (or the consultation is completed): our stream toward the customer
    /// goes on after `customer_latest` (the furthest timestamp it has sent); the one toward the
    /// target starts, or after a consultation goes on with the customer as a new run.
    pub(crate) fn join(&mut self, customer_latest: u32, now: Instant) {
        let to_target = match &self.phase {
            Phase::Joined(_) => return,
            Phase::Ringing => RelayClock::after(self.stream.first_timestamp, now),
            Phase::Consulting { to_target } => {
                let mut clock = *to_target;
                clock.new_run();
                clock
            }
        };
        let to_customer = RelayClock::after(customer_latest, now);
        self.phase = Phase::Joined(Joined {
            to_target,
            to_customer,
        });
    }

    /// A clear packet from the customer (in `law`) → the target, once joined.
    pub(crate) fn relay_customer(
        &mut self,
        contents: &[u8],
        law: G711,
        now: Instant,
    ) -> Option<Output> {
        let (Phase::Joined(joined), Some(media)) = (&mut self.phase, self.media.as_ref()) else {
            return None;
        };
        let out = relay(
            contents,
            law,
            &mut joined.to_target,
            &mut self.sender,
            media.law,
            now,
        )?;
        let packet = protect(&mut self.srtp, out)?;
        Some(Output::ToTarget {
            destination: media.remote,
            packet,
        })
    }

    /// A frame of the agent's (in `law`, at `time` on the browser's media clock) → the target,
    /// while consulting.
    pub(crate) fn relay_agent(
        &mut self,
        time: u64,
        law: G711,
        payload: &[u8],
        now: Instant,
    ) -> Option<Output> {
        let (Phase::Consulting { to_target }, Some(media)) = (&mut self.phase, self.media.as_ref())
        else {
            return None;
        };
        let samples = u32::try_from(payload.len()).ok()?;
        // The browser's clock, taken modulo 2^32 as an RTP timestamp.
        let (timestamp, new_run) = to_target.place(time as u32, samples, now)?;
        let converted = law.convert(media.law, payload);
        let rtp = self
            .sender
            .packet(media.law.payload_type(), new_run, timestamp, &converted);
        let packet = protect(&mut self.srtp, rtp)?;
        Some(Output::ToTarget {
            destination: media.remote,
            packet,
        })
    }

    /// A datagram from the target: once joined, → the customer on our stream toward it
    /// (`sender`, `srtp`); while consulting, its audio for the agent; before the answer the
    /// target's early media is dropped (the customer hears the hold music).
    pub(crate) fn relay_target(
        &mut self,
        source: SocketAddr,
        datagram: &[u8],
        customer: &TrunkMedia,
        sender: &mut RtpSender,
        srtp: &mut Option<SrtpSession>,
        now: Instant,
    ) -> Option<TargetAudio> {
        let media = self.media.as_ref()?;
        // Only the address the target's SDP names may feed the call.
        if source != media.remote {
            return None;
        }
        let from_law = media.law;
        let mut clear = std::mem::take(&mut self.clear);
        let contents = match self.srtp.as_mut() {
            None => datagram,
            Some(session) => match session.unprotect(datagram, &mut clear) {
                Ok(()) => &clear[..],
                Err(e) => {
                    self.refused += 1;
                    if self.refused % 500 == 1 {
                        let refused = self.refused;
                        tracing::warn!(error = %e, refused, "target packet refused by SRTP");
                    }
                    self.clear = clear;
                    return None;
                }
            },
        };
        let out = match &mut self.phase {
            Phase::Joined(joined) => relay(
                contents,
                from_law,
                &mut joined.to_customer,
                sender,
                customer.law,
                now,
            )
            .and_then(|rtp| protect(srtp, rtp))
            .map(|packet| {
                TargetAudio::ToCustomer(Output::ToTrunk {
                    destination: customer.remote,
                    packet,
                })
            }),
            Phase::Consulting { .. } => rtp::parse(contents)
                .ok()
                // Keys, comfort noise, another law than negotiated: not for the agent.
                .filter(|p| G711::from_payload_type(p.header.payload_type) == Some(from_law))
                .map(|p| TargetAudio::ToAgent {
                    timestamp: p.header.timestamp,
                    law: from_law,
                    payload: p.payload.to_vec(),
                }),
            Phase::Ringing => None,
        };
        self.clear = clear;
        out
    }
}

/// One clear G.711 packet in `from` law re-sent on `sender`'s stream in `to` law: placed by
/// `clock` (dropped if it would go back), the source's marker kept.
fn relay<'s>(
    contents: &[u8],
    from: G711,
    clock: &mut RelayClock,
    sender: &'s mut RtpSender,
    to: G711,
    now: Instant,
) -> Option<&'s [u8]> {
    let packet = rtp::parse(contents).ok()?;
    if G711::from_payload_type(packet.header.payload_type) != Some(from) {
        return None; // keys, comfort noise, another law than negotiated: not relayed
    }
    let samples = u32::try_from(packet.payload.len()).ok()?;
    let (timestamp, new_run) = clock.place(packet.header.timestamp, samples, now)?;
    let marker = new_run || packet.header.marker;
    let payload = from.convert(to, packet.payload);
    Some(sender.packet(to.payload_type(), marker, timestamp, &payload))
}

/// A packet for a trunk: protected first when its media is SRTP.
pub(crate) fn protect(srtp: &mut Option<SrtpSession>, rtp: &[u8]) -> Option<Vec<u8>> {
    match srtp {
        None => Some(rtp.to_vec()),
        Some(session) => {
            let mut packet = Vec::with_capacity(rtp.len() + 16);
            match session.protect(rtp, &mut packet) {
                Ok(()) => Some(packet),
                Err(e) => {
                    tracing::warn!(error = %e, "packet for a trunk not protected; dropped");
                    None
                }
            }
        }
    }
}

/// A trunk's SRTP after new SDP: started, re-keyed (keeping the streams' rollover counters) or
/// stopped.
pub(crate) fn rekey(
    session: Option<SrtpSession>,
    keys: Option<SrtpKeys>,
) -> Result<Option<SrtpSession>, SrtpError> {
    match (session, keys) {
        (_, None) => Ok(None),
        (None, Some(keys)) => SrtpSession::new(keys).map(Some),
        (Some(mut session), Some(keys)) => session.update(keys).map(|changed| {
            if changed != Rekeyed::Nothing {
                tracing::info!(?changed, "trunk SRTP re-keyed");
            }
            Some(session)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_run_follows_the_source_s_steps_after_the_stream_s_latest() {
        let t0 = Instant::now();
        let mut c = RelayClock::after(1_000, t0);
        // The first packet starts a run one frame on (it came at once), marked.
        assert_eq!(c.place(77_000, 160, t0), Some((1_160, true)));
        assert_eq!(c.place(77_160, 160, t0 + ms(20)), Some((1_320, false)));
        // A lost packet leaves its gap.
        assert_eq!(c.place(77_480, 160, t0 + ms(60)), Some((1_640, false)));
    }

    #[test]
    fn a_new_run_goes_after_the_latest_by_the_time_since() {
        let t0 = Instant::now();
        let mut c = RelayClock::after(1_000, t0);
        // Half a second after the stream's latest packet: 4 000 samples on.
        assert_eq!(c.place(5, 160, t0 + ms(500)), Some((5_000, true)));
        // The source restarts its clock far away (either way): a new run, never back.
        assert_eq!(
            c.place(3_000_000_000, 160, t0 + ms(520)),
            Some((5_160, true))
        );
        assert_eq!(
            c.place(3_000_000_160, 160, t0 + ms(540)),
            Some((5_320, false))
        );
        assert_eq!(c.place(10, 160, t0 + ms(560)), Some((5_480, true)));
    }

    #[test]
    fn duplicates_and_late_packets_are_dropped_never_sent_back_in_time() {
        let t0 = Instant::now();
        let mut c = RelayClock::after(u32::MAX - 100, t0);
        let first = c.place(500, 160, t0).expect("placed");
        assert_eq!(first, (59, true), "across our own stream's wrap");
        assert_eq!(c.place(820, 160, t0 + ms(40)), Some((379, false)));
        // The overtaken packet and a duplicate would step back: dropped.
        assert_eq!(c.place(660, 160, t0 + ms(41)), None);
        assert_eq!(c.place(820, 160, t0 + ms(42)), None);
        assert_eq!(c.place(980, 160, t0 + ms(60)), Some((539, false)));
        // Across the source's wrap too.
        let mut c = RelayClock::after(0, t0);
        c.place(u32::MAX - 159, 160, t0);
        assert_eq!(c.place(0, 160, t0 + ms(20)), Some((320, false)));
        assert_eq!(c.place(u32::MAX - 159, 160, t0 + ms(21)), None);
    }
}
