//! Contacts: create, read, update, delete per owner, search, favourites and pages; the
//! contacts of many numbers at once.

use app::api::ports::{ContactQuery, Store, StoreError};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};

use super::fixtures::{contact, ALICE, BOB};

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

/// `contacts_by_numbers` answers each number as `contact_by_number` does (a favourite first,
/// then by name), once per number however often it is asked, and only with the owner's.
pub async fn contacts_by_numbers_as_one_by_one(store: &dyn Store) {
    let zoe = contact(
        "00000000-0000-0000-0003-000000000001",
        "Zoe Lim",
        "",
        &["+6591110001", "+6591110002"],
    );
    let adam = contact(
        "00000000-0000-0000-0003-000000000002",
        "Adam Ng",
        "",
        &["+6591110001"],
    );
    let mut yan = contact(
        "00000000-0000-0000-0003-000000000003",
        "Yan Tan",
        "",
        &["+6591110003", "+6591110002"],
    );
    yan.favourite = true;
    for c in [&zoe, &adam, &yan] {
        store.insert_contact(ALICE, c).await.unwrap();
    }
    let bobs = contact(
        "00000000-0000-0000-0003-000000000004",
        "Bob's Ana",
        "",
        &["+6591110004"],
    );
    store.insert_contact(BOB, &bobs).await.unwrap();

    let asked = [
        "+6591110001",
        "+6591110002",
        "+6591110001",
        "+6591110003",
        "+6591110004",
        "+6599999999",
    ];
    let found = store.contacts_by_numbers(ALICE, &asked).await.unwrap();
    let expected = std::collections::HashMap::from([
        ("+6591110001".to_string(), adam),
        ("+6591110002".to_string(), yan.clone()),
        ("+6591110003".to_string(), yan),
    ]);
    assert_eq!(found, expected, "by name, a favourite first, Alice's only");
    for number in asked {
        assert_eq!(
            store
                .contact_by_number(ALICE, number)
                .await
                .unwrap()
                .as_ref(),
            found.get(number),
            "{number}: the same contact one by one"
        );
    }
    assert!(store
        .contacts_by_numbers(ALICE, &[])
        .await
        .unwrap()
        .is_empty());
}

/// A search finds a contact by any part of its name, company or number, of any length, and
/// follows its edits and deletion at once; quotes and index syntax in a search are plain text.
pub async fn contacts_search_follows_changes(store: &dyn Store) {
    let mut wong = contact(
        "00000000-0000-0000-0004-000000000001",
        "Mei Ling Wong",
        "Harbour Logistics",
        &["+6591234567"],
    );
    store.insert_contact(ALICE, &wong).await.unwrap();
    store
        .insert_contact(
            ALICE,
            &contact(
                "00000000-0000-0000-0004-000000000002",
                "Carlos \"Charly\" Ruiz",
                "Canal OR Partners",
                &["+50761110000"],
            ),
        )
        .await
        .unwrap();
    let found = |text: &'static str| async move {
        let query = ContactQuery {
            search: text.into(),
            favourites_only: false,
        };
        let page = store.list_contacts(ALICE, &query, None, 50).await;
        page.map(|p| p.items.into_iter().map(|c| c.name).collect::<Vec<_>>())
    };
    let wong_only = Ok(vec!["Mei Ling Wong".to_string()]);
    let ruiz_only = Ok(vec!["Carlos \"Charly\" Ruiz".to_string()]);
    let nobody: Result<Vec<String>, StoreError> = Ok(vec![]);
    assert_eq!(
        found("ling wo").await,
        wong_only,
        "middle of a name, two words"
    );
    assert_eq!(found("WONG").await, wong_only, "any case");
    assert_eq!(found("g w").await, wong_only, "a short search");
    assert_eq!(found("bour log").await, wong_only, "company");
    assert_eq!(found("912 345").await, wong_only, "number digits");
    assert_eq!(found("\"charly\"").await, ruiz_only, "quotes are text");
    assert_eq!(found("r partners").await, ruiz_only);
    assert_eq!(found("canal or").await, ruiz_only, "OR is text");
    assert_eq!(found("ruiz OR wong").await, nobody, "no query syntax");
    assert_eq!(found("ruiz*").await, nobody);

    wong.name = "Mei Ling Tan".into();
    wong.company = "Straits Freight".into();
    wong.numbers[0].e164 = "+6588887777".into();
    wong.version += 1;
    store
        .update_contact(ALICE, &wong, wong.version - 1)
        .await
        .unwrap();
    let tan_only = Ok(vec!["Mei Ling Tan".to_string()]);
    assert_eq!(found("ling wo").await, nobody, "the old name is gone");
    assert_eq!(found("bour log").await, nobody, "the old company is gone");
    assert_eq!(found("912 345").await, nobody, "the old number is gone");
    assert_eq!(found("ling tan").await, tan_only);
    assert_eq!(found("freight").await, tan_only);
    assert_eq!(found("8887777").await, tan_only);

    store.delete_contact(ALICE, &wong.id).await.unwrap();
    assert_eq!(found("ling tan").await, nobody, "a deleted contact");
    assert_eq!(found("8887777").await, nobody);
    assert_eq!(
        store
            .list_contacts(
                BOB,
                &ContactQuery {
                    search: "ruiz".into(),
                    favourites_only: false
                },
                None,
                50
            )
            .await
            .map(|p| p.items.len()),
        Ok(0),
        "only the owner's"
    );
}
