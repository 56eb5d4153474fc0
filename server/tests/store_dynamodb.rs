//! The DynamoDB store against moto: `create-table` (idempotent, refusing a foreign table), the
//! Store conformance suite every store passes (one test per case), and optimistic concurrency
//! under a race. Each test makes its own table, so tests run in parallel on one moto.

#[path = "common/moto.rs"]
mod moto;

use std::ops::Deref;
use std::sync::Arc;

use app::api::ports::{ContactStore, StoreError};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use server::store::dynamodb::{TableSetup, TTL_ATTRIBUTE};
use server::store::DynamoStore;

async fn fresh_table(moto: &moto::Moto) -> DynamoStore {
    let client = moto::dynamodb_client(&moto.endpoint);
    let table = format!("softphone-test-{}", uuid::Uuid::new_v4());
    let store = DynamoStore::with_client(client, &table);
    assert_eq!(store.create_table().await.unwrap(), TableSetup::Created);
    store
}

/// A store on a new table, with the moto it is on kept running for the test.
struct MotoTable {
    store: DynamoStore,
    _moto: moto::Moto,
}

impl Deref for MotoTable {
    type Target = DynamoStore;

    fn deref(&self) -> &DynamoStore {
        &self.store
    }
}

async fn fresh_moto_table() -> MotoTable {
    let moto = moto::moto();
    let store = fresh_table(&moto).await;
    MotoTable { store, _moto: moto }
}

testkit::store_conformance_tests!(conformance, fresh_moto_table);

/// The spend caps under concurrent admissions need DynamoDB's atomic `TransactWriteItems`, which
/// moto does not have: a cancelled transaction puts back a copy of the whole table taken when it
/// began, so under concurrent requests it can bring back another transaction's rolled-back
/// write (docs/testing.md). Run it against a real table with `--ignored` and
/// `SOFTPHONE_TEST_MOTO` pointing at DynamoDB Local or AWS.
#[tokio::test]
#[ignore = "needs atomic TransactWriteItems: DynamoDB Local or AWS, not moto"]
async fn spend_caps_hold_under_concurrent_admissions() {
    testkit::store::spend_caps_hold_under_concurrent_admissions(&*fresh_moto_table().await).await;
}

/// Sweeps racing on one table: on moto this failed under the load of the whole suite (the
/// sweeps together reported another count than the calls they closed; moto's writes are not
/// atomic under concurrent requests, docs/testing.md), so it runs against DynamoDB Local or AWS
/// only; the same sweeps one after another are in the conformance suite.
#[tokio::test]
#[ignore = "needs conditional writes atomic under concurrency: DynamoDB Local or AWS, not moto"]
async fn concurrent_sweeps_close_each_call_once() {
    testkit::store::concurrent_sweeps_close_each_call_once(&*fresh_moto_table().await).await;
}

#[tokio::test]
#[ignore = "needs atomic TransactWriteItems: DynamoDB Local or AWS, not moto"]
async fn refresh_rotation_has_one_winner_under_concurrency() {
    testkit::store::refresh_rotation_has_one_winner_under_concurrency(&*fresh_moto_table().await)
        .await;
}

#[tokio::test]
async fn create_table_is_idempotent_and_sets_up_indexes_and_ttl() {
    let moto = moto::moto();
    let store = fresh_table(&moto).await;
    assert_eq!(
        store.create_table().await.unwrap(),
        TableSetup::AlreadyThere
    );
    store.check_table().await.unwrap();

    let client = moto::dynamodb_client(&moto.endpoint);
    let table = client
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    let table = table.table().unwrap();
    let mut indexes: Vec<_> = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["GSI1", "GSI2", "GSI3"]);
    assert_eq!(
        table
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|b| b.as_str()),
        Some("PAY_PER_REQUEST")
    );
    let ttl = client
        .describe_time_to_live()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some(TTL_ATTRIBUTE));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
}

#[tokio::test]
async fn a_missing_or_foreign_table_is_a_clear_error() {
    let moto = moto::moto();
    let client = moto::dynamodb_client(&moto.endpoint);
    let missing = DynamoStore::with_client(client.clone(), "softphone-no-such-table");
    let err = missing.check_table().await.unwrap_err().to_string();
    assert!(
        err.contains("softphone-no-such-table does not exist") && err.contains("create-table"),
        "{err}"
    );

    // A table with other keys is refused, by check_table and by create-table alike.
    let name = format!("foreign-{}", uuid::Uuid::new_v4());
    client
        .create_table()
        .table_name(&name)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let foreign = DynamoStore::with_client(client, &name);
    for err in [
        foreign.check_table().await.unwrap_err(),
        foreign.create_table().await.unwrap_err(),
    ] {
        let err = err.to_string();
        assert!(
            err.contains("is not a softphone table")
                && err.contains("key schema is id:HASH")
                && err.contains("index GSI1 is missing"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn concurrent_updates_of_one_version_let_exactly_one_win() {
    let moto = moto::moto();
    let store = Arc::new(fresh_table(&moto).await);
    let contact = Contact {
        id: "race".into(),
        name: "Race".into(),
        company: String::new(),
        notes: String::new(),
        favourite: false,
        numbers: vec![ContactNumber {
            label: NumberLabel::Mobile,
            e164: "+6581234567".into(),
        }],
        created_at: 1,
        updated_at: 1,
        version: 1,
    };
    store.insert_contact("owner", &contact).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..12u64 {
        let store = store.clone();
        let mut edited = contact.clone();
        edited.name = format!("Editor {i}");
        edited.version = 2;
        tasks.push(tokio::spawn(async move {
            store.update_contact("owner", &edited, 1).await
        }));
    }
    let mut won = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(()) => won.push(i),
            Err(StoreError::Conflict) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one writer wins: {won:?}");
    let stored = store.get_contact("owner", "race").await.unwrap().unwrap();
    assert_eq!(stored.name, format!("Editor {}", won[0]));
    assert_eq!(stored.version, 2);
}
