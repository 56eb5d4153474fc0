//! The question a call placed through the REST API asks first, when the user confirms such
//! calls ("Ask before calls from integrations", Settings): "Call +65 6000 0001?" with the
//! contact's name if known, Call and Cancel. Nothing opens the microphone before Call; Cancel,
//! Escape or no answer within the window ends the call (`phone::core`). Focus moves to Call
//! when it appears.

use leptos::prelude::*;

use crate::domain::numbers::format_e164;
use crate::i18n::T;
use crate::phone::phone;
use crate::prefs::{tx, use_trf};

#[component]
pub fn ConfirmCall() -> impl IntoView {
    let phone = phone();
    let trf = use_trf();
    let call_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if phone.confirm.with(Option::is_some) {
            if let Some(button) = call_button.get() {
                let _ = button.focus();
            }
        }
    });
    let answer = move |take_up: bool| {
        if let Some(call) = phone.confirm.get_untracked() {
            phone.confirm.set(None);
            phone.confirm(call.id, take_up);
        }
    };
    move || {
        phone.confirm.get().map(|call| {
            let number = format_e164(&call.e164);
            let who = match &call.contact_name {
                Some(name) => format!("{name} ({number})"),
                None => number,
            };
            let title = move || trf(T::ConfirmCallTitle, &[("number", &who)]);
            view! {
                <div class="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/50 p-4">
                    <div
                        role="alertdialog"
                        aria-modal="true"
                        aria-labelledby="confirm-call-title"
                        aria-describedby="confirm-call-why"
                        class="card w-full max-w-sm"
                        data-testid="confirm-call"
                        on:keydown=move |ev| {
                            if ev.key() == "Escape" {
                                ev.prevent_default();
                                answer(false);
                            }
                        }
                    >
                        <h2 id="confirm-call-title" class="card-title">
                            {title}
                        </h2>
                        <p
                            id="confirm-call-why"
                            class="mt-2 text-sm text-slate-600 dark:text-slate-400"
                        >
                            {tx(T::ConfirmCallFrom)}
                        </p>
                        <div class="mt-4 flex justify-end gap-2">
                            <button
                                type="button"
                                class="btn-secondary"
                                data-testid="confirm-call-cancel"
                                on:click=move |_| answer(false)
                            >
                                {tx(T::Cancel)}
                            </button>
                            <button
                                type="button"
                                class="btn-primary"
                                data-testid="confirm-call-accept"
                                node_ref=call_button
                                on:click=move |_| answer(true)
                            >
                                {tx(T::Call)}
                            </button>
                        </div>
                    </div>
                </div>
            }
        })
    }
}
