//! Transfer on the call screen (docs/telephony.md, "Transfer"): the Transfer button opens the
//! list of the other agents with the app open (each with whether they can take a call now);
//! choosing one holds the caller and rings them. How it goes shows on every tab of the agent:
//! ringing, declined or unanswered (the caller stays on hold; Resume takes them back). Under the
//! list, a number field sends the call on to a phone number instead, judged as the keypad
//! judges it (the server checks it again, as it checks a call): busy, refused or unreachable
//! leave the caller on hold too. "Consult first" (a warm transfer) calls the number while the
//! caller holds and lets the agent talk with it: Connect puts the caller through and ends the
//! call here, Return to customer hangs up on the number and resumes the caller. An agent can be
//! consulted first the same way.

use leptos::prelude::*;

use super::icons::{Icon, Svg};
use super::messages::{error_text, refusal_text};
use crate::api::live::{LiveCall, TransferState};
use crate::api::transfer::{transfer_targets, AgentStatus, TransferTarget};
use crate::api::ApiError;
use crate::domain::numbers::{check, format_e164, RuleTable};
use crate::i18n::T;
use crate::phone::phone;
use crate::prefs::{prefs, tx, use_trf};

/// The Transfer button; `open` shows the list of agents.
#[component]
pub fn TransferButton(open: RwSignal<bool>, round: fn(bool) -> &'static str) -> impl IntoView {
    view! {
        <button
            type="button"
            class="flex flex-col items-center gap-1 text-sm"
            data-testid="transfer-button"
            aria-expanded=move || open.get().to_string()
            aria-controls="transfer-list"
            on:click=move |_| open.update(|o| *o = !*o)
        >
            <span class=move || round(open.get())>
                <Svg icon=Icon::Users />
            </span>
            {tx(T::Transfer)}
        </button>
    }
}

/// The list of agents while `open`, and the transfer's progress from the call.
#[component]
pub fn TransferPanel(shown: Memo<Option<LiveCall>>, open: RwSignal<bool>) -> impl IntoView {
    let trf = use_trf();
    let lang = prefs().lang;
    let targets = RwSignal::new(None::<Result<Vec<TransferTarget>, ApiError>>);
    // Loaded afresh each time the list opens: who is free changes by the minute.
    Effect::new(move |_| {
        if open.get() {
            targets.set(None);
            leptos::task::spawn_local(async move {
                targets.set(Some(transfer_targets().await));
            });
        }
    });
    let progress = Memo::new(move |_| {
        shown.with(|c| {
            c.as_ref()
                .and_then(|c| c.transfer.as_ref())
                .map(|t| (t.name.clone(), t.state, t.consult))
        })
    });
    let choose = move |to: String, consult: bool| {
        open.set(false);
        phone().transfer(to, consult);
    };
    // The number field: judged with the agent's country, as on the keypad.
    let number = RwSignal::new(String::new());
    let country = prefs().country;
    let verdict = Memo::new(move |_| check(&number.get(), Some(country.get()), &RuleTable));
    let dialable =
        Memo::new(move |_| verdict.with(|v| if v.is_allowed() { v.e164.clone() } else { None }));
    let verdict_text = move || {
        if number.with(|n| n.trim().is_empty()) {
            return String::new();
        }
        verdict.with(|v| match (v.reason, &v.e164) {
            (Some(reason), _) => refusal_text(lang.get(), reason, v.country),
            (None, Some(e164)) => format_e164(e164),
            (None, None) => String::new(),
        })
    };
    let to_number = move |consult: bool| {
        if let Some(e164) = dialable.get_untracked() {
            open.set(false);
            number.set(String::new());
            phone().transfer_to_number(e164, consult);
        }
    };
    let send_to_number = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        to_number(false);
    };
    let status_text = move |status: AgentStatus| match status {
        AgentStatus::Available => T::AgentAvailable,
        AgentStatus::OnACall => T::AgentOnACall,
        AgentStatus::DoNotDisturb => T::AgentDoNotDisturb,
    };
    view! {
        {move || {
            progress
                .get()
                .map(|(name, state, consult)| {
                    let key = match state {
                        TransferState::Ringing if consult => T::TransferRingingConsult,
                        TransferState::Ringing => T::TransferRinging,
                        TransferState::Declined => T::TransferDeclined,
                        TransferState::NoAnswer => T::TransferNoAnswer,
                        TransferState::Busy => T::TransferBusy,
                        TransferState::Refused => T::TransferRefused,
                        TransferState::Unreachable => T::TransferUnreachable,
                        TransferState::Answered => T::TransferAnswered,
                        TransferState::Consulting => T::TransferConsulting,
                        TransferState::HungUp => T::TransferHungUp,
                    };
                    let actions = (state == TransferState::Consulting)
                        .then(|| {
                            // Connect or go back while consulting; outside the status so that only the
                            // state is announced.
                            view! {
                                <div
                                    class="mt-2 flex flex-wrap justify-center gap-2"
                                    role="group"
                                    aria-label=move || trf(T::TransferConsultation, &[])
                                    data-testid="transfer-consult-actions"
                                >
                                    <button
                                        type="button"
                                        class="rounded-lg bg-teal-700 px-4 py-2 text-sm text-white"
                                        data-testid="transfer-complete"
                                        on:click=move |_| phone().complete_transfer()
                                    >
                                        {tx(T::TransferConnect)}
                                    </button>
                                    <button
                                        type="button"
                                        class="rounded-lg bg-slate-700 px-4 py-2 text-sm text-white"
                                        data-testid="transfer-return"
                                        on:click=move |_| phone().set_on_hold(false)
                                    >
                                        {tx(T::TransferReturn)}
                                    </button>
                                </div>
                            }
                        });
                    view! {
                        <p
                            class="mt-2 text-amber-300"
                            role="status"
                            data-testid="transfer-status"
                            data-state=format!("{state:?}").to_lowercase()
                        >
                            {move || trf(key, &[("name", &name)])}
                        </p>
                        {actions}
                    }
                })
        }}
        {move || {
            open.get()
                .then(|| {
                    view! {
                        <section
                            id="transfer-list"
                            class="mx-auto mt-4 w-full max-w-sm rounded-lg bg-slate-800 p-3 text-left"
                            aria-labelledby="transfer-list-title"
                            data-testid="transfer-list"
                        >
                            <h3 id="transfer-list-title" class="font-semibold">
                                {tx(T::TransferTo)}
                            </h3>
                            {move || match targets.get() {
                                None => {
                                    view! { <p class="mt-2 text-slate-300">"…"</p> }.into_any()
                                }
                                Some(Err(e)) => {
                                    view! {
                                        <p class="mt-2 text-amber-300" role="alert">
                                            {error_text(lang.get(), &e)}
                                        </p>
                                    }
                                        .into_any()
                                }
                                Some(Ok(list)) if list.is_empty() => {
                                    view! {
                                        <p class="mt-2 text-slate-300" data-testid="transfer-none">
                                            {tx(T::TransferNoAgents)}
                                        </p>
                                    }
                                        .into_any()
                                }
                                Some(Ok(list)) => {
                                    view! {
                                        <ul class="mt-2 divide-y divide-slate-700">
                                            {list
                                                .into_iter()
                                                .map(|agent| {
                                                    let free = agent.status == AgentStatus::Available;
                                                    let sub = agent.sub.clone();
                                                    let consulted = agent.sub.clone();
                                                    view! {
                                                        <li
                                                            class="flex items-center justify-between gap-3 py-2"
                                                            data-testid="transfer-agent"
                                                        >
                                                            <span class="min-w-0">
                                                                <span class="block truncate">{agent.email.clone()}</span>
                                                                <span class="text-sm text-slate-400">
                                                                    {tx(status_text(agent.status))}
                                                                </span>
                                                            </span>
                                                            <span class="flex shrink-0 gap-2">
                                                                <button
                                                                    type="button"
                                                                    class="rounded-lg bg-slate-600 px-3 py-1 text-sm text-white disabled:opacity-50"
                                                                    data-testid="transfer-agent-consult"
                                                                    disabled=!free
                                                                    on:click=move |_| choose(consulted.clone(), true)
                                                                >
                                                                    {tx(T::TransferConsult)}
                                                                </button>
                                                                <button
                                                                    type="button"
                                                                    class="rounded-lg bg-teal-700 px-3 py-1 text-sm text-white disabled:opacity-50"
                                                                    disabled=!free
                                                                    on:click=move |_| choose(sub.clone(), false)
                                                                >
                                                                    {tx(T::Transfer)}
                                                                </button>
                                                            </span>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    }
                                        .into_any()
                                }
                            }}
                            <form
                                class="mt-3 border-t border-slate-700 pt-3"
                                data-testid="transfer-number-form"
                                on:submit=send_to_number
                            >
                                <label for="transfer-number" class="font-semibold">
                                    {tx(T::TransferToNumber)}
                                </label>
                                <input
                                    id="transfer-number"
                                    type="tel"
                                    inputmode="tel"
                                    autocomplete="off"
                                    maxlength="64"
                                    class="mt-2 w-full rounded-lg bg-slate-900 px-2 py-1 text-white"
                                    data-testid="transfer-number"
                                    prop:value=move || number.get()
                                    on:input=move |ev| number.set(event_target_value(&ev))
                                />
                                // Enter sends it on (blind); Consult first talks to it before.
                                <div class="mt-2 flex flex-wrap gap-2">
                                    <button
                                        type="submit"
                                        class="rounded-lg bg-teal-700 px-3 py-1 text-sm text-white disabled:opacity-50"
                                        data-testid="transfer-number-button"
                                        disabled=move || dialable.with(Option::is_none)
                                    >
                                        {tx(T::Transfer)}
                                    </button>
                                    <button
                                        type="button"
                                        class="rounded-lg bg-slate-700 px-3 py-1 text-sm text-white disabled:opacity-50"
                                        data-testid="transfer-consult-button"
                                        disabled=move || dialable.with(Option::is_none)
                                        on:click=move |_| to_number(true)
                                    >
                                        {tx(T::TransferConsult)}
                                    </button>
                                </div>
                                <p
                                    class="mt-1 text-sm text-slate-300"
                                    aria-live="polite"
                                    data-testid="transfer-number-verdict"
                                >
                                    {verdict_text}
                                </p>
                            </form>
                            <button
                                type="button"
                                class="mt-2 text-sm text-slate-300 underline"
                                on:click=move |_| open.set(false)
                            >
                                {tx(T::Cancel)}
                            </button>
                        </section>
                    }
                })
        }}
    }
}
