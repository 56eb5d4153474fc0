//! The domain: plain Rust, no I/O, compiled for the browser and the server alike.

pub mod analytics;
pub mod auth;
pub mod call;
pub mod calls;
pub mod contacts;
pub mod csv;
pub mod inbound;
pub mod numbers;
pub mod overrides;
pub mod pii;
pub mod precall;
pub mod push;
pub mod quality;
pub mod rate_limit;
pub mod recordings;
pub mod sign_in_guard;
pub mod signup;
pub mod spend;
pub mod tokens;
