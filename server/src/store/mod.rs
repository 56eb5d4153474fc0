//! Store adapters: `sqlite` (the embedded default) and `dynamodb`; both pass the same
//! conformance suite (`testkit::store`).

mod cursor;
pub mod dynamodb;
mod json;
mod search;
pub mod sqlite;

pub use dynamodb::DynamoStore;
pub use sqlite::SqliteStore;
