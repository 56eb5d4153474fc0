//! The app shell: navigation (bottom tabs on phones, a side bar on wide screens), the page, a
//! polite live region for status messages and the toast with an optional action (undo).

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use super::icons::{Icon, Svg};
use crate::i18n::T;
use crate::prefs::tx;

/// A short message at the bottom of the screen, optionally with one action (e.g. Undo).
#[derive(Clone)]
pub struct Toast {
    pub text: String,
    pub action: Option<(String, Callback<()>)>,
}

/// Announces status and shows toasts.
#[derive(Clone, Copy)]
pub struct Notices {
    pub status: RwSignal<String>,
    pub toast: RwSignal<Option<Toast>>,
    serial: RwSignal<u64>,
}

impl Notices {
    /// Tells screen-reader users what happened (visually silent).
    pub fn announce(&self, text: impl Into<String>) {
        self.status.set(text.into());
    }

    /// Shows a toast for a few seconds (also announced).
    pub fn toast(&self, toast: Toast) {
        self.announce(toast.text.clone());
        self.toast.set(Some(toast));
        self.serial.update(|s| *s += 1);
        let serial = self.serial.get_untracked();
        let (slot, counter) = (self.toast, self.serial);
        set_timeout(
            move || {
                if counter.get_untracked() == serial {
                    slot.set(None);
                }
            },
            std::time::Duration::from_secs(8),
        );
    }
}

pub fn notices() -> Notices {
    expect_context::<Notices>()
}

#[component]
fn NavItem(
    href: &'static str,
    label: T,
    icon: Icon,
    #[prop(optional)] exact: bool,
) -> impl IntoView {
    view! {
        <li>
            <A href=href exact=exact>
                <span class="flex flex-col items-center gap-1 px-2 py-2 text-xs font-medium text-slate-600 hover:text-teal-700 md:flex-row md:gap-3 md:rounded-lg md:px-3 md:text-sm dark:text-slate-300 dark:hover:text-teal-300">
                    <Svg icon=icon />
                    <span>{tx(label)}</span>
                </span>
            </A>
        </li>
    }
}

#[component]
pub fn Shell() -> impl IntoView {
    let notices = Notices {
        status: RwSignal::new(String::new()),
        toast: RwSignal::new(None),
        serial: RwSignal::new(0),
    };
    provide_context(notices);
    let phone = crate::phone::provide_phone();
    // Administrators only: a link, nothing more (the page's work is refused to anyone else).
    let admin = crate::prefs::prefs().admin;
    // Whether the live channel has said hello: calls in ring this tab only from then on (the
    // end-to-end tests wait for it before a call comes in).
    let live = move || {
        if phone.connection.get().is_some() {
            "connected"
        } else {
            "connecting"
        }
    };

    view! {
        <a href="#main" class="skip-link">
            {tx(T::SkipToContent)}
        </a>
        <div class="md:flex md:min-h-dvh">
            <nav
                aria-label=tx(T::MainNav)
                data-live=live
                class="app-nav fixed inset-x-0 bottom-0 z-20 border-t border-slate-200 bg-white/95 pb-[env(safe-area-inset-bottom)] backdrop-blur md:sticky md:top-0 md:h-dvh md:w-60 md:border-r md:border-t-0 md:p-4 dark:border-slate-800 dark:bg-slate-950/95"
            >
                <p class="hidden px-3 pb-6 pt-2 text-lg font-semibold text-teal-700 md:block dark:text-teal-300">
                    {tx(T::AppName)}
                </p>
                <ul class=if admin {
                    "grid grid-cols-5 md:flex md:flex-col md:gap-1"
                } else {
                    "grid grid-cols-4 md:flex md:flex-col md:gap-1"
                }>
                    <NavItem href="/" label=T::NavKeypad icon=Icon::Keypad exact=true />
                    <NavItem href="/recents" label=T::NavRecents icon=Icon::Clock />
                    <NavItem href="/contacts" label=T::NavContacts icon=Icon::Users />
                    <NavItem href="/settings" label=T::NavSettings icon=Icon::Gear />
                    {admin
                        .then(|| {
                            view! { <NavItem href="/admin" label=T::NavAdmin icon=Icon::Shield /> }
                        })}
                </ul>
            </nav>
            <main
                id="main"
                tabindex="-1"
                class="mx-auto w-full max-w-3xl flex-1 px-4 pb-28 pt-4 outline-none md:pb-8"
            >
                <Outlet />
            </main>
        </div>
        <super::call_panel::CallPanel />
        <PhoneDialogs />
        <div role="status" aria-live="polite" class="sr-only" data-testid="status">
            {move || notices.status.get()}
        </div>
        {move || {
            notices
                .toast
                .get()
                .map(|toast| {
                    let action = toast.action.clone();
                    view! {
                        <div class="toast" data-testid="toast">
                            <span>{toast.text.clone()}</span>
                            {action
                                .map(|(label, run)| {
                                    view! {
                                        <button
                                            type="button"
                                            class="font-semibold text-teal-300 underline-offset-2 hover:underline"
                                            on:click=move |_| {
                                                notices.toast.set(None);
                                                run.run(());
                                            }
                                        >
                                            {label}
                                        </button>
                                    }
                                })}
                        </div>
                    }
                })
        }}
    }
}

/// The dialogs the phone opens: a REST call's question and a call ringing in. Neither can show
/// before the phone's chunk runs (it is what receives them), so with `split` they are a chunk of
/// their own, out of the first load and fetched once the page has hydrated
/// (docs/bench.md, "First load"). They are built while one of them has something to show: never
/// during hydration (the server renders neither), whenever the chunk happens to arrive.
#[component]
fn PhoneDialogs() -> impl IntoView {
    #[cfg(feature = "split")]
    {
        let phone = crate::phone::phone();
        let loaded = leptos::lazy_preload!(phone_dialogs_split);
        let wanted = Memo::new(move |_| {
            loaded.get()
                && (phone.confirm.with(Option::is_some) || phone.ringing.with(|r| !r.is_empty()))
        });
        view! { {move || wanted.get().then(|| Suspend::new(phone_dialogs_split()))} }.into_any()
    }
    #[cfg(not(feature = "split"))]
    phone_dialogs().into_any()
}

fn phone_dialogs() -> impl IntoView {
    view! {
        <super::confirm_call::ConfirmCall />
        <super::incoming_call::IncomingCallScreen />
    }
}

#[cfg(feature = "split")]
#[leptos::lazy]
async fn phone_dialogs_split() -> AnyView {
    phone_dialogs().into_any()
}
