//! Spend limits: admission reads the usage and inserts the call in one `BEGIN IMMEDIATE`
//! transaction, so two admissions (from any connection or process on the file) never both see
//! the last free slot. Open calls are the calls without `ended_at`: ending a call releases its
//! slot with no counter to keep.

use app::api::ports::{AdmitError, SpendState, SpendStore, StoreError};
use app::domain::calls::CallRecord;
use app::domain::spend::{
    evaluate, Admission, Block, Candidate, SpendOverrides, SpendPolicy, SpendRefusal, UsageCall,
    UsageSnapshot, VelocityRule, USAGE_WINDOW_MS,
};
use async_trait::async_trait;
use rusqlite::{params, Connection};

use super::calls::insert_call_row;
use super::{all_rows, execute, optional_row, SqliteStore};

/// What the store keeps of a user's spend limits (defaults without a row).
#[derive(Default)]
struct StateRow {
    block: Option<Block>,
    lifted_at: u64,
    overrides: SpendOverrides,
}

/// `spend_state`'s columns as stored: blocked_rule, blocked_at, lifted_at, overrides (JSON).
type StoredState = (Option<String>, Option<u64>, Option<u64>, String);

fn state_row(c: &Connection, owner: &str) -> Result<StateRow, StoreError> {
    let row: Option<StoredState> = optional_row(
        c,
        "SELECT blocked_rule, blocked_at, lifted_at, overrides FROM spend_state WHERE owner = ?",
        [owner],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let Some((rule, at, lifted_at, overrides)) = row else {
        return Ok(StateRow::default());
    };
    let block = match (rule.as_deref().and_then(VelocityRule::parse), at) {
        (Some(rule), Some(at)) => Some(Block { rule, at }),
        _ => None,
    };
    let overrides = serde_json::from_str(&overrides)
        .map_err(|e| StoreError::Unavailable(format!("spend overrides: {e}")))?;
    Ok(StateRow {
        block,
        lifted_at: lifted_at.unwrap_or(0),
        overrides,
    })
}

fn count(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<u32, StoreError> {
    Ok(optional_row(c, sql, params, |r| r.get::<_, u32>(0))?.unwrap_or(0))
}

fn open_calls(c: &Connection, owner: &str) -> Result<u32, StoreError> {
    count(
        c,
        "SELECT COUNT(*) FROM calls WHERE owner = ? AND ended_at IS NULL",
        [owner],
    )
}

fn usage(
    c: &Connection,
    owner: &str,
    state: &StateRow,
    now: u64,
) -> Result<UsageSnapshot, StoreError> {
    let since = now.saturating_sub(USAGE_WINDOW_MS);
    // A call is to a new destination if no call of the owner's to its number came before it.
    let calls = all_rows(
        c,
        "SELECT c.started_at, c.answered_at, c.ended_at, c.e164,
                NOT EXISTS (SELECT 1 FROM calls p WHERE p.owner = c.owner AND p.e164 = c.e164
                            AND (p.started_at < c.started_at OR (p.started_at = c.started_at AND p.id < c.id)))
         FROM calls c WHERE c.owner = ? AND c.started_at > ?",
        params![owner, since],
        |r| {
            Ok(UsageCall {
                started_at: r.get(0)?,
                answered_at: r.get(1)?,
                ended_at: r.get(2)?,
                e164: r.get(3)?,
                new_destination: r.get(4)?,
            })
        },
    )?;
    Ok(UsageSnapshot {
        calls,
        user_open: open_calls(c, owner)?,
        global_open: count(c, "SELECT COUNT(*) FROM calls WHERE ended_at IS NULL", [])?,
        block: state.block,
        velocity_since: state.lifted_at,
    })
}

fn upsert_state(c: &Connection, owner: &str, state: &StateRow) -> Result<(), StoreError> {
    let overrides = serde_json::to_string(&state.overrides)
        .map_err(|e| StoreError::Unavailable(format!("spend overrides: {e}")))?;
    execute(
        c,
        "INSERT INTO spend_state (owner, blocked_rule, blocked_at, lifted_at, overrides) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(owner) DO UPDATE SET blocked_rule = excluded.blocked_rule,
             blocked_at = excluded.blocked_at, lifted_at = excluded.lifted_at,
             overrides = excluded.overrides",
        params![
            owner,
            state.block.map(|b| b.rule.as_str()),
            state.block.map(|b| b.at),
            state.lifted_at,
            overrides
        ],
    )?;
    Ok(())
}

#[async_trait]
impl SpendStore for SqliteStore {
    async fn admit_call(
        &self,
        owner: &str,
        record: &CallRecord,
        policy: &SpendPolicy,
        account_created_at: Option<u64>,
        now: u64,
    ) -> Result<Admission, AdmitError> {
        let (owner, record, policy) = (owner.to_owned(), record.clone(), *policy);
        let verdict = self
            .write(move |tx| {
                let state = state_row(tx, &owner)?;
                let usage = usage(tx, &owner, &state, now)?;
                let called_before = count(
                    tx,
                    "SELECT COUNT(*) FROM (SELECT 1 FROM calls WHERE owner = ? AND e164 = ? LIMIT 1)",
                    [owner.as_str(), record.e164.as_str()],
                )? > 0;
                let candidate = Candidate {
                    e164: &record.e164,
                    new_destination: !called_before,
                    account_created_at,
                };
                match evaluate(&policy.with(&state.overrides), &usage, &candidate, now) {
                    Ok(admission) => {
                        insert_call_row(tx, &owner, &record)?;
                        Ok(Ok(admission))
                    }
                    Err(SpendRefusal::Blocked { rule }) if state.block.is_none() => {
                        // A rule tripped just now: the block outlives this transaction.
                        let block = Some(Block { rule, at: now });
                        upsert_state(tx, &owner, &StateRow { block, ..state })?;
                        Ok(Err(SpendRefusal::Blocked { rule }))
                    }
                    Err(refusal) => Ok(Err(refusal)),
                }
            })
            .await?;
        verdict.map_err(AdmitError::Refused)
    }

    async fn spend_state(&self, owner: &str) -> Result<SpendState, StoreError> {
        let owner = owner.to_owned();
        self.read(move |c| {
            let state = state_row(c, &owner)?;
            Ok(SpendState {
                block: state.block,
                overrides: state.overrides,
                open_calls: open_calls(c, &owner)?,
            })
        })
        .await
    }

    async fn lift_block(&self, owner: &str, now: u64) -> Result<bool, StoreError> {
        let owner = owner.to_owned();
        self.write(move |tx| {
            let state = state_row(tx, &owner)?;
            if state.block.is_none() {
                return Ok(false);
            }
            let lifted = StateRow {
                block: None,
                lifted_at: now,
                ..state
            };
            upsert_state(tx, &owner, &lifted)?;
            Ok(true)
        })
        .await
    }

    async fn block_calls(&self, owner: &str, block: Block) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.write(move |tx| {
            let state = state_row(tx, &owner)?;
            let block = Some(block);
            upsert_state(tx, &owner, &StateRow { block, ..state })
        })
        .await
    }

    async fn blocked_users(&self, limit: usize) -> Result<Vec<(String, Block)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let rows: Vec<(String, String, u64)> = all_rows(
                c,
                "SELECT owner, blocked_rule, blocked_at FROM spend_state
                 WHERE blocked_rule IS NOT NULL ORDER BY blocked_at, owner LIMIT ?",
                [limit],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            // A rule this version does not know is left out, as `spend_state` reads it.
            Ok(rows
                .into_iter()
                .filter_map(|(owner, rule, at)| {
                    VelocityRule::parse(&rule).map(|rule| (owner, Block { rule, at }))
                })
                .collect())
        })
        .await
    }

    async fn set_spend_overrides(
        &self,
        owner: &str,
        overrides: &SpendOverrides,
    ) -> Result<(), StoreError> {
        let (owner, overrides) = (owner.to_owned(), *overrides);
        self.write(move |tx| {
            let state = state_row(tx, &owner)?;
            upsert_state(tx, &owner, &StateRow { overrides, ..state })
        })
        .await
    }
}
