//! Reading a request as AWS validates it: a JSON object with only the operation's members,
//! each of its type and length, the required ones present.

use axum::body::Bytes;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::AwsError;

/// The operation's members: the body must have no others.
pub struct Members<'a> {
    body: Map<String, Value>,
    operation: &'a str,
}

impl<'a> Members<'a> {
    /// The body as an object of `allowed` members.
    pub fn parse(operation: &'a str, body: &Bytes, allowed: &[&str]) -> Result<Self, AwsError> {
        let body: Map<String, Value> = if body.is_empty() {
            Map::new()
        } else {
            serde_json::from_slice(body).map_err(|e| {
                AwsError::bad_request(format!("{operation}: the body is not a JSON object: {e}"))
            })?
        };
        if let Some(unknown) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(AwsError::bad_request(format!(
                "{operation}: unknown member {unknown}"
            )));
        }
        Ok(Members { body, operation })
    }

    /// A required string of `min..=max` characters.
    pub fn required(&self, name: &str, min: usize, max: usize) -> Result<String, AwsError> {
        self.optional(name, min, max)?
            .ok_or_else(|| AwsError::bad_request(format!("{}: {name} is required", self.operation)))
    }

    pub fn optional(&self, name: &str, min: usize, max: usize) -> Result<Option<String>, AwsError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if (min..=max).contains(&s.chars().count()) => {
                Ok(Some(s.clone()))
            }
            Some(Value::String(_)) => Err(AwsError::bad_request(format!(
                "{}: {name} must be {min} to {max} characters",
                self.operation
            ))),
            Some(_) => Err(AwsError::bad_request(format!(
                "{}: {name} must be a string",
                self.operation
            ))),
        }
    }

    /// A map of strings with at most `max_entries` entries (absent: empty).
    pub fn string_map(
        &self,
        name: &str,
        max_entries: usize,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let invalid = || {
            AwsError::bad_request(format!(
                "{}: {name} must be a map of at most {max_entries} strings",
                self.operation
            ))
        };
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(map)) if map.len() <= max_entries => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(invalid()),
                })
                .collect(),
            Some(_) => Err(invalid()),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.body.contains_key(name)
    }
}

/// E.164: `+` and 8 to 15 digits.
pub fn is_e164(number: &str) -> bool {
    number
        .strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Every AWS request is signed; an unsigned one never reaches an operation.
pub async fn require_signature(request: Request, next: Next) -> Response {
    let signed = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 "));
    if signed {
        next.run(request).await
    } else {
        AwsError::forbidden("the request is not signed (AWS Signature Version 4)").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(body: &str) -> Result<Members<'static>, AwsError> {
        Members::parse("Op", &Bytes::from(body.to_string()), &["A", "M"])
    }

    #[test]
    fn members_are_checked_as_the_model_says() {
        let m = members(r#"{"A":"ab","M":{"k":"v"}}"#).unwrap();
        assert_eq!(m.required("A", 2, 4).unwrap(), "ab");
        assert!(m.required("A", 3, 4).is_err(), "too short");
        assert_eq!(
            m.string_map("M", 1).unwrap(),
            vec![("k".to_string(), "v".to_string())]
        );
        assert!(m.string_map("M", 0).is_err(), "too many entries");
        assert!(members(r#"{"A":"ab"}"#)
            .unwrap()
            .required("M", 1, 2)
            .is_err());
        assert!(members(r#"{"B":"x"}"#).is_err(), "unknown member");
        assert!(members(r#"{"A":1}"#).unwrap().required("A", 1, 2).is_err());
        assert!(members("[1]").is_err(), "not an object");
        assert!(members("").unwrap().optional("A", 1, 2).unwrap().is_none());
    }

    #[test]
    fn e164_is_a_plus_and_8_to_15_digits() {
        assert!(is_e164("+6531590000"));
        assert!(is_e164("+17035550122"));
        assert!(!is_e164("17035550122"));
        assert!(!is_e164("+1703"));
        assert!(!is_e164("+1 7035550122"));
    }
}
