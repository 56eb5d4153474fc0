//! Users, refresh sessions and reset codes of the local identity provider.

use app::api::ports::{AccountStore, SessionRecord, StoreError, UserRecord};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{insert_error, matched_a_row, unavailable, SqliteStore};

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

#[async_trait]
impl AccountStore for SqliteStore {
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
        .map_err(insert_error)?;
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
        matched_a_row(&done)
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
            .map_err(insert_error)?;
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
}
