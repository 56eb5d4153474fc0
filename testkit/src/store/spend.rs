//! Spend limits: admission checks the policy and writes the call in one atomic step, so
//! concurrent admissions (as from several servers) never pass a cap; ending a call frees its
//! slot; the rate windows, a velocity block and its lifting hold.

use app::api::ports::{AdmitError, Store};
use app::domain::calls::{CallRecord, EndReason};
use app::domain::spend::{Block, SpendOverrides, SpendPolicy, SpendRefusal, VelocityRule};
use futures_util::future::join_all;

use super::fixtures::{ALICE, BOB};

const NOW: u64 = 1_800_000_000_000;
const S: u64 = 1000;

fn open(id: &str, e164: &str, at: u64) -> CallRecord {
    CallRecord::outbound(id.into(), e164.into(), at)
}

/// The call as ended, after `talk` ms answered.
fn ended(mut call: CallRecord, talk: u64) -> CallRecord {
    call.answered_at = Some(call.started_at + S);
    call.ended_at = Some(call.started_at + S + talk);
    call.end_reason = Some(EndReason::Completed);
    call.hangup_by = Some("agent".into());
    call
}

/// Every rule as loose as can be but the ones a case sets.
fn loose() -> SpendPolicy {
    SpendPolicy {
        global_concurrent: 1000,
        calls_per_minute: 1000,
        calls_per_hour: 1000,
        short_calls: 0,
        sequential_calls: 0,
        new_destinations: 0,
        ..SpendPolicy::default()
    }
}

fn refusal(r: Result<app::domain::spend::Admission, AdmitError>) -> SpendRefusal {
    match r {
        Err(AdmitError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub async fn spend_caps_hold_under_concurrent_admissions(store: &dyn Store) {
    // 20 users at once against a global cap of 3: exactly 3 calls are written.
    let policy = SpendPolicy {
        global_concurrent: 3,
        ..loose()
    };
    let users: Vec<String> = (0..20).map(|i| format!("sub-user-{i}")).collect();
    let calls: Vec<CallRecord> = (0..20)
        .map(|i| open(&format!("g{i}"), &format!("+65612345{i:02}"), NOW))
        .collect();
    let results = join_all(
        users
            .iter()
            .zip(&calls)
            .map(|(user, call)| store.admit_call(user, call, &policy, None, NOW)),
    )
    .await;
    let admitted: Vec<usize> = (0..20).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(admitted.len(), 3, "global cap of 3: {results:?}");
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(_) => assert!(store
                .get_call(&users[i], &calls[i].id)
                .await
                .unwrap()
                .is_some()),
            Err(AdmitError::Refused(SpendRefusal::ServiceBusy { .. })) => assert_eq!(
                store.get_call(&users[i], &calls[i].id).await.unwrap(),
                None,
                "a refused call is not written"
            ),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }

    // One user, 20 tabs at once, one call each allowed: exactly one.
    let results = join_all((0..20).map(|i| {
        let call = open(&format!("u{i}"), "+6561110000", NOW);
        async move { store.admit_call(ALICE, &call, &loose(), None, NOW).await }
    }))
    .await;
    let admitted: Vec<usize> = (0..20).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(admitted.len(), 1, "one call per user: {results:?}");
    assert!(results
        .iter()
        .all(|r| r.is_ok() || matches!(r, Err(AdmitError::Refused(SpendRefusal::CallInProgress)))));
    assert_eq!(store.spend_state(ALICE).await.unwrap().open_calls, 1);
}

pub async fn spend_slots_are_released_and_rates_hold(store: &dyn Store) {
    let one_line = SpendPolicy {
        global_concurrent: 1,
        ..loose()
    };
    let a1 = open("a1", "+6561110001", NOW);
    store
        .admit_call(ALICE, &a1, &one_line, None, NOW)
        .await
        .unwrap();
    let b1 = open("b1", "+6561110002", NOW + S);
    assert!(matches!(
        refusal(store.admit_call(BOB, &b1, &one_line, None, NOW + S).await),
        SpendRefusal::ServiceBusy { .. }
    ));
    // Ending the call frees the line (and an update before the end does not).
    let mut ringing = a1.clone();
    ringing.ringing_at = Some(NOW + 500);
    store.update_call(ALICE, &ringing).await.unwrap();
    assert!(store
        .admit_call(BOB, &b1, &one_line, None, NOW + S)
        .await
        .is_err());
    store.update_call(ALICE, &ended(a1, 30 * S)).await.unwrap();
    assert_eq!(store.spend_state(ALICE).await.unwrap().open_calls, 0);
    store
        .admit_call(BOB, &b1, &one_line, None, NOW + 2 * S)
        .await
        .unwrap();
    // The start-up sweep frees the slots of the calls it closes.
    assert_eq!(
        store
            .close_open_calls(
                app::api::ports::OpenCalls::OfServer("server-1"),
                NOW + 3 * S
            )
            .await
            .unwrap(),
        1
    );
    let a2 = open("a2", "+6561110003", NOW + 4 * S);
    store
        .admit_call(ALICE, &a2, &one_line, None, NOW + 4 * S)
        .await
        .unwrap();
    store
        .update_call(ALICE, &ended(a2.clone(), 30 * S))
        .await
        .unwrap();

    // Two calls a minute: the third waits until the first leaves the minute.
    let two_a_minute = SpendPolicy {
        calls_per_minute: 2,
        ..loose()
    };
    let t = NOW + 3600 * S;
    for (i, at) in [t, t + S].into_iter().enumerate() {
        let c = open(&format!("r{i}"), "+6561110004", at);
        store
            .admit_call(ALICE, &c, &two_a_minute, None, at)
            .await
            .unwrap();
        store.update_call(ALICE, &ended(c, 5 * S)).await.unwrap();
    }
    let third = open("r2", "+6561110004", t + 2 * S);
    assert_eq!(
        refusal(
            store
                .admit_call(ALICE, &third, &two_a_minute, None, t + 2 * S)
                .await
        ),
        SpendRefusal::TooManyCalls {
            retry_after_secs: 58
        }
    );
    let later = open("r3", "+6561110004", t + 60 * S);
    store
        .admit_call(ALICE, &later, &two_a_minute, None, t + 60 * S)
        .await
        .unwrap();
    assert_eq!(store.get_call(ALICE, "r2").await.unwrap(), None);
}

pub async fn spend_blocks_persist_until_lifted(store: &dyn Store) {
    let policy = SpendPolicy {
        sequential_calls: 3,
        minutes_per_day: 60,
        ..loose()
    };
    for (i, n) in ["+6561110001", "+6561110002"].into_iter().enumerate() {
        let at = NOW + i as u64 * 60 * S;
        let c = open(&format!("s{i}"), n, at);
        let admission = store
            .admit_call(ALICE, &c, &policy, None, at)
            .await
            .unwrap();
        let expected = (60 - i as u64 * 10) * 60 * S;
        assert_eq!(
            admission.max_duration_ms, expected,
            "the minutes left today bound the call"
        );
        store
            .update_call(ALICE, &ended(c, 10 * 60 * S))
            .await
            .unwrap();
    }
    let third = open("s2", "+6561110003", NOW + 120 * S);
    let blocked = SpendRefusal::Blocked {
        rule: VelocityRule::SequentialNumbers,
    };
    assert_eq!(
        refusal(
            store
                .admit_call(ALICE, &third, &policy, None, NOW + 120 * S)
                .await
        ),
        blocked
    );
    // Blocked: even a call no rule would stop, and long after.
    let other = open("s3", "+4420000000", NOW + 2 * 86_400 * S);
    assert_eq!(
        refusal(
            store
                .admit_call(ALICE, &other, &policy, None, NOW + 2 * 86_400 * S)
                .await
        ),
        blocked
    );
    let state = store.spend_state(ALICE).await.unwrap();
    assert_eq!(
        state.block.map(|b| (b.rule, b.at)),
        Some((VelocityRule::SequentialNumbers, NOW + 120 * S))
    );
    assert_eq!(store.spend_state(BOB).await.unwrap().block, None);
    // Lifted: the calls that tripped it no longer count.
    assert!(store.lift_block(ALICE, NOW + 130 * S).await.unwrap());
    assert!(!store.lift_block(ALICE, NOW + 131 * S).await.unwrap());
    store
        .admit_call(ALICE, &third, &policy, None, NOW + 140 * S)
        .await
        .unwrap();
    store
        .update_call(ALICE, &ended(third, 5 * S))
        .await
        .unwrap();
    // An override is kept and applies.
    let overrides = SpendOverrides {
        max_call_secs: Some(90),
        ..SpendOverrides::default()
    };
    store.set_spend_overrides(ALICE, &overrides).await.unwrap();
    assert_eq!(store.spend_state(ALICE).await.unwrap().overrides, overrides);
    let c = open("s4", "+4420000001", NOW + 200 * S);
    let admission = store
        .admit_call(ALICE, &c, &policy, None, NOW + 200 * S)
        .await
        .unwrap();
    assert_eq!(admission.max_duration_ms, 90 * S);
}

/// A new account awaiting approval (`SOFTPHONE_SIGNUP_APPROVAL=admin`): every call is refused
/// with that reason, nothing is written, other users dial; approving (lifting) lets it dial,
/// and overrides set meanwhile are kept.
pub async fn unapproved_accounts_cannot_dial_until_approved(store: &dyn Store) {
    let overrides = SpendOverrides {
        max_call_secs: Some(60),
        ..SpendOverrides::default()
    };
    store.set_spend_overrides(ALICE, &overrides).await.unwrap();
    let awaiting = app::domain::spend::Block {
        rule: VelocityRule::AwaitingApproval,
        at: NOW,
    };
    store.block_calls(ALICE, awaiting).await.unwrap();
    assert_eq!(
        store.spend_state(ALICE).await.unwrap().block,
        Some(awaiting)
    );
    let c = open("a1", "+6561110001", NOW + S);
    assert_eq!(
        refusal(store.admit_call(ALICE, &c, &loose(), None, NOW + S).await),
        SpendRefusal::Blocked {
            rule: VelocityRule::AwaitingApproval
        }
    );
    assert_eq!(
        store.get_call(ALICE, "a1").await.unwrap(),
        None,
        "a refused call is not written"
    );
    store
        .admit_call(
            BOB,
            &open("b1", "+6561110002", NOW + S),
            &loose(),
            None,
            NOW + S,
        )
        .await
        .expect("another user dials");
    assert!(store.lift_block(ALICE, NOW + 2 * S).await.unwrap());
    let admission = store
        .admit_call(ALICE, &c, &loose(), None, NOW + 3 * S)
        .await
        .expect("approved");
    assert_eq!(admission.max_duration_ms, 60 * S, "overrides kept");
}

/// The administrator's list of blocked users: every user blocked now (a velocity rule that
/// tripped in an admission, or awaiting approval), oldest block first, up to the limit; a
/// user with overrides only is not in it, a replaced block is listed once with its new time,
/// and a lifted one leaves it.
pub async fn blocked_users_are_listed_until_lifted(store: &dyn Store) {
    const CAROL: &str = "sub-carol";
    assert_eq!(store.blocked_users(10).await.unwrap(), []);
    let awaiting = Block {
        rule: VelocityRule::AwaitingApproval,
        at: NOW,
    };
    store.block_calls(BOB, awaiting).await.unwrap();
    let overrides = SpendOverrides {
        calls_per_hour: Some(5),
        ..SpendOverrides::default()
    };
    store.set_spend_overrides(CAROL, &overrides).await.unwrap();
    // Alice trips the sequential-numbers rule in an admission.
    let policy = SpendPolicy {
        sequential_calls: 2,
        ..loose()
    };
    let first = open("q1", "+6561110001", NOW + S);
    store
        .admit_call(ALICE, &first, &policy, None, NOW + S)
        .await
        .unwrap();
    store
        .update_call(ALICE, &ended(first, 5 * S))
        .await
        .unwrap();
    let second = open("q2", "+6561110002", NOW + 60 * S);
    let tripped = NOW + 60 * S;
    assert!(refusal(
        store
            .admit_call(ALICE, &second, &policy, None, tripped)
            .await
    )
    .is_block());
    let sequential = Block {
        rule: VelocityRule::SequentialNumbers,
        at: tripped,
    };
    assert_eq!(
        store.blocked_users(10).await.unwrap(),
        [(BOB.to_string(), awaiting), (ALICE.to_string(), sequential)],
        "oldest block first; overrides alone are no block"
    );
    assert_eq!(
        store.blocked_users(1).await.unwrap(),
        [(BOB.to_string(), awaiting)]
    );
    // Another refused admission and an override leave the entries as they are.
    assert!(refusal(
        store
            .admit_call(
                ALICE,
                &open("q3", "+6561110003", tripped + S),
                &policy,
                None,
                tripped + S
            )
            .await
    )
    .is_block());
    store.set_spend_overrides(BOB, &overrides).await.unwrap();
    assert_eq!(store.blocked_users(10).await.unwrap().len(), 2);
    // Lifted: gone from the list; a replaced block is listed once, at its new time.
    assert!(store.lift_block(BOB, tripped + 2 * S).await.unwrap());
    let replaced = Block {
        rule: VelocityRule::AwaitingApproval,
        at: tripped + 3 * S,
    };
    store.block_calls(ALICE, replaced).await.unwrap();
    assert_eq!(
        store.blocked_users(10).await.unwrap(),
        [(ALICE.to_string(), replaced)]
    );
    assert!(store.lift_block(ALICE, tripped + 4 * S).await.unwrap());
    assert_eq!(store.blocked_users(10).await.unwrap(), []);
    assert_eq!(store.spend_state(BOB).await.unwrap().overrides, overrides);
}
