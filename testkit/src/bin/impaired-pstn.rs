//! The PSTN simulator behind a lossy network, as a process, for the browser tests
//! (`end2end/tests/call-quality.spec.ts`): the simulator, and `testkit::impair`'s relay (a
//! 1:1 NAT on loopback standing in for `tc netem`, which this kernel lacks) in front of both
//! the server's media ports and the simulator's, so the browser leg and the trunk leg cross it
//! both ways. The server under test uses it as a SIP trunk over UDP and announces the relay's
//! address for its media (`SOFTPHONE_MEDIA_PUBLIC_IP`). A test changes the loss and jitter
//! during a call through a small HTTP control on loopback:
//!
//! ```text
//! impaired-pstn --sip 127.0.0.1:3305 --server-ports 44000-44019 --control 127.0.0.1:3304
//! GET  /healthz                          200 once the relay and the simulator are up
//! POST /level?loss=0.05&jitter_ms=40     200: from the next datagram on, every direction
//! GET  /counts                           200: one line per direction, "from to forwarded dropped reordered"
//! ```
//!
//! The server binds its media on 127.0.0.1 and announces 127.0.0.2; the simulator's media binds
//! 127.0.0.1 on 44100–44119 and announces 127.0.0.3; others (the browser) appear to the server
//! as stand-ins on 127.0.0.4. It starts with no loss and no jitter; the trunk's user name is
//! `softphone` and its password `trunk-secret` (`testkit::rig`). A test-only tool: never a
//! dependency of the server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use telephony::simulator::{MediaNat, PstnSimulator, SimulatorConfig, Timing};
use testkit::impair::{ImpairConfig, ImpairingRelay, NatHost};
use testkit::rig::{TRUNK_PASSWORD, TRUNK_USERNAME};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "impaired-pstn --sip ADDR:PORT --server-ports FIRST-LAST --control ADDR:PORT";
const REAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const SERVER_PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const SIMULATOR_PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
const STAND_INS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4));
const SIMULATOR_PORTS: (u16, u16) = (44100, 44119);

struct Args {
    sip: SocketAddr,
    server_ports: (u16, u16),
    control: SocketAddr,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut sip, mut server_ports, mut control) = (None, None, None);
    let addr = |flag: &str, v: &str| {
        v.parse::<SocketAddr>()
            .map_err(|e| format!("{flag} {v}: {e}"))
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--sip" => sip = Some(addr(&flag, &value)?),
            "--control" => control = Some(addr(&flag, &value)?),
            "--server-ports" => {
                let (first, last) = value
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse::<u16>().ok()?, b.parse::<u16>().ok()?)))
                    .filter(|(a, b)| a <= b && b - a < 1000)
                    .filter(|(a, b)| *b < SIMULATOR_PORTS.0 || *a > SIMULATOR_PORTS.1)
                    .ok_or_else(|| {
                        format!(
                            "--server-ports {value}: FIRST-LAST, at most 1 000 ports, not {}-{} (the simulator's)",
                            SIMULATOR_PORTS.0, SIMULATOR_PORTS.1
                        )
                    })?;
                server_ports = Some((first, last));
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let missing = |name: &str| format!("{name} is missing");
    Ok(Args {
        sip: sip.ok_or_else(|| missing("--sip"))?,
        server_ports: server_ports.ok_or_else(|| missing("--server-ports"))?,
        control: control.ok_or_else(|| missing("--control"))?,
    })
}

/// `loss=0.05&jitter_ms=40`: both required, loss within 0..=1, jitter at most 1 s.
fn parse_level(query: &str) -> Result<(f64, Duration), String> {
    let (mut loss, mut jitter) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("loss", v)) => {
                loss = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|l| (0.0..=1.0).contains(l))
                        .ok_or_else(|| format!("loss {v}: a fraction from 0 to 1"))?,
                )
            }
            Some(("jitter_ms", v)) => {
                jitter = Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|j| *j <= 1000)
                        .map(Duration::from_millis)
                        .ok_or_else(|| {
                            format!("jitter_ms {v}: whole milliseconds, at most 1000")
                        })?,
                )
            }
            _ => return Err(format!("unknown parameter {pair}")),
        }
    }
    Ok((
        loss.ok_or("loss is missing")?,
        jitter.ok_or("jitter_ms is missing")?,
    ))
}

/// One request on the control: its answer (status, body).
fn answer(relay: &ImpairingRelay, method: &str, target: &str) -> (u16, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match (method, path) {
        ("GET", "/healthz") => (200, "ok\n".into()),
        ("POST", "/level") => match parse_level(query) {
            Ok((loss, jitter)) => {
                relay.set(loss, jitter);
                (
                    200,
                    format!("loss {loss} jitter_ms {}\n", jitter.as_millis()),
                )
            }
            Err(e) => (400, format!("{e}\n")),
        },
        ("GET", "/counts") => (
            200,
            relay
                .all_counts()
                .iter()
                .map(|((from, to), c)| {
                    format!(
                        "{from} {to} {} {} {}\n",
                        c.forwarded, c.dropped, c.reordered
                    )
                })
                .collect(),
        ),
        _ => (404, format!("no {method} {path}\n")),
    }
}

async fn serve(relay: &ImpairingRelay, mut stream: TcpStream) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 8192 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = answer(relay, method, target);
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("impaired-pstn: {e}\nusage: {USAGE}");
            return ExitCode::from(2);
        }
    };
    let host = |name: &str, public_ip, ports| NatHost {
        name: name.into(),
        public_ip,
        real_ip: REAL,
        ports,
    };
    let relay = match ImpairingRelay::start(ImpairConfig {
        hosts: vec![
            host("server", SERVER_PUBLIC, args.server_ports),
            host("simulator", SIMULATOR_PUBLIC, SIMULATOR_PORTS),
        ],
        others_ip: STAND_INS,
        loss: 0.0,
        jitter: Duration::ZERO,
        seed: 15,
    })
    .await
    {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("impaired-pstn: cannot bind the relay's ports: {e}");
            return ExitCode::from(1);
        }
    };
    let simulator = PstnSimulator::start_with_nat(
        SimulatorConfig {
            sip_addr: args.sip,
            media_ip: REAL,
            realm: "pstn.impaired".into(),
            username: TRUNK_USERNAME.into(),
            password: TRUNK_PASSWORD.into(),
            timing: Timing::default(),
            tls: None,
            origination_ca: None,
            connector: None,
        },
        Some(MediaNat {
            public_ip: SIMULATOR_PUBLIC,
            ports: SIMULATOR_PORTS,
        }),
    )
    .await;
    let _simulator = match simulator {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "impaired-pstn: the simulator cannot start on {}: {e}",
                args.sip
            );
            return ExitCode::from(1);
        }
    };
    let listener = match TcpListener::bind(args.control).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("impaired-pstn: cannot listen on {}: {e}", args.control);
            return ExitCode::from(1);
        }
    };
    eprintln!(
        "impaired-pstn: SIP on {}, the server's media {SERVER_PUBLIC}:{}-{} and the simulator's {SIMULATOR_PUBLIC} through the relay, control on {}",
        args.sip, args.server_ports.0, args.server_ports.1, args.control
    );
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let relay = relay.clone();
        tokio::spawn(async move {
            let _ = serve(&relay, stream).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_strictly() {
        assert_eq!(
            parse_level("loss=0.05&jitter_ms=40"),
            Ok((0.05, Duration::from_millis(40)))
        );
        assert_eq!(parse_level("jitter_ms=0&loss=0"), Ok((0.0, Duration::ZERO)));
        for bad in [
            "",
            "loss=0.05",
            "jitter_ms=40",
            "loss=5&jitter_ms=40",
            "loss=-0.1&jitter_ms=40",
            "loss=x&jitter_ms=40",
            "loss=0.05&jitter_ms=1001",
            "loss=0.05&jitter_ms=-1",
            "loss=0.05&jitter_ms=40&seed=3",
        ] {
            assert!(parse_level(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arguments_are_all_required_and_checked() {
        let args = |s: &str| parse_args(s.split_whitespace().map(String::from));
        let good = "--sip 127.0.0.1:3305 --server-ports 44000-44019 --control 127.0.0.1:3304";
        let a = args(good).unwrap();
        assert_eq!(a.server_ports, (44000, 44019));
        assert_eq!(a.sip.port(), 3305);
        for bad in [
            good.replace("44000-44019", "44019-44000"),
            good.replace("44000-44019", "1000-9000"),
            good.replace("44000-44019", "44090-44100"),
            good.replace("--control 127.0.0.1:3304", ""),
            good.replace("127.0.0.1:3305", "localhost:3305"),
            format!("{good} --seed"),
            format!("{good} --seed 3"),
        ] {
            assert!(args(&bad).is_err(), "{bad}");
        }
    }
}
