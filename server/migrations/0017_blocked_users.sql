-- The users whose calls are blocked now (a velocity rule, or a new account awaiting approval),
-- oldest first, for the administrator's page: a small partial index of the blocked rows only.
CREATE INDEX spend_state_blocked ON spend_state(blocked_at, owner) WHERE blocked_rule IS NOT NULL;
