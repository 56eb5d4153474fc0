//! A call leg's run loop: owns the two media sockets, the browser's str0m session, the SIP leg
//! and the timers, and drives the sans-IO [`Bridge`] with what arrives. Everything the bridge
//! decides comes back as outputs this loop performs; it decides nothing about media itself.

use std::net::SocketAddr;
use std::time::Instant;

use str0m::format::{Codec, CodecExtra};
use str0m::media::{Frequency, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Event, IceConnectionState, Input as RtcInput, Output as RtcOutput, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::bridge::{self, Bridge, RecordControl};
use super::sip_leg::{SipLeg, SipOutcome, SipProgress};
use super::{LegCommand, LegEvent, RecordCommand};
use crate::g711::G711;
use crate::recording::RecordedAudio;
use crate::tasks::log_joined;

/// The browser leg: str0m and the audio m-line it negotiated.
pub(crate) struct BrowserSide {
    pub rtc: Rtc,
    pub mid: Mid,
    pub pt: Pt,
    pub socket: UdpSocket,
    /// Our one ICE candidate's address, which str0m needs with every datagram to match it to
    /// the candidate: the public address and the socket's port. Behind a 1:1 NAT (an Elastic
    /// IP) the socket's own address differs, and str0m would drop every check.
    pub candidate: SocketAddr,
    /// Ignore datagrams from anywhere but loopback (tests and benchmarks).
    pub loopback_only: bool,
}

pub(crate) struct Leg {
    pub browser: BrowserSide,
    pub rtp_socket: UdpSocket,
    pub bridge: Bridge,
    pub sip: SipLeg,
    pub events: mpsc::UnboundedSender<LegEvent>,
    pub commands: mpsc::UnboundedReceiver<LegCommand>,
    /// Where the running recording's audio goes.
    pub recorder: Option<mpsc::UnboundedSender<RecordedAudio>>,
    /// Replies, BYE and CANCEL in flight.
    pub tasks: JoinSet<()>,
    /// When the bridge next needs the time.
    pub bridge_wake: Instant,
}

impl Leg {
    fn emit(&self, e: LegEvent) {
        // The owner dropping its receiver means it has finished with the call.
        if self.events.send(e).is_err() {
            tracing::debug!("leg event after the owner left");
        }
    }

    pub(crate) async fn run(mut self) {
        let mut web_buf = vec![0u8; 2000];
        let mut rtp_buf = vec![0u8; 2000];
        let mut immediate = 0;
        loop {
            // The bridge first: frames it wrote to the browser leg go out in str0m's drain.
            self.drain_bridge();
            let rtc_timeout = match self.drain_rtc() {
                Ok(t) => t,
                Err(detail) => {
                    self.emit(LegEvent::Failed { detail });
                    break;
                }
            };
            // str0m sends freshly written media on its next timeout, which is usually "now":
            // feed it at once instead of through the timer wheel (1 ms granularity), a few
            // times in a row at most so a timeout that never moves cannot spin.
            let now = Instant::now();
            if rtc_timeout <= now && immediate < 4 {
                immediate += 1;
                self.rtc_input(RtcInput::Timeout(now));
                continue;
            }
            immediate = 0;
            let wake = tokio::time::Instant::from_std(rtc_timeout.min(self.bridge_wake));
            tokio::select! {
                r = self.browser.socket.recv_from(&mut web_buf) => {
                    let Ok((n, source)) = r else { break };
                    if self.browser.loopback_only && !source.ip().is_loopback() {
                        continue;
                    }
                    let Ok(contents) = web_buf[..n].try_into() else { continue };
                    let input = RtcInput::Receive(Instant::now(), Receive {
                        proto: Protocol::Udp,
                        source,
                        destination: self.browser.candidate,
                        contents,
                    });
                    if self.browser.rtc.accepts(&input) {
                        self.rtc_input(input);
                    }
                }
                r = self.rtp_socket.recv_from(&mut rtp_buf) => {
                    let Ok((n, source)) = r else { break };
                    let input = bridge::Input::TrunkDatagram { source, contents: &rtp_buf[..n] };
                    self.bridge.handle_input(input, Instant::now());
                }
                _ = tokio::time::sleep_until(wake) => {
                    let now = Instant::now();
                    if rtc_timeout <= now {
                        self.rtc_input(RtcInput::Timeout(now));
                    }
                    self.bridge.handle_input(bridge::Input::Timeout, now);
                }
                c = self.commands.recv() => match c {
                    Some(LegCommand::Close) | None => break,
                    Some(c) => self.on_command(c),
                },
                p = self.sip.progress() => match p {
                    SipProgress::State(s) => {
                        let outcomes = self.sip.on_state(*s, &mut self.tasks);
                        self.apply(outcomes);
                    }
                    SipProgress::Failed(e) => self.emit(e),
                },
                Some(done) = self.tasks.join_next(), if !self.tasks.is_empty() => log_joined(done),
            }
        }
        self.bridge
            .handle_input(bridge::Input::Record(RecordControl::Stop), Instant::now());
        self.drain_bridge();
        self.browser.rtc.disconnect();
        self.sip.close().await;
        crate::tasks::drain(&mut self.tasks).await;
    }

    fn rtc_input(&mut self, input: RtcInput<'_>) {
        if let Err(e) = self.browser.rtc.handle_input(input) {
            tracing::debug!(error = %e, "browser media input refused");
        }
    }

    /// Runs str0m until it wants to wait; returns when it next needs time.
    fn drain_rtc(&mut self) -> Result<Instant, String> {
        loop {
            match self.browser.rtc.poll_output() {
                Ok(RtcOutput::Timeout(t)) => return Ok(t),
                Ok(RtcOutput::Transmit(t)) => {
                    // UDP: a datagram the kernel cannot take now is lost like any other.
                    let _ = self.browser.socket.try_send_to(&t.contents, t.destination);
                }
                Ok(RtcOutput::Event(e)) => self.on_rtc_event(e),
                Err(e) => return Err(format!("browser media: {e}")),
            }
        }
    }

    /// Performs what the bridge wants done, noting when it next needs the time.
    fn drain_bridge(&mut self) {
        loop {
            match self.bridge.poll_output() {
                bridge::Output::Timeout(at) => {
                    self.bridge_wake = at;
                    return;
                }
                bridge::Output::ToTrunk {
                    destination,
                    packet,
                } => {
                    // UDP: a datagram the kernel cannot take now is lost like any other.
                    let _ = self.rtp_socket.try_send_to(&packet, destination);
                }
                bridge::Output::ToBrowser { timestamp, payload } => {
                    let (mid, pt) = (self.browser.mid, self.browser.pt);
                    if let Some(w) = self.browser.rtc.writer(mid) {
                        let time = MediaTime::new(timestamp, Frequency::EIGHT_KHZ);
                        if let Err(e) = w.write(pt, Instant::now(), time, payload) {
                            tracing::debug!(error = %e, "frame to the browser not written");
                        }
                    }
                }
                bridge::Output::Event(e) => self.emit(e),
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
            Event::Connected => self.emit(LegEvent::BrowserConnected),
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.emit(LegEvent::BrowserLost)
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
                    self.bridge.handle_input(input, now);
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
                let input = bridge::Input::BrowserAudio {
                    time,
                    law,
                    payload: &d.data,
                };
                self.bridge.handle_input(input, now);
                // Straight to the trunk, not after str0m's next wait.
                self.drain_bridge();
            }
            _ => {}
        }
    }

    fn on_command(&mut self, c: LegCommand) {
        let now = Instant::now();
        match c {
            LegCommand::Invite => {
                if let Some(e) = self.sip.invite() {
                    self.emit(e);
                }
            }
            LegCommand::Dial { callee } => {
                self.sip.set_callee(&callee);
                self.bridge
                    .handle_input(bridge::Input::Callee(&callee), now);
                if let Some(e) = self.sip.invite() {
                    self.emit(e);
                }
            }
            LegCommand::SendDigits { digits, tone } => {
                let input = bridge::Input::SendDigits {
                    digits: &digits,
                    tone,
                };
                self.bridge.handle_input(input, now);
            }
            LegCommand::Cancel | LegCommand::Bye => {
                let bye = matches!(c, LegCommand::Bye);
                if let Some(e) = self.sip.end(bye, &mut self.tasks) {
                    self.emit(e);
                }
            }
            LegCommand::Ringback(on) => self.bridge.handle_input(bridge::Input::Ringback(on), now),
            LegCommand::Record(r) => {
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
                self.bridge
                    .handle_input(bridge::Input::Record(control), now);
            }
            LegCommand::Close => {}
        }
    }

    fn apply(&mut self, outcomes: Vec<SipOutcome>) {
        let now = Instant::now();
        for outcome in outcomes {
            match outcome {
                SipOutcome::Event(e) => self.emit(e),
                SipOutcome::Media(media) => self
                    .bridge
                    .handle_input(bridge::Input::TrunkMedia(media), now),
                SipOutcome::Answered => self.bridge.handle_input(bridge::Input::Answered, now),
            }
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
