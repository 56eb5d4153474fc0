//! Store adapters. `sqlite` is the embedded default; DynamoDB follows with the AWS issue and
//! must pass the same `conformance` suite.

pub mod conformance;
mod cursor;
pub mod sqlite;

pub use sqlite::SqliteStore;
