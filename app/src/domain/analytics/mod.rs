//! Call analytics: the counters each call adds to its day's rollup, once (docs/analytics.md).
//!
//! A rollup row is one day (UTC), one agent, one direction, one country, one number type and
//! one measure: an end reason (the call's end: how many, answered, talk time, post-dial delay,
//! the hour it started) or `quality` (its agent's quality summary: MOS). The stores add a call's
//! counters to its row in the same write that ends the call (or first keeps its summary), so a
//! call counts once however often its record is written, and the analytics page reads a few rows
//! per day instead of every call.

mod csv;

pub use self::csv::write_csv;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::calls::{CallRecord, Direction, EndReason};
use super::numbers::{check, country_label, NumberKind, RuleTable};
use super::quality::Summary;

/// What a rollup row counts: calls that ended one way, or their quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Measure {
    Ended(EndReason),
    Quality,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Ended(reason) => reason.as_str(),
            Measure::Quality => "quality",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        if s == "quality" {
            return Some(Measure::Quality);
        }
        EndReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .map(Measure::Ended)
    }
}

/// Which row a call's counters go to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    /// `YYYY-MM-DD`, the UTC day the call started.
    pub day: String,
    /// The agent's user id.
    pub agent: String,
    pub direction: Direction,
    /// ISO code of the far end's country (`PA`, `SG`), `other` or `none` (no number).
    pub country: String,
    /// `mobile`, `fixed_line`, … (`NumberKind`), or `unknown`.
    pub number_type: String,
    pub measure: Measure,
}

/// Named counts, added to a row's (a missing name counts 0).
pub type Counters = BTreeMap<String, u64>;

/// A row of the rollup: its key and its counters so far.
pub type Rollup = (RollupKey, Counters);

/// The upper bounds of the post-dial delay buckets, in milliseconds (`pdd_b0` … `pdd_b5`, the
/// last for longer ones): the answer's ringing came within 1 s, 2 s, …
pub const PDD_BOUNDS_MS: [u64; 5] = [1_000, 2_000, 3_000, 5_000, 8_000];

/// The upper bounds of the average-MOS buckets, in thousandths (`mos_b0` … `mos_b5`):
/// below 2.5 "bad", 3.1 "poor", 3.6 "fair", 4.0 "good", 4.3 "very good" and above (the
/// E-model's user-satisfaction bands, docs/quality.md).
pub const MOS_BOUNDS_MILLI: [u64; 5] = [2_500, 3_100, 3_600, 4_000, 4_300];

pub const CALLS: &str = "calls";
pub const ANSWERED: &str = "answered";
pub const TALK_MS: &str = "talk_ms";
pub const PDD_CALLS: &str = "pdd_calls";
pub const PDD_MS: &str = "pdd_ms";
pub const RATED: &str = "rated";
pub const MOS_MILLI: &str = "mos_milli";
pub const WARNED: &str = "warned";

/// The name of bucket `i` of `prefix` (`pdd_b2`, `mos_b0`).
pub fn bucket(prefix: &str, i: usize) -> String {
    format!("{prefix}_b{i}")
}

/// The name of the counter of calls started in `hour` (UTC, `hour_00` … `hour_23`).
pub fn hour(hour: u64) -> String {
    format!("hour_{hour:02}")
}

fn bucket_of(value: u64, bounds: &[u64]) -> usize {
    bounds
        .iter()
        .position(|&b| value < b)
        .unwrap_or(bounds.len())
}

/// `YYYY-MM-DD` of a moment (milliseconds since the epoch), in UTC.
pub fn day_of(ms: u64) -> String {
    let (y, m, d) = super::recordings::civil_date(ms / 1000);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The most days a report covers (a year and a day).
pub const MOST_DAYS: u64 = 366;

/// Days since the epoch of a `YYYY-MM-DD` day (H. Hinnant's days-from-civil, the inverse of
/// [`day_of`]); none for anything else.
pub fn day_number(day: &str) -> Option<i64> {
    if !is_day(day) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (
        day[0..4].parse().ok()?,
        day[5..7].parse().ok()?,
        day[8..10].parse().ok()?,
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let n = era * 146_097 + doe - 719_468;
    // `2026-02-30` passes the shape check but is no day: it reads back as another.
    (n >= 0 && day_of(n as u64 * 86_400_000) == day).then_some(n)
}

/// The days `from` to `to` (both included) if they make a period a report may cover: two
/// days, the first not after the second, at most [`MOST_DAYS`] in all.
pub fn period_days(from: &str, to: &str) -> Option<Vec<String>> {
    let (first, last) = (day_number(from)?, day_number(to)?);
    if last < first || last - first >= MOST_DAYS as i64 {
        return None;
    }
    (first..=last)
        .map(|n| u64::try_from(n).ok().map(|n| day_of(n * 86_400_000)))
        .collect()
}

/// How many days a report covers when no period is asked for: the last 30, today included.
pub const DEFAULT_DAYS: u64 = 30;

/// The period a report covers: `from` and `to` as asked (`YYYY-MM-DD`, UTC), an empty `to`
/// being today (`now`) and an empty `from` the [`DEFAULT_DAYS`] up to `to`; none if that is no
/// period ([`period_days`]).
pub fn resolve_period(from: &str, to: &str, now: u64) -> Option<(String, String)> {
    let (from, to) = (from.trim(), to.trim());
    let to = if to.is_empty() {
        day_of(now)
    } else {
        to.to_string()
    };
    let from = if from.is_empty() {
        let last = u64::try_from(day_number(&to)?).ok()?;
        day_of(last.saturating_sub(DEFAULT_DAYS - 1) * 86_400_000)
    } else {
        from.to_string()
    };
    period_days(&from, &to)?;
    Some((from, to))
}

/// Whether `day` is a `YYYY-MM-DD` date (for filters that arrive as text).
pub fn is_day(day: &str) -> bool {
    let b = day.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(day[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(day[8..10].parse::<u8>(), Ok(1..=31))
}

fn key(owner: &str, call: &CallRecord, measure: Measure) -> RollupKey {
    let country = country_label(&call.e164);
    let number_type = check(&call.e164, None, &RuleTable)
        .kind
        .map_or("unknown", NumberKind::as_str);
    RollupKey {
        day: day_of(call.started_at),
        agent: owner.to_string(),
        direction: call.direction,
        country: country.to_string(),
        number_type: number_type.to_string(),
        measure,
    }
}

/// What an ended call adds to its day's rollup; none for a call not ended.
pub fn ended(owner: &str, call: &CallRecord) -> Option<Rollup> {
    let (ended_at, reason) = (call.ended_at?, call.end_reason?);
    let mut counters = Counters::new();
    counters.insert(CALLS.into(), 1);
    counters.insert(hour((call.started_at / 3_600_000) % 24), 1);
    if let Some(answered_at) = call.answered_at {
        counters.insert(ANSWERED.into(), 1);
        counters.insert(TALK_MS.into(), ended_at.saturating_sub(answered_at));
    }
    // Post-dial delay: from the call's start to the far end ringing, for calls placed here.
    if let (Direction::Outbound, Some(ringing_at)) = (call.direction, call.ringing_at) {
        let pdd = ringing_at.saturating_sub(call.started_at);
        counters.insert(PDD_CALLS.into(), 1);
        counters.insert(PDD_MS.into(), pdd);
        counters.insert(bucket("pdd", bucket_of(pdd, &PDD_BOUNDS_MS)), 1);
    }
    Some((key(owner, call, Measure::Ended(reason)), counters))
}

/// What a call's quality summary adds to its day's rollup (kept once per call).
pub fn quality(owner: &str, call: &CallRecord, summary: &Summary) -> Rollup {
    let mut counters = Counters::new();
    if let Some(mos) = summary.average_mos() {
        let milli = (mos * 1000.0).round().clamp(0.0, 5_000.0) as u64;
        counters.insert(RATED.into(), 1);
        counters.insert(MOS_MILLI.into(), milli);
        counters.insert(bucket("mos", bucket_of(milli, &MOS_BOUNDS_MILLI)), 1);
    }
    if !summary.warnings.is_empty() {
        counters.insert(WARNED.into(), 1);
    }
    (key(owner, call, Measure::Quality), counters)
}

/// Adds `more` to `rows` (rows of the same key add up): what a store does with each call.
pub fn add(rows: &mut BTreeMap<RollupKey, Counters>, (key, more): Rollup) {
    let counters = rows.entry(key).or_default();
    for (name, n) in more {
        *counters.entry(name).or_default() += n;
    }
}

/// Which calls a report counts, besides its period: one agent's, one country's (ISO code).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub agent: Option<String>,
    pub country: Option<String>,
}

impl Filter {
    fn keeps(&self, key: &RollupKey) -> bool {
        self.agent.as_ref().is_none_or(|a| *a == key.agent)
            && self.country.as_ref().is_none_or(|c| *c == key.country)
    }
}

/// Calls, how many were answered, and their talk time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub calls: u64,
    pub answered: u64,
    pub talk_ms: u64,
}

impl Tally {
    fn add(&mut self, counters: &Counters) {
        let get = |name: &str| counters.get(name).copied().unwrap_or(0);
        self.calls += get(CALLS);
        self.answered += get(ANSWERED);
        self.talk_ms += get(TALK_MS);
    }

    /// The share of calls answered, 0 to 1; none without calls.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.answered as f64 / self.calls as f64)
    }

    /// The average talk time of the answered calls, in milliseconds.
    pub fn average_talk_ms(&self) -> Option<u64> {
        (self.answered > 0).then(|| self.talk_ms / self.answered)
    }
}

/// How values fell into buckets ([`PDD_BOUNDS_MS`], [`MOS_BOUNDS_MILLI`]), with their sum.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    pub buckets: [u64; 6],
    /// How many values, and their sum (milliseconds; thousandths of a MOS point).
    pub count: u64,
    pub sum: u64,
}

impl Distribution {
    fn add(&mut self, counters: &Counters, prefix: &str, count: &str, sum: &str) {
        for (i, slot) in self.buckets.iter_mut().enumerate() {
            *slot += counters.get(&bucket(prefix, i)).copied().unwrap_or(0);
        }
        self.count += counters.get(count).copied().unwrap_or(0);
        self.sum += counters.get(sum).copied().unwrap_or(0);
    }

    pub fn average(&self) -> Option<u64> {
        (self.count > 0).then(|| self.sum / self.count)
    }
}

/// What the analytics page shows for a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub total: Tally,
    /// The days with calls, in order.
    pub days: Vec<(String, Tally)>,
    /// Calls per end reason, in [`EndReason::ALL`]'s order, those with calls.
    pub outcomes: Vec<(EndReason, u64)>,
    /// Per country, number type and agent (user id), most calls first.
    pub countries: Vec<(String, Tally)>,
    pub number_types: Vec<(String, Tally)>,
    pub agents: Vec<(String, Tally)>,
    /// Calls started in each hour of the day (UTC).
    pub hours: [u64; 24],
    /// Post-dial delay of the calls placed (milliseconds).
    pub post_dial_delay: Distribution,
    /// The average MOS of each call with a quality summary (thousandths).
    pub mos: Distribution,
    /// Calls whose agent saw a quality warning.
    pub warned: u64,
}

/// Sums the rows (a period's, from the store) `filter` keeps into a [`Report`].
pub fn report(rows: &[Rollup], filter: &Filter) -> Report {
    let mut r = Report::default();
    let (mut days, mut outcomes) = (BTreeMap::new(), BTreeMap::new());
    let (mut countries, mut types, mut agents) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (key, counters) in rows.iter().filter(|(k, _)| filter.keeps(k)) {
        match key.measure {
            Measure::Ended(reason) => {
                r.total.add(counters);
                days.entry(key.day.clone())
                    .or_insert_with(Tally::default)
                    .add(counters);
                countries
                    .entry(key.country.clone())
                    .or_insert_with(Tally::default)
                    .add(counters);
                types
                    .entry(key.number_type.clone())
                    .or_insert_with(Tally::default)
                    .add(counters);
                agents
                    .entry(key.agent.clone())
                    .or_insert_with(Tally::default)
                    .add(counters);
                *outcomes.entry(reason).or_insert(0) += counters.get(CALLS).copied().unwrap_or(0);
                for (h, slot) in r.hours.iter_mut().enumerate() {
                    *slot += counters.get(&hour(h as u64)).copied().unwrap_or(0);
                }
                r.post_dial_delay.add(counters, "pdd", PDD_CALLS, PDD_MS);
            }
            Measure::Quality => {
                r.mos.add(counters, "mos", RATED, MOS_MILLI);
                r.warned += counters.get(WARNED).copied().unwrap_or(0);
            }
        }
    }
    let most_first = |m: BTreeMap<String, Tally>| {
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then_with(|| a.0.cmp(&b.0)));
        v
    };
    r.days = days.into_iter().collect();
    r.outcomes = EndReason::ALL
        .into_iter()
        .filter_map(|e| outcomes.get(&e).map(|&n| (e, n)))
        .filter(|(_, n)| *n > 0)
        .collect();
    r.countries = most_first(countries);
    r.number_types = most_first(types);
    r.agents = most_first(agents);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quality::Warning;

    // 2026-12-06 13:30:00 UTC.
    const T: u64 = 1_796_563_800_000;

    fn call(e164: &str) -> CallRecord {
        let mut c = CallRecord::outbound("c1".into(), e164.into(), T);
        c.ringing_at = Some(T + 2_500);
        c.answered_at = Some(T + 9_000);
        c.ended_at = Some(T + 69_000);
        c.end_reason = Some(EndReason::Completed);
        c
    }

    #[test]
    fn an_answered_call_counts_once_with_its_talk_time_delay_and_hour() {
        let (key, counters) = ended("u1", &call("+6581234567")).expect("ended");
        assert_eq!(key.day, "2026-12-06");
        assert_eq!(
            (key.country.as_str(), key.number_type.as_str()),
            ("SG", "mobile")
        );
        assert_eq!(key.measure, Measure::Ended(EndReason::Completed));
        let get = |n: &str| counters.get(n).copied();
        assert_eq!(get(CALLS), Some(1));
        assert_eq!(get(ANSWERED), Some(1));
        assert_eq!(get(TALK_MS), Some(60_000));
        assert_eq!(get(PDD_MS), Some(2_500));
        assert_eq!(get("pdd_b2"), Some(1), "2.5 s is in the 2–3 s bucket");
        assert_eq!(get("hour_13"), Some(1));
    }

    #[test]
    fn an_unanswered_or_open_call() {
        let mut busy = call("+50761234567");
        busy.answered_at = None;
        busy.ringing_at = None;
        busy.end_reason = Some(EndReason::Busy);
        let (key, counters) = ended("u1", &busy).expect("ended");
        assert_eq!(key.country, "PA");
        assert_eq!(key.measure.as_str(), "busy");
        assert_eq!(counters.get(ANSWERED), None);
        assert_eq!(counters.get(PDD_CALLS), None);
        let mut open = call("+6581234567");
        open.ended_at = None;
        assert_eq!(ended("u1", &open), None);
    }

    #[test]
    fn quality_counts_the_average_mos_in_its_band() {
        let summary = Summary {
            rated: 2,
            worst_mos: Some(3.9),
            mos_sum: 8.2,
            max_loss_percent: 0.0,
            max_jitter_ms: 1.0,
            max_rtt_ms: Some(40.0),
            warnings: vec![Warning::HighRtt],
        };
        let (key, counters) = quality("u1", &call("+6561234567"), &summary);
        assert_eq!(key.measure, Measure::Quality);
        assert_eq!(key.number_type, "fixed_line");
        assert_eq!(counters.get(MOS_MILLI), Some(&4_100));
        assert_eq!(counters.get("mos_b4"), Some(&1), "4.1 is 'good': 4.0–4.3");
        assert_eq!(counters.get(WARNED), Some(&1));
    }

    #[test]
    fn rows_of_the_same_key_add_up() {
        let mut rows = BTreeMap::new();
        add(&mut rows, ended("u1", &call("+6581234567")).expect("ended"));
        add(&mut rows, ended("u1", &call("+6581234568")).expect("ended"));
        add(&mut rows, ended("u2", &call("+6581234567")).expect("ended"));
        assert_eq!(rows.len(), 2);
        let u1 = rows.iter().find(|(k, _)| k.agent == "u1").expect("u1").1;
        assert_eq!(u1.get(CALLS), Some(&2));
        assert_eq!(u1.get(TALK_MS), Some(&120_000));
    }

    #[test]
    fn a_report_sums_what_its_filter_keeps() {
        let mut rows = BTreeMap::new();
        let mut busy = call("+50761234567");
        (busy.answered_at, busy.end_reason) = (None, Some(EndReason::Busy));
        busy.started_at += 3_600_000;
        busy.ringing_at = Some(busy.started_at + 2_500);
        for (owner, c) in [
            ("u1", call("+6581234567")),
            ("u1", busy.clone()),
            ("u2", call("+6561234567")),
        ] {
            add(&mut rows, ended(owner, &c).expect("ended"));
        }
        let summary = Summary {
            rated: 1,
            worst_mos: Some(3.0),
            mos_sum: 3.0,
            max_loss_percent: 5.0,
            max_jitter_ms: 1.0,
            max_rtt_ms: Some(40.0),
            warnings: vec![Warning::HighPacketLoss],
        };
        add(&mut rows, quality("u2", &call("+6561234567"), &summary));
        let rows: Vec<Rollup> = rows.into_iter().collect();

        let all = report(&rows, &Filter::default());
        assert_eq!((all.total.calls, all.total.answered), (3, 2));
        assert_eq!(all.total.answer_rate(), Some(2.0 / 3.0));
        assert_eq!(all.total.average_talk_ms(), Some(60_000));
        assert_eq!(
            all.outcomes,
            [(EndReason::Completed, 2), (EndReason::Busy, 1)]
        );
        assert_eq!(all.countries[0].0, "SG");
        assert_eq!(all.countries[0].1.calls, 2);
        assert_eq!((all.hours[13], all.hours[14]), (2, 1));
        assert_eq!(all.post_dial_delay.count, 3);
        assert_eq!(all.post_dial_delay.average(), Some(2_500));
        assert_eq!(all.mos.buckets, [0, 1, 0, 0, 0, 0], "3.0 is 'poor'");
        assert_eq!(all.warned, 1);
        assert_eq!(all.days, [("2026-12-06".to_string(), all.total.clone())]);

        let u1_in_panama = report(
            &rows,
            &Filter {
                agent: Some("u1".into()),
                country: Some("PA".into()),
            },
        );
        assert_eq!(u1_in_panama.total.calls, 1);
        assert_eq!(u1_in_panama.outcomes, [(EndReason::Busy, 1)]);
        assert_eq!(u1_in_panama.mos.count, 0, "u2's quality is not u1's");
        assert_eq!(
            u1_in_panama.agents,
            [("u1".to_string(), u1_in_panama.total.clone())]
        );
    }

    #[test]
    fn measures_and_days_read_back() {
        for measure in EndReason::ALL
            .into_iter()
            .map(Measure::Ended)
            .chain([Measure::Quality])
        {
            assert_eq!(Measure::parse(measure.as_str()), Some(measure));
        }
        assert_eq!(Measure::parse("answered"), None);
        assert!(is_day("2026-12-06"));
        assert_eq!(
            period_days("2028-02-28", "2028-03-01").expect("a period"),
            ["2028-02-28", "2028-02-29", "2028-03-01"]
        );
        assert_eq!(
            period_days("2026-12-31", "2027-01-01").expect("a period"),
            ["2026-12-31", "2027-01-01"]
        );
        assert_eq!(
            period_days("2026-01-01", "2026-12-31").map(|d| d.len()),
            Some(365)
        );
        assert_eq!(
            period_days("2028-01-01", "2028-12-31").map(|d| d.len()),
            Some(366)
        );
        assert_eq!(
            period_days("2026-01-01", "2027-01-01").map(|d| d.len()),
            Some(366)
        );
        assert_eq!(period_days("2026-01-01", "2027-01-02"), None, "367 days");
        assert_eq!(period_days("2026-12-06", "2026-12-05"), None);
        assert_eq!(period_days("2026-12-06", "tomorrow"), None);
        // No period asked: the last 30 days; no start: the 30 days up to the end asked.
        assert_eq!(
            resolve_period("", "", T),
            Some(("2026-11-07".into(), "2026-12-06".into()))
        );
        assert_eq!(
            resolve_period(" ", "2026-03-01", T),
            Some(("2026-01-31".into(), "2026-03-01".into()))
        );
        assert_eq!(
            resolve_period("2026-12-01", "", T),
            Some(("2026-12-01".into(), "2026-12-06".into()))
        );
        assert_eq!(
            resolve_period("2026-12-07", "", T),
            None,
            "starts after today"
        );
        assert_eq!(resolve_period("", "soon", T), None);
        // A day of the month that does not exist is not a day.
        assert_eq!(day_number("2026-02-30"), None);
        for bad in [
            "2026-13-01",
            "2026-12-6",
            "2026/12/06",
            "2026-12-00",
            "x026-12-06",
        ] {
            assert!(!is_day(bad), "{bad}");
        }
    }
}
