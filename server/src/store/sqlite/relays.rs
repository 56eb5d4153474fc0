//! Requests between servers (click-to-dials, Chime progress pushes) on one database file:
//! taken by a conditional `UPDATE … WHERE taken_by IS NULL`, so one server takes each. The
//! table keeps the name it had when it carried only click-to-dials, `dials`.

use app::api::ports::{RelayRequest, RelayStore, StoreError};
use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{all_rows, execute, insert, optional_row, SqliteStore};

/// Answered requests are kept this long (ms), then removed as new ones come.
const KEEP_MS: u64 = 10 * 60 * 1000;

fn relay_from_row(row: &Row<'_>) -> rusqlite::Result<RelayRequest> {
    Ok(RelayRequest {
        id: row.get("id")?,
        owner: row.get("owner")?,
        request: row.get("request")?,
        created_at: row.get("created_at")?,
        taken_by: row.get("taken_by")?,
        outcome: row.get("outcome")?,
    })
}

#[async_trait]
impl RelayStore for SqliteStore {
    async fn put_relay(&self, d: &RelayRequest) -> Result<(), StoreError> {
        let d = d.clone();
        self.write(move |tx| {
            execute(
                tx,
                "DELETE FROM dials WHERE created_at < ?",
                [d.created_at.saturating_sub(KEEP_MS)],
            )?;
            insert(
                tx,
                "INSERT INTO dials (id, owner, request, created_at, taken_by, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                params![d.id, d.owner, d.request, d.created_at, d.taken_by, d.outcome],
            )
        })
        .await
    }

    async fn pending_relays(&self, since: u64) -> Result<Vec<RelayRequest>, StoreError> {
        self.read(move |c| {
            all_rows(
                c,
                "SELECT * FROM dials WHERE taken_by IS NULL AND created_at > ? ORDER BY created_at, id",
                [since],
                relay_from_row,
            )
        })
        .await
    }

    async fn take_relay(&self, id: &str, taker: &str) -> Result<bool, StoreError> {
        let (id, taker) = (id.to_owned(), taker.to_owned());
        self.write(move |tx| {
            execute(
                tx,
                "UPDATE dials SET taken_by = ? WHERE id = ? AND taken_by IS NULL",
                params![taker, id],
            )
            .map(|n| n == 1)
        })
        .await
    }

    async fn finish_relay(&self, id: &str, outcome: &str) -> Result<(), StoreError> {
        let (id, outcome) = (id.to_owned(), outcome.to_owned());
        self.write(move |tx| {
            match execute(
                tx,
                "UPDATE dials SET outcome = ? WHERE id = ?",
                params![outcome, id],
            )? {
                0 => Err(StoreError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }

    async fn get_relay(&self, id: &str) -> Result<Option<RelayRequest>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            optional_row(c, "SELECT * FROM dials WHERE id = ?", [id], relay_from_row)
        })
        .await
    }
}
