-- Local identity: users, refresh sessions, password-reset codes.
CREATE TABLE users (
    sub           TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    sub        TEXT NOT NULL REFERENCES users(sub) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_sub ON sessions(sub);

CREATE TABLE reset_codes (
    sub        TEXT PRIMARY KEY REFERENCES users(sub) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    failures   INTEGER NOT NULL DEFAULT 0
);

-- Contacts, owner-scoped; numbers in their own table for look-up by number.
CREATE TABLE contacts (
    owner      TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL,
    company    TEXT NOT NULL,
    notes      TEXT NOT NULL,
    favourite  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (owner, id)
);
CREATE INDEX contacts_by_name ON contacts(owner, name_key, id);

CREATE TABLE contact_numbers (
    owner      TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    position   INTEGER NOT NULL,
    label      TEXT NOT NULL,
    e164       TEXT NOT NULL,
    PRIMARY KEY (owner, contact_id, position),
    FOREIGN KEY (owner, contact_id) REFERENCES contacts(owner, id) ON DELETE CASCADE
);
CREATE INDEX contact_numbers_by_number ON contact_numbers(owner, e164);

-- The call log.
CREATE TABLE calls (
    owner        TEXT NOT NULL,
    id           TEXT NOT NULL,
    direction    TEXT NOT NULL,
    e164         TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    answered_at  INTEGER,
    ended_at     INTEGER,
    end_reason   TEXT,
    hangup_by    TEXT,
    sip_cause    TEXT,
    recording_id TEXT,
    PRIMARY KEY (owner, id)
);
CREATE INDEX calls_by_time ON calls(owner, started_at DESC, id DESC);

CREATE TABLE audit_events (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    owner  TEXT NOT NULL,
    at     INTEGER NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_by_owner ON audit_events(owner, seq);
