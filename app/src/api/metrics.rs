//! The metrics the app and the server record (docs/operating.md, "Metrics"), through the
//! `metrics` facade: one name per concept, the same in Prometheus (`/metrics`, prefixed
//! `softphone_`, counters ending `_total`) and in CloudWatch (Embedded Metric Format lines).
//! Every metric is in [`ALL`]; the server describes them from it, and a test checks that the
//! CloudWatch template names only these (`server/tests/metrics_template.rs`).
//!
//! Labels have few values (a route, not a path; a status class, not a code; a country, not a
//! number): each distinct set of labels is a metric CloudWatch bills, and none may carry
//! anything personal.

use crate::domain::calls::{Direction, EndReason};
use crate::domain::numbers::NumberKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    Bytes,
    /// No unit CloudWatch or Prometheus would rename: a score (a MOS), or a percentage whose
    /// name says so (Prometheus would turn a percent unit into a 0–1 `_ratio`).
    None,
}

/// One metric: its name, what it is, and the names of its labels (in this order in EMF
/// dimensions).
#[derive(Clone, Copy, Debug)]
pub struct Metric {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    pub labels: &'static [&'static str],
    pub help: &'static str,
}

pub const HTTP_REQUESTS: Metric = Metric {
    name: "http_requests",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["route", "status"],
    help: "HTTP requests answered, by matched route and status class (2xx, 4xx, 5xx…)",
};
pub const HTTP_REQUEST_DURATION: Metric = Metric {
    name: "http_request_duration_seconds",
    kind: Kind::Histogram,
    unit: Unit::Seconds,
    labels: &["route"],
    help: "Time to answer an HTTP request (to its headers), by matched route",
};
pub const API_ERRORS: Metric = Metric {
    name: "api_errors",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["error"],
    help: "Server-function and REST errors, by the error's name (NotFound, Unavailable…)",
};
pub const SIGN_INS: Metric = Metric {
    name: "sign_ins",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["outcome"],
    help: "Sign-in attempts: ok, refused (wrong e-mail or password), locked (too many tries), disabled, unavailable",
};
pub const CALL_REFUSALS: Metric = Metric {
    name: "call_refusals",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["reason"],
    help: "Calls refused by the number policy or the spend limits, by reason (toll-fraud defences)",
};
pub const CALLS_STARTED: Metric = Metric {
    name: "calls_started",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["direction", "country", "number_type"],
    help: "Calls placed (outbound) or rung in (inbound), by destination or caller country and number type",
};
pub const CALLS_ANSWERED: Metric = Metric {
    name: "calls_answered",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["direction", "country"],
    help: "Calls answered",
};
pub const CALLS_ENDED: Metric = Metric {
    name: "calls_ended",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["direction", "country", "reason"],
    help: "Calls ended, by end reason (completed, busy, no_answer, failed…)",
};
pub const CALLS_ACTIVE: Metric = Metric {
    name: "calls_active",
    kind: Kind::Gauge,
    unit: Unit::Count,
    labels: &[],
    help: "Calls this server carries now",
};
pub const POST_DIAL_DELAY: Metric = Metric {
    name: "post_dial_delay_seconds",
    kind: Kind::Histogram,
    unit: Unit::Seconds,
    labels: &["country"],
    help: "From the call going out to the trunk to the far end ringing (or answering)",
};
pub const RECORDING_BYTES: Metric = Metric {
    name: "recording_bytes",
    kind: Kind::Counter,
    unit: Unit::Bytes,
    labels: &[],
    help: "Bytes of recordings stored",
};
pub const RECORDING_FAILURES: Metric = Metric {
    name: "recording_failures",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &[],
    help: "Recordings that could not be stored at the end of their call (retried)",
};
pub const LIVE_CONNECTIONS: Metric = Metric {
    name: "live_connections",
    kind: Kind::Gauge,
    unit: Unit::Count,
    labels: &[],
    help: "Open live channels (app tabs connected to this server)",
};

pub const CALL_MOS: Metric = Metric {
    name: "call_mos",
    kind: Kind::Histogram,
    unit: Unit::None,
    labels: &[],
    help:
        "Each call's average MOS (1 to 4.5), as its agent's browser measured it (docs/quality.md)",
};
pub const CALL_QUALITY_WARNINGS: Metric = Metric {
    name: "call_quality_warnings",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["warning"],
    help: "Calls whose agent was warned, by warning (high_packet_loss, silent_microphone…)",
};

pub const TRUNK_PACKET_LOSS: Metric = Metric {
    name: "trunk_packet_loss_percent",
    kind: Kind::Histogram,
    unit: Unit::None,
    labels: &[],
    help: "Each call's share of the trunk's audio packets lost on the way to the gateway (%)",
};

pub const DEPENDENCY_DURATION: Metric = Metric {
    name: "dependency_request_duration_seconds",
    kind: Kind::Histogram,
    unit: Unit::Seconds,
    labels: &["dependency", "operation"],
    help: "Time a request to a back end took: dynamodb, cognito, s3, chime (by API operation) or sqlite (operation \"query\")",
};
pub const DEPENDENCY_ERRORS: Metric = Metric {
    name: "dependency_errors",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["dependency", "operation", "kind"],
    help: "Requests to a back end that failed: kind \"service\" (it answered with an error: a throttle, a condition not met) or \"transport\" (no answer: unreachable, timed out)",
};

/// Written by the SIP media application's Lambda (the `sma` binary) as EMF lines, one per
/// invocation: CloudWatch only, never in a server's `/metrics`.
pub const SMA_EVENTS: Metric = Metric {
    name: "sma_events",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["event"],
    help: "SIP media application invocations, by event (NEW_OUTBOUND_CALL, HANGUP, ACTION_FAILED, INVALID_LAMBDA_RESPONSE…; other for one the handler does not know)",
};
pub const SMA_FAILURES: Metric = Metric {
    name: "sma_failures",
    kind: Kind::Counter,
    unit: Unit::Count,
    labels: &["kind"],
    help: "What the SIP media application's handler could not do: unreadable_event (an event it could not parse), progress_push (the call's progress not delivered to the server)",
};

pub const ALL: [Metric; 20] = [
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
    API_ERRORS,
    SIGN_INS,
    CALL_REFUSALS,
    CALLS_STARTED,
    CALLS_ANSWERED,
    CALLS_ENDED,
    CALLS_ACTIVE,
    POST_DIAL_DELAY,
    RECORDING_BYTES,
    RECORDING_FAILURES,
    LIVE_CONNECTIONS,
    CALL_MOS,
    CALL_QUALITY_WARNINGS,
    TRUNK_PACKET_LOSS,
    DEPENDENCY_DURATION,
    DEPENDENCY_ERRORS,
    SMA_EVENTS,
    SMA_FAILURES,
];

/// The `country` label of a number: `PA`, `SG`, `other`, or `none` (a withheld caller).
pub use crate::domain::numbers::country_label;

fn direction_label(direction: Direction) -> &'static str {
    direction.as_str()
}

pub fn call_refused(reason: &'static str) {
    metrics::counter!(CALL_REFUSALS.name, "reason" => reason).increment(1);
}

pub fn call_started(direction: Direction, e164: &str, kind: Option<NumberKind>) {
    metrics::counter!(
        CALLS_STARTED.name,
        "direction" => direction_label(direction),
        "country" => country_label(e164),
        "number_type" => kind.map_or("unknown", NumberKind::as_str),
    )
    .increment(1);
}

pub fn call_answered(direction: Direction, e164: &str) {
    metrics::counter!(
        CALLS_ANSWERED.name,
        "direction" => direction_label(direction),
        "country" => country_label(e164),
    )
    .increment(1);
}

pub fn call_ended(direction: Direction, e164: &str, reason: EndReason) {
    metrics::counter!(
        CALLS_ENDED.name,
        "direction" => direction_label(direction),
        "country" => country_label(e164),
        "reason" => reason.as_str(),
    )
    .increment(1);
}

pub fn post_dial_delay(e164: &str, seconds: f64) {
    metrics::histogram!(POST_DIAL_DELAY.name, "country" => country_label(e164)).record(seconds);
}

/// A call's quality summary, kept: its average MOS and each warning its agent saw.
pub fn call_quality(summary: &crate::domain::quality::Summary) {
    if let Some(mos) = summary.average_mos() {
        metrics::histogram!(CALL_MOS.name).record(mos);
    }
    for warning in &summary.warnings {
        metrics::counter!(CALL_QUALITY_WARNINGS.name, "warning" => warning.as_str()).increment(1);
    }
}

/// The trunk's side of a call, at its end: the share of its packets lost.
pub fn trunk_reception(reception: &crate::domain::quality::TrunkReception) {
    if reception.received + reception.lost > 0 {
        metrics::histogram!(TRUNK_PACKET_LOSS.name).record(reception.loss_percent());
    }
}

/// One request to a back end (`dependency`: `dynamodb`, `sqlite`…), how long it took and, if it
/// failed, how (`service` or `transport`).
pub fn dependency_request(
    dependency: &'static str,
    operation: String,
    seconds: f64,
    failure: Option<&'static str>,
) {
    if let Some(kind) = failure {
        metrics::counter!(
            DEPENDENCY_ERRORS.name,
            "dependency" => dependency,
            "operation" => operation.clone(),
            "kind" => kind,
        )
        .increment(1);
    }
    metrics::histogram!(
        DEPENDENCY_DURATION.name,
        "dependency" => dependency,
        "operation" => operation,
    )
    .record(seconds);
}

pub fn sign_in(outcome: &'static str) {
    metrics::counter!(SIGN_INS.name, "outcome" => outcome).increment(1);
}

/// Counts an error answered by a server function or the REST API, by its variant's name (the
/// REST problem's `code`).
pub fn api_error(error: &crate::api::ApiError) {
    let name = match serde_json::to_value(error) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .next()
            .map_or_else(String::new, |(name, _)| name),
        _ => String::new(),
    };
    metrics::counter!(API_ERRORS.name, "error" => name).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_labelled_without_the_number() {
        assert_eq!(country_label("+5072000001"), "PA");
        assert_eq!(country_label("+6560000001"), "SG");
        assert_eq!(country_label("+14155550100"), "other");
        assert_eq!(country_label(""), "none");
    }

    #[test]
    fn names_are_unique_and_prometheus_safe() {
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "a name used twice");
        for m in ALL {
            assert!(
                m.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                m.name
            );
            assert!(
                !m.name.ends_with("_total"),
                "the exporter adds _total: {}",
                m.name
            );
        }
    }
}
