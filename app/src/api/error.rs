//! The one error type of the UI's API: every variant is something the user can act on, and
//! crosses the wire as JSON so the UI can show it in the user's language.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, Encodes};
use serde::{Deserialize, Serialize};

use crate::domain::auth::PasswordProblem;
use crate::domain::contacts::ContactProblems;
use crate::domain::numbers::RefusalReason;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first")]
    NotSignedIn,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("not a valid email address")]
    InvalidEmail,
    #[error("password does not meet the rules")]
    WeakPassword(Vec<PasswordProblem>),
    #[error("the passwords do not match")]
    PasswordsDiffer,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the reset code is wrong or has expired")]
    InvalidResetCode,
    #[error("confirm the account with the emailed code first")]
    NotConfirmed,
    #[error("the confirmation code is wrong or has expired")]
    InvalidConfirmationCode,
    #[error("a new password is required: reset it")]
    PasswordResetRequired,
    #[error("this number cannot be dialled: {0:?}")]
    NumberRefused(RefusalReason),
    #[error("the contact has problems")]
    ContactInvalid(ContactProblems),
    #[error("not found")]
    NotFound,
    /// A page cursor that this list did not hand out (or from another list).
    #[error("the page cursor is not valid; start from the first page")]
    BadCursor,
    #[error("changed elsewhere; reload and try again")]
    Conflict,
    #[error("the file is too large (limit {limit_bytes} bytes)")]
    FileTooLarge { limit_bytes: usize },
    #[error("the file cannot be read: {0}")]
    FileUnreadable(String),
    #[error("another call is in progress")]
    CallInProgress,
    /// Who a call can be transferred to is shown only to an agent on a call (so the list of
    /// colleagues is not for anyone with an account).
    #[error("you can transfer a call while you are on one")]
    NotOnACall,
    /// A call placed from elsewhere (the REST API) needs the app open to carry its audio.
    #[error("open the softphone app (signed in) first: the call's audio is in the app")]
    AppNotOpen,
    #[error("too many call attempts; try again in {retry_after_secs} s")]
    TooManyCallAttempts { retry_after_secs: u64 },
    /// The service carries as many calls as it may (the global cap).
    #[error("the service is at its call limit; try again in {retry_after_secs} s")]
    ServiceBusy { retry_after_secs: u64 },
    #[error(
        "your calling minutes for the last 24 hours are used; try again in {retry_after_secs} s"
    )]
    DailyMinutesUsed { retry_after_secs: u64 },
    /// A velocity rule blocked the user's calls: an administrator must lift the block.
    #[error("calling is paused on your account after unusual calling; ask an administrator")]
    CallsBlocked,
    /// A new account waits for an administrator's approval before it can dial
    /// (`SOFTPHONE_SIGNUP_APPROVAL=admin`).
    #[error("your account is waiting for an administrator's approval")]
    AwaitingApproval,
    /// Sign-up is limited to some email domains, and this email is not of one.
    #[error("sign-up here is for the organisation's email domains only")]
    SignUpDomainNotAllowed,
    /// Sign-up needs an administrator's invitation, and none came for this email (the same
    /// answer whether or not the email has an account).
    #[error("sign-up here needs an invitation from an administrator")]
    InvitationRequired,
    #[error("calling is not available yet on this server")]
    CallingUnavailable,
    #[error("the recording is still running; stop it first")]
    RecordingInProgress,
    /// An integration token request that cannot be made (`crate::domain::tokens`).
    #[error("the token cannot be made: {0}")]
    TokenInvalid(crate::domain::tokens::TokenRequestProblem),
    #[error("you hold the most integration tokens allowed ({limit}); revoke one first")]
    TooManyTokens { limit: usize },
    /// Administrators only (the `admin` group or role).
    #[error("administrators only")]
    AdminOnly,
    /// An administrator cannot disable their own account (another administrator, or the
    /// operator's `server users disable`, can).
    #[error("an administrator cannot disable their own account; ask another administrator or the operator (server users disable)")]
    OwnAccount,
    /// A user named by e-mail where only subs can be looked up (Cognito's users are not in our
    /// store).
    #[error("give the user's sub: e-mail addresses are looked up only with the embedded identity")]
    SubRequired,
    /// An analytics period that is not two `YYYY-MM-DD` days, the first not after the second,
    /// at most [`crate::domain::analytics::MOST_DAYS`] days in all.
    #[error("the period must be two dates (YYYY-MM-DD), the first not after the second, at most 366 days")]
    PeriodInvalid,
    /// A number's routing settings that cannot be kept: `field` names the part at fault as
    /// the REST body spells it (`e164`, `assignment.members[1]`, `hours.ranges[0].close`, …).
    #[error("{field}: {problem}")]
    NumberSettingsInvalid { field: String, problem: String },
    /// A push subscription the browser sent that cannot be used (`crate::domain::push`).
    #[error("the push subscription cannot be used: {0}")]
    PushSubscriptionInvalid(crate::domain::push::SubscriptionError),
    #[error("the quiet hours cannot be used: {0}")]
    QuietHoursInvalid(crate::domain::push::QuietHoursError),
    /// This server has no VAPID key (`SOFTPHONE_VAPID_PRIVATE_KEY`): push is off.
    #[error("push notifications are not set up on this server")]
    PushUnavailable,
    /// An administrator disabled the account: no sign-in, no request, until one enables it.
    #[error("this account is disabled; ask an administrator")]
    AccountDisabled,
    #[error("the service is unavailable; try again shortly")]
    Unavailable,
    /// Transport or encoding failures between the browser and the server.
    #[error("request failed: {0}")]
    Request(String),
}

impl ApiError {
    /// The HTTP status the error travels with (server functions and the REST API), so callers
    /// other than our UI can tell "not yours / not there" from a server fault.
    pub fn http_status(&self) -> u16 {
        match self {
            ApiError::NotSignedIn | ApiError::InvalidCredentials => 401,
            ApiError::NotFound => 404,
            ApiError::EmailTaken
            | ApiError::Conflict
            | ApiError::CallInProgress
            | ApiError::NotOnACall
            | ApiError::RecordingInProgress
            | ApiError::AppNotOpen
            | ApiError::OwnAccount
            | ApiError::TooManyTokens { .. } => 409,
            ApiError::FileTooLarge { .. } => 413,
            ApiError::InvalidEmail
            | ApiError::WeakPassword(_)
            | ApiError::PasswordsDiffer
            | ApiError::NumberRefused(_)
            | ApiError::ContactInvalid(_)
            | ApiError::TokenInvalid(_)
            | ApiError::NumberSettingsInvalid { .. }
            | ApiError::SubRequired
            | ApiError::PeriodInvalid
            | ApiError::PushSubscriptionInvalid(_)
            | ApiError::QuietHoursInvalid(_)
            | ApiError::FileUnreadable(_) => 422,
            ApiError::InvalidResetCode
            | ApiError::InvalidConfirmationCode
            | ApiError::BadCursor
            | ApiError::Request(_) => 400,
            ApiError::NotConfirmed
            | ApiError::PasswordResetRequired
            | ApiError::CallsBlocked
            | ApiError::AwaitingApproval
            | ApiError::SignUpDomainNotAllowed
            | ApiError::InvitationRequired
            | ApiError::AccountDisabled
            | ApiError::AdminOnly => 403,
            ApiError::TooManyAttempts { .. }
            | ApiError::TooManyCallAttempts { .. }
            | ApiError::DailyMinutesUsed { .. } => 429,
            ApiError::CallingUnavailable
            | ApiError::Unavailable
            | ApiError::PushUnavailable
            | ApiError::ServiceBusy { .. } => 503,
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::Request(value.to_string())
    }

    /// Every server-function error is turned into its response here, so here it also gets the
    /// status it names (on the server; the browser only decodes errors).
    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        {
            crate::api::ssr::set_error_status(self.http_status());
            crate::api::metrics::api_error(self);
        }
        // A plain enum of strings and numbers: encoding it cannot fail.
        <JsonEncoding as Encodes<Self>>::encode(self).unwrap_or_default()
    }
}

#[cfg(feature = "ssr")]
mod from_ports {
    use super::ApiError;
    use crate::api::ports::{AuthError, StoreError};

    impl From<crate::domain::spend::SpendRefusal> for ApiError {
        fn from(r: crate::domain::spend::SpendRefusal) -> Self {
            use crate::domain::spend::SpendRefusal;
            match r {
                SpendRefusal::CallInProgress => ApiError::CallInProgress,
                SpendRefusal::ServiceBusy { retry_after_secs } => {
                    ApiError::ServiceBusy { retry_after_secs }
                }
                SpendRefusal::TooManyCalls { retry_after_secs } => {
                    ApiError::TooManyCallAttempts { retry_after_secs }
                }
                SpendRefusal::DailyMinutesUsed { retry_after_secs } => {
                    ApiError::DailyMinutesUsed { retry_after_secs }
                }
                SpendRefusal::Blocked {
                    rule: crate::domain::spend::VelocityRule::AwaitingApproval,
                } => ApiError::AwaitingApproval,
                SpendRefusal::Blocked { .. } => ApiError::CallsBlocked,
            }
        }
    }

    impl From<StoreError> for ApiError {
        fn from(e: StoreError) -> Self {
            match e {
                StoreError::NotFound => ApiError::NotFound,
                StoreError::Conflict | StoreError::AlreadyExists => ApiError::Conflict,
                StoreError::BadCursor => ApiError::BadCursor,
                StoreError::Unavailable(detail) => {
                    tracing::error!(%detail, "store unavailable");
                    ApiError::Unavailable
                }
            }
        }
    }

    impl From<AuthError> for ApiError {
        fn from(e: AuthError) -> Self {
            match e {
                AuthError::InvalidCredentials => ApiError::InvalidCredentials,
                AuthError::TooManyAttempts { retry_after_secs } => {
                    ApiError::TooManyAttempts { retry_after_secs }
                }
                AuthError::InvalidEmail => ApiError::InvalidEmail,
                AuthError::WeakPassword(p) => ApiError::WeakPassword(p),
                AuthError::EmailTaken => ApiError::EmailTaken,
                AuthError::InvalidResetCode => ApiError::InvalidResetCode,
                AuthError::NotConfirmed => ApiError::NotConfirmed,
                AuthError::InvalidConfirmationCode => ApiError::InvalidConfirmationCode,
                AuthError::PasswordResetRequired => ApiError::PasswordResetRequired,
                AuthError::AccountDisabled => ApiError::AccountDisabled,
                AuthError::SessionExpired | AuthError::InvalidToken(_) => ApiError::NotSignedIn,
                AuthError::Unavailable(detail) => {
                    tracing::error!(%detail, "identity provider unavailable");
                    ApiError::Unavailable
                }
            }
        }
    }
}
