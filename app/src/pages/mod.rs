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

/// Route views. With the `split` feature (release and test builds: `cargo leptos … --split
/// --features split`) every page but the keypad and sign-in is a lazy route: its code is a
/// separate WASM chunk loaded when the page is first opened, so the first load carries only
/// the keypad, the call screen and the phone. Without it (plain `cargo leptos watch`) the
/// pages are ordinary routes in one bundle.
pub mod views {
    use leptos_router::ChooseView;

    #[cfg(feature = "split")]
    mod lazy {
        use leptos::prelude::*;
        use leptos_router::{lazy_route, LazyRoute};

        pub struct Recents;
        #[lazy_route]
        impl LazyRoute for Recents {
            fn data() -> Self {
                Recents
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::recents::Recents/> }.into_any()
            }
        }

        pub struct CallView;
        #[lazy_route]
        impl LazyRoute for CallView {
            fn data() -> Self {
                CallView
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::call_view::CallView/> }.into_any()
            }
        }

        pub struct Contacts;
        #[lazy_route]
        impl LazyRoute for Contacts {
            fn data() -> Self {
                Contacts
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::contacts::ContactList/> }.into_any()
            }
        }

        pub struct NewContact;
        #[lazy_route]
        impl LazyRoute for NewContact {
            fn data() -> Self {
                NewContact
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::contact_edit::NewContact/> }.into_any()
            }
        }

        pub struct ContactView;
        #[lazy_route]
        impl LazyRoute for ContactView {
            fn data() -> Self {
                ContactView
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::contact_view::ContactView/> }.into_any()
            }
        }

        pub struct EditContact;
        #[lazy_route]
        impl LazyRoute for EditContact {
            fn data() -> Self {
                EditContact
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::contact_edit::EditContact/> }.into_any()
            }
        }

        pub struct Settings;
        #[lazy_route]
        impl LazyRoute for Settings {
            fn data() -> Self {
                Settings
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::settings::Settings/> }.into_any()
            }
        }

        pub struct SignUp;
        #[lazy_route]
        impl LazyRoute for SignUp {
            fn data() -> Self {
                SignUp
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::auth::SignUp/> }.into_any()
            }
        }

        pub struct Forgot;
        #[lazy_route]
        impl LazyRoute for Forgot {
            fn data() -> Self {
                Forgot
            }
            fn view(_this: Self) -> AnyView {
                view! { <super::super::auth::Forgot/> }.into_any()
            }
        }
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
