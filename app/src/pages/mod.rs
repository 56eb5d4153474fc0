//! Pages, one module each; thin views over the domain and the API.

pub mod auth;
pub mod contact_edit;
pub mod contact_view;
pub mod contacts;
pub mod keypad;
pub mod recents;
pub mod settings;

use leptos::prelude::*;

use crate::i18n::T;
use crate::prefs::{tx, use_tr};

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <main id="main" class="mx-auto max-w-md p-8 text-center">
            <h1 class="text-2xl font-semibold">{tx(T::NotFoundTitle)}</h1>
            <p class="mt-4">
                <a class="link" href="/">{tx(T::GoHome)}</a>
            </p>
        </main>
    }
}

/// A page heading; the first thing screen-reader users hear on a page.
#[component]
pub fn PageTitle(title: T) -> impl IntoView {
    let tr = use_tr();
    view! {
        <leptos_meta::Title text=move || format!("{} · Softphone", tr(title))/>
        <h1 class="mb-4 text-2xl font-semibold tracking-tight">{tx(title)}</h1>
    }
}
