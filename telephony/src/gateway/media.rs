//! Media workers: a fixed set (one thread per core), each owning one UDP socket toward browsers,
//! shared by all its calls, and its calls' sockets toward the trunk, and driving all their str0m
//! sessions and sans-IO [`Bridge`]s on one timer. A browser datagram finds its call through
//! [`Demux`]; the trunk side keeps a port per call, because a trunk may send every call's media
//! from one address (sipp's RTP echo does), so neither the source nor the SSRC (not known
//! before the first packet) could name the call. Readable sockets are drained in one go and
//! read and sent in batches ([`super::batch_io`]), so under load one wake-up carries many
//! packets instead of one task wake-up per packet per call. Each worker waits in its own `epoll` (mio), not in the
//! async runtime: a packet wakes exactly the thread that handles it, without the runtime's
//! hand-over between its threads. The calls' SIP sides stay in their own tasks
//! ([`super::leg`]), which tell the worker what changes ([`MediaCommand`]).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Registry, Token, Waker};

use str0m::media::{Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Input as RtcInput, Rtc};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};

use super::batch_io::{RecvBatch, SendBatch, BATCH};
use super::bridge::{self, Bridge, RecordControl, TrunkMedia};
use super::demux::{Demux, LegId};
use super::slot::Slot;
use super::{GatewayError, LegEvent, MediaConfig, RecordCommand};

/// Datagrams read per readable socket before the timer and the other socket get a turn.
const READ_BURST: usize = 256;
/// str0m usually wants its next timeout at once after media was written: handled in place a few
/// times in a row, then (a timeout that never moves must not spin) on the timer, at least
/// this much later.
const IMMEDIATE_TIMEOUTS: u32 = 4;
const TIMER_MIN: Duration = Duration::from_millis(1);
/// The longest a worker waits without looking at its commands (it stops once the gateway and
/// every call have dropped their handles, which a closed channel alone cannot wake it for).
const IDLE_WAIT: Duration = Duration::from_secs(1);

const BROWSER: Token = Token(0);
const COMMANDS: Token = Token(1);
/// A call's trunk socket is registered as this plus twice its number, a transfer target's
/// socket one more.
const FIRST_LEG: usize = 2;

fn trunk_token(id: LegId, target: bool) -> Token {
    Token(FIRST_LEG + 2 * id as usize + usize::from(target))
}

/// The call a socket token names, and whether it is the transfer target's socket.
fn leg_of(token: usize) -> (LegId, bool) {
    let n = token - FIRST_LEG;
    ((n / 2) as LegId, n % 2 == 1)
}

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
    /// The call's own socket toward the trunk.
    pub trunk: UdpSocket,
    /// The socket toward a transfer's target, while there is one.
    pub target: Option<UdpSocket>,
    /// A network test's session: the browser's audio is sent straight back to it.
    pub echo: bool,
    /// The span the leg was opened in (the call's, `call` = its id): the worker's lines about
    /// the leg are written in it.
    pub span: tracing::Span,
    pub events: mpsc::UnboundedSender<LegEvent>,
    /// Dropped when the media ends on its own (str0m failed): the call's task then ends too.
    pub _ended: oneshot::Sender<()>,
}

/// A browser's side of a call, made from its offer: what [`MediaLeg`] holds of it.
pub(crate) struct BrowserSide {
    pub rtc: Rtc,
    pub mid: Mid,
    pub pt: Pt,
    pub ufrag: String,
    pub law: crate::g711::G711,
}

impl std::fmt::Debug for BrowserSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The peer connection's state is not worth printing (nor its keys).
        f.debug_struct("BrowserSide")
            .field("ufrag", &self.ufrag)
            .field("law", &self.law)
            .finish_non_exhaustive()
    }
}

/// What the call's task tells its media.
#[derive(Debug)]
pub(crate) enum MediaCommand {
    Ringback(bool),
    Answered,
    TrunkMedia(TrunkMedia),
    Callee(String),
    SendDigits {
        digits: String,
        tone: Duration,
    },
    Record(RecordCommand),
    Hold(Arc<[i16]>),
    Resume,
    /// Another browser takes the call ([`super::Gateway::new_browser`]).
    NewBrowser(Box<BrowserSide>),
    /// A transfer to a number is being dialled: its media socket and our stream toward it.
    TargetDialled(Box<TargetSide>),
    TargetMedia(TrunkMedia),
    /// The target answered a consultation: the browser talks with it.
    TargetConsulted,
    /// The target answered (or the consultation is completed): the trunks are joined and the
    /// browser side is released.
    TargetAnswered,
    /// The transfer did not happen: its socket is closed.
    TargetGone,
}

/// A transfer target's media side, made by the call's task.
#[derive(Debug)]
pub(crate) struct TargetSide {
    pub socket: UdpSocket,
    pub stream: bridge::TargetStream,
}

pub(crate) enum ToWorker {
    Open(LegId, Box<MediaLeg>),
    Command(LegId, MediaCommand),
    /// A consulted browser takes the call: the peer connection of leg `from` becomes leg
    /// `to`'s browser side, and leg `from` is dropped ([`super::Gateway::take_consulted_browser`]).
    MoveBrowser {
        from: LegId,
        to: LegId,
    },
    /// The call ended: its recording is finished and its media dropped.
    Close(LegId),
}

/// A worker as the gateway sees it: where to send its calls and which ports they use.
#[derive(Clone)]
pub(crate) struct WorkerHandle {
    pub to: mpsc::UnboundedSender<ToWorker>,
    waker: Arc<Waker>,
    pub browser_port: u16,
    /// The calls dealt to this worker and not yet over.
    calls: Arc<AtomicUsize>,
}

/// A call's place on its worker: counted from [`WorkerHandle::seat`] until dropped (the call's
/// task ends).
pub(crate) struct Seat(Arc<AtomicUsize>);

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Calls a worker takes before the next one is used. Filling one worker first gives it more
/// datagrams per wake-up (fewer context switches per packet, the largest kernel cost in
/// docs/bench.md) while one core has room; beyond this the calls spread to the least loaded.
const CALLS_BEFORE_SPREADING: usize = 256;

/// The worker the next call goes to: the first with fewer than [`CALLS_BEFORE_SPREADING`]
/// calls, else the one with the fewest.
pub(crate) fn pick_worker(workers: &[WorkerHandle]) -> Option<&WorkerHandle> {
    let calls: Vec<usize> = workers
        .iter()
        .map(|w| w.calls.load(Ordering::Relaxed))
        .collect();
    fill_first(&calls).map(|i| &workers[i])
}

/// The index [`pick_worker`] takes, from each worker's call count.
fn fill_first(calls: &[usize]) -> Option<usize> {
    calls
        .iter()
        .position(|&n| n < CALLS_BEFORE_SPREADING)
        .or_else(|| (0..calls.len()).min_by_key(|&i| calls[i]))
}

impl WorkerHandle {
    /// Counts a call on this worker until the seat is dropped.
    pub(crate) fn seat(&self) -> Seat {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Seat(self.calls.clone())
    }

    pub(crate) fn send(&self, message: ToWorker) {
        // A worker only stops once the gateway and every call are gone, or if it panicked: a
        // call opened then fails at once instead of waiting for media that never comes.
        match self.to.send(message) {
            Err(mpsc::error::SendError(ToWorker::Open(_, leg))) => {
                tracing::error!("a media worker has stopped: call refused");
                leg.emit(LegEvent::Failed {
                    detail: "media worker stopped".into(),
                });
            }
            Err(_) => tracing::debug!("message for a media worker that has stopped"),
            Ok(()) => {
                if let Err(e) = self.waker.wake() {
                    tracing::warn!(error = %e, "media worker not woken");
                }
            }
        }
    }
}

/// One media worker per core, each on one port of the range (the browser side).
pub(crate) fn start_workers(m: &MediaConfig) -> Result<Vec<WorkerHandle>, GatewayError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers = Vec::with_capacity(cores);
    let mut port = m.port_min;
    for _ in 0..cores {
        match bind_from(m, &mut port) {
            Ok(browser) => {
                let buffered = socket2::SockRef::from(&browser);
                // Smaller buffers only lose packets sooner under load: not a reason to fail.
                if let Err(e) = buffered
                    .set_recv_buffer_size(SOCKET_BUFFER)
                    .and_then(|()| buffered.set_send_buffer_size(SOCKET_BUFFER))
                {
                    tracing::warn!(error = %e, "media socket buffers keep their default size");
                }
                let worker = Worker::spawn(browser, m.loopback_only);
                workers.push(worker.map_err(|e| GatewayError::MediaWorker(e.to_string()))?);
            }
            // A range too small for every core still serves with the workers it has.
            Err(_) if !workers.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    Ok(workers)
}

/// Receive and send buffers of a shared socket: all of a worker's calls queue there while it
/// is busy or descheduled (500 calls fill the default 208 KiB in about 20 ms). The kernel caps
/// the size at `net.core.rmem_max`/`wmem_max`.
const SOCKET_BUFFER: usize = 4 << 20;

/// A socket on the first free port from `*port` up; `*port` moves past it.
fn bind_from(m: &MediaConfig, port: &mut u16) -> Result<UdpSocket, GatewayError> {
    while *port <= m.port_max && *port >= m.port_min {
        let p = *port;
        *port = port.wrapping_add(1);
        if let Ok(socket) = UdpSocket::bind(SocketAddr::new(m.bind_ip, p)) {
            return Ok(socket);
        }
    }
    Err(GatewayError::NoMediaPort(m.port_min, m.port_max))
}

/// A call's trunk socket on the next free port of the range (`next` turns through it; ports
/// the workers or earlier calls hold are skipped).
pub(crate) fn trunk_socket(m: &MediaConfig, next: &AtomicU32) -> Result<UdpSocket, GatewayError> {
    let (lo, hi) = (m.port_min as u32, m.port_max as u32);
    let span = hi.saturating_sub(lo) + 1;
    for _ in 0..span {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let port = (lo + n % span) as u16;
        if let Ok(socket) = UdpSocket::bind(SocketAddr::new(m.bind_ip, port)) {
            return Ok(socket);
        }
    }
    Err(GatewayError::NoMediaPort(m.port_min, m.port_max))
}

/// Where a worker's datagrams go out.
pub(crate) struct Sockets {
    browser: UdpSocket,
    loopback_only: bool,
    to_browser: SendBatch,
}

impl Sockets {
    pub(crate) fn send_browser(&mut self, destination: SocketAddr, datagram: &[u8]) {
        self.to_browser.push(destination, datagram);
        if self.to_browser.is_full() {
            self.to_browser.flush(&self.browser);
        }
    }

    /// Sends what is queued: after each batch read, and before the worker waits.
    fn flush(&mut self) {
        self.to_browser.flush(&self.browser);
    }
}

pub(crate) struct Worker {
    sockets: Sockets,
    /// Where the calls' trunk sockets are registered.
    registry: Registry,
    commands: mpsc::UnboundedReceiver<ToWorker>,
    legs: HashMap<LegId, Slot>,
    demux: Demux,
    timers: BinaryHeap<Reverse<(Instant, LegId)>>,
    received: RecvBatch,
}

impl Worker {
    /// A worker thread on the browser socket; it runs until every handle to it is dropped.
    fn spawn(browser: UdpSocket, loopback_only: bool) -> std::io::Result<WorkerHandle> {
        let (worker, poll, handle) = Worker::new(browser, loopback_only)?;
        std::thread::Builder::new()
            .name("media-worker".into())
            .spawn(move || worker.run(poll))?;
        Ok(handle)
    }

    /// A worker on the browser socket, the poll it waits in and its handle.
    fn new(
        mut browser: UdpSocket,
        loopback_only: bool,
    ) -> std::io::Result<(Worker, Poll, WorkerHandle)> {
        let browser_port = browser.local_addr()?.port();
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut browser, BROWSER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), COMMANDS)?);
        let registry = poll.registry().try_clone()?;
        let (to, commands) = mpsc::unbounded_channel();
        let worker = Worker {
            sockets: Sockets {
                browser,
                loopback_only,
                to_browser: SendBatch::default(),
            },
            registry,
            commands,
            legs: HashMap::new(),
            demux: Demux::default(),
            timers: BinaryHeap::new(),
            received: RecvBatch::new(),
        };
        let handle = WorkerHandle {
            to,
            waker,
            browser_port,
            calls: Arc::new(AtomicUsize::new(0)),
        };
        Ok((worker, poll, handle))
    }

    fn run(mut self, mut poll: Poll) {
        let mut events = Events::with_capacity(256);
        // The browser socket read to the burst's end may hold more: read again without waiting.
        let mut browser_more = false;
        loop {
            let now = Instant::now();
            let wait = if browser_more {
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
            // New calls first: the browser's first check may come in the same wake-up.
            if !self.take_commands() {
                break;
            }
            for event in events.iter() {
                match event.token() {
                    BROWSER => browser_more = true,
                    COMMANDS => {}
                    Token(n) => {
                        let (id, target) = leg_of(n);
                        self.read_trunk(id, target);
                    }
                }
            }
            if browser_more {
                browser_more = self.read_browser();
            }
            self.fire_due(Instant::now());
            self.sockets.flush();
        }
        for id in self.legs.keys().copied().collect::<Vec<_>>() {
            self.isolated(id, |w| w.close(id));
        }
        self.sockets.flush();
    }

    /// Does `work` for call `id`. A panic in it (a fault in str0m or the bridge) ends that call
    /// alone: it is dropped with a `Failed` event and the worker goes on with its other calls,
    /// instead of the thread dying with all of them.
    fn isolated(&mut self, id: LegId, work: impl FnOnce(&mut Self)) {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(self))).is_err() {
            self.drop_faulted(id);
        }
    }

    fn drop_faulted(&mut self, id: LegId) {
        let Some(mut slot) = self.legs.remove(&id) else {
            return;
        };
        let span = slot.leg.span.clone();
        let _in_call = span.enter();
        tracing::error!(
            leg = id,
            "media fault: the call is ended, the worker's other calls go on"
        );
        slot.leg.emit(LegEvent::Failed {
            detail: "media engine fault".into(),
        });
        let _ = self.registry.deregister(&mut slot.leg.trunk);
        if let Some(mut target) = slot.leg.target.take() {
            let _ = self.registry.deregister(&mut target);
        }
        self.demux
            .remove_leg(id, &slot.leg.ufrag, &slot.browser_sources);
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
            ToWorker::Open(id, mut leg) => {
                let token = trunk_token(id, false);
                if let Err(e) = self
                    .registry
                    .register(&mut leg.trunk, token, Interest::READABLE)
                {
                    // Dropping the leg ends the call's task too.
                    let detail = format!("trunk media socket: {e}");
                    leg.emit(LegEvent::Failed { detail });
                    return;
                }
                self.demux.add_leg(id, &leg.ufrag);
                let slot = Slot {
                    leg,
                    recorder: None,
                    browser_released: false,
                    browser_sources: Vec::new(),
                    rtc_timeout: now,
                    bridge_wake: now,
                    scheduled: None,
                };
                self.legs.insert(id, slot);
                self.isolated(id, |w| w.settle(id, now));
            }
            ToWorker::Command(id, MediaCommand::NewBrowser(side)) => {
                self.isolated(id, |w| w.new_browser(id, *side, now))
            }
            ToWorker::Command(id, MediaCommand::TargetDialled(side)) => {
                self.isolated(id, |w| w.target_dialled(id, *side, now))
            }
            ToWorker::Command(id, MediaCommand::TargetAnswered) => {
                self.isolated(id, |w| w.release_browser(id, now))
            }
            ToWorker::Command(id, MediaCommand::TargetGone) => {
                self.isolated(id, |w| w.target_gone(id, now))
            }
            ToWorker::Command(id, command) => self.isolated(id, |w| {
                let Some(slot) = w.legs.get_mut(&id) else {
                    return;
                };
                slot.command(command, now);
                w.settle(id, now);
            }),
            ToWorker::MoveBrowser { from, to } => {
                self.isolated(to, |w| w.move_browser(from, to, now))
            }
            ToWorker::Close(id) => self.isolated(id, |w| w.close(id)),
        }
    }

    /// Leg `from`'s browser side (its peer connection, already connected) becomes leg `to`'s,
    /// with the addresses it was learnt at, so its next packet is routed to `to` at once; leg
    /// `from` is dropped.
    fn move_browser(&mut self, from: LegId, to: LegId, now: Instant) {
        if from == to || !self.legs.contains_key(&to) {
            return;
        }
        let Some(mut old) = self.legs.remove(&from) else {
            return;
        };
        let _ = self.registry.deregister(&mut old.leg.trunk);
        if let Some(mut target) = old.leg.target.take() {
            let _ = self.registry.deregister(&mut target);
        }
        self.demux
            .remove_leg(from, &old.leg.ufrag, &old.browser_sources);
        let sources = std::mem::take(&mut old.browser_sources);
        let law = old.leg.bridge.browser_law();
        let MediaLeg {
            rtc,
            mid,
            pt,
            ufrag,
            ..
        } = *old.leg;
        self.new_browser(
            to,
            BrowserSide {
                rtc,
                mid,
                pt,
                ufrag,
                law,
            },
            now,
        );
        if let Some(slot) = self.legs.get_mut(&to) {
            for source in sources {
                if self.demux.learn_browser(to, source) {
                    slot.browser_sources.push(source);
                }
            }
        }
    }

    /// A transfer of call `id` to a number is dialled: the target's socket is read from now.
    fn target_dialled(&mut self, id: LegId, side: TargetSide, now: Instant) {
        let Some(slot) = self.legs.get_mut(&id) else {
            return;
        };
        let TargetSide { mut socket, stream } = side;
        if let Some(mut old) = slot.leg.target.take() {
            let _ = self.registry.deregister(&mut old);
        }
        let token = trunk_token(id, true);
        if let Err(e) = self
            .registry
            .register(&mut socket, token, Interest::READABLE)
        {
            // A fresh socket's epoll registration does not fail in practice; if it did, the
            // target's audio would not reach the customer, which the log says.
            let _in_call = slot.leg.span.enter();
            tracing::warn!(error = %e, "transfer target's media socket not registered");
        }
        slot.leg.target = Some(socket);
        slot.leg
            .bridge
            .handle_input(bridge::Input::TargetDialled(stream), now);
        self.settle(id, now);
    }

    /// The transfer of call `id` did not happen: its socket goes, the call goes on.
    fn target_gone(&mut self, id: LegId, now: Instant) {
        let Some(slot) = self.legs.get_mut(&id) else {
            return;
        };
        if slot.leg.bridge.joined() {
            return; // the joined call keeps its target until it ends
        }
        if let Some(mut socket) = slot.leg.target.take() {
            let _ = self.registry.deregister(&mut socket);
        }
        slot.leg.bridge.handle_input(bridge::Input::TargetGone, now);
        self.settle(id, now);
    }

    /// The transfer's target answered: the browser side of call `id` is released (its routes
    /// go, its peer connection is closed and no longer driven, so neither its silence nor its
    /// loss can end the call) and the bridge joins the two trunks.
    fn release_browser(&mut self, id: LegId, now: Instant) {
        let Some(slot) = self.legs.get_mut(&id) else {
            return;
        };
        if !slot.browser_released {
            self.demux
                .remove_leg(id, &slot.leg.ufrag, &slot.browser_sources);
            slot.browser_sources.clear();
            slot.leg.rtc.disconnect();
            slot.browser_released = true;
        }
        slot.leg
            .bridge
            .handle_input(bridge::Input::TargetAnswered, now);
        self.settle(id, now);
    }

    /// Another browser takes call `id`: the old one's routes go, the new one's ufrag names the
    /// call, and the bridge starts on its clock and law.
    fn new_browser(&mut self, id: LegId, side: BrowserSide, now: Instant) {
        let Some(slot) = self.legs.get_mut(&id) else {
            return;
        };
        if slot.browser_released {
            return; // transferred to a number: no browser takes it any more
        }
        self.demux
            .remove_leg(id, &slot.leg.ufrag, &slot.browser_sources);
        slot.browser_sources.clear();
        self.demux.add_leg(id, &side.ufrag);
        let leg = &mut slot.leg;
        leg.rtc = side.rtc;
        leg.mid = side.mid;
        leg.pt = side.pt;
        leg.ufrag = side.ufrag;
        leg.bridge
            .handle_input(bridge::Input::NewBrowser(side.law), now);
        slot.rtc_timeout = now;
        self.settle(id, now);
    }

    /// Reads and handles what the browser socket holds; true if the burst ended first.
    fn read_browser(&mut self) -> bool {
        for _ in 0..READ_BURST / BATCH {
            match self.received.recv(&self.sockets.browser) {
                Ok(0) => return false,
                Ok(n) => (0..n).for_each(|i| self.on_browser_datagram(i)),
                Err(_) => {} // an ICMP error for an earlier send: nothing to do
            }
            self.sockets.flush();
            // A short batch emptied the socket: what arrives later is a new readiness event
            // (saves the empty read that would only say so).
            if self.received.count() < BATCH {
                return false;
            }
        }
        true
    }

    fn on_browser_datagram(&mut self, i: usize) {
        let Some((source, datagram)) = self.received.get(i) else {
            return;
        };
        if self.sockets.loopback_only && !source.ip().is_loopback() {
            return;
        }
        let Some(id) = self.demux.browser_leg(source, datagram) else {
            return;
        };
        self.isolated(id, |w| w.on_leg_browser_datagram(id, i));
    }

    fn on_leg_browser_datagram(&mut self, id: LegId, i: usize) {
        let Some((source, datagram)) = self.received.get(i) else {
            return;
        };
        let Some(slot) = self.legs.get_mut(&id) else {
            return;
        };
        let now = Instant::now();
        let Ok(contents) = datagram.try_into() else {
            return;
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
            return;
        }
        slot.rtc_input(input);
        if !slot.browser_sources.contains(&source) && self.demux.learn_browser(id, source) {
            slot.browser_sources.push(source);
        }
        self.settle(id, now);
    }

    /// Reads and handles everything the call's trunk socket (or its transfer target's) holds
    /// (one call's media: never a long backlog).
    fn read_trunk(&mut self, id: LegId, target: bool) {
        loop {
            let Some(slot) = self.legs.get(&id) else {
                return;
            };
            let socket = if target {
                match slot.leg.target.as_ref() {
                    Some(socket) => socket,
                    None => return,
                }
            } else {
                &slot.leg.trunk
            };
            let n = match self.received.recv(socket) {
                Ok(0) => return,
                Ok(n) => n,
                Err(_) => continue, // an ICMP error for an earlier send: nothing to do
            };
            for i in 0..n {
                self.isolated(id, |w| w.on_trunk_datagram(id, i, target));
            }
            if n < BATCH {
                return; // emptied (as for the browser socket)
            }
        }
    }

    fn on_trunk_datagram(&mut self, id: LegId, i: usize, target: bool) {
        let Some((source, contents)) = self.received.get(i) else {
            return;
        };
        let Some(slot) = self.legs.get_mut(&id) else {
            return;
        };
        let now = Instant::now();
        let input = if target {
            bridge::Input::TargetDatagram { source, contents }
        } else {
            bridge::Input::TrunkDatagram { source, contents }
        };
        slot.leg.bridge.handle_input(input, now);
        self.settle(id, now);
    }

    /// Runs every leg whose deadline has come.
    fn fire_due(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                return;
            }
            self.timers.pop();
            self.isolated(id, |w| w.on_leg_due(id, at, now));
        }
    }

    fn on_leg_due(&mut self, id: LegId, at: Instant, now: Instant) {
        let Some(slot) = self.legs.get_mut(&id) else {
            return;
        };
        if slot.scheduled != Some(at) {
            return; // stale: the leg was rescheduled earlier and has run since
        }
        slot.scheduled = None;
        if slot.rtc_timeout <= now && !slot.browser_released {
            slot.rtc_input(RtcInput::Timeout(now));
        }
        slot.leg.bridge.handle_input(bridge::Input::Timeout, now);
        self.settle(id, now);
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
            slot.drain_bridge();
            match slot.drain_rtc(&mut self.sockets) {
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
        slot.drain_bridge();
        slot.leg.rtc.disconnect();
        let _ = self.registry.deregister(&mut slot.leg.trunk);
        if let Some(mut target) = slot.leg.target.take() {
            let _ = self.registry.deregister(&mut target);
        }
        self.demux
            .remove_leg(id, &slot.leg.ufrag, &slot.browser_sources);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::G711;
    use crate::gateway::bridge::BridgeConfig;

    fn leg(
        ufrag: &str,
    ) -> (
        Box<MediaLeg>,
        mpsc::UnboundedReceiver<LegEvent>,
        oneshot::Receiver<()>,
    ) {
        let (events, events_rx) = mpsc::unbounded_channel();
        let (ended, ended_rx) = oneshot::channel();
        let now = Instant::now();
        let config = BridgeConfig {
            browser_law: G711::Pcmu,
            callee: String::new(),
            idle_silence: false,
            trunk_ssrc: 1,
            trunk_first_sequence: 1,
            trunk_first_timestamp: 1,
        };
        let leg = MediaLeg {
            rtc: Rtc::new(now),
            mid: Mid::from("0"),
            pt: Pt::new_with_value(0),
            ufrag: ufrag.into(),
            candidate: SocketAddr::from(([127, 0, 0, 1], 9)),
            bridge: Bridge::new(config, now),
            trunk: UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap(),
            target: None,
            echo: false,
            span: tracing::Span::none(),
            events,
            _ended: ended,
        };
        (Box::new(leg), events_rx, ended_rx)
    }

    #[test]
    fn a_call_s_two_trunk_sockets_have_tokens_of_their_own() {
        for id in [0, 1, 7, 1_000_000] {
            assert_eq!(leg_of(trunk_token(id, false).0), (id, false));
            assert_eq!(leg_of(trunk_token(id, true).0), (id, true));
        }
        assert_ne!(trunk_token(0, true), trunk_token(1, false));
        assert!(trunk_token(0, false).0 > COMMANDS.0);
    }

    #[test]
    fn calls_fill_one_worker_before_the_next_then_go_to_the_least_loaded() {
        let full = CALLS_BEFORE_SPREADING;
        assert_eq!(fill_first(&[]), None);
        assert_eq!(fill_first(&[0, 0]), Some(0));
        assert_eq!(fill_first(&[full - 1, 0]), Some(0));
        assert_eq!(fill_first(&[full, 3]), Some(1));
        assert_eq!(fill_first(&[full + 9, full + 2]), Some(1));
        assert_eq!(fill_first(&[full + 1, full + 1]), Some(0));
    }

    #[test]
    fn a_fault_in_one_call_ends_that_call_alone() {
        crate::gateway::install_crypto();
        let browser = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let (mut worker, _poll, _handle) = Worker::new(browser, true).unwrap();
        let (faulty, mut faulty_events, mut faulty_ended) = leg("faulty");
        let (other, mut other_events, mut other_ended) = leg("other");
        worker.on_command(ToWorker::Open(1, faulty));
        worker.on_command(ToWorker::Open(2, other));

        worker.isolated(1, |_| panic!("a fault in the media engine"));

        assert!(!worker.legs.contains_key(&1), "the faulty call is dropped");
        match faulty_events.try_recv() {
            Ok(LegEvent::Failed { detail }) => assert_eq!(detail, "media engine fault"),
            other => panic!("expected Failed, got {other:?}"),
        }
        assert_eq!(
            faulty_ended.try_recv(),
            Err(oneshot::error::TryRecvError::Closed),
            "its task is told the media ended"
        );
        // The other call is untouched and still driven.
        worker.fire_due(Instant::now() + Duration::from_secs(1));
        assert!(worker.legs.contains_key(&2));
        assert_eq!(
            other_ended.try_recv(),
            Err(oneshot::error::TryRecvError::Empty)
        );
        assert!(
            !std::iter::from_fn(|| other_events.try_recv().ok())
                .any(|e| matches!(e, LegEvent::Failed { .. })),
            "no failure for the other call"
        );
    }
}
