-- How each call sounded to its agent (the browser's summary, docs/quality.md), kept apart from
-- the call's row, which the call's session rewrites: one JSON document per call.
CREATE TABLE call_quality (
    owner   TEXT NOT NULL,
    call_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (owner, call_id)
);
