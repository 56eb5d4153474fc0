//! One call's media as its worker drives it: str0m's output sent or turned into bridge input,
//! the bridge's output performed, the call's commands applied ([`super::media`] owns the
//! sockets, the timer and the routing).

use std::net::SocketAddr;
use std::time::Instant;

use str0m::format::{Codec, CodecExtra};
use str0m::media::{Frequency, MediaTime};
use str0m::{Event, IceConnectionState, Input as RtcInput, Output as RtcOutput};
use tokio::sync::mpsc;

use super::bridge::{self, RecordControl};
use super::media::{MediaCommand, MediaLeg, Sockets};
use super::{LegEvent, RecordCommand};
use crate::g711::G711;
use crate::recording::RecordedAudio;

/// How far ahead a released browser side asks to be woken (never, in effect: the bridge's own
/// deadlines drive the call).
const RELEASED_WAKE: std::time::Duration = std::time::Duration::from_secs(3600);

/// A leg with the worker's bookkeeping.
pub(crate) struct Slot {
    pub leg: Box<MediaLeg>,
    pub recorder: Option<mpsc::UnboundedSender<RecordedAudio>>,
    /// The call was transferred to a number: its browser side is closed and no longer driven.
    pub browser_released: bool,
    /// Addresses the browser's checks came from (routing entries to remove with the leg).
    pub browser_sources: Vec<SocketAddr>,
    pub rtc_timeout: Instant,
    pub bridge_wake: Instant,
    /// The deadline of the leg's live timer entry (later entries in the heap are stale).
    pub scheduled: Option<Instant>,
}

impl MediaLeg {
    pub(crate) fn emit(&self, e: LegEvent) {
        // The owner dropping its receiver means it has finished with the call.
        if self.events.send(e).is_err() {
            tracing::debug!("leg event after the owner left");
        }
    }
}

impl Slot {
    pub(crate) fn rtc_input(&mut self, input: RtcInput<'_>) {
        if let Err(e) = self.leg.rtc.handle_input(input) {
            tracing::debug!(error = %e, "browser media input refused");
        }
    }

    pub(crate) fn command(&mut self, c: MediaCommand, now: Instant) {
        let bridge = &mut self.leg.bridge;
        match c {
            MediaCommand::Ringback(on) => bridge.handle_input(bridge::Input::Ringback(on), now),
            MediaCommand::Answered => bridge.handle_input(bridge::Input::Answered, now),
            MediaCommand::TrunkMedia(media) => {
                bridge.handle_input(bridge::Input::TrunkMedia(media), now)
            }
            MediaCommand::Callee(callee) => {
                bridge.handle_input(bridge::Input::Callee(&callee), now)
            }
            MediaCommand::SendDigits { digits, tone } => {
                let input = bridge::Input::SendDigits {
                    digits: &digits,
                    tone,
                };
                bridge.handle_input(input, now);
            }
            MediaCommand::Hold(music) => bridge.handle_input(bridge::Input::Hold(music), now),
            MediaCommand::Resume => bridge.handle_input(bridge::Input::Resume, now),
            MediaCommand::TargetMedia(media) => {
                bridge.handle_input(bridge::Input::TargetMedia(media), now)
            }
            MediaCommand::TargetConsulted => {
                bridge.handle_input(bridge::Input::TargetConsulted, now)
            }
            // The worker takes these: they change its routes or sockets.
            MediaCommand::NewBrowser(_)
            | MediaCommand::TargetDialled(_)
            | MediaCommand::TargetAnswered
            | MediaCommand::TargetGone => {}
            MediaCommand::Record(r) => {
                let control = match r {
                    RecordCommand::Start { sink, notice, mode } => {
                        if self.recorder.is_some() {
                            return; // a recording runs: ignored
                        }
                        self.recorder = Some(sink);
                        RecordControl::Start { notice, mode }
                    }
                    RecordCommand::Pause => RecordControl::Pause,
                    RecordCommand::Resume => RecordControl::Resume,
                    RecordCommand::Stop => RecordControl::Stop,
                };
                bridge.handle_input(bridge::Input::Record(control), now);
            }
        }
    }

    /// Runs str0m until it wants to wait; returns when it next needs time.
    pub(crate) fn drain_rtc(&mut self, sockets: &mut Sockets) -> Result<Instant, String> {
        if self.browser_released {
            // Nothing of the browser's can end a transferred call (its session's error or
            // timeout included).
            return Ok(Instant::now() + RELEASED_WAKE);
        }
        loop {
            match self.leg.rtc.poll_output() {
                Ok(RtcOutput::Timeout(t)) => return Ok(t),
                Ok(RtcOutput::Transmit(t)) => {
                    sockets.send_browser(t.destination, &t.contents);
                }
                Ok(RtcOutput::Event(e)) => self.on_rtc_event(e),
                Err(e) => return Err(format!("browser media: {e}")),
            }
        }
    }

    /// Performs what the bridge wants done, noting when it next needs the time.
    pub(crate) fn drain_bridge(&mut self) {
        loop {
            match self.leg.bridge.poll_output() {
                bridge::Output::Timeout(at) => {
                    self.bridge_wake = at;
                    return;
                }
                bridge::Output::ToTrunk {
                    destination,
                    packet,
                } => {
                    // UDP: a datagram the kernel cannot take now is lost like any other.
                    let _ = self.leg.trunk.send_to(&packet, destination);
                }
                bridge::Output::ToTarget {
                    destination,
                    packet,
                } => {
                    if let Some(target) = &self.leg.target {
                        let _ = target.send_to(&packet, destination);
                    }
                }
                bridge::Output::ToBrowser { timestamp, payload } => {
                    let (mid, pt) = (self.leg.mid, self.leg.pt);
                    if let Some(w) = self.leg.rtc.writer(mid) {
                        let time = MediaTime::new(timestamp, Frequency::EIGHT_KHZ);
                        if let Err(e) = w.write(pt, Instant::now(), time, payload) {
                            tracing::debug!(error = %e, "frame to the browser not written");
                        }
                    }
                }
                bridge::Output::Event(e) => self.leg.emit(e),
                bridge::Output::Recorded(audio) => {
                    let gone = self
                        .recorder
                        .as_ref()
                        .is_some_and(|s| s.send(audio).is_err());
                    if gone {
                        tracing::warn!("the recorder stopped taking audio");
                        self.recorder = None;
                    }
                }
                // Dropping the sink tells the recorder the recording ended.
                bridge::Output::RecordingEnded => self.recorder = None,
            }
        }
    }

    fn on_rtc_event(&mut self, e: Event) {
        let now = Instant::now();
        match e {
            Event::Connected => self.leg.emit(LegEvent::BrowserConnected),
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.leg.emit(LegEvent::BrowserLost)
            }
            Event::MediaData(d) => {
                let time = to_8khz(d.time);
                if let CodecExtra::Tele(t) = d.codec_extra {
                    let input = bridge::Input::BrowserDtmf {
                        time,
                        event: t.event,
                        end: t.end,
                        volume: t.volume,
                        duration: t.duration,
                    };
                    self.leg.bridge.handle_input(input, now);
                    self.drain_bridge();
                    return;
                }
                let law = match G711::from_payload_type(*d.pt) {
                    Some(law) => law,
                    // A dynamic type: match by the negotiated codec.
                    None => match d.params.spec().codec {
                        Codec::PCMU => G711::Pcmu,
                        Codec::PCMA => G711::Pcma,
                        _ => return,
                    },
                };
                if self.leg.echo {
                    // A network test: back as it came (its timing too), in this drain.
                    if let Some(w) = self.leg.rtc.writer(self.leg.mid) {
                        let _ = w.write(d.pt, now, d.time, d.data.to_vec());
                    }
                }
                let input = bridge::Input::BrowserAudio {
                    time,
                    law,
                    payload: &d.data,
                };
                self.leg.bridge.handle_input(input, now);
                // Straight to the trunk, not after str0m's next wait.
                self.drain_bridge();
            }
            _ => {}
        }
    }
}

fn to_8khz(t: MediaTime) -> u64 {
    if t.denom() == 8000 {
        t.numer()
    } else {
        t.numer() * 8000 / t.denom().max(1) as u64
    }
}
