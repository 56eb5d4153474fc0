//! The call metrics after a scripted set of calls through the real path: the number policy and
//! the spend limits (`ops::start`), the hub, the gateway and the simulator. Calls answered
//! (one recorded, with its quality summary), busy, not found, hung up by the far end, and one
//! refused; checked in the
//! Prometheus text the `/metrics` listener serves and in the CloudWatch EMF lines. One test:
//! the recorder is the process's, so its counts are this file's calls exactly.

mod common;

use std::sync::Arc;
use std::time::Duration;

use app::api::live::{ClientMessage, LiveRecordingState, RecordAction, ServerMessage};
use app::api::ports::{
    CallOrigin, CallStore, Principal, RecordingMetadataStore, Services, SpendStore,
};
use app::api::ApiError;
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use app::domain::quality::{Summary, Warning};
use app::domain::recordings::RecordingState;
use common::*;
use server::config::{MetricsConfig, MetricsListen};
use testkit::metrics::sample;
use testkit::peer::{PeerCommand, Source};

async fn scrape(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("text/plain; version=0.0.4"), "{out}");
    out
}

async fn services(rig: &Rig) -> Services {
    let (key, _) = server::identity::SigningKey::generate().unwrap();
    let store: Arc<dyn app::api::ports::Store> = rig.store.clone();
    let identity = server::identity::LocalIdentity::new(
        server::identity::LocalIdentityConfig::new("http://127.0.0.1:3000".into()),
        store.clone(),
        Arc::new(server::clock::SystemClock),
        Arc::new(key),
    )
    .await
    .unwrap();
    Services {
        store,
        identity: Arc::new(identity),
        numbers: Arc::new(server::numbers::Libphonenumber),
        clock: Arc::new(server::clock::SystemClock),
        telephony: rig.hub.clone(),
        recordings: rig.recordings.clone(),
        push: Arc::new(app::api::ports::PushOff),
        spend_policy: app::domain::spend::SpendPolicy::default(),
        sign_up_policy: app::domain::signup::SignUpPolicy::default(),
        secure_cookies: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_counted_by_outcome_country_and_number_type() {
    let metrics = server::metrics::install(Some("Softphone"));
    let config = MetricsConfig {
        listen: MetricsListen::Set("127.0.0.1:0".parse().unwrap()),
        emf_namespace: None,
    };
    let addr = server::metrics::serve(&config, metrics)
        .await
        .unwrap()
        .expect("listening");
    let rig = rig((31700, 31739), Duration::from_secs(5)).await;
    // Five short calls to neighbouring test numbers would trip the velocity rules (that is
    // what they are for): Alice is exempt here.
    let exempt = app::domain::spend::SpendOverrides {
        velocity_exempt: true,
        ..Default::default()
    };
    rig.store.set_spend_overrides(ALICE, &exempt).await.unwrap();
    let services = services(&rig).await;
    let alice = Principal {
        sub: ALICE.into(),
        email: "alice@example.com".into(),
        groups: vec![],
    };
    let place = |tab: &Tab, number: &'static str| {
        let origin = CallOrigin::App {
            connection: tab.connection,
        };
        let (services, alice) = (&services, &alice);
        async move { app::api::calls::ops::start(services, alice, number, None, origin).await }
    };

    // Answered, recorded, hung up by the agent.
    let mut tab = open_tab(&rig);
    let echo = place(&tab, "+65 6000 0001").await.unwrap();
    let peer = offer(&rig, &tab, &echo.call_id).await;
    wait_state(&mut tab, |s| matches!(s, CallState::Connected { .. })).await;
    // A voice to echo: the trunk's side of the call is then measured.
    peer.command(PeerCommand::Source(Source::Tone(1000.0)));
    let during = scrape(addr).await;
    assert_eq!(
        sample(&during, "softphone_calls_active", &[]),
        Some(1.0),
        "{during}"
    );
    assert_eq!(
        sample(&during, "softphone_live_connections", &[]),
        Some(1.0)
    );
    send(&rig, &tab, record(&echo.call_id, RecordAction::Start)).await;
    wait_recording(&mut tab, LiveRecordingState::Recording).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send(&rig, &tab, hangup(&echo.call_id)).await;
    wait_state(&mut tab, ended(EndReason::Completed, HangupBy::Agent)).await;
    // The tab's quality summary once the audio closed: an impossible one is refused and not
    // counted, a possible one kept and counted; one for a call that is not Alice's neither.
    let summary = Summary {
        rated: 10,
        worst_mos: Some(3.2),
        mos_sum: 40.0,
        max_loss_percent: 5.0,
        max_jitter_ms: 8.0,
        max_rtt_ms: Some(30.0),
        warnings: vec![Warning::HighPacketLoss],
    };
    let quality = |call_id: &str, summary: Summary| ClientMessage::CallQuality {
        call_id: call_id.into(),
        summary,
    };
    let impossible = Summary {
        worst_mos: Some(9.0),
        ..summary.clone()
    };
    let refused = send(&rig, &tab, quality(&echo.call_id, impossible)).await;
    assert!(
        matches!(&refused, Some(ServerMessage::Error { message, .. }) if message.contains("worst_mos")),
        "{refused:?}"
    );
    let unknown = send(&rig, &tab, quality("not-a-call", summary.clone())).await;
    assert!(
        matches!(unknown, Some(ServerMessage::Error { .. })),
        "{unknown:?}"
    );
    assert_eq!(
        send(&rig, &tab, quality(&echo.call_id, summary.clone())).await,
        None
    );
    let kept = rig.store.call_quality(ALICE, &echo.call_id).await.unwrap();
    assert_eq!(kept.as_ref().and_then(|q| q.agent.clone()), Some(summary));
    // The gateway's measure of the trunk's echo, kept at the call's end (over a second of it).
    let trunk = kept.and_then(|q| q.trunk).expect("the trunk's reception");
    assert!(trunk.received >= 50 && trunk.lost == 0, "{trunk:?}");
    rig.hub.disconnect(ALICE, tab.connection);

    // Busy, not found, and answered then hung up by the far end (Panama).
    for (number, reason) in [
        ("+65 6000 0003", EndReason::Busy),
        ("+65 6000 0005", EndReason::NotFound),
        ("+507 200-0006", EndReason::Completed),
    ] {
        let mut tab = open_tab(&rig);
        let call = place(&tab, number).await.unwrap();
        let _peer = offer(&rig, &tab, &call.call_id).await;
        wait_state(&mut tab, ended(reason, HangupBy::Remote)).await;
        rig.hub.disconnect(ALICE, tab.connection);
    }

    // Refused by the number policy: nothing dialled, the refusal counted.
    let tab = open_tab(&rig);
    assert!(matches!(
        place(&tab, "+1 415 555 0100").await,
        Err(ApiError::NumberRefused(_))
    ));
    rig.hub.disconnect(ALICE, tab.connection);

    // The recording's bytes, once it is stored.
    let recording_id = record_of(&rig, &echo.call_id).await.recording_id.unwrap();
    let mut stored = None;
    for _ in 0..80 {
        let r = rig
            .store
            .get_recording(ALICE, &recording_id)
            .await
            .unwrap()
            .unwrap();
        if r.state == RecordingState::Complete {
            stored = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = stored.expect("the recording is stored");

    let text = scrape(addr).await;
    let started = |country, kind| {
        sample(
            &text,
            "softphone_calls_started_total",
            &[
                ("direction", "outbound"),
                ("country", country),
                ("number_type", kind),
            ],
        )
    };
    assert_eq!(started("SG", "fixed_line"), Some(3.0), "{text}");
    assert_eq!(started("PA", "fixed_line"), Some(1.0), "{text}");
    let answered = |country| {
        sample(
            &text,
            "softphone_calls_answered_total",
            &[("direction", "outbound"), ("country", country)],
        )
    };
    assert_eq!(answered("SG"), Some(1.0), "{text}");
    assert_eq!(answered("PA"), Some(1.0), "{text}");
    let ended = |country, reason| {
        sample(
            &text,
            "softphone_calls_ended_total",
            &[
                ("direction", "outbound"),
                ("country", country),
                ("reason", reason),
            ],
        )
    };
    assert_eq!(ended("SG", "completed"), Some(1.0), "{text}");
    assert_eq!(ended("SG", "busy"), Some(1.0), "{text}");
    assert_eq!(ended("SG", "not_found"), Some(1.0), "{text}");
    assert_eq!(ended("PA", "completed"), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "softphone_call_refusals_total",
            &[("reason", "other_country")]
        ),
        Some(1.0),
        "{text}"
    );
    // Every answered call rang or answered first: each has its post-dial delay, in seconds.
    let pdd_pa = sample(
        &text,
        "softphone_post_dial_delay_seconds_count",
        &[("country", "PA")],
    );
    assert_eq!(pdd_pa, Some(1.0), "{text}");
    let pdd_sum = sample(
        &text,
        "softphone_post_dial_delay_seconds_sum",
        &[("country", "PA")],
    );
    assert!(pdd_sum.is_some_and(|s| s > 0.0 && s < 5.0), "{pdd_sum:?}");
    assert!(sample(
        &text,
        "softphone_post_dial_delay_seconds_count",
        &[("country", "SG")]
    )
    .is_some_and(|n| (1.0..=3.0).contains(&n)));
    assert_eq!(sample(&text, "softphone_calls_active", &[]), Some(0.0));
    assert_eq!(sample(&text, "softphone_live_connections", &[]), Some(0.0));
    assert_eq!(
        sample(&text, "softphone_recording_bytes_total", &[]),
        Some(stored.bytes as f64),
        "{text}"
    );
    assert_eq!(
        sample(&text, "softphone_recording_failures_total", &[]),
        Some(0.0)
    );
    // One call's quality, its average MOS 4.0; the trunk's side of the answered calls.
    assert!(
        sample(&text, "softphone_trunk_packet_loss_percent_count", &[]).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "softphone_trunk_packet_loss_percent_sum", &[]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "softphone_call_mos_count", &[]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "softphone_call_mos_sum", &[]),
        Some(4.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "softphone_call_quality_warnings_total",
            &[("warning", "high_packet_loss")]
        ),
        Some(1.0),
        "{text}"
    );
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !line.contains("6000") && !line.contains("2000"),
            "a number in {line}"
        );
    }

    // The same counts as CloudWatch EMF lines, valid by the format's rules.
    let emf = metrics.emf.as_ref().expect("EMF on");
    let lines = emf.flush(1_765_000_000_000);
    let docs: Vec<_> = lines
        .iter()
        .map(|l| testkit::metrics::valid_emf(l))
        .collect();
    let busy = docs
        .iter()
        .find(|d| d["country"] == "SG" && d["reason"] == "busy")
        .expect("a document for busy calls to Singapore");
    assert_eq!(busy["calls_ended"], 1);
    assert_eq!(busy["direction"], "outbound");
    let recorded = docs
        .iter()
        .find(|d| d.get("recording_bytes").is_some())
        .expect("recording bytes");
    assert_eq!(recorded["recording_bytes"], stored.bytes);
}
