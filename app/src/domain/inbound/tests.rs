//! Calls in from routing to the ringing's end: [`route`] then [`InboundRing`], scenario by
//! scenario, and the settings' checks.

use std::collections::BTreeMap;

use super::*;
use crate::domain::numbers::{Country, RefusalReason, RuleTable};

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
