//! The SQLite store (embedded default): one file in the data directory, WAL, migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use app::api::ports::{
    AuditEvent, CallQuery, ContactQuery, Page, SessionRecord, Store, StoreError, UserRecord,
};
use app::domain::calls::{CallFilter, CallRecord, Direction, EndReason};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use app::domain::recordings::{
    ConsentNotice, Pause, Preferences, Recording, RecordingMode, RecordingState,
};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};

use super::cursor;
use super::search::{name_key, number_digits};

/// Schema migrations, applied in order, each once.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_call_ringing.sql")),
    (3, include_str!("../../migrations/0003_recordings.sql")),
    (
        4,
        include_str!("../../migrations/0004_recordings_by_owner.sql"),
    ),
];

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        Self::with_pool(pool).await
    }

    /// A private in-memory database (tests).
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(unavailable)?
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        Self::with_pool(pool).await
    }

    async fn with_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .map_err(unavailable)?;
        for (version, sql) in MIGRATIONS {
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                    .bind(version)
                    .fetch_optional(&pool)
                    .await
                    .map_err(unavailable)?;
            if applied.is_some() {
                continue;
            }
            let mut tx = pool.begin().await.map_err(unavailable)?;
            sqlx::raw_sql(sql)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))")
                .bind(version)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            tx.commit().await.map_err(unavailable)?;
            tracing::info!(version, "applied store migration");
        }
        Ok(SqliteStore { pool })
    }

    async fn numbers_of(
        &self,
        owner: &str,
        contact_id: &str,
    ) -> Result<Vec<ContactNumber>, StoreError> {
        let rows = sqlx::query("SELECT label, e164 FROM contact_numbers WHERE owner = ? AND contact_id = ? ORDER BY position")
            .bind(owner)
            .bind(contact_id)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(rows
            .iter()
            .map(|r| ContactNumber {
                label: NumberLabel::parse(r.get::<&str, _>("label")),
                e164: r.get("e164"),
            })
            .collect())
    }

    async fn contact_from_row(&self, owner: &str, row: &SqliteRow) -> Result<Contact, StoreError> {
        let id: String = row.get("id");
        Ok(Contact {
            numbers: self.numbers_of(owner, &id).await?,
            id,
            name: row.get("name"),
            company: row.get("company"),
            notes: row.get("notes"),
            favourite: row.get::<i64, _>("favourite") != 0,
            created_at: row.get::<i64, _>("created_at") as u64,
            updated_at: row.get::<i64, _>("updated_at") as u64,
            version: row.get::<i64, _>("version") as u64,
        })
    }

    async fn write_numbers(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        owner: &str,
        contact: &Contact,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM contact_numbers WHERE owner = ? AND contact_id = ?")
            .bind(owner)
            .bind(&contact.id)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        for (position, number) in contact.numbers.iter().enumerate() {
            sqlx::query("INSERT INTO contact_numbers (owner, contact_id, position, label, e164) VALUES (?, ?, ?, ?, ?)")
                .bind(owner)
                .bind(&contact.id)
                .bind(position as i64)
                .bind(number.label.as_str())
                .bind(&number.e164)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }
}

fn user_from_row(row: &SqliteRow) -> UserRecord {
    UserRecord {
        sub: row.get("sub"),
        email: row.get("email"),
        password_hash: row.get("password_hash"),
        created_at: row.get::<i64, _>("created_at") as u64,
    }
}

fn session_from_row(row: &SqliteRow) -> SessionRecord {
    SessionRecord {
        id: row.get("id"),
        sub: row.get("sub"),
        token_hash: row.get("token_hash"),
        created_at: row.get::<i64, _>("created_at") as u64,
        expires_at: row.get::<i64, _>("expires_at") as u64,
        revoked: row.get::<i64, _>("revoked") != 0,
    }
}

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
    }
}

fn consent_str(c: ConsentNotice) -> &'static str {
    match c {
        ConsentNotice::Tone => "tone",
        ConsentNotice::ToneAndSpoken => "tone_and_spoken",
    }
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

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Outbound => "outbound",
        Direction::Inbound => "inbound",
    }
}

const FAILURE_REASONS: &str = "('refused','failed','interrupted')";

#[async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (sub, email, password_hash, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&user.sub)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.created_at as i64)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::AlreadyExists
            } else {
                unavailable(e)
            }
        })?;
        Ok(())
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.as_ref().map(user_from_row))
    }

    async fn user_by_sub(&self, sub: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE sub = ?")
            .bind(sub)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.as_ref().map(user_from_row))
    }

    async fn set_password_hash(&self, sub: &str, hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE sub = ?")
            .bind(hash)
            .bind(sub)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (id, sub, token_hash, created_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&s.id)
            .bind(&s.sub)
            .bind(&s.token_hash)
            .bind(s.created_at as i64)
            .bind(s.expires_at as i64)
            .bind(s.revoked as i64)
            .execute(&self.pool)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::AlreadyExists } else { unavailable(e) })?;
        Ok(())
    }

    async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM sessions WHERE token_hash = ?")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.as_ref().map(session_from_row))
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.as_ref().map(session_from_row))
    }

    async fn revoke_sessions(&self, sub: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE sessions SET revoked = 1 WHERE sub = ? AND revoked = 0")
            .bind(sub)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(done.rows_affected())
    }

    async fn put_reset_code(
        &self,
        sub: &str,
        code_hash: &str,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO reset_codes (sub, code_hash, expires_at, failures) VALUES (?, ?, ?, 0)
             ON CONFLICT(sub) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, failures = 0",
        )
        .bind(sub)
        .bind(code_hash)
        .bind(expires_at as i64)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn reset_code(&self, sub: &str) -> Result<Option<(String, u64, u32)>, StoreError> {
        let row =
            sqlx::query("SELECT code_hash, expires_at, failures FROM reset_codes WHERE sub = ?")
                .bind(sub)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(row.map(|r| {
            (
                r.get("code_hash"),
                r.get::<i64, _>("expires_at") as u64,
                r.get::<i64, _>("failures") as u32,
            )
        }))
    }

    async fn count_reset_failure(&self, sub: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE reset_codes SET failures = failures + 1 WHERE sub = ?")
            .bind(sub)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn delete_reset_code(&self, sub: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM reset_codes WHERE sub = ?")
            .bind(sub)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn insert_contact(&self, owner: &str, c: &Contact) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query(
            "INSERT INTO contacts (owner, id, name, name_key, company, notes, favourite, created_at, updated_at, version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(owner)
        .bind(&c.id)
        .bind(&c.name)
        .bind(name_key(&c.name))
        .bind(&c.company)
        .bind(&c.notes)
        .bind(c.favourite as i64)
        .bind(c.created_at as i64)
        .bind(c.updated_at as i64)
        .bind(c.version as i64)
        .execute(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::AlreadyExists } else { unavailable(e) })?;
        Self::write_numbers(&mut tx, owner, c).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn update_contact(
        &self,
        owner: &str,
        c: &Contact,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let done = sqlx::query(
            "UPDATE contacts SET name = ?, name_key = ?, company = ?, notes = ?, favourite = ?, updated_at = ?, version = ?
             WHERE owner = ? AND id = ? AND version = ?",
        )
        .bind(&c.name)
        .bind(name_key(&c.name))
        .bind(&c.company)
        .bind(&c.notes)
        .bind(c.favourite as i64)
        .bind(c.updated_at as i64)
        .bind(c.version as i64)
        .bind(owner)
        .bind(&c.id)
        .bind(expected_version as i64)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT version FROM contacts WHERE owner = ? AND id = ?")
                    .bind(owner)
                    .bind(&c.id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            return Err(if exists.is_some() {
                StoreError::Conflict
            } else {
                StoreError::NotFound
            });
        }
        Self::write_numbers(&mut tx, owner, c).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn get_contact(&self, owner: &str, id: &str) -> Result<Option<Contact>, StoreError> {
        let row = sqlx::query("SELECT * FROM contacts WHERE owner = ? AND id = ?")
            .bind(owner)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        match row {
            Some(row) => Ok(Some(self.contact_from_row(owner, &row).await?)),
            None => Ok(None),
        }
    }

    async fn delete_contact(&self, owner: &str, id: &str) -> Result<Contact, StoreError> {
        let contact = self
            .get_contact(owner, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let done = sqlx::query("DELETE FROM contacts WHERE owner = ? AND id = ?")
            .bind(owner)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(contact)
    }

    async fn list_contacts(
        &self,
        owner: &str,
        query: &ContactQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Contact>, StoreError> {
        let after: Option<(String, String)> = cursor.map(cursor::decode).transpose()?;
        let search = query.search.trim().to_lowercase();
        let digits = number_digits(&search);
        let mut sql = String::from("SELECT * FROM contacts c WHERE c.owner = ?");
        if query.favourites_only {
            sql.push_str(" AND c.favourite = 1");
        }
        if !search.is_empty() {
            sql.push_str(
                " AND (c.name_key LIKE ? ESCAPE '\\' OR lower(c.company) LIKE ? ESCAPE '\\'",
            );
            if !digits.is_empty() {
                sql.push_str(
                    " OR EXISTS (SELECT 1 FROM contact_numbers n WHERE n.owner = c.owner AND n.contact_id = c.id AND n.e164 LIKE ?)",
                );
            }
            sql.push(')');
        }
        if after.is_some() {
            sql.push_str(" AND (c.name_key > ? OR (c.name_key = ? AND c.id > ?))");
        }
        sql.push_str(" ORDER BY c.name_key, c.id LIMIT ?");
        let mut q = sqlx::query(&sql).bind(owner);
        if !search.is_empty() {
            let pattern = like_pattern(&search);
            q = q.bind(pattern.clone()).bind(pattern);
            if !digits.is_empty() {
                q = q.bind(format!("%{digits}%"));
            }
        }
        if let Some((key, id)) = &after {
            q = q.bind(key.clone()).bind(key.clone()).bind(id.clone());
        }
        let limit = limit.clamp(1, 500);
        let rows = q
            .bind((limit + 1) as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let mut items = Vec::with_capacity(rows.len().min(limit));
        for row in rows.iter().take(limit) {
            items.push(self.contact_from_row(owner, row).await?);
        }
        let next = (rows.len() > limit)
            .then(|| {
                items
                    .last()
                    .map(|c: &Contact| cursor::encode(&(name_key(&c.name), c.id.clone())))
            })
            .flatten();
        Ok(Page { items, next })
    }

    async fn contact_by_number(
        &self,
        owner: &str,
        e164: &str,
    ) -> Result<Option<Contact>, StoreError> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT n.contact_id FROM contact_numbers n JOIN contacts c ON c.owner = n.owner AND c.id = n.contact_id
             WHERE n.owner = ? AND n.e164 = ? ORDER BY c.favourite DESC, c.name_key LIMIT 1",
        )
        .bind(owner)
        .bind(e164)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        match id {
            Some(id) => self.get_contact(owner, &id).await,
            None => Ok(None),
        }
    }

    async fn insert_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO calls (owner, id, direction, e164, started_at, ringing_at, answered_at, ended_at, end_reason, hangup_by, sip_cause, recording_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(owner)
        .bind(&call.id)
        .bind(direction_str(call.direction))
        .bind(&call.e164)
        .bind(call.started_at as i64)
        .bind(call.ringing_at.map(|v| v as i64))
        .bind(call.answered_at.map(|v| v as i64))
        .bind(call.ended_at.map(|v| v as i64))
        .bind(call.end_reason.map(EndReason::as_str))
        .bind(&call.hangup_by)
        .bind(&call.sip_cause)
        .bind(&call.recording_id)
        .execute(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::AlreadyExists } else { unavailable(e) })?;
        Ok(())
    }

    async fn update_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE calls SET ringing_at = ?, answered_at = ?, ended_at = ?, end_reason = ?, hangup_by = ?, sip_cause = ?, recording_id = ?
             WHERE owner = ? AND id = ?",
        )
        .bind(call.ringing_at.map(|v| v as i64))
        .bind(call.answered_at.map(|v| v as i64))
        .bind(call.ended_at.map(|v| v as i64))
        .bind(call.end_reason.map(EndReason::as_str))
        .bind(&call.hangup_by)
        .bind(&call.sip_cause)
        .bind(&call.recording_id)
        .bind(owner)
        .bind(&call.id)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
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
        let limit = limit.clamp(1, 500);
        let rows = q
            .bind((limit + 1) as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let items: Vec<CallRecord> = rows.iter().map(call_from_row).collect();
        Ok(cursor::page(items, limit, |c| (c.started_at, c.id.clone())))
    }

    async fn insert_recording(&self, owner: &str, r: &Recording) -> Result<(), StoreError> {
        let pauses = serde_json::to_string(&r.pauses).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO recordings (owner, id, call_id, started_at, ended_at, duration_ms, bytes,
                 sha256, format, consent, pause_mode, pauses, location, object_key, retain_until,
                 state, upload_id, waveform)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(owner)
        .bind(&r.id)
        .bind(&r.call_id)
        .bind(r.started_at as i64)
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
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::AlreadyExists
            } else {
                unavailable(e)
            }
        })?;
        Ok(())
    }

    async fn update_recording(&self, owner: &str, r: &Recording) -> Result<(), StoreError> {
        let pauses = serde_json::to_string(&r.pauses).unwrap_or_else(|_| "[]".into());
        let done = sqlx::query(
            "UPDATE recordings SET ended_at = ?, duration_ms = ?, bytes = ?, sha256 = ?,
                 consent = ?, pauses = ?, location = ?, retain_until = ?, state = ?,
                 upload_id = ?, waveform = ?
             WHERE owner = ? AND id = ?",
        )
        .bind(r.ended_at.map(|v| v as i64))
        .bind(r.duration_ms as i64)
        .bind(r.bytes as i64)
        .bind(&r.sha256)
        .bind(consent_str(r.consent))
        .bind(pauses)
        .bind(&r.location)
        .bind(r.retain_until as i64)
        .bind(r.state.as_str())
        .bind(&r.upload_id)
        .bind(&r.waveform)
        .bind(owner)
        .bind(&r.id)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
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
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
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
        let limit = limit.clamp(1, 500);
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

    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError> {
        let row = sqlx::query("SELECT recording FROM preferences WHERE owner = ?")
            .bind(owner)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(Preferences {
            recording: row
                .and_then(|r| RecordingMode::parse(r.get("recording")))
                .unwrap_or_default(),
        })
    }

    async fn set_preferences(&self, owner: &str, p: &Preferences) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO preferences (owner, recording) VALUES (?, ?)
             ON CONFLICT(owner) DO UPDATE SET recording = excluded.recording",
        )
        .bind(owner)
        .bind(p.recording.as_str())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn audit(&self, owner: &str, event: &AuditEvent) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_events (owner, at, action, detail) VALUES (?, ?, ?, ?)")
            .bind(owner)
            .bind(event.at as i64)
            .bind(&event.action)
            .bind(&event.detail)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn list_audit(&self, owner: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, action, detail FROM audit_events WHERE owner = ? ORDER BY seq DESC LIMIT ?",
        )
        .bind(owner)
        .bind(limit.clamp(1, 1000) as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .iter()
            .map(|r| AuditEvent {
                at: r.get::<i64, _>("at") as u64,
                action: r.get("action"),
                detail: r.get("detail"),
            })
            .collect())
    }
}
