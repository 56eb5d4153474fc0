//! Recording metadata: in the owner's partition, listed newest first through GSI2; GSI3 finds
//! recordings by state (start-up recovery) and the sparse GSI1 finds expired ones (retention).

use std::collections::HashMap;

use app::api::ports::{CallStore, Page, RecordingMetadataStore, StoreError};
use app::domain::recordings::{ConsentNotice, Pause, Recording, RecordingState};
use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::calls::call_sk;
use super::item::{build_error, delete, key, n, s, Attrs, Item, ItemBuilder};
use super::{padded, user_pk, DynamoStore, Query};
use crate::store::cursor;

fn recording_sk(id: &str) -> String {
    format!("REC#{id}")
}

// Hand-written rather than serde: the waveform is binary (`B`, left out when empty) where serde
// writes a list of numbers, `key` is kept as `object_key`, and only some attributes index.
fn recording_item(owner: &str, r: &Recording) -> Item {
    let pauses = r
        .pauses
        .iter()
        .map(|p| {
            AttributeValue::M(HashMap::from([
                ("offset_ms".to_string(), n(p.offset_ms)),
                ("duration_ms".to_string(), n(p.duration_ms)),
            ]))
        })
        .collect();
    let mut item = ItemBuilder::new(user_pk(owner), recording_sk(&r.id), "recording")
        .s("owner", owner)
        .s("id", &r.id)
        .s("call_id", &r.call_id)
        .n("started_at", r.started_at)
        .opt_n("ended_at", r.ended_at)
        .n("duration_ms", r.duration_ms)
        .n("bytes", r.bytes)
        .opt_s("sha256", r.sha256.as_deref())
        .s("format", &r.format)
        .s(
            "consent",
            match r.consent {
                ConsentNotice::Tone => "tone",
                ConsentNotice::ToneAndSpoken => "tone_and_spoken",
            },
        )
        .s("pause_mode", &r.pause_mode)
        .set("pauses", AttributeValue::L(pauses))
        .s("location", &r.location)
        .s("object_key", &r.key)
        .n("retain_until", r.retain_until)
        .s("state", r.state.as_str())
        .opt_s("upload_id", r.upload_id.as_deref())
        .index(
            "GSI2",
            format!("USER#{owner}#RECS"),
            format!("{}#{}", padded(r.started_at), r.id),
        )
        .index(
            "GSI3",
            format!("RECSTATE#{}", r.state.as_str()),
            format!("{}#{}", padded(r.started_at), r.id),
        );
    if !r.waveform.is_empty() {
        item = item.set("waveform", AttributeValue::B(Blob::new(r.waveform.clone())));
    }
    if r.state != RecordingState::Recording {
        // Sparse: the retention job never sees a recording still being made.
        item = item.index(
            "GSI1",
            "RETAIN",
            format!("{}#{}", padded(r.retain_until), r.id),
        );
    }
    item.build()
}

fn recording_from(item: &Item) -> Result<Recording, StoreError> {
    let a = Attrs::of(item, "recording");
    let pauses = a
        .list("pauses")?
        .iter()
        .map(|v| match v {
            AttributeValue::M(m) => {
                let m = Attrs::of(m, "recording pause");
                Ok(Pause {
                    offset_ms: m.n("offset_ms")?,
                    duration_ms: m.n("duration_ms")?,
                })
            }
            _ => Err(a.corrupt("pauses")),
        })
        .collect::<Result<_, _>>()?;
    Ok(Recording {
        id: a.s("id")?,
        call_id: a.s("call_id")?,
        started_at: a.n("started_at")?,
        ended_at: a.opt_n("ended_at")?,
        duration_ms: a.n("duration_ms")?,
        bytes: a.n("bytes")?,
        sha256: a.opt_s("sha256")?,
        format: a.s("format")?,
        consent: match a.s("consent")?.as_str() {
            "tone" => ConsentNotice::Tone,
            "tone_and_spoken" => ConsentNotice::ToneAndSpoken,
            _ => return Err(a.corrupt("consent")),
        },
        pause_mode: a.s("pause_mode")?,
        pauses,
        location: a.s("location")?,
        key: a.s("object_key")?,
        retain_until: a.n("retain_until")?,
        state: RecordingState::parse(&a.s("state")?).ok_or_else(|| a.corrupt("state"))?,
        upload_id: a.opt_s("upload_id")?,
        waveform: a.bytes("waveform")?,
    })
}

fn owned_recording(item: &Item) -> Result<(String, Recording), StoreError> {
    Ok((
        Attrs::of(item, "recording").s("owner")?,
        recording_from(item)?,
    ))
}

#[async_trait]
impl RecordingMetadataStore for DynamoStore {
    async fn insert_recording(&self, owner: &str, recording: &Recording) -> Result<(), StoreError> {
        self.create(recording_item(owner, recording)).await
    }

    async fn update_recording(&self, owner: &str, recording: &Recording) -> Result<(), StoreError> {
        self.replace(recording_item(owner, recording)).await
    }

    async fn get_recording(&self, owner: &str, id: &str) -> Result<Option<Recording>, StoreError> {
        self.read(owner, recording_sk(id), recording_from).await
    }

    async fn delete_recording(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let recording = self
            .get_recording(owner, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut items = vec![delete(&self.table, key(user_pk(owner), recording_sk(id)))?];
        let linked = self
            .get_call(owner, &recording.call_id)
            .await?
            .is_some_and(|c| c.recording_id.as_deref() == Some(id));
        if linked {
            let unlink = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(user_pk(owner), call_sk(&recording.call_id))))
                .update_expression("REMOVE #rec")
                .condition_expression("#rec = :id")
                .expression_attribute_names("#rec", "recording_id")
                .expression_attribute_values(":id", s(id))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().update(unlink).build());
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            // The call changed between the read and the write: let the caller try again.
            Err(_) => Err(StoreError::Conflict),
        }
    }

    async fn list_recordings(
        &self,
        owner: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Recording>, StoreError> {
        let before: Option<(u64, String)> = cursor.map(cursor::decode).transpose()?;
        let q = Query::on(Some("GSI2"), "GSI2PK = :pk AND GSI2SK < :before")
            .value(":pk", format!("USER#{owner}#RECS"))
            .value(
                ":before",
                match &before {
                    Some((at, id)) => format!("{}#{id}", padded(*at)),
                    None => "A".into(),
                },
            )
            .backward();
        let limit = cursor::page_size(limit);
        let items = self
            .collect(&q, limit + 1, |item| recording_from(item).map(Some))
            .await?;
        Ok(cursor::page(items, limit, |r| (r.started_at, r.id.clone())))
    }

    async fn recordings_in_state(
        &self,
        state: RecordingState,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError> {
        let q = Query::on(Some("GSI3"), "GSI3PK = :pk")
            .value(":pk", format!("RECSTATE#{}", state.as_str()));
        self.collect(&q, limit.clamp(1, 1000), |item| {
            owned_recording(item).map(Some)
        })
        .await
    }

    async fn expired_recordings(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError> {
        let q = Query::on(Some("GSI1"), "GSI1PK = :pk AND GSI1SK < :now")
            .value(":pk", "RETAIN")
            .value(":now", padded(now));
        self.collect(&q, limit.clamp(1, 1000), |item| {
            owned_recording(item).map(Some)
        })
        .await
    }
}
