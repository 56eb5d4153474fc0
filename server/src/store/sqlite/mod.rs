//! The SQLite store (embedded default): one file in the data directory, WAL, migrations. One
//! module per aggregate of the store port; the connection pool, the migrations and the error
//! mapping they share are here.
//!
//! Queries run on tokio's blocking threads, each on a connection of a small pool: SQLite is a
//! library call, so a query costs a thread hand-off per store call and nothing per row (the
//! load profile behind this choice is in docs/bench.md, "API under load").

mod accounts;
mod analytics;
mod audit;
mod calls;
mod contacts;
mod numbers;
mod preferences;
mod push;
mod recordings;
mod relays;
mod spend;
mod tokens;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::api::ports::{StoreBackend, StoreError};
use async_trait::async_trait;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Params, Row, TransactionBehavior,
};
use tokio::sync::Semaphore;

/// Schema migrations, applied in order, each once.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/0001_init.sql")),
    (2, include_str!("../../../migrations/0002_call_ringing.sql")),
    (3, include_str!("../../../migrations/0003_recordings.sql")),
    (
        4,
        include_str!("../../../migrations/0004_recordings_by_owner.sql"),
    ),
    (
        5,
        include_str!("../../../migrations/0005_call_provider_id.sql"),
    ),
    (
        6,
        include_str!("../../../migrations/0006_contact_search.sql"),
    ),
    (
        7,
        include_str!("../../../migrations/0007_refresh_rotation.sql"),
    ),
    (8, include_str!("../../../migrations/0008_spend_limits.sql")),
    (
        10,
        include_str!("../../../migrations/0010_integration_tokens.sql"),
    ),
    (
        11,
        include_str!("../../../migrations/0011_server_leases.sql"),
    ),
    (
        12,
        include_str!("../../../migrations/0012_confirm_api_calls.sql"),
    ),
    (
        13,
        include_str!("../../../migrations/0013_inbound_routing.sql"),
    ),
    (14, include_str!("../../../migrations/0014_push.sql")),
    (
        15,
        include_str!("../../../migrations/0015_call_transfers.sql"),
    ),
    (
        16,
        include_str!("../../../migrations/0016_disabled_accounts.sql"),
    ),
    (
        17,
        include_str!("../../../migrations/0017_blocked_users.sql"),
    ),
    (
        18,
        include_str!("../../../migrations/0018_call_quality.sql"),
    ),
    (
        19,
        include_str!("../../../migrations/0019_call_quality_trunk.sql"),
    ),
    (
        20,
        include_str!("../../../migrations/0020_call_rollups.sql"),
    ),
];

/// Connections to a database file: readers run side by side (WAL), writers take turns (the busy
/// timeout below).
const FILE_CONNECTIONS: usize = 4;
/// Prepared statements kept per connection (least recently used dropped first): the fixed
/// queries, the list queries' variants (filter, search, cursor) and the `IN (…)` look-ups, one
/// text per list length up to a page (about 160 in all; a few KB each).
const STATEMENT_CACHE: usize = 192;

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: Arc<Pool>,
}

/// Idle connections, and a permit per connection so that waiting for one does not block a thread.
struct Pool {
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("available", &self.permits.available_permits())
            .finish()
    }
}

/// A connection taken from the pool, put back when dropped (a panicking query included).
struct Lease<'p> {
    pool: &'p Pool,
    connection: Option<Connection>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let (Some(c), Ok(mut idle)) = (self.connection.take(), self.pool.idle.lock()) {
            idle.push(c);
        }
    }
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    // SQLITE_CONSTRAINT_PRIMARYKEY (1555) and SQLITE_CONSTRAINT_UNIQUE (2067).
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation && matches!(f.extended_code, 1555 | 2067))
}

/// An insert's error: a duplicate key means the record is already there.
fn insert_error(e: rusqlite::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::AlreadyExists
    } else {
        unavailable(e)
    }
}

/// An update or delete by key that matched no row: the record is not there.
fn matched_a_row(rows_changed: usize) -> Result<(), StoreError> {
    if rows_changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The first row `sql` returns, mapped, if there is one.
fn optional_row<T>(
    c: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>, StoreError> {
    c.prepare_cached(sql)
        .and_then(|mut statement| statement.query_row(params, map).optional())
        .map_err(unavailable)
}

/// Every row `sql` returns, mapped.
fn all_rows<T>(
    c: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    c.prepare_cached(sql)
        .and_then(|mut statement| statement.query_map(params, map)?.collect())
        .map_err(unavailable)
}

/// Runs a statement that returns no rows; the number of rows it changed.
fn execute(c: &Connection, sql: &str, params: impl Params) -> Result<usize, StoreError> {
    c.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params))
        .map_err(unavailable)
}

/// Runs an `INSERT`: a duplicate key is [`StoreError::AlreadyExists`].
fn insert(c: &Connection, sql: &str, params: impl Params) -> Result<(), StoreError> {
    c.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params))
        .map(drop)
        .map_err(insert_error)
}

/// `?, ?, …`: `n` parameters for an `IN (…)` list.
fn placeholders(n: usize) -> String {
    let mut list = "?, ".repeat(n);
    list.truncate(list.len().saturating_sub(2));
    list
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

/// The settings every connection gets.
fn configure(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.pragma_update(None, "foreign_keys", true)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        let connections = tokio::task::spawn_blocking(move || {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            (0..FILE_CONNECTIONS)
                .map(|i| {
                    let c = Connection::open_with_flags(&path, flags)?;
                    configure(&c)?;
                    if i == 0 {
                        // WAL persists in the file: set once, before the others open it.
                        c.pragma_update(None, "journal_mode", "WAL")?;
                    }
                    c.pragma_update(None, "synchronous", "NORMAL")?;
                    Ok(c)
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
        .map_err(unavailable)?;
        Self::with_connections(connections).await
    }

    /// A private in-memory database (tests): one connection, as each would open a database of
    /// its own.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let connection = Connection::open_in_memory().map_err(unavailable)?;
        configure(&connection).map_err(unavailable)?;
        Self::with_connections(vec![connection]).await
    }

    async fn with_connections(connections: Vec<Connection>) -> Result<Self, StoreError> {
        let store = SqliteStore {
            pool: Arc::new(Pool {
                permits: Arc::new(Semaphore::new(connections.len())),
                idle: Mutex::new(connections),
            }),
        };
        store.write(migrate).await?;
        Ok(store)
    }

    /// Runs `query` on a connection of the pool, on a blocking thread.
    async fn read<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.with_connection(move |connection| query(connection))
            .await
    }

    /// Runs `change` in a transaction that holds the write lock from its start (a deferred one
    /// that reads first could not upgrade while another connection writes), committed if it
    /// returns `Ok`, rolled back otherwise.
    async fn write<T, F>(&self, change: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.with_connection(move |connection| {
            let tx = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let out = change(&tx)?;
            tx.commit().map_err(unavailable)?;
            Ok(out)
        })
        .await
    }

    /// Waits (without blocking a thread) for a free connection, then runs `job` with it on a
    /// blocking thread; the whole wait and work is the `sqlite` dependency's request in the
    /// metrics (an `Unavailable` its error; a row not found or a lost condition is an answer).
    async fn with_connection<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let started = std::time::Instant::now();
        let result = self.run_job(job).await;
        let failure = matches!(result, Err(StoreError::Unavailable(_))).then_some("service");
        app::api::metrics::dependency_request(
            "sqlite",
            "query".into(),
            started.elapsed().as_secs_f64(),
            failure,
        );
        result
    }

    async fn run_job<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self
            .pool
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut lease = Lease {
                connection: pool.idle.lock().ok().and_then(|mut idle| idle.pop()),
                pool: &pool,
            };
            let connection = lease
                .connection
                .as_mut()
                .ok_or_else(|| StoreError::Unavailable("no free store connection".into()))?;
            job(connection)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("store query stopped: {e}")))?
    }
}

/// Applies the migrations not applied yet, all in the caller's transaction.
fn migrate(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .map_err(unavailable)?;
    for (version, sql) in MIGRATIONS {
        let applied = tx
            .query_row(
                "SELECT count(*) FROM schema_migrations WHERE version = ?",
                [version],
                |row| row.get::<_, i64>(0),
            )
            .map_err(unavailable)?;
        if applied > 0 {
            continue;
        }
        tx.execute_batch(sql).map_err(unavailable)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))",
            [version],
        )
        .map_err(unavailable)?;
        tracing::info!(version, "applied store migration");
        if *version == 20 {
            // The rollups start with the calls of earlier versions in them.
            let calls = analytics::backfill(tx)?;
            tracing::info!(calls, "call analytics: the calls ended before counted");
        }
    }
    check_contact_search(tx)
}

/// Rebuilds the contact search index if it does not list exactly the contacts under their
/// rowids (a VACUUM may renumber them; the triggers keep it current otherwise).
fn check_contact_search(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let stale: i64 = tx
        .query_row(
            "SELECT (SELECT count(*) FROM contacts) != (SELECT count(*) FROM contact_search)
                 OR EXISTS (SELECT 1 FROM contact_search s LEFT JOIN contacts c ON c.rowid = s.rowid
                            WHERE c.id IS NOT s.id OR c.owner IS NOT s.owner)",
            [],
            |row| row.get(0),
        )
        .map_err(unavailable)?;
    if stale != 0 {
        tracing::warn!("contact search index out of step with the contacts: rebuilding it");
        tx.execute_batch(
            "DELETE FROM contact_search;
             INSERT INTO contact_search (rowid, owner, id, name, company, numbers)
             SELECT rowid, owner, id, name, company, numbers FROM contact_search_text;",
        )
        .map_err(unavailable)?;
    }
    Ok(())
}

#[async_trait]
impl StoreBackend for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(unavailable))
            .await
    }
}
