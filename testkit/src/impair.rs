//! A lossy, jittery network on loopback, in user space: a stand-in for `tc netem` where the
//! kernel has no `sch_netem` (and no iptables to steer traffic through one).
//!
//! It is a 1:1 NAT with impairment. Each host behind it ([`NatHost`]: the gateway, the
//! simulator) is bound on its real address and announces a public one; the relay binds every
//! port of the host's range on the public address and forwards what arrives there to the same
//! port on the real address. Whoever sends it appears as their own public address (same port)
//! when they are a host behind the relay, so both ends of a trunk leg see exactly the addresses
//! their SDP named; anyone else (the browser peer) appears as a stand-in socket of the relay
//! (one per source, on [`ImpairConfig::others_ip`]), through which the host's replies go back,
//! sent from the host's public address. Every direction (from → to) drops each datagram with
//! probability [`ImpairConfig::loss`] and delays the rest by a uniformly random 0..=jitter, so
//! packets reorder as with netem's jitter; decisions come from a seeded RNG per direction, so a
//! run's sequence of verdicts is reproducible.
//!
//! The decisions ([`Impairment`], [`DelayLine`]) and the address translation ([`Nat`]) are
//! plain structs with the time passed in; [`ImpairingRelay`] is the thin socket loop.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

/// Drop or delay, one datagram at a time, on one direction.
#[derive(Debug)]
pub struct Impairment {
    loss: f64,
    jitter: Duration,
    rng: StdRng,
    /// The latest departure handed out: a datagram due before it overtakes an earlier one.
    latest_due: Option<Instant>,
    pub counts: Counts,
}

/// What one direction has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub forwarded: u64,
    pub dropped: u64,
    /// Forwarded datagrams that leave before one that arrived earlier.
    pub reordered: u64,
}

impl Counts {
    pub fn seen(&self) -> u64 {
        self.forwarded + self.dropped
    }
}

impl Impairment {
    /// `loss` is clamped to 0..=1.
    pub fn new(loss: f64, jitter: Duration, seed: u64) -> Impairment {
        Impairment {
            loss: loss.clamp(0.0, 1.0),
            jitter,
            rng: StdRng::seed_from_u64(seed),
            latest_due: None,
            counts: Counts::default(),
        }
    }

    /// New loss and jitter from the next datagram on; the verdicts' random sequence goes on.
    pub fn set(&mut self, loss: f64, jitter: Duration) {
        self.loss = loss.clamp(0.0, 1.0);
        self.jitter = jitter;
    }

    /// A datagram that arrived at `now`: `None` to drop it, or when it leaves.
    pub fn verdict(&mut self, now: Instant) -> Option<Instant> {
        if self.rng.random_bool(self.loss) {
            self.counts.dropped += 1;
            return None;
        }
        let jitter_us = self.jitter.as_micros().min(u64::MAX as u128) as u64;
        let delay = Duration::from_micros(self.rng.random_range(0..=jitter_us));
        let due = now + delay;
        self.counts.forwarded += 1;
        match self.latest_due {
            Some(latest) if due < latest => self.counts.reordered += 1,
            _ => self.latest_due = Some(due),
        }
        Some(due)
    }
}

/// Datagrams waiting for their departure time, earliest first (ties in arrival order).
#[derive(Debug)]
pub struct DelayLine<T> {
    queue: BinaryHeap<Reverse<Delayed<T>>>,
    next_seq: u64,
}

#[derive(Debug)]
struct Delayed<T> {
    due: Instant,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Delayed<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl<T> Eq for Delayed<T> {}
impl<T> PartialOrd for Delayed<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Delayed<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

impl<T> Default for DelayLine<T> {
    fn default() -> Self {
        DelayLine {
            queue: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<T> DelayLine<T> {
    pub fn push(&mut self, due: Instant, item: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Reverse(Delayed { due, seq, item }));
    }

    /// The earliest item due at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.queue.peek()?.0.due > now {
            return None;
        }
        self.queue.pop().map(|Reverse(d)| d.item)
    }

    pub fn next_due(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse(d)| d.due)
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// A host behind the relay: bound on `real_ip`, announcing `public_ip`, on the ports `ports`
/// (first, last, inclusive) of both.
#[derive(Clone, Debug)]
pub struct NatHost {
    /// Names the host in [`ImpairingRelay::counts`].
    pub name: String,
    pub public_ip: IpAddr,
    pub real_ip: IpAddr,
    pub ports: (u16, u16),
}

impl NatHost {
    fn has_real(&self, addr: SocketAddr) -> bool {
        addr.ip() == self.real_ip && (self.ports.0..=self.ports.1).contains(&addr.port())
    }

    fn has_public(&self, addr: SocketAddr) -> bool {
        addr.ip() == self.public_ip && (self.ports.0..=self.ports.1).contains(&addr.port())
    }
}

/// One end of a direction: a host behind the relay (by index), or anyone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    Host(usize),
    Other,
}

/// Which of the relay's sockets sends a datagram on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// The public socket at this address (a host's public address and one of its ports).
    Public(SocketAddr),
    /// The stand-in socket for this source outside the relay (made on first use).
    StandIn(SocketAddr),
}

/// Where a datagram goes, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub from: Party,
    pub to: Party,
    pub destination: SocketAddr,
    pub via: Via,
}

/// The address translation, sans IO.
#[derive(Clone, Debug)]
pub struct Nat {
    hosts: Vec<NatHost>,
}

/// What a party is called in the counts.
pub const OTHERS: &str = "others";

impl Nat {
    pub fn new(hosts: Vec<NatHost>) -> Nat {
        Nat { hosts }
    }

    pub fn hosts(&self) -> &[NatHost] {
        &self.hosts
    }

    pub fn name(&self, party: Party) -> &str {
        match party {
            Party::Host(i) => self.hosts.get(i).map_or(OTHERS, |h| h.name.as_str()),
            Party::Other => OTHERS,
        }
    }

    fn host_of_real(&self, addr: SocketAddr) -> Option<usize> {
        self.hosts.iter().position(|h| h.has_real(addr))
    }

    /// A datagram from `source` to our public socket `at`: to the same port on the host's real
    /// address, sent from the source's public address when it is a host too (else from its
    /// stand-in). `None` for a socket that is not ours or a source that is one of our own
    /// public addresses (the relay never talks to itself).
    pub fn inbound(&self, at: SocketAddr, source: SocketAddr) -> Option<Route> {
        let to = self.hosts.iter().position(|h| h.has_public(at))?;
        if self.hosts.iter().any(|h| h.has_public(source)) {
            return None;
        }
        let destination = SocketAddr::new(self.hosts[to].real_ip, at.port());
        let (from, via) = match self.host_of_real(source) {
            Some(g) => (
                Party::Host(g),
                Via::Public(SocketAddr::new(self.hosts[g].public_ip, source.port())),
            ),
            None => (Party::Other, Via::StandIn(source)),
        };
        Some(Route {
            from,
            to: Party::Host(to),
            destination,
            via,
        })
    }

    /// A datagram from `source` to the stand-in for `other`: only a host behind the relay
    /// answers through a stand-in, and it goes back to `other` from the host's public address.
    pub fn to_other(&self, other: SocketAddr, source: SocketAddr) -> Option<Route> {
        let g = self.host_of_real(source)?;
        Some(Route {
            from: Party::Host(g),
            to: Party::Other,
            destination: other,
            via: Via::Public(SocketAddr::new(self.hosts[g].public_ip, source.port())),
        })
    }
}

/// The relay's settings.
#[derive(Clone, Debug)]
pub struct ImpairConfig {
    pub hosts: Vec<NatHost>,
    /// Where stand-ins for sources outside the relay bind (any port). Not a host's public
    /// address, so that a stand-in's port cannot take one of a host's.
    pub others_ip: IpAddr,
    /// Chance of dropping each datagram, on every direction.
    pub loss: f64,
    /// Each forwarded datagram waits a uniformly random 0..=jitter.
    pub jitter: Duration,
    pub seed: u64,
}

/// The relay's sockets: a host's public one, or the stand-in for a source outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Socket {
    Public(SocketAddr),
    StandIn(SocketAddr),
}

struct Arrival {
    socket: Socket,
    source: SocketAddr,
    contents: Vec<u8>,
    at: Instant,
}

struct Departure {
    via: Via,
    destination: SocketAddr,
    contents: Vec<u8>,
}

type SharedCounts = Arc<Mutex<HashMap<(String, String), Counts>>>;

/// Loss and jitter, changed while the relay runs ([`ImpairingRelay::set`]).
type SharedLevel = Arc<Mutex<(f64, Duration)>>;

/// The running relay; dropping it stops it and closes its sockets.
pub struct ImpairingRelay {
    counts: SharedCounts,
    level: SharedLevel,
    task: JoinHandle<()>,
}

impl ImpairingRelay {
    /// Binds every host's public ports (failing if any is taken) and starts forwarding.
    pub async fn start(config: ImpairConfig) -> std::io::Result<ImpairingRelay> {
        let (arrivals_tx, arrivals) = mpsc::unbounded_channel();
        let mut readers = JoinSet::new();
        let mut sockets = HashMap::new();
        for host in &config.hosts {
            for port in host.ports.0..=host.ports.1 {
                let addr = SocketAddr::new(host.public_ip, port);
                let socket = Arc::new(UdpSocket::bind(addr).await?);
                readers.spawn(read(
                    socket.clone(),
                    Socket::Public(addr),
                    arrivals_tx.clone(),
                ));
                sockets.insert(Socket::Public(addr), socket);
            }
        }
        let counts = SharedCounts::default();
        let level = Arc::new(Mutex::new((config.loss, config.jitter)));
        let relay = Relay {
            level: level.clone(),
            nat: Nat::new(config.hosts.clone()),
            config,
            sockets,
            readers,
            arrivals_tx,
            directions: HashMap::new(),
            line: DelayLine::default(),
            counts: counts.clone(),
        };
        let task = tokio::spawn(relay.run(arrivals));
        Ok(ImpairingRelay {
            counts,
            level,
            task,
        })
    }

    /// Every direction drops with `loss` and delays by up to `jitter` from the next datagram
    /// on (a network that gets worse, or recovers, during a call).
    pub fn set(&self, loss: f64, jitter: Duration) {
        *self.level.lock().unwrap_or_else(|p| p.into_inner()) = (loss.clamp(0.0, 1.0), jitter);
    }

    /// What the direction `from` → `to` (host names, or [`OTHERS`]) has done so far.
    pub fn counts(&self, from: &str, to: &str) -> Counts {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(from.to_string(), to.to_string()))
            .copied()
            .unwrap_or_default()
    }

    /// Every direction that has seen a datagram, with its counts.
    pub fn all_counts(&self) -> Vec<((String, String), Counts)> {
        let mut all: Vec<_> = self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

impl Drop for ImpairingRelay {
    /// The readers are owned by the task: aborting it drops them, and the sockets close.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one socket until it fails or the relay is gone.
async fn read(socket: Arc<UdpSocket>, which: Socket, to: mpsc::UnboundedSender<Arrival>) {
    let mut buf = vec![0u8; 2048];
    let mut failures = 0;
    loop {
        let (n, source) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            // An ICMP unreachable from an earlier send may surface here: not fatal, unless it
            // is all the socket does.
            Err(e) => {
                failures += 1;
                if failures > 100 {
                    tracing::warn!(error = %e, "impairing relay: a socket stopped reading");
                    return;
                }
                continue;
            }
        };
        failures = 0;
        let arrival = Arrival {
            socket: which,
            source,
            contents: buf[..n].to_vec(),
            at: Instant::now(),
        };
        if to.send(arrival).is_err() {
            return;
        }
    }
}

struct Relay {
    config: ImpairConfig,
    nat: Nat,
    sockets: HashMap<Socket, Arc<UdpSocket>>,
    readers: JoinSet<()>,
    arrivals_tx: mpsc::UnboundedSender<Arrival>,
    directions: HashMap<(Party, Party), Impairment>,
    line: DelayLine<Departure>,
    counts: SharedCounts,
    level: SharedLevel,
}

impl Relay {
    async fn run(mut self, mut arrivals: mpsc::UnboundedReceiver<Arrival>) {
        loop {
            let next = self.line.next_due();
            tokio::select! {
                arrival = arrivals.recv() => match arrival {
                    Some(a) => self.on_arrival(a),
                    None => return,
                },
                _ = sleep_until(next), if next.is_some() => {}
            }
            self.send_due().await;
        }
    }

    fn on_arrival(&mut self, a: Arrival) {
        let route = match a.socket {
            Socket::Public(at) => self.nat.inbound(at, a.source),
            Socket::StandIn(other) => self.nat.to_other(other, a.source),
        };
        let Some(route) = route else {
            return;
        };
        let direction = (route.from, route.to);
        let seed = self.config.seed ^ direction_seed(direction);
        let (loss, jitter) = *self.level.lock().unwrap_or_else(|p| p.into_inner());
        let impairment = self
            .directions
            .entry(direction)
            .or_insert_with(|| Impairment::new(loss, jitter, seed));
        impairment.set(loss, jitter);
        let verdict = impairment.verdict(a.at);
        let counts = impairment.counts;
        let key = (
            self.nat.name(route.from).to_string(),
            self.nat.name(route.to).to_string(),
        );
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, counts);
        if let Some(due) = verdict {
            self.line.push(
                due,
                Departure {
                    via: route.via,
                    destination: route.destination,
                    contents: a.contents,
                },
            );
        }
    }

    async fn send_due(&mut self) {
        while let Some(d) = self.line.pop_due(Instant::now()) {
            let Some(socket) = self.socket_for(d.via).await else {
                continue;
            };
            let _ = socket.send_to(&d.contents, d.destination).await;
        }
    }

    /// The socket for `via`; a stand-in is bound (and read) on first use.
    async fn socket_for(&mut self, via: Via) -> Option<Arc<UdpSocket>> {
        let key = match via {
            Via::Public(addr) => Socket::Public(addr),
            Via::StandIn(other) => Socket::StandIn(other),
        };
        if let Some(s) = self.sockets.get(&key) {
            return Some(s.clone());
        }
        let Via::StandIn(_) = via else {
            return None;
        };
        let socket = match UdpSocket::bind((self.config.others_ip, 0)).await {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::warn!(error = %e, "impairing relay: no stand-in socket");
                return None;
            }
        };
        self.readers
            .spawn(read(socket.clone(), key, self.arrivals_tx.clone()));
        self.sockets.insert(key, socket.clone());
        Some(socket)
    }
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
    }
}

/// A direction's own seed (mixed with the configured one), so each direction's verdicts
/// depend only on its own datagrams.
fn direction_seed((from, to): (Party, Party)) -> u64 {
    let index = |p: Party| match p {
        Party::Host(i) => i as u64 + 1,
        Party::Other => 0,
    };
    (index(from) << 32 | index(to)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
    }

    fn addr(last: u8, port: u16) -> SocketAddr {
        SocketAddr::new(ip(last), port)
    }

    #[test]
    fn loss_is_near_the_asked_rate_and_delays_stay_within_the_jitter() {
        let start = Instant::now();
        let mut imp = Impairment::new(0.05, Duration::from_millis(40), 7);
        let mut delays = Vec::new();
        for i in 0..20_000u64 {
            let now = start + Duration::from_millis(20 * i);
            if let Some(due) = imp.verdict(now) {
                delays.push(due - now);
            }
        }
        let c = imp.counts;
        assert_eq!(c.seen(), 20_000);
        let loss = c.dropped as f64 / 20_000.0;
        assert!((0.04..0.06).contains(&loss), "loss {loss}");
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(40)));
        let mean = delays.iter().sum::<Duration>() / delays.len() as u32;
        assert!(
            (Duration::from_millis(18)..Duration::from_millis(22)).contains(&mean),
            "mean delay {mean:?}"
        );
        // At 20 ms spacing a 0..40 ms jitter lets about one packet in eight overtake.
        let reordered = c.reordered as f64 / c.forwarded as f64;
        assert!((0.08..0.17).contains(&reordered), "reordered {reordered}");
    }

    #[test]
    fn a_seed_gives_the_same_verdicts_every_run() {
        let start = Instant::now();
        let verdicts = |seed| {
            let mut imp = Impairment::new(0.3, Duration::from_millis(40), seed);
            (0..200)
                .map(|i| imp.verdict(start + Duration::from_millis(i)))
                .collect::<Vec<_>>()
        };
        assert_eq!(verdicts(1), verdicts(1));
        assert_ne!(verdicts(1), verdicts(2));
    }

    #[test]
    fn no_loss_and_no_jitter_passes_everything_at_once_in_order() {
        let now = Instant::now();
        let mut imp = Impairment::new(0.0, Duration::ZERO, 3);
        assert!((0..100).all(|_| imp.verdict(now) == Some(now)));
        assert_eq!(imp.counts.reordered, 0);
        let mut all = Impairment::new(1.0, Duration::ZERO, 3);
        assert!((0..100).all(|_| all.verdict(now).is_none()));
    }

    #[test]
    fn a_new_level_holds_from_the_next_datagram() {
        let now = Instant::now();
        let mut imp = Impairment::new(1.0, Duration::ZERO, 3);
        assert!((0..50).all(|_| imp.verdict(now).is_none()));
        imp.set(0.0, Duration::ZERO);
        assert!((0..50).all(|_| imp.verdict(now) == Some(now)));
        imp.set(7.0, Duration::ZERO);
        assert!(imp.verdict(now).is_none(), "a loss over 1 is all of them");
        assert_eq!((imp.counts.dropped, imp.counts.forwarded), (51, 50));
    }

    #[test]
    fn the_delay_line_releases_by_due_time_then_arrival() {
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let mut line = DelayLine::default();
        line.push(ms(30), "c");
        line.push(ms(10), "a");
        line.push(ms(30), "d");
        line.push(ms(20), "b");
        assert_eq!(line.next_due(), Some(ms(10)));
        assert_eq!(line.pop_due(ms(5)), None);
        assert_eq!(line.pop_due(ms(25)), Some("a"));
        assert_eq!(line.pop_due(ms(25)), Some("b"));
        assert_eq!(line.pop_due(ms(25)), None);
        assert_eq!(line.len(), 2);
        assert_eq!(line.pop_due(ms(30)), Some("c"));
        assert_eq!(line.pop_due(ms(30)), Some("d"));
        assert!(line.is_empty());
    }

    fn nat() -> Nat {
        Nat::new(vec![
            NatHost {
                name: "gateway".into(),
                public_ip: ip(2),
                real_ip: ip(1),
                ports: (40_000, 40_009),
            },
            NatHost {
                name: "simulator".into(),
                public_ip: ip(3),
                real_ip: ip(1),
                ports: (41_000, 41_003),
            },
        ])
    }

    #[test]
    fn hosts_behind_the_relay_see_each_other_at_their_public_addresses() {
        let nat = nat();
        // The gateway's trunk port sends to the simulator's public address.
        let r = nat
            .inbound(addr(3, 41_001), addr(1, 40_005))
            .expect("routed");
        assert_eq!(
            r,
            Route {
                from: Party::Host(0),
                to: Party::Host(1),
                destination: addr(1, 41_001),
                via: Via::Public(addr(2, 40_005)),
            }
        );
        // And the simulator answers to the gateway's public address.
        let back = nat
            .inbound(addr(2, 40_005), addr(1, 41_001))
            .expect("routed");
        assert_eq!(back.destination, addr(1, 40_005));
        assert_eq!(back.via, Via::Public(addr(3, 41_001)));
        assert_eq!(
            (nat.name(back.from), nat.name(back.to)),
            ("simulator", "gateway")
        );
    }

    #[test]
    fn others_go_through_a_stand_in_and_hear_back_from_the_public_address() {
        let nat = nat();
        let browser = addr(1, 55_555);
        let r = nat.inbound(addr(2, 40_000), browser).expect("routed");
        assert_eq!(r.from, Party::Other);
        assert_eq!(r.destination, addr(1, 40_000));
        assert_eq!(r.via, Via::StandIn(browser));
        let back = nat.to_other(browser, addr(1, 40_000)).expect("routed");
        assert_eq!(back.destination, browser);
        assert_eq!(back.via, Via::Public(addr(2, 40_000)));
        assert_eq!(nat.name(back.to), OTHERS);
        // Only a host behind the relay answers through a stand-in.
        assert_eq!(nat.to_other(browser, addr(1, 55_000)), None);
        // The relay's own addresses never feed it, nor do sockets that are not its own.
        assert_eq!(nat.inbound(addr(2, 40_000), addr(3, 41_000)), None);
        assert_eq!(nat.inbound(addr(2, 39_999), browser), None);
    }
}
