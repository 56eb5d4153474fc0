//! AWS's error responses for restJson1 services: the error's name in `x-amzn-ErrorType` (the
//! SDK reads it before the body) and a body with `Code`, `Message` and `RequestId`, as the
//! services' exception shapes have them.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: StatusCode,
    /// The exception's name, such as `NotFoundException`.
    pub error_type: &'static str,
    /// The shape's `Code` member (the `ErrorCode` enum), such as `NotFound`.
    pub code: &'static str,
    pub message: String,
}

impl AwsError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        AwsError {
            status: StatusCode::BAD_REQUEST,
            error_type: "BadRequestException",
            code: "BadRequest",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        AwsError {
            status: StatusCode::NOT_FOUND,
            error_type: "NotFoundException",
            code: "NotFound",
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AwsError {
            status: StatusCode::FORBIDDEN,
            error_type: "ForbiddenException",
            code: "Forbidden",
            message: message.into(),
        }
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let request_id = uuid::Uuid::new_v4().to_string();
        let body = serde_json::json!({
            "Code": self.code,
            "Message": self.message,
            "RequestId": request_id,
        });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            "x-amzn-ErrorType",
            HeaderValue::from_static(self.error_type),
        );
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amzn-RequestId", id);
        }
        response
    }
}

/// A path and method no operation has.
pub async fn unknown_operation() -> AwsError {
    AwsError {
        status: StatusCode::NOT_FOUND,
        error_type: "UnknownOperationException",
        code: "NotFound",
        message: "no operation has this method and path".into(),
    }
}
