//! Web Push subscriptions (one row per endpoint) and each user's push settings.

use app::api::ports::{PushStore, StoreError};
use app::domain::push::{PushSettings, PushSubscription, QuietHours};
use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{all_rows, execute, optional_row, SqliteStore};

fn subscription_from_row(row: &Row<'_>) -> rusqlite::Result<PushSubscription> {
    Ok(PushSubscription {
        id: row.get("id")?,
        owner: row.get("owner")?,
        endpoint: row.get("endpoint")?,
        p256dh: row.get("p256dh")?,
        auth: row.get("auth")?,
        label: row.get("label")?,
        created_at: row.get("created_at")?,
    })
}

#[async_trait]
impl PushStore for SqliteStore {
    async fn put_push_subscription(
        &self,
        subscription: &PushSubscription,
        max_per_owner: usize,
    ) -> Result<(), StoreError> {
        let s = subscription.clone();
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO push_subscriptions (endpoint, id, owner, p256dh, auth, label, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(endpoint) DO UPDATE SET id = excluded.id, owner = excluded.owner,
                   p256dh = excluded.p256dh, auth = excluded.auth, label = excluded.label,
                   created_at = excluded.created_at",
                params![s.endpoint, s.id, s.owner, s.p256dh, s.auth, s.label, s.created_at],
            )?;
            // In the same transaction: the cap holds under concurrent subscribes.
            execute(
                tx,
                "DELETE FROM push_subscriptions WHERE owner = ?1 AND endpoint NOT IN (
                   SELECT endpoint FROM push_subscriptions WHERE owner = ?1
                   ORDER BY created_at DESC, id DESC LIMIT ?2)",
                params![s.owner, max_per_owner as i64],
            )?;
            Ok(())
        })
        .await
    }

    async fn push_subscriptions(&self, owner: &str) -> Result<Vec<PushSubscription>, StoreError> {
        let owner = owner.to_owned();
        self.read(move |c| {
            all_rows(
                c,
                "SELECT * FROM push_subscriptions WHERE owner = ? ORDER BY created_at, id",
                [owner],
                subscription_from_row,
            )
        })
        .await
    }

    async fn delete_push_subscription(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.write(move |tx| {
            Ok(execute(
                tx,
                "DELETE FROM push_subscriptions WHERE owner = ? AND id = ?",
                [owner, id],
            )? > 0)
        })
        .await
    }

    async fn delete_push_endpoint(&self, endpoint: &str) -> Result<bool, StoreError> {
        let endpoint = endpoint.to_owned();
        self.write(move |tx| {
            Ok(execute(
                tx,
                "DELETE FROM push_subscriptions WHERE endpoint = ?",
                [endpoint],
            )? > 0)
        })
        .await
    }

    async fn push_settings(&self, owner: &str) -> Result<PushSettings, StoreError> {
        let owner = owner.to_owned();
        let row = self
            .read(move |c| {
                optional_row(
                    c,
                    "SELECT quiet_start, quiet_end, utc_offset_minutes, time_zone
                     FROM push_settings WHERE owner = ?",
                    [owner],
                    |r| {
                        Ok((
                            r.get::<_, Option<u16>>(0)?,
                            r.get::<_, Option<u16>>(1)?,
                            r.get::<_, Option<i16>>(2)?,
                            r.get::<_, Option<String>>(3)?,
                        ))
                    },
                )
            })
            .await?;
        let quiet_hours = match row {
            Some((Some(start), Some(end), offset, zone)) => Some(QuietHours {
                start,
                end,
                utc_offset_minutes: offset.unwrap_or(0),
                time_zone: zone.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(PushSettings { quiet_hours })
    }

    async fn set_push_settings(
        &self,
        owner: &str,
        settings: &PushSettings,
    ) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        let q = settings.quiet_hours.clone();
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO push_settings (owner, quiet_start, quiet_end, utc_offset_minutes, time_zone)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT(owner) DO UPDATE SET quiet_start = excluded.quiet_start,
                   quiet_end = excluded.quiet_end, utc_offset_minutes = excluded.utc_offset_minutes,
                   time_zone = excluded.time_zone",
                params![
                    owner,
                    q.as_ref().map(|q| q.start),
                    q.as_ref().map(|q| q.end),
                    q.as_ref().map(|q| q.utc_offset_minutes),
                    q.as_ref().map(|q| q.time_zone.clone()),
                ],
            )?;
            Ok(())
        })
        .await
    }
}
