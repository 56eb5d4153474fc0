//! The media bridge between the browser leg and the SIP leg, sans IO: packets, commands and
//! the time go in ([`Bridge::handle_input`]), packets, events and recorded audio come out
//! ([`Bridge::poll_output`]), with [`Output::Timeout`] saying when it next needs the time. No
//! sockets, no tasks and no clock of its own, so it runs the same on a simulated clock in tests
//! (`telephony/tests/bridge_*.rs`) as in the leg's run loop.
//!
//! What it does: relays G.711 both ways (mapping μ-law ↔ A-law when the trunk answered with the
//! other law), relays RFC 4733 key reports to the trunk and reports each key once, keeps the
//! browser's timestamps continuous across ringback and trunk audio, plays ringback with the
//! callee country's cadence, and taps both directions for a recording. With SRTP keys in the
//! trunk's media it protects what goes to the trunk and checks and decrypts what comes from it
//! (recording taps the clear frames in between; the browser leg's DTLS-SRTP is str0m's, so
//! nothing is transcoded, only re-encrypted). Optionally it sends
//! silence to the browser while nothing else flows (as a Chime meeting's media server does), and
//! sends keys of its own to the trunk ([`Input::SendDigits`], [`super::digits`]).
//!
//! A transfer to a number adds a second trunk side, the target's ([`super::join`]): while it
//! rings nothing changes; once it answered the two trunks hear each other and the browser side
//! is out of the call ([`Input::TargetAnswered`]). A warm transfer consults first
//! ([`Input::TargetConsulted`]): the browser and the target hear each other while the customer
//! hears the music, until the join or the target's end ([`Input::TargetGone`]).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::digits::{KeyReport, KeySender, VOLUME};
pub use super::join::TargetStream;
use super::join::{protect, rekey, Target, TargetAudio};
use super::playout::{OutClock, Ringback};
use super::LegEvent;
use crate::g711::G711;
use crate::recording::{PauseMode, RecordedAudio, RecordingTap};
use crate::rtp::{self, EventReport, RtpSender};
use crate::srtp::{SrtpError, SrtpKeys, SrtpSession};
use crate::tones::{dtmf_digit, FRAME_SAMPLES};

/// One frame of ringback and one recording poll each.
pub const FRAME: Duration = Duration::from_millis(20);
/// Trunk audio this recent still counts as flowing: no silence is sent in between.
const TRUNK_AUDIO_FLOWING: Duration = Duration::from_millis(60);
/// A browser that sends nothing (neither audio nor keys) for this long is gone: its network
/// dropped, its tab froze, or no browser ever stood behind the offer. The call ends
/// ([`LegEvent::BrowserLost`]) rather than hold a PSTN line nobody uses. A muted browser still
/// sends silence.
pub const BROWSER_SILENT_LIMIT: Duration = Duration::from_secs(20);
/// How often that is checked: a deadline that moves once a second, not with every packet.
const BROWSER_CHECK_EVERY: Duration = Duration::from_secs(1);
/// How far ahead [`Output::Timeout`] points when nothing is due (the run loop waits on other
/// things meanwhile, and any input brings a fresh deadline).
const IDLE: Duration = Duration::from_secs(3600);

/// What the bridge needs to know from the start of the call.
#[derive(Clone, Debug)]
pub struct BridgeConfig {
    /// The law the browser sends and receives.
    pub browser_law: G711,
    /// The callee (E.164): its country picks the ringback cadence. Empty until known
    /// ([`Input::Callee`]).
    pub callee: String,
    /// Send silence frames to the browser while neither ringback nor trunk audio flows (a Chime
    /// meeting's client reports a poor connection after some seconds without audio).
    pub idle_silence: bool,
    /// Our RTP stream toward the trunk: SSRC, first sequence number, first timestamp.
    pub trunk_ssrc: u32,
    pub trunk_first_sequence: u16,
    pub trunk_first_timestamp: u32,
}

/// The trunk's media as its SDP describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrunkMedia {
    /// The one address trunk RTP is accepted from and sent to.
    pub remote: SocketAddr,
    pub law: G711,
    /// telephone-event's payload type, if the trunk takes key reports.
    pub telephone_event_pt: Option<u8>,
    /// SRTP's keys (SDES), or `None` for plain RTP.
    pub keys: Option<SrtpKeys>,
}

/// Recording control (the sink lives with whoever performs [`Output::Recorded`]).
#[derive(Clone, Debug)]
pub enum RecordControl {
    /// Starts recording, playing `notice` to the called party first; ignored while a recording
    /// runs.
    Start {
        notice: Arc<[i16]>,
        mode: PauseMode,
    },
    Pause,
    Resume,
    /// Ends the recording: its last audio comes out, then [`Output::RecordingEnded`].
    Stop,
}

/// What happens to the bridge.
#[derive(Debug)]
pub enum Input<'a> {
    /// A G.711 frame from the browser; `time` is its media time in 8 kHz units.
    BrowserAudio {
        time: u64,
        law: G711,
        payload: &'a [u8],
    },
    /// One RFC 4733 report from the browser (the end report comes three times).
    BrowserDtmf {
        time: u64,
        event: u8,
        end: bool,
        volume: u8,
        duration: Duration,
    },
    /// A datagram on the SIP leg's media port.
    TrunkDatagram {
        source: SocketAddr,
        contents: &'a [u8],
    },
    /// The trunk's SDP (early media, the answer, or a session update).
    TrunkMedia(TrunkMedia),
    /// The trunk answered: audio now flows both ways and ringback stops.
    Answered,
    Ringback(bool),
    Record(RecordControl),
    /// The number being dialled, when it was not known at the start.
    Callee(&'a str),
    /// Keys to send to the trunk on our own (`0-9*#A-D`, `,` a half-second pause), each `tone`
    /// long; the browser's audio toward the trunk waits while a key sounds. Queued after any
    /// still being sent; [`LegEvent::DigitsSent`] once the last is out.
    SendDigits {
        digits: &'a str,
        tone: Duration,
    },
    /// The agent holds the call: the trunk hears `music` (looped) instead of the browser, and
    /// the browser hears nothing from the trunk. Holding a held call changes the music only.
    Hold(Arc<[i16]>),
    /// The agent takes the call back: the browser's audio and the trunk's flow again.
    Resume,
    /// Another browser takes the call's browser side (a transfer to another agent), sending
    /// and receiving in `law`: its media clock and keys are its own, and it is checked for
    /// silence afresh.
    NewBrowser(G711),
    /// A transfer to a number is being dialled; our stream toward the target will be this
    /// one. Nothing changes for the call until [`Input::TargetAnswered`].
    TargetDialled(TargetStream),
    /// The target's SDP (early media, its answer, or a session update).
    TargetMedia(TrunkMedia),
    /// A datagram on the target leg's media port (dropped until the target answered: the
    /// customer goes on hearing what it heard, the hold music; while consulting, the agent
    /// hears it).
    TargetDatagram {
        source: SocketAddr,
        contents: &'a [u8],
    },
    /// The target answered: from now on the customer and the target hear each other (G.711
    /// relayed, μ-law ↔ A-law if they differ) and the browser is out of the call: its audio
    /// and keys are ignored, it hears nothing and is no longer checked for silence. Hold music,
    /// ringback, idle silence, our own keys and any recording stop. For good. After a
    /// consultation this completes it: the same join.
    TargetAnswered,
    /// The target answered a consultation (a warm transfer): the browser's audio goes to the
    /// target instead of the customer, and the target's to the browser; the customer hears
    /// what it heard (the owner holds it first: the music) and nothing of either, nor does the
    /// agent hear the customer. The recording, the customer call's, gets none of it (silence,
    /// as on hold). The browser's keys are reported but go nowhere.
    TargetConsulted,
    /// The transfer failed or was cancelled before the answer, or the consultation ended: the
    /// call goes on as it was (the browser with the customer, still held).
    TargetGone,
    /// The deadline of the last [`Output::Timeout`] (or later) has come.
    Timeout,
}

/// What the bridge wants done, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// An RTP packet for the trunk.
    ToTrunk {
        destination: SocketAddr,
        packet: Vec<u8>,
    },
    /// An RTP packet for the transfer's target, from the target leg's media port.
    ToTarget {
        destination: SocketAddr,
        packet: Vec<u8>,
    },
    /// A G.711 frame (in the browser's law) for the browser leg, at this media time (8 kHz).
    ToBrowser {
        timestamp: u64,
        payload: Vec<u8>,
    },
    Event(LegEvent),
    /// Audio for the recording's sink.
    Recorded(RecordedAudio),
    /// The recording has ended: its sink can close.
    RecordingEnded,
    /// Nothing more to do until this time (or the next input).
    Timeout(Instant),
}

/// A 20 ms tick that skips the ticks it missed rather than bunching them up.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tick {
    pub(crate) next: Instant,
}

impl Tick {
    /// The first tick is due at once.
    pub(crate) fn starting(now: Instant) -> Tick {
        Tick { next: now }
    }

    pub(crate) fn due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        let missed = (now - self.next).as_nanos() / FRAME.as_nanos();
        self.next += FRAME * (missed as u32 + 1);
        true
    }
}

/// Music on hold toward the trunk: where the loop is, when the next frame is due, and the
/// frame's place on the trunk stream's timeline.
struct Held {
    music: Arc<[i16]>,
    at: usize,
    tick: Tick,
    media_time: u64,
}

/// A recording in progress and when it is next polled.
struct Recording {
    tap: RecordingTap,
    tick: Tick,
}

pub struct Bridge {
    browser_law: G711,
    callee: String,
    trunk_media: Option<TrunkMedia>,
    /// SRTP toward the trunk, when its media has keys.
    srtp: Option<SrtpSession>,
    /// Trunk packets that failed SRTP's checks (logged now and then, never their contents).
    srtp_refused: u64,
    /// The trunk's audio as received (loss, jitter), reported now and then.
    trunk_reception: crate::reception::Reception,
    /// The clear packet of the last trunk datagram (reused).
    clear: Vec<u8>,
    trunk_sender: RtpSender,
    trunk_ts_base: u32,
    browser_clock: OutClock,
    ringback: Option<(Ringback, Tick)>,
    recording: Option<Recording>,
    /// The agent holds the call.
    held: Option<Held>,
    /// The next packet to the trunk begins a new run of audio (after hold music): RTP marker,
    /// so the far end's jitter buffer takes the new timeline at once.
    marker: bool,
    /// The origin of the recording tap's clock.
    epoch: Instant,
    /// The start time of the last key report relayed, and of the last key reported.
    last_dtmf_ts: Option<u64>,
    dtmf_end_seen: Option<u64>,
    sent_first_audio: bool,
    answered: bool,
    /// The idle-silence tick, when that option is on.
    silence: Option<Tick>,
    last_trunk_audio: Option<Instant>,
    keys: KeySender,
    /// The last browser frame's end on its media clock, and when it came: where our own keys
    /// go on the trunk stream's timeline.
    browser_time: Option<(u64, Instant)>,
    last_now: Instant,
    /// When the browser last sent a packet, and when that is next checked (`None` once it was
    /// found gone).
    last_browser_packet: Instant,
    browser_check: Option<Instant>,
    /// A transfer to a number: the target's trunk side, ringing or joined.
    target: Option<Target>,
    outputs: VecDeque<Output>,
}

impl Bridge {
    pub fn new(config: BridgeConfig, now: Instant) -> Bridge {
        Bridge {
            browser_law: config.browser_law,
            callee: config.callee,
            trunk_media: None,
            srtp: None,
            srtp_refused: 0,
            clear: Vec::new(),
            trunk_sender: RtpSender::new(config.trunk_ssrc, config.trunk_first_sequence),
            trunk_ts_base: config.trunk_first_timestamp,
            browser_clock: OutClock::default(),
            ringback: None,
            recording: None,
            held: None,
            marker: false,
            epoch: now,
            last_dtmf_ts: None,
            dtmf_end_seen: None,
            sent_first_audio: false,
            trunk_reception: Default::default(),
            answered: false,
            silence: config.idle_silence.then(|| Tick::starting(now)),
            last_trunk_audio: None,
            keys: KeySender::new(now),
            browser_time: None,
            last_now: now,
            last_browser_packet: now,
            browser_check: Some(now + BROWSER_CHECK_EVERY),
            target: None,
            outputs: VecDeque::new(),
        }
    }

    /// The law the browser side sends and receives.
    pub fn browser_law(&self) -> G711 {
        self.browser_law
    }

    /// The transfer's target answered: the call is trunk to trunk.
    pub fn joined(&self) -> bool {
        self.target.as_ref().is_some_and(Target::joined)
    }

    /// The agent talks with a warm transfer's target.
    pub fn consulting(&self) -> bool {
        self.target.as_ref().is_some_and(Target::consulting)
    }

    /// The trunk's media, once its SDP arrived.
    pub fn trunk_media(&self) -> Option<&TrunkMedia> {
        self.trunk_media.as_ref()
    }

    pub fn handle_input(&mut self, input: Input<'_>, now: Instant) {
        self.last_now = self.last_now.max(now);
        if self.joined() && Self::browser_side(&input) {
            return; // the browser has left the call
        }
        match input {
            Input::BrowserAudio { time, law, payload } => {
                self.last_browser_packet = now;
                self.relay_browser_audio(time, law, payload)
            }
            Input::BrowserDtmf {
                time,
                event,
                end,
                volume,
                duration,
            } => {
                self.last_browser_packet = now;
                self.relay_dtmf(time, event, end, volume, duration)
            }
            Input::TrunkDatagram { source, contents } => self.on_trunk_datagram(source, contents),
            Input::TrunkMedia(media) => self.on_trunk_media(media),
            Input::Answered => {
                self.answered = true;
                self.ringback = None;
            }
            Input::Ringback(on) => {
                self.ringback =
                    on.then(|| (Ringback::for_number(&self.callee), Tick::starting(now)));
            }
            Input::Record(control) => self.on_record(control, now),
            Input::Callee(callee) => self.callee = callee.to_string(),
            Input::SendDigits { digits, tone } => {
                self.keys.push(digits, tone, now);
                self.on_keys(now);
            }
            Input::Hold(music) => self.hold(music, now),
            Input::Resume => {
                if self.held.take().is_some() {
                    self.marker = true;
                }
            }
            Input::NewBrowser(law) => {
                // Our stream to the trunk goes on from where the old browser's clock is now.
                let here = self.media_now(now);
                let ts = self.trunk_sender.timestamp_for(here, self.trunk_ts_base);
                self.trunk_sender.restart_at(ts);
                self.browser_law = law;
                self.browser_time = None;
                self.last_dtmf_ts = None;
                self.dtmf_end_seen = None;
                self.last_browser_packet = now;
                self.browser_check = Some(now + BROWSER_CHECK_EVERY);
                // The new browser's audio starts a new run toward the trunk.
                self.marker = true;
            }
            Input::TargetDialled(stream) => {
                if !self.joined() {
                    self.target = Some(Target::new(stream));
                }
            }
            Input::TargetMedia(media) => {
                if let Some(target) = self.target.as_mut() {
                    if let Err(e) = target.on_media(media) {
                        self.outputs.push_back(Output::Event(LegEvent::Failed {
                            detail: format!("target media cannot be keyed: {e}"),
                        }));
                    }
                }
            }
            Input::TargetDatagram { source, contents } => {
                let (Some(target), Some(customer)) = (self.target.as_mut(), &self.trunk_media)
                else {
                    return;
                };
                match target.relay_target(
                    source,
                    contents,
                    customer,
                    &mut self.trunk_sender,
                    &mut self.srtp,
                    now,
                ) {
                    Some(TargetAudio::ToCustomer(out)) => self.outputs.push_back(out),
                    Some(TargetAudio::ToAgent {
                        timestamp,
                        law,
                        payload,
                    }) => self.target_to_browser(timestamp, law, &payload),
                    None => {}
                }
            }
            Input::TargetConsulted => {
                if let Some(target) = self.target.as_mut() {
                    target.consult(now);
                    // The target's audio begins a new run on the browser's clock.
                    self.browser_clock.new_run();
                    self.ringback = None;
                }
            }
            Input::TargetAnswered => self.join(now),
            Input::TargetGone => {
                if !self.joined() {
                    if self.consulting() {
                        // The customer's audio (once resumed) begins a new run again.
                        self.browser_clock.new_run();
                    }
                    self.target = None;
                }
            }
            Input::Timeout => self.on_timeout(now),
        }
    }

    /// What only concerns the browser side (or the agent), ignored once the call is trunk to
    /// trunk.
    fn browser_side(input: &Input<'_>) -> bool {
        matches!(
            input,
            Input::BrowserAudio { .. }
                | Input::BrowserDtmf { .. }
                | Input::Ringback(_)
                | Input::Callee(_)
                | Input::SendDigits { .. }
                | Input::Hold(_)
                | Input::Resume
                | Input::NewBrowser(_)
                | Input::Record(RecordControl::Start { .. })
        )
    }

    /// The target answered: the two trunks are joined and the browser side released.
    fn join(&mut self, now: Instant) {
        let here = self.media_now(now);
        let Some(target) = self.target.as_mut() else {
            return;
        };
        if target.joined() {
            return;
        }
        // Our stream to the customer goes on after the furthest timestamp it has sent (hold
        // music or the agent), or where its clock is now if that is further.
        let now_ts = self.trunk_sender.timestamp_for(here, self.trunk_ts_base);
        let latest = match self.trunk_sender.latest_timestamp() {
            Some(sent) if (now_ts.wrapping_sub(sent) as i32) <= 0 => sent,
            _ => now_ts,
        };
        target.join(latest, now);
        self.held = None;
        self.ringback = None;
        self.silence = None;
        self.browser_check = None;
        self.keys = KeySender::new(now);
        // The recording follows the agent, who has left the call.
        self.on_record(RecordControl::Stop, now);
    }

    /// The agent holds the call (or changes the music of a call on hold).
    fn hold(&mut self, music: Arc<[i16]>, now: Instant) {
        if music.is_empty() {
            return;
        }
        if let Some(held) = self.held.as_mut() {
            held.music = music;
            held.at = 0;
            return;
        }
        let media_time = self.media_now(now);
        self.held = Some(Held {
            music,
            at: 0,
            tick: Tick::starting(now),
            media_time,
        });
        self.marker = true;
    }

    /// The next frame of hold music to the trunk, when one is due.
    fn on_hold_music(&mut self, now: Instant) {
        let Some(held) = self.held.as_mut() else {
            return;
        };
        if !held.tick.due(now) {
            return;
        }
        let mut frame = [0i16; FRAME_SAMPLES];
        for s in frame.iter_mut() {
            *s = held.music[held.at];
            held.at = (held.at + 1) % held.music.len();
        }
        held.media_time += FRAME_SAMPLES as u64;
        let media_time = held.media_time;
        // Before the answer nothing goes to the trunk (early media flows our way only).
        let Some(media) = self.trunk_media.as_ref().filter(|_| self.answered) else {
            return;
        };
        let (remote, law) = (media.remote, media.law);
        let payload: Vec<u8> = frame.iter().map(|&s| law.encode(s)).collect();
        let marker = std::mem::take(&mut self.marker);
        let ts = self
            .trunk_sender
            .timestamp_for(media_time, self.trunk_ts_base);
        let packet = self
            .trunk_sender
            .packet(law.payload_type(), marker, ts, &payload);
        self.outputs
            .extend(Self::to_trunk(&mut self.srtp, remote, packet));
    }

    /// Now on the browser's media clock (8 kHz): the last browser frame's end moved on by the
    /// time since, or the time since the start before any.
    fn media_now(&self, now: Instant) -> u64 {
        match self.browser_time {
            Some((time, at)) => time + samples(now.saturating_duration_since(at)),
            None => samples(now.saturating_duration_since(self.epoch)),
        }
    }

    /// New trunk media: SRTP starts, re-keys (keeping the streams' rollover counters) or stops
    /// with it.
    fn on_trunk_media(&mut self, media: TrunkMedia) {
        match rekey(self.srtp.take(), media.keys.clone()) {
            Ok(srtp) => {
                self.srtp = srtp;
                self.trunk_media = Some(media);
            }
            Err(e) => self.trunk_unusable(e),
        }
    }

    /// Keys the SRTP code refuses (they came parsed and sized, so this is a bug): no media
    /// flows rather than unprotected media.
    fn trunk_unusable(&mut self, e: SrtpError) {
        self.srtp = None;
        self.trunk_media = None;
        self.outputs.push_back(Output::Event(LegEvent::Failed {
            detail: format!("trunk media cannot be keyed: {e}"),
        }));
    }

    /// A packet for the trunk: protected first when the media is SRTP.
    fn to_trunk(
        srtp: &mut Option<SrtpSession>,
        destination: SocketAddr,
        rtp: &[u8],
    ) -> Option<Output> {
        let packet = protect(srtp, rtp)?;
        Some(Output::ToTrunk {
            destination,
            packet,
        })
    }

    /// The next thing to do; [`Output::Timeout`] when there is nothing until then.
    pub fn poll_output(&mut self) -> Output {
        if let Some(out) = self.outputs.pop_front() {
            return out;
        }
        let ringback = self.ringback.as_ref().map(|(_, tick)| tick.next);
        let record = self.recording.as_ref().map(|r| r.tick.next);
        let silence = self.silence.map(|tick| tick.next);
        let held = self.held.as_ref().map(|h| h.tick.next);
        let at = [
            ringback,
            held,
            record,
            silence,
            self.keys.next_wake(),
            self.browser_check,
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(self.last_now + IDLE);
        Output::Timeout(at)
    }

    fn on_timeout(&mut self, now: Instant) {
        if let Some((ringback, tick)) = self.ringback.as_mut() {
            if tick.due(now) {
                let frame = ringback.frame();
                let payload: Vec<u8> = frame.iter().map(|&s| self.browser_law.encode(s)).collect();
                let timestamp = self.browser_clock.next_frame(FRAME_SAMPLES as u64);
                self.outputs
                    .push_back(Output::ToBrowser { timestamp, payload });
            }
        }
        self.on_hold_music(now);
        self.on_idle_silence(now);
        self.on_keys(now);
        self.check_browser(now);
        let at = now.saturating_duration_since(self.epoch);
        if let Some(r) = self.recording.as_mut() {
            if r.tick.due(now) {
                let audio = r.tap.poll(at);
                self.outputs.extend(audio.into_iter().map(Output::Recorded));
            }
        }
    }

    /// Whether the browser is still sending; once it has been silent for
    /// [`BROWSER_SILENT_LIMIT`], [`LegEvent::BrowserLost`] (once).
    fn check_browser(&mut self, now: Instant) {
        let Some(due) = self.browser_check else {
            return;
        };
        if now < due {
            return;
        }
        if now.saturating_duration_since(self.last_browser_packet) >= BROWSER_SILENT_LIMIT {
            self.browser_check = None;
            self.outputs.push_back(Output::Event(LegEvent::BrowserLost));
        } else {
            self.browser_check = Some(now + BROWSER_CHECK_EVERY);
        }
    }

    /// A silence frame when the tick is due and neither ringback nor trunk audio flows.
    fn on_idle_silence(&mut self, now: Instant) {
        let Some(tick) = self.silence.as_mut() else {
            return;
        };
        if !tick.due(now) || self.ringback.is_some() {
            return;
        }
        let flowing = self
            .last_trunk_audio
            .is_some_and(|at| now.saturating_duration_since(at) < TRUNK_AUDIO_FLOWING);
        if flowing {
            return;
        }
        let payload = vec![self.browser_law.encode(0); FRAME_SAMPLES];
        let timestamp = self.browser_clock.next_frame(FRAME_SAMPLES as u64);
        self.outputs
            .push_back(Output::ToBrowser { timestamp, payload });
    }

    /// Our own keys' reports that are due, on the trunk stream's timeline.
    fn on_keys(&mut self, now: Instant) {
        if self.keys.next_wake().is_none() {
            return;
        }
        let media_now = self.media_now(now);
        let mut reports = Vec::new();
        let finished = self.keys.on_timeout(now, media_now, &mut reports);
        for report in reports {
            self.send_key_report(report);
        }
        if finished {
            self.outputs.push_back(Output::Event(LegEvent::DigitsSent));
        }
    }

    fn send_key_report(&mut self, r: KeyReport) {
        let Some(media) = &self.trunk_media else {
            return;
        };
        let Some(pt) = media.telephone_event_pt else {
            return;
        };
        let remote = media.remote;
        let report = EventReport {
            event: r.event,
            end: r.end,
            volume: VOLUME,
            duration: r.duration,
        };
        let ts = self.trunk_sender.timestamp_for(r.start, self.trunk_ts_base);
        let packet = self
            .trunk_sender
            .packet(pt, r.first, ts, &report.to_bytes());
        self.outputs
            .extend(Self::to_trunk(&mut self.srtp, remote, packet));
    }

    fn on_record(&mut self, control: RecordControl, now: Instant) {
        let at = now.saturating_duration_since(self.epoch);
        match control {
            RecordControl::Start { notice, mode } => {
                if self.recording.is_none() {
                    self.recording = Some(Recording {
                        tap: RecordingTap::new(at, mode, notice.to_vec()),
                        tick: Tick::starting(now),
                    });
                }
            }
            RecordControl::Pause => {
                if let Some(r) = self.recording.as_mut() {
                    r.tap.pause(at);
                }
            }
            RecordControl::Resume => {
                if let Some(r) = self.recording.as_mut() {
                    r.tap.resume(at);
                }
            }
            RecordControl::Stop => {
                if let Some(r) = self.recording.take() {
                    let audio = r.tap.stop(at);
                    self.outputs.extend(audio.into_iter().map(Output::Recorded));
                    self.outputs.push_back(Output::RecordingEnded);
                }
            }
        }
    }

    /// Browser audio → trunk, same law when both legs agree (the usual case).
    fn relay_browser_audio(&mut self, time: u64, law: G711, data: &[u8]) {
        self.browser_time = Some((time + data.len() as u64, self.last_now));
        if let Some(target) = self.target.as_mut().filter(|t| t.consulting()) {
            // The agent talks to the target; the recording (the customer call's) hears none
            // of it.
            let out = target.relay_agent(time, law, data, self.last_now);
            self.outputs.extend(out);
            return;
        }
        let Some(media) = &self.trunk_media else {
            return;
        };
        if !self.answered || self.keys.sounding() || self.held.is_some() {
            // Before the answer only early media flows, toward the browser; while one of our
            // keys sounds its reports stand for the audio; on hold the music does.
            return;
        }
        let (remote, trunk_law) = (media.remote, media.law);
        // The usual case, same law and no recording, relays the browser's bytes as they are.
        let converted: Vec<u8>;
        let payload: &[u8] = match self.recording.as_mut() {
            Some(r) => {
                let mut pcm: Vec<i16> = data.iter().map(|&b| law.decode(b)).collect();
                converted = if r.tap.agent(&mut pcm) {
                    // The consent notice is mixed in: what goes out is the new audio.
                    pcm.iter().map(|&s| trunk_law.encode(s)).collect()
                } else {
                    law.convert(trunk_law, data)
                };
                &converted
            }
            None if law == trunk_law => data,
            None => {
                converted = law.convert(trunk_law, data);
                &converted
            }
        };
        let ts = self.trunk_sender.timestamp_for(time, self.trunk_ts_base);
        let marker = std::mem::take(&mut self.marker);
        let packet = self
            .trunk_sender
            .packet(trunk_law.payload_type(), marker, ts, payload);
        self.outputs
            .extend(Self::to_trunk(&mut self.srtp, remote, packet));
    }

    /// A browser telephone-event report → the same report to the trunk (RFC 4733).
    fn relay_dtmf(&mut self, start: u64, event: u8, end: bool, volume: u8, duration: Duration) {
        let new_event = self.last_dtmf_ts != Some(start);
        if new_event {
            self.last_dtmf_ts = Some(start);
        }
        // The end report is sent three times; the key counts once.
        if end && self.dtmf_end_seen != Some(start) {
            self.dtmf_end_seen = Some(start);
            if let Some(digit) = dtmf_digit(event) {
                self.outputs.push_back(Output::Event(LegEvent::Dtmf(digit)));
            }
        }
        if self.held.is_some() || self.consulting() {
            return; // the caller hears the music only
        }
        let Some(media) = &self.trunk_media else {
            return;
        };
        let Some(pt) = media.telephone_event_pt else {
            return;
        };
        let remote = media.remote;
        let report = EventReport::from_duration(event, end, volume, duration);
        let ts = self.trunk_sender.timestamp_for(start, self.trunk_ts_base);
        let packet = self
            .trunk_sender
            .packet(pt, new_event, ts, &report.to_bytes());
        self.outputs
            .extend(Self::to_trunk(&mut self.srtp, remote, packet));
    }

    fn on_trunk_datagram(&mut self, source: SocketAddr, contents: &[u8]) {
        let Some(media) = self.trunk_media.as_ref() else {
            return;
        };
        // Only the address the trunk's SDP names may feed the call: anything else on the same
        // host could otherwise hijack or inject audio.
        if source != media.remote {
            return;
        }
        let mut clear = std::mem::take(&mut self.clear);
        let contents = match self.srtp.as_mut() {
            None => contents,
            Some(session) => match session.unprotect(contents, &mut clear) {
                Ok(()) => &clear[..],
                Err(e) => {
                    self.srtp_refused += 1;
                    // The first, then one in 500: a flood must not flood the log too.
                    if self.srtp_refused % 500 == 1 {
                        let refused = self.srtp_refused;
                        tracing::warn!(error = %e, refused, "trunk packet refused by SRTP");
                    }
                    self.clear = clear;
                    return;
                }
            },
        };
        self.count_trunk_packet(contents);
        if self.joined() {
            self.relay_to_target(contents);
        } else {
            self.relay_trunk_packet(contents);
        }
        self.clear = clear;
    }

    /// Every authentic packet of the trunk's stream counts toward its reception, whatever is
    /// done with it (held, relayed to a transfer's target, or to the browser).
    fn count_trunk_packet(&mut self, contents: &[u8]) {
        let Ok(packet) = rtp::parse(contents) else {
            return;
        };
        let header = &packet.header;
        self.trunk_reception
            .on_packet(header.sequence, header.timestamp, self.last_now);
        let received = self.trunk_reception.received();
        if received.is_multiple_of(super::RECEPTION_REPORT_EVERY) {
            let summary = self.trunk_reception.summary();
            self.outputs
                .push_back(Output::Event(LegEvent::TrunkReception(summary)));
        }
    }

    /// A clear RTP packet from the customer → the transfer's target.
    fn relay_to_target(&mut self, contents: &[u8]) {
        let (Some(media), Some(target)) = (&self.trunk_media, self.target.as_mut()) else {
            return;
        };
        let out = target.relay_customer(contents, media.law, self.last_now);
        self.outputs.extend(out);
    }

    /// A clear RTP packet from the trunk → the browser (and the recording).
    fn relay_trunk_packet(&mut self, contents: &[u8]) {
        let Some(media) = self.trunk_media.as_ref() else {
            return;
        };
        let Ok(packet) = rtp::parse(contents) else {
            return;
        };
        let Some(law) = G711::from_payload_type(packet.header.payload_type) else {
            return; // telephone-event or comfort noise from the trunk: not relayed
        };
        if law != media.law {
            return;
        }
        if self.held.is_some() || self.consulting() {
            // The agent does not hear the caller while holding the call (or consulting), and
            // neither does the recording: a held call is silence in the file, whatever is said
            // while waiting.
            return;
        }
        // A duplicate, or a packet too late to place, is not played.
        let Some(timestamp) = self
            .browser_clock
            .place(packet.header.timestamp, packet.payload.len() as u64)
        else {
            return;
        };
        // Trunk audio replaces our ringback (and idle silence).
        self.ringback = None;
        self.last_trunk_audio = Some(self.last_now);
        let mut payload = None;
        if let Some(r) = self.recording.as_mut() {
            let mut pcm: Vec<i16> = packet.payload.iter().map(|&b| law.decode(b)).collect();
            r.tap.called_party(&pcm);
            // The agent hears the consent notice too, while it plays.
            if r.tap.agent_hears(&mut pcm) {
                let to = self.browser_law;
                payload = Some(pcm.iter().map(|&s| to.encode(s)).collect::<Vec<u8>>());
            }
        }
        let payload = payload.unwrap_or_else(|| law.convert(self.browser_law, packet.payload));
        self.outputs
            .push_back(Output::ToBrowser { timestamp, payload });
        if !self.sent_first_audio {
            self.sent_first_audio = true;
            self.outputs
                .push_back(Output::Event(LegEvent::FirstTrunkAudio));
        }
    }

    /// The consulted target's audio → the browser (not the recording: the consultation is
    /// not part of the customer's call).
    fn target_to_browser(&mut self, timestamp: u32, law: G711, payload: &[u8]) {
        let Some(timestamp) = self.browser_clock.place(timestamp, payload.len() as u64) else {
            return;
        };
        self.ringback = None;
        self.last_trunk_audio = Some(self.last_now);
        let payload = law.convert(self.browser_law, payload);
        self.outputs
            .push_back(Output::ToBrowser { timestamp, payload });
    }
}

/// A duration in 8 kHz samples.
fn samples(d: Duration) -> u64 {
    (d.as_micros() * 8 / 1000) as u64
}
