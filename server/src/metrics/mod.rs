//! Metrics (docs/operating.md, "Metrics"): the process's `metrics` recorder, the Prometheus
//! text at `/metrics` on a listener of its own (`SOFTPHONE_METRICS_ADDR`, loopback by
//! default, so never public), and, when a namespace is set (always in Lambda), the same
//! metrics as CloudWatch Embedded Metric Format lines on stdout (`emf.rs`). The metrics
//! themselves are named in `app::api::metrics`.

pub mod aws;
pub mod emf;
mod http;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use app::api::metrics::{Kind, Unit, ALL};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_util::layers::{FanoutBuilder, Layer, PrefixLayer};

pub use http::{name_route, record_requests, ServerFnRoutes};

use crate::config::{MetricsConfig, MetricsListen};

/// How often the EMF lines are written by a long-running server (CloudWatch's standard
/// resolution is one minute).
const EMF_EVERY: Duration = Duration::from_secs(60);
/// Histogram buckets in seconds: HTTP answers (milliseconds) up to post-dial delay (seconds).
const SECONDS_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// The Prometheus names' prefix: `softphone_calls_ended_total`.
const PREFIX: &str = "softphone";

/// The installed recorder's outputs.
pub struct Metrics {
    pub prometheus: PrometheusHandle,
    /// The EMF side, when a namespace was given.
    pub emf: Option<Arc<emf::Emf>>,
}

static INSTALLED: OnceLock<Metrics> = OnceLock::new();

/// Installs the process's recorder, once: a later call (tests that start several servers in
/// one process) gets the first one's, whatever it asks for.
pub fn install(emf_namespace: Option<&str>) -> &'static Metrics {
    INSTALLED.get_or_init(|| {
        let prometheus = PrometheusBuilder::new()
            .with_recommended_naming(true)
            .set_buckets_for_metric(Matcher::Suffix("seconds".into()), &SECONDS_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = prometheus.handle();
        let prometheus = PrefixLayer::new(PREFIX).layer(prometheus);
        let emf = emf_namespace.map(|ns| Arc::new(emf::Emf::new(ns)));
        let installed = match &emf {
            Some(emf) => metrics::set_global_recorder(
                FanoutBuilder::default()
                    .add_recorder(prometheus)
                    .add_recorder(emf::EmfRecorder(emf.clone()))
                    .build(),
            )
            .is_ok(),
            None => metrics::set_global_recorder(prometheus).is_ok(),
        };
        if !installed {
            tracing::warn!("a metrics recorder was already installed: /metrics stays empty");
        }
        describe();
        Metrics {
            prometheus: handle,
            emf,
        }
    })
}

/// Each metric's unit and help, and every label-less metric made to exist at zero, so
/// `/metrics` lists them before anything has happened.
fn describe() {
    for m in ALL {
        let unit = match m.unit {
            Unit::Count => Some(metrics::Unit::Count),
            Unit::Seconds => Some(metrics::Unit::Seconds),
            Unit::Bytes => Some(metrics::Unit::Bytes),
            // CloudWatch's "None".
            Unit::None => None,
        };
        let (name, help) = (metrics::KeyName::from_const_str(m.name), m.help.into());
        metrics::with_recorder(|r| match m.kind {
            Kind::Counter => r.describe_counter(name, unit, help),
            Kind::Gauge => r.describe_gauge(name, unit, help),
            Kind::Histogram => r.describe_histogram(name, unit, help),
        });
        if m.labels.is_empty() {
            match m.kind {
                Kind::Counter => metrics::counter!(m.name).increment(0),
                Kind::Gauge => metrics::gauge!(m.name).increment(0.0),
                Kind::Histogram => {}
            }
        }
    }
}

impl Metrics {
    /// Writes the EMF lines for what happened since the last time (nothing without EMF).
    pub fn flush_emf(&self) {
        let Some(emf) = &self.emf else { return };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let lines = emf.flush(now);
        if lines.is_empty() {
            return;
        }
        use std::io::Write;
        // One write per line: the log's lines, on the same stdout, never cut into them.
        let mut out = std::io::stdout().lock();
        for line in lines {
            let _ = out.write_all(format!("{line}\n").as_bytes());
        }
        let _ = out.flush();
    }

    /// A long-running server's upkeep: the Prometheus histograms' housekeeping, and the EMF
    /// lines every minute.
    pub fn spawn_upkeep(&'static self) {
        tokio::spawn(async move {
            let mut upkeep = tokio::time::interval(Duration::from_secs(5));
            let mut last_emf = tokio::time::Instant::now();
            loop {
                upkeep.tick().await;
                self.prometheus.run_upkeep();
                if last_emf.elapsed() >= EMF_EVERY {
                    last_emf = tokio::time::Instant::now();
                    self.flush_emf();
                }
            }
        });
    }
}

/// Starts the `/metrics` listener the configuration names; returns where it listens (none when
/// off, or when the default address is taken: another server on this host has it).
pub async fn serve(
    config: &MetricsConfig,
    metrics: &'static Metrics,
) -> Result<Option<SocketAddr>, crate::StartError> {
    let (addr, default) = match config.listen {
        MetricsListen::Off => return Ok(None),
        MetricsListen::Default(addr) => (addr, true),
        MetricsListen::Set(addr) => (addr, false),
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) if default => {
            tracing::warn!(%addr, error = %e, "metrics not served: the default address is taken (set SOFTPHONE_METRICS_ADDR)");
            return Ok(None);
        }
        Err(source) => {
            return Err(crate::StartError::Listen {
                addr: format!("SOFTPHONE_METRICS_ADDR={addr}"),
                source,
            })
        }
    };
    let bound = listener.local_addr().ok();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || async move {
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                metrics.prometheus.render(),
            )
        }),
    );
    tracing::info!(addr = %bound.unwrap_or(addr), "metrics served at /metrics");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(bound)
}
