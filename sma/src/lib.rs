//! The SIP media application handler for the Amazon Chime SDK PSTN Audio shape (docs/chime.md):
//! typed invocation events in ([`event`]), typed actions out ([`action`]), and the call flow
//! between them as a pure function ([`flow::handle`]), with its state in the call's
//! `TransactionAttributes` ([`state`]). `main.rs` is the thin `lambda_runtime` shell around it.

pub mod action;
pub mod event;
pub mod flow;
pub mod inbound;
pub mod metrics;
pub mod policy;
pub mod report;
pub mod state;
