//! Pages, one module each; thin views over the domain and the API.

pub mod auth;
pub mod call_view;
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
                <a class="link" href="/">
                    {tx(T::GoHome)}
                </a>
            </p>
        </main>
    }
}

/// A page heading; the first thing screen-reader users hear on a page.
#[component]
pub fn PageTitle(title: T) -> impl IntoView {
    let tr = use_tr();
    view! {
        <leptos_meta::Title text=move || format!("{} · Softphone", tr(title)) />
        <h1 class="mb-4 text-2xl font-semibold tracking-tight">{tx(title)}</h1>
    }
}

/// Route views. With the `split` feature (release and test builds: `cargo leptos … --split
/// --features split`) every page but the keypad is a lazy route: its code is a
/// separate WASM chunk loaded when the page is first opened, so the first load carries only
/// the keypad, the call screen and the phone. A page's data is asked for by the page itself
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
        use super::super::{auth, call_view, contact_edit, contact_view, contacts, recents};

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

        lazy_page!(Recents => || view! { <recents::Recents/> });
        lazy_page!(CallView => || view! { <call_view::CallView/> });
        lazy_page!(Contacts => || view! { <contacts::ContactList/> });
        lazy_page!(NewContact => || view! { <contact_edit::NewContact/> });
        lazy_page!(ContactView => || view! { <contact_view::ContactView/> });
        lazy_page!(EditContact => || view! { <contact_edit::EditContact/> });
        lazy_page!(Settings => || view! { <settings::Settings/> });
        lazy_page!(SignIn => || view! { <auth::SignIn/> });
        lazy_page!(SignUp => || view! { <auth::SignUp/> });
        lazy_page!(Forgot => || view! { <auth::Forgot/> });
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

    route_view!(recents, Recents, super::recents::Recents);
    route_view!(call, CallView, super::call_view::CallView);
    route_view!(contacts, Contacts, super::contacts::ContactList);
    route_view!(new_contact, NewContact, super::contact_edit::NewContact);
    route_view!(contact, ContactView, super::contact_view::ContactView);
    route_view!(edit_contact, EditContact, super::contact_edit::EditContact);
    route_view!(settings, Settings, super::settings::Settings);
    route_view!(sign_in, SignIn, super::auth::SignIn);
    route_view!(sign_up, SignUp, super::auth::SignUp);
    route_view!(forgot, Forgot, super::auth::Forgot);
}
