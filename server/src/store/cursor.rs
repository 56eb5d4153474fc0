//! Opaque page cursors: the sort key of the last item, as base64url JSON. Clients cannot
//! forge access with them: every query is still scoped to the owner.

use app::api::ports::{Page, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{de::DeserializeOwned, Serialize};

pub fn encode<T: Serialize>(key: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode<T: DeserializeOwned>(cursor: &str) -> Result<T, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::BadCursor)?;
    serde_json::from_slice(&bytes).map_err(|_| StoreError::BadCursor)
}

/// The most items one page holds, whatever the caller asks for.
const MAX_PAGE: usize = 500;

/// How many items a page asked for as `limit` holds: 1 to [`MAX_PAGE`].
pub fn page_size(limit: usize) -> usize {
    limit.clamp(1, MAX_PAGE)
}

/// A page from up to `limit + 1` items read in order: the first `limit`, and when there were
/// more, a cursor after the last of them (made of what `key` says the order is).
pub fn page<T, K: Serialize>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> K) -> Page<T> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next = more
        .then(|| items.last().map(|item| encode(&key(item))))
        .flatten();
    Page { items, next }
}
