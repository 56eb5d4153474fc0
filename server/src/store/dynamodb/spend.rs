//! Spend limits across servers: a per-user `SPEND` item (the ids of the user's open calls, the
//! calls admitted in the last hour, the block and overrides, a version) and a global `SPEND /
//! GLOBAL` counter of open calls. Admission reads them and the user's calls of the last 24
//! hours, evaluates the policy, and writes in one `TransactWriteItems`: the call record, the
//! user's item on the version it read (so two admissions of one user never both pass), and the
//! global counter with `open < cap` (so all servers together never pass the global cap). A lost
//! race is read and evaluated again. Ending a call releases its slot (`release`). A user's
//! item is in the sparse GSI3 (`BLOCKED`, oldest block first) while their calls are blocked,
//! for the administrator's list.

use std::collections::HashMap;

use app::api::ports::{AdmitError, SpendState, SpendStore, StoreError};
use app::domain::calls::CallRecord;
use app::domain::spend::{
    evaluate, Admission, Block, Candidate, SpendOverrides, SpendPolicy, SpendRefusal, UsageCall,
    UsageSnapshot, USAGE_WINDOW_MS,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::calls::call_item;
use super::item::{
    condition_failed, is_condition_failure, key, n, put, s, sdk_error, update, Attrs, Item,
};
use super::{padded, user_pk, DynamoStore, Query};

const SPEND_SK: &str = "SPEND";
/// The GSI3 partition of the users blocked now (`SPEND` items, while they hold a block).
const BLOCKED_PK: &str = "BLOCKED";
/// Users listed at most per `blocked_users` (a page of the administrator's list).
const BLOCKED_PAGE: usize = 500;
const GLOBAL_PK: &str = "SPEND";
const GLOBAL_SK: &str = "GLOBAL";
/// Admission attempts when other servers keep changing the same items.
const ATTEMPTS: usize = 12;

/// A blocked user's GSI3 sort key: oldest block first, then by user.
fn blocked_order(at: u64, owner: &str) -> String {
    format!("{}#{owner}", padded(at))
}

fn dest_sk(e164: &str) -> String {
    format!("DEST#{e164}")
}

/// A call admitted recently, kept in the user's item (the call index may not show it yet).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Recent {
    id: String,
    at: u64,
    e164: String,
    new: bool,
}

/// The user's `SPEND` item.
#[derive(Default)]
struct SpendItem {
    version: Option<u64>,
    open_ids: Vec<String>,
    recent: Vec<Recent>,
    block: Option<Block>,
    lifted_at: u64,
    overrides: SpendOverrides,
}

fn json_error(e: serde_json::Error) -> StoreError {
    StoreError::Unavailable(format!("spend item: {e}"))
}

impl SpendItem {
    fn read(item: Option<&Item>) -> Result<SpendItem, StoreError> {
        let Some(item) = item else {
            return Ok(SpendItem::default());
        };
        let a = Attrs::of(item, "spend");
        let json = |name: &str| a.opt_s(name);
        Ok(SpendItem {
            version: a.opt_n("version")?,
            open_ids: item
                .get("open_ids")
                .and_then(|v| v.as_ss().ok())
                .cloned()
                .unwrap_or_default(),
            recent: json("recent")?
                .map(|j| serde_json::from_str(&j))
                .transpose()
                .map_err(json_error)?
                .unwrap_or_default(),
            block: json("block")?
                .map(|j| serde_json::from_str(&j))
                .transpose()
                .map_err(json_error)?,
            lifted_at: a.opt_n("lifted_at")?.unwrap_or(0),
            overrides: json("overrides")?
                .map(|j| serde_json::from_str(&j))
                .transpose()
                .map_err(json_error)?
                .unwrap_or_default(),
        })
    }

    /// The condition that the item is still the one read.
    fn unchanged(&self) -> (String, Option<AttributeValue>) {
        match self.version {
            Some(v) => ("#v = :v0".into(), Some(n(v))),
            None => ("attribute_not_exists(#v)".into(), None),
        }
    }
}

impl DynamoStore {
    async fn spend_item(&self, owner: &str) -> Result<SpendItem, StoreError> {
        SpendItem::read(self.get(user_pk(owner), SPEND_SK).await?.as_ref())
    }

    /// The user's calls of the last 24 hours, from the call index and the admissions it may
    /// not show yet.
    async fn usage_calls(
        &self,
        owner: &str,
        spend: &SpendItem,
        now: u64,
    ) -> Result<Vec<UsageCall>, StoreError> {
        let since = now.saturating_sub(USAGE_WINDOW_MS);
        let q = Query::on(Some("GSI2"), "GSI2PK = :pk AND GSI2SK > :since")
            .value(":pk", format!("USER#{owner}#CALLS"))
            .value(":since", padded(since));
        let recent: HashMap<&str, &Recent> =
            spend.recent.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut seen = Vec::new();
        let mut calls = self
            .collect(&q, usize::MAX, |item| {
                let c: CallRecord = super::item::record_from(item, "call")?;
                seen.push(c.id.clone());
                Ok(Some(UsageCall {
                    new_destination: recent.get(c.id.as_str()).is_some_and(|r| r.new),
                    started_at: c.started_at,
                    answered_at: c.answered_at,
                    ended_at: c.ended_at,
                    e164: c.e164,
                }))
            })
            .await?;
        calls.extend(
            spend
                .recent
                .iter()
                .filter(|r| r.at > since && !seen.contains(&r.id))
                .map(|r| UsageCall {
                    started_at: r.at,
                    answered_at: None,
                    ended_at: None,
                    e164: r.e164.clone(),
                    new_destination: r.new,
                }),
        );
        Ok(calls)
    }

    /// Frees an admitted call's slot (the user's open ids and the global counter); nothing if
    /// it was not admitted or is freed already.
    pub(super) async fn release(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let items = vec![
            update(
                &self.table,
                key(user_pk(owner), SPEND_SK),
                "DELETE open_ids :id ADD #v :one",
                Some("contains(open_ids, :idv)".into()),
                &[("#v", "version")],
                vec![
                    (":id", AttributeValue::Ss(vec![id.to_string()])),
                    (":idv", s(id)),
                    (":one", n(1)),
                ],
            )?,
            update(
                &self.table,
                key(GLOBAL_PK, GLOBAL_SK),
                "SET #o = #o - :one",
                Some("#o > :zero".into()),
                &[("#o", "open")],
                vec![(":one", n(1)), (":zero", n(0))],
            )?,
        ];
        // Cancelled: not admitted, or released already.
        self.transact(items).await.map(drop)
    }

    async fn set_block(&self, owner: &str, block: Block) -> Result<(), StoreError> {
        let order = blocked_order(block.at, owner);
        let block = serde_json::to_string(&block).map_err(json_error)?;
        // The sparse GSI3 entry lists the user among the blocked while the block stands.
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(owner), SPEND_SK)))
            .update_expression(
                "SET #b = :b, #owner = :owner, GSI3PK = :blocked, GSI3SK = :order ADD #v :one",
            )
            .expression_attribute_names("#b", "block")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":b", s(block))
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":blocked", s(BLOCKED_PK))
            .expression_attribute_values(":order", s(order))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }
}

#[async_trait]
impl SpendStore for DynamoStore {
    async fn admit_call(
        &self,
        owner: &str,
        record: &CallRecord,
        policy: &SpendPolicy,
        account_created_at: Option<u64>,
        now: u64,
    ) -> Result<Admission, AdmitError> {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                // Spread the retries of admissions that collided (a few ms, growing).
                let spread = record.id.bytes().map(u64::from).sum::<u64>() % 7;
                let pause = (2u64 << attempt.min(6)) + spread;
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            let spend = self.spend_item(owner).await?;
            let global = self.get(GLOBAL_PK.into(), GLOBAL_SK).await?;
            let global_open = match &global {
                Some(item) => Attrs::of(item, "spend counter").opt_n("open")?.unwrap_or(0),
                None => 0,
            };
            let called_before = self
                .get(user_pk(owner), dest_sk(&record.e164))
                .await?
                .is_some();
            let usage = UsageSnapshot {
                calls: self.usage_calls(owner, &spend, now).await?,
                user_open: spend.open_ids.len() as u32,
                global_open: global_open as u32,
                block: spend.block,
                velocity_since: spend.lifted_at,
            };
            let candidate = Candidate {
                e164: &record.e164,
                new_destination: !called_before,
                account_created_at,
            };
            let policy = policy.with(&spend.overrides);
            let admission = match evaluate(&policy, &usage, &candidate, now) {
                Ok(a) => a,
                Err(SpendRefusal::Blocked { rule }) if spend.block.is_none() => {
                    self.set_block(owner, Block { rule, at: now }).await?;
                    return Err(AdmitError::Refused(SpendRefusal::Blocked { rule }));
                }
                Err(refusal) => return Err(AdmitError::Refused(refusal)),
            };
            // Keep what the rate and velocity windows look at (an hour, or a longer window).
            let keep = [
                3600,
                policy.short_window_secs,
                policy.sequential_window_secs,
                policy.new_destinations_window_secs,
            ]
            .into_iter()
            .max()
            .unwrap_or(3600)
            .min(USAGE_WINDOW_MS / 1000)
                * 1000;
            let mut recent: Vec<Recent> = spend
                .recent
                .iter()
                .filter(|r| r.at + keep > now)
                .cloned()
                .collect();
            recent.push(Recent {
                id: record.id.clone(),
                at: record.started_at,
                e164: record.e164.clone(),
                new: !called_before,
            });
            let (condition, v0) = spend.unchanged();
            let mut values = vec![
                (":id", AttributeValue::Ss(vec![record.id.clone()])),
                (
                    ":recent",
                    s(serde_json::to_string(&recent).map_err(json_error)?),
                ),
                (":one", n(1)),
            ];
            if let Some(v0) = v0 {
                values.push((":v0", v0));
            }
            let mut items = vec![
                put(
                    &self.table,
                    call_item(owner, record)?,
                    Some("attribute_not_exists(PK)"),
                )?,
                update(
                    &self.table,
                    key(user_pk(owner), SPEND_SK),
                    "SET #r = :recent ADD open_ids :id, #v :one",
                    Some(condition),
                    &[("#r", "recent"), ("#v", "version")],
                    values,
                )?,
                update(
                    &self.table,
                    key(GLOBAL_PK, GLOBAL_SK),
                    "ADD #o :one",
                    Some("attribute_not_exists(#o) OR #o < :cap".into()),
                    &[("#o", "open")],
                    vec![(":one", n(1)), (":cap", n(policy.global_concurrent.into()))],
                )?,
            ];
            if !called_before {
                let marker = super::item::ItemBuilder::new(
                    user_pk(owner),
                    dest_sk(&record.e164),
                    "destination",
                )
                .n("first_at", now)
                .build();
                items.push(put(&self.table, marker, None)?);
            }
            match self.transact(items).await? {
                Ok(()) => return Ok(admission),
                Err(reasons) if condition_failed(&reasons, 0) => {
                    return Err(StoreError::AlreadyExists.into())
                }
                // Another admission changed the user's item or the global count: again.
                Err(_) => {}
            }
        }
        Err(StoreError::Unavailable("call admission: too much contention".into()).into())
    }

    async fn spend_state(&self, owner: &str) -> Result<SpendState, StoreError> {
        let spend = self.spend_item(owner).await?;
        Ok(SpendState {
            block: spend.block,
            overrides: spend.overrides,
            open_calls: spend.open_ids.len() as u32,
        })
    }

    async fn block_calls(&self, owner: &str, block: Block) -> Result<(), StoreError> {
        // The version moves: an admission that read the user's state before fails its
        // condition and reads it again.
        self.set_block(owner, block).await
    }

    async fn lift_block(&self, owner: &str, now: u64) -> Result<bool, StoreError> {
        match self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(owner), SPEND_SK)))
            .update_expression("SET #l = :now REMOVE #b, GSI3PK, GSI3SK ADD #v :one")
            .condition_expression("attribute_exists(#b)")
            .expression_attribute_names("#b", "block")
            .expression_attribute_names("#l", "lifted_at")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn blocked_users(&self, limit: usize) -> Result<Vec<(String, Block)>, StoreError> {
        let q = Query::on(Some("GSI3"), "GSI3PK = :pk").value(":pk", BLOCKED_PK);
        self.collect(&q, limit.min(BLOCKED_PAGE), |item| {
            let spend = SpendItem::read(Some(item))?;
            let owner = Attrs::of(item, "spend").s("owner")?;
            // Every indexed item holds a block (set and removed with its index keys).
            Ok(spend.block.map(|b| (owner, b)))
        })
        .await
    }

    async fn set_spend_overrides(
        &self,
        owner: &str,
        overrides: &SpendOverrides,
    ) -> Result<(), StoreError> {
        let overrides = serde_json::to_string(overrides).map_err(json_error)?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(owner), SPEND_SK)))
            .update_expression("SET #o = :o ADD #v :one")
            .expression_attribute_names("#o", "overrides")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":o", s(overrides))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }
}
