//! What places calls, started from the configuration: the media gateway toward the trunk, the
//! PSTN simulator when it is the trunk, and the local Chime stand-in for `chime-standin`.

use std::sync::Arc;

use crate::config::{
    self, Config, RecordingsBackend, Secret, SipTransport, TelephonyConfig, Trunk,
};
use crate::{chime, recordings, web, StartError};

/// What places calls: the gateway, and the simulator when it is the trunk. Keep it alive.
pub struct TelephonyRuntime {
    pub gateway: Arc<telephony::gateway::Gateway>,
    pub simulator: Option<telephony::simulator::PstnSimulator>,
    /// The local Chime stand-in (`SOFTPHONE_TELEPHONY=chime-standin`), dialling through the
    /// gateway.
    pub stand_in: Option<chime_standin::Running>,
}

/// The SIP media application the local stand-in hosts (any fixed id: it is local).
const STANDIN_SMA_ID: &str = "5e7a1d2c-0000-4000-8000-00000000c41e";

/// Starts the local Chime stand-in with its SIP media application runtime dialling through
/// `gateway`, and the control plane's clients pointed at it. Its handler pushes progress to this
/// server with a secret made for this run.
pub(crate) async fn start_chime_standin(
    config: &Config,
    gateway: Arc<telephony::gateway::Gateway>,
) -> Result<
    (
        Arc<chime::ChimeControl>,
        Secret<String>,
        chime_standin::Running,
    ),
    StartError,
> {
    if config.addr.port() == 0 {
        return Err(StartError::Config(config::ConfigError::Unusable {
            name: "LEPTOS_SITE_ADDR",
            value: config.addr.to_string(),
            problem: "SOFTPHONE_TELEPHONY=chime-standin needs a fixed port: the stand-in's handler pushes call progress to it".into(),
        }));
    }
    let host = if config.addr.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        config.addr.ip()
    };
    let url = format!(
        "http://{}{}",
        std::net::SocketAddr::new(host, config.addr.port()),
        web::CHIME_PROGRESS_PATH
    );
    let secret = format!(
        "{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    );
    let reporter = sma::report::Reporter::new(&url, secret.as_bytes())
        .map_err(|e| StartError::Telephony(format!("the stand-in's progress push: {e}")))?;
    let caller_id = config
        .chime
        .caller_id
        .clone()
        .unwrap_or_else(|| config.telephony.caller_id.clone());
    let stand_in_config = chime_standin::StandInConfig {
        sip_media_applications: vec![STANDIN_SMA_ID.into()],
        phone_numbers: vec![caller_id.clone()],
        runtime: chime_standin::RuntimeConfig {
            reporter: Some(Arc::new(reporter)),
            // Its S3 is a directory of buckets: the recordings directory is one of them.
            s3_dir: match &config.recordings.backend {
                RecordingsBackend::Disk { dir } => {
                    Some(recordings::DiskRecordings::bucket_of(dir).0)
                }
                RecordingsBackend::S3(_) => None,
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let running = chime_standin::start_with_media(
        stand_in_config,
        std::net::SocketAddr::new(host, 0),
        Some(gateway),
    )
    .await
    .map_err(|e| StartError::Telephony(format!("the Chime stand-in: {e}")))?;
    let settings = chime::ChimeSettings {
        media_region: config.chime.media_region.clone(),
        sip_media_application_id: STANDIN_SMA_ID.into(),
        caller_id,
        bridge_number: config.chime.bridge_number.clone(),
    };
    let control = chime::ChimeControl::at_endpoint(&running.stand_in.endpoint_url(), settings);
    tracing::info!(endpoint = %running.stand_in.endpoint_url(), "Chime stand-in ready");
    Ok((Arc::new(control), Secret::new(secret), running))
}

/// Starts the gateway toward the configured trunk (and the PSTN simulator when that is it).
pub async fn start_telephony(config: &TelephonyConfig) -> Result<TelephonyRuntime, StartError> {
    use telephony::gateway::{Gateway, GatewayConfig, TrunkConfig, TrunkTransport};
    use telephony::simulator::{PstnSimulator, SimulatorConfig, Timing};
    let fail = |e: &dyn std::fmt::Display| StartError::Telephony(e.to_string());
    let (trunk, simulator) = match &config.trunk {
        Trunk::Simulator => {
            // Fresh credentials every start: the simulator demands digest auth like a carrier.
            let password = format!("{:032x}", rand::random::<u128>());
            let simulator = PstnSimulator::start(SimulatorConfig {
                sip_addr: std::net::SocketAddr::new(config.sip_addr.ip(), 0),
                media_ip: config.sip_addr.ip(),
                realm: "pstn.simulator".into(),
                username: "softphone".into(),
                password: password.clone(),
                timing: Timing::default(),
                tls: None,
                origination_ca: None,
                connector: None,
            })
            .await
            .map_err(|e| fail(&e))?;
            let trunk = TrunkConfig {
                target: simulator.sip_addr().to_string(),
                transport: TrunkTransport::Udp,
                username: Some("softphone".into()),
                password: Some(password),
                caller_id: config.caller_id.clone(),
                srtp: telephony::gateway::TrunkSrtp::Off,
            };
            (trunk, Some(simulator))
        }
        Trunk::Sip {
            target,
            transport,
            username,
            password,
            srtp,
        } => (
            TrunkConfig {
                target: target.clone(),
                transport: match transport {
                    SipTransport::Udp => TrunkTransport::Udp,
                    SipTransport::Tcp => TrunkTransport::Tcp,
                    SipTransport::Tls { ca_file } => TrunkTransport::Tls {
                        ca_pem: std::fs::read(ca_file).map_err(|e| {
                            StartError::Telephony(format!(
                                "cannot read SOFTPHONE_TRUNK_CA_FILE {}: {e}",
                                ca_file.display()
                            ))
                        })?,
                    },
                },
                username: username.clone(),
                password: password.as_ref().map(|p| p.expose().clone()),
                caller_id: config.caller_id.clone(),
                srtp: *srtp,
            },
            None,
        ),
    };
    // Calls in: from the configured networks, and from the simulator when it is the trunk.
    let mut sources = config.inbound_sources.clone();
    if let Some(simulator) = &simulator {
        sources.push(telephony::cidr::Cidr::host(simulator.sip_addr().ip()));
    }
    let tls = match &config.inbound_tls {
        None => None,
        Some(files) => {
            let (cert_pem, key_pem) = read_tls_files(files).map_err(StartError::Telephony)?;
            Some(telephony::gateway::InboundTls {
                addr: files.addr,
                cert_pem,
                key_pem,
            })
        }
    };
    let inbound = (!sources.is_empty()).then_some(telephony::gateway::InboundConfig {
        allowed_sources: sources,
        tls,
    });
    if inbound.is_none() {
        tracing::info!("calls in are refused: SOFTPHONE_TRUNK_INBOUND_SOURCES is not set");
    }
    let gateway = Gateway::start(GatewayConfig {
        sip_addr: config.sip_addr,
        trunk,
        media: config.media.clone(),
        inbound,
    })
    .await
    .map_err(|e| fail(&e))?;
    if let Some(simulator) = &simulator {
        // Its callers (and its calling-back number) call the business through the gateway.
        simulator.set_origination(gateway.sip_addr());
    }
    tracing::info!(
        sip = %gateway.sip_addr(),
        trunk = if simulator.is_some() { "simulator" } else { "sip" },
        media = %config.media.public_ip,
        "telephony ready"
    );
    Ok(TelephonyRuntime {
        gateway,
        simulator,
        stand_in: None,
    })
}

/// SIGHUP reloads the certificate of the TLS listener for calls in (`SOFTPHONE_SIP_TLS_*`) from
/// its files: Let's Encrypt renews it every two or three months, and a restart would end every
/// call in progress. A file that does not read or parse leaves the one in use. Without a TLS
/// listener, SIGHUP is logged and ignored (not the default: ending the server).
#[cfg(unix)]
pub(crate) fn reload_certificate_on_hangup(
    runtime: Option<&TelephonyRuntime>,
    config: &TelephonyConfig,
) {
    let reload = runtime.zip(config.inbound_tls.clone());
    let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => signal,
        Err(e) => {
            tracing::warn!(error = %e, "SIGHUP not handled: certificates reload only at a restart");
            return;
        }
    };
    let reload = reload.map(|(runtime, files)| (runtime.gateway.clone(), files));
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            let Some((gateway, files)) = &reload else {
                tracing::info!("SIGHUP: nothing to reload (no SOFTPHONE_SIP_TLS_ADDR)");
                continue;
            };
            match reload_certificate(gateway, files) {
                Ok(()) => tracing::info!(
                    cert_file = %files.cert_file.display(),
                    "SIP TLS certificate reloaded: new connections present it, calls go on"
                ),
                Err(e) => tracing::error!(
                    error = %e,
                    "SIP TLS certificate not reloaded: the one in use stays"
                ),
            }
        }
    });
}

#[cfg(unix)]
fn reload_certificate(
    gateway: &telephony::gateway::Gateway,
    files: &config::InboundTlsFiles,
) -> Result<(), String> {
    let (cert, key) = read_tls_files(files)?;
    gateway
        .reload_inbound_tls(&cert, &key)
        .map_err(|e| e.to_string())
}

/// The TLS listener's certificate chain and key (PEM), as the files hold them now.
fn read_tls_files(files: &config::InboundTlsFiles) -> Result<(Vec<u8>, Vec<u8>), String> {
    let read = |name: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| format!("cannot read {name} {}: {e}", path.display()))
    };
    Ok((
        read("SOFTPHONE_SIP_TLS_CERT_FILE", &files.cert_file)?,
        read("SOFTPHONE_SIP_TLS_KEY_FILE", &files.key_file)?,
    ))
}
