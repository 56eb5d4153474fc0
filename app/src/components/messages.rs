//! How API errors and number verdicts read to the user.

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::ApiError;
use crate::domain::auth::PasswordProblem;
use crate::domain::calls::{CallRecord, Direction, EndReason};
use crate::domain::numbers::{format_e164, NumberKind, RefusalReason};
use crate::i18n::{t, tf, Lang, T};
use crate::prefs::{country_name, prefs, tx};

pub fn refusal_text(
    lang: Lang,
    reason: RefusalReason,
    country: Option<crate::domain::numbers::Country>,
) -> String {
    let key = match reason {
        RefusalReason::Empty => T::ReasonEmpty,
        RefusalReason::NotANumber => T::ReasonNotANumber,
        RefusalReason::NeedsCountry => T::ReasonNeedsCountry,
        RefusalReason::InvalidCountryCode => T::ReasonInvalidCountryCode,
        RefusalReason::OtherCountry => T::ReasonOtherCountry,
        RefusalReason::ShortCode => T::ReasonShortCode,
        RefusalReason::TooShort => T::ReasonTooShort,
        RefusalReason::TooLong => T::ReasonTooLong,
        RefusalReason::Invalid => T::ReasonInvalid,
        RefusalReason::PremiumRate => T::ReasonPremiumRate,
        RefusalReason::TollFree => T::ReasonTollFree,
        RefusalReason::SharedCost => T::ReasonSharedCost,
        RefusalReason::Uan => T::ReasonUan,
        RefusalReason::Voip => T::ReasonVoip,
    };
    let name = country.map(|c| country_name(lang, c)).unwrap_or("");
    tf(lang, key, &[("country", name)])
}

pub fn kind_text(lang: Lang, kind: NumberKind) -> &'static str {
    match kind {
        NumberKind::Mobile => t(lang, T::KindMobile),
        _ => t(lang, T::KindFixedLine),
    }
}

pub fn end_reason_text(lang: Lang, reason: EndReason) -> &'static str {
    t(
        lang,
        match reason {
            EndReason::Completed => T::EndCompleted,
            EndReason::Cancelled => T::EndCancelled,
            EndReason::Busy => T::EndBusy,
            EndReason::NoAnswer => T::EndNoAnswer,
            EndReason::NotFound => T::EndNotFound,
            EndReason::Refused => T::EndRefused,
            EndReason::Failed => T::EndFailed,
            EndReason::Interrupted => T::EndInterrupted,
            EndReason::Missed => T::EndMissed,
            EndReason::Transferred => T::EndTransferred,
        },
    )
}

/// What became of a call in the log, in a few words: its end (or that it goes on), that it
/// came in, and the colleague a transfer gave it to or took it from.
pub fn call_status_text(lang: Lang, record: &CallRecord) -> String {
    let mut status = match (record.end_reason, &record.transferred_to) {
        (Some(EndReason::Transferred), Some(to)) => {
            // A colleague's e-mail, or the number the call was sent on to.
            let to = if to.starts_with('+') {
                format_e164(to)
            } else {
                to.clone()
            };
            format!("{} {to}", t(lang, T::TransferredTo))
        }
        (Some(reason), _) => end_reason_text(lang, reason).to_string(),
        (None, _) => t(lang, T::InProgress).to_string(),
    };
    if record.direction == Direction::Inbound && record.end_reason != Some(EndReason::Missed) {
        status = format!("{} · {status}", t(lang, T::IncomingCall));
    }
    if let Some(from) = &record.transferred_from {
        status = format!("{status} · {} {from}", t(lang, T::TransferredFrom));
    }
    status
}

pub fn password_problem_text(lang: Lang, problem: PasswordProblem) -> &'static str {
    t(
        lang,
        match problem {
            PasswordProblem::TooShort => T::RuleLength,
            PasswordProblem::TooLong => T::RuleTooLong,
            PasswordProblem::NoLowercase => T::RuleLower,
            PasswordProblem::NoUppercase => T::RuleUpper,
            PasswordProblem::NoDigit => T::RuleDigit,
            PasswordProblem::NoSymbol => T::RuleSymbol,
            PasswordProblem::LeadingOrTrailingSpace => T::RuleEdgeSpace,
        },
    )
}

pub fn error_text(lang: Lang, error: &ApiError) -> String {
    match error {
        ApiError::NotSignedIn => t(lang, T::ErrNotSignedIn).into(),
        ApiError::InvalidCredentials => t(lang, T::ErrInvalidCredentials).into(),
        ApiError::TooManyAttempts { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60).max(1).to_string();
            tf(lang, T::ErrTooManyAttempts, &[("minutes", &minutes)])
        }
        ApiError::InvalidEmail => t(lang, T::ErrInvalidEmail).into(),
        ApiError::WeakPassword(problems) => {
            let list: Vec<&str> = problems
                .iter()
                .map(|p| password_problem_text(lang, *p))
                .collect();
            format!(
                "{} {} {}",
                t(lang, T::ErrWeakPassword),
                t(lang, T::PasswordRules),
                list.join(", ")
            )
        }
        ApiError::PasswordsDiffer => t(lang, T::ErrPasswordsDiffer).into(),
        ApiError::EmailTaken => t(lang, T::ErrEmailTaken).into(),
        ApiError::InvalidResetCode => t(lang, T::ErrInvalidResetCode).into(),
        ApiError::NotConfirmed => t(lang, T::ErrNotConfirmed).into(),
        ApiError::InvalidConfirmationCode => t(lang, T::ErrInvalidConfirmationCode).into(),
        ApiError::PasswordResetRequired => t(lang, T::ErrPasswordResetRequired).into(),
        ApiError::NumberRefused(reason) => refusal_text(lang, *reason, None),
        ApiError::ContactInvalid(_) => t(lang, T::ErrContactInvalid).into(),
        ApiError::NotFound => t(lang, T::ErrNotFound).into(),
        ApiError::BadCursor => t(lang, T::ErrBadCursor).into(),
        ApiError::AppNotOpen => t(lang, T::ErrAppNotOpen).into(),
        ApiError::Conflict => t(lang, T::ErrConflict).into(),
        ApiError::FileTooLarge { .. } => t(lang, T::ErrFileTooLarge).into(),
        ApiError::FileUnreadable(detail) => format!("{} {detail}", t(lang, T::ErrFileUnreadable)),
        ApiError::CallingUnavailable => t(lang, T::ErrCallingUnavailable).into(),
        ApiError::CallInProgress => t(lang, T::ErrCallInProgress).into(),
        ApiError::NotOnACall => t(lang, T::ErrNotOnACall).into(),
        ApiError::TooManyCallAttempts { retry_after_secs } => tf(
            lang,
            T::ErrTooManyCallAttempts,
            &[("seconds", &retry_after_secs.to_string())],
        ),
        ApiError::ServiceBusy { retry_after_secs } => tf(
            lang,
            T::ErrServiceBusy,
            &[("seconds", &retry_after_secs.to_string())],
        ),
        ApiError::DailyMinutesUsed { retry_after_secs } => tf(
            lang,
            T::ErrDailyMinutesUsed,
            &[("time", &wait_text(*retry_after_secs))],
        ),
        ApiError::CallsBlocked => t(lang, T::ErrCallsBlocked).into(),
        ApiError::AwaitingApproval => t(lang, T::ErrAwaitingApproval).into(),
        ApiError::AccountDisabled => t(lang, T::ErrAccountDisabled).into(),
        ApiError::SignUpDomainNotAllowed => t(lang, T::ErrSignUpDomainNotAllowed).into(),
        ApiError::InvitationRequired => t(lang, T::ErrInvitationRequired).into(),
        ApiError::RecordingInProgress => t(lang, T::ErrRecordingInProgress).into(),
        ApiError::TokenInvalid(problem) => t(lang, token_problem_key(*problem)).into(),
        ApiError::TooManyTokens { limit } => {
            tf(lang, T::ErrTooManyTokens, &[("limit", &limit.to_string())])
        }
        ApiError::AdminOnly => t(lang, T::ErrAdminOnly).into(),
        ApiError::OwnAccount => t(lang, T::ErrOwnAccount).into(),
        ApiError::SubRequired => t(lang, T::ErrSubRequired).into(),
        ApiError::PeriodInvalid => t(lang, T::ErrPeriodInvalid).into(),
        ApiError::NumberSettingsInvalid { field, problem } => format!(
            "{} {field}: {problem}",
            t(lang, T::ErrNumberSettingsInvalid)
        ),
        ApiError::PushSubscriptionInvalid(_) => t(lang, T::ErrPushSubscriptionInvalid).into(),
        ApiError::QuietHoursInvalid(_) => t(lang, T::ErrQuietHoursInvalid).into(),
        ApiError::PushUnavailable => t(lang, T::ErrPushUnavailable).into(),
        ApiError::Unavailable => t(lang, T::ErrUnavailable).into(),
        ApiError::Request(_) => t(lang, T::ErrRequest).into(),
    }
}

fn token_problem_key(problem: crate::domain::tokens::TokenRequestProblem) -> T {
    use crate::domain::tokens::TokenRequestProblem;
    match problem {
        TokenRequestProblem::NameMissing => T::ErrTokenNameMissing,
        TokenRequestProblem::NameTooLong => T::FieldTooLong,
        TokenRequestProblem::NoScope => T::ErrTokenNoScope,
    }
}

/// A wait as hours and minutes (`3:05`), at least a minute.
fn wait_text(secs: u64) -> String {
    let minutes = secs.div_ceil(60).max(1);
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// An error line under a form, announced to screen readers.
#[component]
pub fn ErrorLine(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let lang = prefs().lang;
    view! {
        <p
            role="alert"
            class="min-h-5 text-sm text-red-700 dark:text-red-400"
            data-testid="form-error"
        >
            {move || error.get().map(|e| error_text(lang.get(), &e))}
        </p>
    }
}

/// The one way a signed-out user is sent to sign-in: from the result of an action, or from
/// [`LoadError`] once the page is on screen; never while a page renders.
pub fn redirect_if_signed_out(error: &ApiError) {
    if matches!(error, ApiError::NotSignedIn) {
        crate::browser::go_to("/signin");
    }
}

/// What a page shows for its data: nothing while it loads, the page, or why it did not load.
pub type Loaded = Option<Result<AnyView, ApiError>>;

/// Why a page's data did not load and "Try again" (unless it is not there). A signed-out user
/// is sent to sign-in instead, by an effect (so only in the browser, after the page rendered),
/// with a link for the moment in between.
#[component]
pub fn LoadError(error: ApiError, retry: Callback<()>) -> impl IntoView {
    let lang = prefs().lang;
    let signed_out = error == ApiError::NotSignedIn;
    // Asking again cannot find what is not there, nor make anyone an administrator.
    let retryable = !matches!(error, ApiError::NotFound | ApiError::AdminOnly);
    Effect::new(move |_| {
        if signed_out {
            redirect_if_signed_out(&ApiError::NotSignedIn);
        }
    });
    let again = if signed_out {
        view! {
            <a class="btn-secondary mt-3" href="/signin">
                {tx(T::SignInButton)}
            </a>
        }
        .into_any()
    } else {
        retryable
            .then(|| {
                view! {
                    <button
                        type="button"
                        class="btn-secondary mt-3"
                        data-testid="load-retry"
                        on:click=move |_| retry.run(())
                    >
                        {tx(T::Retry)}
                    </button>
                }
            })
            .into_any()
    };
    view! {
        <div role="alert" class="py-6 text-center" data-testid="load-error">
            <p class="text-red-700 dark:text-red-400">{move || error_text(lang.get(), &error)}</p>
            {again}
        </div>
    }
}

/// A page's data view (`page`: nothing while loading, the page, or the error) in its
/// `Suspense` (`fallback` while the data loads) or, for a list that keeps its rows while a new
/// search loads, its `Transition`; the error shows as [`LoadError`] with "Try again". One
/// boundary for every page, and not generic, so the browser bundle carries its code once (a
/// Leptos `ErrorBoundary` here, and a `Suspense` per page, cost 16 and 4 KB gzipped, measured;
/// docs/decisions.md).
#[component]
pub fn LoadBoundary(
    retry: Callback<()>,
    page: Box<dyn Fn() -> Loaded + Send + Sync>,
    #[prop(optional, into)] fallback: ViewFnOnce,
    #[prop(optional)] keep_while_reloading: bool,
) -> impl IntoView {
    let content = move || {
        page().map(|loaded| match loaded {
            Ok(page) => Either::Left(page),
            Err(error) => Either::Right(view! { <LoadError error retry /> }),
        })
    };
    if keep_while_reloading {
        Either::Left(view! { <Transition fallback>{content}</Transition> })
    } else {
        Either::Right(view! { <Suspense fallback>{content}</Suspense> })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transferred_call_names_the_colleague_on_each_side() {
        let mut given = CallRecord::inbound("c1".into(), "+6591234567".into(), 1_000);
        given.end_reason = Some(EndReason::Transferred);
        given.transferred_to = Some("bob@example.com".into());
        assert_eq!(
            call_status_text(Lang::En, &given),
            "Incoming call · Transferred to bob@example.com"
        );
        let mut taken = CallRecord::inbound("c1".into(), "+6591234567".into(), 2_000);
        taken.transferred_from = Some("alice@example.com".into());
        assert_eq!(
            call_status_text(Lang::En, &taken),
            "Incoming call · In progress · Transferred from alice@example.com"
        );
        taken.end_reason = Some(EndReason::Completed);
        assert_eq!(
            call_status_text(Lang::Es, &taken),
            "Llamada entrante · Completada · Transferida de alice@example.com"
        );
        // Sent on to a number: the number as the app shows numbers.
        let mut sent_on = CallRecord::outbound("c3".into(), "+6591234567".into(), 1_000);
        sent_on.end_reason = Some(EndReason::Transferred);
        sent_on.transferred_to = Some("+6560000010".into());
        assert_eq!(
            call_status_text(Lang::En, &sent_on),
            "Transferred to +65 6000 0010"
        );
        // A record from before transfers named anyone reads as before.
        given.transferred_to = None;
        assert_eq!(
            call_status_text(Lang::En, &given),
            "Incoming call · Transferred"
        );
        let missed = CallRecord {
            end_reason: Some(EndReason::Missed),
            ..CallRecord::inbound("c2".into(), "+6591234567".into(), 3_000)
        };
        assert_eq!(call_status_text(Lang::En, &missed), "Missed");
    }
}
