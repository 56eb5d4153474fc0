-- Refresh tokens rotate on use (server/src/identity/local.rs): a session is a family of refresh
-- tokens and `token_hash` its current one. Every hash the family ever had still finds it, so a
-- token presented again after its rotation is recognised as reuse and revokes the family.
ALTER TABLE sessions ADD COLUMN previous_hash TEXT;
ALTER TABLE sessions ADD COLUMN rotated_at INTEGER;

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);
INSERT INTO refresh_tokens (token_hash, session_id) SELECT token_hash, id FROM sessions;

-- Invitations to sign up (SOFTPHONE_SIGNUP=invite; `server users invite <email>`): the code's
-- hash, bound to the email, used up by the sign-up it admits.
CREATE TABLE invites (
    email      TEXT PRIMARY KEY,
    code_hash  TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
