//! Inbound calls: which numbers the business owns, who rings for a call to one of them, in what
//! order and for how long, and the ringing itself as a state machine. Sans-IO: the time (ms
//! since the Unix epoch), the agents' availability and their answers go in; what to ring, stop,
//! connect, play or refuse comes out. The gateway and the call hub carry those out.
//!
//! The rules, in the order [`route`] applies them:
//!
//! 1. A number the business does not own is refused ([`NOT_OURS`]).
//! 2. Outside the number's business hours the call is missed, with a message to the caller.
//! 3. "Customers call back": the agent who last called the caller (an outbound call within
//!    [`LAST_AGENT_WINDOW_MS`]) rings first, alone, for [`LAST_AGENT_SECS`]; then the number's
//!    assignment. With no assignment the last agent rings for the whole ring time.
//! 4. The assignment: every member at once ([`Strategy::RingAll`]) or one after another
//!    ([`Strategy::InOrder`]), for `ring_secs` in all; then the call is missed.
//! 5. No assignment and no last agent: the number's [`UnassignedAction`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::numbers::{check, Classifier, Country, RefusalReason};

const SECOND: u64 = 1000;
const MINUTE_MS: i64 = 60 * 1000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// Total ring time before a call is missed, unless the assignment says otherwise.
pub const DEFAULT_RING_SECS: u32 = 30;
/// How long each agent rings alone when a group rings in order, unless the assignment says
/// otherwise.
pub const DEFAULT_PER_AGENT_SECS: u32 = 15;
/// How long the caller's last agent rings alone before the number's assignment.
pub const LAST_AGENT_SECS: u32 = 15;
/// An outbound call this recent makes its agent the caller's last agent.
pub const LAST_AGENT_WINDOW_MS: u64 = 7 * 24 * 3600 * SECOND;
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

/// The agent who last called a customer number, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastAgent {
    pub owner: String,
    pub at: u64,
}

/// What the caller hears before the gateway hangs up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Outside business hours.
    Closed,
    /// No one is assigned to the number.
    Unassigned,
    /// Rang, and no one answered.
    NoAnswer,
}

/// Why a call was missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissReason {
    OutsideHours,
    NoAnswer,
    AllDeclined,
    CallerHungUp,
    /// Every agent to ring was signed out or on do not disturb.
    NoOneAvailable,
}

/// One step of a ring plan: who rings, and for how long at most (the plan's total bounds it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub agents: Vec<String>,
    pub secs: u32,
}

/// Who rings for a call, stage after stage, within `ring_secs` in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingPlan {
    pub stages: Vec<Stage>,
    pub ring_secs: u32,
}

/// What a call to one of the business's numbers does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Ring(RingPlan),
    /// Missed at once, with a message to the caller.
    Missed(MissReason, MessageKind),
    /// A message to the caller (early media), then refused.
    Message(MessageKind),
    Refuse(SipRefusal),
}

/// Routes a call to `number` (`None`: not one of ours) at `now` from a caller whose last agent
/// is `last_agent` (any age: this checks the window).
pub fn route(number: Option<&OwnedNumber>, last_agent: Option<&LastAgent>, now: u64) -> Route {
    let Some(number) = number else {
        return Route::Refuse(NOT_OURS);
    };
    if let (Some(hours), Some(country)) = (&number.hours, number.country()) {
        if !hours.is_open(country, now) {
            return Route::Missed(MissReason::OutsideHours, MessageKind::Closed);
        }
    }
    let last = last_agent
        .filter(|l| now.saturating_sub(l.at) <= LAST_AGENT_WINDOW_MS)
        .map(|l| l.owner.clone());
    match (&number.assignment, last) {
        (Assignment::None, None) => match number.unassigned {
            UnassignedAction::Message => Route::Message(MessageKind::Unassigned),
            UnassignedAction::Refuse => Route::Refuse(UNASSIGNED_REFUSAL),
        },
        (Assignment::None, Some(last)) => Route::Ring(RingPlan {
            stages: vec![Stage {
                agents: vec![last],
                secs: DEFAULT_RING_SECS,
            }],
            ring_secs: DEFAULT_RING_SECS,
        }),
        (
            Assignment::Agents {
                members,
                strategy,
                ring_secs,
            },
            last,
        ) => {
            let mut stages = Vec::new();
            if let Some(last) = last {
                stages.push(Stage {
                    agents: vec![last],
                    secs: LAST_AGENT_SECS,
                });
            }
            match strategy {
                Strategy::RingAll => stages.push(Stage {
                    agents: members.clone(),
                    secs: *ring_secs,
                }),
                Strategy::InOrder { per_agent_secs } => {
                    stages.extend(members.iter().map(|m| Stage {
                        agents: vec![m.clone()],
                        secs: *per_agent_secs,
                    }))
                }
            }
            Route::Ring(RingPlan {
                stages,
                ring_secs: *ring_secs,
            })
        }
    }
}

impl Route {
    /// The same route ringing `secs` at most in all, for a provider that gives up on an
    /// unanswered call sooner than the number's ring time (Chime PSTN Audio: 30 s).
    pub fn ringing_at_most(self, secs: u32) -> Route {
        match self {
            Route::Ring(mut plan) => {
                plan.ring_secs = plan.ring_secs.min(secs);
                Route::Ring(plan)
            }
            other => other,
        }
    }
}

/// Whether an agent can take a call now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Signed in with a live channel, not in a call.
    Free,
    /// In a call: rung as a waiting call (they may still accept it).
    Busy,
    DoNotDisturb,
    /// No live channel.
    Offline,
}

/// One agent to ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingAgent {
    pub sub: String,
    /// The agent is in a call: show a waiting call.
    pub waiting: bool,
}

/// Why agents stop ringing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Another agent answered.
    TakenBy(String),
    /// Their turn ended (ring in order, the last agent's turn) or the call was missed.
    Missed,
    CallerGone,
}

/// What [`InboundRing`] asks the call hub and the gateway to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Ring(Vec<RingAgent>),
    StopRinging(Vec<String>, StopReason),
    /// Answer the caller and bridge them to this agent.
    Connect(String),
    /// An answer that came after another agent's: that agent's app shows the call taken.
    Taken {
        agent: String,
        by: String,
    },
    /// The call is missed (a Recents entry for the agents it rang, a notification).
    Missed(MissReason),
    /// Play the caller a message (early media, never answered), then refuse the call.
    PlayMessage(MessageKind),
    Refuse(SipRefusal),
}

/// What happens to a ringing call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Answered(String),
    Declined(String),
    /// Time passed (at [`InboundRing::next_deadline`]).
    Tick,
    CallerHungUp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Ringing,
    Connected(String),
    Ended,
}

/// The ringing of one inbound call, from its route to an agent answering or the call being
/// missed.
#[derive(Clone, Debug)]
pub struct InboundRing {
    stages: Vec<Stage>,
    stage: usize,
    stage_started: u64,
    deadline: u64,
    availability: BTreeMap<String, Availability>,
    ringing: BTreeSet<String>,
    declined: BTreeSet<String>,
    /// Every agent this call rang (for why it was missed).
    rung: BTreeSet<String>,
    phase: Phase,
}

impl InboundRing {
    /// Starts a call on its route at `now`; `availability` has every agent the route names (one
    /// missing counts as offline).
    pub fn start(
        route: Route,
        availability: BTreeMap<String, Availability>,
        now: u64,
    ) -> (InboundRing, Vec<Output>) {
        let mut ring = InboundRing {
            stages: Vec::new(),
            stage: 0,
            stage_started: now,
            deadline: now,
            availability,
            ringing: BTreeSet::new(),
            declined: BTreeSet::new(),
            rung: BTreeSet::new(),
            phase: Phase::Ended,
        };
        let out = match route {
            Route::Refuse(refusal) => vec![Output::Refuse(refusal)],
            Route::Message(kind) => vec![Output::PlayMessage(kind)],
            Route::Missed(reason, kind) => {
                vec![Output::Missed(reason), Output::PlayMessage(kind)]
            }
            Route::Ring(plan) => {
                ring.stages = plan.stages;
                ring.deadline = now + u64::from(plan.ring_secs) * SECOND;
                ring.phase = Phase::Ringing;
                let mut out = Vec::new();
                ring.enter_stage(0, now, &mut out);
                out
            }
        };
        (ring, out)
    }

    /// When the machine next wants a [`Event::Tick`]; `None` once the ringing is over.
    pub fn next_deadline(&self) -> Option<u64> {
        if self.phase != Phase::Ringing {
            return None;
        }
        let stage_end = self
            .stages
            .get(self.stage)
            .map(|s| self.stage_started + u64::from(s.secs) * SECOND);
        Some(stage_end.map_or(self.deadline, |end| end.min(self.deadline)))
    }

    /// The agent who has the call, once answered.
    pub fn connected(&self) -> Option<&str> {
        match &self.phase {
            Phase::Connected(agent) => Some(agent),
            _ => None,
        }
    }

    pub fn is_ringing(&self) -> bool {
        self.phase == Phase::Ringing
    }

    /// The agents ringing now.
    pub fn ringing(&self) -> impl Iterator<Item = &str> {
        self.ringing.iter().map(String::as_str)
    }

    /// Handles `event` at `now`. A ring time that ran out before `now` is applied first, so an
    /// answer that arrives after the call was missed does not connect it.
    pub fn handle(&mut self, now: u64, event: Event) -> Vec<Output> {
        let mut out = Vec::new();
        if self.phase == Phase::Ringing {
            self.tick(now, &mut out);
        }
        match (&self.phase, event) {
            (Phase::Ringing, Event::Answered(agent)) if self.ringing.contains(&agent) => {
                self.ringing.remove(&agent);
                let others = std::mem::take(&mut self.ringing);
                if !others.is_empty() {
                    out.push(Output::StopRinging(
                        others.into_iter().collect(),
                        StopReason::TakenBy(agent.clone()),
                    ));
                }
                out.push(Output::Connect(agent.clone()));
                self.phase = Phase::Connected(agent);
            }
            (Phase::Connected(by), Event::Answered(agent)) if *by != agent => {
                out.push(Output::Taken {
                    agent,
                    by: by.clone(),
                });
            }
            (Phase::Ringing, Event::Declined(agent)) if self.ringing.remove(&agent) => {
                self.declined.insert(agent);
                if self.ringing.is_empty() {
                    // The next stage starts now, with its full time.
                    self.enter_stage(self.stage + 1, now, &mut out);
                }
            }
            (Phase::Ringing, Event::CallerHungUp) => {
                let ringing = std::mem::take(&mut self.ringing);
                if !ringing.is_empty() {
                    out.push(Output::StopRinging(
                        ringing.into_iter().collect(),
                        StopReason::CallerGone,
                    ));
                }
                out.push(Output::Missed(MissReason::CallerHungUp));
                self.phase = Phase::Ended;
            }
            // Ticks were applied above; a stale answer or decline (the agent's ring had
            // stopped) and anything after the end change nothing.
            _ => {}
        }
        out
    }

    fn tick(&mut self, now: u64, out: &mut Vec<Output>) {
        if now >= self.deadline {
            self.miss(MissReason::NoAnswer, out);
            return;
        }
        while self.phase == Phase::Ringing {
            let Some(stage) = self.stages.get(self.stage) else {
                return;
            };
            let end = self.stage_started + u64::from(stage.secs) * SECOND;
            if now < end {
                return;
            }
            self.enter_stage(self.stage + 1, end, out);
        }
    }

    fn miss(&mut self, reason: MissReason, out: &mut Vec<Output>) {
        let ringing = std::mem::take(&mut self.ringing);
        if !ringing.is_empty() {
            out.push(Output::StopRinging(
                ringing.into_iter().collect(),
                StopReason::Missed,
            ));
        }
        out.push(Output::PlayMessage(MessageKind::NoAnswer));
        out.push(Output::Missed(reason));
        self.phase = Phase::Ended;
    }

    /// Moves to stage `index` (or past the last) started at `at`: agents of the old stage not
    /// in the new one stop, new ones ring, those in both ring on. A stage no one of which can
    /// ring is skipped.
    fn enter_stage(&mut self, mut index: usize, at: u64, out: &mut Vec<Output>) {
        loop {
            let Some(stage) = self.stages.get(index) else {
                let reason = if self.rung.is_empty() {
                    MissReason::NoOneAvailable
                } else if self.rung.is_subset(&self.declined) {
                    MissReason::AllDeclined
                } else {
                    MissReason::NoAnswer
                };
                self.miss(reason, out);
                return;
            };
            let next: Vec<RingAgent> = stage
                .agents
                .iter()
                .filter(|a| !self.declined.contains(*a))
                .filter_map(|a| {
                    match self
                        .availability
                        .get(a)
                        .copied()
                        .unwrap_or(Availability::Offline)
                    {
                        Availability::Free => Some(RingAgent {
                            sub: a.clone(),
                            waiting: false,
                        }),
                        Availability::Busy => Some(RingAgent {
                            sub: a.clone(),
                            waiting: true,
                        }),
                        Availability::DoNotDisturb | Availability::Offline => None,
                    }
                })
                .collect();
            if next.is_empty() {
                index += 1;
                continue;
            }
            let keep: BTreeSet<String> = next.iter().map(|a| a.sub.clone()).collect();
            let stop: Vec<String> = self.ringing.difference(&keep).cloned().collect();
            if !stop.is_empty() {
                out.push(Output::StopRinging(stop, StopReason::Missed));
            }
            let start: Vec<RingAgent> = next
                .into_iter()
                .filter(|a| !self.ringing.contains(&a.sub))
                .collect();
            if !start.is_empty() {
                out.push(Output::Ring(start));
            }
            self.rung.extend(keep.iter().cloned());
            self.ringing = keep;
            self.stage = index;
            self.stage_started = at;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::numbers::RuleTable;

    /// Monday 2026-12-07 10:00 in Singapore (02:00 UTC).
    const MON_10_SGT: u64 = 1_796_608_800_000;
    const S: u64 = SECOND;

    fn number(assignment: Assignment) -> OwnedNumber {
        OwnedNumber {
            e164: "+6561234567".into(),
            assignment,
            hours: None,
            unassigned: UnassignedAction::Message,
            updated_at: 1,
        }
    }

    fn ring_all(members: &[&str]) -> Assignment {
        Assignment::Agents {
            members: members.iter().map(|m| m.to_string()).collect(),
            strategy: Strategy::RingAll,
            ring_secs: DEFAULT_RING_SECS,
        }
    }

    fn in_order(members: &[&str], per_agent_secs: u32, ring_secs: u32) -> Assignment {
        Assignment::Agents {
            members: members.iter().map(|m| m.to_string()).collect(),
            strategy: Strategy::InOrder { per_agent_secs },
            ring_secs,
        }
    }

    #[test]
    fn a_ring_limit_shortens_the_ring_and_leaves_other_routes() {
        let long = number(in_order(&["a", "b"], 20, 60));
        let routed = route(Some(&long), None, MON_10_SGT).ringing_at_most(25);
        let Route::Ring(plan) = &routed else {
            panic!("{routed:?}")
        };
        assert_eq!(plan.ring_secs, 25);
        let (machine, _) = InboundRing::start(routed, all(Availability::Free, &["a", "b"]), 0);
        let mut machine = machine;
        // b's turn comes at 20 s; everything stops at 25 s, not 40.
        machine.handle(20 * S, Event::Tick);
        let outputs = machine.handle(25 * S, Event::Tick);
        assert!(!machine.is_ringing(), "{outputs:?}");
        let short = number(ring_all(&["a"]));
        assert_eq!(
            route(Some(&short), None, MON_10_SGT).ringing_at_most(60),
            route(Some(&short), None, MON_10_SGT)
        );
        let nobody = number(Assignment::None);
        assert_eq!(
            route(Some(&nobody), None, MON_10_SGT).ringing_at_most(25),
            Route::Message(MessageKind::Unassigned)
        );
    }

    fn all(state: Availability, agents: &[&str]) -> BTreeMap<String, Availability> {
        agents.iter().map(|a| (a.to_string(), state)).collect()
    }

    fn ring(agents: &[&str]) -> Output {
        Output::Ring(
            agents
                .iter()
                .map(|a| RingAgent {
                    sub: a.to_string(),
                    waiting: false,
                })
                .collect(),
        )
    }

    fn stop(agents: &[&str], reason: StopReason) -> Output {
        Output::StopRinging(agents.iter().map(|a| a.to_string()).collect(), reason)
    }

    fn missed(reason: MissReason) -> Vec<Output> {
        vec![
            Output::PlayMessage(MessageKind::NoAnswer),
            Output::Missed(reason),
        ]
    }

    fn last(owner: &str, at: u64) -> LastAgent {
        LastAgent {
            owner: owner.into(),
            at,
        }
    }

    fn start(
        n: &OwnedNumber,
        last_agent: Option<&LastAgent>,
        availability: BTreeMap<String, Availability>,
        now: u64,
    ) -> (InboundRing, Vec<Output>) {
        InboundRing::start(route(Some(n), last_agent, now), availability, now)
    }

    #[test]
    fn ring_all_rings_everyone_and_the_first_answer_wins() {
        let t0 = MON_10_SGT;
        let n = number(ring_all(&["ana", "ben", "cy"]));
        let (mut call, out) = start(&n, None, all(Availability::Free, &["ana", "ben", "cy"]), t0);
        assert_eq!(out, [ring(&["ana", "ben", "cy"])]);
        assert_eq!(call.next_deadline(), Some(t0 + 30 * S));
        assert_eq!(call.handle(t0 + 5 * S, Event::Tick), []);
        assert_eq!(
            call.handle(t0 + 6 * S, Event::Answered("ben".into())),
            [
                stop(&["ana", "cy"], StopReason::TakenBy("ben".into())),
                Output::Connect("ben".into())
            ]
        );
        assert_eq!(call.connected(), Some("ben"));
        assert_eq!(call.next_deadline(), None);
        // An answer racing the first one is told the call is taken; no second connect.
        assert_eq!(
            call.handle(t0 + 6 * S, Event::Answered("ana".into())),
            [Output::Taken {
                agent: "ana".into(),
                by: "ben".into()
            }]
        );
        assert_eq!(call.handle(t0 + 60 * S, Event::Tick), []);
    }

    #[test]
    fn ring_all_unanswered_is_missed_at_the_ring_time() {
        let t0 = MON_10_SGT;
        let n = number(ring_all(&["ana", "ben"]));
        let (mut call, _) = start(&n, None, all(Availability::Free, &["ana", "ben"]), t0);
        assert_eq!(call.handle(t0 + 29_999, Event::Tick), []);
        let mut expected = vec![stop(&["ana", "ben"], StopReason::Missed)];
        expected.extend(missed(MissReason::NoAnswer));
        assert_eq!(call.handle(t0 + 30 * S, Event::Tick), expected);
        assert!(!call.is_ringing());
        // An answer after the miss connects nothing.
        assert_eq!(call.handle(t0 + 31 * S, Event::Answered("ana".into())), []);
    }

    #[test]
    fn an_answer_after_the_ring_time_does_not_connect_even_before_the_tick() {
        let t0 = MON_10_SGT;
        let n = number(ring_all(&["ana"]));
        let (mut call, _) = start(&n, None, all(Availability::Free, &["ana"]), t0);
        let out = call.handle(t0 + 31 * S, Event::Answered("ana".into()));
        assert!(!out.contains(&Output::Connect("ana".into())), "{out:?}");
        assert!(out.contains(&Output::Missed(MissReason::NoAnswer)));
    }

    #[test]
    fn in_order_rings_each_agent_for_their_time_then_the_call_is_missed() {
        let t0 = MON_10_SGT;
        let n = number(in_order(&["ana", "ben", "cy"], 10, 25));
        let (mut call, out) = start(&n, None, all(Availability::Free, &["ana", "ben", "cy"]), t0);
        assert_eq!(out, [ring(&["ana"])]);
        assert_eq!(call.next_deadline(), Some(t0 + 10 * S));
        assert_eq!(call.handle(t0 + 9 * S, Event::Tick), []);
        assert_eq!(
            call.handle(t0 + 10 * S, Event::Tick),
            [stop(&["ana"], StopReason::Missed), ring(&["ben"])]
        );
        assert_eq!(call.next_deadline(), Some(t0 + 20 * S));
        assert_eq!(
            call.handle(t0 + 20 * S, Event::Tick),
            [stop(&["ben"], StopReason::Missed), ring(&["cy"])]
        );
        // The total ring time (25 s) cuts cy's turn short.
        assert_eq!(call.next_deadline(), Some(t0 + 25 * S));
        let mut expected = vec![stop(&["cy"], StopReason::Missed)];
        expected.extend(missed(MissReason::NoAnswer));
        assert_eq!(call.handle(t0 + 25 * S, Event::Tick), expected);
    }

    #[test]
    fn in_order_a_late_tick_catches_up_on_every_turn_that_ended() {
        let t0 = MON_10_SGT;
        let n = number(in_order(&["ana", "ben", "cy"], 10, 60));
        let (mut call, _) = start(&n, None, all(Availability::Free, &["ana", "ben", "cy"]), t0);
        assert_eq!(
            call.handle(t0 + 21 * S, Event::Tick),
            [
                stop(&["ana"], StopReason::Missed),
                ring(&["ben"]),
                stop(&["ben"], StopReason::Missed),
                ring(&["cy"])
            ]
        );
        // cy's turn started when ben's ended (20 s), not at the late tick.
        assert_eq!(call.next_deadline(), Some(t0 + 30 * S));
        assert_eq!(
            call.handle(t0 + 22 * S, Event::Answered("cy".into())),
            [Output::Connect("cy".into())]
        );
    }

    #[test]
    fn in_order_a_decline_passes_the_call_on_at_once_with_a_full_turn() {
        let t0 = MON_10_SGT;
        let n = number(in_order(&["ana", "ben"], 10, 30));
        let (mut call, _) = start(&n, None, all(Availability::Free, &["ana", "ben"]), t0);
        assert_eq!(
            call.handle(t0 + 3 * S, Event::Declined("ana".into())),
            [ring(&["ben"])]
        );
        assert_eq!(call.next_deadline(), Some(t0 + 13 * S));
    }

    #[test]
    fn the_last_agent_rings_first_alone_then_the_assignment() {
        let t0 = MON_10_SGT;
        let n = number(ring_all(&["ana", "ben"]));
        let lee = last("lee", t0 - 3 * 24 * 3600 * S);
        let (mut call, out) = start(
            &n,
            Some(&lee),
            all(Availability::Free, &["ana", "ben", "lee"]),
            t0,
        );
        assert_eq!(out, [ring(&["lee"])]);
        assert_eq!(
            call.next_deadline(),
            Some(t0 + u64::from(LAST_AGENT_SECS) * S)
        );
        assert_eq!(
            call.handle(t0 + 15 * S, Event::Tick),
            [stop(&["lee"], StopReason::Missed), ring(&["ana", "ben"])]
        );
        // The group rings for what is left of the number's ring time.
        assert_eq!(call.next_deadline(), Some(t0 + 30 * S));
    }

    #[test]
    fn a_last_agent_in_the_group_rings_on_without_a_break() {
        let t0 = MON_10_SGT;
        let n = number(ring_all(&["ana", "lee"]));
        let lee = last("lee", t0 - S);
        let (mut call, _) = start(&n, Some(&lee), all(Availability::Free, &["ana", "lee"]), t0);
        assert_eq!(call.handle(t0 + 15 * S, Event::Tick), [ring(&["ana"])]);
        assert_eq!(call.ringing().collect::<Vec<_>>(), ["ana", "lee"]);
    }

    #[test]
    fn the_last_agent_alone_rings_for_the_whole_ring_time_on_an_unassigned_number() {
        let t0 = MON_10_SGT;
        // A configured caller ID: what "dial +65 6000 0008 and you are called back" rings.
        let n = owned_number("+6560000000", None, &["+6560000000".to_string()]).unwrap();
        let lee = last("lee", t0 - 60 * S);
        let (mut call, out) = start(&n, Some(&lee), all(Availability::Free, &["lee"]), t0);
        assert_eq!(out, [ring(&["lee"])]);
        assert_eq!(call.next_deadline(), Some(t0 + 30 * S));
        assert_eq!(call.handle(t0 + 29 * S, Event::Tick), []);
        assert_eq!(
            call.handle(t0 + 29 * S, Event::Answered("lee".into())),
            [Output::Connect("lee".into())]
        );
    }

    #[test]
    fn a_last_call_older_than_seven_days_does_not_count() {
        let t0 = MON_10_SGT;
        let n = number(ring_all(&["ana"]));
        let old = last("lee", t0 - LAST_AGENT_WINDOW_MS - 1);
        let (_, out) = start(&n, Some(&old), all(Availability::Free, &["ana", "lee"]), t0);
        assert_eq!(out, [ring(&["ana"])]);
        let unassigned = number(Assignment::None);
        assert_eq!(
            route(Some(&unassigned), Some(&old), t0),
            Route::Message(MessageKind::Unassigned)
        );
        let recent = last("lee", t0 - LAST_AGENT_WINDOW_MS);
        let (_, out) = start(
            &n,
            Some(&recent),
            all(Availability::Free, &["ana", "lee"]),
            t0,
        );
        assert_eq!(out, [ring(&["lee"])]);
    }

    #[test]
    fn outside_business_hours_the_call_is_missed_with_a_message() {
        let weekdays = |open: &str, close: &str| BusinessHours {
            ranges: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .enumerate()
                .map(|(i, d)| OpenRange::parse(i, d, open, close).unwrap())
                .collect(),
        };
        let sg = OwnedNumber {
            hours: Some(weekdays("09:00", "18:00")),
            ..number(ring_all(&["ana"]))
        };
        let closed = Route::Missed(MissReason::OutsideHours, MessageKind::Closed);
        // Monday 09:00 and 10:00 in Singapore (UTC+8): open.
        assert!(matches!(
            route(Some(&sg), None, 1_796_605_200_000),
            Route::Ring(_)
        ));
        assert!(matches!(route(Some(&sg), None, MON_10_SGT), Route::Ring(_)));
        // 08:59, and Saturday 10:00: closed, even for a last agent.
        assert_eq!(route(Some(&sg), None, 1_796_605_200_000 - 60 * S), closed);
        let lee = last("lee", 1_796_436_000_000 - S);
        assert_eq!(route(Some(&sg), Some(&lee), 1_796_436_000_000), closed);
        let (call, out) = InboundRing::start(closed.clone(), BTreeMap::new(), 0);
        assert_eq!(
            out,
            [
                Output::Missed(MissReason::OutsideHours),
                Output::PlayMessage(MessageKind::Closed)
            ]
        );
        assert_eq!(call.next_deadline(), None);
        // Panama (UTC−5): Monday 14:00 UTC is 09:00 there.
        let pa = OwnedNumber {
            e164: "+5072345678".into(),
            ..sg.clone()
        };
        assert_eq!(route(Some(&pa), None, 1_796_652_000_000 - 60 * S), closed);
        assert!(matches!(
            route(Some(&pa), None, 1_796_652_000_000),
            Route::Ring(_)
        ));
        // No hours: always open.
        assert!(matches!(
            route(Some(&number(ring_all(&["ana"]))), None, 1_796_436_000_000),
            Route::Ring(_)
        ));
    }

    #[test]
    fn local_time_is_the_countrys_fixed_offset() {
        // Sunday 16:00 UTC is Monday 00:00 in Singapore and Sunday 11:00 in Panama.
        let t = 1_796_572_800_000;
        assert_eq!(local_day_and_minute(Country::SG, t), (Weekday::Mon, 0));
        assert_eq!(
            local_day_and_minute(Country::PA, t),
            (Weekday::Sun, 11 * 60)
        );
        // Before the epoch's day boundary in Panama (UTC−5): Wednesday 1969-12-31 19:00.
        assert_eq!(
            local_day_and_minute(Country::PA, 0),
            (Weekday::Wed, 19 * 60)
        );
        assert_eq!(local_day_and_minute(Country::SG, 0), (Weekday::Thu, 8 * 60));
    }

    #[test]
    fn an_unassigned_number_plays_its_message_or_refuses_with_480() {
        let message = number(Assignment::None);
        let (_, out) = start(&message, None, BTreeMap::new(), MON_10_SGT);
        assert_eq!(out, [Output::PlayMessage(MessageKind::Unassigned)]);
        let refuse = OwnedNumber {
            unassigned: UnassignedAction::Refuse,
            ..message
        };
        let (call, out) = start(&refuse, None, BTreeMap::new(), MON_10_SGT);
        assert_eq!(out, [Output::Refuse(UNASSIGNED_REFUSAL)]);
        assert_eq!(UNASSIGNED_REFUSAL.code, 480);
        assert_eq!(call.next_deadline(), None);
    }

    #[test]
    fn a_number_the_business_does_not_own_is_refused() {
        assert_eq!(route(None, None, MON_10_SGT), Route::Refuse(NOT_OURS));
        let ids = ["+6560000000".to_string()];
        assert_eq!(owned_number("+6560000001", None, &ids), None);
        // The store's entry wins over a configured caller ID.
        let stored = number(ring_all(&["ana"]));
        assert_eq!(
            owned_number("+6560000000", Some(stored.clone()), &ids),
            Some(stored)
        );
    }

    #[test]
    fn a_busy_agent_gets_a_waiting_call_and_may_accept_it() {
        let t0 = MON_10_SGT;
        let n = number(ring_all(&["ana", "ben"]));
        let mut availability = all(Availability::Free, &["ana"]);
        availability.insert("ben".into(), Availability::Busy);
        let (mut call, out) = start(&n, None, availability, t0);
        assert_eq!(
            out,
            [Output::Ring(vec![
                RingAgent {
                    sub: "ana".into(),
                    waiting: false
                },
                RingAgent {
                    sub: "ben".into(),
                    waiting: true
                }
            ])]
        );
        assert_eq!(
            call.handle(t0 + S, Event::Answered("ben".into())),
            [
                stop(&["ana"], StopReason::TakenBy("ben".into())),
                Output::Connect("ben".into())
            ]
        );
    }

    #[test]
    fn do_not_disturb_and_signed_out_agents_are_skipped() {
        let t0 = MON_10_SGT;
        let mut availability = all(Availability::Free, &["cy"]);
        availability.insert("ana".into(), Availability::DoNotDisturb);
        // ben: no live channel (absent from the map).
        let (_, out) = start(
            &number(ring_all(&["ana", "ben", "cy"])),
            None,
            availability.clone(),
            t0,
        );
        assert_eq!(out, [ring(&["cy"])]);
        // In order, cy's turn starts at once, in full.
        let (call, out) = start(
            &number(in_order(&["ana", "ben", "cy"], 10, 30)),
            None,
            availability.clone(),
            t0,
        );
        assert_eq!(out, [ring(&["cy"])]);
        assert_eq!(call.next_deadline(), Some(t0 + 10 * S));
        // A last agent on do not disturb is skipped too.
        let lee = last("lee", t0 - S);
        availability.insert("lee".into(), Availability::DoNotDisturb);
        let (_, out) = start(&number(ring_all(&["cy"])), Some(&lee), availability, t0);
        assert_eq!(out, [ring(&["cy"])]);
        // No one available at all: missed at once.
        let (call, out) = start(
            &number(ring_all(&["ana"])),
            None,
            all(Availability::DoNotDisturb, &["ana"]),
            t0,
        );
        assert_eq!(out, missed(MissReason::NoOneAvailable));
        assert!(!call.is_ringing());
    }

    #[test]
    fn declined_by_everyone_is_missed() {
        let t0 = MON_10_SGT;
        let lee = last("lee", t0 - S);
        let n = number(ring_all(&["ana", "ben"]));
        let (mut call, _) = start(
            &n,
            Some(&lee),
            all(Availability::Free, &["ana", "ben", "lee"]),
            t0,
        );
        assert_eq!(
            call.handle(t0 + S, Event::Declined("lee".into())),
            [ring(&["ana", "ben"])]
        );
        assert_eq!(call.handle(t0 + 2 * S, Event::Declined("ana".into())), []);
        assert_eq!(call.ringing().collect::<Vec<_>>(), ["ben"]);
        assert_eq!(
            call.handle(t0 + 3 * S, Event::Declined("ben".into())),
            missed(MissReason::AllDeclined)
        );
        assert_eq!(call.handle(t0 + 3 * S, Event::Answered("ben".into())), []);
    }

    #[test]
    fn one_who_declined_is_not_rung_again_by_a_later_stage() {
        let t0 = MON_10_SGT;
        let lee = last("lee", t0 - S);
        let n = number(ring_all(&["ana", "lee"]));
        let (mut call, _) = start(&n, Some(&lee), all(Availability::Free, &["ana", "lee"]), t0);
        assert_eq!(
            call.handle(t0 + S, Event::Declined("lee".into())),
            [ring(&["ana"])]
        );
        assert_eq!(call.ringing().collect::<Vec<_>>(), ["ana"]);
    }

    #[test]
    fn the_caller_hanging_up_while_ringing_stops_every_ring() {
        let t0 = MON_10_SGT;
        let n = number(ring_all(&["ana", "ben"]));
        let (mut call, _) = start(&n, None, all(Availability::Free, &["ana", "ben"]), t0);
        assert_eq!(
            call.handle(t0 + 4 * S, Event::CallerHungUp),
            [
                stop(&["ana", "ben"], StopReason::CallerGone),
                Output::Missed(MissReason::CallerHungUp)
            ]
        );
        assert_eq!(call.next_deadline(), None);
        assert_eq!(call.handle(t0 + 5 * S, Event::Answered("ana".into())), []);
        assert_eq!(call.handle(t0 + 40 * S, Event::Tick), []);
    }

    #[test]
    fn settings_are_checked_and_the_error_names_the_field() {
        let field = |r: Result<(), SettingsError>| r.unwrap_err().field;
        assert_eq!(field(ring_all(&[]).validate()), "assignment.members");
        assert_eq!(
            field(ring_all(&["ana", "ana"]).validate()),
            "assignment.members[1]"
        );
        assert_eq!(
            field(in_order(&["ana"], 40, 30).validate()),
            "assignment.strategy.per_agent_secs"
        );
        assert_eq!(
            field(in_order(&["ana"], 10, 3).validate()),
            "assignment.ring_secs"
        );
        assert!(in_order(&["ana", "ben"], 10, 30).validate().is_ok());
        assert!(Assignment::None.validate().is_ok());
        let range = |day, open, close| OpenRange::parse(2, day, open, close).map(|_| ());
        assert_eq!(
            field(range("mon", "18:00", "09:00")),
            "hours.ranges[2].close"
        );
        assert_eq!(field(range("mon", "9:00", "18:00")), "hours.ranges[2].open");
        assert_eq!(
            field(range("monday", "09:00", "18:00")),
            "hours.ranges[2].day"
        );
        assert_eq!(
            field(range("mon", "24:00", "24:00")),
            "hours.ranges[2].open"
        );
        assert_eq!(
            field(range("mon", "09:00", "24:01")),
            "hours.ranges[2].close"
        );
        assert_eq!(
            OpenRange::parse(0, "sun", "22:00", "24:00"),
            Ok(OpenRange {
                day: Weekday::Sun,
                open: 22 * 60,
                close: 1440
            })
        );
        assert_eq!(format_hhmm(1440), "24:00");
        assert_eq!(format_hhmm(9 * 60 + 5), "09:05");
        let no_ranges = OwnedNumber {
            hours: Some(BusinessHours::default()),
            ..number(Assignment::None)
        };
        assert_eq!(field(no_ranges.validate()), "hours.ranges");
    }

    #[test]
    fn owned_numbers_are_valid_panama_or_singapore_numbers_of_any_kind() {
        assert_eq!(
            owned_e164("+65 6123 4567", &RuleTable).as_deref(),
            Ok("+6561234567")
        );
        assert_eq!(
            owned_e164("+507 264-1234", &RuleTable).as_deref(),
            Ok("+5072641234")
        );
        // A toll-free number takes calls, though agents may not dial one.
        assert!(owned_e164("+65 1800 123 4567", &RuleTable).is_ok());
        assert_eq!(
            owned_e164("+1 415 555 0100", &RuleTable),
            Err(RefusalReason::OtherCountry)
        );
        // A national number: which country's is not for us to guess.
        assert_eq!(
            owned_e164("6123 4567", &RuleTable),
            Err(RefusalReason::NeedsCountry)
        );
        assert!(owned_e164("+65 1234", &RuleTable).is_err());
    }

    #[test]
    fn hours_as_text_split_and_join() {
        let text = "Mon 09:00-18:00, sat 10:00 - 14:00;sun 22:00-24:00";
        let split = split_hours_text(text).unwrap();
        assert_eq!(
            split,
            [
                ("mon".into(), "09:00".into(), "18:00".into()),
                ("sat".into(), "10:00".into(), "14:00".into()),
                ("sun".into(), "22:00".into(), "24:00".into())
            ]
        );
        let joined = hours_text(
            split
                .iter()
                .map(|(d, o, c)| (d.as_str(), o.as_str(), c.as_str())),
        );
        assert_eq!(joined, "mon 09:00-18:00, sat 10:00-14:00, sun 22:00-24:00");
        assert_eq!(split_hours_text(" ").unwrap(), []);
        assert_eq!(
            split_hours_text("mon 09:00-18:00, tuesday")
                .unwrap_err()
                .field,
            "hours.ranges[1]"
        );
        assert_eq!(
            split_hours_text("mon 09:00").unwrap_err().field,
            "hours.ranges[0]"
        );
    }

    #[test]
    fn settings_round_trip_through_json() {
        let n = OwnedNumber {
            hours: Some(BusinessHours {
                ranges: vec![OpenRange::parse(0, "fri", "09:00", "17:30").unwrap()],
            }),
            unassigned: UnassignedAction::Refuse,
            ..number(in_order(&["ana", "ben"], 10, 30))
        };
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(serde_json::from_str::<OwnedNumber>(&json).unwrap(), n);
    }
}
