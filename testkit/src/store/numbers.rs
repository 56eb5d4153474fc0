//! The business's numbers (admin-managed, not owner-scoped), each customer number's last agent,
//! and the administrator role kept with a local account.

use app::api::ports::{Store, StoreError, UserRecord};
use app::domain::inbound::{
    Assignment, BusinessHours, LastAgent, OpenRange, OwnedNumber, Strategy, UnassignedAction,
};

use super::fixtures::{ALICE, BOB};

fn owned(e164: &str, assignment: Assignment, updated_at: u64) -> OwnedNumber {
    OwnedNumber {
        e164: e164.into(),
        assignment,
        hours: None,
        unassigned: UnassignedAction::Message,
        updated_at,
    }
}

pub async fn owned_numbers_put_list_and_delete(store: &dyn Store) {
    assert_eq!(store.list_numbers().await.unwrap(), []);
    assert_eq!(store.get_number("+6561234567").await.unwrap(), None);
    let sg = OwnedNumber {
        hours: Some(BusinessHours {
            ranges: vec![
                OpenRange::parse(0, "mon", "09:00", "18:00").unwrap(),
                OpenRange::parse(1, "sat", "22:00", "24:00").unwrap(),
            ],
        }),
        unassigned: UnassignedAction::Refuse,
        ..owned(
            "+6561234567",
            Assignment::Agents {
                members: vec![ALICE.into(), BOB.into()],
                strategy: Strategy::InOrder { per_agent_secs: 10 },
                ring_secs: 40,
            },
            5,
        )
    };
    let pa = owned("+5072641234", Assignment::None, 6);
    store.put_number(&sg).await.unwrap();
    store.put_number(&pa).await.unwrap();
    assert_eq!(store.get_number(&sg.e164).await.unwrap(), Some(sg.clone()));
    assert_eq!(store.get_number(&pa.e164).await.unwrap(), Some(pa.clone()));
    // By E.164.
    assert_eq!(
        store.list_numbers().await.unwrap(),
        [pa.clone(), sg.clone()]
    );
    // A put replaces the whole entry.
    let ring_all = OwnedNumber {
        hours: None,
        ..owned(
            &sg.e164,
            Assignment::Agents {
                members: vec![BOB.into()],
                strategy: Strategy::RingAll,
                ring_secs: 30,
            },
            7,
        )
    };
    store.put_number(&ring_all).await.unwrap();
    assert_eq!(
        store.get_number(&sg.e164).await.unwrap(),
        Some(ring_all.clone())
    );
    store.delete_number(&pa.e164).await.unwrap();
    assert_eq!(
        store.delete_number(&pa.e164).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(store.list_numbers().await.unwrap(), [ring_all]);
}

pub async fn last_agents_keep_the_latest_call(store: &dyn Store) {
    let customer = "+6581234567";
    assert_eq!(store.last_agent(customer).await.unwrap(), None);
    store.set_last_agent(customer, ALICE, 1_000).await.unwrap();
    assert_eq!(
        store.last_agent(customer).await.unwrap(),
        Some(LastAgent {
            owner: ALICE.into(),
            at: 1_000
        })
    );
    store.set_last_agent(customer, BOB, 2_000).await.unwrap();
    // A write of an earlier call (arriving late) changes nothing.
    store.set_last_agent(customer, ALICE, 1_500).await.unwrap();
    assert_eq!(
        store.last_agent(customer).await.unwrap(),
        Some(LastAgent {
            owner: BOB.into(),
            at: 2_000
        })
    );
    // Each customer number has its own.
    assert_eq!(store.last_agent("+6581234568").await.unwrap(), None);
}

pub async fn the_admin_role_is_kept_with_the_account(store: &dyn Store) {
    let user = UserRecord {
        sub: ALICE.into(),
        email: "alice@example.com".into(),
        password_hash: "h".into(),
        created_at: 1,
        admin: false,
    };
    store.create_user(&user).await.unwrap();
    store.set_admin(ALICE, true).await.unwrap();
    let read = store.user_by_sub(ALICE).await.unwrap().unwrap();
    assert!(read.admin);
    assert_eq!(read.password_hash, "h", "nothing else changed");
    assert!(
        store
            .user_by_email("alice@example.com")
            .await
            .unwrap()
            .unwrap()
            .admin
    );
    store.set_admin(ALICE, false).await.unwrap();
    assert!(!store.user_by_sub(ALICE).await.unwrap().unwrap().admin);
    assert_eq!(
        store.set_admin("missing", true).await,
        Err(StoreError::NotFound)
    );
}
