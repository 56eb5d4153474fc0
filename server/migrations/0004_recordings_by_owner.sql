-- The owner's recordings, newest first (the REST API's list).
CREATE INDEX recordings_by_owner ON recordings(owner, started_at DESC, id DESC);
