//! Ports: what server functions need from the outside world. Adapters in the `server` crate
//! implement them (SQLite or DynamoDB, local identity or Cognito…); server functions reach
//! them through [`Services`] in the Leptos context and never name a back end.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::auth::PasswordProblem;
use crate::domain::calls::{CallFilter, CallRecord};
use crate::domain::contacts::Contact;
use crate::domain::numbers::Classifier;
use crate::domain::recordings::{Preferences, Recording, RecordingState};

/// Milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> u64;
}

/// The signed-in user, as proven by a verified access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user's stable id (Cognito `sub`); every record is scoped to it.
    pub sub: String,
    pub email: String,
    /// Cognito groups the user is in (`cognito:groups`); `admin` is the administrator role.
    pub groups: Vec<String>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == "admin")
    }
}

/// The access token the request was authenticated with (Cognito's `GlobalSignOut` needs the
/// user's own). Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(pub String);

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(…)")
    }
}

/// The client's address, as seen by the server (for throttling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

// ---------------------------------------------------------------------------------------------
// Store

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    /// A conditional write lost: the record changed since it was read.
    #[error("changed by someone else")]
    Conflict,
    #[error("the cursor is not valid for this query")]
    BadCursor,
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// A page of results; `next` is an opaque cursor for the following page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactQuery {
    /// Matches name, company or any number (digits anywhere in it).
    pub search: String,
    pub favourites_only: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallQuery {
    pub filter: CallFilter,
    /// Matches the number (digits) or the contact's name.
    pub search: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub sub: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: u64,
}

/// A refresh session (local identity): the refresh token is kept only as a hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub sub: String,
    pub token_hash: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub revoked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: u64,
    /// e.g. `sign_in`, `contact_deleted`
    pub action: String,
    pub detail: String,
}

/// Writes an audit entry. A failure is logged, never returned: the action it records has
/// happened already and must not be undone or reported as failed because of the trail.
pub async fn write_audit(store: &dyn Store, owner: &str, at: u64, action: &str, detail: String) {
    let event = AuditEvent {
        at,
        action: action.into(),
        detail,
    };
    if let Err(e) = store.audit(owner, &event).await {
        tracing::error!(error = %e, action, "audit entry not written");
    }
}

/// Owner-scoped persistence. `owner` is always the caller's `sub`; no method reads or writes
/// across owners. Shaped for DynamoDB too: keys are (owner, id), lists are cursor-paged, writes
/// are conditional.
#[async_trait]
pub trait Store: Send + Sync {
    /// "sqlite" or "dynamodb" (for `/readyz` and the logs).
    fn kind(&self) -> &'static str;
    async fn ping(&self) -> Result<(), StoreError>;

    // Users and sessions of the local identity provider.
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError>;
    async fn user_by_sub(&self, sub: &str) -> Result<Option<UserRecord>, StoreError>;
    async fn set_password_hash(&self, sub: &str, hash: &str) -> Result<(), StoreError>;
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError>;
    async fn revoke_sessions(&self, sub: &str) -> Result<u64, StoreError>;
    /// Stores the hash of a password-reset code, replacing any earlier one.
    async fn put_reset_code(
        &self,
        sub: &str,
        code_hash: &str,
        expires_at: u64,
    ) -> Result<(), StoreError>;
    /// Removes and returns the reset code hash and its expiry, and how many wrong tries it had.
    async fn reset_code(&self, sub: &str) -> Result<Option<(String, u64, u32)>, StoreError>;
    async fn count_reset_failure(&self, sub: &str) -> Result<(), StoreError>;
    async fn delete_reset_code(&self, sub: &str) -> Result<(), StoreError>;

    // Contacts.
    /// Fails with `AlreadyExists` if the id is taken (idempotent create).
    async fn insert_contact(&self, owner: &str, contact: &Contact) -> Result<(), StoreError>;
    /// Replaces the contact if its stored version is `expected_version`; `Conflict` otherwise.
    async fn update_contact(
        &self,
        owner: &str,
        contact: &Contact,
        expected_version: u64,
    ) -> Result<(), StoreError>;
    async fn get_contact(&self, owner: &str, id: &str) -> Result<Option<Contact>, StoreError>;
    async fn delete_contact(&self, owner: &str, id: &str) -> Result<Contact, StoreError>;
    /// Sorted by name (case-insensitive), then id.
    async fn list_contacts(
        &self,
        owner: &str,
        query: &ContactQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Contact>, StoreError>;
    async fn contact_by_number(
        &self,
        owner: &str,
        e164: &str,
    ) -> Result<Option<Contact>, StoreError>;

    // Call records (written by the call lifecycle only).
    async fn insert_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError>;
    async fn update_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError>;
    async fn get_call(&self, owner: &str, id: &str) -> Result<Option<CallRecord>, StoreError>;
    /// At start-up, before any call can be placed: closes every call left open by a stopped
    /// server (all owners) as interrupted at `now`. Returns how many.
    async fn close_open_calls(&self, now: u64) -> Result<u64, StoreError>;
    /// Newest first.
    async fn list_calls(
        &self,
        owner: &str,
        query: &CallQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<CallRecord>, StoreError>;

    // Recording metadata (written by the recorder; the audio is in [`Recordings`]).
    /// Fails with `AlreadyExists` if the id is taken.
    async fn insert_recording(&self, owner: &str, recording: &Recording) -> Result<(), StoreError>;
    /// `NotFound` if there is no such recording of this owner.
    async fn update_recording(&self, owner: &str, recording: &Recording) -> Result<(), StoreError>;
    async fn get_recording(&self, owner: &str, id: &str) -> Result<Option<Recording>, StoreError>;
    /// The owner's recordings, newest first.
    async fn list_recordings(
        &self,
        owner: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Recording>, StoreError>;
    /// Removes the metadata and the call record's link to it.
    async fn delete_recording(&self, owner: &str, id: &str) -> Result<(), StoreError>;
    /// All owners: recordings in `state`, oldest first (start-up recovery).
    async fn recordings_in_state(
        &self,
        state: RecordingState,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError>;
    /// All owners: recordings to be deleted because their retention ended before `now`,
    /// oldest first (the retention job).
    async fn expired_recordings(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, Recording)>, StoreError>;

    // Per-user settings (defaults until the user changes them).
    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError>;
    async fn set_preferences(
        &self,
        owner: &str,
        preferences: &Preferences,
    ) -> Result<(), StoreError>;

    // Audit trail.
    async fn audit(&self, owner: &str, event: &AuditEvent) -> Result<(), StoreError>;
    async fn list_audit(&self, owner: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError>;
}

// ---------------------------------------------------------------------------------------------
// Identity

/// Tokens as Cognito's `InitiateAuth` returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    /// Absent when refreshing (Cognito does not rotate refresh tokens by default).
    pub refresh_token: Option<String>,
    /// Seconds the access and ID tokens live.
    pub expires_in: u64,
    /// Seconds the refresh token lives.
    pub refresh_expires_in: u64,
}

/// Where a password-reset code went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ResetDelivery {
    /// Local identity: written to the server log for the operator.
    ServerLog,
    Email,
}

/// What a new account needs before it can sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignUpNext {
    /// Nothing: sign in now (local identity).
    SignIn,
    /// The code sent to `destination` (masked, e.g. `a***@e***.com`) confirms the account.
    ConfirmCode { destination: String },
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// Wrong email or password; never says which.
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("not a valid email address")]
    InvalidEmail,
    #[error("password does not meet the policy")]
    WeakPassword(Vec<PasswordProblem>),
    #[error("an account with this email exists")]
    EmailTaken,
    #[error("reset code is wrong or expired")]
    InvalidResetCode,
    /// Signed up, but the emailed confirmation code has not been entered yet.
    #[error("account not confirmed")]
    NotConfirmed,
    #[error("confirmation code is wrong or expired")]
    InvalidConfirmationCode,
    /// The administrator requires a new password (Cognito): the reset flow sets one.
    #[error("a new password is required")]
    PasswordResetRequired,
    #[error("session expired")]
    SessionExpired,
    #[error("token rejected: {0}")]
    InvalidToken(String),
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
}

/// The email as every identity provider keeps it (trimmed, lower case), or `InvalidEmail`.
pub fn account_email(email: &str) -> Result<String, AuthError> {
    crate::domain::auth::normalise_email(email).ok_or(AuthError::InvalidEmail)
}

/// A new password must meet the policy (Cognito's default, which every provider applies).
pub fn check_new_password(password: &str) -> Result<(), AuthError> {
    let problems = crate::domain::auth::password_problems(password);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AuthError::WeakPassword(problems))
    }
}

#[async_trait]
pub trait Identity: Send + Sync {
    /// "local" or "cognito" (for `/readyz` and the logs).
    fn kind(&self) -> &'static str;
    /// Whether tokens can be issued and verified now (Cognito: its JWKS is reachable).
    async fn ping(&self) -> Result<(), AuthError>;
    async fn sign_up(
        &self,
        email: &str,
        password: &str,
        from: ClientAddr,
    ) -> Result<SignUpNext, AuthError>;
    /// Confirms a new account with the code sent to its email.
    async fn confirm_sign_up(
        &self,
        email: &str,
        code: &str,
        from: ClientAddr,
    ) -> Result<(), AuthError>;
    /// Sends the confirmation code again; returns where it went (masked).
    async fn resend_confirmation(&self, email: &str, from: ClientAddr)
        -> Result<String, AuthError>;
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        from: ClientAddr,
    ) -> Result<Tokens, AuthError>;
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AuthError>;
    /// Revokes every refresh token of the user (Cognito `GlobalSignOut`, which takes the
    /// user's own access token).
    async fn sign_out(&self, principal: &Principal, access_token: &str) -> Result<(), AuthError>;
    /// Always succeeds for a well-formed email, whether or not an account exists.
    async fn forgot_password(
        &self,
        email: &str,
        from: ClientAddr,
    ) -> Result<ResetDelivery, AuthError>;
    async fn confirm_forgot_password(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
        from: ClientAddr,
    ) -> Result<(), AuthError>;
    /// Verifies an access token (signature, issuer, audience/client, `token_use`, expiry).
    async fn verify_access(&self, token: &str) -> Result<Principal, AuthError>;
}

// ---------------------------------------------------------------------------------------------
// Telephony

/// Where a call was placed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOrigin {
    /// A tab of the app dialled it and carries its audio.
    App,
    /// The REST API placed it; the user's open app takes it up.
    Api,
}

/// Places calls (the call path in `docs/architecture.md`): the embedded gateway + simulator,
/// the gateway + a Voice Connector, or Chime PSTN Audio. Server functions decide *whether* a
/// call may be placed; the provider runs it from then on and writes its record as it goes.
#[async_trait]
pub trait Telephony: Send + Sync {
    /// Whether calls can be placed at all on this server.
    fn available(&self) -> bool;
    /// Whether `owner` has the app open (a live channel), to take up a call placed from
    /// elsewhere (the REST API): the call's audio is in the app.
    fn has_live_connection(&self, owner: &str) -> bool;
    /// Takes over a call whose record was just written (state: dialing). The browser's offer
    /// follows on the live channel; without one the call ends as failed. `origin` says which
    /// browser offers: the tab that dialled, or (placed through the REST API) any of the
    /// user's tabs that takes it up first.
    async fn begin(&self, owner: &str, record: CallRecord, origin: CallOrigin);
}

// ---------------------------------------------------------------------------------------------
// Recordings

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RecordingsError {
    #[error("no such recording in the store")]
    NotFound,
    #[error("recordings store unavailable: {0}")]
    Unavailable(String),
    /// The local spool file (the recording being written) could not be read.
    #[error("recording file: {0}")]
    Spool(String),
}

/// An upload in progress: the object grows as the spool file does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upload {
    /// The S3 multipart upload id (none for the disk store).
    pub id: Option<String>,
    /// ETags of the parts sent so far, in order.
    pub parts: Vec<String>,
    /// Bytes of the spool file already in those parts.
    pub sent: u64,
}

/// How a recording is played back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Playback {
    /// A local file the server streams itself (range-capable).
    File(std::path::PathBuf),
    /// A short-lived URL straight to the object (S3 presigned GET).
    Url { url: String, expires_at: u64 },
}

/// Where recordings are kept (`docs/recording.md`): local disk (default) or S3. Audio is
/// written to a local spool file while the call runs (crash-safe WAV, see `telephony::wav`);
/// the store takes it as it grows ([`Recordings::upload_progress`]) and for good at the end
/// ([`Recordings::complete`]).
#[async_trait]
pub trait Recordings: Send + Sync {
    /// "disk" or "s3".
    fn kind(&self) -> &'static str;
    /// Whether recordings can be written now (the directory, or the bucket).
    async fn ping(&self) -> Result<(), RecordingsError>;
    /// The directory the spool files are written in (on this server's disk).
    fn spool_dir(&self) -> std::path::PathBuf;
    /// Where `key` is, for the metadata: `disk:<key>` or `s3://<bucket>/<key>`.
    fn location(&self, key: &str) -> String;
    /// Starts storing `key`.
    async fn begin(&self, key: &str) -> Result<Upload, RecordingsError>;
    /// Sends what the spool file has gained since the last call, in whole parts.
    async fn upload_progress(
        &self,
        key: &str,
        upload: &mut Upload,
        spool: &std::path::Path,
    ) -> Result<(), RecordingsError>;
    /// Stores the finished spool file as `key` (the header at its start has changed since the
    /// first part went) and removes the spool file. Returns the stored size.
    async fn complete(
        &self,
        key: &str,
        upload: Upload,
        spool: &std::path::Path,
    ) -> Result<u64, RecordingsError>;
    /// Gives up an upload that will never complete (crash recovery).
    async fn abort(&self, key: &str, upload_id: &str) -> Result<(), RecordingsError>;
    /// The stored size of `key`, or `None` if it is not there.
    async fn size(&self, key: &str) -> Result<Option<u64>, RecordingsError>;
    /// The whole object (checks and recovery; users get [`Recordings::playback`]).
    async fn fetch(&self, key: &str) -> Result<Vec<u8>, RecordingsError>;
    /// How the owner plays `key` back; a URL expires within 5 minutes of `now`. `download`
    /// asks for a file to save (`filename`) rather than to play.
    async fn playback(
        &self,
        key: &str,
        now: u64,
        download: Option<&str>,
    ) -> Result<Playback, RecordingsError>;
    /// Deletes `key`; a key that is not there is not an error.
    async fn delete(&self, key: &str) -> Result<(), RecordingsError>;
}

// ---------------------------------------------------------------------------------------------

/// Everything server functions may use, provided once through the Leptos context.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub identity: Arc<dyn Identity>,
    /// The authoritative number classifier (libphonenumber metadata).
    pub numbers: Arc<dyn Classifier + Send + Sync>,
    pub clock: Arc<dyn Clock>,
    pub telephony: Arc<dyn Telephony>,
    pub recordings: Arc<dyn Recordings>,
    /// Attempt limits and the one-active-call rule, in this process.
    pub call_guard: Arc<std::sync::Mutex<crate::domain::guards::CallGuard>>,
    /// Whether session cookies carry `Secure` (off only for plain http on loopback).
    pub secure_cookies: bool,
}
