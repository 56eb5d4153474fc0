//! Call benchmarks (`cargo bench -p telephony --bench calls`), printing figures:
//!
//! 1. Post-dial delay through our stack on loopback: from the call request reaching the gateway
//!    to `180 Ringing` (offer answered, INVITE, digest challenge, re-INVITE, 180), and from the
//!    answer to the first far-end audio frame at the browser peer.
//! 2. Capacity: N concurrent echo calls (default 50, 200, 500) driven by in-process str0m peers,
//!    with the gateway in its own process so its CPU and memory are measured alone: CPU per
//!    call, memory per call, round-trip latency of marked frames (peer → gateway → simulator
//!    echo → gateway → peer) p50/p99, and loss.
//!
//! 3. Recording: the same echo calls with and without the recording tap (both directions
//!    decoded, lined up, written as stereo WAV to local files): the extra CPU per call and the
//!    bytes written per minute per call (expected 8000 × 2 × 2 × 60 = 1.92 MB/min + header).
//! 4. SRTP toward the trunk: the same echo calls with plain RTP and with SDES-SRTP on the SIP
//!    leg (a second gateway process offering it; the simulator answers the first suite,
//!    AEAD_AES_256_GCM), so SRTP runs on both legs: the extra CPU per call.
//!
//! The gateway runs as a child process of this binary (`--role gateway`), driven over a
//! line-based control socket on 127.0.0.1 (`gateway.rs`). Everything stays on loopback.
//! Knobs: BENCH_CALLS="50 200 500", BENCH_WINDOW_S=20, BENCH_PDD_CALLS=100,
//! BENCH_RECORD_CALLS=100, BENCH_SRTP_CALLS=100.

mod gateway;
mod measure;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use telephony::simulator::{PstnSimulator, SimulatorConfig, Timing};
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use gateway::{gateway_role, gateway_server_role};
use measure::{dir_bytes, percentile, wall_us, Proc};

use testkit::rig::LOOPBACK;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Some(i) = args.iter().position(|a| a == "--role") {
        match args.get(i + 1).map(String::as_str) {
            Some("gateway") => {
                let control: SocketAddr = args[i + 2].parse().expect("control address");
                let trunk = args[i + 3].clone();
                let srtp = args.get(i + 4).is_some_and(|a| a == "srtp");
                runtime.block_on(gateway_role(control, trunk, srtp));
                return;
            }
            // For side-by-side runs with other gateways (scripts/bench/janus): listens for
            // control connections (one per load-generator peer) instead of dialling out.
            Some("gateway-server") => {
                let listen: SocketAddr = args[i + 2].parse().expect("listen address");
                let trunk = args[i + 3].clone();
                let media: IpAddr = args[i + 4].parse().expect("media address");
                runtime.block_on(gateway_server_role(listen, trunk, media));
                return;
            }
            _ => {}
        }
    }
    runtime.block_on(load_role());
}

// ---------------------------------------------------------------------------------------------
// The load process: simulator (far end) + browser peers

struct Control {
    write: tokio::net::tcp::OwnedWriteHalf,
    events: mpsc::UnboundedReceiver<(String, u64, String)>,
    /// Messages that arrived while waiting for another one.
    stash: Vec<(String, u64, String)>,
}

impl Control {
    async fn send(&mut self, line: String) {
        let _ = self.write.write_all(format!("{line}\n").as_bytes()).await;
    }

    async fn expect(&mut self, kind: &str, id: u64) -> String {
        if let Some(i) = self
            .stash
            .iter()
            .position(|(k, i, _)| k == kind && *i == id)
        {
            return self.stash.remove(i).2;
        }
        loop {
            let (k, i, rest) = tokio::time::timeout(Duration::from_secs(30), self.events.recv())
                .await
                .expect("gateway answers in time")
                .expect("control open");
            if k == "ERROR" {
                panic!("gateway error for call {i}: {rest}");
            }
            if k == kind && i == id {
                return rest;
            }
            self.stash.push((k, i, rest));
        }
    }
}

async fn load_role() {
    let sizes: Vec<usize> = std::env::var("BENCH_CALLS")
        .unwrap_or_else(|_| "50 200 500".into())
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let window = Duration::from_secs(
        std::env::var("BENCH_WINDOW_S")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let pdd_calls: usize = std::env::var("BENCH_PDD_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);

    let simulator = PstnSimulator::start(SimulatorConfig {
        sip_addr: SocketAddr::new(LOOPBACK, 0),
        media_ip: LOOPBACK,
        realm: "bench".into(),
        username: "bench".into(),
        password: "bench-secret".into(),
        timing: Timing {
            ring: Duration::from_millis(200),
            no_answer: Duration::from_secs(30),
            hang_up_after: Duration::from_secs(5),
            refresh_every: Duration::from_secs(15),
            ..Timing::default()
        },
        tls: None,
        origination_ca: None,
        connector: None,
    })
    .await
    .expect("simulator starts");
    let (mut child, mut control, gateway) = spawn_gateway(simulator.sip_addr(), false).await;

    println!("# Call benchmarks (loopback, 2 cores; gateway in its own process)");
    println!();
    let pdd_p95 = post_dial_delay(&mut control, pdd_calls).await;
    println!();
    println!(
        "## Capacity: concurrent echo calls, {} s window",
        window.as_secs()
    );
    println!();
    println!("| calls | up | gateway CPU % of a core | CPU per call (% core) | RSS MiB | memory per call KiB | RTT p50 ms | RTT p99 ms | added one-way p50/p99 ms (≤ RTT/2) | loss % | cross-talk |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut next_id = 1_000_000u64;
    let mut at_200 = None;
    for n in sizes {
        let result = capacity(&mut control, &gateway, n, window, &mut next_id, None).await;
        if n == 200 {
            at_200 = Some((result.up, result.p99_one_way_us, result.loss));
        }
    }
    let record_calls: usize = std::env::var("BENCH_RECORD_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let recording =
        recording_cost(&mut control, &gateway, record_calls, window, &mut next_id).await;
    let srtp_calls: usize = std::env::var("BENCH_SRTP_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    srtp_cost(
        &mut control,
        &gateway,
        &simulator,
        srtp_calls,
        window,
        &mut next_id,
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();

    // The targets; the run fails if one is missed.
    println!();
    let mut missed = false;
    let pdd_ok = pdd_p95 <= 50_000;
    missed |= !pdd_ok;
    println!(
        "target: post-dial delay p95 ≤ 50 ms: {} ({:.2} ms)",
        if pdd_ok { "met" } else { "MISSED" },
        pdd_p95 as f64 / 1000.0
    );
    if let Some((up, p99, loss)) = at_200 {
        let ok = up == 200 && p99 <= 5_000 && loss == 0.0;
        missed |= !ok;
        println!(
            "target: 200 concurrent calls, p99 added one-way ≤ 5 ms, no loss: {} ({up} up, {:.2} ms, {loss:.3} % loss)",
            if ok { "met" } else { "MISSED" },
            p99 as f64 / 1000.0
        );
    }
    // Recording writes exactly the audio it should: 32,000 bytes a second per call.
    let per_min_ok = (recording - 1_920_000.0).abs() <= 1_920_000.0 * 0.02;
    missed |= !per_min_ok;
    println!(
        "target: recording writes 1.92 MB/min per call (± 2 %): {} ({:.3} MB/min)",
        if per_min_ok { "met" } else { "MISSED" },
        recording / 1e6
    );
    if missed {
        std::process::exit(1);
    }
}

/// The gateway as a child process of this binary, toward `trunk`, offering SDES-SRTP when
/// `srtp`; its control connection and its process (for CPU and memory).
async fn spawn_gateway(trunk: SocketAddr, srtp: bool) -> (std::process::Child, Control, Proc) {
    let listener = TcpListener::bind((LOOPBACK, 0))
        .await
        .expect("control port");
    let control_addr = listener.local_addr().expect("control address");
    let child = std::process::Command::new(std::env::current_exe().expect("own path"))
        .args(["--role", "gateway"])
        .arg(control_addr.to_string())
        .arg(trunk.to_string())
        .arg(if srtp { "srtp" } else { "rtp" })
        .spawn()
        .expect("gateway process starts");
    let (stream, _) = listener.accept().await.expect("gateway connects");
    let (read, write) = stream.into_split();
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(read).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut p = line.splitn(3, ' ');
            let kind = p.next().unwrap_or_default().to_string();
            let id = p.next().and_then(|i| i.parse().ok()).unwrap_or(0);
            let rest = p.next().unwrap_or_default().to_string();
            let _ = events_tx.send((kind, id, rest));
        }
    });
    let control = Control {
        write,
        events: events_rx,
        stash: Vec::new(),
    };
    let gateway = Proc { pid: child.id() };
    tokio::time::sleep(Duration::from_millis(500)).await;
    (child, control, gateway)
}

/// The same calls with plain RTP and with SDES-SRTP toward the trunk (the browser leg is
/// DTLS-SRTP in both): SRTP's extra CPU per call.
async fn srtp_cost(
    control: &mut Control,
    gateway: &Proc,
    simulator: &PstnSimulator,
    n: usize,
    window: Duration,
    next_id: &mut u64,
) {
    println!();
    println!(
        "## SRTP toward the trunk: {n} concurrent echo calls, {} s window",
        window.as_secs()
    );
    println!();
    println!("| calls | up | gateway CPU % of a core | CPU per call (% core) | RSS MiB | memory per call KiB | RTT p50 ms | RTT p99 ms | added one-way p50/p99 ms (≤ RTT/2) | loss % | cross-talk |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let plain = capacity(control, gateway, n, window, next_id, None).await;
    let (mut child, mut srtp_control, srtp_gateway) =
        spawn_gateway(simulator.sip_addr(), true).await;
    let srtp = capacity(&mut srtp_control, &srtp_gateway, n, window, next_id, None).await;
    let _ = child.kill();
    let _ = child.wait();
    println!();
    println!("| trunk media | CPU per call (% core) |");
    println!("| --- | --- |");
    println!("| RTP | {:.3} |", plain.cpu_per_call);
    println!(
        "| SDES-SRTP (AEAD_AES_256_GCM) | {:.3} |",
        srtp.cpu_per_call
    );
    println!(
        "| SRTP's extra | {:.3} ({:+.0} %) |",
        srtp.cpu_per_call - plain.cpu_per_call,
        (srtp.cpu_per_call / plain.cpu_per_call.max(1e-9) - 1.0) * 100.0
    );
}

/// The same calls without and with recording: extra CPU per call and bytes written per minute
/// per call (the finished files' audio over the time from the start of recording to the BYE).
async fn recording_cost(
    control: &mut Control,
    gateway: &Proc,
    n: usize,
    window: Duration,
    next_id: &mut u64,
) -> f64 {
    let dir = std::env::temp_dir().join(format!("softphone-bench-rec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("recordings dir");
    println!();
    println!(
        "## Recording: {n} concurrent echo calls, {} s window",
        window.as_secs()
    );
    println!();
    println!("| calls | up | gateway CPU % of a core | CPU per call (% core) | RSS MiB | memory per call KiB | RTT p50 ms | RTT p99 ms | added one-way p50/p99 ms (≤ RTT/2) | loss % | cross-talk |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let plain = capacity(control, gateway, n, window, next_id, None).await;
    let recorded = capacity(control, gateway, n, window, next_id, Some(&dir)).await;
    let _ = std::fs::remove_dir_all(&dir);
    println!();
    println!("| | CPU per call (% core) | bytes written per minute per call |");
    println!("| --- | --- | --- |");
    println!("| without recording | {:.3} | 0 |", plain.cpu_per_call);
    println!(
        "| with recording | {:.3} | {:.0} |",
        recorded.cpu_per_call, recorded.bytes_per_min
    );
    println!(
        "| recording's extra | {:.3} ({:+.0} %) | expected 1,920,000 (8000 × 2 ch × 2 B × 60 s) + a 44-byte header per file |",
        recorded.cpu_per_call - plain.cpu_per_call,
        (recorded.cpu_per_call / plain.cpu_per_call.max(1e-9) - 1.0) * 100.0
    );
    recorded.bytes_per_min
}

/// What one capacity run measured.
struct Capacity {
    up: usize,
    p99_one_way_us: u64,
    loss: f64,
    cpu_per_call: f64,
    /// Recording bytes written per minute per call (0 without recording).
    bytes_per_min: f64,
}

/// Sequential calls to the echo number: request → 180, and answer → first echoed frame.
async fn post_dial_delay(control: &mut Control, calls: usize) -> u64 {
    let mut to_ringing = Vec::new();
    let mut to_audio = Vec::new();
    for id in 0..calls as u64 {
        let mut peer = BrowserPeer::new(LOOPBACK, false).await.expect("peer");
        peer.command(PeerCommand::Source(Source::Tone(1000.0)));
        control
            .send(format!(
                "OPEN {id} +6560000001 {}",
                peer.offer.replace("\r\n", "|")
            ))
            .await;
        let answer = control.expect("ANSWER", id).await;
        peer.accept_answer(answer.replace('|', "\r\n"));
        let ringing: u64 = control.expect("RINGING", id).await.parse().unwrap_or(0);
        let answered_at: u64 = control.expect("ANSWERED", id).await.parse().unwrap_or(0);
        // The first far-end (echoed) frame after the answer.
        let before = peer.with_state(|s| s.frames_received);
        let mut first = None;
        for _ in 0..500 {
            if peer.with_state(|s| s.frames_received) > before {
                first = Some(wall_us());
                break;
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        to_ringing.push(ringing);
        if let Some(t) = first {
            to_audio.push(t.saturating_sub(answered_at));
        }
        control.send(format!("BYE {id}")).await;
        control.expect("ENDED", id).await;
    }
    to_ringing.sort_unstable();
    to_audio.sort_unstable();
    let ms = |us: u64| us as f64 / 1000.0;
    println!("## Post-dial delay ({calls} sequential calls to the echo number)");
    println!();
    println!("| interval | p50 ms | p95 ms | max ms |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| call request at the gateway → 180 Ringing (offer answered, INVITE, 401 challenge, authenticated INVITE, 180) | {:.2} | {:.2} | {:.2} |",
        ms(percentile(&to_ringing, 0.5)),
        ms(percentile(&to_ringing, 0.95)),
        ms(*to_ringing.last().unwrap_or(&0))
    );
    println!(
        "| answer (200 OK at the gateway) → first far-end frame at the browser peer | {:.2} | {:.2} | {:.2} |",
        ms(percentile(&to_audio, 0.5)),
        ms(percentile(&to_audio, 0.95)),
        ms(*to_audio.last().unwrap_or(&0))
    );
    println!();
    println!("(the second interval includes up to one 20 ms frame interval: the peer sends a frame every 20 ms and the echo returns it; {} of {calls} calls measured)", to_audio.len());
    percentile(&to_ringing, 0.95)
}

/// N concurrent echo calls measured over `window`; recorded into `record` when given.
async fn capacity(
    control: &mut Control,
    gateway: &Proc,
    n: usize,
    window: Duration,
    next_id: &mut u64,
    record: Option<&std::path::Path>,
) -> Capacity {
    let (_, idle_rss) = gateway.sample();
    let mut peers = Vec::with_capacity(n);
    let started = Instant::now();
    // Set up in batches of 10 so the simulator and the gateway are not flooded.
    for batch in 0..n.div_ceil(10) {
        let mut ids = Vec::new();
        for k in 0..10.min(n - batch * 10) {
            let id = *next_id;
            *next_id += 1;
            let peer = BrowserPeer::new(LOOPBACK, false).await.expect("peer");
            peer.command(PeerCommand::Source(Source::Marked((batch * 10 + k) as u32)));
            control
                .send(format!(
                    "OPEN {id} +6560000001 {}",
                    peer.offer.replace("\r\n", "|")
                ))
                .await;
            ids.push(id);
            peers.push((id, peer));
        }
        for id in ids {
            let answer = control.expect("ANSWER", id).await;
            if let Some((_, p)) = peers.iter_mut().find(|(i, _)| *i == id) {
                p.accept_answer(answer.replace('|', "\r\n"));
            }
        }
    }
    for (id, _) in &peers {
        control.expect("ANSWERED", *id).await;
    }
    // Recording starts now for every call and runs until its BYE.
    let recording_since = Instant::now();
    if let Some(dir) = record {
        for (id, _) in &peers {
            let path = dir.join(format!("{id}.wav"));
            control
                .send(format!("RECORD {id} {}", path.display()))
                .await;
        }
    }
    let up = peers.len();
    let setup_s = started.elapsed().as_secs_f64();
    // Warm up, then measure over the window.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (_, p) in &peers {
        p.with_state(|s| {
            s.round_trips_us.clear();
            s.frames_sent = 0;
            s.frames_received = 0;
        });
    }
    let (cpu0, _) = gateway.sample();
    let t0 = Instant::now();
    let mut rss_peak = 0;
    while t0.elapsed() < window {
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss_peak = rss_peak.max(gateway.sample().1);
    }
    let (cpu1, _) = gateway.sample();
    let elapsed = t0.elapsed().as_secs_f64();
    let mut rtts = Vec::new();
    let (mut sent, mut back, mut crosstalk) = (0u64, 0u64, 0u64);
    for (_, p) in &peers {
        p.with_state(|s| {
            rtts.extend(s.round_trips_us.iter().map(|&v| v as u64));
            sent += s.frames_sent;
            back += s.round_trips_us.len() as u64;
            crosstalk += s.crosstalk;
        });
    }
    rtts.sort_unstable();
    let cpu_pct = (cpu1 - cpu0) / elapsed * 100.0;
    // Frames still in flight at the window's end are not loss: allow one frame per call.
    let loss = if sent > 0 {
        (sent.saturating_sub(back).saturating_sub(up as u64)) as f64 / sent as f64 * 100.0
    } else {
        100.0
    };
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "| {n} | {up} (set up in {setup_s:.1} s) | {cpu_pct:.1} | {:.3} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} / {:.2} | {loss:.3} | {crosstalk} |",
        cpu_pct / up.max(1) as f64,
        rss_peak as f64 / 1024.0,
        (rss_peak.saturating_sub(idle_rss)) as f64 / up.max(1) as f64,
        ms(percentile(&rtts, 0.5)),
        ms(percentile(&rtts, 0.99)),
        ms(percentile(&rtts, 0.5)) / 2.0,
        ms(percentile(&rtts, 0.99)) / 2.0,
    );
    let recorded_s = recording_since.elapsed().as_secs_f64();
    for (id, _) in &peers {
        control.send(format!("BYE {id}")).await;
    }
    for (id, _) in &peers {
        control.expect("ENDED", *id).await;
    }
    drop(peers);
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Every file is finished now: audio bytes (headers aside) over the time recorded.
    let audio_bytes = record
        .map(dir_bytes)
        .unwrap_or(0)
        .saturating_sub(44 * up as u64);
    Capacity {
        up,
        p99_one_way_us: percentile(&rtts, 0.99) / 2,
        loss,
        cpu_per_call: cpu_pct / up.max(1) as f64,
        bytes_per_min: audio_bytes as f64 / recorded_s * 60.0 / up.max(1) as f64,
    }
}
