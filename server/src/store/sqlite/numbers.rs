//! The business's numbers (one row each, the settings as the domain's JSON) and each customer
//! number's last agent (one row per customer number, replaced by a later call only).

use app::api::ports::{NumberStore, StoreError};
use app::domain::inbound::{LastAgent, OwnedNumber};
use async_trait::async_trait;
use rusqlite::params;

use super::{all_rows, execute, matched_a_row, optional_row, SqliteStore};

fn number_from_json(json: String) -> Result<OwnedNumber, StoreError> {
    serde_json::from_str(&json)
        .map_err(|e| StoreError::Unavailable(format!("owned number settings: {e}")))
}

#[async_trait]
impl NumberStore for SqliteStore {
    async fn put_number(&self, number: &OwnedNumber) -> Result<(), StoreError> {
        let settings = serde_json::to_string(number)
            .map_err(|e| StoreError::Unavailable(format!("owned number settings: {e}")))?;
        let (e164, updated_at) = (number.e164.clone(), number.updated_at);
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO owned_numbers (e164, settings, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT(e164) DO UPDATE SET settings = excluded.settings,
                   updated_at = excluded.updated_at",
                params![e164, settings, updated_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_number(&self, e164: &str) -> Result<Option<OwnedNumber>, StoreError> {
        let e164 = e164.to_owned();
        let json: Option<String> = self
            .read(move |c| {
                optional_row(
                    c,
                    "SELECT settings FROM owned_numbers WHERE e164 = ?",
                    [e164],
                    |r| r.get(0),
                )
            })
            .await?;
        json.map(number_from_json).transpose()
    }

    async fn list_numbers(&self) -> Result<Vec<OwnedNumber>, StoreError> {
        let rows: Vec<String> = self
            .read(|c| {
                all_rows(
                    c,
                    "SELECT settings FROM owned_numbers ORDER BY e164",
                    [],
                    |r| r.get(0),
                )
            })
            .await?;
        rows.into_iter().map(number_from_json).collect()
    }

    async fn delete_number(&self, e164: &str) -> Result<(), StoreError> {
        let e164 = e164.to_owned();
        self.write(move |tx| {
            matched_a_row(execute(
                tx,
                "DELETE FROM owned_numbers WHERE e164 = ?",
                [e164],
            )?)
        })
        .await
    }

    async fn set_last_agent(
        &self,
        customer_e164: &str,
        owner: &str,
        at: u64,
    ) -> Result<(), StoreError> {
        let (customer, owner) = (customer_e164.to_owned(), owner.to_owned());
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO last_agents (customer, owner, at) VALUES (?, ?, ?)
                 ON CONFLICT(customer) DO UPDATE SET owner = excluded.owner, at = excluded.at
                 WHERE excluded.at >= last_agents.at",
                params![customer, owner, at],
            )?;
            Ok(())
        })
        .await
    }

    async fn last_agent(&self, customer_e164: &str) -> Result<Option<LastAgent>, StoreError> {
        let customer = customer_e164.to_owned();
        self.read(move |c| {
            optional_row(
                c,
                "SELECT owner, at FROM last_agents WHERE customer = ?",
                [customer],
                |r| {
                    Ok(LastAgent {
                        owner: r.get(0)?,
                        at: r.get(1)?,
                    })
                },
            )
        })
        .await
    }
}
