//! Integration tokens: one row each, found by owner (Settings) or by hash (the REST API).

use app::api::ports::{StoreError, TokenRecord, TokenStore};
use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{all_rows, execute, insert, matched_a_row, optional_row, SqliteStore};

fn token_from_row(row: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: row.get("id")?,
        owner: row.get("owner")?,
        email: row.get("email")?,
        name: row.get("name")?,
        scopes: row.get("scopes")?,
        token_hash: row.get("token_hash")?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        last_used_at: row.get("last_used_at")?,
    })
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(
        &self,
        token: &TokenRecord,
        max_per_owner: usize,
    ) -> Result<bool, StoreError> {
        let t = token.clone();
        self.write(move |tx| {
            // Counted in the same write transaction: two creations cannot both pass the cap.
            let held: usize = optional_row(
                tx,
                "SELECT COUNT(*) FROM integration_tokens WHERE owner = ?",
                [&t.owner],
                |r| r.get(0),
            )?
            .unwrap_or(0);
            if held >= max_per_owner {
                return Ok(false);
            }
            insert(
                tx,
                "INSERT INTO integration_tokens (id, owner, email, name, scopes, token_hash, \
                 created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    t.id,
                    t.owner,
                    t.email,
                    t.name,
                    t.scopes,
                    t.token_hash,
                    t.created_at,
                    t.expires_at,
                    t.last_used_at
                ],
            )?;
            Ok(true)
        })
        .await
    }

    async fn list_tokens(&self, owner: &str) -> Result<Vec<TokenRecord>, StoreError> {
        let owner = owner.to_owned();
        self.read(move |c| {
            all_rows(
                c,
                "SELECT * FROM integration_tokens WHERE owner = ? ORDER BY created_at DESC, id DESC",
                [owner],
                token_from_row,
            )
        })
        .await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |c| {
            optional_row(
                c,
                "SELECT * FROM integration_tokens WHERE token_hash = ?",
                [hash],
                token_from_row,
            )
        })
        .await
    }

    async fn revoke_token(&self, owner: &str, id: &str) -> Result<TokenRecord, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.write(move |tx| {
            let token = optional_row(
                tx,
                "SELECT * FROM integration_tokens WHERE owner = ? AND id = ?",
                [&owner, &id],
                token_from_row,
            )?
            .ok_or(StoreError::NotFound)?;
            matched_a_row(execute(
                tx,
                "DELETE FROM integration_tokens WHERE owner = ? AND id = ?",
                [&owner, &id],
            )?)?;
            Ok(token)
        })
        .await
    }

    async fn touch_token(&self, owner: &str, id: &str, at: u64) -> Result<(), StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.write(move |tx| {
            matched_a_row(execute(
                tx,
                "UPDATE integration_tokens SET last_used_at = ? WHERE owner = ? AND id = ?",
                params![at, owner, id],
            )?)
        })
        .await
    }
}
