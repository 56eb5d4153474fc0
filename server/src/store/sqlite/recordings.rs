//! Recording metadata; deleting one also unlinks its call record.

use app::api::ports::{Page, RecordingMetadataStore, StoreError};
use app::domain::recordings::{ConsentNotice, Pause, Recording, RecordingState};
use async_trait::async_trait;
use rusqlite::{params, Row, ToSql};

use super::{all_rows, execute, insert, matched_a_row, optional_row, SqliteStore};
use crate::store::cursor;

fn consent_str(c: ConsentNotice) -> &'static str {
    match c {
        ConsentNotice::Tone => "tone",
        ConsentNotice::ToneAndSpoken => "tone_and_spoken",
    }
}

/// The values of the columns a recording's update may change, `ended_at` to `waveform`, in the
/// order both the INSERT and the UPDATE list them.
fn changing_columns<'r>(r: &'r Recording, pauses: &str) -> [Box<dyn ToSql + 'r>; 14] {
    [
        Box::new(r.ended_at),
        Box::new(r.duration_ms),
        Box::new(r.bytes),
        Box::new(&r.sha256),
        Box::new(&r.format),
        Box::new(consent_str(r.consent)),
        Box::new(&r.pause_mode),
        Box::new(pauses.to_owned()),
        Box::new(&r.location),
        Box::new(&r.key),
        Box::new(r.retain_until),
        Box::new(r.state.as_str()),
        Box::new(&r.upload_id),
        Box::new(&r.waveform),
    ]
}

/// A recording row; the outer error is SQLite's, the inner one a value the record cannot hold.
fn recording_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Recording, StoreError>> {
    let corrupt = |what: &str| StoreError::Unavailable(format!("recording row: bad {what}"));
    let Ok(pauses) = serde_json::from_str::<Vec<Pause>>(row.get_ref("pauses")?.as_str()?) else {
        return Ok(Err(corrupt("pauses")));
    };
    let consent = match row.get_ref("consent")?.as_str()? {
        "tone" => ConsentNotice::Tone,
        "tone_and_spoken" => ConsentNotice::ToneAndSpoken,
        _ => return Ok(Err(corrupt("consent"))),
    };
    let Some(state) = RecordingState::parse(row.get_ref("state")?.as_str()?) else {
        return Ok(Err(corrupt("state")));
    };
    Ok(Ok(Recording {
        id: row.get("id")?,
        call_id: row.get("call_id")?,
        started_at: row.get("started_at")?,
        ended_at: row.get("ended_at")?,
        duration_ms: row.get("duration_ms")?,
        bytes: row.get("bytes")?,
        sha256: row.get("sha256")?,
        format: row.get("format")?,
        consent,
        pause_mode: row.get("pause_mode")?,
        pauses,
        location: row.get("location")?,
        key: row.get("object_key")?,
        retain_until: row.get("retain_until")?,
        state,
        upload_id: row.get("upload_id")?,
        waveform: row.get("waveform")?,
    }))
}

fn owned_recording(row: &Row<'_>) -> rusqlite::Result<Result<(String, Recording), StoreError>> {
    let owner: String = row.get("owner")?;
    Ok(recording_from_row(row)?.map(|r| (owner, r)))
}

#[async_trait]
impl RecordingMetadataStore for SqliteStore {
    async fn insert_recording(&self, owner: &str, r: &Recording) -> Result<(), StoreError> {
        let (owner, r) = (owner.to_owned(), r.clone());
        let pauses = serde_json::to_string(&r.pauses).unwrap_or_else(|_| "[]".into());
        self.write(move |tx| {
            let keys: [&dyn ToSql; 4] = [&owner, &r.id, &r.call_id, &r.started_at];
            let changing = changing_columns(&r, &pauses);
            let values = keys
                .into_iter()
                .chain(changing.iter().map(|b| b.as_ref() as &dyn ToSql));
            insert(
                tx,
                "INSERT INTO recordings (owner, id, call_id, started_at, ended_at, duration_ms, bytes,
                     sha256, format, consent, pause_mode, pauses, location, object_key, retain_until,
                     state, upload_id, waveform)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rusqlite::params_from_iter(values),
            )
        })
        .await
    }

    async fn update_recording(&self, owner: &str, r: &Recording) -> Result<(), StoreError> {
        let (owner, r) = (owner.to_owned(), r.clone());
        let pauses = serde_json::to_string(&r.pauses).unwrap_or_else(|_| "[]".into());
        self.write(move |tx| {
            let changing = changing_columns(&r, &pauses);
            let keys: [&dyn ToSql; 2] = [&owner, &r.id];
            let values = changing
                .iter()
                .map(|b| b.as_ref() as &dyn ToSql)
                .chain(keys);
            matched_a_row(execute(
                tx,
                "UPDATE recordings SET ended_at = ?, duration_ms = ?, bytes = ?, sha256 = ?,
                     format = ?, consent = ?, pause_mode = ?, pauses = ?, location = ?,
                     object_key = ?, retain_until = ?, state = ?, upload_id = ?, waveform = ?
                 WHERE owner = ? AND id = ?",
                rusqlite::params_from_iter(values),
            )?)
        })
        .await
    }

    async fn get_recording(&self, owner: &str, id: &str) -> Result<Option<Recording>, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.read(move |c| {
            optional_row(
                c,
                "SELECT * FROM recordings WHERE owner = ? AND id = ?",
                [owner, id],
                recording_from_row,
            )?
            .transpose()
        })
        .await
    }

    async fn delete_recording(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.write(move |tx| {
            matched_a_row(execute(
                tx,
                "DELETE FROM recordings WHERE owner = ? AND id = ?",
                [&owner, &id],
            )?)?;
            execute(
                tx,
                "UPDATE calls SET recording_id = NULL WHERE owner = ? AND recording_id = ?",
                [&owner, &id],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_recordings(
        &self,
        owner: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Recording>, StoreError> {
        let before: Option<(u64, String)> = cursor.map(cursor::decode).transpose()?;
        let before = match before {
            Some((at, id)) => Some((i64::try_from(at).map_err(|_| StoreError::BadCursor)?, id)),
            None => None,
        };
        let limit = cursor::page_size(limit);
        let owner = owner.to_owned();
        let rows = self
            .read(move |c| match before {
                Some((at, id)) => all_rows(
                    c,
                    "SELECT * FROM recordings WHERE owner = ? AND (started_at < ? OR (started_at = ? AND id < ?))
                     ORDER BY started_at DESC, id DESC LIMIT ?",
                    params![owner, at, at, id, limit + 1],
                    recording_from_row,
                ),
                None => all_rows(
                    c,
                    "SELECT * FROM recordings WHERE owner = ? ORDER BY started_at DESC, id DESC LIMIT ?",
                    params![owner, limit + 1],
                    recording_from_row,
                ),
            })
            .await?;
        let items = rows.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(cursor::page(items, limit, |r| (r.started_at, r.id.clone())))
    }

    async fn recordings_in_state(
        &self,
        state: RecordingState,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError> {
        self.read(move |c| {
            all_rows(
                c,
                "SELECT * FROM recordings WHERE state = ? ORDER BY started_at, id LIMIT ?",
                params![state.as_str(), limit.clamp(1, 1000)],
                owned_recording,
            )
        })
        .await?
        .into_iter()
        .collect()
    }

    async fn expired_recordings(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError> {
        self.read(move |c| {
            all_rows(
                c,
                "SELECT * FROM recordings WHERE retain_until < ? AND state != 'recording'
                 ORDER BY retain_until, id LIMIT ?",
                params![now, limit.clamp(1, 1000)],
                owned_recording,
            )
        })
        .await?
        .into_iter()
        .collect()
    }
}
