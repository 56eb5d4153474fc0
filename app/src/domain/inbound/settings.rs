//! The numbers the business owns and what an admin sets on each: who it rings (one agent, or a
//! group all at once or in order), its business hours in the country's local time, and what an
//! unassigned number does.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::numbers::{check, Classifier, Country, RefusalReason};

const MINUTE_MS: i64 = 60 * 1000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// Total ring time before a call is missed, unless the assignment says otherwise.
pub const DEFAULT_RING_SECS: u32 = 30;
/// How long each agent rings alone when a group rings in order, unless the assignment says
/// otherwise.
pub const DEFAULT_PER_AGENT_SECS: u32 = 15;
/// Bounds an admin may set for `ring_secs` and `per_agent_secs`.
pub const RING_SECS_RANGE: (u32, u32) = (5, 300);

/// A SIP final response the gateway sends instead of answering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipRefusal {
    pub code: u16,
    pub reason: &'static str,
}

/// A number with no one to ring, configured to refuse: the caller's network plays its own
/// "not available" announcement. The one place this code is named.
pub const UNASSIGNED_REFUSAL: SipRefusal = SipRefusal {
    code: 480,
    reason: "Temporarily Unavailable",
};

/// A call to a number the business does not own (a misrouted call, or a scan).
pub const NOT_OURS: SipRefusal = SipRefusal {
    code: 404,
    reason: "Not Found",
};

/// What an unassigned number does with a call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnassignedAction {
    /// A recorded message (as early media: never answered), then refused with `480`.
    #[default]
    Message,
    /// Refused with [`UNASSIGNED_REFUSAL`].
    Refuse,
}

impl UnassignedAction {
    pub fn as_str(self) -> &'static str {
        match self {
            UnassignedAction::Message => "message",
            UnassignedAction::Refuse => "refuse",
        }
    }

    pub fn parse(s: &str) -> Option<UnassignedAction> {
        match s {
            "message" => Some(UnassignedAction::Message),
            "refuse" => Some(UnassignedAction::Refuse),
            _ => None,
        }
    }
}

/// How a group of agents rings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Strategy {
    /// Every member at once; the first to answer gets the call.
    RingAll,
    /// One member after another, each for `per_agent_secs`, in the order listed.
    InOrder { per_agent_secs: u32 },
}

/// Who a number rings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Assignment {
    #[default]
    None,
    Agents {
        /// The agents' subs.
        members: Vec<String>,
        strategy: Strategy,
        /// Total ring time before the call is missed.
        ring_secs: u32,
    },
}

/// Why a number's settings are refused; `field` names the part of the request at fault (as the
/// REST body spells it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct SettingsError {
    pub field: String,
    pub problem: String,
}

fn refuse(field: impl Into<String>, problem: impl Into<String>) -> SettingsError {
    SettingsError {
        field: field.into(),
        problem: problem.into(),
    }
}

fn check_secs(field: &str, secs: u32) -> Result<(), SettingsError> {
    let (min, max) = RING_SECS_RANGE;
    if (min..=max).contains(&secs) {
        Ok(())
    } else {
        Err(refuse(field, format!("must be {min} to {max} seconds")))
    }
}

impl Assignment {
    /// The members, ring time and per-agent time are sensible (who the members are is the
    /// caller's to check).
    pub fn validate(&self) -> Result<(), SettingsError> {
        let Assignment::Agents {
            members,
            strategy,
            ring_secs,
        } = self
        else {
            return Ok(());
        };
        if members.is_empty() {
            return Err(refuse("assignment.members", "name at least one agent"));
        }
        let mut seen = BTreeSet::new();
        for (i, m) in members.iter().enumerate() {
            if m.trim().is_empty() {
                return Err(refuse(format!("assignment.members[{i}]"), "empty"));
            }
            if !seen.insert(m) {
                return Err(refuse(format!("assignment.members[{i}]"), "listed twice"));
            }
        }
        check_secs("assignment.ring_secs", *ring_secs)?;
        if let Strategy::InOrder { per_agent_secs } = strategy {
            check_secs("assignment.strategy.per_agent_secs", *per_agent_secs)?;
            if per_agent_secs > ring_secs {
                return Err(refuse(
                    "assignment.strategy.per_agent_secs",
                    "longer than ring_secs",
                ));
            }
        }
        Ok(())
    }
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    pub fn parse(s: &str) -> Option<Weekday> {
        Weekday::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// One open range of a day, in minutes after local midnight: `open` inclusive, `close`
/// exclusive (`close` 1440 is midnight at the end of the day). A range across midnight is two
/// ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRange {
    pub day: Weekday,
    pub open: u16,
    pub close: u16,
}

/// `HH:MM` (24-hour; `24:00` is the end of the day) as minutes after midnight.
fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// Minutes after midnight as `HH:MM`.
pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl OpenRange {
    /// A range from the REST body's text (`mon`, `09:00`, `18:00`); `at` is where it sits in
    /// the body, for the error.
    pub fn parse(
        at: usize,
        day: &str,
        open: &str,
        close: &str,
    ) -> Result<OpenRange, SettingsError> {
        let field = |name: &str| format!("hours.ranges[{at}].{name}");
        let day = Weekday::parse(day).ok_or_else(|| refuse(field("day"), "mon … sun"))?;
        let open = parse_hhmm(open)
            .filter(|m| *m < 1440)
            .ok_or_else(|| refuse(field("open"), "a time HH:MM, 00:00 to 23:59"))?;
        let close = parse_hhmm(close)
            .ok_or_else(|| refuse(field("close"), "a time HH:MM, 00:01 to 24:00"))?;
        if close <= open {
            return Err(refuse(
                field("close"),
                "not after open (a range across midnight is two ranges)",
            ));
        }
        Ok(OpenRange { day, open, close })
    }
}

/// Open ranges written as text, `mon 09:00-18:00, sat 10:00-14:00` (the Numbers page's field),
/// split into day, open and close for [`OpenRange::parse`] (which checks them). Blank: none.
pub fn split_hours_text(text: &str) -> Result<Vec<(String, String, String)>, SettingsError> {
    text.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .enumerate()
        .map(|(i, part)| {
            let bad = || refuse(format!("hours.ranges[{i}]"), "day HH:MM-HH:MM");
            let (day, times) = part.split_once(char::is_whitespace).ok_or_else(bad)?;
            let (open, close) = times.trim().split_once('-').ok_or_else(bad)?;
            Ok((
                day.trim().to_ascii_lowercase(),
                open.trim().to_string(),
                close.trim().to_string(),
            ))
        })
        .collect()
}

/// The text [`split_hours_text`] reads.
pub fn hours_text<'a>(ranges: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> String {
    ranges
        .into_iter()
        .map(|(day, open, close)| format!("{day} {open}-{close}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// When a number takes calls: weekly open ranges in the local time of the number's country.
/// Panama (UTC−5) and Singapore (UTC+8) keep no daylight saving time, so a fixed offset per
/// country is exact and no time-zone database is needed (docs/decisions.md). A number with no
/// business hours is always open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    pub ranges: Vec<OpenRange>,
}

impl BusinessHours {
    /// At least one range.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.ranges.is_empty() {
            return Err(refuse(
                "hours.ranges",
                "name at least one open range (or send no hours: always open)",
            ));
        }
        Ok(())
    }

    pub fn is_open(&self, country: Country, now_ms: u64) -> bool {
        let (day, minute) = local_day_and_minute(country, now_ms);
        self.ranges
            .iter()
            .any(|r| r.day == day && (r.open..r.close).contains(&minute))
    }
}

/// The country's offset from UTC in minutes. Fixed: neither country has daylight saving time
/// (Panama has had none since 1908, Singapore none since 1982).
pub fn utc_offset_minutes(country: Country) -> i64 {
    match country {
        Country::PA => -5 * 60,
        Country::SG => 8 * 60,
    }
}

/// The local weekday and minute of the day at `now_ms` in `country`.
pub fn local_day_and_minute(country: Country, now_ms: u64) -> (Weekday, u16) {
    let local = now_ms as i64 + utc_offset_minutes(country) * MINUTE_MS;
    let days = local.div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday (index 3 from Monday).
    let day = Weekday::ALL[(days + 3).rem_euclid(7) as usize];
    let minute = (local.rem_euclid(DAY_MS) / MINUTE_MS) as u16;
    (day, minute)
}

/// A number the business owns, and what a call to it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedNumber {
    pub e164: String,
    #[serde(default)]
    pub assignment: Assignment,
    #[serde(default)]
    pub hours: Option<BusinessHours>,
    #[serde(default)]
    pub unassigned: UnassignedAction,
    pub updated_at: u64,
}

impl OwnedNumber {
    /// A configured caller ID: owned, with no assignment, no hours, and a message when no one
    /// rings (so a call back to it rings its last agent with no admin set-up).
    pub fn configured(e164: &str) -> OwnedNumber {
        OwnedNumber {
            e164: e164.into(),
            assignment: Assignment::None,
            hours: None,
            unassigned: UnassignedAction::Message,
            updated_at: 0,
        }
    }

    pub fn country(&self) -> Option<Country> {
        Country::from_calling_code_prefix(self.e164.strip_prefix('+')?)
    }

    /// The assignment and hours are sensible (the number itself: [`owned_e164`]).
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.assignment.validate()?;
        if let Some(h) = &self.hours {
            h.validate()?;
        }
        Ok(())
    }
}

/// The E.164 form of a number the business may own: a valid Panama or Singapore number by the
/// dialling policy's rules, of any kind (a toll-free number takes calls though agents may not
/// dial one), written in international form.
pub fn owned_e164(input: &str, classifier: &dyn Classifier) -> Result<String, RefusalReason> {
    let verdict = check(input, None, classifier);
    match (verdict.e164, verdict.country, verdict.kind, verdict.reason) {
        (Some(e164), Some(_), Some(_), _) => Ok(e164),
        (_, _, _, reason) => Err(reason.unwrap_or(RefusalReason::Invalid)),
    }
}

/// The number a call was made to, as the business owns it: the store's entry, else a configured
/// caller ID ([`OwnedNumber::configured`]), else none.
pub fn owned_number(
    dialled: &str,
    stored: Option<OwnedNumber>,
    caller_ids: &[String],
) -> Option<OwnedNumber> {
    stored.or_else(|| {
        caller_ids
            .iter()
            .any(|c| c == dialled)
            .then(|| OwnedNumber::configured(dialled))
    })
}
