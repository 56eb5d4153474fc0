//! The store port, one trait per aggregate: accounts of the local identity provider, contacts,
//! call records, recording metadata, preferences, the audit trail and the business's numbers. A caller that needs one
//! aggregate takes that trait; [`Store`] is all of them in one object (what the server wires up
//! and hands to the server functions). Every store adapter implements each part and passes the
//! same conformance suite (`testkit/src/store/`, described in `docs/testing.md`).
//!
//! Owner-scoped throughout: `owner` is always the caller's `sub`; no method reads or writes
//! across owners except the start-up, lease and retention sweeps, which say so. Shaped for DynamoDB
//! too: keys are (owner, id), lists are cursor-paged, writes are conditional.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::domain::calls::{CallFilter, CallRecord};
use crate::domain::contacts::Contact;
use crate::domain::inbound::{LastAgent, OwnedNumber};
use crate::domain::push::{PushSettings, PushSubscription};
use crate::domain::recordings::{Preferences, Recording, RecordingState};
use crate::domain::spend::{Admission, Block, SpendOverrides, SpendPolicy, SpendRefusal};

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

/// An account of the local identity provider. The serde fields are the attributes the DynamoDB
/// store keeps (docs/dynamodb.md).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserRecord {
    pub sub: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: u64,
    /// The administrator role (`server users grant-admin`): the account's access tokens carry
    /// the `admin` group, as Cognito's do for its `admin` group.
    #[serde(default)]
    pub admin: bool,
}

/// A refresh session (local identity): the refresh token is kept only as a hash. The serde
/// fields are the attributes the DynamoDB store keeps.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    pub id: String,
    pub sub: String,
    pub token_hash: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub revoked: bool,
    /// The refresh token `token_hash` replaced (rotation) and when: a request racing the one
    /// that rotated may still present it for a few seconds (see `LocalIdentity::refresh`).
    #[serde(default)]
    pub previous_hash: Option<String>,
    #[serde(default)]
    pub rotated_at: Option<u64>,
}

/// One entry of a user's audit trail. The serde fields are the attributes the DynamoDB store
/// keeps.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    pub at: u64,
    /// e.g. `sign_in`, `contact_deleted`
    pub action: String,
    pub detail: String,
}

/// Writes an audit entry. A failure is logged, never returned: the action it records has
/// happened already and must not be undone or reported as failed because of the trail.
pub async fn write_audit(
    store: &dyn AuditStore,
    owner: &str,
    at: u64,
    action: &str,
    detail: String,
) {
    let event = AuditEvent {
        at,
        action: action.into(),
        detail,
    };
    if let Err(e) = store.audit(owner, &event).await {
        tracing::error!(error = %e, action, "audit entry not written");
    }
}

/// Which back end this is, and whether it answers.
#[async_trait]
pub trait StoreBackend: Send + Sync {
    /// "sqlite" or "dynamodb" (for `/readyz` and the logs).
    fn kind(&self) -> &'static str;
    async fn ping(&self) -> Result<(), StoreError>;
}

/// What checking a local access token reads ([`AccountStore::session_standing`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionStanding {
    /// When an administrator disabled the account, if they did.
    pub disabled_at: Option<u64>,
    /// The sign-in session the token came from, if it is the account's and still kept.
    pub session: Option<SessionRecord>,
    pub user: Option<UserRecord>,
}

/// Users, refresh sessions and password-reset codes of the local identity provider, and which
/// accounts (of either provider) an administrator disabled.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with `AlreadyExists` if the sub or the email is taken.
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError>;
    async fn user_by_sub(&self, sub: &str) -> Result<Option<UserRecord>, StoreError>;
    async fn set_password_hash(&self, sub: &str, hash: &str) -> Result<(), StoreError>;
    /// Grants or revokes the administrator role; `NotFound` if there is no such user.
    async fn set_admin(&self, sub: &str, admin: bool) -> Result<(), StoreError>;
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    /// The session any of its refresh tokens ever belonged to (the current one is
    /// `token_hash`; an older one found here is a reused token).
    async fn session_by_token_hash(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Rotation: replaces the session's current refresh token hash, `session.token_hash`, by
    /// `new_hash`, keeping the old one as `previous_hash` rotated `at`; the old hash still finds
    /// the session. `Ok(false)`, changing nothing, if the session is revoked or its current
    /// hash is no longer `session.token_hash` (another request rotated it first).
    async fn rotate_session_token(
        &self,
        session: &SessionRecord,
        new_hash: &str,
        at: u64,
    ) -> Result<bool, StoreError>;
    /// Revokes one session (a refresh-token family); `Ok(false)` if it was revoked already or
    /// does not exist.
    async fn revoke_session(&self, sub: &str, id: &str) -> Result<bool, StoreError>;
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
    /// Stores the hash of an invitation to sign up as `email`, replacing any earlier one.
    async fn put_invite(
        &self,
        email: &str,
        code_hash: &str,
        expires_at: u64,
    ) -> Result<(), StoreError>;
    /// Uses up the invitation for `email` if its hash is `code_hash` and it has not expired at
    /// `now`: `true` once, atomically. A wrong code leaves the invitation as it was.
    async fn take_invite(&self, email: &str, code_hash: &str, now: u64)
        -> Result<bool, StoreError>;
    /// When an administrator disabled the account `sub`, if it is disabled. Kept for any
    /// identity provider (a Cognito user has no [`UserRecord`] here), keyed by the sub alone.
    async fn account_disabled(&self, sub: &str) -> Result<Option<u64>, StoreError>;
    /// Disables the account `sub` as of `at` (`Some`), or enables it again (`None`); `false`
    /// when it was so already (a disabled account keeps its first `at`).
    async fn set_account_disabled(&self, sub: &str, at: Option<u64>) -> Result<bool, StoreError>;
    /// Everything every request's local access token is checked against, in one call: whether
    /// `sub` is disabled, its session `session_id` (`None` if it is another account's), and its
    /// user. A back end reads them together where it can (SQLite: one trip to its thread;
    /// DynamoDB: one `BatchGetItem`); this default reads them one by one.
    async fn session_standing(
        &self,
        sub: &str,
        session_id: &str,
    ) -> Result<SessionStanding, StoreError> {
        Ok(SessionStanding {
            disabled_at: self.account_disabled(sub).await?,
            session: self.session(session_id).await?.filter(|s| s.sub == sub),
            user: self.user_by_sub(sub).await?,
        })
    }
}

/// The owner's address book.
#[async_trait]
pub trait ContactStore: Send + Sync {
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
    /// The contact with this number: a favourite first, then by name, then id.
    async fn contact_by_number(
        &self,
        owner: &str,
        e164: &str,
    ) -> Result<Option<Contact>, StoreError>;
    /// For each of `numbers` that has one, the contact [`Self::contact_by_number`] gives, keyed
    /// by the number: a page of Recents names its calls in one look-up, not one per call.
    async fn contacts_by_numbers(
        &self,
        owner: &str,
        numbers: &[&str],
    ) -> Result<HashMap<String, Contact>, StoreError>;
}

/// Call records (written by the call lifecycle only). A search also matches the name of the
/// owner's contact with the call's number.
#[async_trait]
pub trait CallStore: Send + Sync {
    async fn insert_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError>;
    async fn update_call(&self, owner: &str, call: &CallRecord) -> Result<(), StoreError>;
    async fn get_call(&self, owner: &str, id: &str) -> Result<Option<CallRecord>, StoreError>;
    /// Closes as interrupted at `now` the open calls (all owners) `which` names, each with its
    /// spend slot. A call is closed once however many servers sweep at the same time (a
    /// conditional write), so its slot is never released twice. Returns how many this call
    /// closed.
    async fn close_open_calls(&self, which: OpenCalls<'_>, now: u64) -> Result<u64, StoreError>;
    /// Writes `server`'s lease: its calls are its own until `lease_until` (ms), renewed well
    /// before then while it runs.
    async fn renew_lease(&self, server: &str, lease_until: u64) -> Result<(), StoreError>;
    /// The servers whose lease ends after `now`.
    async fn live_servers(&self, now: u64) -> Result<Vec<String>, StoreError>;
    /// Newest first.
    async fn list_calls(
        &self,
        owner: &str,
        query: &CallQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<CallRecord>, StoreError>;
    /// Keeps how the call `id` sounded (the agent's browser's summary), replacing an earlier
    /// one; `NotFound` when `owner` has no such call. Kept apart from the record, which the
    /// call's session writes whole: neither can overwrite the other.
    async fn set_call_quality(
        &self,
        owner: &str,
        id: &str,
        summary: &crate::domain::quality::Summary,
    ) -> Result<(), StoreError>;
    /// Keeps how the trunk's audio of the call `id` arrived (the gateway's measure), replacing
    /// an earlier one and leaving the agent's summary as it is; `NotFound` when `owner` has no
    /// such call.
    async fn set_trunk_reception(
        &self,
        owner: &str,
        id: &str,
        reception: &crate::domain::quality::TrunkReception,
    ) -> Result<(), StoreError>;
    /// What was kept of the call's quality (`None` when nothing was); never another owner's.
    async fn call_quality(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<Option<crate::domain::quality::CallQuality>, StoreError>;
}

/// Call analytics (`domain::analytics`): the daily rollup rows. The calls' own writes add to
/// them, once per call: the write that makes a stored call ended (inserting an ended record,
/// an update from open to ended, a sweep's close) adds [`analytics::ended`]'s counters, and the
/// first write of its quality summary [`analytics::quality`]'s, in the same transaction.
///
/// [`analytics::ended`]: crate::domain::analytics::ended
/// [`analytics::quality`]: crate::domain::analytics::quality
#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Every row of the days `from` to `to` (`YYYY-MM-DD`, both included), in key order.
    async fn call_rollups(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::domain::analytics::Rollup>, StoreError>;
}

/// Which open calls [`CallStore::close_open_calls`] closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenCalls<'a> {
    /// At a server's start, before it takes calls: those its last run left (it kept its id),
    /// and those of no server (written before servers had ids).
    OfServer(&'a str),
    /// Those of servers whose lease ended (or that have none): the periodic sweep every server
    /// runs, so a server that died has its calls closed by another.
    OfExpiredServers,
}

/// A request on its way to the server that can carry it out (`docs/architecture.md`, "Several
/// servers"): a REST click-to-dial to the server with the user's app open, a Chime progress
/// push to the server holding its call. `request` and `outcome` are JSON the store keeps as it
/// is given (what kind of request it is, is in `request`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayRequest {
    /// Sorts by time: [`RelayRequest::new_id`].
    pub id: String,
    /// The user a click-to-dial is for; empty for a request that names its call instead.
    pub owner: String,
    pub request: String,
    pub created_at: u64,
    /// The server that took it up (or the waiter, once it gave up).
    pub taken_by: Option<String>,
    pub outcome: Option<String>,
}

impl RelayRequest {
    /// A request made at `created_at`, not taken yet, with a new id.
    pub fn new(owner: String, request: String, created_at: u64) -> Self {
        RelayRequest {
            id: Self::new_id(created_at),
            owner,
            request,
            created_at,
            taken_by: None,
            outcome: None,
        }
    }

    /// An id that sorts by `created_at` (zero-padded) and is unique (a UUID after it).
    pub fn new_id(created_at: u64) -> String {
        format!("{created_at:020}-{}", uuid::Uuid::new_v4().simple())
    }
}

/// Requests between servers: written by the server that got them, taken by the one that can
/// carry them out (a conditional write: one taker), answered.
#[async_trait]
pub trait RelayStore: Send + Sync {
    async fn put_relay(&self, request: &RelayRequest) -> Result<(), StoreError>;
    /// Requests made after `since` that no one took, oldest first.
    async fn pending_relays(&self, since: u64) -> Result<Vec<RelayRequest>, StoreError>;
    /// Takes the request for `taker`: `false` if it was taken already.
    async fn take_relay(&self, id: &str, taker: &str) -> Result<bool, StoreError>;
    /// Writes the outcome of a taken request.
    async fn finish_relay(&self, id: &str, outcome: &str) -> Result<(), StoreError>;
    async fn get_relay(&self, id: &str) -> Result<Option<RelayRequest>, StoreError>;
}

/// Recording metadata (written by the recorder; the audio is in [`super::Recordings`]).
#[async_trait]
pub trait RecordingMetadataStore: Send + Sync {
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
}

/// Why [`SpendStore::admit_call`] did not write the call.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdmitError {
    #[error("call refused: {}", .0.reason())]
    Refused(SpendRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user's spend state an admin sees and changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpendState {
    pub block: Option<Block>,
    pub overrides: SpendOverrides,
    /// Calls of the user's still open.
    pub open_calls: u32,
}

/// The spend limits, shared by every server on the store: admission checks the policy against
/// the store's own data and writes the call record in one atomic step, so concurrent
/// admissions on any number of servers never pass a cap. A call's slot is released when its
/// record is updated as ended ([`CallStore::update_call`], [`CallStore::close_open_calls`]).
#[async_trait]
pub trait SpendStore: Send + Sync {
    /// Evaluates `policy` (with the user's overrides) over the owner's usage and, if it admits
    /// the call, inserts `record` (an open call) in the same atomic step. A velocity rule that
    /// trips is recorded as the user's block (kept until [`Self::lift_block`]).
    /// `account_created_at`: for the shorter longest call of new accounts.
    async fn admit_call(
        &self,
        owner: &str,
        record: &CallRecord,
        policy: &SpendPolicy,
        account_created_at: Option<u64>,
        now: u64,
    ) -> Result<Admission, AdmitError>;
    async fn spend_state(&self, owner: &str) -> Result<SpendState, StoreError>;
    /// Lifts a velocity block at `now` (the velocity rules then count only later calls);
    /// `false` if there was none.
    async fn lift_block(&self, owner: &str, now: u64) -> Result<bool, StoreError>;
    /// Blocks the user's calls until [`Self::lift_block`] (a new account awaiting an
    /// administrator's approval), replacing any block they had.
    async fn block_calls(&self, owner: &str, block: Block) -> Result<(), StoreError>;
    /// All owners: the users whose calls are blocked now (a velocity rule, or awaiting
    /// approval), oldest block first, at most `limit` (the administrator's page lists them
    /// without knowing whom to look up). Eventually consistent on DynamoDB (an index).
    async fn blocked_users(&self, limit: usize) -> Result<Vec<(String, Block)>, StoreError>;
    async fn set_spend_overrides(
        &self,
        owner: &str,
        overrides: &SpendOverrides,
    ) -> Result<(), StoreError>;
}

/// Per-user settings (defaults until the user changes them).
#[async_trait]
pub trait PreferenceStore: Send + Sync {
    async fn preferences(&self, owner: &str) -> Result<Preferences, StoreError>;
    async fn set_preferences(
        &self,
        owner: &str,
        preferences: &Preferences,
    ) -> Result<(), StoreError>;
}

/// The audit trail: what each user did, newest first.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit(&self, owner: &str, event: &AuditEvent) -> Result<(), StoreError>;
    async fn list_audit(&self, owner: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError>;
}

/// The numbers the business owns and who a call to each rings (`domain::inbound`), and each
/// customer number's last agent. Not owner-scoped: the numbers are the business's, managed by an
/// administrator (the admin REST endpoints check the role), and the last agent is read for an
/// inbound call before anyone is chosen to take it.
#[async_trait]
pub trait NumberStore: Send + Sync {
    /// Creates or replaces the number's entry (keyed by its E.164).
    async fn put_number(&self, number: &OwnedNumber) -> Result<(), StoreError>;
    async fn get_number(&self, e164: &str) -> Result<Option<OwnedNumber>, StoreError>;
    /// Every owned number, by E.164.
    async fn list_numbers(&self) -> Result<Vec<OwnedNumber>, StoreError>;
    /// `NotFound` if the number is not in the store.
    async fn delete_number(&self, e164: &str) -> Result<(), StoreError>;
    /// Records that `owner` called `customer_e164` at `at` (an outbound call placed). An
    /// earlier `at` than the one kept changes nothing (writes may arrive out of order).
    async fn set_last_agent(
        &self,
        customer_e164: &str,
        owner: &str,
        at: u64,
    ) -> Result<(), StoreError>;
    /// Who last called `customer_e164`, and when (of any age: the routing checks the window).
    async fn last_agent(&self, customer_e164: &str) -> Result<Option<LastAgent>, StoreError>;
}

/// An integration token (a personal access token for the REST API), kept only as the SHA-256
/// of its secret. The serde fields are the attributes the DynamoDB store keeps.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenRecord {
    pub id: String,
    pub owner: String,
    /// The owner's email when the token was made (what `/api/v1/me` answers).
    pub email: String,
    pub name: String,
    /// Space-separated (`crate::domain::tokens::scopes_to_text`).
    pub scopes: String,
    /// Base64url SHA-256 of the whole token (prefix included).
    pub token_hash: String,
    pub created_at: u64,
    pub expires_at: Option<u64>,
    pub last_used_at: Option<u64>,
}

/// Integration tokens, per owner; found by their hash when one is presented.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a new token unless its owner holds `max_per_owner` already (`Ok(false)`), in one
    /// atomic step. `AlreadyExists` if the id or the hash is taken.
    async fn create_token(
        &self,
        token: &TokenRecord,
        max_per_owner: usize,
    ) -> Result<bool, StoreError>;
    /// The owner's tokens, newest first.
    async fn list_tokens(&self, owner: &str) -> Result<Vec<TokenRecord>, StoreError>;
    /// The token with this hash (any owner): how a presented token is checked.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// Deletes the owner's token: from now on its hash finds nothing. `NotFound` if the owner
    /// has no such token.
    async fn revoke_token(&self, owner: &str, id: &str) -> Result<TokenRecord, StoreError>;
    /// Records when the token was last used; `NotFound` if it was revoked meanwhile.
    async fn touch_token(&self, owner: &str, id: &str, at: u64) -> Result<(), StoreError>;
}

/// Web Push subscriptions (one per device and browser, keyed by endpoint) and each user's push
/// settings. The endpoint is a capability: stored, never logged.
#[async_trait]
pub trait PushStore: Send + Sync {
    /// Stores the subscription, replacing the one with the same endpoint (whoever held it: a
    /// device signed in as someone else now pushes to its new user). When the owner then holds
    /// more than `max_per_owner`, their oldest go.
    async fn put_push_subscription(
        &self,
        subscription: &PushSubscription,
        max_per_owner: usize,
    ) -> Result<(), StoreError>;
    /// The owner's subscriptions, oldest first.
    async fn push_subscriptions(&self, owner: &str) -> Result<Vec<PushSubscription>, StoreError>;
    /// Removes the owner's subscription with this id; `Ok(false)` if they hold none such.
    async fn delete_push_subscription(&self, owner: &str, id: &str) -> Result<bool, StoreError>;
    /// Removes the subscription with this endpoint, whoever holds it (the push service said it
    /// is gone); `Ok(false)` if there was none.
    async fn delete_push_endpoint(&self, endpoint: &str) -> Result<bool, StoreError>;
    async fn push_settings(&self, owner: &str) -> Result<PushSettings, StoreError>;
    async fn set_push_settings(
        &self,
        owner: &str,
        settings: &PushSettings,
    ) -> Result<(), StoreError>;
}

/// Every part of the store in one object. Implemented for anything that implements all parts,
/// so an adapter implements the parts and nothing else.
pub trait Store:
    StoreBackend
    + AccountStore
    + ContactStore
    + CallStore
    + AnalyticsStore
    + RelayStore
    + SpendStore
    + RecordingMetadataStore
    + PreferenceStore
    + AuditStore
    + TokenStore
    + NumberStore
    + PushStore
{
}

impl<T> Store for T where
    T: StoreBackend
        + AccountStore
        + ContactStore
        + CallStore
        + AnalyticsStore
        + RelayStore
        + SpendStore
        + RecordingMetadataStore
        + PreferenceStore
        + AuditStore
        + TokenStore
        + NumberStore
        + PushStore
        + ?Sized
{
}
