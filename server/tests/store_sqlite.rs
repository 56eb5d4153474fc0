//! The SQLite store passes the Store conformance suite, one test per case, in memory and on a
//! file; a file is in WAL mode and keeps its data across a reopen.

use std::ops::Deref;
use std::path::PathBuf;

use app::api::ports::AccountStore;
use server::store::SqliteStore;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;

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
    let mut plain = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut plain)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    drop(plain);
    drop(store);
    std::fs::remove_dir_all(dir).unwrap();
}
