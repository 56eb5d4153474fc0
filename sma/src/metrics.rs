//! The handler's metrics (docs/operating.md, "Metrics"): CloudWatch Embedded Metric Format
//! lines on stdout, beside the log, which Lambda's log group turns into metrics with no agent
//! and no API call. One counter per line, with its label as a dimension and no dimension (the
//! roll-up the alarms watch), as the server's EMF lines do. The names and labels are listed with
//! every other metric in `app::api::metrics` (`SMA_EVENTS`, `SMA_FAILURES`: the template's test
//! reads them there); a test here checks they are the same.

use crate::event::EventType;

/// A counter this handler writes: its name and its one label.
#[derive(Clone, Copy, Debug)]
pub struct Counter {
    pub name: &'static str,
    pub label: &'static str,
}

pub const EVENTS: Counter = Counter {
    name: "sma_events",
    label: "event",
};
pub const FAILURES: Counter = Counter {
    name: "sma_failures",
    label: "kind",
};

/// The namespace when `SOFTPHONE_METRICS_NAMESPACE` is unset (the template's).
pub const DEFAULT_NAMESPACE: &str = "Softphone";

/// What the handler could not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The event did not parse: no actions were returned.
    UnreadableEvent,
    /// The call's progress did not reach the server (after its retry).
    ProgressPush,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::UnreadableEvent => "unreadable_event",
            Failure::ProgressPush => "progress_push",
        }
    }
}

/// The `event` label: the event's name, or `other` for one the handler does not know (a
/// label's values stay few: each is a metric CloudWatch bills).
pub fn event_label(event: &EventType) -> &str {
    match event {
        EventType::Other(_) => "other",
        known => known.as_str(),
    }
}

/// One count of `metric`, labelled `value`, at `now_ms`.
pub fn line(namespace: &str, now_ms: u64, metric: Counter, value: &str) -> String {
    let label = metric.label;
    serde_json::json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[label], []],
                "Metrics": [{"Name": metric.name, "Unit": "Count"}],
            }],
        },
        label: value,
        metric.name: 1,
    })
    .to_string()
}

/// The line of an invocation's event.
pub fn event_line(namespace: &str, now_ms: u64, event: &EventType) -> String {
    line(namespace, now_ms, EVENTS, event_label(event))
}

/// The line of a failure.
pub fn failure_line(namespace: &str, now_ms: u64, failure: Failure) -> String {
    line(namespace, now_ms, FAILURES, failure.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn a_line_is_an_emf_document_with_its_label_and_the_roll_up() {
        let text = event_line("Softphone", 1_765_000_000_000, &EventType::NewOutboundCall);
        assert!(!text.contains('\n'));
        let doc: Value = serde_json::from_str(&text).expect("JSON");
        let aws = &doc["_aws"];
        assert_eq!(aws["Timestamp"], 1_765_000_000_000u64);
        let directive = &aws["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Softphone");
        assert_eq!(directive["Dimensions"], serde_json::json!([["event"], []]));
        assert_eq!(
            directive["Metrics"],
            serde_json::json!([{"Name": "sma_events", "Unit": "Count"}])
        );
        // Each dimension and metric is a member of the document.
        assert_eq!(doc["event"], "NEW_OUTBOUND_CALL");
        assert_eq!(doc["sma_events"], 1);

        let failure: Value =
            serde_json::from_str(&failure_line("Ns", 1, Failure::ProgressPush)).expect("JSON");
        assert_eq!(failure["kind"], "progress_push");
        assert_eq!(failure["sma_failures"], 1);
        assert_eq!(failure["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Ns");
    }

    #[test]
    fn the_names_are_those_the_app_lists() {
        use app::api::metrics::{SMA_EVENTS, SMA_FAILURES};
        for (ours, listed) in [(EVENTS, SMA_EVENTS), (FAILURES, SMA_FAILURES)] {
            assert_eq!(ours.name, listed.name);
            assert_eq!([ours.label], listed.labels);
        }
    }

    #[test]
    fn unknown_events_are_other() {
        assert_eq!(event_label(&EventType::Other("NEW_THING".into())), "other");
        assert_eq!(event_label(&EventType::Hangup), "HANGUP");
    }
}
