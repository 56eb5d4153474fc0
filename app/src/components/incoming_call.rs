//! A call in ringing: who calls (the contact's name when known, the number formatted, or "No
//! caller ID"), the business number they dialled, Answer and Decline. On a call it says that
//! answering ends the current one (a waiting call). Focus moves to Answer when it appears, so
//! Enter answers; Escape declines. Announced to screen readers as an alert dialog. The phone
//! (`phone::core`) rings and keeps the list; this only shows the oldest ringing call.

use leptos::either::Either;
use leptos::prelude::*;

use crate::domain::numbers::format_e164;
use crate::i18n::T;
use crate::phone::phone;
use crate::prefs::{tx, use_trf};

#[component]
pub fn IncomingCallScreen() -> impl IntoView {
    let phone = phone();
    let trf = use_trf();
    let answer_button = NodeRef::<leptos::html::Button>::new();
    let shown = Memo::new(move |_| phone.ringing.with(|calls| calls.first().cloned()));
    Effect::new(move |_| {
        if shown.with(Option::is_some) {
            if let Some(button) = answer_button.get() {
                let _ = button.focus();
            }
        }
    });
    let respond = move |answer: bool| {
        if let Some(call) = shown.get_untracked() {
            phone.answer_incoming(call.id, answer);
        }
    };
    move || {
        shown.get().map(|call| {
            let number = call.from.as_deref().map(format_e164);
            let caller = match (&call.contact_name, &number) {
                (Some(name), _) => Either::Left(name.clone()),
                (None, Some(number)) => Either::Left(number.clone()),
                (None, None) => Either::Right(tx(T::NoCallerId)),
            };
            // The number under the name, when a name is shown.
            let detail = call.contact_name.as_ref().and(number);
            let to = format_e164(&call.to);
            let transferred = call.transferred;
            let consult = call.consult;
            let to_line = move || {
                if transferred {
                    trf(T::TransferredFromColleague, &[])
                } else {
                    trf(T::IncomingTo, &[("number", &to)])
                }
            };
            let more = phone.ringing.with(Vec::len).saturating_sub(1);
            let more_line = (more > 0)
                .then(|| {
                    let n = more.to_string();
                    move || trf(T::MoreRinging, &[("n", &n)])
                });
            let waiting = phone.call.with(Option::is_some);
            view! {
                <div class="fixed inset-x-0 top-0 z-50 flex justify-center p-3 md:top-4">
                    <div
                        role="alertdialog"
                        aria-modal="false"
                        aria-labelledby="incoming-call-title"
                        aria-describedby="incoming-call-caller"
                        aria-live="assertive"
                        class="card w-full max-w-sm border-2 border-teal-600 bg-white shadow-xl dark:bg-slate-900"
                        data-testid="incoming-call"
                        on:keydown=move |ev| {
                            if ev.key() == "Escape" {
                                ev.prevent_default();
                                respond(false);
                            }
                        }
                    >
                        <p
                            id="incoming-call-title"
                            class="text-sm font-medium text-teal-700 dark:text-teal-300"
                        >
                            {tx(
                                match (waiting, transferred, consult) {
                                    (true, _, _) => T::WaitingCall,
                                    (false, true, true) => T::TransferConsultation,
                                    (false, true, false) => T::TransferredCall,
                                    (false, false, _) => T::IncomingCall,
                                },
                            )}
                        </p>
                        <p
                            id="incoming-call-caller"
                            class="mt-1 text-2xl font-semibold"
                            data-testid="incoming-caller"
                        >
                            {caller}
                        </p>
                        {detail
                            .map(|d| {
                                view! { <p class="text-slate-600 dark:text-slate-400">{d}</p> }
                            })}
                        <p
                            class="mt-1 text-sm text-slate-600 dark:text-slate-400"
                            data-testid="incoming-to"
                        >
                            {to_line}
                        </p>
                        {waiting
                            .then(|| {
                                view! {
                                    <p class="mt-2 text-sm font-medium text-amber-700 dark:text-amber-300">
                                        {tx(T::AnswerEndsCurrent)}
                                    </p>
                                }
                            })}
                        {more_line
                            .map(|line| {
                                view! {
                                    <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                                        {line}
                                    </p>
                                }
                            })}
                        <div class="mt-4 grid grid-cols-2 gap-3">
                            <button
                                type="button"
                                class="btn-danger"
                                data-testid="incoming-decline"
                                aria-keyshortcuts="Escape"
                                on:click=move |_| respond(false)
                            >
                                {tx(T::Decline)}
                            </button>
                            <button
                                type="button"
                                class="btn-primary"
                                data-testid="incoming-answer"
                                node_ref=answer_button
                                aria-keyshortcuts="Enter"
                                on:click=move |_| respond(true)
                            >
                                {tx(T::Answer)}
                            </button>
                        </div>
                        <p class="mt-2 text-center text-xs text-slate-500 dark:text-slate-400">
                            {tx(T::IncomingKeys)}
                        </p>
                    </div>
                </div>
            }
        })
    }
}
