//! The conformance suite every [`Store`] adapter must pass (SQLite and DynamoDB). Each case is
//! a public function that panics with what broke; [`store_conformance_tests!`] makes one test
//! per case, each on a fresh, empty store, so one failure does not hide the others.
//!
//! [`store_conformance_tests!`]: crate::store_conformance_tests

use app::api::ports::{
    AuditEvent, CallQuery, ContactQuery, SessionRecord, Store, StoreError, UserRecord,
};
use app::domain::calls::{CallFilter, CallRecord, Direction, EndReason};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use app::domain::recordings::{
    ConsentNotice, Pause, Preferences, Recording, RecordingMode, RecordingState,
};

const ALICE: &str = "sub-alice";
const BOB: &str = "sub-bob";

fn contact(id: &str, name: &str, company: &str, numbers: &[&str]) -> Contact {
    Contact {
        id: id.into(),
        name: name.into(),
        company: company.into(),
        notes: String::new(),
        favourite: false,
        numbers: numbers
            .iter()
            .map(|n| ContactNumber {
                label: NumberLabel::Mobile,
                e164: n.to_string(),
            })
            .collect(),
        created_at: 1,
        updated_at: 1,
        version: 1,
    }
}

fn call(
    id: &str,
    e164: &str,
    started_at: u64,
    answered: bool,
    reason: Option<EndReason>,
) -> CallRecord {
    CallRecord {
        id: id.into(),
        direction: Direction::Outbound,
        e164: e164.into(),
        started_at,
        ringing_at: Some(started_at + 900),
        answered_at: answered.then_some(started_at + 5_000),
        ended_at: reason.map(|_| started_at + 65_000),
        end_reason: reason,
        hangup_by: reason.map(|_| "agent".into()),
        sip_cause: None,
        recording_id: None,
    }
}

/// One `#[tokio::test]` per conformance case, in a module named `$module`. `$fresh` is an async
/// fn (seen from inside that module, which imports its parent's items) returning a fresh, empty
/// store behind a pointer: `Box<SqliteStore>`, or a fixture that derefs to the store and keeps
/// what it needs (a temporary directory, an emulator) alive for the test.
#[macro_export]
macro_rules! store_conformance_tests {
    ($module:ident, $fresh:path) => {
        $crate::store_conformance_tests!(@cases $module, $fresh;
            ping_answers,
            users_and_sessions,
            contacts_crud_and_ownership,
            contacts_search_and_pages,
            calls_log,
            audit_is_owner_scoped,
            recordings_metadata,
            preferences_default_and_persist,
        );
    };
    (@cases $module:ident, $fresh:path; $($case:ident,)*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let store = $fresh().await;
                    $crate::store::conformance::$case(&*store).await;
                }
            )*
        }
    };
}

pub async fn ping_answers(store: &dyn Store) {
    store.ping().await.expect("ping");
}

fn recording(id: &str, call_id: &str, started_at: u64, retain_until: u64) -> Recording {
    Recording {
        id: id.into(),
        call_id: call_id.into(),
        started_at,
        ended_at: None,
        duration_ms: 0,
        bytes: 44,
        sha256: None,
        format: app::domain::recordings::FORMAT.into(),
        consent: ConsentNotice::Tone,
        pause_mode: "silence".into(),
        pauses: vec![],
        location: format!("disk:{}", Recording::key_for(id, started_at)),
        key: Recording::key_for(id, started_at),
        retain_until,
        state: RecordingState::Recording,
        upload_id: Some("upload-1".into()),
        waveform: vec![],
    }
}

pub async fn recordings_metadata(store: &dyn Store) {
    let mut call = call("rec-call", "+6560000001", 50_000, true, None);
    store.insert_call(ALICE, &call).await.expect("call");
    let mut r = recording("rec-1", "rec-call", 55_000, 1_000_000);
    store.insert_recording(ALICE, &r).await.expect("insert");
    assert_eq!(
        store.insert_recording(ALICE, &r).await,
        Err(StoreError::AlreadyExists),
        "ids are unique"
    );
    call.recording_id = Some(r.id.clone());
    store.update_call(ALICE, &call).await.expect("link");
    assert_eq!(
        store.get_recording(ALICE, "rec-1").await.unwrap(),
        Some(r.clone())
    );
    // Another owner sees nothing and changes nothing.
    assert_eq!(store.get_recording(BOB, "rec-1").await.unwrap(), None);
    assert_eq!(
        store.update_recording(BOB, &r).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_recording(BOB, "rec-1").await,
        Err(StoreError::NotFound)
    );
    // In progress: found by the start-up recovery, whoever owns it.
    let open = store
        .recordings_in_state(RecordingState::Recording, 10)
        .await
        .unwrap();
    assert_eq!(open, vec![(ALICE.to_string(), r.clone())]);
    // Finished: every field kept.
    r.ended_at = Some(65_000);
    r.duration_ms = 10_000;
    r.bytes = 320_044;
    r.sha256 = Some("ab".repeat(32));
    r.consent = ConsentNotice::ToneAndSpoken;
    r.pauses = vec![Pause {
        offset_ms: 2_000,
        duration_ms: 3_000,
    }];
    r.state = RecordingState::Complete;
    r.upload_id = None;
    r.waveform = vec![0, 7, 255, 1];
    store.update_recording(ALICE, &r).await.expect("update");
    assert_eq!(
        store.get_recording(ALICE, "rec-1").await.unwrap(),
        Some(r.clone())
    );
    assert!(store
        .recordings_in_state(RecordingState::Recording, 10)
        .await
        .unwrap()
        .is_empty());
    // Retention: only what expired, oldest first, never one being recorded.
    let mut later = recording("rec-2", "rec-call-2", 60_000, 2_000_000);
    later.state = RecordingState::Complete;
    store.insert_recording(BOB, &later).await.unwrap();
    let mut live = recording("rec-3", "rec-call-3", 70_000, 10);
    store.insert_recording(BOB, &live).await.unwrap();
    let expired = store.expired_recordings(1_500_000, 10).await.unwrap();
    assert_eq!(expired, vec![(ALICE.to_string(), r.clone())]);
    let expired = store.expired_recordings(3_000_000, 10).await.unwrap();
    assert_eq!(
        expired
            .iter()
            .map(|(_, r)| r.id.as_str())
            .collect::<Vec<_>>(),
        ["rec-1", "rec-2"]
    );
    live.state = RecordingState::Complete;
    store.update_recording(BOB, &live).await.unwrap();
    assert_eq!(
        store.expired_recordings(3_000_000, 1).await.unwrap()[0]
            .1
            .id,
        "rec-3"
    );
    // Deleting removes the metadata and the call's link to it.
    store
        .delete_recording(ALICE, "rec-1")
        .await
        .expect("delete");
    assert_eq!(store.get_recording(ALICE, "rec-1").await.unwrap(), None);
    let call = store.get_call(ALICE, "rec-call").await.unwrap().unwrap();
    assert_eq!(call.recording_id, None);
    assert_eq!(
        store.delete_recording(ALICE, "rec-1").await,
        Err(StoreError::NotFound)
    );
    // Each owner lists their own, newest first, a page at a time.
    let ids = |page: &app::api::ports::Page<Recording>| {
        page.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    };
    let first = store.list_recordings(BOB, None, 1).await.unwrap();
    assert_eq!(ids(&first), ["rec-3"]);
    let second = store
        .list_recordings(BOB, first.next.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(ids(&second), ["rec-2"]);
    assert_eq!(second.next, None);
    assert_eq!(
        ids(&store.list_recordings(BOB, None, 10).await.unwrap()),
        ["rec-3", "rec-2"]
    );
    assert!(store
        .list_recordings(ALICE, None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        store.list_recordings(BOB, Some("garbage"), 10).await,
        Err(StoreError::BadCursor)
    );
}

pub async fn preferences_default_and_persist(store: &dyn Store) {
    assert_eq!(
        store.preferences(ALICE).await.unwrap(),
        Preferences::default()
    );
    let p = Preferences {
        recording: RecordingMode::Always,
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
    assert_eq!(
        store.preferences(BOB).await.unwrap(),
        Preferences::default()
    );
    let p = Preferences {
        recording: RecordingMode::Never,
    };
    store.set_preferences(ALICE, &p).await.unwrap();
    assert_eq!(store.preferences(ALICE).await.unwrap(), p);
}

pub async fn users_and_sessions(store: &dyn Store) {
    let user = UserRecord {
        sub: ALICE.into(),
        email: "alice@example.com".into(),
        password_hash: "h".into(),
        created_at: 1,
    };
    store.create_user(&user).await.expect("create user");
    let again = UserRecord {
        sub: "other".into(),
        ..user.clone()
    };
    assert_eq!(
        store.create_user(&again).await,
        Err(StoreError::AlreadyExists),
        "email must be unique"
    );
    assert_eq!(
        store.user_by_email("alice@example.com").await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(store.user_by_sub(ALICE).await.unwrap(), Some(user.clone()));
    assert_eq!(
        store.user_by_email("nobody@example.com").await.unwrap(),
        None
    );
    store.set_password_hash(ALICE, "h2").await.unwrap();
    assert_eq!(
        store
            .user_by_sub(ALICE)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "h2"
    );
    assert_eq!(
        store.set_password_hash("missing", "x").await,
        Err(StoreError::NotFound)
    );
    store
        .create_user(&UserRecord {
            sub: BOB.into(),
            email: "bob@example.com".into(),
            password_hash: "b".into(),
            created_at: 2,
        })
        .await
        .unwrap();

    let session = SessionRecord {
        id: "s1".into(),
        sub: ALICE.into(),
        token_hash: "th1".into(),
        created_at: 1,
        expires_at: 100,
        revoked: false,
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(
        store.session_by_token_hash("th1").await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(store.session("s1").await.unwrap(), Some(session.clone()));
    let bobs = SessionRecord {
        id: "s2".into(),
        sub: BOB.into(),
        token_hash: "th2".into(),
        ..session.clone()
    };
    store.create_session(&bobs).await.unwrap();
    assert_eq!(store.revoke_sessions(ALICE).await.unwrap(), 1);
    assert!(store.session("s1").await.unwrap().unwrap().revoked);
    assert!(
        !store.session("s2").await.unwrap().unwrap().revoked,
        "revoking Alice must not touch Bob"
    );

    store.put_reset_code(ALICE, "c1", 50).await.unwrap();
    store.count_reset_failure(ALICE).await.unwrap();
    assert_eq!(
        store.reset_code(ALICE).await.unwrap(),
        Some(("c1".into(), 50, 1))
    );
    store.put_reset_code(ALICE, "c2", 60).await.unwrap();
    assert_eq!(
        store.reset_code(ALICE).await.unwrap(),
        Some(("c2".into(), 60, 0)),
        "a new code replaces the old"
    );
    store.delete_reset_code(ALICE).await.unwrap();
    assert_eq!(store.reset_code(ALICE).await.unwrap(), None);
}

pub async fn contacts_crud_and_ownership(store: &dyn Store) {
    let c = contact(
        "00000000-0000-0000-0000-000000000001",
        "Ana Pérez",
        "Banco",
        &["+50761234567", "+6561234567"],
    );
    store.insert_contact(ALICE, &c).await.unwrap();
    assert_eq!(
        store.insert_contact(ALICE, &c).await,
        Err(StoreError::AlreadyExists),
        "create is conditional"
    );
    assert_eq!(
        store.get_contact(ALICE, &c.id).await.unwrap(),
        Some(c.clone())
    );

    // Bob sees nothing of Alice's and cannot change or delete it.
    assert_eq!(store.get_contact(BOB, &c.id).await.unwrap(), None);
    assert_eq!(
        store.update_contact(BOB, &c, 1).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_contact(BOB, &c.id).await,
        Err(StoreError::NotFound)
    );
    assert!(store
        .list_contacts(BOB, &ContactQuery::default(), None, 50)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        store.contact_by_number(BOB, "+50761234567").await.unwrap(),
        None
    );
    // The same id under another owner is another record.
    let bobs = contact(&c.id, "Bob's Ana", "", &["+6581234567"]);
    store.insert_contact(BOB, &bobs).await.unwrap();
    assert_eq!(
        store.get_contact(ALICE, &c.id).await.unwrap().unwrap().name,
        "Ana Pérez"
    );

    // Optimistic update: the right version wins, a stale one conflicts.
    let mut edited = c.clone();
    edited.name = "Ana P. Pérez".into();
    edited.numbers = vec![ContactNumber {
        label: NumberLabel::Work,
        e164: "+5072001234".into(),
    }];
    edited.version = 2;
    store.update_contact(ALICE, &edited, 1).await.unwrap();
    assert_eq!(
        store.update_contact(ALICE, &edited, 1).await,
        Err(StoreError::Conflict)
    );
    let stored = store.get_contact(ALICE, &c.id).await.unwrap().unwrap();
    assert_eq!(stored, edited);
    assert_eq!(
        store
            .contact_by_number(ALICE, "+5072001234")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(c.id.clone())
    );
    assert_eq!(
        store
            .contact_by_number(ALICE, "+50761234567")
            .await
            .unwrap(),
        None,
        "old numbers are gone"
    );

    let deleted = store.delete_contact(ALICE, &c.id).await.unwrap();
    assert_eq!(deleted, edited);
    assert_eq!(store.get_contact(ALICE, &c.id).await.unwrap(), None);
    assert_eq!(
        store.delete_contact(ALICE, &c.id).await,
        Err(StoreError::NotFound)
    );
    assert!(
        store.get_contact(BOB, &c.id).await.unwrap().is_some(),
        "Bob's record is untouched"
    );
    store.delete_contact(BOB, &c.id).await.unwrap();
}

pub async fn contacts_search_and_pages(store: &dyn Store) {
    for i in 0..23u32 {
        let mut c = contact(
            &format!("00000000-0000-0000-0001-{i:012}"),
            &format!("Person {i:02}"),
            if i % 2 == 0 { "Even Co" } else { "Odd_Co" },
            &[&format!("+65812345{i:02}")],
        );
        c.favourite = i % 5 == 0;
        store.insert_contact(ALICE, &c).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_contacts(ALICE, &ContactQuery::default(), cursor.as_deref(), 10)
            .await
            .unwrap();
        assert!(page.items.len() <= 10);
        seen.extend(page.items.iter().map(|c| c.name.clone()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..23).map(|i| format!("Person {i:02}")).collect();
    assert_eq!(
        seen, expected,
        "pages cover every contact once, in name order"
    );

    let search = |text: &str, favourites_only: bool| ContactQuery {
        search: text.into(),
        favourites_only,
    };
    let names = |page: app::api::ports::Page<Contact>| {
        page.items.into_iter().map(|c| c.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            store
                .list_contacts(ALICE, &search("person 1", false), None, 50)
                .await
                .unwrap()
        )
        .len(),
        10
    );
    assert_eq!(
        names(
            store
                .list_contacts(ALICE, &search("odd_", false), None, 50)
                .await
                .unwrap()
        )
        .len(),
        11
    );
    assert_eq!(
        names(
            store
                .list_contacts(ALICE, &search("8123 4507", false), None, 50)
                .await
                .unwrap()
        ),
        vec!["Person 07"],
        "search by number digits, ignoring spaces"
    );
    assert_eq!(
        names(
            store
                .list_contacts(ALICE, &search("%", false), None, 50)
                .await
                .unwrap()
        )
        .len(),
        0,
        "LIKE wildcards are literal"
    );
    assert_eq!(
        names(
            store
                .list_contacts(ALICE, &search("", true), None, 50)
                .await
                .unwrap()
        ),
        vec![
            "Person 00",
            "Person 05",
            "Person 10",
            "Person 15",
            "Person 20"
        ]
    );
    assert_eq!(
        store
            .list_contacts(ALICE, &ContactQuery::default(), Some("not-a-cursor"), 10)
            .await,
        Err(StoreError::BadCursor)
    );
    assert!(store
        .list_contacts(BOB, &search("person", false), None, 50)
        .await
        .unwrap()
        .items
        .is_empty());
}

pub async fn calls_log(store: &dyn Store) {
    let calls = [
        call("c1", "+6591234501", 1_000, true, Some(EndReason::Completed)),
        call("c2", "+6591234502", 2_000, false, Some(EndReason::Busy)),
        call("c3", "+6591234503", 3_000, false, Some(EndReason::Failed)),
        call("c4", "+6591234504", 4_000, false, Some(EndReason::NoAnswer)),
        call("c5", "+6591234505", 5_000, false, None),
    ];
    for c in &calls {
        store.insert_call(ALICE, c).await.unwrap();
    }
    assert_eq!(
        store.insert_call(ALICE, &calls[0]).await,
        Err(StoreError::AlreadyExists)
    );
    store
        .insert_call(
            BOB,
            &call("b1", "+6591234501", 9_000, true, Some(EndReason::Completed)),
        )
        .await
        .unwrap();

    let list = |filter: CallFilter, search: &str| CallQuery {
        filter,
        search: search.into(),
    };
    let ids = |page: app::api::ports::Page<CallRecord>| {
        page.items.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::All, ""), None, 50)
            .await
            .unwrap()),
        ["c5", "c4", "c3", "c2", "c1"]
    );
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::Answered, ""), None, 50)
            .await
            .unwrap()),
        ["c1"]
    );
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::NotAnswered, ""), None, 50)
            .await
            .unwrap()),
        ["c5", "c4", "c2"]
    );
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::Failed, ""), None, 50)
            .await
            .unwrap()),
        ["c3"]
    );
    // Every filter agrees with the domain's definition.
    for filter in CallFilter::ALL {
        let got = ids(store
            .list_calls(ALICE, &list(filter, ""), None, 50)
            .await
            .unwrap());
        let want: Vec<String> = calls
            .iter()
            .rev()
            .filter(|c| c.matches(filter))
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(got, want, "{filter:?}");
    }
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::All, "4503"), None, 50)
            .await
            .unwrap()),
        ["c3"]
    );

    // Contact names find calls too.
    store
        .insert_contact(
            ALICE,
            &contact(
                "00000000-0000-0000-0002-000000000001",
                "Zed Tan",
                "",
                &["+6591234502"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        ids(store
            .list_calls(ALICE, &list(CallFilter::All, "zed"), None, 50)
            .await
            .unwrap()),
        ["c2"]
    );
    assert_eq!(
        store
            .contact_by_number(ALICE, "+6591234502")
            .await
            .unwrap()
            .map(|c| c.name),
        Some("Zed Tan".into())
    );

    let first = store
        .list_calls(ALICE, &list(CallFilter::All, ""), None, 2)
        .await
        .unwrap();
    assert_eq!(ids(first.clone()), ["c5", "c4"]);
    let second = store
        .list_calls(ALICE, &list(CallFilter::All, ""), first.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(ids(second.clone()), ["c3", "c2"]);
    let third = store
        .list_calls(ALICE, &list(CallFilter::All, ""), second.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(ids(third.clone()), ["c1"]);
    assert_eq!(third.next, None);

    let mut ended = calls[4].clone();
    ended.answered_at = Some(6_000);
    ended.ended_at = Some(70_000);
    ended.end_reason = Some(EndReason::Completed);
    ended.sip_cause = Some("BYE".into());
    store.update_call(ALICE, &ended).await.unwrap();
    assert_eq!(
        store.get_call(ALICE, "c5").await.unwrap(),
        Some(ended.clone())
    );
    assert_eq!(
        store.update_call(BOB, &ended).await,
        Err(StoreError::NotFound),
        "Bob cannot touch Alice's call"
    );
    assert_eq!(store.get_call(BOB, "c5").await.unwrap(), None);
    assert_eq!(
        ids(store
            .list_calls(BOB, &list(CallFilter::All, ""), None, 50)
            .await
            .unwrap()),
        ["b1"]
    );

    // After a restart every call still open is closed as interrupted, for every owner, and
    // closed calls are left alone.
    let mut open_a = call("o1", "+6591234506", 80_000, true, None);
    open_a.ended_at = None;
    let open_b = call("o2", "+6591234507", 81_000, false, None);
    store.insert_call(ALICE, &open_a).await.unwrap();
    store.insert_call(BOB, &open_b).await.unwrap();
    assert_eq!(store.close_open_calls(90_000).await.unwrap(), 2);
    assert_eq!(store.close_open_calls(91_000).await.unwrap(), 0);
    let closed = store.get_call(ALICE, "o1").await.unwrap().unwrap();
    assert_eq!(closed.ended_at, Some(90_000));
    assert_eq!(closed.end_reason, Some(EndReason::Interrupted));
    assert_eq!(closed.hangup_by.as_deref(), Some("system"));
    assert_eq!(closed.answered_at, open_a.answered_at);
    let closed = store.get_call(BOB, "o2").await.unwrap().unwrap();
    assert_eq!(closed.end_reason, Some(EndReason::Interrupted));
    assert_eq!(
        store.get_call(ALICE, "c5").await.unwrap(),
        Some(ended),
        "a finished call keeps its end"
    );
}

pub async fn audit_is_owner_scoped(store: &dyn Store) {
    store
        .audit(
            ALICE,
            &AuditEvent {
                at: 1,
                action: "sign_in".into(),
                detail: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .audit(
            ALICE,
            &AuditEvent {
                at: 2,
                action: "contact_deleted".into(),
                detail: "x".into(),
            },
        )
        .await
        .unwrap();
    store
        .audit(
            BOB,
            &AuditEvent {
                at: 3,
                action: "sign_in".into(),
                detail: String::new(),
            },
        )
        .await
        .unwrap();
    let alice: Vec<String> = store
        .list_audit(ALICE, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(alice, ["contact_deleted", "sign_in"]);
    assert_eq!(store.list_audit(BOB, 10).await.unwrap().len(), 1);
}
