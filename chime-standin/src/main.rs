//! `chime-standin [ADDR:PORT] [SIP_MEDIA_APPLICATION_ID…]`: serves the control-plane stand-in
//! (default 127.0.0.1:8990, one application `00000000-0000-4000-8000-000000000000`) until
//! interrupted. Point the SDK at it with `AWS_ENDPOINT_URL=http://ADDR:PORT`.

use std::net::SocketAddr;

use chime_standin::StandInConfig;

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
    let config = StandInConfig {
        sip_media_applications,
        ..StandInConfig::default()
    };
    match chime_standin::start(config, addr).await {
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
