//! One error for every Chime control-plane call, by what the operator can do about it. The
//! service's error code decides (it is the same whether the SDK models the error for that
//! operation or not); failures that never reached the service are `Unavailable`, except a
//! request the SDK could not build, which is `InvalidRequest`.

// The same smithy types behind both service crates' re-exports.
use aws_sdk_chimesdkmeetings::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChimeError {
    /// The meeting, transaction or SIP media application does not exist (or no longer does:
    /// meetings end when their last attendee leaves, or after five minutes with none).
    #[error("Chime {operation}: not found: {message}")]
    NotFound {
        operation: &'static str,
        message: String,
    },
    /// Too many requests, or a service quota reached: try again later, or raise the quota.
    #[error("Chime {operation}: throttled or over a quota: {message}")]
    Throttled {
        operation: &'static str,
        message: String,
    },
    /// The credentials are missing or not allowed this call: check the role's permissions.
    #[error("Chime {operation}: access denied: {message}")]
    AccessDenied {
        operation: &'static str,
        message: String,
    },
    /// The service refused the request's values (a number not in the inventory, a bad Region,
    /// a missing field): check the `SOFTPHONE_CHIME_*` settings.
    #[error("Chime {operation}: invalid request: {message}")]
    InvalidRequest {
        operation: &'static str,
        message: String,
    },
    /// The service failed, or could not be reached: try again.
    #[error("Chime {operation}: unavailable: {message}")]
    Unavailable {
        operation: &'static str,
        message: String,
    },
}

impl ChimeError {
    /// The error for a service error `code` (such as `NotFoundException`).
    pub fn from_code(operation: &'static str, code: Option<&str>, message: String) -> Self {
        match code.unwrap_or_default() {
            "NotFoundException" => ChimeError::NotFound { operation, message },
            "ThrottlingException"
            | "ThrottledClientException"
            | "LimitExceededException"
            | "ResourceLimitExceededException" => ChimeError::Throttled { operation, message },
            "ForbiddenException"
            | "UnauthorizedException"
            | "UnauthorizedClientException"
            | "AccessDeniedException" => ChimeError::AccessDenied { operation, message },
            "BadRequestException" | "UnprocessableEntityException" | "ConflictException" => {
                ChimeError::InvalidRequest { operation, message }
            }
            _ => ChimeError::Unavailable { operation, message },
        }
    }
}

/// Maps a failed SDK call of `operation`.
pub(super) fn sdk_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> ChimeError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    // The service's messages can quote the numbers of the request (caller ID, target): they
    // are masked here, so no log or call-log cause carries them.
    let redact = telephony::redact_numbers;
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let message = redact(e.message().unwrap_or("no message"));
            ChimeError::from_code(operation, e.code(), message)
        }
        SdkError::ConstructionFailure(_) => ChimeError::InvalidRequest {
            operation,
            message: redact(&DisplayErrorContext(&error).to_string()),
        },
        _ => ChimeError::Unavailable {
            operation,
            message: redact(&DisplayErrorContext(&error).to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::ChimeError;

    #[test]
    fn unknown_codes_are_unavailable() {
        for code in [None, Some("ServiceFailureException"), Some("Whatever")] {
            assert!(matches!(
                ChimeError::from_code("CreateMeeting", code, String::new()),
                ChimeError::Unavailable { .. }
            ));
        }
    }
}
