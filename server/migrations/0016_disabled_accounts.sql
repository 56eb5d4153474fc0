-- Accounts an administrator disabled (`server users disable`, `POST /api/v1/admin/users/{sub}/disable`):
-- keyed by the sub alone, not a column of `users`, because a Cognito user has no row there.
CREATE TABLE disabled_accounts (
    sub TEXT PRIMARY KEY,
    disabled_at INTEGER NOT NULL
);
