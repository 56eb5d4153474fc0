//! A WebRTC peer that plays the browser's part (str0m, full ICE, offers G.711 +
//! telephone-event like Chromium does): for native end-to-end tests and the benchmarks. Its
//! task is kept by the peer and says in the log why it stopped, if it was not asked to.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::{Codec, CodecExtra};
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt, TelephoneEvent};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use telephony::g711::G711;
use telephony::tones::{dtmf_event, ToneGenerator, FRAME_SAMPLES};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the peer sends every 20 ms.
#[derive(Clone, Debug)]
pub enum Source {
    /// Nothing at all (like a browser before the track is added).
    Nothing,
    /// Digital silence.
    Silence,
    Tone(f32),
    /// Frames whose first bytes carry a marker (peer id, sequence, send time) for measuring
    /// round trips through an echo; the rest is a 1 kHz tone.
    Marked(u32),
}

#[derive(Debug)]
pub enum PeerCommand {
    Source(Source),
    Dtmf(char),
    Stop,
}

/// What the peer has seen so far.
#[derive(Debug, Default)]
pub struct PeerState {
    pub connected_at: Option<Instant>,
    pub first_audio_at: Option<Instant>,
    /// Decoded received audio, when recording.
    pub audio: Vec<i16>,
    /// Each received audio frame's arrival and RTP media time (8 kHz), when recording.
    pub frames: Vec<ReceivedFrame>,
    pub frames_received: u64,
    pub frames_sent: u64,
    /// Round-trip times of marked frames that came back (µs).
    pub round_trips_us: Vec<u32>,
    /// Marked frames that came back carrying another peer's id.
    pub crosstalk: u64,
}

/// One received audio frame: when it came and where its timestamp puts it.
#[derive(Clone, Copy, Debug)]
pub struct ReceivedFrame {
    pub at: Instant,
    /// The frame's RTP timestamp, extended, in 8 kHz units.
    pub media_time: u64,
}

/// Why the peer's task stopped before it was told to.
#[derive(Debug, thiserror::Error)]
enum PeerError {
    #[error("the answer is not SDP: {0}")]
    AnswerUnreadable(String),
    #[error("the answer does not fit the offer: {0}")]
    AnswerRefused(String),
    #[error("WebRTC: {0}")]
    Rtc(#[from] str0m::RtcError),
    #[error("socket: {0}")]
    Socket(#[from] std::io::Error),
}

pub struct BrowserPeer {
    pub offer: String,
    pub state: Arc<Mutex<PeerState>>,
    commands: mpsc::UnboundedSender<PeerCommand>,
    answer_tx: Option<tokio::sync::oneshot::Sender<String>>,
    task: Option<JoinHandle<()>>,
}

impl BrowserPeer {
    /// Binds on `ip` and makes an offer. `record` keeps received audio in memory.
    pub async fn new(ip: IpAddr, record: bool) -> std::io::Result<BrowserPeer> {
        telephony::gateway::install_crypto();
        let socket = UdpSocket::bind((ip, 0)).await?;
        let local = socket.local_addr()?;
        // A browser's jitter buffer plays what arrives and conceals what is missing; it never
        // stalls the audio to wait for a lost packet (str0m's default hold-back would, and
        // would hide how the gateway paces what it relays).
        let mut rtc = telephony::gateway::g711_rtc_config()
            .set_reordering_size_audio(0)
            .build(Instant::now());
        let candidate =
            Candidate::host(local, "udp").map_err(|e| std::io::Error::other(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        let mut change = rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = change
            .apply()
            .ok_or_else(|| std::io::Error::other("no offer"))?;
        let state = Arc::new(Mutex::new(PeerState::default()));
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (answer_tx, answer_rx) = tokio::sync::oneshot::channel();
        let task = PeerTask {
            rtc,
            socket,
            local,
            mid,
            state: state.clone(),
            record,
            source: Source::Nothing,
            tone: ToneGenerator::new(&[1000.0], 0.3),
            tone_hz: 1000.0,
            time: 0,
            seq: 0,
            pt: None,
        };
        let task = tokio::spawn(async move {
            if let Err(e) = task.run(pending, answer_rx, commands_rx).await {
                tracing::warn!(error = %e, "browser peer stopped");
            }
        });
        Ok(BrowserPeer {
            offer: offer.to_sdp_string(),
            state,
            commands,
            answer_tx: Some(answer_tx),
            task: Some(task),
        })
    }

    pub fn accept_answer(&mut self, answer: String) {
        if let Some(tx) = self.answer_tx.take() {
            let _ = tx.send(answer);
        }
    }

    pub fn command(&self, c: PeerCommand) {
        let _ = self.commands.send(c);
    }

    pub fn take_audio(&self) -> Vec<i16> {
        std::mem::take(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()).audio)
    }

    pub fn with_state<T>(&self, f: impl FnOnce(&mut PeerState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Hangs up and waits for the task to end; a panic in it is logged.
    pub async fn stop(mut self) {
        let _ = self.commands.send(PeerCommand::Stop);
        if let Some(task) = self.task.take() {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "browser peer task failed");
            }
        }
    }
}

impl Drop for BrowserPeer {
    /// The task ends on its own once told to stop (it disconnects first).
    fn drop(&mut self) {
        let _ = self.commands.send(PeerCommand::Stop);
    }
}

struct PeerTask {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mid: Mid,
    state: Arc<Mutex<PeerState>>,
    record: bool,
    source: Source,
    tone: ToneGenerator,
    tone_hz: f32,
    time: u64,
    seq: u32,
    pt: Option<(Pt, G711)>,
}

/// Bytes at the start of a marked frame: magic, peer id, sequence, send time (µs since start).
const MARK: &[u8; 4] = b"SPHM";

fn process_start() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

impl PeerTask {
    async fn run(
        mut self,
        pending: SdpPendingOffer,
        answer: tokio::sync::oneshot::Receiver<String>,
        mut commands: mpsc::UnboundedReceiver<PeerCommand>,
    ) -> Result<(), PeerError> {
        // The peer was dropped before an answer came: nothing to do.
        let Ok(answer) = answer.await else {
            return Ok(());
        };
        let answer = SdpAnswer::from_sdp_string(&answer)
            .map_err(|e| PeerError::AnswerUnreadable(e.to_string()))?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| PeerError::AnswerRefused(e.to_string()))?;
        let mut buf = vec![0u8; 2000];
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut immediate = 0;
        loop {
            let timeout = loop {
                match self.rtc.poll_output() {
                    Ok(Output::Timeout(t)) => break t,
                    Ok(Output::Transmit(t)) => {
                        let _ = self.socket.try_send_to(&t.contents, t.destination);
                    }
                    Ok(Output::Event(e)) => self.on_event(e),
                    Err(e) => return Err(e.into()),
                }
            };
            // As in the gateway: a timeout that is due now is handled now, not a tick later.
            if timeout <= Instant::now() && immediate < 4 {
                immediate += 1;
                let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                continue;
            }
            immediate = 0;
            tokio::select! {
                r = self.socket.recv_from(&mut buf) => {
                    let (n, source) = r?;
                    let Ok(contents) = buf[..n].try_into() else { continue };
                    let _ = self.rtc.handle_input(Input::Receive(Instant::now(), Receive {
                        proto: Protocol::Udp, source, destination: self.local, contents,
                    }));
                }
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(timeout)) => {
                    let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                }
                _ = tick.tick() => self.send_frame(),
                c = commands.recv() => match c {
                    Some(PeerCommand::Source(s)) => self.source = s,
                    Some(PeerCommand::Dtmf(d)) => self.send_dtmf(d),
                    Some(PeerCommand::Stop) | None => {
                        self.rtc.disconnect();
                        return Ok(());
                    }
                },
            }
        }
    }

    fn negotiated(&mut self) -> Option<(Pt, G711)> {
        if self.pt.is_none() {
            let writer = self.rtc.writer(self.mid)?;
            let found = writer.payload_params().find_map(|p| match p.spec().codec {
                Codec::PCMU => Some((p.pt(), G711::Pcmu)),
                Codec::PCMA => Some((p.pt(), G711::Pcma)),
                _ => None,
            });
            self.pt = found;
        }
        self.pt
    }

    fn send_frame(&mut self) {
        if self
            .state
            .lock()
            .map(|s| s.connected_at.is_none())
            .unwrap_or(true)
        {
            return;
        }
        let Some((pt, law)) = self.negotiated() else {
            return;
        };
        let payload: Vec<u8> = match self.source {
            Source::Nothing => return,
            Source::Silence => vec![law.silence(); FRAME_SAMPLES],
            Source::Tone(f) => {
                if (self.tone_hz - f).abs() > 0.1 {
                    self.tone = ToneGenerator::new(&[f], 0.3);
                    self.tone_hz = f;
                }
                self.tone.frame().iter().map(|&s| law.encode(s)).collect()
            }
            Source::Marked(id) => {
                let mut p: Vec<u8> = self.tone.frame().iter().map(|&s| law.encode(s)).collect();
                let sent = process_start().elapsed().as_micros() as u64;
                p[..4].copy_from_slice(MARK);
                p[4..8].copy_from_slice(&id.to_be_bytes());
                p[8..12].copy_from_slice(&self.seq.to_be_bytes());
                p[12..20].copy_from_slice(&sent.to_be_bytes());
                self.seq += 1;
                p
            }
        };
        self.time += FRAME_SAMPLES as u64;
        let t = MediaTime::new(self.time, Frequency::EIGHT_KHZ);
        if let Some(w) = self.rtc.writer(self.mid) {
            if w.write(pt, Instant::now(), t, payload).is_ok() {
                if let Ok(mut s) = self.state.lock() {
                    s.frames_sent += 1;
                }
            }
        }
    }

    fn send_dtmf(&mut self, digit: char) {
        let Some(event) = dtmf_event(digit) else {
            return;
        };
        let Some((pt, _)) = self.negotiated() else {
            return;
        };
        self.time += FRAME_SAMPLES as u64;
        let t = MediaTime::new(self.time, Frequency::EIGHT_KHZ);
        if let Some(w) = self.rtc.writer(self.mid) {
            let _ = w
                .telephone_event(TelephoneEvent {
                    event,
                    end: true,
                    volume: 10,
                    duration: Duration::from_millis(100),
                })
                .write(pt, Instant::now(), t, Vec::<u8>::new());
        }
    }

    fn on_event(&mut self, e: Event) {
        match e {
            Event::Connected => {
                if let Ok(mut s) = self.state.lock() {
                    s.connected_at.get_or_insert_with(Instant::now);
                }
            }
            Event::MediaData(d) => {
                if matches!(d.codec_extra, CodecExtra::Tele(_)) {
                    return;
                }
                let law = match d.params.spec().codec {
                    Codec::PCMU => G711::Pcmu,
                    Codec::PCMA => G711::Pcma,
                    _ => return,
                };
                let now = Instant::now();
                let Ok(mut s) = self.state.lock() else { return };
                s.first_audio_at.get_or_insert(now);
                s.frames_received += 1;
                if d.data.len() >= 20 && &d.data[..4] == MARK {
                    let id = u32::from_be_bytes([d.data[4], d.data[5], d.data[6], d.data[7]]);
                    if let Source::Marked(me) = self.source {
                        if id != me {
                            s.crosstalk += 1;
                        }
                    }
                    let mut sent = [0u8; 8];
                    sent.copy_from_slice(&d.data[12..20]);
                    let sent = u64::from_be_bytes(sent);
                    let rtt = (process_start().elapsed().as_micros() as u64).saturating_sub(sent);
                    s.round_trips_us.push(rtt.min(u32::MAX as u64) as u32);
                }
                if self.record {
                    s.audio.extend(d.data.iter().map(|&b| law.decode(b)));
                    s.frames.push(ReceivedFrame {
                        at: now,
                        media_time: d.time.rebase(Frequency::EIGHT_KHZ).numer(),
                    });
                }
            }
            _ => {}
        }
    }
}

/// Polls `done` on the peer's state every 20 ms for at most `within` (the state has no event to
/// wait on); panics when time runs out.
pub async fn until(peer: &BrowserPeer, within: Duration, done: impl Fn(&PeerState) -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !peer.with_state(|s| done(s)) {
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
