//! `chime-standin [ADDR:PORT] [SIP_MEDIA_APPLICATION_ID…]`: serves the stand-in (default
//! 127.0.0.1:8990, one application `00000000-0000-4000-8000-000000000000`) until interrupted.
//! Point the SDK at it with `AWS_ENDPOINT_URL=http://ADDR:PORT`.
//!
//! Meeting media needs a trunk for the gateway that answers it: `CHIME_STANDIN_TRUNK=HOST:PORT`
//! (UDP; digest credentials from `CHIME_STANDIN_TRUNK_USERNAME` and
//! `CHIME_STANDIN_TRUNK_PASSWORD` if it asks), media on 127.0.0.1 ports 42000-42999. Without it
//! the signalling answers everything but SUBSCRIBE.
//!
//! The SIP media application runtime pushes the handler's progress as the Lambda does when
//! `SOFTPHONE_CHIME_EVENTS_URL` and `SOFTPHONE_CHIME_EVENTS_SECRET` are set (same names), and
//! writes `StartCallRecording`'s WAV files under `CHIME_STANDIN_S3_DIR` (S3's stand-in).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use chime_standin::StandInConfig;
use telephony::gateway::{Gateway, GatewayConfig, MediaConfig, TrunkConfig, TrunkTransport};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8990".into());
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        eprintln!("chime-standin: {addr:?} is not an address and port such as 127.0.0.1:8990");
        return std::process::ExitCode::from(2);
    };
    let mut sip_media_applications: Vec<String> = args.collect();
    if sip_media_applications.is_empty() {
        sip_media_applications.push("00000000-0000-4000-8000-000000000000".into());
    }
    let reporter = match sma::report::Reporter::from_env() {
        Ok(reporter) => reporter.map(Arc::new),
        Err(e) => {
            eprintln!("chime-standin: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let config = StandInConfig {
        sip_media_applications,
        runtime: chime_standin::RuntimeConfig {
            reporter,
            s3_dir: std::env::var_os("CHIME_STANDIN_S3_DIR").map(std::path::PathBuf::from),
            ..chime_standin::RuntimeConfig::default()
        },
        ..StandInConfig::default()
    };
    let gateway = match std::env::var("CHIME_STANDIN_TRUNK") {
        Ok(trunk) => match media_gateway(trunk).await {
            Ok(gateway) => Some(gateway),
            Err(e) => {
                eprintln!("chime-standin: the media gateway does not start: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
        Err(_) => None,
    };
    match chime_standin::start_with_media(config, addr, gateway).await {
        Ok(running) => {
            println!(
                "chime-standin listening on {}",
                running.stand_in.endpoint_url()
            );
            // Ctrl-C (or its failure to install) ends the stand-in either way.
            let _ = tokio::signal::ctrl_c().await;
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chime-standin: cannot listen on {addr}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn media_gateway(trunk: String) -> Result<Arc<Gateway>, telephony::gateway::GatewayError> {
    Gateway::start(GatewayConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        trunk: TrunkConfig {
            target: trunk,
            transport: TrunkTransport::Udp,
            username: std::env::var("CHIME_STANDIN_TRUNK_USERNAME").ok(),
            password: std::env::var("CHIME_STANDIN_TRUNK_PASSWORD").ok(),
            caller_id: "+6560000000".into(),
            srtp: telephony::gateway::TrunkSrtp::Off,
        },
        media: MediaConfig {
            bind_ip: LOOPBACK,
            public_ip: LOOPBACK,
            port_min: 42_000,
            port_max: 42_999,
            loopback_only: true,
        },
        inbound: None,
    })
    .await
}
