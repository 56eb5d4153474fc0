//! For the server's metrics tests: a sample read from Prometheus text, and CloudWatch Embedded
//! Metric Format documents checked against the specification
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).

use serde_json::Value;

/// Checks one line against the EMF specification: the `_aws` metadata (an integer
/// timestamp; directives with a namespace, dimension sets of at most 30 names, each a
/// string member of the document, and metrics whose names are members holding a number or
/// up to 100 numbers, with a CloudWatch unit) — the rules CloudWatch Logs rejects a
/// document for breaking. Returns the document.
pub fn valid_emf(line: &str) -> Value {
    let doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let aws = &doc["_aws"];
    assert!(aws["Timestamp"].is_u64(), "Timestamp: {line}");
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert!(!directives.is_empty());
    for d in directives {
        let ns = d["Namespace"].as_str().expect("Namespace");
        assert!((1..=255).contains(&ns.len()));
        for set in d["Dimensions"].as_array().expect("Dimensions") {
            let set = set.as_array().expect("a dimension set");
            assert!(set.len() <= 30);
            for name in set {
                let name = name.as_str().expect("a dimension name");
                assert!(
                    doc[name].is_string(),
                    "dimension {name} is not a string member: {line}"
                );
            }
        }
        let metrics = d["Metrics"].as_array().expect("Metrics");
        assert!(!metrics.is_empty() && metrics.len() <= 100);
        for m in metrics {
            let name = m["Name"].as_str().expect("Name");
            let value = &doc[name];
            let ok = value.is_number()
                || value.as_array().is_some_and(|a| {
                    !a.is_empty() && a.len() <= 100 && a.iter().all(Value::is_number)
                });
            assert!(ok, "metric {name} holds {value}: {line}");
            let unit = m["Unit"].as_str().expect("Unit");
            assert!(
                [
                    "Seconds",
                    "Microseconds",
                    "Milliseconds",
                    "Bytes",
                    "Count",
                    "Percent",
                    "Count/Second",
                    "Bytes/Second",
                    "None"
                ]
                .contains(&unit),
                "{unit}"
            );
        }
    }
    doc
}

/// The value of the sample `name{labels}` in Prometheus text (labels in any order).
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    want.sort();
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (n, mut got): (&str, Vec<String>) = match series.split_once('{') {
            Some((n, rest)) => (
                n,
                rest.trim_end_matches('}')
                    .split(',')
                    .map(String::from)
                    .collect(),
            ),
            None => (series, Vec::new()),
        };
        got.sort();
        (n == name && got == want).then(|| value.parse().ok())?
    })
}
