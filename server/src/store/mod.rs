//! Store adapters: `sqlite` (the embedded default) and `dynamodb`; both pass the same
//! `conformance` suite.

pub mod conformance;
mod cursor;
pub mod dynamodb;
mod search;
pub mod sqlite;

pub use dynamodb::DynamoStore;
pub use sqlite::SqliteStore;
