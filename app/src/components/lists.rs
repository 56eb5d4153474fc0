//! Pieces of the paged lists (Recents, Contacts).

use leptos::prelude::*;

use super::icons::{Icon, Svg};
use crate::i18n::T;
use crate::prefs::tx;

/// What a list shows when it has nothing: a search that matched nothing, or a first-use hint.
#[component]
pub fn EmptyState(icon: Icon, searching: bool, title: T, hint: T) -> impl IntoView {
    view! {
        <div class="py-12 text-center" data-testid="empty-state">
            <Svg icon=icon class="mx-auto h-10 w-10 text-slate-400"/>
            <p class="mt-3 font-medium">{if searching { tx(T::NoMatches) } else { tx(title) }}</p>
            {(!searching).then(|| view! { <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{tx(hint)}</p> })}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="py-6 text-center text-slate-600 dark:text-slate-400">{tx(T::Loading)}</p> }
}
