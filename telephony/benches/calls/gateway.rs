//! The gateway process (`--role gateway`, or `--role gateway-server` for side-by-side runs):
//! a gateway toward the load process's simulator, driven over a line-based control socket.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use telephony::gateway::{
    CallLeg, Gateway, GatewayConfig, LegCommand, LegEvent, MediaConfig, RecordCommand, TrunkConfig,
    TrunkSrtp, TrunkTransport,
};
use telephony::recording::{consent_notice, PauseMode, RecordedAudio};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Mutex};

use crate::measure::wall_us;
use testkit::rig::LOOPBACK;

async fn start_gateway(trunk: String, media: IpAddr, srtp: TrunkSrtp) -> Arc<Gateway> {
    Gateway::start(GatewayConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        trunk: TrunkConfig {
            target: trunk,
            transport: TrunkTransport::Udp,
            username: Some("bench".into()),
            password: Some("bench-secret".into()),
            caller_id: "+6560000000".into(),
            srtp,
        },
        media: MediaConfig {
            bind_ip: media,
            public_ip: media,
            port_min: 20_000,
            port_max: 29_999,
            loopback_only: media.is_loopback(),
        },
        inbound: None,
    })
    .await
    .expect("gateway starts")
}

/// `srtp`: the SIP leg offers SDES-SRTP only (plain RTP otherwise).
pub(crate) async fn gateway_role(control: SocketAddr, trunk: String, srtp: bool) {
    let srtp = if srtp {
        TrunkSrtp::Required
    } else {
        TrunkSrtp::Off
    };
    let gateway = start_gateway(trunk, LOOPBACK, srtp).await;
    let stream = TcpStream::connect(control).await.expect("control connects");
    serve_control(stream, gateway).await;
}

pub(crate) async fn gateway_server_role(listen: SocketAddr, trunk: String, media: IpAddr) {
    let gateway = start_gateway(trunk, media, TrunkSrtp::Off).await;
    let listener = TcpListener::bind(listen).await.expect("control port");
    println!("gateway listening for control connections on {listen}");
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_control(stream, gateway.clone()));
    }
}

/// One control connection: `OPEN id callee offer` → `ANSWER id sdp`, then `RINGING`,
/// `ANSWERED`, `ENDED` lines; `BYE id` hangs up (SDP line breaks travel as `|`).
async fn serve_control(stream: TcpStream, gateway: Arc<Gateway>) {
    let (read, write) = stream.into_split();
    let write = Arc::new(Mutex::new(write));
    let mut lines = BufReader::new(read).lines();
    let mut legs: HashMap<u64, telephony::gateway::LegCommander> = HashMap::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut parts = line.splitn(4, ' ');
        match (parts.next(), parts.next()) {
            (Some("OPEN"), Some(id)) => {
                let id: u64 = id.parse().unwrap_or(0);
                let callee = parts.next().unwrap_or_default().to_string();
                let offer = parts.next().unwrap_or_default().replace('|', "\r\n");
                let opened = Instant::now();
                match gateway.open(&callee, &offer).await {
                    Ok(leg) => {
                        legs.insert(id, leg.commander());
                        let answer = leg.answer.replace("\r\n", "|");
                        send(&write, format!("ANSWER {id} {answer}")).await;
                        leg.command(LegCommand::Invite);
                        tokio::spawn(report(id, leg, opened, write.clone()));
                    }
                    Err(e) => send(&write, format!("ERROR {id} {e}")).await,
                }
            }
            (Some("RECORD"), Some(id)) => {
                // `RECORD id path`: the call's recording goes to a WAV file at `path`.
                let path = std::path::PathBuf::from(parts.next().unwrap_or_default());
                if let Some(leg) = legs.get(&id.parse().unwrap_or(0)) {
                    let mut wav = telephony::wav::WavWriter::create(&path).expect("recording file");
                    let (sink, mut audio) = mpsc::unbounded_channel();
                    tokio::spawn(async move {
                        while let Some(a) = audio.recv().await {
                            if let RecordedAudio::Frames { left, right } = a {
                                wav.write(&left, &right).expect("recording write");
                            }
                        }
                        let _ = wav.finish();
                    });
                    leg.command(LegCommand::Record(RecordCommand::Start {
                        sink,
                        notice: consent_notice(None).into(),
                        mode: PauseMode::Silence,
                    }));
                }
            }
            (Some("BYE"), Some(id)) => {
                if let Some(leg) = legs.remove(&id.parse().unwrap_or(0)) {
                    leg.command(LegCommand::Bye);
                }
            }
            _ => break,
        }
    }
}

async fn send(write: &Arc<Mutex<tokio::net::tcp::OwnedWriteHalf>>, line: String) {
    let mut w = write.lock().await;
    let _ = w.write_all(format!("{line}\n").as_bytes()).await;
}

/// Tells the load process when the call rang and was answered (µs after the request arrived,
/// and the wall clock of the answer).
async fn report(
    id: u64,
    mut leg: CallLeg,
    opened: Instant,
    write: Arc<Mutex<tokio::net::tcp::OwnedWriteHalf>>,
) {
    while let Some(e) = leg.events.recv().await {
        match e {
            LegEvent::Ringing => {
                send(
                    &write,
                    format!("RINGING {id} {}", opened.elapsed().as_micros()),
                )
                .await
            }
            LegEvent::Answered => send(&write, format!("ANSWERED {id} {}", wall_us())).await,
            LegEvent::EndConfirmed
            | LegEvent::RemoteBye
            | LegEvent::Rejected { .. }
            | LegEvent::Failed { .. } => {
                send(&write, format!("ENDED {id} {e:?}")).await;
                leg.command(LegCommand::Close);
                break;
            }
            _ => {}
        }
    }
}
