//! Users, refresh sessions and reset codes of the local identity provider.

use app::api::ports::{AccountStore, SessionRecord, SessionStanding, StoreError, UserRecord};
use async_trait::async_trait;
use rusqlite::{params, Row};

use super::{execute, insert, matched_a_row, optional_row, SqliteStore};

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        sub: row.get("sub")?,
        email: row.get("email")?,
        password_hash: row.get("password_hash")?,
        created_at: row.get("created_at")?,
        admin: row.get("admin")?,
    })
}

fn session_from_row(row: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.get("id")?,
        sub: row.get("sub")?,
        token_hash: row.get("token_hash")?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        revoked: row.get("revoked")?,
        previous_hash: row.get("previous_hash")?,
        rotated_at: row.get("rotated_at")?,
    })
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        let user = user.clone();
        self.write(move |tx| {
            insert(
                tx,
                "INSERT INTO users (sub, email, password_hash, created_at, admin) \
                 VALUES (?, ?, ?, ?, ?)",
                params![
                    user.sub,
                    user.email,
                    user.password_hash,
                    user.created_at,
                    user.admin
                ],
            )
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let email = email.to_owned();
        self.read(move |c| {
            optional_row(
                c,
                "SELECT * FROM users WHERE email = ?",
                [email],
                user_from_row,
            )
        })
        .await
    }

    async fn user_by_sub(&self, sub: &str) -> Result<Option<UserRecord>, StoreError> {
        let sub = sub.to_owned();
        self.read(move |c| {
            optional_row(c, "SELECT * FROM users WHERE sub = ?", [sub], user_from_row)
        })
        .await
    }

    async fn set_password_hash(&self, sub: &str, hash: &str) -> Result<(), StoreError> {
        let (sub, hash) = (sub.to_owned(), hash.to_owned());
        self.write(move |tx| {
            matched_a_row(execute(
                tx,
                "UPDATE users SET password_hash = ? WHERE sub = ?",
                [hash, sub],
            )?)
        })
        .await
    }

    async fn set_admin(&self, sub: &str, admin: bool) -> Result<(), StoreError> {
        let sub = sub.to_owned();
        self.write(move |tx| {
            matched_a_row(execute(
                tx,
                "UPDATE users SET admin = ? WHERE sub = ?",
                params![admin, sub],
            )?)
        })
        .await
    }

    async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        let s = s.clone();
        self.write(move |tx| {
            insert(
                tx,
                "INSERT INTO sessions (id, sub, token_hash, created_at, expires_at, revoked, previous_hash, rotated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                params![s.id, s.sub, s.token_hash, s.created_at, s.expires_at, s.revoked, s.previous_hash, s.rotated_at],
            )?;
            insert(
                tx,
                "INSERT INTO refresh_tokens (token_hash, session_id) VALUES (?, ?)",
                params![s.token_hash, s.id],
            )
        })
        .await
    }

    async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |c| {
            optional_row(
                c,
                "SELECT s.* FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
                 WHERE r.token_hash = ?",
                [hash],
                session_from_row,
            )
        })
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            optional_row(
                c,
                "SELECT * FROM sessions WHERE id = ?",
                [id],
                session_from_row,
            )
        })
        .await
    }

    async fn rotate_session_token(
        &self,
        session: &SessionRecord,
        new_hash: &str,
        at: u64,
    ) -> Result<bool, StoreError> {
        let (id, old, new) = (
            session.id.clone(),
            session.token_hash.clone(),
            new_hash.to_owned(),
        );
        self.write(move |tx| {
            let rotated = execute(
                tx,
                "UPDATE sessions SET token_hash = ?, previous_hash = token_hash, rotated_at = ?
                 WHERE id = ? AND token_hash = ? AND revoked = 0",
                params![new, at, id, old],
            )?;
            if rotated == 0 {
                return Ok(false);
            }
            insert(
                tx,
                "INSERT INTO refresh_tokens (token_hash, session_id) VALUES (?, ?)",
                params![new, id],
            )?;
            Ok(true)
        })
        .await
    }

    async fn revoke_session(&self, sub: &str, id: &str) -> Result<bool, StoreError> {
        let (sub, id) = (sub.to_owned(), id.to_owned());
        self.write(move |tx| {
            execute(
                tx,
                "UPDATE sessions SET revoked = 1 WHERE id = ? AND sub = ? AND revoked = 0",
                [id, sub],
            )
            .map(|n| n > 0)
        })
        .await
    }

    async fn revoke_sessions(&self, sub: &str) -> Result<u64, StoreError> {
        let sub = sub.to_owned();
        self.write(move |tx| {
            execute(
                tx,
                "UPDATE sessions SET revoked = 1 WHERE sub = ? AND revoked = 0",
                [sub],
            )
            .map(|n| n as u64)
        })
        .await
    }

    async fn put_reset_code(
        &self,
        sub: &str,
        code_hash: &str,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        let (sub, code_hash) = (sub.to_owned(), code_hash.to_owned());
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO reset_codes (sub, code_hash, expires_at, failures) VALUES (?, ?, ?, 0)
                 ON CONFLICT(sub) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, failures = 0",
                params![sub, code_hash, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn reset_code(&self, sub: &str) -> Result<Option<(String, u64, u32)>, StoreError> {
        let sub = sub.to_owned();
        self.read(move |c| {
            optional_row(
                c,
                "SELECT code_hash, expires_at, failures FROM reset_codes WHERE sub = ?",
                [sub],
                |r| {
                    Ok((
                        r.get("code_hash")?,
                        r.get("expires_at")?,
                        r.get("failures")?,
                    ))
                },
            )
        })
        .await
    }

    async fn count_reset_failure(&self, sub: &str) -> Result<(), StoreError> {
        let sub = sub.to_owned();
        self.write(move |tx| {
            execute(
                tx,
                "UPDATE reset_codes SET failures = failures + 1 WHERE sub = ?",
                [sub],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_reset_code(&self, sub: &str) -> Result<(), StoreError> {
        let sub = sub.to_owned();
        self.write(move |tx| {
            execute(tx, "DELETE FROM reset_codes WHERE sub = ?", [sub])?;
            Ok(())
        })
        .await
    }

    async fn put_invite(
        &self,
        email: &str,
        code_hash: &str,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        let (email, code_hash) = (email.to_owned(), code_hash.to_owned());
        self.write(move |tx| {
            execute(
                tx,
                "INSERT INTO invites (email, code_hash, expires_at) VALUES (?, ?, ?)
                 ON CONFLICT(email) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at",
                params![email, code_hash, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn take_invite(
        &self,
        email: &str,
        code_hash: &str,
        now: u64,
    ) -> Result<bool, StoreError> {
        let (email, code_hash) = (email.to_owned(), code_hash.to_owned());
        self.write(move |tx| {
            execute(
                tx,
                "DELETE FROM invites WHERE email = ? AND code_hash = ? AND expires_at > ?",
                params![email, code_hash, now],
            )
            .map(|n| n > 0)
        })
        .await
    }

    async fn session_standing(
        &self,
        sub: &str,
        session_id: &str,
    ) -> Result<SessionStanding, StoreError> {
        let (sub, id) = (sub.to_owned(), session_id.to_owned());
        // One trip to the connection's thread for the three reads: every request pays for it.
        self.read(move |c| {
            Ok(SessionStanding {
                disabled_at: optional_row(
                    c,
                    "SELECT disabled_at FROM disabled_accounts WHERE sub = ?",
                    [&sub],
                    |r| r.get("disabled_at"),
                )?,
                session: optional_row(
                    c,
                    "SELECT * FROM sessions WHERE id = ? AND sub = ?",
                    [&id, &sub],
                    session_from_row,
                )?,
                user: optional_row(
                    c,
                    "SELECT * FROM users WHERE sub = ?",
                    [&sub],
                    user_from_row,
                )?,
            })
        })
        .await
    }

    async fn account_disabled(&self, sub: &str) -> Result<Option<u64>, StoreError> {
        let sub = sub.to_owned();
        self.read(move |c| {
            optional_row(
                c,
                "SELECT disabled_at FROM disabled_accounts WHERE sub = ?",
                [sub],
                |r| r.get("disabled_at"),
            )
        })
        .await
    }

    async fn set_account_disabled(&self, sub: &str, at: Option<u64>) -> Result<bool, StoreError> {
        let sub = sub.to_owned();
        self.write(move |tx| {
            let changed = match at {
                Some(at) => execute(
                    tx,
                    "INSERT INTO disabled_accounts (sub, disabled_at) VALUES (?, ?) \
                     ON CONFLICT(sub) DO NOTHING",
                    params![sub, at],
                )?,
                None => execute(tx, "DELETE FROM disabled_accounts WHERE sub = ?", [sub])?,
            };
            Ok(changed > 0)
        })
        .await
    }
}
