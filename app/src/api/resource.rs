//! How a page's data travels in a resource: JSON read with `serde_json::from_slice`.
//!
//! Leptos's default resource codec reads the server-rendered value with `from_str`, while
//! server functions read their responses with `from_slice`; serde's decoders are generic over
//! the reader, so every page type was compiled twice into the browser bundle. Reading both
//! the same way compiles each once (docs/decisions.md, "Bundle size").

use std::future::Future;

use super::ApiError;
use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};

/// JSON like Leptos's `JsonSerdeCodec`, decoded through the same reader as server functions.
pub struct JsonCodec;

impl<T: Serialize> Encoder<T> for JsonCodec {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonCodec {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(value: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(value.as_bytes())
    }
}

/// A resource holding what a server function answered.
pub type ApiResource<T> = Resource<Result<T, ApiError>, JsonCodec>;

/// `Resource::new` with [`JsonCodec`].
#[track_caller]
pub fn api_resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> ApiResource<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
