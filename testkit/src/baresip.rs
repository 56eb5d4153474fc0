//! baresip (Debian `baresip-core`) as an independent far end with SDES-SRTP, for interoperability
//! tests of the gateway's SIP leg: runs `scripts/interop/baresip-uas.sh`, which answers over TLS
//! with a certificate from its own test CA, plays a tone and records what it hears. Stopping it
//! returns that recording and baresip's log (SIP messages included). See `docs/testing.md`.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::rig::LOOPBACK;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scripts/interop/baresip-uas.sh"
);

/// baresip's `mediaenc` setting for its account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaEncryption {
    /// `srtp-mand`: only `RTP/SAVP` with `a=crypto` (what a Voice Connector with encryption on
    /// demands); a plain offer gets 488.
    Required,
    /// `srtp`: SRTP when the offer carries `a=crypto`, plain RTP otherwise.
    Optional,
    /// No encryption module on the account: plain RTP.
    Off,
}

impl MediaEncryption {
    fn setting(self) -> &'static str {
        match self {
            MediaEncryption::Required => "srtp-mand",
            MediaEncryption::Optional => "srtp",
            MediaEncryption::Off => "none",
        }
    }
}

#[derive(Clone, Debug)]
pub struct FarEndOptions {
    /// The user part it answers to: the number the gateway dials.
    pub number: String,
    /// The tone it plays to the caller.
    pub tone_hz: u32,
    pub encryption: MediaEncryption,
    /// It quits on its own after this long, whatever happens to the test.
    pub lifetime: Duration,
}

impl Default for FarEndOptions {
    fn default() -> Self {
        FarEndOptions {
            number: "+6591234567".into(),
            tone_hz: 440,
            encryption: MediaEncryption::Required,
            lifetime: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FarEndError {
    #[error(
        "baresip is not installed: `apt-get install baresip-core` (scripts/setup.sh installs it \
         for the tests; CI does)"
    )]
    NotInstalled,
    #[error("no free port pair for baresip's TLS and UDP/TCP listeners")]
    NoPorts,
    #[error("the harness did not start ({0}); its log:\n{1}")]
    NotReady(String, String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("its recording: {0}")]
    Recording(String),
}

/// What the far end heard and logged, once stopped.
#[derive(Debug)]
pub struct FarEndReport {
    /// What it received, decoded: 8 kHz mono (empty when no call was answered).
    pub heard: Vec<i16>,
    /// baresip's log, with every SIP message it sent and received.
    pub log: String,
}

pub struct BaresipFarEnd {
    child: Option<Child>,
    out: PathBuf,
    /// Where it takes SIP over TLS.
    pub tls_addr: SocketAddr,
    /// The test CA its certificate comes from: the trust anchor to give the gateway.
    pub ca_pem: Vec<u8>,
}

impl BaresipFarEnd {
    /// Starts the far end and waits until it listens.
    pub async fn start(options: FarEndOptions) -> Result<BaresipFarEnd, FarEndError> {
        match Command::new("baresip")
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FarEndError::NotInstalled)
            }
            Err(e) => return Err(FarEndError::Io("running baresip -h".into(), e)),
            Ok(_) => {}
        }
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let out = std::env::temp_dir().join(format!(
            "softphone-baresip-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let port = port_pair().ok_or(FarEndError::NoPorts)?;
        let child = Command::new("bash")
            .arg(SCRIPT)
            .args(["--port", &port.to_string()])
            .arg("--out")
            .arg(&out)
            .args(["--number", &options.number])
            .args(["--tone-hz", &options.tone_hz.to_string()])
            .args(["--mediaenc", options.encryption.setting()])
            .args(["--lifetime", &options.lifetime.as_secs().max(1).to_string()])
            .arg("--trace")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| FarEndError::Io(format!("running {SCRIPT}"), e))?;
        let mut far_end = BaresipFarEnd {
            child: Some(child),
            out,
            tls_addr: SocketAddr::new(LOOPBACK, port),
            ca_pem: Vec::new(),
        };
        for _ in 0..150 {
            if far_end.out.join("ready").exists() {
                far_end.ca_pem = std::fs::read(far_end.out.join("ca.pem"))
                    .map_err(|e| FarEndError::Io("reading its CA".into(), e))?;
                return Ok(far_end);
            }
            if let Some(status) = far_end.exited() {
                return Err(FarEndError::NotReady(
                    format!("it exited: {status}"),
                    far_end.log(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(FarEndError::NotReady(
            "not listening after 15 s".into(),
            far_end.log(),
        ))
    }

    /// baresip's log so far.
    pub fn log(&self) -> String {
        std::fs::read(self.out.join("baresip.log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Asks it to quit (SIGTERM: the script stops baresip, which closes its recording), waits,
    /// and returns what it heard and logged.
    pub async fn stop(mut self) -> Result<FarEndReport, FarEndError> {
        self.terminate();
        for _ in 0..100 {
            if self.exited().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = self.log();
        let heard = match std::fs::read(self.out.join("heard.wav")) {
            Ok(bytes) => telephony::wav::parse_mono_8k(&bytes).map_err(FarEndError::Recording)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(FarEndError::Io("reading heard.wav".into(), e)),
        };
        Ok(FarEndReport { heard, log })
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                self.child = None;
                Some(status)
            }
            _ => None,
        }
    }

    /// SIGTERM by `kill`: `Child::kill` sends SIGKILL, which would leave baresip and its
    /// temporary configuration behind (they end with the lifetime).
    fn terminate(&mut self) {
        if let Some(child) = self.child.as_ref() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
    }
}

impl Drop for BaresipFarEnd {
    fn drop(&mut self) {
        self.terminate();
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
        remove_dir(&self.out);
    }
}

fn remove_dir(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

/// A port for TLS whose predecessor is free too: baresip listens for UDP and TCP on a port and
/// for TLS on the next one.
fn port_pair() -> Option<u16> {
    for _ in 0..50 {
        let tls = TcpListener::bind((LOOPBACK, 0)).ok()?;
        let port = tls.local_addr().ok()?.port();
        let below = port.checked_sub(1).filter(|p| *p > 1024)?;
        let free = TcpListener::bind((LOOPBACK, below)).is_ok()
            && UdpSocket::bind((LOOPBACK, below)).is_ok();
        if free {
            return Some(port);
        }
    }
    None
}

/// The share of `samples`' power at `hz` in the purest window of 4000 samples (half a second):
/// the recording starts before the caller's tone and has keys in it.
pub fn best_purity(samples: &[i16], hz: f32) -> f32 {
    samples
        .windows(4000)
        .step_by(800)
        .map(|w| telephony::tones::tone_purity(w, hz))
        .fold(0.0, f32::max)
}

/// The keys baresip logged as received RFC 4733 events (`received event: '5' (end=0)`), once
/// per key press.
pub fn keys_received(log: &str) -> Vec<char> {
    log.lines()
        .filter_map(|l| l.split("received event: '").nth(1))
        .filter(|rest| rest.contains("(end=0)"))
        .filter_map(|rest| rest.chars().next())
        .collect()
}

/// The SRTP suite baresip logged (`SRTP is Enabled (cryptosuite=…)`), if any.
pub fn srtp_suite(log: &str) -> Option<&str> {
    let rest = log.split("SRTP is Enabled (cryptosuite=").nth(1)?;
    rest.split(')').next()
}

/// The SIP messages in baresip's trace (`-s`), in order: each as `TLS <from> -> <to>` then the
/// message, CRLFs kept.
pub fn sip_messages(log: &str) -> Vec<&str> {
    log.split("\x1b[36;1m#\n")
        .skip(1)
        .map(|m| m.split("\x1b[;m").next().unwrap_or(m))
        .collect()
}

/// The message of the trace whose start line begins with `start` (`INVITE`, `SIP/2.0 200`), the
/// first one that carries SDP.
pub fn sip_message_with_sdp<'a>(log: &'a str, start: &str) -> Option<&'a str> {
    sip_messages(log).into_iter().find(|m| {
        m.lines().nth(1).is_some_and(|l| l.starts_with(start)) && m.contains("\r\n\r\nv=0")
    })
}
