//! Call records; a search also matches the names of the owner's contacts.

use app::api::ports::{CallQuery, CallStore, Page, StoreError};
use app::domain::calls::{CallFilter, CallRecord, Direction, EndReason};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{insert_error, like_pattern, matched_a_row, unavailable, BoundQuery, SqliteStore};
use crate::store::cursor;
use crate::store::search::number_digits;

fn call_from_row(row: &SqliteRow) -> CallRecord {
    let opt = |name: &str| row.get::<Option<i64>, _>(name).map(|v| v as u64);
    CallRecord {
        id: row.get("id"),
        direction: if row.get::<&str, _>("direction") == "inbound" {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        e164: row.get("e164"),
        started_at: row.get::<i64, _>("started_at") as u64,
        ringing_at: opt("ringing_at"),
        answered_at: opt("answered_at"),
        ended_at: opt("ended_at"),
        end_reason: row
            .get::<Option<&str>, _>("end_reason")
            .and_then(EndReason::parse),
        hangup_by: row.get("hangup_by"),
        sip_cause: row.get("sip_cause"),
        recording_id: row.get("recording_id"),
        provider_call_id: row.get("provider_call_id"),
    }
}

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Outbound => "outbound",
        Direction::Inbound => "inbound",
    }
}

/// Binds, in this order, the columns a call's update may change: `ringing_at` to
/// `provider_call_id`, as both the INSERT and the UPDATE list them.
fn bind_changing_columns<'q>(query: BoundQuery<'q>, call: &'q CallRecord) -> BoundQuery<'q> {
    query
        .bind(call.ringing_at.map(|v| v as i64))
        .bind(call.answered_at.map(|v| v as i64))
        .bind(call.ended_at.map(|v| v as i64))
        .bind(call.end_reason.map(EndReason::as_str))
        .bind(&call.hangup_by)
        .bind(&call.sip_cause)
        .bind(&call.recording_id)
        .bind(&call.provider_call_id)
}

const FAILURE_REASONS: &str = "('refused','failed','interrupted')";

#[async_trait]
impl CallStore for SqliteStore {
    async fn insert_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO calls (owner, id, direction, e164, started_at, ringing_at, answered_at, ended_at, end_reason, hangup_by, sip_cause, recording_id, provider_call_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(owner)
        .bind(&call.id)
        .bind(direction_str(call.direction))
        .bind(&call.e164)
        .bind(call.started_at as i64);
        bind_changing_columns(insert, call)
            .execute(&self.pool)
            .await
            .map_err(insert_error)?;
        Ok(())
    }

    async fn update_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        let update = sqlx::query(
            "UPDATE calls SET ringing_at = ?, answered_at = ?, ended_at = ?, end_reason = ?, hangup_by = ?, sip_cause = ?, recording_id = ?,
                 provider_call_id = ?
             WHERE owner = ? AND id = ?",
        );
        let done = bind_changing_columns(update, call)
            .bind(owner)
            .bind(&call.id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        matched_a_row(&done)
    }

    async fn close_open_calls(&self, now: u64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE calls SET ended_at = ?, end_reason = 'interrupted', hangup_by = 'system',
                 sip_cause = COALESCE(sip_cause, 'server restarted')
             WHERE ended_at IS NULL",
        )
        .bind(now as i64)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected())
    }

    async fn get_call(&self, owner: &str, id: &str) -> Result<Option<CallRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM calls WHERE owner = ? AND id = ?")
            .bind(owner)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.as_ref().map(call_from_row))
    }

    async fn list_calls(
        &self,
        owner: &str,
        query: &CallQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<CallRecord>, StoreError> {
        let before: Option<(u64, String)> = cursor.map(cursor::decode).transpose()?;
        let mut sql = String::from("SELECT * FROM calls k WHERE k.owner = ?");
        match query.filter {
            CallFilter::All => {}
            CallFilter::Answered => sql.push_str(" AND k.answered_at IS NOT NULL"),
            CallFilter::NotAnswered => sql.push_str(&format!(
                " AND k.answered_at IS NULL AND (k.end_reason IS NULL OR k.end_reason NOT IN {FAILURE_REASONS})"
            )),
            CallFilter::Failed => {
                sql.push_str(&format!(" AND k.answered_at IS NULL AND k.end_reason IN {FAILURE_REASONS}"))
            }
        }
        let search = query.search.trim().to_lowercase();
        let digits = number_digits(&search);
        if !search.is_empty() {
            sql.push_str(
                " AND (EXISTS (SELECT 1 FROM contact_numbers n JOIN contacts c ON c.owner = n.owner AND c.id = n.contact_id
                   WHERE n.owner = k.owner AND n.e164 = k.e164 AND c.name_key LIKE ? ESCAPE '\\')",
            );
            if !digits.is_empty() {
                sql.push_str(" OR k.e164 LIKE ?");
            }
            sql.push(')');
        }
        if before.is_some() {
            sql.push_str(" AND (k.started_at < ? OR (k.started_at = ? AND k.id < ?))");
        }
        sql.push_str(" ORDER BY k.started_at DESC, k.id DESC LIMIT ?");
        let mut q = sqlx::query(&sql).bind(owner);
        if !search.is_empty() {
            q = q.bind(like_pattern(&search));
            if !digits.is_empty() {
                q = q.bind(format!("%{digits}%"));
            }
        }
        if let Some((at, id)) = &before {
            q = q.bind(*at as i64).bind(*at as i64).bind(id.clone());
        }
        let limit = cursor::page_size(limit);
        let rows = q
            .bind((limit + 1) as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let items: Vec<CallRecord> = rows.iter().map(call_from_row).collect();
        Ok(cursor::page(items, limit, |c| (c.started_at, c.id.clone())))
    }
}
