-- Call recordings' metadata (the audio is in the recordings store: disk or S3).
CREATE TABLE recordings (
    owner        TEXT NOT NULL,
    id           TEXT NOT NULL,
    call_id      TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    duration_ms  INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    sha256       TEXT,
    format       TEXT NOT NULL,
    consent      TEXT NOT NULL,
    pause_mode   TEXT NOT NULL,
    pauses       TEXT NOT NULL,  -- JSON [{"offset_ms":…,"duration_ms":…}]
    location     TEXT NOT NULL,
    object_key   TEXT NOT NULL,
    retain_until INTEGER NOT NULL,
    state        TEXT NOT NULL,
    upload_id    TEXT,
    waveform     BLOB NOT NULL,
    PRIMARY KEY (owner, id)
);
CREATE INDEX recordings_by_state ON recordings(state, started_at);
CREATE INDEX recordings_by_retention ON recordings(retain_until);

-- Per-user settings kept on the server.
CREATE TABLE preferences (
    owner     TEXT PRIMARY KEY,
    recording TEXT NOT NULL
);
