//! The built-in PSTN simulator: a SIP UAS that behaves like an Amazon Chime SDK Voice Connector
//! and the telephone network behind it. It demands digest credentials, accepts only E.164
//! numbers in its calling plan (+507 Panama, +65 Singapore, no premium ranges) and only G.711,
//! rings, and then acts by number: echo, DTMF read-back, busy, no answer, not found, or answer
//! and hang up. The numbers are in [`TEST_NUMBERS`] (and the README).

mod connector;
mod media;
mod plan;
mod uac;
mod uas;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::sip::{SipEndpoint, SipError};
use crate::tasks::{drain, log_joined};

pub use connector::{Admission, Cidr, ConnectorRefusal, ConnectorRules};
pub use plan::{behaviour_of, check_calling_plan, Behaviour, PlanRefusal, TEST_NUMBERS, TONE_HZ};
pub use uac::{CallIn, CallInEvent};
pub use uas::CalledParty;
use uas::Shared;

/// How long things take on the simulated network.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// From INVITE to answer on numbers that answer.
    pub ring: Duration,
    /// How long the no-answer number rings before the network gives up (480).
    pub no_answer: Duration,
    /// How long the hang-up number stays connected.
    pub hang_up_after: Duration,
    /// How often the refreshing number re-INVITEs.
    pub refresh_every: Duration,
    /// How long the calling-back number stays connected before it hangs up.
    pub call_back_hang_up: Duration,
    /// From that hang-up to the call back.
    pub call_back_after: Duration,
    /// How long a customer calling in lets the phone ring before giving up (CANCEL).
    pub call_in_ring_limit: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            ring: Duration::from_millis(2500),
            no_answer: Duration::from_secs(30),
            hang_up_after: Duration::from_secs(5),
            refresh_every: Duration::from_secs(15),
            call_back_hang_up: Duration::from_secs(2),
            call_back_after: Duration::from_secs(5),
            call_in_ring_limit: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// Where it listens for SIP (UDP and TCP).
    pub sip_addr: SocketAddr,
    /// The address its RTP sockets bind to and its SDP announces (unless behind a [`MediaNat`]).
    pub media_ip: IpAddr,
    pub realm: String,
    pub username: String,
    pub password: String,
    pub timing: Timing,
    /// Also take SIP over TLS: (address, certificate chain PEM, key PEM).
    pub tls: Option<(SocketAddr, Vec<u8>, Vec<u8>)>,
    /// Trust anchors (PEM) for calling in over TLS ([`PstnSimulator::set_origination_tls`]),
    /// as an encrypted connector's origination does.
    pub origination_ca: Option<Vec<u8>>,
    /// `voice-connector` mode: a connector's termination rules (allowed sources, calls per
    /// second, encryption) checked before the rest; `None` is the embedded default's simpler
    /// mode.
    pub connector: Option<ConnectorRules>,
}

/// The simulator's media behind a 1:1 NAT (tests: `testkit::impair`, an impairing relay
/// standing in for a lossy network): its RTP sockets bind `media_ip` on a port in `ports`,
/// and its SDP announces `public_ip` with the same port, where the NAT forwards from. For the
/// calls it answers; calls it places in ([`PstnSimulator::call_in`]) keep `media_ip`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaNat {
    pub public_ip: IpAddr,
    /// First and last port, inclusive.
    pub ports: (u16, u16),
}

pub struct PstnSimulator {
    endpoint: Arc<SipEndpoint>,
    cancel: CancellationToken,
    shared: Arc<Shared>,
}

/// Why the simulator cannot place a call in.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallInError {
    #[error("no origination route: the simulator does not know where calls in go")]
    NoOrigination,
    #[error("{0:?} is not a number in the simulated network's plan (E.164, +507 or +65)")]
    NotInPlan(String),
}

impl PstnSimulator {
    pub async fn start(config: SimulatorConfig) -> Result<PstnSimulator, SipError> {
        Self::start_with_nat(config, None).await
    }

    /// [`PstnSimulator::start`] with its media behind `nat`, when given.
    pub async fn start_with_nat(
        config: SimulatorConfig,
        nat: Option<MediaNat>,
    ) -> Result<PstnSimulator, SipError> {
        let server =
            config
                .tls
                .clone()
                .map(|(addr, cert_pem, key_pem)| crate::sip::SipTls::Server {
                    addr,
                    cert_pem,
                    key_pem,
                });
        let client = config
            .origination_ca
            .clone()
            .map(|ca_pem| crate::sip::SipTls::Client {
                ca_pem,
                server_name: None,
            });
        let tls = server.into_iter().chain(client).collect();
        let (endpoint, mut requests) = SipEndpoint::bind_with_tls(
            config.sip_addr,
            true,
            tls,
            None,
            "softphone-pstn-simulator",
        )
        .await?;
        let cancel = CancellationToken::new();
        let state = Arc::new(Shared {
            admission: config
                .connector
                .clone()
                .map(|r| Mutex::new(Admission::new(r))),
            config,
            media_nat: nat,
            nonces: Mutex::new(HashMap::new()),
            endpoint: endpoint.clone(),
            cancel: cancel.clone(),
            origination: Mutex::new(None),
            called: Mutex::new(HashMap::new()),
        });
        let stop = cancel.clone();
        let serving = state.clone();
        tokio::spawn(async move {
            // One task per request (a call lasts as long as its task); stopping waits for them.
            let mut calls = JoinSet::new();
            loop {
                let tx = tokio::select! {
                    _ = stop.cancelled() => break,
                    Some(done) = calls.join_next(), if !calls.is_empty() => {
                        log_joined(done);
                        continue;
                    }
                    tx = requests.recv() => match tx { Some(tx) => tx, None => break },
                };
                let state = serving.clone();
                calls.spawn(async move { state.handle(tx).await });
            }
            drain(&mut calls).await;
        });
        tracing::info!(addr = %endpoint.local, "PSTN simulator listening");
        Ok(PstnSimulator {
            endpoint,
            cancel,
            shared: state,
        })
    }

    /// Where calls in go (a Voice Connector's origination route): the gateway's SIP address.
    pub fn set_origination(&self, target: SocketAddr) {
        self.shared.set_origination(target, false);
    }

    /// Calls in go to `target` over TLS, offering SDES-SRTP, as a connector with encryption
    /// sends them (needs [`SimulatorConfig::origination_ca`] to trust the gateway).
    pub fn set_origination_tls(&self, target: SocketAddr) {
        self.shared.set_origination(target, true);
    }

    /// A customer at `from` calls the business's number `to` (both E.164): the INVITE goes to
    /// the origination route.
    pub fn call_in(&self, from: &str, to: &str) -> Result<CallIn, CallInError> {
        self.shared.call_in(from, to)
    }

    /// The call to `number` (E.164) the simulator took (ringing or answered) and still
    /// carries, if any (the latest): what that party heard, whether the caller hung up, and a
    /// way to hang it up.
    pub fn called(&self, number: &str) -> Option<CalledParty> {
        self.shared.called(number)
    }

    /// A handle that places calls in, for another part of the program (the server's hook).
    pub fn caller(&self) -> SimulatorCaller {
        SimulatorCaller(self.shared.clone())
    }

    /// The SIP address the gateway's trunk should point at.
    pub fn sip_addr(&self) -> SocketAddr {
        self.endpoint.local
    }

    pub fn stop(&self) {
        self.cancel.cancel();
        self.endpoint.stop();
    }
}

/// Places calls in through a running simulator ([`PstnSimulator::caller`]).
#[derive(Clone)]
pub struct SimulatorCaller(Arc<Shared>);

impl SimulatorCaller {
    /// As [`PstnSimulator::call_in`].
    pub fn call_in(&self, from: &str, to: &str) -> Result<CallIn, CallInError> {
        self.0.call_in(from, to)
    }
}

impl Drop for PstnSimulator {
    fn drop(&mut self) {
        self.stop();
    }
}
