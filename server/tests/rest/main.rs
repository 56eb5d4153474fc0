//! The REST API's contract through its real router, one module per scenario group: Bearer
//! tokens, rate limits and the OpenAPI document (`access`), contacts (`contacts`), calls and
//! recordings (`calls`), integration tokens and their scopes (`tokens`). One test binary: each links the whole server.

#[path = "../common/rest.rs"]
mod common;

mod access;
mod calls;
mod contacts;
mod tokens;
