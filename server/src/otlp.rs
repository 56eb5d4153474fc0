//! Optional trace export over OTLP (docs/operating.md, "Traces"). With
//! `SOFTPHONE_OTLP_ENDPOINT` set (an OpenTelemetry collector's OTLP/HTTP address, e.g.
//! `http://127.0.0.1:4318`), every span the server closes (a request, `request_id`; a call,
//! `call`) is sent as OTLP/HTTP JSON to `{endpoint}/v1/traces`, in batches, by a thread of its
//! own; unset, nothing is built. Spans only, their fields as attributes: our spans carry ids,
//! never a number or an e-mail (the log lines inside them stay on stdout). A collector that is
//! down or slow costs spans (the queue is bounded and a full one drops), never a request.
//!
//! Written here rather than with the `opentelemetry` crates: a `tracing` layer and a JSON body
//! on the HTTP client the server already has, instead of an SDK, an exporter and their
//! runtime glue to compile.

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::push::transport::{HttpPush, PushTransport};

/// Spans waiting to be sent at most (about a megabyte); more are dropped.
const QUEUE: usize = 4_096;
/// Spans per request to the collector at most.
const BATCH: usize = 512;
/// How long a span waits for others before its batch is sent.
pub const FLUSH_EVERY: Duration = Duration::from_secs(2);

/// A span as the collector gets it.
#[derive(Clone, Debug)]
struct Finished {
    trace_id: u128,
    span_id: u64,
    parent: Option<u64>,
    name: &'static str,
    start_ns: u128,
    end_ns: u128,
    attributes: Vec<(&'static str, String)>,
}

/// What an open span carries (in its registry extensions) until it closes.
struct Open {
    trace_id: u128,
    span_id: u64,
    parent: Option<u64>,
    start_ns: u128,
    attributes: Vec<(&'static str, String)>,
}

struct Fields<'a>(&'a mut Vec<(&'static str, String)>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name(), value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name(), format!("{value:?}")));
    }
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The layer that queues each closed span for the export thread.
pub struct OtlpLayer {
    queue: SyncSender<Finished>,
}

impl<S> Layer<S> for OtlpLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        // A child continues its parent's trace; a span with none (a call) starts its own.
        let parent = span.parent().and_then(|p| {
            p.extensions()
                .get::<Open>()
                .map(|o| (o.trace_id, o.span_id))
        });
        let (trace_id, parent) = match parent {
            Some((trace, parent)) => (trace, Some(parent)),
            None => (rand::random::<u128>() | 1, None),
        };
        let mut attributes = Vec::new();
        attrs.record(&mut Fields(&mut attributes));
        span.extensions_mut().insert(Open {
            trace_id,
            span_id: rand::random::<u64>() | 1,
            parent,
            start_ns: now_ns(),
            attributes,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(open) = span.extensions_mut().get_mut::<Open>() {
                values.record(&mut Fields(&mut open.attributes));
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(open) = span.extensions_mut().remove::<Open>() else {
            return;
        };
        let finished = Finished {
            trace_id: open.trace_id,
            span_id: open.span_id,
            parent: open.parent,
            name: span.name(),
            start_ns: open.start_ns,
            end_ns: now_ns(),
            attributes: open.attributes,
        };
        // Full (the collector is behind) or gone: the span is dropped, the request goes on.
        let _ = self.queue.try_send(finished);
    }
}

/// The layer, and its export thread, for `endpoint` (`http://host:4318`); an endpoint that is
/// not a URL is refused.
pub fn layer(endpoint: &str) -> Result<OtlpLayer, String> {
    let url: http::Uri = format!("{}/v1/traces", endpoint.trim().trim_end_matches('/'))
        .parse()
        .map_err(|e| format!("SOFTPHONE_OTLP_ENDPOINT is not a URL: {e}"))?;
    if !matches!(url.scheme_str(), Some("http" | "https")) {
        return Err("SOFTPHONE_OTLP_ENDPOINT must be an http:// or https:// URL".into());
    }
    let transport = HttpPush::new()?;
    let (queue, spans) = sync_channel(QUEUE);
    std::thread::Builder::new()
        .name("otlp-export".into())
        .spawn(move || export(spans, url, transport))
        .map_err(|e| format!("the OTLP export thread cannot start: {e}"))?;
    Ok(OtlpLayer { queue })
}

/// Sends the spans as they close, a batch at a time, until the layer is gone.
fn export(spans: Receiver<Finished>, url: http::Uri, transport: HttpPush) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let mut batch = Vec::new();
    // When the oldest span of the batch came.
    let mut since = Instant::now();
    loop {
        let wait = if batch.is_empty() {
            Duration::from_secs(3600)
        } else {
            FLUSH_EVERY.saturating_sub(since.elapsed())
        };
        let closed = match spans.recv_timeout(wait) {
            Ok(span) => {
                if batch.is_empty() {
                    since = Instant::now();
                }
                batch.push(span);
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        let due = batch.len() >= BATCH || since.elapsed() >= FLUSH_EVERY || closed;
        if due && !batch.is_empty() {
            send(&runtime, &transport, &url, &batch);
            batch.clear();
        }
        if closed {
            return;
        }
    }
}

fn send(
    runtime: &tokio::runtime::Runtime,
    transport: &HttpPush,
    url: &http::Uri,
    batch: &[Finished],
) {
    let body = serde_json::to_vec(&body(batch)).unwrap_or_default();
    let request = http::Request::post(url.clone())
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body);
    let Ok(request) = request else { return };
    match runtime.block_on(transport.post(request)) {
        Ok(status) if (200..300).contains(&status) => {}
        // Not through `tracing`: a line about the export would be a span event of the export
        // itself; stderr is the log's last resort.
        Ok(status) => eprintln!("OTLP export: the collector answered {status}"),
        Err(e) => eprintln!("OTLP export: {e}"),
    }
}

/// OTLP/HTTP JSON's `ExportTraceServiceRequest` for `spans` (ids in hex, times as strings of
/// nanoseconds, as the JSON mapping has them).
fn body(spans: &[Finished]) -> Value {
    let spans: Vec<Value> = spans
        .iter()
        .map(|s| {
            let attributes: Vec<Value> = s
                .attributes
                .iter()
                .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
                .collect();
            let mut span = json!({
                "traceId": format!("{:032x}", s.trace_id),
                "spanId": format!("{:016x}", s.span_id),
                "name": s.name,
                // SPAN_KIND_SERVER for a request; internal otherwise.
                "kind": if s.name == "request" { 2 } else { 1 },
                "startTimeUnixNano": s.start_ns.to_string(),
                "endTimeUnixNano": s.end_ns.to_string(),
                "attributes": attributes,
            });
            if let Some(parent) = s.parent {
                span["parentSpanId"] = json!(format!("{parent:016x}"));
            }
            span
        })
        .collect();
    json!({
        "resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "softphone"}},
                {"key": "service.version", "value": {"stringValue": env!("CARGO_PKG_VERSION")}},
            ]},
            "scopeSpans": [{"scope": {"name": "softphone"}, "spans": spans}],
        }]
    })
}
