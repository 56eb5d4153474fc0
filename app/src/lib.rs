//! The softphone app: domain, server functions and UI, compiled for the server (`ssr`) and
//! the browser (`hydrate`).

pub mod domain;
