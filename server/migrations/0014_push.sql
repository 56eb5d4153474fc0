-- Web Push (missed-call notifications, app/src/domain/push.rs): one row per device and browser
-- subscribed, keyed by its endpoint (a capability: stored, never logged); `id` is the
-- endpoint's SHA-256 (base64url), what Settings and the logs name it by.
CREATE TABLE push_subscriptions (
    endpoint   TEXT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    owner      TEXT NOT NULL,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX push_subscriptions_by_owner ON push_subscriptions(owner, created_at);

-- Each user's push settings once changed: quiet hours as minutes after midnight in the agent's
-- time (UTC + utc_offset_minutes); none when quiet_start is NULL.
CREATE TABLE push_settings (
    owner              TEXT PRIMARY KEY,
    quiet_start        INTEGER,
    quiet_end          INTEGER,
    utc_offset_minutes INTEGER,
    time_zone          TEXT
);
