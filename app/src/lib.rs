//! The softphone app: domain, server functions and UI, compiled for the server (`ssr`) and
//! the browser (`hydrate`).

// The call screen's nested views exceed the default query depth in the native build.
#![recursion_limit = "256"]

pub mod api;
mod browser;
mod components;
pub mod cookies;
pub mod domain;
pub mod i18n;
mod pages;
pub mod phone;
mod prefs;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

pub use prefs::{Prefs, Theme};

/// The HTML document. Runs on the server only; preferences come from the request so the
/// first paint already has the user's language and theme.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let initial = prefs::Initial::from_request();
    view! {
        <!DOCTYPE html>
        <html
            lang=initial.lang.tag()
            data-theme=initial.theme.as_str()
            data-country=initial.country.iso()
            data-admin=initial.admin.then_some("")
        >
            <head>
                <meta charset="utf-8" />
                <meta
                    name="viewport"
                    content="width=device-width, initial-scale=1, viewport-fit=cover"
                />
                <meta name="theme-color" content="#0f766e" />
                <meta name="color-scheme" content="light dark" />
                <meta name="description" content="Call Panama and Singapore from your browser." />
                <meta name="apple-mobile-web-app-capable" content="yes" />
                <meta name="mobile-web-app-capable" content="yes" />
                <meta name="apple-mobile-web-app-status-bar-style" content="black-translucent" />
                <meta name="apple-mobile-web-app-title" content="Softphone" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="icon" href="/icons/icon-192.png" type="image/png" />
                <link rel="apple-touch-icon" href="/icons/apple-touch-icon.png" />
                // The release site's files carry their content's hash in their names.
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-dvh bg-white text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    prefs::provide();
    browser::register_service_worker();

    view! {
        <Title text="Softphone" />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/signin") view=pages::views::sign_in() />
                <Route path=path!("/signup") view=pages::views::sign_up() />
                <Route path=path!("/forgot") view=pages::views::forgot() />
                <ParentRoute path=path!("") view=components::shell::Shell>
                    <Route path=path!("") view=pages::keypad::Keypad />
                    <Route path=path!("recents") view=pages::views::recents() />
                    <Route path=path!("recents/:id") view=pages::views::call() />
                    <Route path=path!("contacts") view=pages::views::contacts() />
                    <Route path=path!("contacts/new") view=pages::views::new_contact() />
                    <Route path=path!("contacts/:id") view=pages::views::contact() />
                    <Route path=path!("contacts/:id/edit") view=pages::views::edit_contact() />
                    <Route path=path!("settings") view=pages::views::settings() />
                    <Route path=path!("admin") view=pages::views::admin() />
                    <Route path=path!("admin/analytics") view=pages::views::analytics() />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
