//! Call records: in the owner's partition, listed newest first through GSI2; calls still open
//! are also in the sparse GSI3 for the sweeps (a server's start, expired leases); the servers'
//! leases are items of one small partition.

use app::api::ports::{CallQuery, CallStore, OpenCalls, Page, StoreError};
use app::domain::analytics;
use app::domain::calls::{CallRecord, EndReason};
use app::domain::quality::{CallQuality, Summary, TrunkReception};
use async_trait::async_trait;

use super::analytics::add_rollup;
use super::item::{
    condition_failed, key, n, put, record_from, s, sdk_error, update, Attrs, Item, ItemBuilder,
};
use super::{padded, user_pk, DynamoStore, Query};
use crate::store::cursor;
use crate::store::json::{from_json, to_json};
use crate::store::search::Search;

/// The partition of the servers' leases (few items: one per server process that ran lately).
const SERVERS_PK: &str = "SERVERS";

fn server_sk(id: &str) -> String {
    format!("SERVER#{id}")
}

pub(super) fn call_sk(id: &str) -> String {
    format!("CALL#{id}")
}

/// The call's quality summary: an item of its own beside the call's, which the call's session
/// replaces whole.
fn quality_sk(id: &str) -> String {
    format!("QUALITY#{id}")
}

fn call_order(started_at: u64, id: &str) -> String {
    format!("{}#{id}", padded(started_at))
}

/// The record's serde fields (`CallRecord` is a plain record) with the owner and the index
/// entries.
pub(super) fn call_item(owner: &str, c: &CallRecord) -> Result<Item, StoreError> {
    let mut item = ItemBuilder::new(user_pk(owner), call_sk(&c.id), "call")
        .s("owner", owner)
        .record(c)?
        .index(
            "GSI2",
            format!("USER#{owner}#CALLS"),
            call_order(c.started_at, &c.id),
        );
    if c.ended_at.is_none() {
        // Sparse: only calls still open are in it, for the start-up sweep.
        item = item.index("GSI3", "OPENCALL", call_order(c.started_at, &c.id));
    }
    Ok(item.build())
}

fn call_from(item: &Item) -> Result<CallRecord, StoreError> {
    record_from(item, "call")
}

/// A transaction cancelled for another reason than its condition (a conflict with another
/// transaction on the same items, a throttle): worth another try later.
fn cancelled(reasons: &super::item::Cancelled) -> StoreError {
    StoreError::Unavailable(format!("DynamoDB transaction cancelled: {reasons:?}"))
}

#[async_trait]
impl CallStore for DynamoStore {
    async fn insert_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        let item = call_item(owner, call)?;
        let Some(rollup) = analytics::ended(owner, call) else {
            return self.create(item).await;
        };
        // Already ended: it counts in the analytics, in the same transaction.
        let items = vec![
            put(&self.table, item, Some("attribute_not_exists(PK)"))?,
            add_rollup(&self.table, &rollup)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if condition_failed(&reasons, 0) => Err(StoreError::AlreadyExists),
            Err(reasons) => Err(cancelled(&reasons)),
        }
    }

    async fn update_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError> {
        let item = call_item(owner, call)?;
        let Some(rollup) = analytics::ended(owner, call) else {
            return self.replace(item).await;
        };
        // Its spend slot first: a crash between the two leaves the call open, for
        // `close_open_calls`, rather than a slot no call holds.
        self.release(owner, &call.id).await?;
        // The write that ends the call adds it to the analytics, in one transaction; a call
        // already ended (a later change of its record) is only replaced.
        let items = vec![
            put(
                &self.table,
                item.clone(),
                Some("attribute_exists(PK) AND attribute_not_exists(ended_at)"),
            )?,
            add_rollup(&self.table, &rollup)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if condition_failed(&reasons, 0) => self.replace(item).await,
            Err(reasons) => Err(cancelled(&reasons)),
        }
    }

    async fn get_call(&self, owner: &str, id: &str) -> Result<Option<CallRecord>, StoreError> {
        self.read(owner, call_sk(id), call_from).await
    }

    async fn close_open_calls(&self, which: OpenCalls<'_>, now: u64) -> Result<u64, StoreError> {
        let live = match which {
            OpenCalls::OfServer(_) => Vec::new(),
            OpenCalls::OfExpiredServers => self.live_servers(now).await?,
        };
        let closes = |server: Option<&str>| match (which, server) {
            (_, None) => true,
            (OpenCalls::OfServer(me), Some(s)) => s == me,
            (OpenCalls::OfExpiredServers, Some(s)) => !live.iter().any(|l| l == s),
        };
        let q = Query::on(Some("GSI3"), "GSI3PK = :pk").value(":pk", "OPENCALL");
        let open = self
            .collect(&q, usize::MAX, |item| {
                let a = Attrs::of(item, "call");
                let server = a.opt_s("server")?;
                Ok(closes(server.as_deref()).then_some((a.s("owner")?, a.s("id")?)))
            })
            .await?;
        let mut closed = 0;
        for (owner, id) in open {
            // What the close adds to the analytics: the record as it will be.
            let Some(mut call) = self.read(&owner, call_sk(&id), call_from).await? else {
                continue;
            };
            if call.ended_at.is_some() {
                continue; // ended since the index was read
            }
            call.ended_at = Some(now);
            call.end_reason = Some(EndReason::Interrupted);
            let Some(rollup) = analytics::ended(&owner, &call) else {
                continue;
            };
            // The close is the one conditional write two sweeping servers race on: only its
            // winner frees the slot (itself conditional on the slot being held) and counts it.
            let close = update(
                &self.table,
                key(user_pk(&owner), call_sk(&id)),
                "SET #ended = :now, #reason = :reason, #by = :by, #cause = if_not_exists(#cause, :cause) REMOVE GSI3PK, GSI3SK",
                Some("attribute_exists(PK) AND attribute_not_exists(#ended)".into()),
                &[
                    ("#ended", "ended_at"),
                    ("#reason", "end_reason"),
                    ("#by", "hangup_by"),
                    ("#cause", "sip_cause"),
                ],
                vec![
                    (":now", n(now)),
                    (":reason", s(EndReason::Interrupted.as_str())),
                    (":by", s("system")),
                    (":cause", s("server stopped")),
                ],
            )?;
            match self
                .transact(vec![close, add_rollup(&self.table, &rollup)?])
                .await?
            {
                Ok(()) => {
                    self.release(&owner, &id).await?;
                    closed += 1;
                }
                // Ended meanwhile, or by another server; or another server's sweep is closing
                // it right now (if that one fails, the next sweep finds the call still open).
                Err(reasons)
                    if condition_failed(&reasons, 0)
                        || reasons
                            .iter()
                            .any(|r| r.as_deref() == Some("TransactionConflict")) => {}
                Err(reasons) => return Err(cancelled(&reasons)),
            }
        }
        Ok(closed)
    }

    async fn renew_lease(&self, server: &str, lease_until: u64) -> Result<(), StoreError> {
        let item = ItemBuilder::new(SERVERS_PK, server_sk(server), "server")
            .s("id", server)
            .n("lease_until", lease_until)
            // A server gone for good leaves no item behind.
            .n(
                super::TTL_ATTRIBUTE,
                lease_until / 1000 + super::PURGE_AFTER_S,
            )
            .build();
        self.put(item).await
    }

    async fn live_servers(&self, now: u64) -> Result<Vec<String>, StoreError> {
        let q = Query::on(None, "PK = :pk").value(":pk", SERVERS_PK);
        self.collect(&q, usize::MAX, |item| {
            let a = Attrs::of(item, "server");
            (a.n("lease_until")? > now).then(|| a.s("id")).transpose()
        })
        .await
    }

    async fn set_call_quality(
        &self,
        owner: &str,
        id: &str,
        summary: &Summary,
    ) -> Result<(), StoreError> {
        let Some(call) = self.read(owner, call_sk(id), call_from).await? else {
            return Err(StoreError::NotFound);
        };
        // The first summary kept counts in the analytics, in the same transaction; a later one
        // only replaces it.
        let json = to_json(summary)?;
        let keep = |condition: Option<String>| {
            update(
                &self.table,
                key(user_pk(owner), quality_sk(id)),
                "SET #type = :type, #owner = :owner, #part = :part",
                condition,
                &[("#type", "type"), ("#owner", "owner"), ("#part", "summary")],
                vec![
                    (":type", s("call_quality")),
                    (":owner", s(owner)),
                    (":part", s(json.clone())),
                ],
            )
        };
        let rollup = analytics::quality(owner, &call, summary);
        let mut first = vec![keep(Some("attribute_not_exists(#part)".into()))?];
        if !rollup.1.is_empty() {
            first.push(add_rollup(&self.table, &rollup)?);
        }
        match self.transact(first).await? {
            Ok(()) => Ok(()),
            Err(reasons) if condition_failed(&reasons, 0) => {
                self.set_quality_part(owner, id, "summary", json).await
            }
            Err(reasons) => Err(cancelled(&reasons)),
        }
    }

    async fn set_trunk_reception(
        &self,
        owner: &str,
        id: &str,
        reception: &TrunkReception,
    ) -> Result<(), StoreError> {
        self.set_quality_part(owner, id, "trunk", to_json(reception)?)
            .await
    }

    async fn call_quality(&self, owner: &str, id: &str) -> Result<Option<CallQuality>, StoreError> {
        self.read(owner, quality_sk(id), |item| {
            let attrs = Attrs::of(item, "call quality");
            Ok(CallQuality {
                agent: attrs
                    .opt_s("summary")?
                    .as_deref()
                    .map(from_json)
                    .transpose()?,
                trunk: attrs
                    .opt_s("trunk")?
                    .as_deref()
                    .map(from_json)
                    .transpose()?,
            })
        })
        .await
    }

    async fn list_calls(
        &self,
        owner: &str,
        query: &CallQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<CallRecord>, StoreError> {
        let before: Option<(u64, String)> = cursor.map(cursor::decode).transpose()?;
        let search = Search::new(&query.search);
        let named = if search.is_empty() {
            Vec::new()
        } else {
            self.numbers_named(owner, &search.text).await?
        };
        let q = Query::on(Some("GSI2"), "GSI2PK = :pk AND GSI2SK < :before")
            .value(":pk", format!("USER#{owner}#CALLS"))
            .value(
                ":before",
                match &before {
                    Some((at, id)) => call_order(*at, id),
                    // Above every padded time.
                    None => "A".into(),
                },
            )
            .backward();
        let limit = cursor::page_size(limit);
        let items = self
            .collect(&q, limit + 1, |item| {
                let c = call_from(item)?;
                let found = search.is_empty()
                    || named.contains(&c.e164)
                    || search.matches_number(std::iter::once(c.e164.as_str()));
                Ok((found && c.matches(query.filter)).then_some(c))
            })
            .await?;
        Ok(cursor::page(items, limit, |c| (c.started_at, c.id.clone())))
    }
}

impl DynamoStore {
    /// One part of the call's quality (`summary` or `trunk`) in its item, the other part left
    /// as it is; `NotFound` when the owner has no such call. Calls are never deleted, so one
    /// read first is enough.
    async fn set_quality_part(
        &self,
        owner: &str,
        id: &str,
        part: &'static str,
        json: String,
    ) -> Result<(), StoreError> {
        if self.get(user_pk(owner), call_sk(id)).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(owner), quality_sk(id))))
            .update_expression("SET #type = :type, #owner = :owner, #part = :part")
            .expression_attribute_names("#type", "type")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#part", part)
            .expression_attribute_values(":type", s("call_quality"))
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":part", s(json))
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::calls::Direction;

    #[test]
    fn a_call_item_holds_the_record_and_leaves_absent_values_out() {
        let call = CallRecord {
            id: "c1".into(),
            direction: Direction::Outbound,
            e164: "+6560000001".into(),
            started_at: 5,
            ringing_at: Some(6),
            answered_at: None,
            ended_at: Some(9),
            end_reason: Some(EndReason::NoAnswer),
            hangup_by: Some("remote".into()),
            sip_cause: None,
            recording_id: None,
            provider_call_id: None,
            server: None,
            transferred_to: None,
            transferred_from: None,
        };
        let item = call_item("o", &call).unwrap();
        let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "GSI2PK",
                "GSI2SK",
                "PK",
                "SK",
                "direction",
                "e164",
                "end_reason",
                "ended_at",
                "hangup_by",
                "id",
                "owner",
                "ringing_at",
                "started_at",
                "type"
            ]
        );
        assert_eq!(item["direction"], s("outbound"));
        assert_eq!(item["end_reason"], s("no_answer"));
        assert_eq!(item["started_at"], n(5));
        assert_eq!(call_from(&item).unwrap(), call);

        let mut corrupt = item.clone();
        corrupt.insert("started_at".into(), s("five"));
        assert!(
            matches!(call_from(&corrupt), Err(StoreError::Unavailable(e)) if e.starts_with("call item: ")),
            "a corrupt item is an error, never a default"
        );
    }
}
