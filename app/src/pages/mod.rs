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
/// --features split`) every page but the keypad and sign-in is a lazy route: its code is a
/// separate WASM chunk loaded when the page is first opened, so the first load carries only
/// the keypad, the call screen and the phone. A page that loads data makes its resources in
/// the route's `data()`, which runs before the chunk arrives, so the data and the code load at
/// once. Without the feature (plain `cargo leptos watch`) the pages are ordinary routes in one
/// bundle and make the same data themselves.
pub mod views {
    use leptos_router::ChooseView;

    #[cfg(feature = "split")]
    mod lazy {
        use leptos::prelude::*;
        use leptos_router::{lazy_route, LazyRoute};

        use super::super::settings;
        use super::super::{auth, call_view, contact_edit, contact_view, contacts, recents};

        /// One lazy route: `Route(Data) => page` makes `Data::load()` in `data()` and hands it
        /// to the page; `Route => page` is a page without data.
        macro_rules! lazy_page {
            ($route:ident($data:ty) => $page:expr) => {
                pub struct $route($data);
                #[lazy_route]
                impl LazyRoute for $route {
                    fn data() -> Self {
                        $route(<$data>::load())
                    }
                    fn view(this: Self) -> AnyView {
                        ($page)(this.0).into_any()
                    }
                }
            };
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

        lazy_page!(Recents(recents::RecentsData) => |data| view! { <recents::RecentsPage data/> });
        lazy_page!(CallView(call_view::CallData) => |data| view! { <call_view::CallViewPage data/> });
        lazy_page!(Contacts(contacts::ContactsData) => |data| view! { <contacts::ContactsPage data/> });
        lazy_page!(NewContact => || view! { <contact_edit::NewContact/> });
        lazy_page!(ContactView(contact_view::ContactData) => |data| view! { <contact_view::ContactViewPage data/> });
        lazy_page!(EditContact(contact_view::ContactData) => |data| view! { <contact_edit::EditContactPage data/> });
        lazy_page!(Settings(settings::SettingsData) => |data| view! { <settings::SettingsPage data/> });
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
    route_view!(sign_up, SignUp, super::auth::SignUp);
    route_view!(forgot, Forgot, super::auth::Forgot);
}
