//! Recording metadata; deleting one also unlinks its call record.

use app::api::ports::{Page, RecordingMetadataStore, StoreError};
use app::domain::recordings::{ConsentNotice, Pause, Recording, RecordingState};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{insert_error, matched_a_row, unavailable, BoundQuery, SqliteStore};
use crate::store::cursor;

fn consent_str(c: ConsentNotice) -> &'static str {
    match c {
        ConsentNotice::Tone => "tone",
        ConsentNotice::ToneAndSpoken => "tone_and_spoken",
    }
}

/// Binds, in this order, the columns a recording's update may change: `ended_at` to
/// `waveform`, as both the INSERT and the UPDATE list them.
fn bind_changing_columns<'q>(query: BoundQuery<'q>, r: &'q Recording) -> BoundQuery<'q> {
    let pauses = serde_json::to_string(&r.pauses).unwrap_or_else(|_| "[]".into());
    query
        .bind(r.ended_at.map(|v| v as i64))
        .bind(r.duration_ms as i64)
        .bind(r.bytes as i64)
        .bind(&r.sha256)
        .bind(&r.format)
        .bind(consent_str(r.consent))
        .bind(&r.pause_mode)
        .bind(pauses)
        .bind(&r.location)
        .bind(&r.key)
        .bind(r.retain_until as i64)
        .bind(r.state.as_str())
        .bind(&r.upload_id)
        .bind(&r.waveform)
}

fn recording_from_row(row: &SqliteRow) -> Result<Recording, StoreError> {
    let corrupt = |what: &str| StoreError::Unavailable(format!("recording row: bad {what}"));
    let pauses: Vec<Pause> =
        serde_json::from_str(row.get("pauses")).map_err(|_| corrupt("pauses"))?;
    Ok(Recording {
        id: row.get("id"),
        call_id: row.get("call_id"),
        started_at: row.get::<i64, _>("started_at") as u64,
        ended_at: row.get::<Option<i64>, _>("ended_at").map(|v| v as u64),
        duration_ms: row.get::<i64, _>("duration_ms") as u64,
        bytes: row.get::<i64, _>("bytes") as u64,
        sha256: row.get("sha256"),
        format: row.get("format"),
        consent: match row.get::<&str, _>("consent") {
            "tone" => ConsentNotice::Tone,
            "tone_and_spoken" => ConsentNotice::ToneAndSpoken,
            _ => return Err(corrupt("consent")),
        },
        pause_mode: row.get("pause_mode"),
        pauses,
        location: row.get("location"),
        key: row.get("object_key"),
        retain_until: row.get::<i64, _>("retain_until") as u64,
        state: RecordingState::parse(row.get("state")).ok_or_else(|| corrupt("state"))?,
        upload_id: row.get("upload_id"),
        waveform: row.get("waveform"),
    })
}

fn owned_recordings(rows: &[SqliteRow]) -> Result<Vec<(String, Recording)>, StoreError> {
    rows.iter()
        .map(|r| Ok((r.get("owner"), recording_from_row(r)?)))
        .collect()
}

#[async_trait]
impl RecordingMetadataStore for SqliteStore {
    async fn insert_recording(&self, owner: &str, r: &Recording) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO recordings (owner, id, call_id, started_at, ended_at, duration_ms, bytes,
                 sha256, format, consent, pause_mode, pauses, location, object_key, retain_until,
                 state, upload_id, waveform)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(owner)
        .bind(&r.id)
        .bind(&r.call_id)
        .bind(r.started_at as i64);
        bind_changing_columns(insert, r)
            .execute(&self.pool)
            .await
            .map_err(insert_error)?;
        Ok(())
    }

    async fn update_recording(&self, owner: &str, r: &Recording) -> Result<(), StoreError> {
        let update = sqlx::query(
            "UPDATE recordings SET ended_at = ?, duration_ms = ?, bytes = ?, sha256 = ?,
                 format = ?, consent = ?, pause_mode = ?, pauses = ?, location = ?,
                 object_key = ?, retain_until = ?, state = ?, upload_id = ?, waveform = ?
             WHERE owner = ? AND id = ?",
        );
        let done = bind_changing_columns(update, r)
            .bind(owner)
            .bind(&r.id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        matched_a_row(&done)
    }

    async fn get_recording(&self, owner: &str, id: &str) -> Result<Option<Recording>, StoreError> {
        let row = sqlx::query("SELECT * FROM recordings WHERE owner = ? AND id = ?")
            .bind(owner)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(recording_from_row).transpose()
    }

    async fn delete_recording(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let done = sqlx::query("DELETE FROM recordings WHERE owner = ? AND id = ?")
            .bind(owner)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        matched_a_row(&done)?;
        sqlx::query("UPDATE calls SET recording_id = NULL WHERE owner = ? AND recording_id = ?")
            .bind(owner)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    async fn list_recordings(
        &self,
        owner: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Recording>, StoreError> {
        let before: Option<(u64, String)> = cursor.map(cursor::decode).transpose()?;
        let limit = cursor::page_size(limit);
        let rows = match &before {
            Some((at, id)) => {
                sqlx::query(
                    "SELECT * FROM recordings WHERE owner = ? AND (started_at < ? OR (started_at = ? AND id < ?))
                     ORDER BY started_at DESC, id DESC LIMIT ?",
                )
                .bind(owner)
                .bind(*at as i64)
                .bind(*at as i64)
                .bind(id)
                .bind((limit + 1) as i64)
                .fetch_all(&self.pool)
                .await
            }
            None => {
                sqlx::query(
                    "SELECT * FROM recordings WHERE owner = ? ORDER BY started_at DESC, id DESC LIMIT ?",
                )
                .bind(owner)
                .bind((limit + 1) as i64)
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(unavailable)?;
        let items = rows
            .iter()
            .map(recording_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(cursor::page(items, limit, |r| (r.started_at, r.id.clone())))
    }

    async fn recordings_in_state(
        &self,
        state: RecordingState,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM recordings WHERE state = ? ORDER BY started_at, id LIMIT ?")
                .bind(state.as_str())
                .bind(limit.clamp(1, 1000) as i64)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
        owned_recordings(&rows)
    }

    async fn expired_recordings(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM recordings WHERE retain_until < ? AND state != 'recording'
             ORDER BY retain_until, id LIMIT ?",
        )
        .bind(now as i64)
        .bind(limit.clamp(1, 1000) as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        owned_recordings(&rows)
    }
}
