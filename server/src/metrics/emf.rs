//! CloudWatch Embedded Metric Format: a `metrics` recorder that keeps what was recorded since
//! the last flush and writes it as EMF lines (one JSON document per set of labels), which
//! CloudWatch Logs turns into metrics with no agent and no API call
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).
//!
//! - Counters are written as what they counted since the last flush (CloudWatch sums them).
//! - Gauges as their value at the flush.
//! - Each document lists the labels' roll-ups as further dimension sets (see `flush`).
//! - Histograms as up to 100 samples (the format's limit for one value): all of them, or, past
//!   100 in one interval, a uniform random sample of 100 (CloudWatch's percentiles are then
//!   estimates; a counter next to them gives the exact count).
//!
//! Not the `metrics_cloudwatch_embedded` crate: its recorder cannot share the process with the
//! Prometheus one, and past 100 samples it drops each further one with an error in the log.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use serde_json::{json, Map, Value};

/// The most values one metric may have in one document.
pub const MAX_SAMPLES: usize = 100;

#[derive(Default)]
struct Count(AtomicU64);

impl CounterFn for Count {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

/// An `f64` in its bits.
#[derive(Default)]
struct Level(AtomicU64);

impl Level {
    fn update(&self, change: impl Fn(f64) -> f64) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some(change(f64::from_bits(bits)).to_bits())
            });
    }
    fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

impl GaugeFn for Level {
    fn increment(&self, value: f64) {
        self.update(|v| v + value);
    }
    fn decrement(&self, value: f64) {
        self.update(|v| v - value);
    }
    fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
}

/// Samples since the last flush: at most [`MAX_SAMPLES`], each of the `seen` equally likely
/// to be kept (reservoir sampling).
struct Reservoir {
    seen: u64,
    samples: Vec<f64>,
    /// xorshift64 state: which sample to replace need not be cryptographic.
    random: u64,
}

struct Samples(Mutex<Reservoir>);

impl Samples {
    fn new(seed: u64) -> Samples {
        Samples(Mutex::new(Reservoir {
            seen: 0,
            samples: Vec::new(),
            random: seed | 1,
        }))
    }

    fn take(&self) -> Vec<f64> {
        let mut r = self.0.lock().unwrap_or_else(|p| p.into_inner());
        r.seen = 0;
        std::mem::take(&mut r.samples)
    }
}

impl HistogramFn for Samples {
    fn record(&self, value: f64) {
        if !value.is_finite() {
            return;
        }
        let mut r = self.0.lock().unwrap_or_else(|p| p.into_inner());
        r.seen += 1;
        if r.samples.len() < MAX_SAMPLES {
            r.samples.push(value);
            return;
        }
        let mut x = r.random;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r.random = x;
        let slot = x % r.seen;
        if let Some(kept) = r.samples.get_mut(slot as usize) {
            *kept = value;
        }
    }
}

enum Series {
    Counter(Arc<Count>),
    Gauge(Arc<Level>),
    Histogram(Arc<Samples>),
}

/// The recorder (installed next to Prometheus's) and its flush.
pub struct Emf {
    namespace: String,
    series: RwLock<HashMap<Key, Series>>,
    units: RwLock<HashMap<String, Unit>>,
}

impl Emf {
    pub fn new(namespace: impl Into<String>) -> Emf {
        Emf {
            namespace: namespace.into(),
            series: RwLock::new(HashMap::new()),
            units: RwLock::new(HashMap::new()),
        }
    }

    /// The documents for what was recorded since the last call (counters and samples start
    /// again from nothing), stamped `now_ms`: one line each, nothing when nothing happened.
    pub fn flush(&self, now_ms: u64) -> Vec<String> {
        let units = self.units.read().unwrap_or_else(|p| p.into_inner());
        let series = self.series.read().unwrap_or_else(|p| p.into_inner());
        // One document per set of labels, its metrics in name order.
        let mut documents: BTreeMap<Vec<(String, String)>, BTreeMap<String, Value>> =
            BTreeMap::new();
        for (key, series) in series.iter() {
            let value = match series {
                Series::Counter(c) => match c.0.swap(0, Ordering::Relaxed) {
                    0 => continue,
                    n => json!(n),
                },
                Series::Gauge(g) => json!(g.get()),
                Series::Histogram(h) => match h.take() {
                    samples if samples.is_empty() => continue,
                    samples => json!(samples),
                },
            };
            let labels = key
                .labels()
                .map(|l| (l.key().to_string(), l.value().to_string()))
                .collect();
            documents
                .entry(labels)
                .or_default()
                .insert(key.name().to_string(), value);
        }
        documents
            .into_iter()
            .map(|(labels, values)| {
                let metrics: Vec<Value> = values
                    .keys()
                    .map(|name| {
                        let unit = units.get(name).map_or("None", |u| cloudwatch_unit(*u));
                        json!({ "Name": name, "Unit": unit })
                    })
                    .collect();
                let names: Vec<&str> = labels.iter().map(|(k, _)| k.as_str()).collect();
                // Every label together, each alone, and none: CloudWatch cannot sum across
                // dimensions, so the alarms and the dashboard use these roll-ups (all 5xx
                // answers, every call ended as failed, all calls).
                let mut dimensions = vec![names.clone()];
                if names.len() > 1 {
                    dimensions.extend(names.iter().map(|n| vec![*n]));
                }
                if !names.is_empty() {
                    dimensions.push(Vec::new());
                }
                let mut document = Map::new();
                document.insert(
                    "_aws".into(),
                    json!({
                        "Timestamp": now_ms,
                        "CloudWatchMetrics": [{
                            "Namespace": self.namespace,
                            "Dimensions": dimensions,
                            "Metrics": metrics,
                        }],
                    }),
                );
                for (k, v) in &labels {
                    document.insert(k.clone(), json!(v));
                }
                document.extend(values);
                Value::Object(document).to_string()
            })
            .collect()
    }

    fn describe(&self, key: KeyName, unit: Option<Unit>) {
        if let Some(unit) = unit {
            self.units
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key.as_str().to_string(), unit);
        }
    }

    fn series(&self, key: &Key, make: impl FnOnce() -> Series) -> SeriesRef {
        if let Some(s) = self
            .series
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
        {
            return SeriesRef::of(s);
        }
        let mut all = self.series.write().unwrap_or_else(|p| p.into_inner());
        SeriesRef::of(all.entry(key.clone()).or_insert_with(make))
    }
}

enum SeriesRef {
    Counter(Arc<Count>),
    Gauge(Arc<Level>),
    Histogram(Arc<Samples>),
}

impl SeriesRef {
    fn of(s: &Series) -> SeriesRef {
        match s {
            Series::Counter(c) => SeriesRef::Counter(c.clone()),
            Series::Gauge(g) => SeriesRef::Gauge(g.clone()),
            Series::Histogram(h) => SeriesRef::Histogram(h.clone()),
        }
    }
}

/// CloudWatch's unit names (`MetricDatum.Unit`).
fn cloudwatch_unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "Count",
        Unit::Percent => "Percent",
        Unit::Seconds => "Seconds",
        Unit::Milliseconds => "Milliseconds",
        Unit::Microseconds => "Microseconds",
        Unit::Bytes => "Bytes",
        Unit::CountPerSecond => "Count/Second",
        _ => "None",
    }
}

/// The recorder side of an [`Emf`] shared with its flusher.
pub struct EmfRecorder(pub Arc<Emf>);

impl Recorder for EmfRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.0.describe(key, unit);
    }
    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.0.describe(key, unit);
    }
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.0.describe(key, unit);
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        match self.0.series(key, || Series::Counter(Arc::default())) {
            SeriesRef::Counter(c) => Counter::from_arc(c),
            // The same name as another kind: a mistake in the code, not worth a crash.
            _ => Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        match self.0.series(key, || Series::Gauge(Arc::default())) {
            SeriesRef::Gauge(g) => Gauge::from_arc(g),
            _ => Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let seed = key.get_hash();
        match self
            .0
            .series(key, || Series::Histogram(Arc::new(Samples::new(seed))))
        {
            SeriesRef::Histogram(h) => Histogram::from_arc(h),
            _ => Histogram::noop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics::Label;
    use testkit::metrics::valid_emf;

    fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> Key {
        Key::from_parts(
            name,
            labels
                .iter()
                .map(|(k, v)| Label::new(*k, *v))
                .collect::<Vec<_>>(),
        )
    }

    const META: Metadata<'static> = Metadata::new("test", metrics::Level::INFO, Some("test"));

    #[test]
    fn counters_are_written_as_what_they_counted_since_the_last_flush() {
        let emf = Arc::new(Emf::new("Softphone"));
        let r = EmfRecorder(emf.clone());
        r.describe_counter("calls_ended".into(), Some(Unit::Count), "".into());
        let busy = key("calls_ended", &[("country", "PA"), ("reason", "busy")]);
        r.register_counter(&busy, &META).increment(2);
        r.register_counter(&busy, &META).increment(1);
        r.register_counter(
            &key("calls_ended", &[("country", "SG"), ("reason", "completed")]),
            &META,
        )
        .increment(5);
        let lines = emf.flush(1_765_000_000_000);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let pa = valid_emf(&lines[0]);
        assert_eq!(pa["country"], "PA");
        assert_eq!(pa["reason"], "busy");
        assert_eq!(pa["calls_ended"], 3);
        assert_eq!(pa["_aws"]["Timestamp"], 1_765_000_000_000u64);
        assert_eq!(pa["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Softphone");
        assert_eq!(
            pa["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["country", "reason"], ["country"], ["reason"], []])
        );
        assert_eq!(
            pa["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "calls_ended", "Unit": "Count"}])
        );
        assert_eq!(valid_emf(&lines[1])["calls_ended"], 5);
        assert!(emf.flush(1).is_empty(), "nothing new: no line");
        r.register_counter(&busy, &META).increment(1);
        assert_eq!(valid_emf(&emf.flush(2)[0])["calls_ended"], 1);
    }

    #[test]
    fn gauges_are_their_value_and_metrics_of_one_label_set_share_a_document() {
        let emf = Arc::new(Emf::new("Softphone"));
        let r = EmfRecorder(emf.clone());
        let active = r.register_gauge(&key("calls_active", &[]), &META);
        active.increment(3.0);
        active.decrement(1.0);
        r.register_counter(&key("recording_bytes", &[]), &META)
            .increment(4096);
        r.describe_counter("recording_bytes".into(), Some(Unit::Bytes), "".into());
        let lines = emf.flush(1);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let doc = valid_emf(&lines[0]);
        assert_eq!(doc["calls_active"], 2.0);
        assert_eq!(doc["recording_bytes"], 4096);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "calls_active", "Unit": "None"}, {"Name": "recording_bytes", "Unit": "Bytes"}])
        );
        // A gauge is written at every flush, as it stands.
        assert_eq!(valid_emf(&emf.flush(2)[0])["calls_active"], 2.0);
    }

    #[test]
    fn histograms_keep_at_most_a_hundred_samples_drawn_from_all() {
        let emf = Arc::new(Emf::new("Softphone"));
        let r = EmfRecorder(emf.clone());
        let h = r.register_histogram(&key("post_dial_delay_seconds", &[("country", "SG")]), &META);
        for v in [0.5, 1.5, f64::NAN] {
            h.record(v);
        }
        let doc = valid_emf(&emf.flush(1)[0]);
        assert_eq!(doc["post_dial_delay_seconds"], json!([0.5, 1.5]));
        // 10 000 samples 0..10 000: 100 kept, spread over the whole range (a reservoir that
        // kept only the first or the last hundred would fail).
        for i in 0..10_000 {
            h.record(f64::from(i));
        }
        let doc = valid_emf(&emf.flush(2)[0]);
        let kept: Vec<f64> = doc["post_dial_delay_seconds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(kept.len(), MAX_SAMPLES);
        let low = kept.iter().filter(|v| **v < 5_000.0).count();
        assert!((25..=75).contains(&low), "{low} of 100 below the median");
        assert!(kept.iter().any(|v| *v >= 9_000.0) && kept.iter().any(|v| *v < 1_000.0));
        assert!(emf.flush(3).is_empty());
    }
}
