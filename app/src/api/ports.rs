//! Ports: what server functions need from the outside world. Adapters in the `server` crate
//! implement them (SQLite or DynamoDB, local identity or Cognito…); server functions reach
//! them through [`Services`] in the Leptos context and never name a back end.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::auth::PasswordProblem;
use crate::domain::calls::CallRecord;
use crate::domain::numbers::Classifier;

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

impl ClientAddr {
    /// What throttling counts against: the IPv4 address, or the IPv6 address's /64 (one
    /// subscriber's network hands out any number of addresses in it).
    pub fn throttle_key(&self) -> String {
        match self.0.to_canonical() {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(network))
            }
        }
    }
}

/// The longest account key kept (an e-mail address is at most 254 characters).
pub const ACCOUNT_KEY_MAX: usize = 254;

/// An e-mail as a key for throttling and look-ups, even when it is not a valid address:
/// trimmed, lower-case, and cut to [`ACCOUNT_KEY_MAX`] characters, so neither case nor a
/// megabyte of text makes a new key.
pub fn account_key(email: &str) -> String {
    crate::domain::auth::normalise_email(email).unwrap_or_else(|| {
        email
            .trim()
            .chars()
            .flat_map(char::to_lowercase)
            .take(ACCOUNT_KEY_MAX)
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Store: one narrow port per aggregate, and `Store` for the one object that has them all.

mod store;
pub use store::*;

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
    /// The device cookie to keep (value, seconds): this browser signed in to the account, so
    /// the account's lock-out does not hold it (local identity).
    pub device: Option<(String, u64)>,
}

/// Where a password-reset code went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ResetDelivery {
    /// Local identity: nothing was sent; the administrator issues a one-time reset link
    /// (`server users reset-link`), so no code is ever written to a log.
    Administrator,
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
    /// An administrator disabled the account: it may not sign in, and its tokens are refused.
    /// Said only to whoever gave the right password (or holds a token), so it tells a stranger
    /// nothing about which emails have accounts.
    #[error("the account is disabled")]
    AccountDisabled,
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
    /// `sign_in` from a browser that may hold a device cookie of an earlier sign-in: a valid
    /// one for this account exempts the attempt from the account's lock-out (only the device's
    /// own failures hold it), so an attacker cannot keep an agent out. Providers with their
    /// own lock-out (Cognito) ignore it.
    async fn sign_in_on_device(
        &self,
        email: &str,
        password: &str,
        from: ClientAddr,
        device: Option<&str>,
    ) -> Result<Tokens, AuthError> {
        let _ = device;
        self.sign_in(email, password, from).await
    }
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
    /// Uses up an administrator's invitation to sign up as `email` (`SOFTPHONE_SIGNUP=invite`):
    /// `true` once for the right, unexpired code. Providers without invitations (Cognito: the
    /// administrator creates the user there) have none to use.
    async fn redeem_invite(&self, email: &str, code: &str) -> Result<bool, AuthError> {
        let _ = (email, code);
        Ok(false)
    }
    /// An administrator disables (`true`) or enables the account `sub` at the provider, which
    /// then refuses or admits its sign-ins (Cognito `AdminDisableUser`/`AdminEnableUser`).
    /// `Ok(false)` if the provider has no such account. The store's record of it
    /// ([`AccountStore::account_disabled`]) is what every request checks.
    async fn set_account_disabled(&self, sub: &str, disabled: bool) -> Result<bool, AuthError>;
}

// ---------------------------------------------------------------------------------------------
// Telephony

/// Where a call was placed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOrigin {
    /// A tab of the app dialled it and carries its audio: only that tab's live connection
    /// may send the call's offer (or ask for its meeting).
    App { connection: u64 },
    /// The REST API placed it; the user's open app takes it up.
    Api,
}

/// Places calls (the call path in `docs/architecture.md`): the embedded gateway + simulator,
/// the gateway + a Voice Connector, or Chime PSTN Audio. Server functions decide *whether* a
/// call may be placed; the provider runs it from then on and writes its record as it goes.
/// An agent with the app open on this server ([`Telephony::agents_online`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentOnline {
    pub sub: String,
    pub email: String,
    pub on_a_call: bool,
}

/// Why a network test was not started.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetworkTestError {
    /// Calls here do not go through our gateway (Chime PSTN Audio), or none can be placed.
    #[error("the network test needs this server's media gateway")]
    Unavailable,
    /// The user is on a call: its audio comes first.
    #[error("a call is in progress")]
    OnACall,
    /// As many tests run on this server as it allows.
    #[error("too many network tests at once")]
    Busy,
    #[error("the offer cannot be answered: {0}")]
    BadOffer(String),
}

#[async_trait]
pub trait Telephony: Send + Sync {
    /// Whether calls can be placed at all on this server.
    fn available(&self) -> bool;
    /// Whether `owner` has the app open (a live channel), to take up a call placed from
    /// elsewhere (the REST API): the call's audio is in the app.
    fn has_live_connection(&self, owner: &str) -> bool;
    /// The agents with the app open on this server: who a call can be transferred to.
    fn agents_online(&self) -> Vec<AgentOnline> {
        Vec::new()
    }
    /// The id of this server process, written on the calls it carries (none: calls are not
    /// carried here).
    fn server_id(&self) -> Option<String> {
        None
    }
    /// Sessions were revoked (sign-out everywhere, a password reset): `owner`'s, or anyone's
    /// when `None`. Open live channels of this process re-check theirs at once; those of other
    /// processes on the same store do at their next periodic check (docs/security.md).
    fn sessions_revoked(&self, owner: Option<&str>) {
        let _ = owner;
    }
    /// How many of `owner`'s calls this server sent on to a phone number and still carries
    /// (docs/telephony.md, "Transfer"): they are the user's calls (billed, counted in the
    /// spend limits) but not on their headset, so they do not take the user's concurrent slot.
    fn transferred_calls(&self, owner: &str) -> u32 {
        let _ = owner;
        0
    }
    /// Starts `owner`'s network test (the pre-call check in Settings; docs/quality.md): the
    /// browser's `offer` is answered by a session that sends its audio straight back, calls no
    /// one and ends by itself within seconds. Returns the SDP answer.
    async fn network_test(&self, owner: &str, offer: &str) -> Result<String, NetworkTestError> {
        let _ = (owner, offer);
        Err(NetworkTestError::Unavailable)
    }
    /// Takes over a call whose record was just written (state: dialing). The browser's offer
    /// follows on the live channel; without one the call ends as failed. `origin` says which
    /// browser offers: the tab that dialled, or (placed through the REST API) any of the
    /// user's tabs that takes it up first. The call is ended once it has been answered for
    /// `max_duration_ms` (what the spend limits admitted it for).
    async fn begin(
        &self,
        owner: &str,
        record: CallRecord,
        origin: CallOrigin,
        max_duration_ms: u64,
    );
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
    /// first part went) and removes the spool file. Returns the stored size. On an error the
    /// upload keeps what was sent, so calling again resumes it (an upload the store no longer
    /// has is reset, and the next call starts over).
    async fn complete(
        &self,
        key: &str,
        upload: &mut Upload,
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
    /// How a service that reads and writes this store itself (the Chime voice service's
    /// `StartCallRecording` and `PlayAudio`) names `key`: `bucket/object-key`.
    fn service_path(&self, key: &str) -> String;
    /// The key of a path such a service gives back (`bucket/object-key`, also as `s3://…` or
    /// an S3 ARN); `None` when it is not in this store.
    fn key_of_service_path(&self, path: &str) -> Option<String>;
    /// Stores a small object whole, replacing it (the consent notice such a service plays).
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), RecordingsError>;
}

/// A service's path to an object as (bucket, object key): `bucket/key`, `s3://bucket/key` or
/// `arn:aws:s3:::bucket/key`; `None` unless both parts are there.
pub fn split_service_path(path: &str) -> Option<(&str, &str)> {
    let path = path.trim();
    let path = path
        .strip_prefix("arn:aws:s3:::")
        .or_else(|| path.strip_prefix("s3://"))
        .unwrap_or(path);
    let (bucket, key) = path.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

/// Missed-call push notifications (Web Push): the server's VAPID public key for the page's
/// `pushManager.subscribe`, and sending to a user's devices. The server's adapter is
/// `server/src/push/`; with push off (no key), [`PushOff`].
#[async_trait]
pub trait Notifier: Send + Sync {
    /// The VAPID public key (uncompressed P-256 point, base64url); `None`: push is off.
    fn public_key(&self) -> Option<String>;
    /// Which endpoints subscriptions may have (loopback http only in tests).
    fn endpoints(&self) -> crate::domain::push::Endpoints;
    /// Tells each of `owner`'s devices about a call nobody answered, unless it is the owner's
    /// quiet hours. Gone subscriptions (404/410) are removed; other failures are counted and
    /// logged, never returned (the call is missed either way).
    async fn notify_missed_call(
        &self,
        owner: &str,
        call: crate::domain::push::MissedCall,
    ) -> crate::domain::push::PushOutcome;
    /// Settings' test: one notification to each of the owner's devices, quiet hours or not.
    async fn send_test(&self, owner: &str) -> Result<crate::domain::push::PushOutcome, StoreError>;
}

/// Push turned off: no key, nothing sent.
pub struct PushOff;

#[async_trait]
impl Notifier for PushOff {
    fn public_key(&self) -> Option<String> {
        None
    }

    fn endpoints(&self) -> crate::domain::push::Endpoints {
        crate::domain::push::Endpoints::HttpsOnly
    }

    async fn notify_missed_call(
        &self,
        _owner: &str,
        _call: crate::domain::push::MissedCall,
    ) -> crate::domain::push::PushOutcome {
        crate::domain::push::PushOutcome::default()
    }

    async fn send_test(
        &self,
        _owner: &str,
    ) -> Result<crate::domain::push::PushOutcome, StoreError> {
        Ok(crate::domain::push::PushOutcome::default())
    }
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
    /// Missed-call push notifications (`PushOff` when the server has no VAPID key).
    pub push: Arc<dyn Notifier>,
    /// The spend limits every call is admitted under (the store enforces them).
    pub spend_policy: crate::domain::spend::SpendPolicy,
    /// Who may sign up (`SOFTPHONE_SIGNUP`), checked before the identity provider is asked.
    pub sign_up_policy: crate::domain::signup::SignUpPolicy,
    /// Whether session cookies carry `Secure` (off only for plain http on loopback).
    pub secure_cookies: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_ipv4_by_address() {
        let key = |ip: &str| ClientAddr(ip.parse().unwrap()).throttle_key();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:1:2:3"), key("2001:db8:1:2::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("203.0.113.9"), "203.0.113.9");
        assert_eq!(key("::ffff:203.0.113.9"), "203.0.113.9");
    }

    #[test]
    fn account_keys_are_trimmed_lower_case_and_bounded() {
        assert_eq!(account_key("  Ana@Example.COM "), "ana@example.com");
        assert_eq!(account_key(" Not An Email "), "not an email");
        let long = "X".repeat(100_000);
        assert_eq!(account_key(&long), "x".repeat(ACCOUNT_KEY_MAX));
        assert_eq!(
            account_key(&format!("{long}@example.com")).chars().count(),
            ACCOUNT_KEY_MAX
        );
    }
}
