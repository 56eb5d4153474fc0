//! The SQLite store passes the Store conformance suite, one test per case, in memory and on a
//! file; a file is in WAL mode and keeps its data across a reopen; a stale contact search index
//! is rebuilt when the store opens.

use std::ops::Deref;
use std::path::PathBuf;

use app::api::ports::AccountStore;
use server::store::SqliteStore;

async fn fresh_in_memory() -> Box<SqliteStore> {
    Box::new(SqliteStore::in_memory().await.unwrap())
}

/// A store on a new file in a directory of its own, removed with it.
struct FileStore {
    store: SqliteStore,
    dir: PathBuf,
}

impl Deref for FileStore {
    type Target = SqliteStore;

    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

impl Drop for FileStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softphone-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn fresh_file() -> FileStore {
    let dir = fresh_dir();
    let store = SqliteStore::open(&dir.join("softphone.sqlite3"))
        .await
        .unwrap();
    FileStore { store, dir }
}

testkit::store_conformance_tests!(in_memory, fresh_in_memory);
testkit::store_conformance_tests!(on_file, fresh_file);

#[tokio::test]
async fn spend_caps_hold_under_concurrent_admissions() {
    testkit::store::spend_caps_hold_under_concurrent_admissions(&*fresh_file().await).await;
}

#[tokio::test]
async fn concurrent_sweeps_close_each_call_once() {
    testkit::store::concurrent_sweeps_close_each_call_once(&*fresh_file().await).await;
}

#[tokio::test]
async fn refresh_rotation_has_one_winner_under_concurrency() {
    testkit::store::refresh_rotation_has_one_winner_under_concurrency(&*fresh_file().await).await;
}

#[tokio::test]
async fn a_file_is_in_wal_mode_and_keeps_its_data_across_reopen() {
    let dir = fresh_dir();
    let path = dir.join("softphone.sqlite3");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        testkit::store::users_and_sessions(&store).await;
    }
    // Migrations are not re-applied and the data is still there.
    let store = SqliteStore::open(&path).await.unwrap();
    assert!(store
        .user_by_email("alice@example.com")
        .await
        .unwrap()
        .is_some());
    // WAL is kept in the database file: a connection that asks for no journal mode reports it.
    let plain = rusqlite::Connection::open(&path).unwrap();
    let mode: String = plain
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(plain);
    drop(store);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A search index that no longer lists the contacts (here emptied by hand; a VACUUM may renumber
/// the rows it points at) is rebuilt when the store opens, and searches find the contacts again.
#[tokio::test]
async fn a_stale_contact_search_index_is_rebuilt_on_open() {
    use app::api::ports::{ContactQuery, ContactStore};
    use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
    let dir = fresh_dir();
    let path = dir.join("softphone.sqlite3");
    let contact = Contact {
        id: "00000000-0000-0000-0005-000000000001".into(),
        name: "Siti Rahman".into(),
        company: "Marina Trading".into(),
        notes: String::new(),
        favourite: false,
        numbers: vec![ContactNumber {
            label: NumberLabel::Mobile,
            e164: "+6590001111".into(),
        }],
        created_at: 1,
        updated_at: 1,
        version: 1,
    };
    let search = |text: &str| ContactQuery {
        search: text.into(),
        favourites_only: false,
    };
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store.insert_contact("alice", &contact).await.unwrap();
    }
    let plain = rusqlite::Connection::open(&path).unwrap();
    plain.execute("DELETE FROM contact_search", []).unwrap();
    drop(plain);
    {
        let store = SqliteStore::open(&path).await.unwrap();
        for text in ["rahman", "marina", "9000111"] {
            let page = store
                .list_contacts("alice", &search(text), None, 10)
                .await
                .unwrap();
            assert_eq!(page.items, vec![contact.clone()], "found by {text:?}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}
