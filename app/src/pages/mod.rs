//! Pages, one module each; thin views over the domain and the API.

pub mod admin;
mod admin_text;
pub mod analytics;
mod analytics_charts;
mod analytics_text;
pub mod auth;
pub mod call_view;
pub mod contact_edit;
pub mod contact_view;
pub mod contacts;
pub mod keypad;
pub mod recents;
pub mod settings;
mod settings_check;
mod settings_check_text;
pub mod settings_numbers;
mod settings_numbers_text;
pub mod settings_push;
mod settings_push_text;
mod settings_text;
pub mod settings_tokens;
mod settings_tokens_text;

use leptos::prelude::*;

use crate::i18n::{Text, T};
use crate::prefs::tx;

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
                <a class="link" href="/">
                    {tx(T::GoHome)}
                </a>
            </p>
        </main>
    }
}

/// A page heading; the first thing screen-reader users hear on a page.
#[component]
pub fn PageTitle<K: Text>(title: K) -> impl IntoView {
    let lang = crate::prefs::prefs().lang;
    view! {
        <leptos_meta::Title text=move || format!("{} · Softphone", title.text(lang.get())) />
        <h1 class="mb-4 text-2xl font-semibold tracking-tight">{tx(title)}</h1>
    }
}

/// Route views. With the `split` feature (release and test builds: `cargo leptos … --split
/// --features split`) every page but the keypad is a lazy route: its code (with its area's
/// other pages) is a separate WASM chunk loaded when the page is first opened, so the first
/// load carries only the shell and the keypad (the call screen and the phone are chunks of
/// their own, fetched once the page has hydrated). A page's data is asked for by the page itself
/// (each page's `*Data::load()`), from its chunk: making the resources in the route's `data()`
/// would start the request before the chunk arrives, but it puts every page's data types,
/// server calls and resources in the first load (+51 KB gzipped, measured; docs/decisions.md).
/// Without the feature (plain `cargo leptos watch`) the pages are ordinary routes in one bundle.
pub mod views {
    use leptos_router::ChooseView;

    #[cfg(feature = "split")]
    mod lazy {
        use leptos::prelude::*;
        use leptos_router::{lazy_route, LazyRoute};

        use super::super::settings;
        use super::super::{admin, analytics, auth, call_view, contact_edit, contact_view};
        use super::super::{contacts, recents};

        /// One lazy route: `Route => page`, the page's whole code (data included) in its chunk.
        macro_rules! lazy_page {
            ($route:ident => $page:expr) => {
                pub struct $route;
                #[lazy_route]
                impl LazyRoute for $route {
                    fn data() -> Self {
                        $route
                    }
                    fn view(_this: Self) -> AnyView {
                        ($page)().into_any()
                    }
                }
            };
        }

        lazy_page!(Settings => || view! { <settings::Settings/> });
        // Administrators only: its code never loads for anyone else.
        lazy_page!(Admin => || {
            let path = leptos_router::hooks::use_location().pathname.get_untracked();
            if path == "/admin/analytics" {
                view! { <analytics::Analytics/> }.into_any()
            } else {
                view! { <admin::Admin/> }.into_any()
            }
        });
        // Pages that share most of their code share one chunk: one lazy route for each area,
        // whose view is the page its path names. Fewer modules than one per page, and far fewer
        // of the chunks wasm-split makes for each set of modules sharing code; with one per page
        // there are so many that the read-only data no longer fits its segment once split
        // between them, and the release build fails (docs/bench.md, "First load").
        lazy_page!(Calls => || {
            let path = leptos_router::hooks::use_location().pathname.get_untracked();
            if path == "/recents" {
                view! { <recents::Recents/> }.into_any()
            } else {
                view! { <call_view::CallView/> }.into_any()
            }
        });
        lazy_page!(Account => || {
            let path = leptos_router::hooks::use_location().pathname.get_untracked();
            match path.as_str() {
                "/signup" => view! { <auth::SignUp/> }.into_any(),
                "/forgot" => view! { <auth::Forgot/> }.into_any(),
                _ => view! { <auth::SignIn/> }.into_any(),
            }
        });
        lazy_page!(Contacts => || {
            let path = leptos_router::hooks::use_location().pathname.get_untracked();
            if path == "/contacts" {
                view! { <contacts::ContactList/> }.into_any()
            } else if path == "/contacts/new" {
                view! { <contact_edit::NewContact/> }.into_any()
            } else if path.ends_with("/edit") {
                view! { <contact_edit::EditContact/> }.into_any()
            } else {
                view! { <contact_view::ContactView/> }.into_any()
            }
        });
    }

    macro_rules! route_view {
        ($fn_name:ident, $lazy:ident, $eager:path) => {
            pub fn $fn_name() -> impl ChooseView {
                #[cfg(feature = "split")]
                return leptos_router::Lazy::<lazy::$lazy>::new();
                #[cfg(not(feature = "split"))]
                $eager
            }
        };
    }

    route_view!(recents, Calls, super::recents::Recents);
    route_view!(call, Calls, super::call_view::CallView);
    route_view!(contacts, Contacts, super::contacts::ContactList);
    route_view!(new_contact, Contacts, super::contact_edit::NewContact);
    route_view!(contact, Contacts, super::contact_view::ContactView);
    route_view!(edit_contact, Contacts, super::contact_edit::EditContact);
    route_view!(settings, Settings, super::settings::Settings);
    route_view!(admin, Admin, super::admin::Admin);
    route_view!(analytics, Admin, super::analytics::Analytics);
    route_view!(sign_in, Account, super::auth::SignIn);
    route_view!(sign_up, Account, super::auth::SignUp);
    route_view!(forgot, Account, super::auth::Forgot);
}
