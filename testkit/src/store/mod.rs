//! The conformance suite every [`Store`](app::api::ports::Store) adapter must pass (SQLite and
//! DynamoDB), one module per aggregate. Each case is a public function that panics with what
//! broke; [`store_conformance_tests!`] makes one test per case, each on a fresh, empty store, so
//! one failure does not hide the others.
//!
//! [`store_conformance_tests!`]: crate::store_conformance_tests

mod accounts;
mod analytics;
mod audit;
mod calls;
mod contacts;
mod fixtures;
mod leases;
mod numbers;
mod preferences;
mod push;
mod recordings;
mod spend;
mod tokens;

pub use accounts::{
    accounts_are_disabled_and_enabled, invites_are_used_once, ping_answers,
    refresh_rotation_has_one_winner_under_concurrency, refresh_tokens_rotate_and_families_revoke,
    session_standing_as_one_by_one, users_and_sessions,
};
pub use analytics::rollups_count_each_call_once;
pub use audit::audit_is_owner_scoped;
pub use calls::{call_quality_is_kept_beside_the_call, calls_log};
pub use contacts::{
    contacts_by_numbers_as_one_by_one, contacts_crud_and_ownership, contacts_search_and_pages,
    contacts_search_follows_changes,
};
pub use leases::{
    calls_of_ended_leases_are_closed_once, concurrent_sweeps_close_each_call_once,
    leases_renew_and_expire, relay_requests_are_taken_once,
};
pub use numbers::{
    last_agents_keep_the_latest_call, owned_numbers_put_list_and_delete,
    the_admin_role_is_kept_with_the_account,
};
pub use preferences::preferences_default_and_persist;
pub use push::{push_settings_default_and_persist, push_subscriptions_upsert_cap_and_remove};
pub use recordings::recordings_metadata;
pub use spend::{
    blocked_users_are_listed_until_lifted, spend_blocks_persist_until_lifted,
    spend_caps_hold_under_concurrent_admissions, spend_slots_are_released_and_rates_hold,
    unapproved_accounts_cannot_dial_until_approved,
};
pub use tokens::tokens_are_capped_found_by_hash_and_revoked;

/// One `#[tokio::test]` per conformance case (but `spend_caps_hold_under_concurrent_admissions`
/// and `refresh_rotation_has_one_winner_under_concurrency`, which each store's test file runs
/// itself: moto cannot run them), in a module named `$module`. `$fresh` is an async
/// fn (seen from inside that module, which imports its parent's items) returning a fresh, empty
/// store behind a pointer: `Box<SqliteStore>`, or a fixture that derefs to the store and keeps
/// what it needs (a temporary directory, an emulator) alive for the test.
#[macro_export]
macro_rules! store_conformance_tests {
    ($module:ident, $fresh:path) => {
        $crate::store_conformance_tests!(@cases $module, $fresh;
            ping_answers,
            users_and_sessions,
            refresh_tokens_rotate_and_families_revoke,
            invites_are_used_once,
            accounts_are_disabled_and_enabled,
            session_standing_as_one_by_one,
            contacts_crud_and_ownership,
            contacts_search_and_pages,
            contacts_search_follows_changes,
            contacts_by_numbers_as_one_by_one,
            calls_log,
            call_quality_is_kept_beside_the_call,
            rollups_count_each_call_once,
            audit_is_owner_scoped,
            recordings_metadata,
            preferences_default_and_persist,
            spend_slots_are_released_and_rates_hold,
            spend_blocks_persist_until_lifted,
            tokens_are_capped_found_by_hash_and_revoked,
            leases_renew_and_expire,
            calls_of_ended_leases_are_closed_once,
            relay_requests_are_taken_once,
            unapproved_accounts_cannot_dial_until_approved,
            blocked_users_are_listed_until_lifted,
            owned_numbers_put_list_and_delete,
            last_agents_keep_the_latest_call,
            the_admin_role_is_kept_with_the_account,
            push_subscriptions_upsert_cap_and_remove,
            push_settings_default_and_persist,
        );
    };
    (@cases $module:ident, $fresh:path; $($case:ident,)*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let store = $fresh().await;
                    $crate::store::$case(&*store).await;
                }
            )*
        }
    };
}
