//! Call records; a search also matches the names of the owner's contacts.

use app::api::ports::{CallQuery, CallStore, OpenCalls, Page, StoreError};
use app::domain::analytics;
use app::domain::calls::{CallFilter, CallRecord, Direction, EndReason};
use app::domain::quality::{CallQuality, Summary, TrunkReception};
use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Row, ToSql};

use super::analytics::add_rollup;
use super::{all_rows, execute, insert, like_pattern, matched_a_row, optional_row, SqliteStore};
use crate::store::cursor;
use crate::store::json::{from_json, to_json};
use crate::store::search::number_digits;

/// The columns [`call_from_row`] reads, in its order, of `calls` named `k` (read by position,
/// as contacts are: see `CONTACT_COLUMNS`).
pub(super) const CALL_COLUMNS: &str =
    "k.id, k.direction, k.e164, k.started_at, k.ringing_at, k.answered_at, \
     k.ended_at, k.end_reason, k.hangup_by, k.sip_cause, k.recording_id, k.provider_call_id, \
     k.server_id, k.transferred_to, k.transferred_from";

/// A call row, [`CALL_COLUMNS`].
pub(super) fn call_from_row(row: &Row<'_>) -> rusqlite::Result<CallRecord> {
    Ok(CallRecord {
        id: row.get(0)?,
        direction: if row.get_ref(1)?.as_str()? == "inbound" {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        e164: row.get(2)?,
        started_at: row.get(3)?,
        ringing_at: row.get(4)?,
        answered_at: row.get(5)?,
        ended_at: row.get(6)?,
        end_reason: row.get_ref(7)?.as_str_or_null()?.and_then(EndReason::parse),
        hangup_by: row.get(8)?,
        sip_cause: row.get(9)?,
        recording_id: row.get(10)?,
        provider_call_id: row.get(11)?,
        server: row.get(12)?,
        transferred_to: row.get(13)?,
        transferred_from: row.get(14)?,
    })
}

/// The values of the columns a call's update may change, `ringing_at` to `transferred_from`, in
/// the order both the INSERT and the UPDATE list them.
fn changing_columns(call: &CallRecord) -> [Box<dyn ToSql + '_>; 10] {
    [
        Box::new(call.ringing_at),
        Box::new(call.answered_at),
        Box::new(call.ended_at),
        Box::new(call.end_reason.map(EndReason::as_str)),
        Box::new(&call.hangup_by),
        Box::new(&call.sip_cause),
        Box::new(&call.recording_id),
        Box::new(&call.provider_call_id),
        Box::new(&call.transferred_to),
        Box::new(&call.transferred_from),
    ]
}

/// Inserts a call record (in the caller's transaction); one already ended counts in the
/// analytics.
pub(super) fn insert_call_row(
    tx: &rusqlite::Transaction<'_>,
    owner: &str,
    call: &CallRecord,
) -> Result<(), StoreError> {
    let keys: [&dyn ToSql; 6] = [
        &owner,
        &call.id,
        &call.direction.as_str(),
        &call.e164,
        &call.started_at,
        &call.server,
    ];
    let changing = changing_columns(call);
    let values = keys
        .into_iter()
        .chain(changing.iter().map(|b| b.as_ref() as &dyn ToSql));
    insert(
        tx,
        "INSERT INTO calls (owner, id, direction, e164, started_at, server_id, ringing_at, answered_at, ended_at, end_reason, hangup_by, sip_cause, recording_id, provider_call_id,
             transferred_to, transferred_from)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params_from_iter(values),
    )?;
    match analytics::ended(owner, call) {
        Some(rollup) => add_rollup(tx, &rollup),
        None => Ok(()),
    }
}

const FAILURE_REASONS: &str = "('refused','failed','interrupted')";

#[async_trait]
impl CallStore for SqliteStore {
    async fn insert_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        let (owner, call) = (owner.to_owned(), call.clone());
        self.write(move |tx| insert_call_row(tx, &owner, &call))
            .await
    }

    async fn update_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        let (owner, call) = (owner.to_owned(), call.clone());
        self.write(move |tx| {
            // Whether this write ends the call: then it counts in the analytics, once.
            let was_open = optional_row(
                tx,
                "SELECT ended_at IS NULL FROM calls WHERE owner = ?1 AND id = ?2",
                [&owner, &call.id],
                |r| r.get::<_, bool>(0),
            )?;
            let changing = changing_columns(&call);
            let keys: [&dyn ToSql; 2] = [&owner, &call.id];
            let values = changing
                .iter()
                .map(|b| b.as_ref() as &dyn ToSql)
                .chain(keys);
            matched_a_row(execute(
                tx,
                "UPDATE calls SET ringing_at = ?, answered_at = ?, ended_at = ?, end_reason = ?, hangup_by = ?, sip_cause = ?, recording_id = ?,
                     provider_call_id = ?, transferred_to = ?, transferred_from = ?
                 WHERE owner = ? AND id = ?",
                params_from_iter(values),
            )?)?;
            match analytics::ended(&owner, &call).filter(|_| was_open == Some(true)) {
                Some(rollup) => add_rollup(tx, &rollup),
                None => Ok(()),
            }
        })
        .await
    }

    async fn close_open_calls(&self, which: OpenCalls<'_>, now: u64) -> Result<u64, StoreError> {
        // One statement in one write transaction: a call two servers sweep at once is closed
        // by the first; its spend slot is freed with it (open calls are those not ended).
        const CLOSE: &str =
            "UPDATE calls SET ended_at = ?1, end_reason = 'interrupted', hangup_by = 'system',
                 sip_cause = COALESCE(sip_cause, 'server stopped')
             WHERE ended_at IS NULL AND ";
        let (filter, server) = match which {
            OpenCalls::OfServer(server) => ("(server_id IS NULL OR server_id = ?2)", Some(server)),
            OpenCalls::OfExpiredServers => (
                "(server_id IS NULL OR server_id NOT IN (SELECT id FROM servers WHERE lease_until > ?1))",
                None,
            ),
        };
        let sql = format!("{CLOSE}{filter}");
        // The same calls, read first in the same transaction: each counts in the analytics.
        let select = format!(
            "SELECT {CALL_COLUMNS}, k.owner FROM calls k WHERE k.ended_at IS NULL AND {filter}"
        );
        let server = server.map(str::to_owned);
        self.write(move |tx| {
            let read = |r: &Row<'_>| Ok((r.get::<_, String>(15)?, call_from_row(r)?));
            let (closing, closed) = match &server {
                Some(server) => (
                    all_rows(tx, &select, rusqlite::params![now, server], read)?,
                    execute(tx, &sql, rusqlite::params![now, server])?,
                ),
                None => (
                    all_rows(tx, &select, [now], read)?,
                    execute(tx, &sql, [now])?,
                ),
            };
            for (owner, mut call) in closing {
                call.ended_at = Some(now);
                call.end_reason = Some(EndReason::Interrupted);
                if let Some(rollup) = analytics::ended(&owner, &call) {
                    add_rollup(tx, &rollup)?;
                }
            }
            Ok(closed as u64)
        })
        .await
    }

    async fn renew_lease(&self, server: &str, lease_until: u64) -> Result<(), StoreError> {
        let server = server.to_owned();
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO servers (id, lease_until) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET lease_until = excluded.lease_until",
                rusqlite::params![server, lease_until],
            )
            .map(drop)
        })
        .await
    }

    async fn live_servers(&self, now: u64) -> Result<Vec<String>, StoreError> {
        self.read(move |c| {
            all_rows(
                c,
                "SELECT id FROM servers WHERE lease_until > ? ORDER BY id",
                [now],
                |r| r.get(0),
            )
        })
        .await
    }

    async fn get_call(&self, owner: &str, id: &str) -> Result<Option<CallRecord>, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.read(move |c| {
            optional_row(
                c,
                &format!("SELECT {CALL_COLUMNS} FROM calls k WHERE k.owner = ? AND k.id = ?"),
                [owner, id],
                call_from_row,
            )
        })
        .await
    }

    async fn set_call_quality(
        &self,
        owner: &str,
        id: &str,
        summary: &Summary,
    ) -> Result<(), StoreError> {
        let (owner, id, json, summary) = (
            owner.to_owned(),
            id.to_owned(),
            to_json(summary)?,
            summary.clone(),
        );
        self.write(move |tx| {
            let call = optional_row(
                tx,
                &format!("SELECT {CALL_COLUMNS} FROM calls k WHERE k.owner = ?1 AND k.id = ?2"),
                [&owner, &id],
                call_from_row,
            )?
            .ok_or(StoreError::NotFound)?;
            // The first summary kept counts in the analytics; a later one only replaces it.
            let first = optional_row(
                tx,
                "SELECT summary IS NULL FROM call_quality WHERE owner = ?1 AND call_id = ?2",
                [&owner, &id],
                |r| r.get::<_, bool>(0),
            )?
            .unwrap_or(true);
            execute(
                tx,
                "INSERT INTO call_quality (owner, call_id, summary) VALUES (?1, ?2, ?3)
                 ON CONFLICT (owner, call_id) DO UPDATE SET summary = excluded.summary",
                rusqlite::params![owner, id, json],
            )?;
            if first {
                add_rollup(tx, &analytics::quality(&owner, &call, &summary))?;
            }
            Ok(())
        })
        .await
    }

    async fn set_trunk_reception(
        &self,
        owner: &str,
        id: &str,
        reception: &TrunkReception,
    ) -> Result<(), StoreError> {
        self.set_quality_column(owner, id, "trunk", to_json(reception)?)
            .await
    }

    async fn call_quality(&self, owner: &str, id: &str) -> Result<Option<CallQuality>, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        let columns: Option<(Option<String>, Option<String>)> = self
            .read(move |c| {
                optional_row(
                    c,
                    "SELECT summary, trunk FROM call_quality WHERE owner = ? AND call_id = ?",
                    [&owner, &id],
                    |r| Ok((r.get("summary")?, r.get("trunk")?)),
                )
            })
            .await?;
        let Some((summary, trunk)) = columns else {
            return Ok(None);
        };
        Ok(Some(CallQuality {
            agent: summary.as_deref().map(from_json).transpose()?,
            trunk: trunk.as_deref().map(from_json).transpose()?,
        }))
    }

    async fn list_calls(
        &self,
        owner: &str,
        query: &CallQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<CallRecord>, StoreError> {
        let before: Option<(u64, String)> = cursor.map(cursor::decode).transpose()?;
        let mut sql = format!("SELECT {CALL_COLUMNS} FROM calls k WHERE k.owner = ?");
        let mut values = vec![Value::Text(owner.to_owned())];
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
            values.push(Value::Text(like_pattern(&search)));
            if !digits.is_empty() {
                sql.push_str(" OR k.e164 LIKE ?");
                values.push(Value::Text(format!("%{digits}%")));
            }
            sql.push(')');
        }
        if let Some((at, id)) = before {
            sql.push_str(" AND (k.started_at < ? OR (k.started_at = ? AND k.id < ?))");
            let at = i64::try_from(at).map_err(|_| StoreError::BadCursor)?;
            values.extend([Value::Integer(at), Value::Integer(at), Value::Text(id)]);
        }
        sql.push_str(" ORDER BY k.started_at DESC, k.id DESC LIMIT ?");
        let limit = cursor::page_size(limit);
        values.push(Value::Integer(limit as i64 + 1));
        let items = self
            .read(move |c| all_rows(c, &sql, params_from_iter(values), call_from_row))
            .await?;
        Ok(cursor::page(items, limit, |c| (c.started_at, c.id.clone())))
    }
}

impl SqliteStore {
    /// One part of the call's quality (`summary` or `trunk`), for a call the owner has: an
    /// unknown id changes nothing (`NotFound`), the other part is left as it is.
    async fn set_quality_column(
        &self,
        owner: &str,
        id: &str,
        column: &'static str,
        json: String,
    ) -> Result<(), StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        let sql = format!(
            "INSERT INTO call_quality (owner, call_id, {column})
             SELECT owner, id, ?3 FROM calls WHERE owner = ?1 AND id = ?2
             ON CONFLICT (owner, call_id) DO UPDATE SET {column} = excluded.{column}"
        );
        self.write(move |tx| matched_a_row(execute(tx, &sql, rusqlite::params![owner, id, json])?))
            .await
    }
}
