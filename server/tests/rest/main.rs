//! The REST API's contract through its real router, one module per scenario group: Bearer
//! tokens, rate limits and the OpenAPI document (`access`), contacts (`contacts`), calls and
//! recordings (`calls`), integration tokens and their scopes (`tokens`), the business's numbers
//! and the administrator role (`numbers`), disabling and enabling accounts (`admin_users`). One
//! test binary: each links the whole server.

#[path = "../common/rest.rs"]
mod common;

mod access;
mod admin_users;
mod calls;
mod contacts;
mod numbers;
mod tokens;
