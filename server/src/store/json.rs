//! Values both stores keep as JSON text (a call's quality): written and read alike, a value
//! that does not read back is the store's fault (`Unavailable`), never a panic.

use app::api::ports::StoreError;

pub(super) fn to_json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Unavailable(format!("JSON value: {e}")))
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Unavailable(format!("JSON value: {e}")))
}
