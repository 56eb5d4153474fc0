-- Spend limits (app/src/domain/spend.rs): a user's velocity block and an admin's overrides,
-- one row once either is set. Admission reads the user's calls of the last 24 hours and the
-- open calls of everyone in the same transaction as it inserts the call.
CREATE TABLE spend_state (
    owner        TEXT PRIMARY KEY,
    blocked_rule TEXT,
    blocked_at   INTEGER,
    -- When an admin last lifted a block: the velocity rules count only later calls.
    lifted_at    INTEGER,
    overrides    TEXT NOT NULL DEFAULT '{}'
);

-- Every open call (the global cap): a small partial index.
CREATE INDEX calls_open_by_owner ON calls(owner) WHERE ended_at IS NULL;
-- Whether a user called a number before (the new-destinations rule).
CREATE INDEX calls_by_number ON calls(owner, e164, started_at);
