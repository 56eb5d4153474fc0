//! Media workers: a fixed set (one thread per core), each owning one UDP socket toward browsers
//! and one toward the trunk, shared by all its calls, and driving all their str0m sessions and
//! sans-IO [`Bridge`]s on one timer. A datagram finds its call through [`Demux`]; a readable
//! socket is drained in one go, so under load one wake-up carries many packets instead of one
//! task wake-up per packet per call. Each worker waits in its own `epoll` (mio), not in the
//! async runtime: a packet wakes exactly the thread that handles it, without the runtime's
//! hand-over between its threads. The calls' SIP sides stay in their own tasks
//! ([`super::leg`]), which tell the worker what changes ([`MediaCommand`]).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};

use str0m::format::{Codec, CodecExtra};
use str0m::media::{Frequency, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Event, IceConnectionState, Input as RtcInput, Output as RtcOutput, Rtc};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};

use super::bridge::{self, Bridge, RecordControl, TrunkMedia};
use super::demux::{Demux, LegId};
use super::{GatewayError, LegEvent, MediaConfig, RecordCommand};
use crate::g711::G711;
use crate::recording::RecordedAudio;

/// Datagrams read per readable socket before the timer and the other socket get a turn.
const READ_BURST: usize = 256;
/// Large enough for any datagram a browser or trunk sends us (DTLS records included).
const DATAGRAM_MAX: usize = 2048;
/// str0m usually wants its next timeout at once after media was written: handled in place a few
/// times in a row, then (a timeout that never moves must not spin) on the timer, at least
/// this much later.
const IMMEDIATE_TIMEOUTS: u32 = 4;
const TIMER_MIN: Duration = Duration::from_millis(1);
/// The longest a worker waits without looking at its commands (it stops once the gateway and
/// every call have dropped their handles, which a closed channel alone cannot wake it for).
const IDLE_WAIT: Duration = Duration::from_secs(1);

const BROWSER: Token = Token(0);
const TRUNK: Token = Token(1);
const COMMANDS: Token = Token(2);

/// One call's media, as the worker drives it.
pub(crate) struct MediaLeg {
    pub rtc: Rtc,
    pub mid: Mid,
    pub pt: Pt,
    /// Our ICE ufrag: the browser's checks name the call by it.
    pub ufrag: String,
    /// Our one ICE candidate's address, which str0m needs with every datagram to match it to
    /// the candidate: the public address and the socket's port. Behind a 1:1 NAT (an Elastic
    /// IP) the socket's own address differs, and str0m would drop every check.
    pub candidate: SocketAddr,
    pub bridge: Bridge,
    pub events: mpsc::UnboundedSender<LegEvent>,
    /// Dropped when the media ends on its own (str0m failed): the call's task then ends too.
    pub _ended: oneshot::Sender<()>,
}

/// What the call's task tells its media.
#[derive(Debug)]
pub(crate) enum MediaCommand {
    Ringback(bool),
    Answered,
    TrunkMedia(TrunkMedia),
    Callee(String),
    SendDigits { digits: String, tone: Duration },
    Record(RecordCommand),
}

pub(crate) enum ToWorker {
    Open(LegId, Box<MediaLeg>),
    Command(LegId, MediaCommand),
    /// The call ended: its recording is finished and its media dropped.
    Close(LegId),
}

/// A worker as the gateway sees it: where to send its calls and which ports they use.
#[derive(Clone)]
pub(crate) struct WorkerHandle {
    pub to: mpsc::UnboundedSender<ToWorker>,
    waker: Arc<Waker>,
    pub browser_port: u16,
    pub trunk_port: u16,
}

impl WorkerHandle {
    pub(crate) fn send(&self, message: ToWorker) {
        // A worker only stops once the gateway and every call are gone.
        if self.to.send(message).is_err() || self.waker.wake().is_err() {
            tracing::debug!("message for a media worker that has stopped");
        }
    }
}

/// One media worker per core, each on two ports of the range (browser side, trunk side).
pub(crate) fn start_workers(m: &MediaConfig) -> Result<Vec<WorkerHandle>, GatewayError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut ports = m.port_min..=m.port_max;
    let mut workers = Vec::with_capacity(cores);
    for _ in 0..cores {
        let browser = bind_next(m, &mut ports);
        let trunk = bind_next(m, &mut ports);
        match (browser, trunk) {
            (Ok(browser), Ok(trunk)) => {
                let worker = Worker::spawn(browser, trunk, m.loopback_only);
                workers.push(worker.map_err(|e| GatewayError::MediaWorker(e.to_string()))?);
            }
            // A range too small for every core still serves with the workers it has.
            _ if !workers.is_empty() => break,
            (Err(e), _) | (_, Err(e)) => return Err(e),
        }
    }
    Ok(workers)
}

/// Receive and send buffers of a shared socket: all of a worker's calls queue there while it
/// is busy or descheduled (500 calls fill the default 208 KiB in about 20 ms). The kernel caps
/// the size at `net.core.rmem_max`/`wmem_max`.
const SOCKET_BUFFER: usize = 4 << 20;

/// A socket on the next free port of what is left of the range.
fn bind_next(
    m: &MediaConfig,
    ports: &mut std::ops::RangeInclusive<u16>,
) -> Result<UdpSocket, GatewayError> {
    for port in ports.by_ref() {
        if let Ok(socket) = UdpSocket::bind(SocketAddr::new(m.bind_ip, port)) {
            let sock = socket2::SockRef::from(&socket);
            // Smaller buffers only lose packets sooner under load: not a reason to fail.
            if let Err(e) = sock
                .set_recv_buffer_size(SOCKET_BUFFER)
                .and_then(|()| sock.set_send_buffer_size(SOCKET_BUFFER))
            {
                tracing::warn!(error = %e, "media socket buffers keep their default size");
            }
            return Ok(socket);
        }
    }
    Err(GatewayError::NoMediaPort(m.port_min, m.port_max))
}

/// A leg with the worker's bookkeeping.
struct Slot {
    leg: Box<MediaLeg>,
    recorder: Option<mpsc::UnboundedSender<RecordedAudio>>,
    /// Addresses the browser's checks came from (routing entries to remove with the leg).
    browser_sources: Vec<SocketAddr>,
    rtc_timeout: Instant,
    bridge_wake: Instant,
    /// The deadline of the leg's live timer entry (later entries in the heap are stale).
    scheduled: Option<Instant>,
}

/// Where a worker's datagrams go out.
struct Sockets {
    browser: UdpSocket,
    trunk: UdpSocket,
    loopback_only: bool,
}

pub(crate) struct Worker {
    sockets: Sockets,
    commands: mpsc::UnboundedReceiver<ToWorker>,
    legs: HashMap<LegId, Slot>,
    demux: Demux,
    timers: BinaryHeap<Reverse<(Instant, LegId)>>,
    buffer: Box<[u8]>,
}

impl Worker {
    /// A worker thread on the two sockets; it runs until every handle to it is dropped.
    fn spawn(
        mut browser: UdpSocket,
        mut trunk: UdpSocket,
        loopback_only: bool,
    ) -> std::io::Result<WorkerHandle> {
        let browser_port = browser.local_addr()?.port();
        let trunk_port = trunk.local_addr()?.port();
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut browser, BROWSER, Interest::READABLE)?;
        poll.registry()
            .register(&mut trunk, TRUNK, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), COMMANDS)?);
        let (to, commands) = mpsc::unbounded_channel();
        let worker = Worker {
            sockets: Sockets {
                browser,
                trunk,
                loopback_only,
            },
            commands,
            legs: HashMap::new(),
            demux: Demux::default(),
            timers: BinaryHeap::new(),
            buffer: vec![0; DATAGRAM_MAX].into_boxed_slice(),
        };
        std::thread::Builder::new()
            .name("media-worker".into())
            .spawn(move || worker.run(poll))?;
        Ok(WorkerHandle {
            to,
            waker,
            browser_port,
            trunk_port,
        })
    }

    fn run(mut self, mut poll: Poll) {
        let mut events = Events::with_capacity(16);
        // Sockets read to the burst's end may hold more: looked at again without waiting.
        let (mut browser_more, mut trunk_more) = (false, false);
        loop {
            let now = Instant::now();
            let wait = if browser_more || trunk_more {
                Duration::ZERO
            } else {
                let next = self.timers.peek().map(|Reverse((at, _))| *at);
                next.map_or(IDLE_WAIT, |at| at.saturating_duration_since(now))
                    .min(IDLE_WAIT)
            };
            if let Err(e) = poll.poll(&mut events, Some(wait)) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                tracing::error!(error = %e, "media worker cannot wait for its sockets");
                break;
            }
            for event in events.iter() {
                match event.token() {
                    BROWSER => browser_more = true,
                    TRUNK => trunk_more = true,
                    _ => {}
                }
            }
            if browser_more {
                browser_more = self.read_browser();
            }
            if trunk_more {
                trunk_more = self.read_trunk();
            }
            if !self.take_commands() {
                break;
            }
            self.fire_due(Instant::now());
        }
        for id in self.legs.keys().copied().collect::<Vec<_>>() {
            self.close(id);
        }
    }

    /// Performs the calls' commands; false once every handle to the worker is gone.
    fn take_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(c) => self.on_command(c),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn on_command(&mut self, c: ToWorker) {
        let now = Instant::now();
        match c {
            ToWorker::Open(id, leg) => {
                self.demux.add_leg(id, &leg.ufrag);
                let slot = Slot {
                    leg,
                    recorder: None,
                    browser_sources: Vec::new(),
                    rtc_timeout: now,
                    bridge_wake: now,
                    scheduled: None,
                };
                self.legs.insert(id, slot);
                self.settle(id, now);
            }
            ToWorker::Command(id, command) => {
                let Some(slot) = self.legs.get_mut(&id) else {
                    return;
                };
                slot.command(command, now, &mut self.demux, id);
                self.settle(id, now);
            }
            ToWorker::Close(id) => self.close(id),
        }
    }

    /// Reads and handles what the browser socket holds; true if the burst ended first.
    fn read_browser(&mut self) -> bool {
        for _ in 0..READ_BURST {
            let (n, source) = match self.sockets.browser.recv_from(&mut self.buffer) {
                Ok(r) => r,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(_) => continue, // an ICMP error for an earlier send: nothing to do
            };
            if self.sockets.loopback_only && !source.ip().is_loopback() {
                continue;
            }
            let datagram = &self.buffer[..n];
            let Some(id) = self.demux.browser_leg(source, datagram) else {
                continue;
            };
            let Some(slot) = self.legs.get_mut(&id) else {
                continue;
            };
            let now = Instant::now();
            let Ok(contents) = datagram.try_into() else {
                continue;
            };
            let input = RtcInput::Receive(
                now,
                Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: slot.leg.candidate,
                    contents,
                },
            );
            if !slot.leg.rtc.accepts(&input) {
                continue;
            }
            slot.rtc_input(input);
            if !slot.browser_sources.contains(&source) && self.demux.learn_browser(id, source) {
                slot.browser_sources.push(source);
            }
            self.settle(id, now);
        }
        true
    }

    /// Reads and handles what the trunk socket holds; true if the burst ended first.
    fn read_trunk(&mut self) -> bool {
        for _ in 0..READ_BURST {
            let (n, source) = match self.sockets.trunk.recv_from(&mut self.buffer) {
                Ok(r) => r,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(_) => continue,
            };
            let Some(id) = self.demux.trunk_leg(source) else {
                continue;
            };
            let Some(slot) = self.legs.get_mut(&id) else {
                continue;
            };
            let now = Instant::now();
            let input = bridge::Input::TrunkDatagram {
                source,
                contents: &self.buffer[..n],
            };
            slot.leg.bridge.handle_input(input, now);
            self.settle(id, now);
        }
        true
    }

    /// Runs every leg whose deadline has come.
    fn fire_due(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                return;
            }
            self.timers.pop();
            let Some(slot) = self.legs.get_mut(&id) else {
                continue;
            };
            if slot.scheduled != Some(at) {
                continue; // stale: the leg was rescheduled earlier and has run since
            }
            slot.scheduled = None;
            if slot.rtc_timeout <= now {
                slot.rtc_input(RtcInput::Timeout(now));
            }
            slot.leg.bridge.handle_input(bridge::Input::Timeout, now);
            self.settle(id, now);
        }
    }

    /// Performs what the leg's bridge and str0m want done and schedules its next deadline; a
    /// leg whose str0m session failed is closed.
    fn settle(&mut self, id: LegId, now: Instant) {
        let Some(slot) = self.legs.get_mut(&id) else {
            return;
        };
        let mut immediate = 0;
        let rtc_timeout = loop {
            // The bridge first: frames it wrote to the browser leg go out in str0m's drain.
            slot.drain_bridge(&self.sockets);
            match slot.drain_rtc(&self.sockets) {
                Ok(t) if t <= now && immediate < IMMEDIATE_TIMEOUTS => {
                    immediate += 1;
                    slot.rtc_input(RtcInput::Timeout(now));
                }
                Ok(t) => break t,
                Err(detail) => {
                    slot.leg.emit(LegEvent::Failed { detail });
                    self.close(id);
                    return;
                }
            }
        };
        slot.rtc_timeout = rtc_timeout;
        let mut wake = rtc_timeout.min(slot.bridge_wake);
        if wake <= now {
            wake = now + TIMER_MIN;
        }
        if slot.scheduled.is_none_or(|s| wake < s) {
            slot.scheduled = Some(wake);
            self.timers.push(Reverse((wake, id)));
        }
    }

    fn close(&mut self, id: LegId) {
        let Some(mut slot) = self.legs.remove(&id) else {
            return;
        };
        let now = Instant::now();
        slot.leg
            .bridge
            .handle_input(bridge::Input::Record(RecordControl::Stop), now);
        slot.drain_bridge(&self.sockets);
        slot.leg.rtc.disconnect();
        let trunk = slot.leg.bridge.trunk_media().map(|m| m.remote);
        self.demux
            .remove_leg(id, &slot.leg.ufrag, &slot.browser_sources, trunk);
    }
}

impl MediaLeg {
    fn emit(&self, e: LegEvent) {
        // The owner dropping its receiver means it has finished with the call.
        if self.events.send(e).is_err() {
            tracing::debug!("leg event after the owner left");
        }
    }
}

impl Slot {
    fn rtc_input(&mut self, input: RtcInput<'_>) {
        if let Err(e) = self.leg.rtc.handle_input(input) {
            tracing::debug!(error = %e, "browser media input refused");
        }
    }

    fn command(&mut self, c: MediaCommand, now: Instant, demux: &mut Demux, id: LegId) {
        let bridge = &mut self.leg.bridge;
        match c {
            MediaCommand::Ringback(on) => bridge.handle_input(bridge::Input::Ringback(on), now),
            MediaCommand::Answered => bridge.handle_input(bridge::Input::Answered, now),
            MediaCommand::TrunkMedia(media) => {
                let old = bridge.trunk_media().map(|m| m.remote);
                bridge.handle_input(bridge::Input::TrunkMedia(media), now);
                let new = bridge.trunk_media().map(|m| m.remote);
                demux.set_trunk(id, old, new);
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
    fn drain_rtc(&mut self, sockets: &Sockets) -> Result<Instant, String> {
        loop {
            match self.leg.rtc.poll_output() {
                Ok(RtcOutput::Timeout(t)) => return Ok(t),
                Ok(RtcOutput::Transmit(t)) => {
                    // UDP: a datagram the kernel cannot take now is lost like any other.
                    let _ = sockets.browser.send_to(&t.contents, t.destination);
                }
                Ok(RtcOutput::Event(e)) => self.on_rtc_event(e, sockets),
                Err(e) => return Err(format!("browser media: {e}")),
            }
        }
    }

    /// Performs what the bridge wants done, noting when it next needs the time.
    fn drain_bridge(&mut self, sockets: &Sockets) {
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
                    let _ = sockets.trunk.send_to(&packet, destination);
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

    fn on_rtc_event(&mut self, e: Event, sockets: &Sockets) {
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
                    self.drain_bridge(sockets);
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
                self.leg.bridge.handle_input(input, now);
                // Straight to the trunk, not after str0m's next wait.
                self.drain_bridge(sockets);
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
