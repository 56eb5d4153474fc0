//! The CloudWatch template's alarms, metric filters and dashboard name only metrics the code
//! emits (`app::api::metrics::ALL`) or a metric filter of the template makes, each with
//! dimensions among its labels: a renamed metric or label fails here, not as an alarm that
//! never fires.

use std::collections::{BTreeMap, BTreeSet};

use app::api::metrics::ALL;

const TEMPLATE: &str = include_str!("../../infra/softphone.yaml");
const NAMESPACE: &str = "Softphone";

/// The metrics the code emits, with their labels.
fn emitted() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    ALL.iter()
        .map(|m| (m.name, m.labels.iter().copied().collect()))
        .collect()
}

/// `(metric, dimension names)` of each alarm metric in the Softphone namespace: a YAML block
/// `Namespace: Softphone` with the `MetricName:` and `- Name:` lines after it, up to the
/// next namespace or resource.
fn alarm_metrics() -> Vec<(String, Vec<String>)> {
    let lines: Vec<&str> = TEMPLATE.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != format!("Namespace: {NAMESPACE}") {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let mut name = None;
        let mut dims = Vec::new();
        for next in lines.iter().skip(i + 1) {
            let next_indent = next.len() - next.trim_start().len();
            let t = next.trim();
            if t.is_empty() || next_indent < indent {
                break;
            }
            if next_indent == indent
                && !t.starts_with("MetricName:")
                && !t.starts_with("Dimensions:")
            {
                if t.starts_with("Namespace:") {
                    break;
                }
                continue;
            }
            if let Some(n) = t.strip_prefix("MetricName:") {
                name = Some(n.trim().to_string());
            } else if let Some(d) = t.strip_prefix("- Name:") {
                dims.push(d.trim().to_string());
            }
        }
        found.push((
            name.unwrap_or_else(|| panic!("no MetricName after line {}", i + 1)),
            dims,
        ));
    }
    found
}

/// The metrics the template's metric filters make in the namespace.
fn filter_metrics() -> BTreeSet<String> {
    let lines: Vec<&str> = TEMPLATE.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0].trim() == format!("- MetricNamespace: {NAMESPACE}"))
        .filter_map(|w| {
            w[1].trim()
                .strip_prefix("MetricName:")
                .map(|n| n.trim().to_string())
        })
        .collect()
}

/// `(metric, dimension names)` of each dashboard line `["Softphone", "name", "dim", "value", …]`.
fn dashboard_metrics() -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for line in TEMPLATE.lines() {
        let t = line.trim();
        let Some(rest) = t.strip_prefix(&format!("[\"{NAMESPACE}\", ")) else {
            continue;
        };
        // The strings before the options object (or the end of the array).
        let strings: Vec<String> = rest
            .split('{')
            .next()
            .unwrap_or("")
            .split(',')
            .map(|s| {
                s.trim()
                    .trim_end_matches(']')
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
            .filter(|s| !s.is_empty())
            .collect();
        let (name, pairs) = strings.split_first().expect("a metric name");
        let dims = pairs.chunks(2).map(|p| p[0].clone()).collect();
        found.push((name.clone(), dims));
    }
    found
}

fn check(what: &str, metrics: &[(String, Vec<String>)], filters: &BTreeSet<String>) {
    let emitted = emitted();
    assert!(
        !metrics.is_empty(),
        "no {what} metric found: the scan is broken"
    );
    for (name, dims) in metrics {
        if filters.contains(name) {
            assert!(
                dims.is_empty(),
                "{what}: {name} (a metric filter's) has no dimensions"
            );
            continue;
        }
        let labels = emitted
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{what}: {name} is not a metric the code emits"));
        for d in dims {
            assert!(
                labels.contains(d.as_str()),
                "{what}: {name} has no label {d}"
            );
        }
        // The EMF lines carry the full label set, each label alone, and none.
        assert!(
            dims.len() <= 1 || dims.len() == labels.len(),
            "{what}: {name} by {dims:?}: CloudWatch has it only by all of its labels, one, or none"
        );
    }
}

#[test]
fn alarms_name_metrics_the_code_emits() {
    let filters = filter_metrics();
    assert_eq!(filters, BTreeSet::from(["log_errors".to_string()]));
    let alarms = alarm_metrics();
    check("alarm", &alarms, &filters);
    for wanted in [
        "http_requests",
        "calls_ended",
        "post_dial_delay_seconds",
        "calls_started",
        "sign_ins",
        "call_refusals",
        "log_errors",
    ] {
        assert!(
            alarms.iter().any(|(n, _)| n == wanted),
            "no alarm on {wanted}"
        );
    }
}

#[test]
fn the_dashboard_names_metrics_the_code_emits() {
    let dashboard = dashboard_metrics();
    check("dashboard", &dashboard, &filter_metrics());
    assert!(dashboard.len() >= 20, "{dashboard:?}");
}

#[test]
fn the_scan_catches_a_wrong_name_and_a_wrong_label() {
    let filters = filter_metrics();
    let wrong_name =
        std::panic::catch_unwind(|| check("alarm", &[("calls_finished".into(), vec![])], &filters));
    assert!(wrong_name.is_err());
    let wrong_label = std::panic::catch_unwind(|| {
        check(
            "alarm",
            &[("calls_ended".into(), vec!["status".into()])],
            &filters,
        )
    });
    assert!(wrong_label.is_err());
}
