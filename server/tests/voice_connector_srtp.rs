//! A call the way a Voice Connector with encryption on takes it: the gateway signs in over TLS
//! and offers SDES-SRTP, the PSTN simulator in `voice-connector` mode (TLS on a test CA, SRTP
//! required, digest credentials, an allow-list, a calls-per-second limit, the PA/SG calling
//! plan) answers in SRTP. Audio both ways, keys, a recording of both sides and a re-key on
//! every session refresh; each termination rule refuses what it should; and with every crate
//! of ours logging at `trace` (dependencies at the server's levels) no key reaches the log.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use telephony::gateway::{Gateway, LegCommand, LegEvent, RecordCommand, TrunkSrtp, TrunkTransport};
use telephony::recording::{PauseMode, RecordedAudio};
use telephony::simulator::{ConnectorRules, PstnSimulator};
use telephony::tones::{tone_purity, DtmfDetector, FRAME_SAMPLES};
use testkit::certs::certificates;
use testkit::peer::{PeerCommand, Source};
use testkit::rig::*;

/// Everything logged in this test binary.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        tracing_subscriber::fmt()
            .with_env_filter(server::log_filter(Some("trace")))
            .with_writer(move || Capture(sink.clone()))
            .with_ansi(false)
            .try_init()
            .expect("the test's subscriber is the only one");
        log
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Connector {
    _simulator: PstnSimulator,
    addr: SocketAddr,
    ca: Vec<u8>,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The simulator as a Voice Connector with encryption on, over TLS.
async fn connector(name: &str, allowed: &str, cps_limit: u32) -> Connector {
    captured();
    let dir = std::env::temp_dir().join(format!("softphone-vc-{name}-{}", std::process::id()));
    let (ca, cert, key) = certificates(&dir);
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let rules = ConnectorRules {
        allowed: vec![allowed.parse().expect("a network")],
        cps_limit,
        require_srtp: true,
    };
    let simulator = simulator_with(Some((addr, cert, key)), Some(rules)).await;
    Connector {
        _simulator: simulator,
        addr,
        ca,
        _dir: TempDir(dir),
    }
}

async fn gateway(c: &Connector, password: &str, srtp: TrunkSrtp) -> Arc<Gateway> {
    gateway_srtp(
        &c.addr.to_string(),
        TrunkTransport::Tls {
            ca_pem: c.ca.clone(),
        },
        Some(password),
        port_range(20),
        srtp,
    )
    .await
}

async fn answered(leg: &mut telephony::gateway::CallLeg) {
    wait_for(leg, Duration::from_secs(5), |e| *e == LegEvent::Answered).await;
}

fn rejected(status: u16) -> impl Fn(&LegEvent) -> bool {
    move |e| matches!(e, LegEvent::Rejected { status: s, .. } if *s == status)
}

/// The 1 kHz share of the last half second the peer heard.
fn heard_tone(peer: &testkit::peer::BrowserPeer) -> f32 {
    let audio = peer.take_audio();
    assert!(audio.len() > 4000, "only {} samples came back", audio.len());
    tone_purity(&audio[audio.len() - 4000..], 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_call_carries_audio_keys_and_a_recording_and_logs_no_key() {
    let c = connector("call", "127.0.0.0/8", 5).await;
    let gateway = gateway(&c, TRUNK_PASSWORD, TrunkSrtp::Required).await;

    // Echo: our tone comes back through SRTP both ways, and the recording has both sides.
    let (peer, mut leg) = dial_via(&gateway, "+6560000001", true).await;
    answered(&mut leg).await;
    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    let (sink, mut recorded) = tokio::sync::mpsc::unbounded_channel();
    leg.command(LegCommand::Record(RecordCommand::Start {
        sink,
        notice: Arc::from(&[][..]),
        mode: PauseMode::Silence,
    }));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(heard_tone(&peer) > 0.8, "the echo came back");
    leg.command(LegCommand::Record(RecordCommand::Stop));
    let (mut called, mut agent) = (Vec::new(), Vec::new());
    while let Some(audio) = recorded.recv().await {
        if let RecordedAudio::Frames { left, right } = audio {
            called.extend(left);
            agent.extend(right);
        }
    }
    assert!(called.len() > 8000, "{} samples recorded", called.len());
    let tail = |s: &[i16]| s[s.len() - 4000..].to_vec();
    assert!(
        tone_purity(&tail(&called), 1000.0) > 0.8,
        "the called party"
    );
    assert!(tone_purity(&tail(&agent), 1000.0) > 0.8, "the agent");
    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;

    // Read-back: our keys go out as RFC 4733 in SRTP and come back as tones.
    let (peer, mut leg) = dial_via(&gateway, "+5072000002", true).await;
    answered(&mut leg).await;
    peer.command(PeerCommand::Source(Source::Silence));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for key in ['4', '#'] {
        peer.command(PeerCommand::Dtmf(key));
        wait_for(&mut leg, Duration::from_secs(2), |e| {
            *e == LegEvent::Dtmf(key)
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut detector = DtmfDetector::new();
    let keys: Vec<char> = peer
        .take_audio()
        .chunks(FRAME_SAMPLES)
        .filter_map(|f| detector.push(f))
        .collect();
    assert_eq!(keys, ['4', '#']);
    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;

    let log = String::from_utf8_lossy(&captured().lock().unwrap()).to_string();
    assert!(
        log.contains("trunk media encrypted (SRTP)") && log.contains("AEAD_AES_256_GCM"),
        "the calls were logged, with the suite: {}",
        &log[..log.len().min(2000)]
    );
    for secret in ["inline:", "a=crypto", TRUNK_PASSWORD] {
        assert!(!log.contains(secret), "the log carries {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_session_refresh_re_keys_and_the_audio_goes_on() {
    let c = connector("refresh", "127.0.0.0/8", 5).await;
    let gateway = gateway(&c, TRUNK_PASSWORD, TrunkSrtp::Required).await;
    // The refreshing number re-INVITEs every 700 ms here, each time with a new key.
    let (peer, mut leg) = dial_via(&gateway, "+6560000007", true).await;
    answered(&mut leg).await;
    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    peer.take_audio();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Heard since the first half second: the echo flowed on across three new keys.
    let audio = peer.take_audio();
    assert!(
        audio.len() > 14_000,
        "only {} samples after the re-keys",
        audio.len()
    );
    assert!(tone_purity(&audio[audio.len() - 4000..], 1000.0) > 0.8);
    while let Ok(e) = leg.events.try_recv() {
        assert!(
            !matches!(
                e,
                LegEvent::Failed { .. } | LegEvent::RemoteBye | LegEvent::Rejected { .. }
            ),
            "the call is still up: {e:?}"
        );
    }
    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_termination_rules_refuse_what_a_voice_connector_refuses() {
    // Plain RTP with encryption on: 488.
    let c = connector("rules", "127.0.0.0/8", 2).await;
    let plain = gateway(&c, TRUNK_PASSWORD, TrunkSrtp::Off).await;
    let (_peer, mut leg) = dial_via(&plain, "+6560000001", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(488)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // A wrong password: 403.
    let wrong = gateway(&c, "not-the-password", TrunkSrtp::Required).await;
    let (_peer, mut leg) = dial_via(&wrong, "+6560000001", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(403)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // A destination outside the calling regions (PA, SG): 403.
    let right = gateway(&c, TRUNK_PASSWORD, TrunkSrtp::Required).await;
    let (_peer, mut leg) = dial_via(&right, "+14155550123", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(403)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Over the calls-per-second limit (2): the third call within a second gets 503.
    let mut legs = Vec::new();
    for _ in 0..3 {
        legs.push(dial_via(&right, "+6560000001", false).await);
    }
    let mut answered_calls = 0;
    let mut refused = 0;
    for (_, leg) in legs.iter_mut() {
        let seen = wait_for(leg, Duration::from_secs(5), |e| {
            matches!(e, LegEvent::Answered | LegEvent::Rejected { .. })
        })
        .await;
        match seen.last() {
            Some(LegEvent::Answered) => answered_calls += 1,
            Some(LegEvent::Rejected { status: 503, .. }) => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((answered_calls, refused), (2, 1));

    // A source outside the allow-list: 403 before anything else.
    let elsewhere = connector("source", "10.0.0.0/8", 5).await;
    let gateway = gateway(&elsewhere, TRUNK_PASSWORD, TrunkSrtp::Required).await;
    let (_peer, mut leg) = dial_via(&gateway, "+6560000001", false).await;
    wait_for(&mut leg, Duration::from_secs(5), rejected(403)).await;
}
